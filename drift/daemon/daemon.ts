// The daemon: one check engine driven by a schedule, observed over HTTP, reporting changes to webhooks, and
// (with several replicas) gated by a Lease so that exactly one replica scans and notifies.
//
// Life cycle, top to bottom: validate the schedule → bind HTTP → (join the election) → scan at once →
// scan on every tick that finds no scan running → on SIGTERM: stop ticking, let the scan in flight finish
// within graceSeconds or abort it, flush notifications within what is left, release the Lease, close
// HTTP, close the history store.
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { ApiCallEvent } from "../model";
import type { FindingKind, Report } from "../report/report";
import { FindingSet, isEmptyChange, type FindingChange } from "./finding-set";
import { DaemonStartError } from "./errors";
import { DaemonHttpServer, formatAddress, type ListenAddress } from "./http";
import { LeaderElector, type LeaseStore } from "./leader";
import type { Logger } from "./logger";
import { DaemonMetrics, type ScanOutcome } from "./metrics";
import { WebhookSink, type Notification } from "./notify";
import { ScanScheduler, validateSchedule, type ScanReason } from "./schedule";
import { resolveWebhooks, type DaemonSettings, type ResolvedWebhook } from "./settings";

/** What one scan yields: the fields of the check's CheckResult that the daemon uses. */
export interface ScanResult {
  readonly report: Report;
  readonly durationMs: number;
  readonly apiCalls: number;
  readonly associationsByCluster: Readonly<Record<string, number>>;
}

/** Runs one check. Must honour `signal` (reject soon after it aborts) and report API calls through `onApiCall`. */
export type CheckFn = (ctx: { readonly signal: AbortSignal; readonly onApiCall: (e: ApiCallEvent) => void }) => Promise<ScanResult>;

export interface DaemonOptions {
  readonly settings: DaemonSettings;
  readonly check: CheckFn;
  readonly logger: Logger;
  /** Required when settings.leaderElection.enabled. */
  readonly leaseStore?: LeaseStore;
  /** Called last on shutdown (closes the history store). */
  readonly onShutdown?: () => void | Promise<void>;
  readonly fetch?: typeof fetch;
  /** Node.js process metrics in /metrics. @default true */
  readonly defaultMetrics?: boolean;
  /** Where webhook urlEnv values are read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ScanEvent {
  readonly reason: ScanReason;
  readonly outcome: ScanOutcome;
  readonly report?: Report;
  readonly change?: FindingChange;
  readonly error?: string;
}

/** Events: `scan` (ScanEvent), `skip` (reason), `leader` (boolean), `notified` / `notify-failed` (webhook name). */
export class Daemon extends EventEmitter {
  readonly metrics: DaemonMetrics;
  private readonly log: Logger;
  private readonly scheduler: ScanScheduler;
  private readonly sinks: WebhookSink[];
  private readonly notifyAbort = new AbortController();
  private http: DaemonHttpServer | undefined;
  private elector: LeaderElector | undefined;
  private inflight: AbortController | undefined;
  private latest: Report | undefined;
  private findings = FindingSet.empty();
  private scannedOnce = false;
  private ready = false;
  private closing: Promise<{ abortedScan: boolean }> | undefined;
  private skipped = 0;
  private lastElectionError: string | undefined;

  private constructor(
    private readonly opts: DaemonOptions,
    webhooks: readonly ResolvedWebhook[],
  ) {
    super();
    const s = opts.settings;
    this.log = opts.logger;
    this.metrics = new DaemonMetrics({ defaultMetrics: opts.defaultMetrics });
    this.scheduler = new ScanScheduler({
      schedule: s.schedule,
      timezone: s.timezone,
      run: (reason) => this.scan(reason),
      onSkip: (reason) => this.onSkip(reason),
      logger: {
        info: (m) => this.log.debug({ component: "node-cron" }, m),
        warn: (m) => this.log.warn({ component: "node-cron" }, m),
        error: (m, e) => this.log.error({ component: "node-cron", err: e }, String(m)),
        debug: (m) => this.log.debug({ component: "node-cron" }, String(m)),
      },
    });
    this.sinks = webhooks.map(
      (w, i) =>
        new WebhookSink(
          w,
          i,
          {
            attempt: (name, ok, attempt, error) => {
              this.metrics.notificationAttempt(name, ok);
              if (!ok) this.log.warn({ webhook: name, attempt, maxAttempts: w.maxAttempts, error }, "webhook delivery attempt failed");
            },
            delivered: (name, attempts) => {
              this.metrics.notificationDelivered(name);
              this.log.info({ webhook: name, attempts }, "notification delivered");
              this.emit("notified", name);
            },
            gaveUp: (name, attempts, error) => {
              this.metrics.notificationFailed(name);
              this.log.error({ webhook: name, attempts, error }, "notification given up on: every attempt failed; scanning continues");
              this.emit("notify-failed", name);
            },
          },
          this.notifyAbort.signal,
          opts.fetch,
        ),
    );
    for (const sink of this.sinks) this.metrics.declareWebhook(sink.name);
  }

