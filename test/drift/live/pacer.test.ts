// The pacer on a fake clock: fixed-rate token bucket, adaptive cuts and probing, floor, abort.
import { describe, expect, it } from "vitest";
import { BACKOFF, Pacer, type PacerClock } from "../../../drift/live/pacer";

class FakeClock implements PacerClock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(id: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  /** Moves time forward by `ms`, firing due timers in order and letting promise callbacks run after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** Starts `n` takes; returns how many have been granted so far, live. */
function takes(p: Pacer, n: number, signal?: AbortSignal) {
  const state = { granted: 0, rejected: [] as unknown[] };
  for (let i = 0; i < n; i++)
    p.take(signal).then(
      () => state.granted++,
      (e: unknown) => state.rejected.push(e),
    );
  return state;
}

describe("Pacer, fixed rate", () => {
  it("lets a small burst through, then one request per 1/rate", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ requestsPerSecond: 10, clock });
    const s = takes(p, 30);
    await flush();
    expect(s.granted).toBe(2); // burst: max(2, 50 ms worth)
    await clock.advance(1_000);
    expect(s.granted).toBe(12);
    await clock.advance(1_000);
    expect(s.granted).toBe(22);
    expect(p.currentRate).toBe(10);
  });

  it("never exceeds burst + rate × t, however the takes arrive", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ requestsPerSecond: 250, clock });
    const s = { granted: 0 };
    for (let ms = 0; ms < 2_000; ms += 7) {
      for (let i = 0; i < 3; i++) void p.take().then(() => s.granted++);
      await clock.advance(7);
      expect(s.granted).toBeLessThanOrEqual(12.5 + (clock.t / 1000) * 250 + 1e-9);
    }
    expect(s.granted).toBeGreaterThanOrEqual(Math.floor(12.5 + 2 * 250) - 3);
  });

  it("ignores throttles: the configured rate stays", async () => {
    const p = new Pacer({ requestsPerSecond: 5, clock: new FakeClock() });
    p.record("throttled");
    p.record("throttled");
    expect(p.currentRate).toBe(5);
  });

  it("rejects a rate that is not positive", () => {
    expect(() => new Pacer({ requestsPerSecond: 0 })).toThrow(RangeError);
    expect(() => new Pacer({ requestsPerSecond: Number.NaN })).toThrow(RangeError);
  });
});

describe("Pacer, adaptive", () => {
  it("does not pace before the first throttle", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ clock });
    const s = takes(p, 1_000);
    await flush();
    expect(s.granted).toBe(1_000);
    expect(p.currentRate).toBeUndefined();
    p.record("error"); // other errors do not start pacing
    expect(p.currentRate).toBeUndefined();
  });

  it("on the first throttle paces at BACKOFF × the successes of the last second", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ clock });
    for (let i = 0; i < 40; i++) {
      p.record("ok");
      await clock.advance(5); // 40 successes within 200 ms
    }
    p.record("throttled");
    expect(p.currentRate).toBeCloseTo(BACKOFF * 40);
    const s = takes(p, 100);
    await flush();
    expect(s.granted).toBe(0); // the bucket is emptied by a cut
    await clock.advance(1_000);
    expect(s.granted).toBeGreaterThanOrEqual(35);
    expect(s.granted).toBeLessThanOrEqual(38);
  });

  it("counts only the last second of successes", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ clock });
    for (let i = 0; i < 100; i++) p.record("ok");
    await clock.advance(1_500);
    for (let i = 0; i < 20; i++) p.record("ok");
    expect(p.successesPerSecond()).toBe(20);
    p.record("throttled");
    expect(p.currentRate).toBeCloseTo(BACKOFF * 20);
  });

  it("cuts once for the attempts in flight at a cut, again for an attempt sent after it", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ clock });
    await clock.advance(100);
    const before = p.now();
    for (let i = 0; i < 50; i++) p.record("ok");
    await clock.advance(10);
    p.record("throttled", before);
    await clock.advance(10);
    for (let i = 0; i < 15; i++) p.record("throttled", before); // the rest of the attempts in flight
    expect(p.currentRate).toBeCloseTo(45);
    const after = p.now() + 1;
    await clock.advance(100);
    p.record("throttled", after);
    expect(p.currentRate).toBeCloseTo(BACKOFF * 45); // min(rate, measured 50)
    await clock.advance(1_000);
    for (let i = 0; i < 30; i++) p.record("ok");
    p.record("throttled");
    expect(p.currentRate).toBeCloseTo(BACKOFF * 30); // min(rate, measured 30)
  });

  it("never paces below the floor", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ clock });
    p.record("throttled"); // throttled before any success: measured 0
    expect(p.currentRate).toBe(1);
    const q = new Pacer({ clock, floor: 3 });
    q.record("throttled");
    expect(q.currentRate).toBe(3);
  });

  it("probes upward while requests wait, and not while idle", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ clock });
    for (let i = 0; i < 4; i++) p.record("ok"); // too few successes to tell the quota: no ceiling
    p.record("throttled");
    expect(p.currentRate).toBeCloseTo(BACKOFF * 4);
    await clock.advance(10_000); // idle: no probe
    void p.take();
    expect(p.currentRate).toBeCloseTo(BACKOFF * 4);
    takes(p, 20_000);
    await clock.advance(10_000);
    expect(p.currentRate).toBeGreaterThan(12); // +1/s at low rates
    expect(p.currentRate).toBeLessThan(15);
    await clock.advance(50_000);
    // +1/s up to 50/s (~46 s from the cut), then 2% a second, compounding; never a jump.
    expect(p.currentRate).toBeGreaterThan(58);
    expect(p.currentRate).toBeLessThan(72);
  });

  it("slows its probe near the ceiling (the rate granted when throttled) until the ceiling is 30 s old", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ clock });
    for (let i = 0; i < 100; i++) p.record("ok");
    p.record("throttled"); // ceiling 100
    expect(p.currentRate).toBeCloseTo(90);
    takes(p, 10_000);
    await clock.advance(5_000); // 2%/s up to 97, then 0.5%/s
    expect(p.currentRate).toBeGreaterThan(97);
    expect(p.currentRate).toBeLessThan(98.5);
    await clock.advance(20_000); // 25 s after the cut: still below the ceiling, ~0.5 a second
    expect(p.currentRate).toBeGreaterThan(106);
    expect(p.currentRate).toBeLessThan(110);
    await clock.advance(15_000); // forgotten at 30 s: 2%/s again, compounding
    expect(p.currentRate).toBeGreaterThan(125);
    expect(p.currentRate).toBeLessThan(140);
  });

  it("never paces with adaptive: false", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ clock, adaptive: false });
    p.record("throttled");
    expect(p.currentRate).toBeUndefined();
    const s = takes(p, 100);
    await flush();
    expect(s.granted).toBe(100);
  });
});

