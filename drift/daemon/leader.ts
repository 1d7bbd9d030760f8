// Leader election on a Lease, following client-go's leaderelection package (which @kubernetes/client-node
// does not ship): every retryPeriod a replica reads the Lease; it takes it when the Lease is absent,
// released (no holder), or unchanged for a whole leaseDuration as observed on its own clock (never the
// holder's renewTime: clocks differ between nodes). Every write is conditional on the resourceVersion read:
// of two replicas racing, the API server accepts one and answers 409 Conflict to the other. On shutdown the
// holder releases (empty holder), so a successor takes over at its next retry instead of after a full
// leaseDuration.
//
// What keeps two leaders from overlapping, whatever the API server does (hang, fail, answer slowly):
// - every Lease request has a timeout, and a round never outlives the leadership it renews;
// - leadership ends on a timer, renewDeadline after the start of the last round that renewed it, whether or
//   not a request is still outstanding. A follower that saw that renewal waits leaseDuration from then, so
//   the old leader has stopped leaseDuration - renewDeadline (at least retryPeriod + 1 s, see
//   electionTimingProblem) before anyone may take over;
// - a renewal that comes back after its own deadline does not make the replica leader again.

export interface LeaseRecord {
  readonly holderIdentity: string | null;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: Date | null;
  readonly renewTime: Date | null;
  readonly leaseTransitions: number;
}

export interface StoredLease extends LeaseRecord {
  readonly resourceVersion: string;
}

/** Another writer won: create found the Lease existing, or replace carried a stale resourceVersion. */
export class LeaseConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LeaseConflictError";
  }
}

/**
 * The Lease, as the elector needs it. One method per API verb; implementations map 409 to LeaseConflictError
 * and stop the request (connection, headers and body) when `signal` aborts.
 */
export interface LeaseStore {
  /** `namespace/name`, for logs. */
  readonly description: string;
  get(signal: AbortSignal): Promise<StoredLease | null>;
  create(record: LeaseRecord, signal: AbortSignal): Promise<StoredLease>;
  replace(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<StoredLease>;
}

export interface ElectionTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/**
 * The rule the timing must follow (used by the settings schema and the elector): the leader must have
 * stepped down before a follower may take over, with a retry period to spare for a busy event loop, and must
 * get at least one retry before its deadline.
 */
export function electionTimingProblem(t: ElectionTiming, unit: "s" | "ms" = "ms"): string | undefined {
  const v = (ms: number) => (unit === "s" ? `${ms / 1000} s` : `${ms} ms`);
  if (!(t.renewDeadlineMs + t.retryPeriodMs < t.leaseDurationMs)) {
    return (
      `renew deadline (${v(t.renewDeadlineMs)}) + retry period (${v(t.retryPeriodMs)}) must be less than the lease duration (${v(t.leaseDurationMs)}): ` +
      `a leader that cannot renew must have stopped before another replica may take over. E.g. leaseDurationSeconds 15, renewDeadlineSeconds 10, retryPeriodSeconds 2.`
    );
  }
  if (!(t.retryPeriodMs < t.renewDeadlineMs)) {
    return `retry period (${v(t.retryPeriodMs)}) must be less than the renew deadline (${v(t.renewDeadlineMs)}): the leader must get to retry a failed renewal before it steps down.`;
  }
  return undefined;
}

export interface LeaderElectorOptions extends ElectionTiming {
  readonly identity: string;
  /** Deadline of each Lease request (connection to end of body). @default half the renew deadline */
  readonly requestTimeoutMs?: number;
  readonly onStartedLeading: () => void;
  /** `reason`: why (renew deadline passed, stopped, ...). */
  readonly onStoppedLeading: (reason: string) => void;
  readonly onNewLeader?: (identity: string | null) => void;
  /**
   * Once, after the first round in which the API server answered a Lease request (200, 404 or 409): this
   * replica has joined the election. Later failures do not undo it.
   */
  readonly onJoined?: () => void;
  readonly onError?: (e: Error) => void;
  readonly now?: () => number;
}

export class LeaderElector {
  private leading = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private round: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private observed: { key: string; at: number; record: StoredLease } | undefined;
  private lastLeader: string | null | undefined;
  private readonly now: () => number;
  private readonly requestTimeoutMs: number;
  private firstRound: Promise<void> | undefined;
  private answered = false;
  private joined = false;

  constructor(
    private readonly store: LeaseStore,
    private readonly opts: LeaderElectorOptions,
  ) {
    const problem = electionTimingProblem(opts);
    if (problem) throw new Error(problem);
    this.now = opts.now ?? Date.now;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? Math.max(100, Math.floor(opts.renewDeadlineMs / 2));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** The API server has answered at least one Lease request (see onJoined). */
  get hasJoined(): boolean {
    return this.joined;
  }

  /**
   * Starts trying (the first round at once). The promise resolves after the first round, whatever its result:
   * it is bounded by the request timeouts, and stop() ends it early.
   */
  start(): Promise<void> {
    this.stopped = false;
    this.firstRound = this.runRound().finally(() => this.scheduleNext());
    return this.firstRound;
  }

  /**
   * Stops trying, aborting a round in flight. With release (a clean shutdown), a holder empties the Lease so
   * another replica takes over at once. Without (a crash, as tests simulate it), the Lease expires after
   * leaseDuration.
   */
  async stop(opts: { release: boolean }): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.round?.abort(new Error("stopping"));
    await this.loop;
    await this.firstRound;
    const wasLeading = this.leading;
    this.setLeading(false, "stopped");
    if (wasLeading && opts.release) await this.release();
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    // client-go jitters the acquire loop by up to 20 % so that replicas started together spread out.
    const jitter = this.leading ? 0 : Math.random() * 0.2 * this.opts.retryPeriodMs;
    this.timer = setTimeout(() => {
      this.loop = this.runRound().finally(() => {
        this.loop = undefined;
        this.scheduleNext();
      });
    }, this.opts.retryPeriodMs + jitter);
  }