  /** Validates, binds HTTP, joins the election if configured, starts the schedule and the first scan. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const s = opts.settings;
    validateSchedule(s.schedule, s.timezone);
    const le = s.leaderElection?.enabled ? s.leaderElection : undefined;
    if (le && !opts.leaseStore) throw new Error("leader election is enabled but no Lease store was given");
    let webhooks: ResolvedWebhook[];
    try {
      webhooks = resolveWebhooks(s.webhooks, opts.env ?? process.env);
    } catch (e) {
      throw new DaemonStartError((e as Error).message);
    }
    const d = new Daemon(opts, webhooks);
    try {
      d.http = await DaemonHttpServer.start(s.listen, {
        metrics: async () => ({ contentType: d.metrics.contentType, body: await d.metrics.text() }),
        liveness: () => null,
        readiness: () => d.readiness(),
        report: () => d.reportForHttp(),
      });
    } catch (e) {
      d.scheduler.stop();
      throw e;
    }
    d.log.info(
      {
        listen: formatAddress(d.http.address),
        schedule: s.schedule,
        timezone: s.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
        nextRun: d.scheduler.nextRun()?.toISOString() ?? null,
        webhooks: d.sinks.map((x) => ({ name: x.name, format: x.format })),
        leaderElection: le ? { lease: opts.leaseStore!.description, leaseDurationSeconds: le.leaseDurationSeconds } : false,
      },
      "daemon started",
    );
    if (le) {
      const identity = le.identity ?? `${process.env.POD_NAME ?? hostname()}_${randomBytes(3).toString("hex")}`;
      d.elector = new LeaderElector(opts.leaseStore!, {
        identity,
        leaseDurationMs: le.leaseDurationSeconds * 1000,
        renewDeadlineMs: le.renewDeadlineSeconds * 1000,
        retryPeriodMs: le.retryPeriodSeconds * 1000,
        onStartedLeading: () => d.onLeadership(true),
        onStoppedLeading: () => d.onLeadership(false),
        onNewLeader: (who) => d.log.info({ leader: who, identity }, who === identity ? "this replica leads" : "leader observed"),
        onError: (e) => {
          if (e.message !== d.lastElectionError) d.log.warn({ error: e.message }, "leader election: Lease request failed");
          d.lastElectionError = e.message;
        },
      });
      d.scheduler.start();
      await d.elector.start();
      if (!d.elector.isLeader) d.markReady();
    } else {
      d.metrics.setLeader(true);
      d.scheduler.start();
      d.scheduler.trigger("start");
    }
    return d;
  }

  get address(): ListenAddress {
    return this.http!.address;
  }

  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : true;
  }

  get identity(): string | undefined {
    return this.elector?.identity;
  }

  get latestReport(): Report | undefined {
    return this.latest;
  }

  get skippedTicks(): number {
    return this.skipped;
  }

  /**
   * Graceful stop; idempotent. Resolves once everything is closed. `abortedScan`: the scan in flight did not
   * finish within graceSeconds and was aborted.
   */
  shutdown(reason = "shutdown"): Promise<{ abortedScan: boolean }> {
    this.closing ??= this.doShutdown(reason);
    return this.closing;
  }

  /** Stops without releasing the Lease or flushing anything: what a crash looks like to the others (tests). */
  async crash(): Promise<void> {
    this.closing ??= (async () => {
      this.scheduler.stop();
      this.inflight?.abort();
      this.notifyAbort.abort();
      await this.elector?.stop({ release: false });
      await this.http?.close();
      await this.opts.onShutdown?.();
      return { abortedScan: false };
    })();
    await this.closing;
  }

  private async doShutdown(reason: string): Promise<{ abortedScan: boolean }> {
    const graceMs = this.opts.settings.graceSeconds * 1000;
    const deadline = Date.now() + graceMs;
    this.log.info({ reason, graceSeconds: this.opts.settings.graceSeconds, scanInFlight: this.scheduler.busy }, "shutting down");
    this.scheduler.stop();
    let abortedScan = false;
    if (this.scheduler.busy && !(await within(this.scheduler.idle(), graceMs))) {
      abortedScan = true;
      this.log.warn({ graceSeconds: this.opts.settings.graceSeconds }, "scan still running after the grace period: aborting it");
      this.inflight?.abort();
      if (!(await within(this.scheduler.idle(), 5_000))) this.log.error("the aborted scan did not stop within 5 s; closing anyway");
    }
    const left = Math.max(0, deadline - Date.now());
    const drained = Promise.all(this.sinks.map((s) => s.drained()));
    if (!(await within(drained, left))) {
      this.log.warn("notifications still pending at the end of the grace period: abandoning them");
      this.notifyAbort.abort();
      await within(drained, 2_000);
    }
    this.notifyAbort.abort();
    await this.elector?.stop({ release: true });
    await this.http?.close();
    try {
      await this.opts.onShutdown?.();
    } catch (e) {
      this.log.error({ error: (e as Error).message }, "error while closing");
    }
    this.log.info({ abortedScan }, "stopped");
    return { abortedScan };
  }

