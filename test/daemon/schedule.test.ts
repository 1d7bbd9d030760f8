import { describe, expect, it } from "vitest";
import { DaemonStartError } from "../../drift/daemon/errors";
import { ScanScheduler, validateSchedule } from "../../drift/daemon/schedule";
import { waitFor } from "./helpers";

describe("validateSchedule", () => {
  it("accepts 5- and 6-field expressions and IANA zones", () => {
    expect(() => validateSchedule("*/15 * * * *")).not.toThrow();
    expect(() => validateSchedule("*/5 * * * * *", "Europe/Berlin")).not.toThrow();
  });

  it("names every problem at once", () => {
    let err: unknown;
    try {
      validateSchedule("61 * * * * * *", "Nowhere/Special");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DaemonStartError);
    expect((err as Error).message.split("\n")).toEqual([
      'invalid schedule "61 * * * * * *": expected 5 or 6 fields but got 7. Use a cron expression with 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), e.g. "*/15 * * * *".',
      'invalid timezone "Nowhere/Special": not an IANA time zone name. Use e.g. "UTC" or "Europe/Berlin".',
    ]);
  });
});

describe("ScanScheduler", () => {
  it("computes the next tick in the configured time zone", () => {
    const s = new ScanScheduler({ schedule: "0 9 * * *", timezone: "Asia/Tokyo", run: async () => {}, onSkip: () => {} });
    const next = s.nextRun()!;
    s.stop();
    // 09:00 in Tokyo (UTC+9, no daylight saving) is 00:00 UTC.
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([0, 0]);
    expect(s.nextRun()).toBeNull();
  });

  it("ticks, skips a tick while a run is in flight, and stops ticking", async () => {
    const runs: string[] = [];
    const skips: string[] = [];
    let release!: () => void;
    const s = new ScanScheduler({
      schedule: "* * * * * *",
      run: async (reason) => {
        runs.push(reason);
        if (runs.length === 1) await new Promise<void>((r) => (release = r));
      },
      onSkip: (reason) => skips.push(reason),
    });
    s.start();
    expect(s.trigger("start")).toBe(true);
    expect(s.trigger("start")).toBe(false);
    await waitFor("a skipped tick", () => skips.includes("scheduled"));
    expect(runs).toEqual(["start"]);
    release();
    await waitFor("a scheduled run", () => runs.includes("scheduled"));
    s.stop();
    await s.idle();
    const n = runs.length;
    expect(s.trigger("start")).toBe(false);
    await new Promise((r) => setTimeout(r, 1500));
    expect(runs.length).toBe(n);
  });
});
