// Client-side pacing of the requests of one EKS client, i.e. of one (account, region): the unit AWS
// throttles on. A middleware right after the SDK's retry middleware waits for the pacer before every
// attempt, retries included, and tells it how the attempt went.
//
// Two modes:
// - fixed (`requestsPerSecond` set, the quota is known): a token bucket at that rate, with a small burst
//   (50 ms worth, at least 2) that absorbs timer lateness without ever outrunning the quota.
// - adaptive (no rate): unpaced until the first throttle. Then paced at BACKOFF × the rate of successful
//   attempts over the last WINDOW_MS (the rate the service actually granted), and probed upward while
//   requests are waiting: PROBE_FRACTION of the rate per second (at least 1/s), but only CEILING_PROBE_FRACTION
//   from NEAR_CEILING × the ceiling up, the ceiling being the rate granted at the last cut (the quota, as
//   far as the pacer knows) and forgotten after CEILING_MEMORY_MS. So it gets back near the quota quickly
//   and overshoots it rarely: each overshoot costs a throttled attempt. A later throttle cuts again, to
//   BACKOFF × min(current rate, measured rate), but only for an attempt sent after the last cut: the
//   throttles of attempts already in flight at a cut belong to the event that caused it. Cuts less than
//   WINDOW_MS apart (a series) measure, once the series is SERIES_MIN_MS old, the successes since its first
//   cut: the window would still hold what came before (a quota's initial burst, larger than its rate).
//   Never below `floor` (default 1/s).
//   Off (never pacing) with `adaptive: false`: when the user chose the SDK's own adaptive retry mode.
import type { FinalizeHandlerArguments, FinalizeRequestMiddleware, HandlerExecutionContext, MetadataBearer, Pluggable } from "@smithy/types";
import { outcomeOf } from "./api-call-counter";

/** The sliding window over which successful attempts are counted. */
export const WINDOW_MS = 1_000;
/** The share of the measured rate paced at after a throttle. */
export const BACKOFF = 0.9;
/** Upward probe per second while requests wait, as a share of the current rate (at least 1 request/s). */
export const PROBE_FRACTION = 0.02;
/** Near the ceiling (the rate granted when last throttled) the probe slows to this share per second. */
export const CEILING_PROBE_FRACTION = 0.005;
/** "Near": from this share of the ceiling up. */
export const NEAR_CEILING = 0.97;
/** A ceiling this old is forgotten (the quota may have grown, or the throttle was someone else's burst). */
export const CEILING_MEMORY_MS = 30_000;
/** Successes in the window below which a throttle says nothing about the quota (no ceiling). */
const MIN_CEILING_SAMPLES = 5;
/** Cuts less than WINDOW_MS apart form a series; from this long into one, it measures its own successes. */
const SERIES_MIN_MS = 200;
export const DEFAULT_FLOOR_RPS = 1;
/** The bucket holds this much time's worth of tokens (at least MIN_BURST). */
const BURST_MS = 50;
const MIN_BURST = 2;
const SLOTS = 10; // the window in SLOTS buckets of WINDOW_MS / SLOTS

