// Prometheus metrics of the daemon, in a Registry of its own (nothing leaks into prom-client's global one).
// Names follow https://prometheus.io/docs/practices/naming/: a `pod_identity_drift_` prefix, base units
// (seconds), `_total` on counters.
//
// What the leader knows about the world — findings, associations, the last successful scan — is exported
// by the leader only, and removed the moment it stops leading: with several replicas, `sum(...)` over the
// findings counts each finding once and `max(...)` of the last successful scan is the leader's. Counters
// (scans, API calls, notifications) stay per replica.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ApiCallEvent } from "../model";
import type { Report } from "../report/report";

const PREFIX = "pod_identity_drift_";
const LAST_SUCCESS = `${PREFIX}last_successful_scan_timestamp_seconds`;

export type ScanOutcome = "complete" | "incomplete" | "failed" | "aborted";

export class DaemonMetrics {
  readonly registry = new Registry();

  private readonly findings = new Gauge({
    name: `${PREFIX}findings`,
    help: "Findings of the latest scan, by kind and cluster (cluster is empty for a state source error). Exported by the leader only.",
    labelNames: ["kind", "cluster"] as const,
    registers: [this.registry],
  });
  private readonly broadening = new Gauge({
    name: `${PREFIX}broadening_findings`,
    help: "Trust and permission changes of chain roles that broaden access (broadens: true), by cluster: alert on any. Exported by the leader only.",
    labelNames: ["cluster"] as const,
    registers: [this.registry],
  });
  private readonly associations = new Gauge({
    name: `${PREFIX}associations`,
    help: "Live Pod Identity associations seen by the latest scan, by cluster. Exported by the leader only.",
    labelNames: ["cluster"] as const,
    registers: [this.registry],
  });
  private readonly scanDuration = new Histogram({
    name: `${PREFIX}scan_duration_seconds`,
    help: "Duration of scans, by outcome.",
    labelNames: ["outcome"] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  private readonly scans = new Counter({
    name: `${PREFIX}scans_total`,
    help: "Scans run, by outcome (complete, incomplete: some source or cluster unreadable, failed, aborted).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  // Registered only while this replica leads and knows the time (a gauge without labels cannot be absent).
  private readonly lastSuccess = new Gauge({
    name: LAST_SUCCESS,
    help: "Unix time at which the latest complete scan (every source and cluster read) finished, as the history store knows it. Exported by the leader only.",
    registers: [],
  });
  private readonly apiCalls = new Counter({
    name: `${PREFIX}api_calls_total`,
    help: "AWS API calls made by scans, by operation (all outcomes).",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });
  private readonly apiErrors = new Counter({
    name: `${PREFIX}api_errors_total`,
    help: "AWS API calls that failed other than by throttling, by operation.",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });
  private readonly apiThrottles = new Counter({
    name: `${PREFIX}api_throttles_total`,
    help: "AWS API calls that were throttled, by operation.",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });
  private readonly skippedTicks = new Counter({
    name: `${PREFIX}skipped_ticks_total`,
    help: "Scheduled ticks skipped because the previous scan was still running.",
    registers: [this.registry],
  });
  private readonly notifications = new Counter({
    name: `${PREFIX}notifications_total`,
    help: "Notifications delivered, by webhook name.",
    labelNames: ["webhook"] as const,
    registers: [this.registry],
  });
  private readonly notificationFailures = new Counter({
    name: `${PREFIX}notification_failures_total`,
    help: "Notifications given up on after every attempt failed, by webhook name.",
    labelNames: ["webhook"] as const,
    registers: [this.registry],
  });
  private readonly notificationAttempts = new Counter({
    name: `${PREFIX}notification_attempts_total`,
    help: "Webhook POSTs attempted, retries included, by webhook name and result (ok, error).",
    labelNames: ["webhook", "result"] as const,
    registers: [this.registry],
  });
  private readonly ready = new Gauge({
    name: `${PREFIX}ready`,
    help: "1 once this replica has finished its first scan (or follows a leader), else 0.",
    registers: [this.registry],
  });
  private readonly leader = new Gauge({
    name: `${PREFIX}leader`,
    help: "1 while this replica holds the Lease (always 1 without leader election).",
    registers: [this.registry],
  });

  constructor(opts: { readonly defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.ready.set(0);
    this.leader.set(0);
    this.skippedTicks.inc(0);
  }

  readonly onApiCall = (e: ApiCallEvent): void => {
    this.apiCalls.inc({ operation: e.operation });
    if (e.outcome === "error") this.apiErrors.inc({ operation: e.operation });
    if (e.outcome === "throttled") this.apiThrottles.inc({ operation: e.operation });
  };

  scanFinished(outcome: ScanOutcome, durationSeconds: number): void {
    this.scans.inc({ outcome });
    this.scanDuration.observe({ outcome }, durationSeconds);
  }

  /** Sets the last successful scan (also from history, when a replica starts leading). */
  lastSuccessfulScan(at: Date): void {
    this.lastSuccess.set(at.getTime() / 1000);
    if (!this.registry.getSingleMetric(LAST_SUCCESS)) this.registry.registerMetric(this.lastSuccess);
  }

  /** Removes what only a leader exports: this replica no longer leads. */
  leadershipEnded(): void {
    this.findings.reset();
    this.broadening.reset();
    this.associations.reset();
    this.registry.removeSingleMetric(LAST_SUCCESS);
  }

  /** Replaces the per-kind and per-cluster gauges with the latest report's numbers. */
  reportSeen(report: Report, associationsByCluster: Readonly<Record<string, number>>): void {
    this.findings.reset();
    const counts = new Map<string, { kind: string; cluster: string; n: number }>();
    for (const f of report.findings) {
      const key = `${f.kind}\u0000${f.cluster ?? ""}`;
      const c = counts.get(key) ?? { kind: f.kind, cluster: f.cluster ?? "", n: 0 };
      c.n++;
      counts.set(key, c);
    }
    for (const c of counts.values()) this.findings.set({ kind: c.kind, cluster: c.cluster }, c.n);
    this.broadening.reset();
    for (const f of report.findings) if (f.broadens === true) this.broadening.inc({ cluster: f.cluster ?? "" });
    this.associations.reset();
    for (const [cluster, n] of Object.entries(associationsByCluster)) this.associations.set({ cluster }, n);
  }

  tickSkipped(): void {
    this.skippedTicks.inc();
  }

  notificationAttempt(webhook: string, ok: boolean): void {
    this.notificationAttempts.inc({ webhook, result: ok ? "ok" : "error" });
  }

  notificationDelivered(webhook: string): void {
    this.notifications.inc({ webhook });
  }

  notificationFailed(webhook: string): void {
    this.notificationFailures.inc({ webhook });
  }

  /** Makes the per-webhook series exist at 0 before the first notification. */
  declareWebhook(webhook: string): void {
    this.notifications.inc({ webhook }, 0);
    this.notificationFailures.inc({ webhook }, 0);
  }

  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }

  setLeader(leader: boolean): void {
    this.leader.set(leader ? 1 : 0);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