  private readiness(): string | null {
    if (this.closing) return "shutting down";
    if (this.ready) return null;
    return "no scan has completed yet";
  }

  private markReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.metrics.setReady(true);
  }

  private reportForHttp(): { ok: true; json: string } | { ok: false; reason: string } {
    if (this.elector && !this.elector.isLeader) {
      return { ok: false, reason: "this replica is not the leader: ask the leader (see pod_identity_drift_leader in /metrics)" };
    }
    if (!this.latest) return { ok: false, reason: "no scan has completed yet" };
    return { ok: true, json: `${JSON.stringify(this.latest, null, 2)}\n` };
  }

  private onSkip(reason: ScanReason): void {
    if (reason !== "scheduled") return;
    this.skipped++;
    this.metrics.tickSkipped();
    this.log.warn({ skippedTicks: this.skipped }, "tick skipped: the previous scan is still running");
    this.emit("skip", reason);
  }

  private onLeadership(leading: boolean): void {
    this.metrics.setLeader(leading);
    this.emit("leader", leading);
    if (leading) {
      this.log.info({ identity: this.elector?.identity }, "acquired the Lease: scanning");
      this.scannedOnce = false;
      this.findings = FindingSet.empty();
      this.scheduler.trigger("leadership");
    } else {
      if (!this.closing) this.log.warn({ identity: this.elector?.identity }, "lost the Lease: stopping scans");
      this.inflight?.abort();
    }
  }

  private async scan(reason: ScanReason): Promise<void> {
    if (this.closing || !this.isLeader) return;
    const ac = new AbortController();
    this.inflight = ac;
    const started = performance.now();
    let event: ScanEvent;
    try {
      const result = await this.opts.check({ signal: ac.signal, onApiCall: this.metrics.onApiCall });
      if (ac.signal.aborted) throw new Error("aborted");
      event = this.scanSucceeded(reason, result, (performance.now() - started) / 1000);
    } catch (e) {
      const outcome: ScanOutcome = ac.signal.aborted ? "aborted" : "failed";
      const seconds = (performance.now() - started) / 1000;
      this.metrics.scanFinished(outcome, seconds, new Date());
      const error = (e as Error).message;
      this.log[outcome === "aborted" ? "warn" : "error"](
        { reason, outcome, durationMs: Math.round(seconds * 1000), error },
        outcome === "aborted" ? "scan aborted" : "scan failed",
      );
      event = { reason, outcome, error };
    } finally {
      this.inflight = undefined;
    }
    this.emit("scan", event);
  }

  private scanSucceeded(reason: ScanReason, result: ScanResult, seconds: number): ScanEvent {
    const report = result.report;
    const outcome: ScanOutcome = report.complete ? "complete" : "incomplete";
    this.metrics.scanFinished(outcome, seconds, new Date());
    this.metrics.reportSeen(report, result.associationsByCluster);
    this.latest = report;
    this.markReady();

    const initial = !this.scannedOnce;
    this.scannedOnce = true;
    const next = this.findings.next(report);
    this.findings = next.set;
    const change: FindingChange = initial ? { added: report.findings, resolved: [] } : next.change;

    const byKind: Partial<Record<FindingKind, number>> = {};
    for (const f of report.findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    this.log.info(
      {
        reason,
        outcome,
        complete: report.complete,
        durationMs: Math.round(seconds * 1000),
        checkDurationMs: Math.round(result.durationMs),
        apiCalls: result.apiCalls,
        clusters: Object.keys(result.associationsByCluster).length,
        associations: Object.values(result.associationsByCluster).reduce((a, b) => a + b, 0),
        findings: report.findings.length,
        byKind,
        summary: report.summary,
        added: change.added.length,
        resolved: change.resolved.length,
        skippedTicks: this.skipped,
      },
      "scan finished",
    );

    const notify = initial ? this.opts.settings.notifyOnStart && report.findings.length > 0 : !isEmptyChange(change);
    if (notify && this.sinks.length > 0) {
      const n: Notification = { initial, change, report };
      for (const sink of this.sinks) void sink.send(n);
    }
    return { reason, outcome, report, change };
  }
}

function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(true);
      },
    );
  });
}
