// The daemon: one check engine driven by a schedule, observed over HTTP, reporting changes to webhooks, and
// (with several replicas) gated by a Lease so that exactly one replica scans and notifies.
//
// Life cycle, top to bottom: validate the schedule → bind HTTP → (join the election) → scan at once →
// scan on every tick that finds no scan running → on SIGTERM: stop ticking, let the scan in flight finish
// within graceSeconds or abort it, flush notifications within what is left, release the Lease, close
// HTTP, close the history store.
//
// Leadership comes in terms. A term starts when this replica takes the Lease (at start without election)
// and ends the moment it loses it: the scan in flight is aborted and its result discarded, queued and
// retried notifications are dropped, and the leader-only metrics and /report go away. A term's first scan
// claims the history store's fence (LeaderState) and resumes from what the previous leader recorded (the
// findings it notified, the last complete run); every record and every notification of the term is fenced,
// so a deposed leader that has not noticed yet still writes and sends nothing.
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ApiCallEvent } from "../model";
import type { FindingKind } from "../model";
import type { Report } from "../report/report";
import { FencedError, type LeaderState } from "../history/types";
import { FindingSet, isEmptyChange, type FindingChange } from "./finding-set";
import { DaemonStartError } from "./errors";
import { DaemonHttpServer, formatAddress, type ListenAddress, type ReportAnswer } from "./http";
import { LeaderElector, type LeaseStore } from "./leader";
import type { Logger } from "./logger";
import { DaemonMetrics, type ScanOutcome } from "./metrics";
import { WebhookSink, type Notification } from "./notify";
import { ScanScheduler, validateSchedule, type ScanReason } from "./schedule";
import { resolveReportToken, resolveWebhooks, type DaemonSettings, type ResolvedWebhook } from "./settings";

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
  /** The leader's state beside history: fencing term, notified findings. @default kept in this process */
  readonly leaderState?: LeaderState;
  /** Called last on shutdown (closes the history store). */
  readonly onShutdown?: () => void | Promise<void>;
  /** Deadline of each Lease request, ms. @default half the renew deadline */
  readonly leaseRequestTimeoutMs?: number;
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

/** One leadership term (see the file's header). */
interface Term {
  readonly id: number;
  /** Aborted when the term ends: drops its notifications. */
  readonly ended: AbortController;
  /** The history store's fence is held (claimed by the term's first scan). */
  claimed: boolean;
}

/** The term ended while something of it was still running: its result is discarded. */
class TermEndedError extends Error {
  constructor() {
    super("the leadership term ended: result discarded");
  }
}

/** What the daemon keeps in the process when no shared store keeps it (SQLite, tests). */
const IN_PROCESS_LEADER_STATE: LeaderState = {
  claim: async () => 0,
  relinquish: () => undefined,
  resume: async () => ({ notified: null, lastCompleteRunAt: null }),
  saveNotified: async () => undefined,
};

/**
 * Events: `scan` (ScanEvent), `skip` (reason), `leader` (boolean), `notified` / `notify-failed` /
 * `notify-dropped` (webhook name).
 */
