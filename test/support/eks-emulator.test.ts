import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListPodIdentityAssociationsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePodIdentityAssociationCommand,
  paginateListPodIdentityAssociations,
} from "@aws-sdk/client-eks";
import { startEksEmulator, type EksEmulator } from "./eks-emulator";

const A = "111111111111";
const B = "222222222222";
const ROLE = `arn:aws:iam::${A}:role/pod-identity`;
const TARGET = `arn:aws:iam::${B}:role/target`;

let emu: EksEmulator;
const saved = { ...process.env };

function client(accountId: string, region = "eu-west-1", extra: Partial<ConstructorParameters<typeof EKSClient>[0]> = {}): EKSClient {
  return new EKSClient({ region, credentials: emu.credentialsFor(accountId), maxAttempts: 1, ...extra });
}

beforeAll(async () => {
  emu = await startEksEmulator({ defaultAccountId: null });
  // The SDK's standard endpoint setting: no `endpoint` in client code.
  process.env.AWS_ENDPOINT_URL_EKS = emu.endpoint;
});
afterAll(async () => {
  process.env = saved;
  await emu.close();
});
afterEach(() => {
  emu.clearFaults();
  emu.resetCounts();
});

describe("EKS emulator over the real @aws-sdk/client-eks", () => {
  it("creates, describes, updates and deletes an association with the real shapes", async () => {
    emu.addCluster({ name: "crud", region: "eu-west-1", accountId: A });
    const eks = client(A);
    const created = await eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: "crud",
        namespace: "apps",
        serviceAccount: "web",
        roleArn: ROLE,
        targetRoleArn: TARGET,
        disableSessionTags: true,
        tags: { team: "a" },
      }),
    );
    const a = created.association!;
    expect(a.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(a.associationArn).toBe(`arn:aws:eks:eu-west-1:${A}:podidentityassociation/crud/${a.associationId}`);
    expect(a.createdAt).toBeInstanceOf(Date);
    expect(a.externalId).toBe(`eu-west-1/${A}/crud/apps/web`);
    expect(a.tags).toEqual({ team: "a" });

    const described = await eks.send(new DescribePodIdentityAssociationCommand({ clusterName: "crud", associationId: a.associationId! }));
    expect(described.association).toMatchObject({ namespace: "apps", serviceAccount: "web", roleArn: ROLE, targetRoleArn: TARGET, disableSessionTags: true });
    expect(described.association!.createdAt!.getTime()).toBe(a.createdAt!.getTime());

    const updated = await eks.send(
      new UpdatePodIdentityAssociationCommand({ clusterName: "crud", associationId: a.associationId!, disableSessionTags: false }),
    );
    expect(updated.association!.disableSessionTags).toBe(false);
    expect(updated.association!.externalId).toBeUndefined();
    expect(updated.association!.targetRoleArn).toBe(TARGET);
    const cleared = await eks.send(new UpdatePodIdentityAssociationCommand({ clusterName: "crud", associationId: a.associationId!, targetRoleArn: "" }));
    expect(cleared.association!.targetRoleArn).toBeUndefined();

    await eks.send(new TagResourceCommand({ resourceArn: a.associationArn!, tags: { env: "prod" } }));
    await eks.send(new UntagResourceCommand({ resourceArn: a.associationArn!, tagKeys: ["team"] }));
    expect((await eks.send(new ListTagsForResourceCommand({ resourceArn: a.associationArn! }))).tags).toEqual({ env: "prod" });

    const deleted = await eks.send(new DeletePodIdentityAssociationCommand({ clusterName: "crud", associationId: a.associationId! }));
    expect(deleted.association!.associationId).toBe(a.associationId);
    const gone = await eks.send(new DescribePodIdentityAssociationCommand({ clusterName: "crud", associationId: a.associationId! })).catch((e: unknown) => e);
    expect(gone).toMatchObject({ name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } });
    expect(emu.countsByOperation()).toEqual({
      CreatePodIdentityAssociation: 1,
      DescribePodIdentityAssociation: 2,
      UpdatePodIdentityAssociation: 2,
      TagResource: 1,
      UntagResource: 1,
      ListTagsForResource: 1,
      DeletePodIdentityAssociation: 1,
    });
  });

  it("answers a second association for the same service account with ResourceInUseException (409)", async () => {
    emu.addCluster({ name: "dup", region: "eu-west-1", accountId: A });
    const eks = client(A);
    const first = await eks.send(new CreatePodIdentityAssociationCommand({ clusterName: "dup", namespace: "n", serviceAccount: "s", roleArn: ROLE }));
    const err = await eks
      .send(new CreatePodIdentityAssociationCommand({ clusterName: "dup", namespace: "n", serviceAccount: "s", roleArn: ROLE }))
      .catch((e: unknown) => e as Error & { $metadata: { httpStatusCode: number } });
    expect(err).toMatchObject({ name: "ResourceInUseException", message: `Association already exists: ${first.association!.associationId}` });
    expect(err.$metadata.httpStatusCode).toBe(409);
  });

  it("rejects invalid parameters with InvalidParameterException (400)", async () => {
    emu.addCluster({ name: "inv", region: "eu-west-1", accountId: A });
    const eks = client(A);
    await expect(eks.send(new ListPodIdentityAssociationsCommand({ clusterName: "inv", maxResults: 101 }))).rejects.toMatchObject({
      name: "InvalidParameterException",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      eks.send(new CreatePodIdentityAssociationCommand({ clusterName: "inv", namespace: "n", serviceAccount: "s", roleArn: "not-an-arn" })),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(
      eks.send(new CreatePodIdentityAssociationCommand({ clusterName: "inv", namespace: "n", serviceAccount: "s", roleArn: ROLE, policy: "{}" })),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("paginates at maxResults with nextToken, filters, and returns summaries only", async () => {
    const ref = { name: "pages", region: "eu-west-1", accountId: A };
    emu.addCluster(ref);
    for (let i = 0; i < 250; i++) emu.createAssociation(ref, { namespace: i % 2 ? "odd" : "even", serviceAccount: `sa-${i}`, roleArn: ROLE });
    const eks = client(A);
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateListPodIdentityAssociations({ client: eks, pageSize: 100 }, { clusterName: "pages" })) {
      pages++;
      for (const s of page.associations ?? []) {
        ids.push(s.associationId!);
        expect(Object.keys(s).sort()).toEqual(["associationArn", "associationId", "clusterName", "namespace", "serviceAccount"]);
      }
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(250);
    expect(emu.count({ operation: "ListPodIdentityAssociations" })).toBe(3);

    const odd = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: "pages", namespace: "odd", maxResults: 100 }));
    expect(odd.associations).toHaveLength(100);
    expect(odd.nextToken).toBeDefined();
    const odd2 = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: "pages", namespace: "odd", maxResults: 100, nextToken: odd.nextToken }));
    expect(odd2.associations).toHaveLength(25);
    expect(odd2.nextToken).toBeUndefined();
    const one = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: "pages", namespace: "odd", serviceAccount: "sa-7" }));
    expect(one.associations!.map((s) => s.serviceAccount)).toEqual(["sa-7"]);
  });

  it("keys clusters by account and region from the SigV4 credential scope", async () => {
    emu.addCluster({ name: "same-name", region: "eu-west-1", accountId: A });
    emu.addCluster({ name: "same-name", region: "us-west-2", accountId: B });
    emu.createAssociation({ name: "same-name", region: "eu-west-1", accountId: A }, { namespace: "a", serviceAccount: "a", roleArn: ROLE });
    const inA = await client(A).send(new ListPodIdentityAssociationsCommand({ clusterName: "same-name" }));
    expect(inA.associations).toHaveLength(1);
    const inB = await client(B, "us-west-2").send(new ListPodIdentityAssociationsCommand({ clusterName: "same-name" }));
    expect(inB.associations).toHaveLength(0);
    await expect(client(B, "eu-west-1").send(new ListPodIdentityAssociationsCommand({ clusterName: "same-name" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    const stranger = new EKSClient({ region: "eu-west-1", credentials: { accessKeyId: "AKIAUNKNOWN", secretAccessKey: "x" }, maxAttempts: 1 });
    await expect(stranger.send(new ListPodIdentityAssociationsCommand({ clusterName: "same-name" }))).rejects.toMatchObject({
      name: "UnrecognizedClientException",
      $metadata: { httpStatusCode: 403 },
    });
    expect(emu.count({ accountId: A, region: "eu-west-1", outcome: "ok" })).toBe(1);
  });

  it("injects access denied, throttling, server errors and delays, and counts them", async () => {
    const ref = { name: "faulty", region: "eu-west-1", accountId: A };
    emu.addCluster(ref);
    const eks = client(A);
    const list = () => eks.send(new ListPodIdentityAssociationsCommand({ clusterName: "faulty" }));
    const undeny = emu.denyCluster(ref);
    await expect(list()).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
    undeny();
    emu.throttle(1, { cluster: "faulty" });
    await expect(list()).rejects.toMatchObject({ name: "ThrottlingException", $metadata: { httpStatusCode: 429 } });
    emu.serverErrors(1, { operation: "ListPodIdentityAssociations" });
    await expect(list()).rejects.toMatchObject({ name: "ServerException", $metadata: { httpStatusCode: 500 } });
    await expect(list()).resolves.toBeDefined();
    emu.delay(2_000, { cluster: "faulty", times: 1 });
    const slow = new EKSClient({
      region: "eu-west-1",
      credentials: emu.credentialsFor(A),
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    await expect(slow.send(new ListPodIdentityAssociationsCommand({ clusterName: "faulty" }))).rejects.toMatchObject({ name: "TimeoutError" });
    expect(emu.count({ outcome: "throttled" })).toBe(1);
    expect(emu.count({ outcome: "error" })).toBe(2);
    expect(emu.count({ cluster: "faulty", outcome: "ok" })).toBe(1);
  });

  it("enforces a per-account token-bucket rate limit with ThrottlingException", async () => {
    const refA = { name: "rl", region: "eu-west-1", accountId: A };
    const refB = { name: "rl", region: "eu-west-1", accountId: B };
    emu.addCluster(refA);
    emu.addCluster(refB);
    emu.setRateLimit(A, { rps: 1, burst: 5 });
    const eksA = client(A);
    const eksB = client(B);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => eksA.send(new ListPodIdentityAssociationsCommand({ clusterName: "rl" }))));
    const throttled = results.filter((r) => r.status === "rejected" && (r.reason as Error).name === "ThrottlingException").length;
    expect(throttled).toBeGreaterThanOrEqual(4);
    expect(throttled).toBeLessThanOrEqual(5);
    // Another account has its own budget.
    await expect(Promise.all(Array.from({ length: 10 }, () => eksB.send(new ListPodIdentityAssociationsCommand({ clusterName: "rl" }))))).resolves.toHaveLength(
      10,
    );
    emu.setRateLimit(A, null);
  });
});
