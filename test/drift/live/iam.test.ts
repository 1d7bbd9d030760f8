// readRoles over the IAM server, with the real @aws-sdk/client-iam configured only through the SDK's
// standard environment (AWS_ENDPOINT_URL_IAM, credentials in env, AWS_MAX_ATTEMPTS); reader roles are assumed
// through the EKS emulator's STS (AWS_ENDPOINT_URL_STS).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readRoles } from "../../../drift/live/iam";
import type { ApiCallEvent, LiveRole, RoleRead } from "../../../drift/model";
import { startEksEmulator, type EksEmulator } from "../../support/eks-emulator";
import { startIamServer, type IamServer } from "../../support/iam-server";

const A = "111111111111";
const B = "222222222222";
const TRUST =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}';
const READ = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ledger/*"}]}';
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const ADMIN_DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
const arn = (name: string) => `arn:aws:iam::${A}:role/pod-identity/${name}`;

let iam: IamServer;
let sts: EksEmulator;
/** When set, IAM answers from this account whatever the credentials (an endpoint or proxy that misroutes). */
let misrouteTo: string | undefined;
const saved = { ...process.env };

function role(r: RoleRead | undefined): LiveRole | null {
  if (!r || !r.ok) throw new Error(`expected a read role, got ${JSON.stringify(r)}`);
  return r.role;
}

beforeAll(async () => {
  sts = await startEksEmulator({ defaultAccountId: null });
  // Keys issued by STS for a reader role belong to that role's account.
  iam = await startIamServer({ defaultAccountId: null, maxPageSize: 2, accountOf: (k) => misrouteTo ?? sts.accountOf(k) });
  iam.putManagedPolicy(ADMIN, ADMIN_DOC);
  iam.putManagedPolicy("arn:aws:iam::aws:policy/ReadOnlyAccess", READ);
});
beforeEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  misrouteTo = undefined;
  const creds = sts.credentialsFor(A);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_IAM: iam.endpoint,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
  });
});
afterEach(() => {
  iam.clearFaults();
  iam.resetCounts();
});
afterAll(async () => {
  process.env = saved;
  await iam.close();
  await sts.close();
});