export class Daemon extends EventEmitter {
  readonly metrics: DaemonMetrics;
  private readonly log: Logger;
  private readonly scheduler: ScanScheduler;
  private readonly sinks: WebhookSink[];
  private readonly notifyAbort = new AbortController();
  private readonly leaderState: LeaderState;
  private readonly reportToken: Buffer | undefined;
  private http: DaemonHttpServer | undefined;
  private elector: LeaderElector | undefined;
  private inflight: AbortController | undefined;
  private term: Term | undefined;
  private terms = 0;
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
    reportToken: string | undefined,
  ) {
    super();
    const s = opts.settings;
    this.log = opts.logger;
    this.leaderState = opts.leaderState ?? IN_PROCESS_LEADER_STATE;
    this.reportToken = reportToken === undefined ? undefined : digest(reportToken);
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
            dropped: (name, attempts) => {
              this.log.info({ webhook: name, attempts }, "notification dropped: this replica no longer leads");
              this.emit("notify-dropped", name);
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
    let reportToken: string | undefined;
    try {
      webhooks = resolveWebhooks(s.webhooks, opts.env ?? process.env);
      reportToken = resolveReportToken(s.report, opts.env ?? process.env);
    } catch (e) {
      throw new DaemonStartError((e as Error).message);
    }
    const d = new Daemon(opts, webhooks, reportToken);
    try {
      d.http = await DaemonHttpServer.start(s.listen, {
        metrics: async () => ({ contentType: d.metrics.contentType, body: await d.metrics.text() }),
        liveness: () => null,
        readiness: () => d.readiness(),
        report: (authorization) => d.reportForHttp(authorization),
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
        report: reportToken !== undefined ? "bearer token" : "off",
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
        ...(opts.leaseRequestTimeoutMs !== undefined ? { requestTimeoutMs: opts.leaseRequestTimeoutMs } : {}),
        onStartedLeading: () => d.startTerm("leadership"),
        onStoppedLeading: (why) => d.endTerm(why),
        onNewLeader: (who) => d.log.info({ leader: who, identity }, who === identity ? "this replica leads" : "leader observed"),
        onJoined: () => d.followerReady(),
        onError: (e) => {
          if (e.message !== d.lastElectionError) d.log.warn({ error: e.message }, "leader election: Lease request failed");
          d.lastElectionError = e.message;
        },
      });
      d.scheduler.start();
      // Not awaited: the first round is bounded by the request timeout, and a shutdown may end it early.
      void d.elector.start();
    } else {
      d.scheduler.start();
      d.startTerm("start");
    }
    return d;
  }

  get address(): ListenAddress {
    return this.http!.address;
  }

  /** True while a leadership term is running (always, from start to shutdown, without election). */
  get isLeader(): boolean {
    return this.term !== undefined;
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
      this.endTerm("crashed");
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
    this.endTerm("shutting down");
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
    if (this.elector && !this.elector.hasJoined) {
      const last = this.lastElectionError ? ` (last error: ${this.lastElectionError})` : "";
      return `not in the leader election yet: no Lease request has been answered by the Kubernetes API server${last}`;
    }
    return "no scan has completed yet";
  }

  /**
   * A follower is ready once it has joined the election (an answered Lease request): it is then doing its job.
   * Called when it joins and whenever a term ends; a leader becomes ready with its first scan instead.
   */
  private followerReady(): void {
    if (!this.closing && !this.isLeader && this.elector?.hasJoined) this.markReady();
  }

  private markReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.metrics.setReady(true);
  }

  private reportForHttp(authorization: string | undefined): ReportAnswer {
    if (this.reportToken === undefined) {
      return { status: 404, reason: "/report is off: turn it on with daemon.report.enabled and a bearer token (daemon.report.tokenEnv)" };
    }
    // The auth scheme is case-insensitive (RFC 9110 §11.1).
    const presented = /^Bearer +(.+)$/i.exec(authorization ?? "")?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), this.reportToken)) {
      return { status: 401, reason: "a bearer token is required: Authorization: Bearer <the token of daemon.report.tokenEnv>" };
    }
    if (!this.isLeader) {
      return { status: 503, reason: "this replica is not the leader: ask the leader (see pod_identity_drift_leader in /metrics)" };
    }
    if (!this.latest) return { status: 503, reason: "no scan has completed yet" };
    return { status: 200, json: `${JSON.stringify(this.latest, null, 2)}\n` };
  }

  private onSkip(reason: ScanReason): void {
    if (reason !== "scheduled") return;
    this.skipped++;
    this.metrics.tickSkipped();
    this.log.warn({ skippedTicks: this.skipped }, "tick skipped: the previous scan is still running");
    this.emit("skip", reason);
  }

  /** A new leadership term: scan now (the scan claims the store's fence first). */
  private startTerm(reason: ScanReason): void {
    if (this.closing || this.term) return;
    this.term = { id: ++this.terms, ended: new AbortController(), claimed: false };
    this.metrics.setLeader(true);
    this.emit("leader", true);
    if (this.elector) this.log.info({ identity: this.elector.identity }, "acquired the Lease: scanning");
    // After the current call stack: a scan that ended the previous term is still winding down.
    setImmediate(() => this.scheduler.trigger(reason));
  }

  /** The term ends now: nothing of it scans, notifies or is exported any more. */
  private endTerm(why: string): void {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    term.ended.abort();
    this.inflight?.abort();
    this.leaderState.relinquish();
    this.latest = undefined;
    this.findings = FindingSet.empty();
    this.scannedOnce = false;
    this.metrics.setLeader(false);
    this.metrics.leadershipEnded();
    this.emit("leader", false);
    if (!this.closing) this.log.warn({ identity: this.elector?.identity, reason: why }, "lost the Lease: stopped scanning and notifying");
    this.followerReady();
  }

  /** Claims the store's fence for `term` and resumes from what the previous leader recorded. */
  private async claimTerm(term: Term): Promise<void> {
    const fence = await this.leaderState.claim(this.elector?.identity ?? `${hostname()}:${process.pid}`);
    const resumed = await this.leaderState.resume();
    if (this.term !== term) {
      this.leaderState.relinquish();
      throw new TermEndedError();
    }
    term.claimed = true;
    this.findings = resumed.notified === null ? FindingSet.empty() : FindingSet.of(resumed.notified);
    this.scannedOnce = resumed.notified !== null;
    if (resumed.lastCompleteRunAt) this.metrics.lastSuccessfulScan(resumed.lastCompleteRunAt);
    this.log.info(
      { term: fence, resumedFindings: resumed.notified?.length ?? null, lastCompleteRunAt: resumed.lastCompleteRunAt?.toISOString() ?? null },
      "leadership term started",
    );
  }

  private async scan(reason: ScanReason): Promise<void> {
    const term = this.term;
    if (this.closing || !term) return;
    const ac = new AbortController();
    this.inflight = ac;
    const started = performance.now();
    let event: ScanEvent;
    try {
      if (!term.claimed) await this.claimTerm(term);
      const result = await this.opts.check({ signal: ac.signal, onApiCall: this.metrics.onApiCall });
      if (this.term !== term) throw new TermEndedError();
      if (ac.signal.aborted) throw new Error("aborted");
      event = await this.scanSucceeded(reason, result, (performance.now() - started) / 1000, term);
    } catch (e) {
      const seconds = (performance.now() - started) / 1000;
      const error = (e as Error).message;
      if (e instanceof TermEndedError || this.term !== term) {
        this.metrics.scanFinished("aborted", seconds);
        this.log.info({ reason, durationMs: Math.round(seconds * 1000) }, "scan of an ended leadership term: result discarded");
        event = { reason, outcome: "aborted", error: "the leadership term ended" };
      } else if (e instanceof FencedError) {
        this.metrics.scanFinished("aborted", seconds);
        this.log.warn({ error }, "another replica holds the history store's fence: ending this leadership term");
        event = { reason, outcome: "aborted", error };
        this.endTerm("fenced by another replica");
        // The Lease may still be ours (then the other replica's claim was stale): take a new term.
        if (!this.elector || this.elector.isLeader) this.startTerm("leadership");
      } else {
        const outcome: ScanOutcome = ac.signal.aborted ? "aborted" : "failed";
        this.metrics.scanFinished(outcome, seconds);
        this.log[outcome === "aborted" ? "warn" : "error"](
          { reason, outcome, durationMs: Math.round(seconds * 1000), error },
          outcome === "aborted" ? "scan aborted" : "scan failed",
        );
        event = { reason, outcome, error };
      }
    } finally {
      if (this.inflight === ac) this.inflight = undefined;
    }
    this.emit("scan", event);
  }

  private async scanSucceeded(reason: ScanReason, result: ScanResult, seconds: number, term: Term): Promise<ScanEvent> {
    const report = result.report;
    const outcome: ScanOutcome = report.complete ? "complete" : "incomplete";
    const initial = !this.scannedOnce;
    const next = this.findings.next(report);
    const change: FindingChange = initial ? { added: report.findings, resolved: [] } : next.change;
    // Fenced: what is about to be notified is recorded first; a deposed leader is refused here and sends nothing.
    if (initial || !isEmptyChange(next.change)) await this.leaderState.saveNotified(next.set.findings);
    if (this.term !== term) throw new TermEndedError();

    this.findings = next.set;
    this.scannedOnce = true;
    this.latest = report;
    this.metrics.scanFinished(outcome, seconds);
    this.metrics.reportSeen(report, result.associationsByCluster);
    if (outcome === "complete") this.metrics.lastSuccessfulScan(new Date());
    this.markReady();

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

    // A change that broadens a chain role's access is sent at once, even as a silent start's baseline.
    const broadening = change.added.filter((f) => f.broadens === true);
    const send: FindingChange | undefined = initial
      ? this.opts.settings.notifyOnStart && report.findings.length > 0
        ? change
        : broadening.length > 0
          ? { added: broadening, resolved: [] }
          : undefined
      : isEmptyChange(change)
        ? undefined
        : change;
    if (send !== undefined && this.sinks.length > 0) {
      const n: Notification = { initial, change: send, report };
      for (const sink of this.sinks) void sink.send(n, term.ended.signal);
    }
    return { reason, outcome, report, change };
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
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
