// The scan schedule: a node-cron task whose ticks start a scan unless one is already running. An
// overlapping tick is skipped and reported (never queued): scans are idempotent, the next tick catches up.
import { createTask, validateDetailed, type Logger as CronLogger, type ScheduledTask } from "node-cron";
import { DaemonStartError } from "./errors";

export type ScanReason = "start" | "scheduled" | "leadership";

/** Throws a DaemonStartError naming every problem with the expression and the time zone. */
export function validateSchedule(expression: string, timezone?: string): void {
  const problems: string[] = [];
  let detail;
  try {
    detail = validateDetailed(expression);
  } catch (e) {
    detail = { valid: false, errors: [{ message: (e as Error).message }] };
  }
  if (!detail.valid) {
    const reasons = detail.errors.map((e) => e.message).join("; ");
    problems.push(
      `invalid schedule ${JSON.stringify(expression)}: ${reasons}. ` +
        `Use a cron expression with 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), e.g. "*/15 * * * *".`,
    );
  }
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    } catch {
      problems.push(`invalid timezone ${JSON.stringify(timezone)}: not an IANA time zone name. Use e.g. "UTC" or "Europe/Berlin".`);
    }
  }
  if (problems.length > 0) throw new DaemonStartError(problems.join("\n"));
}

export interface ScanSchedulerOptions {
  readonly schedule: string;
  readonly timezone?: string;
  /** Runs one scan. Never called while a previous call is still running. */
  readonly run: (reason: ScanReason) => Promise<void>;
  /** Called for each trigger that found a scan still running. */
  readonly onSkip: (reason: ScanReason) => void;
  readonly logger?: CronLogger;
}

export class ScanScheduler {
  private readonly task: ScheduledTask;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ScanSchedulerOptions) {
    validateSchedule(opts.schedule, opts.timezone);
    // The task function returns at once: node-cron's own overlap handling would queue or drop silently,
    // ours counts the skip.
    this.task = createTask(opts.schedule, () => void this.trigger("scheduled"), {
      timezone: opts.timezone,
      name: "pod-identity-drift-scan",
      logger: opts.logger,
    });
  }

  /** Starts ticking. Does not scan by itself: call trigger("start") for the scan at start. */
  start(): void {
    if (!this.stopped) void this.task.start();
  }

  /**
   * Starts a scan now unless one is running (then it counts a skip). Returns whether a scan started.
   */
  trigger(reason: ScanReason): boolean {
    if (this.stopped) return false;
    if (this.current) {
      this.opts.onSkip(reason);
      return false;
    }
    const run = this.opts.run(reason).catch(() => undefined);
    this.current = run.finally(() => {
      this.current = undefined;
    });
    return true;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Resolves when no scan is running. */
  idle(): Promise<void> {
    return this.current ?? Promise.resolve();
  }

  /** When the next tick is due (whether or not ticking has started). */
  nextRun(): Date | null {
    return this.stopped ? null : (this.task.getNextRuns(1)[0] ?? null);
  }

  /** Stops ticking for good; a scan in flight is left to finish (see idle()). */
  stop(): void {
    this.stopped = true;
    void this.task.stop();
    void this.task.destroy();
  }
}
