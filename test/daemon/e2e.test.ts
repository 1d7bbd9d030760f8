// The daemon with the real check engine over the EKS emulator: scans on a fast schedule, metrics and
// notifications follow live changes, and the history store is closed on stop.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon, ScanEvent } from "../../drift/daemon/daemon";
import { runDaemon } from "../../drift/daemon/run";
import { REPORT_TOKEN, get, logSink, metricValue, nextEvent, startReceiver, waitFor, type Receiver } from "./helpers";
import { CLUSTER, role, startScenario, type Scenario } from "./scenario";

let sc: Scenario;
let hook: Receiver;
const saved = { ...process.env };

beforeAll(async () => {
  hook = await startReceiver();
  sc = await startScenario({
    schedule: "* * * * * *",
    listen: "127.0.0.1:0",
    graceSeconds: 10,
    webhooks: [{ url: hook.url, name: "ops", retryBaseSeconds: 0.05 }],
    report: { enabled: true },
  });
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  Object.assign(process.env, sc.env, { POD_IDENTITY_DRIFT_REPORT_TOKEN: REPORT_TOKEN });
  return async () => {
    process.env = saved;
    await hook.close();
    await sc.close();
  };
});

describe("daemon over the EKS emulator", () => {
  let daemon: Daemon;
  let stop!: (reason: string) => void;
  let exit: Promise<number>;
  const sink = logSink();
  const scans: ScanEvent[] = [];

  beforeAll(async () => {
    const started = new Promise<Daemon>((resolve) => {
      exit = runDaemon({ configPath: sc.configPath }, { logger: sink.logger, stopSignal: new Promise((r) => (stop = r)), onStarted: resolve });
      void exit.then((code) => code !== 0 && resolve(Promise.reject(new Error(`runDaemon exited ${code}: ${sink.text()}`))));
    });
    daemon = await started;
    daemon.on("scan", (e: ScanEvent) => scans.push(e));
  });
  afterAll(async () => {
    stop("test end");
    await exit;
  });

  const base = () => `http://127.0.0.1:${daemon.address.port}`;

  it("scans in sync on schedule: no notification, associations and API calls in /metrics", async () => {
    await waitFor("three scans", () => scans.length >= 3);
    expect(scans.every((e) => e.outcome === "complete" && e.report!.findings.length === 0)).toBe(true);
    const m = (await get(`${base()}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_associations", { cluster: "prod" })).toBe(2);
    expect(metricValue(m, "pod_identity_drift_api_calls_total", { operation: "ListPodIdentityAssociations" })).toBeGreaterThanOrEqual(3);
    expect(metricValue(m, "pod_identity_drift_api_calls_total", { operation: "DescribePodIdentityAssociation" })).toBeGreaterThanOrEqual(6);
    expect(hook.received).toHaveLength(0);
    const report = JSON.parse((await get(`${base()}/report`, REPORT_TOKEN)).body);
    expect(report).toMatchObject({ schemaVersion: 1, complete: true, summary: { managed: 2, inSync: 2 } });
  });

  it("a live change out of band: one notification (changed + cache-pending), findings in /metrics, then quiet", async () => {
    const cart = sc.associations[0]!;
    sc.emu.updateAssociation(CLUSTER, cart.associationId, { targetRoleArn: role("other-target", "333333333333"), modifiedAt: new Date() });
    await waitFor("notification", () => hook.received.length === 1);
    const body = hook.received[0]!.body as {
      added: { kind: string; serviceAccount: string; effectiveAfter: string | null }[];
      resolved: unknown[];
      initial: boolean;
    };
    expect(body.initial).toBe(false);
    expect(body.resolved).toEqual([]);
    const kinds = body.added.map((f) => `${f.kind}:${f.serviceAccount}`).sort();
    expect(kinds).toContain("changed:cart");
    expect(kinds).toContain("cache-pending:cart");
    expect(body.added.find((f) => f.kind === "cache-pending")!.effectiveAfter).not.toBeNull();
    const m = (await get(`${base()}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_findings", { kind: "changed", cluster: "prod" })).toBe(1);

    const n = scans.length;
    await waitFor("three more scans", () => scans.length >= n + 3);
    expect(hook.received).toHaveLength(1);
  });

  it("throttling shows in /metrics and an unreadable cluster makes the scan incomplete", async () => {
    const before =
      metricValue((await get(`${base()}/metrics`)).body, "pod_identity_drift_api_throttles_total", { operation: "ListPodIdentityAssociations" }) ?? 0;
    sc.emu.throttle(1, { operation: "ListPodIdentityAssociations" });
    await waitFor(
      "a throttle counted",
      async () =>
        (metricValue((await get(`${base()}/metrics`)).body, "pod_identity_drift_api_throttles_total", { operation: "ListPodIdentityAssociations" }) ?? 0) >
        before,
    );

    const undo = sc.emu.denyCluster(CLUSTER);
    const incomplete = await nextEvent<ScanEvent>(daemon, "scan", (e) => e.outcome === "incomplete");
    expect(incomplete.report!.findings.some((f) => f.kind === "error" && f.cluster === "prod")).toBe(true);
    undo();
    await nextEvent<ScanEvent>(daemon, "scan", (e) => e.outcome === "complete");
    const m = (await get(`${base()}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_scans_total", { outcome: "incomplete" })).toBeGreaterThanOrEqual(1);
    // The error appeared, then went away; the drift seen before is still there and was never "resolved".
    const resolvedChanged = hook.received.some((r) => (r.body as { resolved: { kind: string }[] }).resolved.some((f) => f.kind === "changed"));
    expect(resolvedChanged).toBe(false);
  });

  it("stops with exit code 0 and closes the history store", async () => {
    stop("SIGTERM");
    expect(await exit).toBe(0);
    expect(sink.lines.some((l) => l.msg === "history store closed" && l.path === sc.historyPath)).toBe(true);
    expect(existsSync(sc.historyPath)).toBe(true);
    // SQLite removes the WAL file when the last connection closes cleanly.
    expect(existsSync(`${sc.historyPath}-wal`)).toBe(false);
    expect(sink.text()).not.toContain(hook.url);
  });
});
