// The history benchmark: one drift check of N associations, run twice against the same SQLite history, each
// run a fresh process (bench/scan/worker.ts: runCheck, as `pod-identity-drift check` runs it, loaded the
// way bin/pod-identity-drift.js loads the CLI). The first run
// starts with no history; before the second, 1 % of the associations are changed out of band and 0.1 %
// deleted, so the second run looks up the previous configuration of every live association, finds changes
// to time and deletions to report, and records them. What it measures is the cost of history: both runs
// make the same EKS calls (one account, no throttling), so the second should cost about what the first does.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEksEmulator, type EksEmulator } from "../../test/support/eks-emulator";
import { emulatorEnv } from "../lib/emulator-env";
import { measure } from "../lib/measure";
import { median, ratio } from "../lib/stats";
import type { PlannedCluster } from "../scan/scenarios";
import { writeState } from "../scan/state";
import { populate } from "../scan/suite";
import { RESULT_PREFIX, type WorkerResult, type WorkerSpec } from "../scan/worker-protocol";

const WORKER = resolve(__dirname, "..", "scan", "worker.ts");
const REPO = resolve(__dirname, "..", "..");
const ACCOUNT = "311111111111";
const REGION = "eu-west-1";

export interface HistoryScenario {
  readonly name: string;
  readonly clusters: number;
  readonly associationsPerCluster: number;
}

export const FULL_HISTORY_SCENARIOS: readonly HistoryScenario[] = [{ name: "10 clusters × 1,000", clusters: 10, associationsPerCluster: 1000 }];
export const QUICK_HISTORY_SCENARIOS: readonly HistoryScenario[] = [{ name: "2 clusters × 100", clusters: 2, associationsPerCluster: 100 }];

export interface HistoryRow {
  readonly scenario: string;
  readonly associations: number;
  readonly reps: number;
  /** The first run (no history): runCheck time, median. */
  readonly firstMs: number;
  /** The second run (the first run's history, after the out-of-band changes), median. */
  readonly secondMs: number;
  readonly firstMsAll: readonly number[];
  readonly secondMsAll: readonly number[];
  /** Median of each repetition's second / first. */
  readonly secondOverFirst: number;
  readonly firstPeakRssMb: number;
  readonly secondPeakRssMb: number;
  /** The history file after the second run, MB (WAL checkpointed at close). */
  readonly historyMb: number;
  /** Associations changed and deleted between the runs. */
  readonly changed: number;
  readonly deleted: number;
  /** The second run's report summary, last repetition. */
  readonly secondSummary?: Readonly<Record<string, number>>;
  readonly workerFailures: number;
  readonly errors?: readonly string[];
  readonly error?: string;
}

export interface HistoryOptions {
  readonly scenarios: readonly HistoryScenario[];
  readonly reps: number;
  readonly nodeArgs?: readonly string[];
  readonly log: (line: string) => void;
}

export async function runHistory(opts: HistoryOptions): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  for (const scenario of opts.scenarios) rows.push(await runScenario(scenario, opts));
  return rows;
}

const clusterRef = (c: number) => ({ name: `hist-c${c}`, region: REGION, accountId: ACCOUNT });

/** The scenario's clusters, all in one account: what bench/scan/suite.ts `populate` fills. */
function planned(s: HistoryScenario): PlannedCluster[] {
  return Array.from({ length: s.clusters }, (_, c) => ({ ...clusterRef(c), associations: s.associationsPerCluster }));
}

/** Between the runs: every 100th association gets another target role (now), every 1,000th is deleted. */
function changeOutOfBand(emu: EksEmulator, s: HistoryScenario): { changed: number; deleted: number } {
  let changed = 0;
  let deleted = 0;
  for (let c = 0; c < s.clusters; c++) {
    const ref = clusterRef(c);
    emu.associations(ref).forEach((a, i) => {
      if (i % 1000 === 999) {
        emu.deleteAssociation(ref, a.associationId);
        deleted++;
      } else if (i % 100 === 50) {
        emu.updateAssociation(ref, a.associationId, { targetRoleArn: `${a.targetRoleArn}-v2`, modifiedAt: new Date() });
        changed++;
      }
    });
  }
  return { changed, deleted };
}

