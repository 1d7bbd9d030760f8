// scanClusters over the EKS emulator, with the real @aws-sdk/client-eks configured only through the SDK's
// standard environment (AWS_ENDPOINT_URL_EKS / _STS, credentials in env, AWS_MAX_ATTEMPTS, AWS_RETRY_MODE).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EksClientPool, retrySettings, scanClusters } from "../../../drift/live";
import type { ApiCallEvent, ClusterScan, LiveAssociation } from "../../../drift/model";
import { startEksEmulator, type EksEmulator } from "../../support/eks-emulator";

const HUB = "999999999999"; // the account of the default credentials
const A = "111111111111";
const B = "222222222222";
const REGION = "eu-west-1";
const role = (acct: string, name: string) => `arn:aws:iam::${acct}:role/${name}`;

let emu: EksEmulator;
const saved = { ...process.env };

function ok(s: ClusterScan | undefined): readonly LiveAssociation[] {
  if (!s || !s.ok) throw new Error(`expected ok scan, got ${JSON.stringify(s)}`);
  return s.associations;
}

function seed(acct: string, name: string, n: number, region = REGION): void {
  emu.addCluster({ name, region, accountId: acct });
  for (let i = 0; i < n; i++) {
    emu.createAssociation({ name, region, accountId: acct }, { namespace: `ns-${i % 3}`, serviceAccount: `sa-${i}`, roleArn: role(acct, `r${i}`) });
  }
}

beforeAll(async () => {
  emu = await startEksEmulator({ defaultAccountId: null });
});
beforeEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  const hub = emu.credentialsFor(HUB);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_EKS: emu.endpoint,
    AWS_ENDPOINT_URL_STS: emu.endpoint,
    AWS_ACCESS_KEY_ID: hub.accessKeyId,
    AWS_SECRET_ACCESS_KEY: hub.secretAccessKey,
    AWS_REGION: REGION,
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
  });
});
afterEach(() => {
  emu.clearFaults();
  emu.resetCounts();
});
afterAll(async () => {
  process.env = saved;
  await emu.close();
});