describe("readRoles", () => {
  it("reads each distinct role once, with the minimum calls, page by page, documents as IAM returned them", async () => {
    iam.putRole({
      accountId: A,
      name: "hub",
      path: "/pod-identity/",
      assumeRolePolicy: TRUST,
      inlinePolicies: { a: READ, b: READ, c: READ },
      managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
      permissionsBoundary: `arn:aws:iam::${A}:policy/boundary`,
    });
    const events: ApiCallEvent[] = [];
    const reads = await readRoles(
      [
        { arn: arn("hub"), expectedAttachments: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] },
        { arn: arn("hub"), expectedAttachments: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] },
      ],
      { onApiCall: (e) => events.push(e) },
    );
    expect(reads).toHaveLength(1);
    const r = role(reads[0])!;
    expect(r.roleId).toMatch(/^AROA/);
    expect(decodeURIComponent(r.assumeRolePolicy)).toBe(TRUST);
    expect(r.permissionsBoundary).toBe(`arn:aws:iam::${A}:policy/boundary`);
    expect(r.inlinePolicies.map((p) => [p.name, decodeURIComponent(p.document)])).toEqual([
      ["a", READ],
      ["b", READ],
      ["c", READ],
    ]);
    expect(r.attachments).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    expect(r.managedPolicies).toEqual({});
    // 3 inline policies at 2 per page: two ListRolePolicies pages.
    expect(iam.countsByOperation()).toEqual({ GetRole: 1, ListRolePolicies: 2, GetRolePolicy: 3, ListAttachedRolePolicies: 1 });
    expect(reads[0]!.calls).toBe(7);
    expect(events.filter((e) => e.outcome === "ok")).toHaveLength(7);
    expect(new Set(events.map((e) => `${e.accountId} ${e.region}`))).toEqual(new Set([`${A} us-east-1`]));
  });

  it("a deleted role is null; a policy deleted between list and get is gone, not an error", async () => {
    iam.putRole({ accountId: A, name: "racy", path: "/pod-identity/", assumeRolePolicy: TRUST, inlinePolicies: { keep: READ, vanish: READ } });
    iam.inject({ operation: "GetRolePolicy", error: "NoSuchEntity", roleName: "racy", times: 1, message: "The role policy with name keep cannot be found." });
    // A role is known missing only when read with credentials known to be of its account (here they say it).
    process.env.AWS_ACCOUNT_ID = A;
    const [gone, racy] = await readRoles([{ arn: arn("never-existed") }, { arn: arn("racy") }]);
    expect(role(gone)).toBeNull();
    expect(role(racy)!.inlinePolicies.map((p) => p.name)).toEqual(["vanish"]);
  });

  it("reads the documents of attachments that differ from state's, once per policy", async () => {
    iam.putRole({ accountId: A, name: "one", path: "/pod-identity/", assumeRolePolicy: TRUST, managedPolicyArns: [ADMIN] });
    iam.putRole({ accountId: A, name: "two", path: "/pod-identity/", assumeRolePolicy: TRUST, managedPolicyArns: [ADMIN] });
    iam.putRole({ accountId: A, name: "three", path: "/pod-identity/", assumeRolePolicy: TRUST });
    const reads = await readRoles([
      { arn: arn("one") },
      { arn: arn("two") },
      { arn: arn("three"), expectedAttachments: ["arn:aws:iam::aws:policy/ReadOnlyAccess", `arn:aws:iam::${A}:policy/deleted`] },
    ]);
    expect(role(reads[0])!.managedPolicies).toEqual({ [ADMIN]: { ok: true, document: expect.any(String) } });
    const admin = role(reads[1])!.managedPolicies[ADMIN]!;
    expect(admin.ok && decodeURIComponent(admin.document)).toBe(ADMIN_DOC);
    // Detached live: read to judge the removal; one that no longer exists is recorded as unreadable.
    expect(role(reads[2])!.managedPolicies).toEqual({
      "arn:aws:iam::aws:policy/ReadOnlyAccess": { ok: true, document: expect.any(String) },
      [`arn:aws:iam::${A}:policy/deleted`]: { ok: false, error: { code: "NoSuchEntityException", message: expect.stringContaining("does not exist") } },
    });
    expect(iam.countsByOperation()).toMatchObject({ GetPolicy: 3, GetPolicyVersion: 2 });
  });

  it("a role that cannot be read is an error; the others are still read", async () => {
    iam.putRole({ accountId: A, name: "secret", path: "/pod-identity/", assumeRolePolicy: TRUST });
    iam.putRole({ accountId: A, name: "open", path: "/pod-identity/", assumeRolePolicy: TRUST });
    iam.deny({ roleName: "secret", operation: "ListRolePolicies" });
    const [secret, open] = await readRoles([{ arn: arn("secret") }, { arn: arn("open") }]);
    expect(secret).toMatchObject({ ok: false, error: { code: "AccessDenied", message: expect.stringContaining("iam:ListRolePolicies") } });
    expect(role(open)).not.toBeNull();
  });

  it("throttling is retried and paced; past the attempts it is the role's error", async () => {
    iam.putRole({ accountId: A, name: "busy", path: "/pod-identity/", assumeRolePolicy: TRUST });
    iam.throttle(2, { operation: "GetRole" });
    expect(role((await readRoles([{ arn: arn("busy") }]))[0])).not.toBeNull();
    expect(iam.count({ outcome: "throttled" })).toBe(2);
    process.env.AWS_MAX_ATTEMPTS = "2";
    iam.throttle(5, { operation: "GetRole" });
    expect((await readRoles([{ arn: arn("busy") }]))[0]).toMatchObject({ ok: false, error: { code: "Throttling" } });
  });

  it("a listing whose Marker never advances ends with an error after a bounded number of calls", async () => {
    iam.putRole({ accountId: A, name: "loop", path: "/pod-identity/", assumeRolePolicy: TRUST, inlinePolicies: { a: READ, b: READ, c: READ } });
    iam.inject({ operation: "ListRolePolicies", loopMarker: true });
    const [r] = await readRoles([{ arn: arn("loop") }]);
    expect(r).toMatchObject({ ok: false, error: { code: "PaginationLoop", message: expect.stringContaining("Marker it had returned before") } });
    expect(iam.count({ operation: "ListRolePolicies" })).toBe(2);
  });

  describe("each role is read from its own account", () => {
    const inB = `arn:aws:iam::${B}:role/pod-identity/ledger`;
    const WIDE = TRUST.replace('{"Service":"pods.eks.amazonaws.com"}', '{"AWS":"arn:aws:iam::999999999999:root"}');
    beforeEach(() => {
      // The caller's account A has a role of the same name and path as B's, which now trusts a foreign account.
      iam.putRole({ accountId: A, name: "ledger", path: "/pod-identity/", assumeRolePolicy: TRUST });
      iam.putRole({ accountId: B, name: "ledger", path: "/pod-identity/", assumeRolePolicy: WIDE });
    });

    it("with no reader role for the account, a same-named role of the caller's account is an error, not the role", async () => {
      const [r] = await readRoles([{ arn: inB }]);
      expect(r).toMatchObject({ ok: false, error: { code: "NoReaderForAccount" } });
      const message = r!.ok ? "" : r!.error.message;
      expect(message).toContain(`GetRole returned arn:aws:iam::${A}:role/pod-identity/ledger`);
      expect(message).toContain(`no reader role is configured for account ${B}: add one under accounts in the drift config`);
      expect(iam.countsByOperation()).toEqual({ GetRole: 1 }); // nothing more is read from the wrong account
    });

    it("with no reader role for the account, a role not found by the default credentials is an error, not missing", async () => {
      const [r] = await readRoles([{ arn: `arn:aws:iam::${B}:role/pod-identity/only-in-b` }]);
      expect(r).toMatchObject({
        ok: false,
        error: { code: "NoReaderForAccount", message: expect.stringContaining("do not say their account (AWS_ACCOUNT_ID)") },
      });
    });

    it("default credentials that say their account are not used for another account's role at all", async () => {
      process.env.AWS_ACCOUNT_ID = A;
      const [r] = await readRoles([{ arn: inB }]);
      expect(r).toMatchObject({
        ok: false,
        error: {
          code: "NoReaderForAccount",
          message: `the default credentials are of account ${A}; no reader role is configured for account ${B}: add one under accounts in the drift config (see docs/drift.md)`,
        },
      });
      expect(iam.count()).toBe(0);
    });

    it("with a reader role for the account, the role is read from that account", async () => {
      const [r] = await readRoles([{ arn: inB }], { accountReaders: { [B]: { roleArn: `arn:aws:iam::${B}:role/drift-reader` } } });
      expect(decodeURIComponent(role(r)!.assumeRolePolicy)).toBe(WIDE);
      expect(iam.count({ accountId: B, operation: "GetRole" })).toBe(1);
      expect(iam.count({ accountId: A })).toBe(0);
    });

    it("a reader role of another account than the one it is configured for is an error, without a read", async () => {
      const [r] = await readRoles([{ arn: inB }], { accountReaders: { [B]: { roleArn: `arn:aws:iam::${A}:role/drift-reader` } } });
      expect(r).toMatchObject({ ok: false, error: { code: "ReaderOfAnotherAccount", message: expect.stringContaining(`is of account ${A}`) } });
      expect(iam.count()).toBe(0);
    });

    it("a GetRole answer with another account's ARN is an error, even through the account's reader role", async () => {
      misrouteTo = A;
      const [r] = await readRoles([{ arn: inB }], { accountReaders: { [B]: { roleArn: `arn:aws:iam::${B}:role/drift-reader` } } });
      expect(r).toMatchObject({
        ok: false,
        error: { code: "RoleArnMismatch", message: `GetRole returned arn:aws:iam::${A}:role/pod-identity/ledger, not this role` },
      });
      expect(iam.countsByOperation()).toEqual({ GetRole: 1 });
    });

    it("a role of the same name at another path is not this role", async () => {
      process.env.AWS_ACCOUNT_ID = A;
      const [r] = await readRoles([{ arn: `arn:aws:iam::${A}:role/elsewhere/ledger` }]);
      expect(r).toMatchObject({ ok: false, error: { code: "RoleArnMismatch", message: expect.stringContaining(arn("ledger")) } });
    });

    it("the default credentials read a role of their own account, whether or not they say it", async () => {
      expect(decodeURIComponent(role((await readRoles([{ arn: arn("ledger") }]))[0])!.assumeRolePolicy)).toBe(TRUST);
      process.env.AWS_ACCOUNT_ID = A;
      expect(decodeURIComponent(role((await readRoles([{ arn: arn("ledger") }]))[0])!.assumeRolePolicy)).toBe(TRUST);
    });
  });

  it("not a role ARN is an error for that entry, without a call", async () => {
    const [r] = await readRoles([{ arn: `arn:aws:iam::${A}:user/someone` }]);
    expect(r).toMatchObject({ ok: false, error: { code: "InvalidRoleArn" } });
    expect(iam.count()).toBe(0);
  });
});