  private async runRound(): Promise<void> {
    const startedAt = this.now();
    const ac = new AbortController();
    this.round = ac;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew(startedAt, ac.signal);
    } catch (e) {
      if (!this.stopped && !(ac.signal.aborted && !this.leading)) this.opts.onError?.(e as Error);
    } finally {
      if (this.round === ac) this.round = undefined;
    }
    if (!this.stopped && ok) this.extendLeadership(startedAt);
    if (this.answered && !this.joined && !this.stopped) {
      this.joined = true;
      this.opts.onJoined?.();
    }
  }

  private extendLeadership(startedAt: number): void {
    // The Lease was written at or after startedAt: followers count leaseDuration from when they see it.
    const until = startedAt + this.opts.renewDeadlineMs;
    const left = until - this.now();
    if (left <= 0) return; // too late: this renewal does not extend anything
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = setTimeout(() => this.deadlinePassed(), left);
    this.setLeading(true);
  }

  private deadlinePassed(): void {
    this.deadline = undefined;
    if (!this.leading) return;
    this.round?.abort(new Error("renew deadline passed"));
    this.setLeading(false, `could not renew the Lease within the renew deadline (${this.opts.renewDeadlineMs} ms)`);
  }

  /** One Lease request with its own deadline, also ended by the round's abort. */
  private async request<T>(what: string, round: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const signal = AbortSignal.any([round, timeout]);
    try {
      const answer = await call(signal);
      this.answered = true;
      return answer;
    } catch (e) {
      if (e instanceof LeaseConflictError) this.answered = true;
      if (timeout.aborted) throw new Error(`Lease ${this.store.description}: ${what}: no answer within ${this.requestTimeoutMs} ms`, { cause: e });
      throw e;
    }
  }

  private async tryAcquireOrRenew(startedAt: number, round: AbortSignal): Promise<boolean> {
    const leaseDurationSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
    const current = await this.request("read", round, (s) => this.store.get(s));
    if (current === null) {
      const created = await this.attempt(() =>
        this.request("create", round, (s) =>
          this.store.create(
            {
              holderIdentity: this.opts.identity,
              leaseDurationSeconds,
              acquireTime: new Date(startedAt),
              renewTime: new Date(startedAt),
              leaseTransitions: 0,
            },
            s,
          ),
        ),
      );
      if (created) this.observe(created);
      return created !== null;
    }
    this.observe(current);
    this.noteLeader(current.holderIdentity || null);

    const mine = current.holderIdentity === this.opts.identity;
    const held = !!current.holderIdentity && !mine;
    const durationMs = (current.leaseDurationSeconds || leaseDurationSeconds) * 1000;
    if (held && this.observed!.at + durationMs > this.now()) return false;

    const updated = await this.attempt(() =>
      this.request("update", round, (s) =>
        this.store.replace(
          {
            holderIdentity: this.opts.identity,
            leaseDurationSeconds,
            acquireTime: mine ? (current.acquireTime ?? new Date(startedAt)) : new Date(startedAt),
            renewTime: new Date(startedAt),
            leaseTransitions: mine ? current.leaseTransitions : current.leaseTransitions + 1,
          },
          current.resourceVersion,
          s,
        ),
      ),
    );
    if (updated) this.observe(updated);
    return updated !== null;
  }

  private async attempt(write: () => Promise<StoredLease>): Promise<StoredLease | null> {
    try {
      return await write();
    } catch (e) {
      if (e instanceof LeaseConflictError) return null;
      throw e;
    }
  }

  private observe(record: StoredLease): void {
    const key = JSON.stringify([record.holderIdentity, record.renewTime?.getTime() ?? null, record.resourceVersion]);
    if (this.observed?.key !== key) this.observed = { key, at: this.now(), record };
    if (record.holderIdentity === this.opts.identity) this.noteLeader(this.opts.identity);
  }

  private noteLeader(identity: string | null): void {
    if (identity === this.lastLeader) return;
    this.lastLeader = identity;
    this.opts.onNewLeader?.(identity);
  }

  private async release(): Promise<void> {
    const round = AbortSignal.timeout(this.requestTimeoutMs * 2);
    try {
      const current = await this.request("read", round, (s) => this.store.get(s));
      if (!current || current.holderIdentity !== this.opts.identity) return;
      const now = new Date(this.now());
      await this.request("release", round, (s) =>
        this.store.replace(
          { holderIdentity: null, leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.leaseTransitions },
          current.resourceVersion,
          s,
        ),
      );
    } catch (e) {
      this.opts.onError?.(e as Error);
    }
  }

  private setLeading(leading: boolean, reason = ""): void {
    if (!leading && this.deadline) {
      clearTimeout(this.deadline);
      this.deadline = undefined;
    }
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading(reason);
  }
}
