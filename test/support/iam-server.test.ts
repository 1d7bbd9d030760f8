import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
} from "@aws-sdk/client-iam";
import { encodeRfc3986, startIamServer, type IamServer } from "./iam-server";

const A = "111111111111";
const B = "222222222222";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

// Formatting kept on purpose: IAM returns what was stored, URL-encoded.
const TRUST = `{
  "Version": "2012-10-17",
  "Statement": [{ "Effect": "Allow", "Principal": { "Service": "pods.eks.amazonaws.com" }, "Action": ["sts:AssumeRole", "sts:TagSession"] }]
}`;
const READ_ONLY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ledger/*"}]}';

let iam: IamServer;
const saved = { ...process.env };

function client(accountId: string, extra: Partial<ConstructorParameters<typeof IAMClient>[0]> = {}): IAMClient {
  return new IAMClient({ region: "us-east-1", credentials: iam.credentialsFor(accountId), maxAttempts: 1, ...extra });
}

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  iam = await startIamServer({ defaultAccountId: null, maxPageSize: 2 });
  // The SDK's standard endpoint setting: no `endpoint` in client code.
  process.env.AWS_ENDPOINT_URL_IAM = iam.endpoint;
});
afterAll(async () => {
  process.env = saved;
  await iam.close();
});
afterEach(() => {
  iam.clearFaults();
  iam.resetCounts();
});

describe("IAM server over the real @aws-sdk/client-iam", () => {
  it("GetRole returns the role with its trust policy URL-encoded (RFC 3986), formatting kept", async () => {
    const arn = iam.putRole({
      accountId: A,
      name: "payments",
      path: "/pod-identity/",
      assumeRolePolicy: TRUST,
      permissionsBoundary: `arn:aws:iam::${A}:policy/boundary`,
      tags: { team: "pay" },
    });
    expect(arn).toBe(`arn:aws:iam::${A}:role/pod-identity/payments`);
    const out = await client(A).send(new GetRoleCommand({ RoleName: "payments" }));
    const role = out.Role!;
    expect(role.Arn).toBe(arn);
    expect(role.Path).toBe("/pod-identity/");
    expect(role.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(role.CreateDate).toBeInstanceOf(Date);
    expect(role.PermissionsBoundary).toEqual({ PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: `arn:aws:iam::${A}:policy/boundary` });
    expect(role.Tags).toEqual([{ Key: "team", Value: "pay" }]);
    // The SDK does not decode the document; IAM's encoding escapes every reserved character.
    expect(role.AssumeRolePolicyDocument).toBe(encodeRfc3986(TRUST));
    expect(role.AssumeRolePolicyDocument).toMatch(/^%7B%0A%20%20%22Version%22%3A/);
    expect(decodeURIComponent(role.AssumeRolePolicyDocument!)).toBe(TRUST);
    expect(encodeRfc3986("a*b(c)!'")).toBe("a%2Ab%28c%29%21%27");
  });

  it("roles live per account: the caller's credentials select the account", async () => {
    iam.putRole({ accountId: B, name: "only-in-b", assumeRolePolicy: TRUST });
    expect((await client(B).send(new GetRoleCommand({ RoleName: "only-in-b" }))).Role!.Arn).toBe(`arn:aws:iam::${B}:role/only-in-b`);
    const err = await failure(client(A).send(new GetRoleCommand({ RoleName: "only-in-b" })));
    expect(err).toMatchObject({ name: "NoSuchEntityException", message: "The role with name only-in-b cannot be found.", status: 404 });
  });

  it("lists inline and attached policies page by page (IsTruncated/Marker) and returns documents URL-encoded", async () => {
    const arn = iam.putRole({ accountId: A, name: "lister", assumeRolePolicy: TRUST, inlinePolicies: { one: READ_ONLY, two: READ_ONLY, three: READ_ONLY } });
    for (const p of ["A", "B", "C"]) iam.putManagedPolicy(`arn:aws:iam::${A}:policy/${p}`, READ_ONLY);
    for (const p of ["A", "B", "C"]) iam.attachRolePolicy(arn, `arn:aws:iam::${A}:policy/${p}`);
    const c = client(A);

    const first = await c.send(new ListRolePoliciesCommand({ RoleName: "lister" }));
    expect(first.PolicyNames).toEqual(["one", "two"]);
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toBeTruthy();
    const names: string[] = [];
    for await (const page of paginateListRolePolicies({ client: c }, { RoleName: "lister" })) names.push(...(page.PolicyNames ?? []));
    expect(names).toEqual(["one", "two", "three"]);

    const attached: string[] = [];
    for await (const page of paginateListAttachedRolePolicies({ client: c }, { RoleName: "lister" }))
      attached.push(...(page.AttachedPolicies ?? []).map((p) => `${p.PolicyName} ${p.PolicyArn}`));
    expect(attached).toEqual(["A", "B", "C"].map((p) => `${p} arn:aws:iam::${A}:policy/${p}`));

    const inline = await c.send(new GetRolePolicyCommand({ RoleName: "lister", PolicyName: "two" }));
    expect(inline).toMatchObject({ RoleName: "lister", PolicyName: "two" });
    expect(inline.PolicyDocument).toBe(encodeRfc3986(READ_ONLY));
    expect(await failure(c.send(new GetRolePolicyCommand({ RoleName: "lister", PolicyName: "nope" })))).toMatchObject({
      name: "NoSuchEntityException",
      status: 404,
    });
    expect(iam.countsByOperation({ accountId: A })).toEqual({ ListRolePolicies: 3, ListAttachedRolePolicies: 2, GetRolePolicy: 2 });
  });

  it("managed policies: AWS managed ones readable from any account, the default version's document URL-encoded", async () => {
    const admin = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
    iam.putManagedPolicy(ADMIN, admin);
    const policy = (await client(B).send(new GetPolicyCommand({ PolicyArn: ADMIN }))).Policy!;
    expect(policy).toMatchObject({ PolicyName: "AdministratorAccess", Arn: ADMIN, DefaultVersionId: "v1", IsAttachable: true });
    const version = (await client(B).send(new GetPolicyVersionCommand({ PolicyArn: ADMIN, VersionId: "v1" }))).PolicyVersion!;
    expect(version.IsDefaultVersion).toBe(true);
    expect(decodeURIComponent(version.Document!)).toBe(admin);
    // A customer managed policy is not visible from another account.
    iam.putManagedPolicy(`arn:aws:iam::${A}:policy/private`, READ_ONLY);
    expect(await failure(client(B).send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${A}:policy/private` })))).toMatchObject({
      name: "NoSuchEntityException",
    });
  });

  it("out-of-band edits through the SDK change what the reads return; a role with policies cannot be deleted", async () => {
    const c = client(A);
    await c.send(new CreateRoleCommand({ RoleName: "edited", AssumeRolePolicyDocument: TRUST }));
    const loose = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}';
    await c.send(new UpdateAssumeRolePolicyCommand({ RoleName: "edited", PolicyDocument: loose }));
    await c.send(new PutRolePolicyCommand({ RoleName: "edited", PolicyName: "wide", PolicyDocument: READ_ONLY }));
    const created = await c.send(new CreatePolicyCommand({ PolicyName: "mine", PolicyDocument: READ_ONLY }));
    await c.send(new AttachRolePolicyCommand({ RoleName: "edited", PolicyArn: created.Policy!.Arn! }));
    const snap = iam.role(`arn:aws:iam::${A}:role/edited`)!;
    expect(snap).toMatchObject({ assumeRolePolicy: loose, inlinePolicies: { wide: READ_ONLY }, managedPolicyArns: [`arn:aws:iam::${A}:policy/mine`] });

    expect(await failure(c.send(new DeleteRoleCommand({ RoleName: "edited" })))).toMatchObject({ name: "DeleteConflictException", status: 409 });
    expect(await failure(c.send(new UpdateAssumeRolePolicyCommand({ RoleName: "edited", PolicyDocument: "{not json" })))).toMatchObject({
      name: "MalformedPolicyDocumentException",
    });
    await c.send(new DeleteRolePolicyCommand({ RoleName: "edited", PolicyName: "wide" }));
    await c.send(new DetachRolePolicyCommand({ RoleName: "edited", PolicyArn: created.Policy!.Arn! }));
    await c.send(new DeleteRoleCommand({ RoleName: "edited" }));
    const gone = await c.send(new GetRoleCommand({ RoleName: "edited" })).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(NoSuchEntityException);
  });

  it("denies per account or per caller with IAM's AccessDenied (403)", async () => {
    iam.putRole({ accountId: A, name: "guarded", assumeRolePolicy: TRUST });
    const undo = iam.deny({ accountId: A, operation: "GetRole" });
    const err = await failure(client(A).send(new GetRoleCommand({ RoleName: "guarded" })));
    expect(err.name).toBe("AccessDenied");
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/is not authorized to perform: iam:GetRole on resource: arn:aws:iam::111111111111:role\/guarded/);
    undo();
    const other = { accessKeyId: "AKIAOTHERCALLER00000", secretAccessKey: "x" };
    iam.addCredentials(other.accessKeyId, A);
    iam.deny({ accessKeyId: other.accessKeyId });
    expect(
      (await failure(new IAMClient({ region: "us-east-1", credentials: other, maxAttempts: 1 }).send(new GetRoleCommand({ RoleName: "guarded" })))).name,
    ).toBe("AccessDenied");
    expect((await client(A).send(new GetRoleCommand({ RoleName: "guarded" }))).Role!.RoleName).toBe("guarded");
    expect(iam.count({ accountId: A, outcome: "error" })).toBe(2);
  });

  it("throttles with IAM's Throttling code, which the SDK retries as throttling", async () => {
    iam.putRole({ accountId: A, name: "busy", assumeRolePolicy: TRUST });
    iam.throttle(2, { operation: "GetRole" });
    const out = await client(A, { maxAttempts: 3, retryStrategy: undefined }).send(new GetRoleCommand({ RoleName: "busy" }));
    expect(out.Role!.RoleName).toBe("busy");
    expect(iam.count({ operation: "GetRole", outcome: "throttled" })).toBe(2);
    expect(iam.count({ operation: "GetRole", outcome: "ok" })).toBe(1);

    iam.throttle(1);
    const err = await failure(client(A).send(new GetRoleCommand({ RoleName: "busy" })));
    expect(err).toMatchObject({ name: "Throttling", status: 400 });
  });

  it("a rate limit per account answers Throttling above it", async () => {
    iam.putRole({ accountId: B, name: "limited", assumeRolePolicy: TRUST });
    iam.setRateLimit(B, { rps: 1, burst: 2 });
    const c = client(B);
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => c.send(new GetRoleCommand({ RoleName: "limited" }))));
    iam.setRateLimit(B, null);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect(iam.count({ accountId: B, outcome: "throttled" })).toBe(2);
  });

  it("hangs before the headers or in the body until the client gives up", async () => {
    iam.putRole({ accountId: A, name: "slow", assumeRolePolicy: TRUST });
    for (const stage of ["headers", "body"] as const) {
      iam.hang({ operation: "GetRole", stage, times: 1 });
      // Only the client's own deadline ends it: before the headers the SDK says AbortError, in the body the stream is aborted.
      const err = await failure(client(A).send(new GetRoleCommand({ RoleName: "slow" }), { abortSignal: AbortSignal.timeout(300) }));
      expect(`${err.name}: ${err.message}`).toMatch(stage === "headers" ? /^AbortError/ : /aborted/);
    }
    expect((await client(A).send(new GetRoleCommand({ RoleName: "slow" }))).Role!.RoleName).toBe("slow");
  });

  it("a marker that never advances, for testing pagination guards", async () => {
    iam.putRole({ accountId: A, name: "looping", assumeRolePolicy: TRUST, inlinePolicies: { a: READ_ONLY, b: READ_ONLY, c: READ_ONLY } });
    iam.inject({ operation: "ListRolePolicies", loopMarker: true });
    const c = client(A);
    const first = await c.send(new ListRolePoliciesCommand({ RoleName: "looping" }));
    const second = await c.send(new ListRolePoliciesCommand({ RoleName: "looping", Marker: first.Marker! }));
    expect(second.IsTruncated).toBe(true);
    expect(second.Marker).toBe(first.Marker);
  });

  it("unknown keys are refused when there is no default account", async () => {
    const stranger = new IAMClient({ region: "us-east-1", credentials: { accessKeyId: "AKIASTRANGER0000000X", secretAccessKey: "x" }, maxAttempts: 1 });
    expect(await failure(stranger.send(new ListAttachedRolePoliciesCommand({ RoleName: "x" })))).toMatchObject({ name: "InvalidClientTokenId", status: 403 });
  });
});
