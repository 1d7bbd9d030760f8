// runCheck in-process over the EKS emulator and the S3 server, through the real AWS SDK clients.
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCheck } from "../../../drift/check";
import { parseDriftConfig } from "../../../drift/config/load";
import { SqliteHistoryStore as HistoryStore } from "../../../drift/history/sqlite";
import type { ApiCallEvent } from "../../../drift/model";
import { PROD, REGION, STAGING, role, seed, startWorld, stateFor, writeFile, type World } from "../support/world";

let world: World;
const T = new Date("2026-03-01T12:00:00Z");
const LATER = new Date("2026-03-02T12:00:00Z");

beforeAll(async () => {
  world = await startWorld();
  Object.assign(process.env, world.env, { AWS_EC2_METADATA_DISABLED: "true", AWS_MAX_ATTEMPTS: "2" });
});
afterAll(async () => {
  await world.close();
});

const config = (data: Record<string, unknown> = {}, name = "h.db") => parseDriftConfig({ history: { path: name }, ...data }, undefined, world.dir);

describe("runCheck", () => {
  let assocs: ReturnType<typeof seed>;
  beforeEach(() => {
    for (const c of [PROD, STAGING]) for (const a of world.eks.associations(c)) world.eks.deleteAssociation(c, a.associationId);
    assocs = seed(world.eks, T);
    world.eks.resetCounts();
  });

  it("reads local state, lists and describes each association once, and reports them in sync", async () => {
    writeFile(world.dir, "in-sync.tfstate", stateFor(assocs));
    const events: ApiCallEvent[] = [];
    const r = await runCheck({ config: config({ state: ["in-sync.tfstate"] }, "sync.db"), now: LATER, onApiCall: (e) => events.push(e) });
    expect(r.report.complete).toBe(true);
    expect(r.report.summary).toMatchObject({ managed: 3, inSync: 3, errors: 0 });
    expect(r.report.findings.filter((f) => !f.informational)).toEqual([]);
    expect(world.eks.countsByOperation()).toEqual({ ListPodIdentityAssociations: 2, DescribePodIdentityAssociation: 3 });
    expect(r.apiCalls).toBe(5);
    expect(events.filter((e) => e.operation === "DescribePodIdentityAssociation")).toHaveLength(3);
    expect(r.associationsByCluster).toEqual({ "prod-eu": 2, "staging-eu": 1 });
    expect(r.report.scope?.clusters.map((c) => [c.name, c.ok, c.associations])).toEqual([
      ["prod-eu", true, 2],
      ["staging-eu", true, 1],
    ]);
  });

  it("reads state from S3 and scans the config's extra clusters", async () => {
    await world.s3.putObject("tf-state", "pod-identity/terraform.tfstate", stateFor(assocs.filter((a) => a.clusterName === "prod-eu")));
    const r = await runCheck({
      config: config({ state: ["s3://tf-state/pod-identity/terraform.tfstate"], clusters: [{ name: "staging-eu", region: REGION }] }, "s3.db"),
      now: LATER,
    });
    expect(r.report.complete).toBe(true);
    expect(r.report.findings.filter((f) => !f.informational).map((f) => [f.kind, f.cluster, f.namespace, f.serviceAccount])).toEqual([
      ["unmanaged", "staging-eu", "payments", "api"],
    ]);
  });

  it("--state replaces the config's sources", async () => {
    writeFile(world.dir, "only-staging.tfstate", stateFor(assocs.slice(2)));
    const r = await runCheck({
      config: config({ state: ["does-not-exist.tfstate"] }, "override.db"),
      stateUris: [join(world.dir, "only-staging.tfstate")],
      now: LATER,
    });
    expect(r.report.complete).toBe(true);
    expect(r.report.summary.managed).toBe(1);
  });

  it("uses an open store it is given and leaves it open; records one run per check", async () => {
    writeFile(world.dir, "store.tfstate", stateFor(assocs));
    const store = HistoryStore.open(join(world.dir, "given.db"));
    await runCheck({ config: config({ state: ["store.tfstate"] }), history: store, now: LATER });
    world.eks.updateAssociation(PROD, assocs[0]!.associationId, { roleArn: role("other"), modifiedAt: new Date(LATER.getTime() + 60_000) });
    const r = await runCheck({ config: config({ state: ["store.tfstate"] }), history: store, now: new Date(LATER.getTime() + 120_000) });
    expect(store.isOpen).toBe(true);
    expect(store.runs()).toHaveLength(2);
    const pending = r.report.findings.find((f) => f.kind === "cache-pending")!;
    expect(pending.detail).toMatch(/59m of the previous configuration \(with a target role\), from history/);
    store.close();
  });

  it("an aborted check rejects and records nothing", async () => {
    writeFile(world.dir, "abort.tfstate", stateFor(assocs));
    world.eks.delay(2000, { operation: "DescribePodIdentityAssociation" });
    const store = HistoryStore.open(join(world.dir, "abort.db"));
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("stopping")), 200);
    await expect(runCheck({ config: config({ state: ["abort.tfstate"] }), history: store, signal: ac.signal })).rejects.toThrow();
    expect(store.runs()).toEqual([]);
    store.close();
    world.eks.clearFaults();
  });
});