describe("scanClusters", () => {
  it("pages 250 associations in 3 lists + 250 describes, counted, with every field", async () => {
    seed(HUB, "big", 250);
    const ref = { name: "big", region: REGION, accountId: HUB };
    const first = emu.associations(ref)[0]!;
    emu.updateAssociation(ref, first.associationId, {
      targetRoleArn: role(B, "target"),
      disableSessionTags: true,
      tags: { team: "x" },
      ownerArn: "arn:aws:eks:eu-west-1:999999999999:addon/big/x/y",
    });
    const events: ApiCallEvent[] = [];
    const [scan] = await scanClusters([ref], { onApiCall: (e) => events.push(e) });
    const live = ok(scan);
    expect(live).toHaveLength(250);
    expect(live.map((a) => a.serviceAccount)).toEqual(Array.from({ length: 250 }, (_, i) => `sa-${i}`));
    expect(scan!.apiCalls).toBe(253);
    expect(emu.countsByOperation()).toEqual({ ListPodIdentityAssociations: 3, DescribePodIdentityAssociation: 250 });
    expect(events.filter((e) => e.operation === "ListPodIdentityAssociations")).toHaveLength(3);
    expect(events.filter((e) => e.operation === "DescribePodIdentityAssociation")).toHaveLength(250);
    expect(events[0]).toEqual({ operation: "ListPodIdentityAssociations", region: REGION, accountId: HUB, cluster: "big", outcome: "ok" });
    const stored = emu.getAssociation(ref, first.associationId)!;
    expect(live[0]).toEqual({
      clusterName: "big",
      region: REGION,
      accountId: HUB,
      namespace: "ns-0",
      serviceAccount: "sa-0",
      associationId: first.associationId,
      associationArn: first.associationArn,
      roleArn: role(HUB, "r0"),
      targetRoleArn: role(B, "target"),
      disableSessionTags: true,
      externalId: `${REGION}/${HUB}/big/ns-0/sa-0`,
      ownerArn: "arn:aws:eks:eu-west-1:999999999999:addon/big/x/y",
      tags: { team: "x" },
      createdAt: stored.createdAt,
      modifiedAt: stored.modifiedAt,
    });
  });

  it("returns an empty cluster as ok with one list call", async () => {
    seed(HUB, "empty", 0);
    const [scan] = await scanClusters([{ name: "empty", region: REGION, accountId: HUB }]);
    expect(ok(scan)).toEqual([]);
    expect(scan!.apiCalls).toBe(1);
  });

  it("routes each account through its reader role's credentials (STS AssumeRole), one client per account and region", async () => {
    seed(A, "alpha", 3);
    seed(B, "beta", 2);
    seed(B, "beta-2", 1);
    emu.setRoleTrust(role(B, "drift-reader"), { externalId: "ext-b" });
    const clusters = [
      { name: "alpha", region: REGION, accountId: A },
      { name: "beta", region: REGION, accountId: B },
      { name: "beta-2", region: REGION, accountId: B },
    ];
    const events: ApiCallEvent[] = [];
    const scans = await scanClusters(clusters, {
      accountReaders: { [A]: { roleArn: role(A, "drift-reader") }, [B]: { roleArn: role(B, "drift-reader"), externalId: "ext-b" } },
      onApiCall: (e) => events.push(e),
    });
    expect(scans.map((s) => ok(s).length)).toEqual([3, 2, 1]);
    expect(scans.map((s) => s.apiCalls)).toEqual([4, 3, 2]);
    // The calls reached each cluster with that account's credentials.
    expect(emu.count({ accountId: A, operation: "ListPodIdentityAssociations" })).toBe(1);
    expect(emu.count({ accountId: B, operation: "ListPodIdentityAssociations" })).toBe(2);
    expect(emu.count({ operation: "AssumeRole" })).toBe(2);
    expect(
      events
        .filter((e) => e.operation === "AssumeRole")
        .map((e) => e.accountId)
        .sort(),
    ).toEqual([A, B]);

    // Without reader roles the default credentials (another account) cannot see them.
    const [viaDefault] = await scanClusters([clusters[0]!]);
    expect(viaDefault).toMatchObject({ ok: false, error: { code: "ResourceNotFoundException" } });

    // A reader role whose trust refuses the external id fails that account only.
    const refused = await scanClusters(clusters, {
      accountReaders: { [A]: { roleArn: role(A, "drift-reader") }, [B]: { roleArn: role(B, "drift-reader"), externalId: "wrong" } },
    });
    expect(refused.map((s) => (s.ok ? "ok" : s.error.code))).toEqual(["ok", "AccessDenied", "AccessDenied"]);
  });

  it("fails only the cluster whose access is denied", async () => {
    seed(HUB, "open-1", 2);
    seed(HUB, "locked", 2);
    seed(HUB, "open-2", 2);
    emu.denyCluster({ name: "locked", region: REGION, accountId: HUB });
    const scans = await scanClusters(["open-1", "locked", "open-2"].map((name) => ({ name, region: REGION, accountId: HUB })));
    expect(scans.map((s) => (s.ok ? s.associations.length : s.error.code))).toEqual([2, "AccessDeniedException", 2]);
    const locked = scans[1]!;
    expect(locked.apiCalls).toBe(1); // not retried, nothing partial
    expect(locked.ok ? "" : locked.error.message).toMatch(/not authorized to perform: eks:ListPodIdentityAssociations/);
  });

  it("reports a cluster that does not exist as ResourceNotFoundException", async () => {
    const [scan] = await scanClusters([{ name: "ghost", region: REGION, accountId: HUB }]);
    expect(scan).toMatchObject({ ok: false, error: { code: "ResourceNotFoundException" }, apiCalls: 1 });
  });

  it("treats an association deleted between list and describe as gone", async () => {
    seed(HUB, "churn", 5);
    emu.inject({ operation: "DescribePodIdentityAssociation", cluster: "churn", error: "ResourceNotFoundException", times: 1 });
    const [scan] = await scanClusters([{ name: "churn", region: REGION, accountId: HUB }]);
    expect(ok(scan)).toHaveLength(4);
    expect(scan!.apiCalls).toBe(6);
  });

  it("counts every throttled attempt and retries it (standard mode by default)", async () => {
    seed(HUB, "stormy", 40);
    emu.throttle(4, { cluster: "stormy", operation: "DescribePodIdentityAssociation" });
    const events: ApiCallEvent[] = [];
    const [scan] = await scanClusters([{ name: "stormy", region: REGION, accountId: HUB }], { onApiCall: (e) => events.push(e) });
    expect(ok(scan)).toHaveLength(40);
    expect(events.filter((e) => e.outcome === "throttled")).toHaveLength(4);
    expect(events.filter((e) => e.outcome === "ok")).toHaveLength(41);
    expect(scan!.apiCalls).toBe(45);
    expect(emu.count({ cluster: "stormy" })).toBe(45);
  }, 60_000);

  it("rides out a throttling storm from a per-account rate limit", async () => {
    seed(HUB, "limited", 100);
    emu.setRateLimit(HUB, { rps: 30 });
    try {
      const [scan] = await scanClusters([{ name: "limited", region: REGION, accountId: HUB }]);
      expect(ok(scan)).toHaveLength(100);
      const throttled = emu.count({ cluster: "limited", outcome: "throttled" });
      expect(throttled).toBeGreaterThan(0);
      expect(scan!.apiCalls).toBe(101 + throttled);
    } finally {
      emu.setRateLimit(HUB, null);
    }
  }, 60_000);

  it("fails a cluster throttled past the retries the user allows (AWS_MAX_ATTEMPTS wins)", async () => {
    seed(HUB, "throttled", 3);
    process.env.AWS_MAX_ATTEMPTS = "2";
    process.env.AWS_RETRY_MODE = "standard";
    emu.throttle(Infinity, { cluster: "throttled" });
    const [scan] = await scanClusters([{ name: "throttled", region: REGION, accountId: HUB }]);
    expect(scan).toMatchObject({ ok: false, error: { code: "ThrottlingException" }, apiCalls: 2 });
  });

  it("retries 500s, and fails the cluster when they persist", async () => {
    seed(HUB, "flaky", 10);
    emu.serverErrors(3, { cluster: "flaky", operation: "DescribePodIdentityAssociation" });
    const events: ApiCallEvent[] = [];
    const [scan] = await scanClusters([{ name: "flaky", region: REGION, accountId: HUB }], { onApiCall: (e) => events.push(e) });
    expect(ok(scan)).toHaveLength(10);
    expect(events.filter((e) => e.outcome === "error")).toHaveLength(3);
    expect(scan!.apiCalls).toBe(14);

    process.env.AWS_MAX_ATTEMPTS = "3";
    emu.serverErrors(Infinity, { cluster: "flaky", operation: "ListPodIdentityAssociations" });
    const [broken] = await scanClusters([{ name: "flaky", region: REGION, accountId: HUB }]);
    expect(broken).toMatchObject({ ok: false, error: { code: "ServerException" }, apiCalls: 3 });
  });

  it("fails a cluster whose responses are slower than the request timeout", async () => {
    seed(HUB, "slow", 2);
    seed(HUB, "fast", 2);
    process.env.AWS_MAX_ATTEMPTS = "2";
    emu.delay(3_000, { cluster: "slow" });
    const scans = await scanClusters(
      [
        { name: "slow", region: REGION, accountId: HUB },
        { name: "fast", region: REGION, accountId: HUB },
      ],
      { requestTimeoutMs: 150 },
    );
    expect(scans[0]).toMatchObject({ ok: false, error: { code: "TimeoutError" }, apiCalls: 2 });
    expect(ok(scans[1])).toHaveLength(2);
  });

  it("bounds requests in flight per account and region", async () => {
    seed(HUB, "c1", 30);
    seed(HUB, "c2", 30);
    emu.delay(15, { operation: "DescribePodIdentityAssociation" });
    const scans = await scanClusters(
      ["c1", "c2"].map((name) => ({ name, region: REGION, accountId: HUB })),
      { perAccountRegionConcurrency: 4, describeConcurrency: 10, clusterConcurrency: 2 },
    );
    expect(scans.every((s) => s.ok)).toBe(true);
    expect(emu.maxInFlight(HUB)).toBeLessThanOrEqual(4);
    expect(emu.maxInFlight(HUB)).toBeGreaterThan(1);
  });

  it("rejects when aborted", async () => {
    seed(HUB, "abortable", 5);
    emu.delay(2_000, { cluster: "abortable" });
    const ac = new AbortController();
    const p = scanClusters([{ name: "abortable", region: REGION, accountId: HUB }], { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("shutting down")), 50);
    await expect(p).rejects.toThrow("shutting down");
  });
});