export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface PacerOptions {
  /** A fixed rate; without it the pacer is adaptive. */
  readonly requestsPerSecond?: number;
  /** Without a fixed rate: pace from the first throttle on (true), or never (false). @default true */
  readonly adaptive?: boolean;
  /** Adaptive mode never paces below this. @default DEFAULT_FLOOR_RPS */
  readonly floor?: number;
  readonly clock?: PacerClock;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class Pacer {
  private rate: number | undefined;
  private tokens = 0;
  private last: number;
  private readonly queue: Waiter[] = [];
  private timer: unknown;
  private lastCut = Number.NEGATIVE_INFINITY;
  private ceiling = Number.POSITIVE_INFINITY;
  private successes = 0;
  private series = { start: Number.NEGATIVE_INFINITY, successes: 0 };
  private readonly slotStart: number[] = new Array<number>(SLOTS).fill(Number.NEGATIVE_INFINITY);
  private readonly slotCount: number[] = new Array<number>(SLOTS).fill(0);
  private readonly clock: PacerClock;
  private readonly floor: number;
  readonly fixed: boolean;
  private readonly adaptive: boolean;

  constructor(opts: PacerOptions = {}) {
    const rps = opts.requestsPerSecond;
    if (rps !== undefined && !(Number.isFinite(rps) && rps > 0)) throw new RangeError(`requestsPerSecond must be a positive number, got ${rps}`);
    this.clock = opts.clock ?? realClock;
    this.floor = opts.floor ?? DEFAULT_FLOOR_RPS;
    this.fixed = rps !== undefined;
    this.adaptive = !this.fixed && opts.adaptive !== false;
    this.rate = rps;
    this.last = this.clock.now();
    this.tokens = rps !== undefined ? this.burst() : 0;
  }

  /** Requests per second paced at; undefined while unpaced. */
  get currentRate(): number | undefined {
    return this.rate;
  }

  /** Resolves when the next attempt may be sent; rejects with the signal's reason if it aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.rate === undefined) return Promise.resolve();
    this.refill();
    if (this.queue.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.schedule();
    });
  }

  /** The pacer's clock: when an attempt is let go, for `record`. */
  now(): number {
    return this.clock.now();
  }

  /**
   * How an attempt sent at `sentAt` went: successes feed the measured rate; a throttle (adaptive mode) cuts
   * the rate, unless the attempt was sent before the last cut. @param sentAt default: now
   */
  record(outcome: "ok" | "error" | "throttled", sentAt?: number): void {
    const now = this.clock.now();
    if (outcome === "ok") {
      this.successes++;
      const slot = Math.floor(now / (WINDOW_MS / SLOTS));
      const i = slot % SLOTS;
      if (this.slotStart[i] !== slot) {
        this.slotStart[i] = slot;
        this.slotCount[i] = 0;
      }
      this.slotCount[i]! += 1;
      return;
    }
    if (outcome !== "throttled" || !this.adaptive) return;
    if (this.rate !== undefined && (sentAt ?? now) <= this.lastCut) return;
    this.refill();
    let measured = this.successesPerSecond(now);
    if (now - this.lastCut >= WINDOW_MS) this.series = { start: now, successes: this.successes };
    else if (now - this.series.start >= SERIES_MIN_MS) {
      // Cuts in quick succession: the window still counts successes from before the first of them (the
      // quota's initial burst, say). What was granted since then is the better measure.
      measured = Math.min(measured, ((this.successes - this.series.successes) * 1000) / (now - this.series.start));
    }
    this.ceiling = (measured * WINDOW_MS) / 1000 >= MIN_CEILING_SAMPLES ? measured : Number.POSITIVE_INFINITY;
    this.rate = Math.max(this.floor, BACKOFF * Math.min(this.rate ?? Number.POSITIVE_INFINITY, measured));
    this.tokens = Math.min(this.tokens, 0);
    this.lastCut = now;
    this.schedule();
  }

  /** Successful attempts over the last WINDOW_MS, per second (a younger pacer still divides by the whole window). */
  successesPerSecond(now = this.clock.now()): number {
    const current = Math.floor(now / (WINDOW_MS / SLOTS));
    let n = 0;
    for (let i = 0; i < SLOTS; i++) if (this.slotStart[i]! > current - SLOTS) n += this.slotCount[i]!;
    return (n * 1000) / WINDOW_MS;
  }

  private burst(): number {
    return Math.max(MIN_BURST, (this.rate! * BURST_MS) / 1000);
  }

  private refill(): void {
    const now = this.clock.now();
    const dt = Math.max(0, now - this.last) / 1000;
    this.last = now;
    if (this.rate === undefined) return;
    // Probe upward while the pacer holds requests back (adaptive mode only).
    if (!this.fixed && this.queue.length > 0) {
      const nearCeiling = this.rate >= NEAR_CEILING * this.ceiling && now - this.lastCut < CEILING_MEMORY_MS;
      const step = nearCeiling ? this.rate * CEILING_PROBE_FRACTION : Math.max(1, this.rate * PROBE_FRACTION);
      this.rate += step * dt;
    }
    this.tokens = Math.min(this.burst(), this.tokens + dt * this.rate);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.queue.length === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.rate!) * 1000));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.release();
    }, wait);
  }

  private release(): void {
    this.refill();
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      const w = this.queue.shift()!;
      w.signal?.removeEventListener("abort", w.onAbort);
      w.resolve();
    }
    this.schedule();
  }
}

const SMITHY_CONTEXT_KEY = "__smithy_context"; // where the SDK puts the command's abortSignal

/**
 * A client plugin that waits for `pacer` before every attempt. Add it after the call counter: both sit
 * right after retryMiddleware and the one added last runs first, so attempts are counted when sent.
 */
// For any client: every command's input is an object and every output bears response metadata.
export function pacerPlugin(pacer: Pacer): Pluggable<object, MetadataBearer> {
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> =
    (next, context: HandlerExecutionContext) => async (args: FinalizeHandlerArguments<object>) => {
      const signal = (context as Record<string, { abortSignal?: AbortSignal } | undefined>)[SMITHY_CONTEXT_KEY]?.abortSignal;
      await pacer.take(signal);
      const sentAt = pacer.now();
      try {
        const out = await next(args);
        pacer.record("ok", sentAt);
        return out;
      } catch (err) {
        pacer.record(outcomeOf(err), sentAt);
        throw err;
      }
    };
  return {
    applyToStack(stack) {
      stack.addRelativeTo(middleware, { name: "podIdentityDriftPacer", relation: "after", toMiddleware: "retryMiddleware", override: true });
    },
  };
}