/**
 * `workers` loops sending `total` requests through the pacer to a service with a token-bucket quota
 * (`rps`, burst `burst`), answering in `latencyMs`; a throttled request is retried after a jittered delay
 * (the SDK's standard mode: up to 500 ms for a throttle), through the pacer again. Fake time throughout.
 */
async function againstQuota(rps: number, total: number, { workers = 8, latencyMs = 3, burst = rps } = {}) {
  const clock = new FakeClock();
  const p = new Pacer({ clock });
  const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let tokens = burst;
  let last = 0;
  let left = total;
  const out = { calls: 0, throttles: 0, throttledAfterStart: 0, ms: 0 };
  const worker = async () => {
    while (left-- > 0) {
      for (;;) {
        await p.take();
        const sentAt = p.now();
        out.calls++;
        await sleep(latencyMs);
        tokens = Math.min(burst, tokens + ((clock.t - last) / 1000) * rps);
        last = clock.t;
        const ok = tokens >= 1;
        if (ok) tokens -= 1;
        p.record(ok ? "ok" : "throttled", sentAt);
        if (ok) break;
        out.throttles++;
        if (clock.t > 1_000) out.throttledAfterStart++;
        await sleep(random() * 500);
      }
    }
  };
  let done = false;
  void Promise.all(Array.from({ length: workers }, worker)).then(() => (done = true));
  while (!done) await clock.advance(100);
  out.ms = clock.t;
  return out;
}

describe("Pacer, adaptive, against a quota", () => {
  it("costs the requests in flight when the quota first runs out, and about one probe in 20 s", async () => {
    // 520 calls at 25/s: one account of the benchmark's 200 clusters × 25 scenario.
    const r = await againstQuota(25, 520);
    expect(r.throttles - r.throttledAfterStart).toBeLessThanOrEqual(8); // the 8 in flight at the start
    expect(r.throttledAfterStart).toBeLessThanOrEqual(2);
    expect(r.calls).toBeLessThanOrEqual(520 * 1.02);
    expect(r.ms).toBeLessThan((520 / 25) * 1000 * 1.1); // fake time: the pace found, not this machine's speed
  });

  it("a burst larger than the rate: cuts in quick succession measure what was granted since the first", async () => {
    // After the first cut the last second still holds the burst's successes, so 0.9 × that stays far above
    // the quota: each further throttle took only 10 % off, ~17 throttled calls to get from 100/s to 20/s.
    const r = await againstQuota(20, 1_000, { burst: 100 });
    expect(r.throttles).toBeLessThanOrEqual(20);
    expect(r.calls).toBeLessThanOrEqual(1_000 * 1.02);
    expect(r.ms).toBeLessThan(((1_000 - 100) / 20) * 1000 * 1.1); // the burst's 100 come free
  });

  it("keeps finding the quota over a long scan: about one throttle per ceiling memory", async () => {
    const r = await againstQuota(250, 25_000); // 100 s at 250/s
    expect(r.throttledAfterStart).toBeLessThanOrEqual(8);
    expect(r.calls).toBeLessThanOrEqual(25_000 * 1.005);
    expect(r.ms).toBeLessThan(100_000 * 1.05);
  });
});

describe("Pacer, abort", () => {
  it("rejects a waiting take with the signal's reason and drops it from the queue", async () => {
    const clock = new FakeClock();
    const p = new Pacer({ requestsPerSecond: 1, clock });
    const ac = new AbortController();
    const s = takes(p, 5, ac.signal);
    await flush();
    expect(s.granted).toBe(2);
    const reason = new Error("gone");
    ac.abort(reason);
    await flush();
    expect(s.rejected).toEqual([reason, reason, reason]);
    // The aborted takes hold no place: the next take is granted after one token, not four.
    const later = takes(p, 1);
    await clock.advance(1_000);
    expect(later.granted).toBe(1);
    await expect(p.take(ac.signal)).rejects.toBe(reason);
  });
});