describe("deadlines, endless listings and malformed responses: each fails its cluster, the others are read", () => {
  const ref = (name: string) => ({ name, region: REGION, accountId: HUB });
  const failed = (s: ClusterScan | undefined) => {
    if (!s || s.ok) throw new Error(`expected a failed scan, got ${JSON.stringify(s)}`);
    return s;
  };
  beforeEach(() => {
    process.env.AWS_MAX_ATTEMPTS = "2";
  });

  it.each([
    ["a body that stalls after the headers", "stall-body", /^the response body was not complete within 0\.2 s \(scan\.requestTimeoutSeconds\); 2 attempts$/],
    ["no response at all (a hang before the headers)", "hang", /^no response within 0\.2 s \(scan\.requestTimeoutSeconds\); 2 attempts$/],
  ] as const)("%s: every attempt ends at the request deadline and is retried, then TimeoutError", async (_name, http, message) => {
    seed(HUB, `stall-${http}`, 3);
    seed(HUB, `fine-${http}`, 3);
    emu.inject({ cluster: `stall-${http}`, operation: "DescribePodIdentityAssociation", http });
    const [bad, good] = await scanClusters([ref(`stall-${http}`), ref(`fine-${http}`)], { requestTimeoutMs: 200, describeConcurrency: 1 });
    expect(failed(bad).error).toEqual({ code: "TimeoutError", message: expect.stringMatching(message) });
    expect(emu.count({ cluster: `stall-${http}`, operation: "DescribePodIdentityAssociation" })).toBe(2); // one describe, both attempts; the others never sent
    expect(ok(good)).toHaveLength(3);
  });

  it("a reset connection is retried, then fails the cluster", async () => {
    seed(HUB, "reset", 2);
    emu.inject({ cluster: "reset", operation: "ListPodIdentityAssociations", http: "reset" });
    const scan = failed((await scanClusters([ref("reset")]))[0]);
    expect(scan.error.code).toBe("TimeoutError"); // the SDK's name for ECONNRESET, a transient error
    expect(scan.apiCalls).toBe(2);
  });

  it.each([
    ["a body cut short", { http: "malformed-json" as const }, /^the response body is not valid JSON/],
    ["valid JSON without the association", { body: "{}" }, /^DescribePodIdentityAssociation returned no association$/],
    [
      "an association without its role",
      { body: JSON.stringify({ association: { associationId: "a-x", namespace: "n", serviceAccount: "s", createdAt: 1 } }) },
      /without roleArn$/,
    ],
  ])("a malformed response (%s) fails the cluster, not retried", async (_name, fault, message) => {
    seed(HUB, "odd", 2);
    emu.inject({ cluster: "odd", operation: "DescribePodIdentityAssociation", times: 1, ...fault });
    const scan = failed((await scanClusters([ref("odd")], { describeConcurrency: 1 }))[0]);
    expect(scan.error).toEqual({ code: "MalformedResponse", message: expect.stringMatching(message) });
    expect(scan.apiCalls).toBe(2); // the list and the one describe
    emu.clearFaults();
    emu.removeCluster(ref("odd"));
  });

  it("the call deadline ends a call whose attempts and backoff would take longer", async () => {
    seed(HUB, "slow-call", 1);
    process.env.AWS_MAX_ATTEMPTS = "10";
    emu.inject({ cluster: "slow-call", operation: "ListPodIdentityAssociations", http: "hang" });
    const scan = failed((await scanClusters([ref("slow-call")], { requestTimeoutMs: 200, callTimeoutMs: 500 }))[0]);
    expect(scan.error).toEqual({
      code: "CallTimeout",
      message: "ListPodIdentityAssociations did not complete, retries included, within 0.5 s (scan.callTimeoutSeconds)",
    });
    expect(scan.apiCalls).toBeGreaterThanOrEqual(2);
    expect(scan.apiCalls).toBeLessThan(10);
  });

  it("the cluster deadline ends a scan whose calls each finish in time", async () => {
    seed(HUB, "crawl", 6);
    seed(HUB, "quick", 2);
    emu.delay(150, { cluster: "crawl", operation: "DescribePodIdentityAssociation" });
    const [slow, quick] = await scanClusters([ref("crawl"), ref("quick")], { describeConcurrency: 1, clusterTimeoutMs: 400 });
    expect(failed(slow).error).toEqual({
      code: "ClusterTimeout",
      message: "the scan of the cluster did not complete within 0.4 s (scan.clusterTimeoutSeconds)",
    });
    expect(emu.count({ cluster: "crawl", operation: "DescribePodIdentityAssociation" })).toBeLessThan(6);
    expect(ok(quick)).toHaveLength(2);
  });

  it.each([
    ["the same nextToken again", "repeat" as const, 2, /returned a nextToken it had returned before \(page 2\)/],
    ["two nextTokens in turn (A, B, A)", "cycle" as const, 3, /returned a nextToken it had returned before \(page 3\)/],
    ["a new nextToken on every page", "endless" as const, 51, /returned more than 51 pages/],
  ])("a listing that would never end (%s) stops after a bounded number of list calls: PaginationLoop", async (_name, nextToken, lists, message) => {
    const name = `loop-${nextToken}`;
    seed(HUB, name, 3);
    emu.inject({ cluster: name, operation: "ListPodIdentityAssociations", nextToken });
    const scan = failed((await scanClusters([ref(name)]))[0]);
    expect(scan.error).toEqual({ code: "PaginationLoop", message: expect.stringMatching(message) });
    expect(emu.count({ cluster: name, operation: "ListPodIdentityAssociations" })).toBe(lists);
  });

  it("a reader role whose STS endpoint hangs: STS's own attempts end at the request deadline, and the error names the role", async () => {
    seed(A, "sts-hang", 1);
    emu.inject({ operation: "AssumeRole", http: "hang" });
    const scan = failed(
      (
        await scanClusters([{ name: "sts-hang", region: REGION, accountId: A }], {
          accountReaders: { [A]: { roleArn: role(A, "reader") } },
          requestTimeoutMs: 200,
          callTimeoutMs: 1_000,
        })
      )[0],
    );
    expect(scan.error).toEqual({
      code: "TimeoutError",
      message: expect.stringMatching(/^reader role arn:aws:iam::111111111111:role\/reader: no response within 0\.2 s \(scan\.requestTimeoutSeconds\)/),
    });
    expect(emu.count({ operation: "AssumeRole" })).toBeLessThanOrEqual(5);
  });
});

