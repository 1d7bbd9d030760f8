// Leader election on a Lease, following client-go's leaderelection package (which @kubernetes/client-node
// does not ship): every retryPeriod a replica reads the Lease; it takes it when the Lease is absent,
// released (no holder), or unchanged for a whole leaseDuration as observed on its own clock (never the
// holder's renewTime: clocks differ between nodes); the holder renews every retryPeriod and steps down when
// it could not renew for renewDeadline (< leaseDuration, so it stops before anyone may take over). Every
// write is conditional on the resourceVersion read: of two replicas racing, the API server accepts one and
// answers 409 Conflict to the other. On shutdown the holder releases (empty holder), so a successor takes
// over at its next retry instead of after a full leaseDuration.

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

/** The Lease, as the elector needs it. One method per API verb; implementations map 409 to LeaseConflictError. */
export interface LeaseStore {
  /** `namespace/name`, for logs. */
  readonly description: string;
  get(): Promise<StoredLease | null>;
  create(record: LeaseRecord): Promise<StoredLease>;
  replace(record: LeaseRecord, resourceVersion: string): Promise<StoredLease>;
}

export interface LeaderElectorOptions {
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly onNewLeader?: (identity: string | null) => void;
  readonly onError?: (e: Error) => void;
  readonly now?: () => number;
}

export class LeaderElector {
  private leading = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private observed: { key: string; at: number; record: StoredLease } | undefined;
  private lastRenew = 0;
  private lastLeader: string | null | undefined;
  private readonly now: () => number;

  constructor(
    private readonly store: LeaseStore,
    private readonly opts: LeaderElectorOptions,
  ) {
    if (!(opts.renewDeadlineMs < opts.leaseDurationMs)) throw new Error("renewDeadline must be less than leaseDuration");
    if (!(opts.retryPeriodMs < opts.renewDeadlineMs)) throw new Error("retryPeriod must be less than renewDeadline");
    this.now = opts.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** Starts trying; returns after the first attempt so that callers know where they stand. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.round();
    this.schedule();
  }

  /**
   * Stops trying. With release (a clean shutdown), a holder empties the Lease so another replica takes over
   * at once. Without (a crash, as tests simulate it), the Lease expires after leaseDuration.
   */
  async stop(opts: { release: boolean }): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
    if (this.leading && opts.release) await this.release();
    this.setLeading(false);
  }

  private schedule(): void {
    if (this.stopped) return;
    // client-go jitters the acquire loop by up to 20 % so that replicas started together spread out.
    const jitter = this.leading ? 0 : Math.random() * 0.2 * this.opts.retryPeriodMs;
    this.timer = setTimeout(() => {
      this.loop = this.round().finally(() => {
        this.loop = undefined;
        this.schedule();
      });
    }, this.opts.retryPeriodMs + jitter);
  }

  private async round(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (e) {
      this.opts.onError?.(e as Error);
    }
    if (this.stopped) return;
    if (ok) {
      this.lastRenew = this.now();
      this.setLeading(true);
    } else if (this.leading && this.now() - this.lastRenew >= this.opts.renewDeadlineMs) {
      this.setLeading(false);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const leaseDurationSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
    const current = await this.store.get();
    if (current === null) {
      const created = await this.attempt(() =>
        this.store.create({
          holderIdentity: this.opts.identity,
          leaseDurationSeconds,
          acquireTime: new Date(now),
          renewTime: new Date(now),
          leaseTransitions: 0,
        }),
      );
      if (created) this.observe(created, now);
      return created !== null;
    }
    this.observe(current, now);
    this.noteLeader(current.holderIdentity || null);

    const mine = current.holderIdentity === this.opts.identity;
    const held = !!current.holderIdentity && !mine;
    const durationMs = (current.leaseDurationSeconds || leaseDurationSeconds) * 1000;
    if (held && this.observed!.at + durationMs > now) return false;

    const updated = await this.attempt(() =>
      this.store.replace(
        {
          holderIdentity: this.opts.identity,
          leaseDurationSeconds,
          acquireTime: mine ? current.acquireTime ?? new Date(now) : new Date(now),
          renewTime: new Date(now),
          leaseTransitions: mine ? current.leaseTransitions : current.leaseTransitions + 1,
        },
        current.resourceVersion,
      ),
    );
    if (updated) this.observe(updated, now);
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

  private observe(record: StoredLease, now: number): void {
    const key = JSON.stringify([record.holderIdentity, record.renewTime?.getTime() ?? null, record.resourceVersion]);
    if (this.observed?.key !== key) this.observed = { key, at: now, record };
    if (record.holderIdentity === this.opts.identity) this.noteLeader(this.opts.identity);
  }

  private noteLeader(identity: string | null): void {
    if (identity === this.lastLeader) return;
    this.lastLeader = identity;
    this.opts.onNewLeader?.(identity);
  }

  private async release(): Promise<void> {
    try {
      const current = await this.store.get();
      if (!current || current.holderIdentity !== this.opts.identity) return;
      const now = new Date(this.now());
      await this.store.replace(
        {
          holderIdentity: null,
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: current.leaseTransitions,
        },
        current.resourceVersion,
      );
    } catch (e) {
      this.opts.onError?.(e as Error);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading();
  }
}
