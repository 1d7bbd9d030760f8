// What the loopback API servers (the EKS emulator, the IAM server) do to each request besides answering it,
// the same way in both: a token bucket per account, injected faults matched by the request's fields and
// used up after `times` requests, and counts by operation, fields and outcome (with the most requests any
// account had in flight at once).

export interface RateLimit {
  /** Requests per second, refilled continuously. */
  readonly rps: number;
  /** Bucket size. @default max(1, rps) */
  readonly burst?: number;
}

/** Token buckets per account; `"*"` limits every account not listed, each with its own bucket. */
export class RateLimits {
  private readonly limits: Map<string, RateLimit>;
  private readonly buckets = new Map<string, { tokens: number; last: number }>();

  public constructor(limits: Readonly<Record<string, RateLimit>> = {}) {
    this.limits = new Map(Object.entries(limits));
  }

  /** Sets (or with undefined removes) an account's limit; every bucket starts full again. */
  public set(accountId: string, limit: RateLimit | undefined): void {
    if (limit) this.limits.set(accountId, limit);
    else this.limits.delete(accountId);
    this.buckets.clear();
  }

  /** Takes a token from the account's bucket: false when it is empty (the request is throttled). */
  public take(accountId: string): boolean {
    const limit = this.limits.get(accountId) ?? this.limits.get("*");
    if (!limit) return true;
    const burst = limit.burst ?? Math.max(1, limit.rps);
    const t = performance.now();
    let b = this.buckets.get(accountId);
    if (!b) this.buckets.set(accountId, (b = { tokens: burst, last: t }));
    b.tokens = Math.min(burst, b.tokens + ((t - b.last) / 1000) * limit.rps);
    b.last = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/** A request's fields a fault or a count filter can name (operation, account, region, role…). */
export type RequestFields = Readonly<Record<string, string | undefined>>;

/** Whether each of `fields` that `match` gives (not undefined) equals the request's. */
function matchesRequest(match: object, request: RequestFields, fields: readonly string[] = Object.keys(match)): boolean {
  const given = match as RequestFields;
  return fields.every((f) => given[f] === undefined || given[f] === request[f]);
}

/** Injected faults, in the order added, each for `times` matching requests (@default Infinity). */
export class Faults<F extends { readonly times?: number }> {
  private readonly entries: Array<{ spec: F; remaining: number }> = [];

  /** Adds a fault; returns a function removing it. */
  public add(spec: F): () => void {
    const entry = { spec, remaining: spec.times ?? Infinity };
    this.entries.push(entry);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  public clear(): void {
    this.entries.length = 0;
  }

  /**
   * The faults matching `request` (every field a fault names, among `fields`, equal to the request's), in
   * order; each is counted as used when it is yielded, so a consumer that stops (at an error) leaves the
   * rest for later requests.
   */
  public *matching(request: RequestFields, fields: readonly (keyof F & string)[]): Generator<F> {
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.remaining <= 0 || !matchesRequest(entry.spec, request, fields)) continue;
      entry.remaining--;
      yield entry.spec;
    }
  }
}

export type Outcome = "ok" | "error" | "throttled";

/** Which counted requests to add up: an operation, an outcome, and any of the fields they were recorded with. */
export interface CountFilter {
  readonly operation?: string;
  readonly outcome?: Outcome;
}

/** Counts of answered requests by their fields and outcome, and the most in flight at once per account. */
export class RequestCounts<Filter extends CountFilter = CountFilter> {
  private readonly counts = new Map<string, { operation: string; fields: RequestFields; outcome: Outcome; n: number }>();
  private readonly inFlight = new Map<string, number>();
  private readonly maxFlight = new Map<string, number>();

  public record(operation: string, fields: RequestFields, outcome: Outcome): void {
    const key = JSON.stringify([operation, fields, outcome]);
    const row = this.counts.get(key);
    if (row) row.n++;
    else this.counts.set(key, { operation, fields, outcome, n: 1 });
  }

  /** Requests matching `filter` (operation, outcome and any recorded field). */
  public count(filter: Filter): number {
    return this.matching(filter).reduce((s, r) => s + r.n, 0);
  }

  /** Requests matching `filter`, by operation. */
  public byOperation(filter: Filter): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.matching(filter)) out[r.operation] = (out[r.operation] ?? 0) + r.n;
    return out;
  }

  /** Counts one more request in flight for `accountId` until `done` fires ("close" of the response). */
  public started(accountId: string, whenDone: (done: () => void) => void): void {
    const n = (this.inFlight.get(accountId) ?? 0) + 1;
    this.inFlight.set(accountId, n);
    if (n > (this.maxFlight.get(accountId) ?? 0)) this.maxFlight.set(accountId, n);
    whenDone(() => this.inFlight.set(accountId, (this.inFlight.get(accountId) ?? 1) - 1));
  }

  /** The most requests in flight at once for `accountId`, or for any account. */
  public maxInFlight(accountId?: string): number {
    if (accountId !== undefined) return this.maxFlight.get(accountId) ?? 0;
    return Math.max(0, ...this.maxFlight.values());
  }

  public reset(): void {
    this.counts.clear();
    this.maxFlight.clear();
  }

  private matching(filter: Filter) {
    const { operation, outcome, ...fields } = filter as unknown as CountFilter & RequestFields;
    return [...this.counts.values()].filter(
      (r) => (operation === undefined || r.operation === operation) && (outcome === undefined || r.outcome === outcome) && matchesRequest(fields, r.fields),
    );
  }
}