describe("pacing per account and region", () => {
  const minimum = (clusters: number, perCluster: number) => clusters * (Math.max(1, Math.ceil(perCluster / 100)) + perCluster);

  it("at a configured rate equal to the quota, scans several accounts with no throttle and exactly the minimum calls", async () => {
    const accounts = [A, B, "333333333333"];
    const clusters = accounts.flatMap((acct) =>
      ["p", "q"].map((c) => {
        seed(acct, `paced-${c}-${acct}`, 120);
        return { name: `paced-${c}-${acct}`, region: REGION, accountId: acct };
      }),
    );
    for (const acct of accounts) emu.setRateLimit(acct, { rps: 100 });
    try {
      const pool = new EksClientPool({
        accountReaders: Object.fromEntries(accounts.map((a) => [a, { roleArn: role(a, "paced-reader") }])),
        requestsPerSecond: 100,
      });
      const scans = await scanClusters(clusters, { clients: pool });
      expect(scans.map((s) => ok(s).length)).toEqual([120, 120, 120, 120, 120, 120]);
      expect(emu.count({ outcome: "throttled" })).toBe(0);
      for (const acct of accounts) expect(emu.count({ accountId: acct })).toBe(minimum(2, 120));
      expect(pool.pacer(A, REGION)?.currentRate).toBe(100);
      pool.destroy();
    } finally {
      for (const acct of accounts) emu.setRateLimit(acct, null);
    }
  }, 60_000);

  it("without a rate, survives a throttling quota with calls within 2% of the minimum, then paces near the quota", async () => {
    seed(HUB, "adaptive", 1_000);
    emu.setRateLimit(HUB, { rps: 200 });
    try {
      const pool = new EksClientPool();
      const events: ApiCallEvent[] = [];
      const [scan] = await scanClusters([{ name: "adaptive", region: REGION, accountId: HUB }], { clients: pool, onApiCall: (e) => events.push(e) });
      expect(ok(scan)).toHaveLength(1_000);
      const min = minimum(1, 1_000);
      const calls = emu.count({ cluster: "adaptive" });
      const throttled = emu.count({ cluster: "adaptive", outcome: "throttled" });
      expect(throttled).toBeGreaterThan(0); // the quota was hit: the pacer learned from it
      expect(calls).toBe(min + throttled); // every extra call is a retried throttle, no failure
      expect(calls).toBeLessThanOrEqual(Math.floor(min * 1.02));
      expect(events.filter((e) => e.outcome === "throttled")).toHaveLength(throttled);
      const rate = pool.pacer(HUB, REGION)?.currentRate;
      expect(rate).toBeGreaterThan(100);
      expect(rate).toBeLessThan(260);
      pool.destroy();
    } finally {
      emu.setRateLimit(HUB, null);
    }
  }, 60_000);
});