async function runScenario(scenario: HistoryScenario, opts: HistoryOptions): Promise<HistoryRow> {
  const first: number[] = [];
  const second: number[] = [];
  const ratios: number[] = [];
  const rss1: number[] = [];
  const rss2: number[] = [];
  const historyMb: number[] = [];
  const errors = new Set<string>();
  let workerFailures = 0;
  let secondSummary: Readonly<Record<string, number>> | undefined;
  let moved = { changed: 0, deleted: 0 };
  for (let rep = 0; rep < opts.reps; rep++) {
    const dir = mkdtempSync(join(tmpdir(), "bench-history-"));
    const emu = await startEksEmulator({ defaultAccountId: null });
    try {
      populate(emu, planned(scenario)); // a week old: the first run finds every association managed and in sync
      const all = Array.from({ length: scenario.clusters }, (_, c) => emu.associations(clusterRef(c))).flat();
      writeState(dir, ACCOUNT, REGION, all);
      const historyPath = join(dir, "history.db");
      const driftConfig = join(dir, "drift.json");
      writeFileSync(driftConfig, JSON.stringify({ state: ["terraform.*.tfstate"], history: { path: historyPath } }));
      const spec: WorkerSpec = { driftConfig, clusters: scenario.clusters };
      const specFile = join(dir, "spec.json");
      writeFileSync(specFile, JSON.stringify(spec));
      const env = emulatorEnv(emu.endpoint, emu.credentialsFor(ACCOUNT), REGION, specFile);

      const run = async (which: string) => {
        // Loaded as bin/pod-identity-drift.js loads the CLI (tsx's CommonJS hook, no loader thread).
        const m = await measure(process.execPath, [...(opts.nodeArgs ?? []), "--require", "tsx/cjs", WORKER], { env, cwd: REPO });
        const line = m.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
        if (m.exitCode !== 0 || !line)
          throw new Error(
            `${which} run: worker ${m.signal ? `killed by ${m.signal}` : `exit ${m.exitCode}`}: ${m.stderr.trim().split("\n").slice(-6).join(" | ")}`,
          );
        const r = JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkerResult;
        if (r.error) throw new Error(`${which} run: ${r.error}`);
        if (r.complete === false) errors.add(`${which} run: report not complete: ${r.errors.join("; ")}`);
        return { ms: r.scanMs, rssMb: m.peakRssKb / 1024, summary: r.summary };
      };
      const a = await run("first");
      moved = changeOutOfBand(emu, scenario);
      const b = await run("second");
      first.push(a.ms);
      second.push(b.ms);
      ratios.push(b.ms / a.ms);
      rss1.push(a.rssMb);
      rss2.push(b.rssMb);
      historyMb.push(statSync(historyPath).size / 1024 / 1024);
      secondSummary = b.summary;
      opts.log(
        `history ${scenario.name} rep ${rep + 1}/${opts.reps}: first ${a.ms.toFixed(0)} ms ${a.rssMb.toFixed(0)} MB, second ${b.ms.toFixed(0)} ms ${b.rssMb.toFixed(0)} MB (${(b.ms / a.ms).toFixed(2)}×)`,
      );
    } catch (e) {
      workerFailures++;
      errors.add((e as Error).message);
      opts.log(`history ${scenario.name} rep ${rep + 1}/${opts.reps}: ${(e as Error).message}`);
    } finally {
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    scenario: scenario.name,
    associations: scenario.clusters * scenario.associationsPerCluster,
    reps: opts.reps,
    firstMs: median(first),
    secondMs: median(second),
    firstMsAll: first,
    secondMsAll: second,
    secondOverFirst: ratio(median(ratios), 1),
    firstPeakRssMb: round(median(rss1)),
    secondPeakRssMb: round(median(rss2)),
    historyMb: round(median(historyMb)),
    ...moved,
    ...(secondSummary ? { secondSummary } : {}),
    workerFailures,
    ...(errors.size ? { errors: [...errors].slice(0, 10) } : {}),
    ...(first.length === 0 ? { error: [...errors][0] ?? "no successful run" } : {}),
  };
}
