import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Daemon, type CheckFn } from "../../drift/daemon/daemon";
import { kubernetesLeaseStore } from "../../drift/daemon/kubernetes-lease";
import { LeaderElector, LeaseConflictError, type LeaseStore } from "../../drift/daemon/leader";
import { daemonSettingsSchema, webhookSchema, type WebhookSettings } from "../../drift/daemon/settings";
import { startLeaseServer, type LeaseServer } from "../support/k8s-lease-server";
import { REPORT_TOKEN, finding, logSink, nextEvent, report, startReceiver, waitFor } from "./helpers";

const NS = "drift";
const LEASE = "pod-identity-drift";
let server: LeaseServer;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startLeaseServer();
  return () => server.close();
});
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

let leaseCounter = 0;
async function store(name: string): Promise<LeaseStore> {
  return kubernetesLeaseStore({ name, namespace: NS, kubeconfig: server.kubeconfigPath });
}

describe("Lease store over the Kubernetes API (client-node)", () => {
  it("creates, reads and replaces with MicroTime timestamps; stale resourceVersions and duplicate creates are conflicts", async () => {
    const name = `lease-${++leaseCounter}`;
    const s = await store(name);
    expect(s.description).toBe(`${NS}/${name}`);
    const sig = new AbortController().signal;
    expect(await s.get(sig)).toBeNull();
    const t = new Date("2026-01-01T00:00:00.123Z");
    const created = await s.create({ holderIdentity: "a", leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 }, sig);
    expect(created).toMatchObject({ holderIdentity: "a", leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(created.renewTime?.toISOString()).toBe(t.toISOString());
    expect(server.lease(NS, name)?.spec.renewTime).toBe("2026-01-01T00:00:00.123000Z");

    await expect(s.create({ holderIdentity: "b", leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 }, sig)).rejects.toBeInstanceOf(
      LeaseConflictError,
    );
    const updated = await s.replace({ ...created, holderIdentity: "b", leaseTransitions: 1 }, created.resourceVersion, sig);
    expect(updated.holderIdentity).toBe("b");
    expect(updated.resourceVersion).not.toBe(created.resourceVersion);
    await expect(s.replace({ ...created, holderIdentity: "c" }, created.resourceVersion, sig)).rejects.toBeInstanceOf(LeaseConflictError);
    expect((await s.get(sig))?.holderIdentity).toBe("b");
  });

  it("other API errors are clear", async () => {
    const s = await store(`lease-${++leaseCounter}`);
    server.failNext(1, 500, "get");
    await expect(s.get(new AbortController().signal)).rejects.toThrow(/cannot read Lease drift\/lease-\d+: HTTP 500: injected fault 500/);
  });
});

describe("LeaderElector", () => {
  const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

  it("of two electors racing for a new Lease exactly one leads; the loser keeps following while the leader renews", async () => {
    const name = `lease-${++leaseCounter}`;
    const leading: string[] = [];
    const make = async (id: string) =>
      new LeaderElector(await store(name), {
        identity: id,
        ...timing,
        onStartedLeading: () => leading.push(id),
        onStoppedLeading: () => leading.push(`-${id}`),
      });
    const [a, b] = [await make("a"), await make("b")];
    cleanup.push(
      () => a.stop({ release: false }),
      () => b.stop({ release: false }),
    );
    await Promise.all([a.start(), b.start()]);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    const leader = a.isLeader ? "a" : "b";
    const renewals = () => server.requests.filter((r) => r.name === name && r.verb === "update" && r.status === 200 && r.holder === leader).length;
    const r0 = renewals();
    await waitFor("renewals", () => renewals() >= r0 + 5);
    expect(leading).toEqual([leader]);
    expect(server.lease(NS, name)?.spec.leaseTransitions).toBe(0);
  });

  it("a leader that cannot renew steps down after renewDeadline", async () => {
    const name = `lease-${++leaseCounter}`;
    let stopped = false;
    const e = new LeaderElector(await store(name), { identity: "solo", ...timing, onStartedLeading: () => {}, onStoppedLeading: () => (stopped = true) });
    cleanup.push(() => e.stop({ release: false }));
    await e.start();
    expect(e.isLeader).toBe(true);
    server.failNext(1_000, 503, "get");
    await waitFor("step down", () => stopped);
    expect(e.isLeader).toBe(false);
    server.clearFaults();
  });
});

describe("two daemons on one Lease", () => {
  function settings(listen = "127.0.0.1:0", name = LEASE) {
    return daemonSettingsSchema.parse({
      schedule: "* * * * * *",
      listen,
      graceSeconds: 5,
      webhooks: [],
      report: { enabled: true },
      leaderElection: { enabled: true, namespace: NS, leaseName: name, leaseDurationSeconds: 4, renewDeadlineSeconds: 2, retryPeriodSeconds: 1 },
    });
  }

  async function daemon(name: string, id: string, hookUrl: string) {
    const scans = { n: 0 };
    const check: CheckFn = async () => {
      scans.n++;
      return { report: report([finding("missing")]), durationMs: 1, apiCalls: 0, associationsByCluster: {} };
    };
    const d = await electing(name, id, check, [webhookSchema.parse({ url: hookUrl, name: id })]);
    return { d, scans };
  }

  it("one leads and alone scans and notifies; kill it and the other takes over once the Lease expires", async () => {
    const name = `lease-${++leaseCounter}`;
    const hook = await startReceiver();
    cleanup.push(() => hook.close());
    const one = await daemon(name, "one", hook.url);
    const two = await daemon(name, "two", hook.url);
    await waitFor("a leader", () => one.d.isLeader || two.d.isLeader);
    const [leader, follower] = one.d.isLeader ? [one, two] : [two, one];
    expect(leader.d.isLeader).toBe(true);
    expect(follower.d.isLeader).toBe(false);
    await waitFor("leader scans", () => leader.scans.n >= 3);
    expect(follower.scans.n).toBe(0);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.headers["user-agent"] as string).toBe("pod-identity-drift");
    const followerReport = await fetch(`http://127.0.0.1:${follower.d.address.port}/report`, { headers: { authorization: `Bearer ${REPORT_TOKEN}` } });
    expect(followerReport.status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${follower.d.address.port}/readyz`)).status).toBe(200);

    const leaderId = server.lease(NS, name)!.spec.holderIdentity!;
    expect(leaderId).toBe(leader.d.identity);
    const lastRenew = () => Date.parse(server.lease(NS, name)!.spec.renewTime!);
    await leader.d.crash();
    const crashedRenew = lastRenew();
    await nextEvent(follower.d, "leader", (v) => v === true, 30_000);
    const lease = server.lease(NS, name)!;
    expect(lease.spec.holderIdentity).toBe(follower.d.identity);
    expect(lease.spec.leaseTransitions).toBe(1);
    // It waited for the Lease to expire: never before leaseDurationSeconds after the dead leader's last renewal.
    expect(Date.parse(lease.spec.acquireTime!) - crashedRenew).toBeGreaterThanOrEqual(4000 - 50);
    await waitFor("new leader scans", () => follower.scans.n >= 2);
    await waitFor("new leader notifies", () => hook.received.length === 2);
  });

  async function electing(name: string, id: string, check: CheckFn, webhooks: WebhookSettings[] = []) {
    const s = settings();
    const d = await Daemon.start({
      settings: { ...s, webhooks, leaderElection: { ...s.leaderElection!, leaseName: name, identity: id } },
      check,
      leaseStore: await store(name),
      logger: logSink().logger,
      defaultMetrics: false,
      env: { POD_IDENTITY_DRIFT_REPORT_TOKEN: REPORT_TOKEN },
    });
    cleanup.push(() => d.shutdown());
    return d;
  }
  const readyz = async (d: Daemon) => {
    const res = await fetch(`http://127.0.0.1:${d.address.port}/readyz`);
    return { status: res.status, text: await res.text() };
  };
  // A check that runs until its term ends.
  const endless: CheckFn = ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));

  it("a replica that loses the Lease before its first scan finishes is a ready follower", async () => {
    const name = `lease-${++leaseCounter}`;
    const d = await electing(name, "slow", endless);
    await waitFor("leads", () => d.isLeader);
    expect((await readyz(d)).status).toBe(503); // a leader is ready with its first scan
    server.failNext(1_000, 503, "get");
    await nextEvent(d, "leader", (v) => v === false);
    expect(d.isLeader).toBe(false);
    expect(await readyz(d)).toEqual({ status: 200, text: "ok\n" });
    server.clearFaults();
  });

  it("ready as a follower only once the API server has answered a Lease request; a failure after that does not flap", async () => {
    const name = `lease-${++leaseCounter}`;
    const now = new Date();
    await (
      await store(name)
    ).create({ holderIdentity: "other", leaseDurationSeconds: 60, acquireTime: now, renewTime: now, leaseTransitions: 0 }, new AbortController().signal);
    server.failNext(1_000, 503, "get");
    const d = await electing(name, "late", endless);
    await waitFor("failed rounds", () => server.requests.filter((r) => r.name === name && r.status === 503).length >= 2);
    const before = await readyz(d);
    expect(before.status).toBe(503);
    expect(before.text).toMatch(
      /^not in the leader election yet: no Lease request has been answered by the Kubernetes API server \(last error: cannot read Lease drift\/lease-\d+: HTTP 503/,
    );
    server.clearFaults();
    await waitFor("ready", async () => (await readyz(d)).status === 200);
    expect(d.isLeader).toBe(false);
    const answered = server.requests.length;
    server.failNext(3, 503, "get");
    await waitFor("failed rounds", () => server.requests.slice(answered).filter((r) => r.status === 503).length >= 2);
    expect((await readyz(d)).status).toBe(200);
    server.clearFaults();
  });

  it("a leader that shuts down releases the Lease and the other takes over without waiting for expiry", async () => {
    const name = `lease-${++leaseCounter}`;
    const hook = await startReceiver();
    cleanup.push(() => hook.close());
    const one = await daemon(name, "one", hook.url);
    const two = await daemon(name, "two", hook.url);
    await waitFor("a leader", () => one.d.isLeader || two.d.isLeader);
    const [leader, follower] = one.d.isLeader ? [one, two] : [two, one];
    await waitFor("leader scans", () => leader.scans.n >= 1);
    const takeover = nextEvent(follower.d, "leader", (v) => v === true, 30_000);
    await leader.d.shutdown("SIGTERM");
    const released = server.requests.filter((r) => r.name === name && r.verb === "update" && r.status === 200 && r.holder === undefined);
    expect(released).toHaveLength(1);
    await takeover;
    expect(server.lease(NS, name)!.spec.holderIdentity).toBe(follower.d.identity);
    await waitFor("new leader scans", () => follower.scans.n >= 1);
  });
});