describe("retrySettings", () => {
  const retryModeOf = async (pool: EksClientPool) => ((await pool.get(HUB, REGION).config.retryStrategy()) as { mode?: string }).mode;

  it("uses standard retries unless the user's environment says otherwise", () => {
    expect(retrySettings({})).toEqual({ retryMode: "standard", maxAttempts: 10 });
    expect(retrySettings({ AWS_RETRY_MODE: "adaptive" })).toEqual({ maxAttempts: 10 });
    expect(retrySettings({ AWS_MAX_ATTEMPTS: "3" })).toEqual({ retryMode: "standard" });
  });

  it("gives clients the standard strategy by default, and the SDK's adaptive one when AWS_RETRY_MODE=adaptive (our adaptive pacer then stands aside)", async () => {
    const byDefault = new EksClientPool();
    expect(await retryModeOf(byDefault)).toBe("standard");
    byDefault.pacer(HUB, REGION)!.record("throttled");
    expect(byDefault.pacer(HUB, REGION)!.currentRate).toBe(1); // throttled before any success: the floor
    byDefault.destroy();

    process.env.AWS_RETRY_MODE = "adaptive";
    const adaptive = new EksClientPool();
    expect(await retryModeOf(adaptive)).toBe("adaptive");
    adaptive.pacer(HUB, REGION)!.record("throttled");
    expect(adaptive.pacer(HUB, REGION)!.currentRate).toBeUndefined();
    adaptive.destroy();

    // A configured rate still applies under the user's adaptive mode.
    const paced = new EksClientPool({ requestsPerSecond: 7 });
    paced.get(HUB, REGION);
    expect(paced.pacer(HUB, REGION)!.currentRate).toBe(7);
    paced.destroy();
  });

  it("scans through throttles with the user's AWS_RETRY_MODE=adaptive", async () => {
    seed(HUB, "user-adaptive", 20);
    process.env.AWS_RETRY_MODE = "adaptive";
    emu.throttle(3, { cluster: "user-adaptive", operation: "DescribePodIdentityAssociation" });
    const [scan] = await scanClusters([{ name: "user-adaptive", region: REGION, accountId: HUB }]);
    expect(ok(scan)).toHaveLength(20);
    expect(scan!.apiCalls).toBe(24);
  }, 60_000);
});
