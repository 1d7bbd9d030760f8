// `npm run bench`: the synth and scan benchmarks of issue 5 and the history benchmark of issue 10. Prints
// tables, writes
// bench/results/<timestamp>.json and bench/results/latest.json. Timings are reported, never asserted.

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs, type BenchArgs } from "./lib/args";
import { describeMachine, type Machine } from "./lib/machine";
import { ratio } from "./lib/stats";
import { renderTable, type Cell } from "./lib/table";
import { FULL_HISTORY_SCENARIOS, QUICK_HISTORY_SCENARIOS, runHistory, type HistoryRow } from "./history/suite";
import { FULL_SCENARIOS, QUICK_SCENARIOS } from "./scan/scenarios";
import { runScan, type ScanRow } from "./scan/suite";
import { runSynth, type SynthResults, type SynthRow } from "./synth/suite";
import { TERRAFORM_CDK } from "../modules/terraform-cdk";

const REPO = resolve(__dirname, "..");
const RESULTS = join(REPO, "bench", "results");
export const SCHEMA_VERSION = 1;

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly measured: number | null;
  /** null: not measured in this run. */
  readonly met: boolean | null;
}

export interface BenchResults {
  readonly schemaVersion: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: Machine;
  readonly options: BenchArgs & { readonly sizes: readonly number[] };
  readonly synth?: SynthResults;
  readonly scan?: { readonly rows: readonly ScanRow[] };
  readonly history?: { readonly rows: readonly HistoryRow[] };
  readonly targets: readonly Target[];
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function target(name: string, text: string, measured: number | null | undefined, ok: (x: number) => boolean): Target {
  const m = measured === undefined || measured === null || !Number.isFinite(measured) ? null : measured;
  return { name, target: text, measured: m, met: m === null ? null : ok(m) };
}

function targetsOf(
  synth: SynthResults | undefined,
  scan: readonly ScanRow[] | undefined,
  history: readonly HistoryRow[] | undefined,
  quick: boolean,
): Target[] {
  const out: Target[] = [];
  if (synth) {
    // Issue 13's targets (issue 5 and 10 asked for ≤ 0.3 and ≤ 10 at 1,000), all variants run the same way.
    const r = synth.ratios.find((x) => x.size === 1000);
    const r5 = synth.ratios.find((x) => x.size === 5000);
    out.push(target("synth 1,000: ours/naive wall", "≤ 0.2", r?.oursOverNaiveWall, (x) => x <= 0.2));
    out.push(target("synth 1,000: ours/naive peak RSS", "≤ 0.25", r?.oursOverNaiveRss, (x) => x <= 0.25));
    out.push(target("synth 1,000: ours/floor wall", "≤ 5", r?.oursOverFloorWall, (x) => x <= 5));
    out.push(target("synth 5,000: ours/floor wall", "≤ 8", r5?.oursOverFloorWall, (x) => x <= 8));
    // Flat: the cost of one more association from 1,000 to 5,000 is at most 1.5× what it is from 100 to 1,000.
    const ours = synth.perAssociation.filter((p) => p.variant === "ours");
    const s1000 = ours.find((p) => p.size === 1000)?.segmentSlopeMs;
    const s5000 = ours.find((p) => p.size === 5000)?.segmentSlopeMs;
    const flat = s1000 && s5000 && s1000 > 0 ? Math.round((s5000 / s1000) * 100) / 100 : null;
    out.push(target("synth: per-association slope 1k→5k / 100→1k", "≤ 1.5 (flat)", flat, (x) => x <= 1.5));
  }
  for (const row of scan ?? []) {
    // The wall and call targets are about the full scenarios; at quick sizes the bound is a few ms.
    if (!quick) {
      out.push(target(`scan ${row.scenario}: wall / rate bound`, "≤ 1.15", row.wallOverBound, (x) => x <= 1.15));
      out.push(target(`scan ${row.scenario}: calls / minimum`, "≤ 1.02", row.callsOverMin, (x) => x <= 1.02));
    }
    out.push(target(`scan ${row.scenario}: failed scans`, "0", row.error ? null : row.failedScans, (x) => x === 0));
    // Issue 12: each distinct chain role read once (every call that got an answer was needed), none failed.
    out.push(target(`scan ${row.scenario}: IAM answered calls / minimum`, "= 1", row.error ? null : ratio(row.iamOkCalls, row.iamMinCalls), (x) => x === 1));
    out.push(target(`scan ${row.scenario}: failed role reads`, "0", row.error ? null : row.failedRoles, (x) => x === 0));
    if (row.associations >= 5000) {
      out.push(target(`scan ${row.scenario}: peak RSS MB`, "< 200", row.error ? null : row.peakRssMb, (x) => x < 200));
    }
  }
  for (const row of history ?? []) {
    // The ratio is about the full scenario; at quick sizes start-up and noise dominate.
    if (!quick) out.push(target(`history ${row.scenario}: second run / first run`, "≤ 1.2", row.error ? null : row.secondOverFirst, (x) => x <= 1.2));
    out.push(target(`history ${row.scenario}: failed runs`, "0", row.workerFailures, (x) => x === 0));
    if (row.associations >= 10_000) {
      out.push(target(`history ${row.scenario}: peak RSS MB, first run`, "< 200", row.error ? null : row.firstPeakRssMb, (x) => x < 200));
      out.push(target(`history ${row.scenario}: peak RSS MB, second run`, "< 200", row.error ? null : row.secondPeakRssMb, (x) => x < 200));
    }
  }
  return out;
}

function synthTables(s: SynthResults): string {
  const rows: Cell[][] = s.rows.map((r: SynthRow) => [
    r.variant,
    r.size,
    r.error && r.wallMs.all.length === 0 ? "failed" : r.wallMs.median,
    r.peakRssMb.median,
    r.output?.resourceCount,
    r.output ? Math.round(r.output.bytes / 1024) : undefined,
    r.failures,
  ]);
  if (s.example) {
    const e = s.example;
    rows.push([
      `npx ${TERRAFORM_CDK} synth (example, ${e.processes} processes)`,
      e.size,
      e.wallMs.median,
      e.peakRssMb.median,
      e.output?.resourceCount,
      e.output ? Math.round(e.output.bytes / 1024) : undefined,
      e.failures,
    ]);
  }
  const parts = [
    renderTable(
      `Synth (median of reps; one fresh process each; runner: ${s.runner})`,
      ["variant", "N", "wall ms", "peak RSS MB", "resources", "out KiB", "failed"],
      rows,
    ),
    renderTable(
      "Synth ratios (median wall, median peak RSS)",
      ["N", "ours/naive wall", "ours/naive RSS", "ours/floor wall", "ours/floor RSS", "ours/direct wall", "direct/floor wall"],
      s.ratios.map((r) => [
        r.size,
        r.oursOverNaiveWall,
        r.oursOverNaiveRss,
        r.oursOverFloorWall,
        r.oursOverFloorRss,
        r.oursOverDirectWall,
        r.directOverFloorWall,
      ]),
    ),
  ];
  if (s.perAssociation.length) {
    parts.push(
      renderTable(
        "Synth time per association (ms)",
        ["variant", "N", "wall/N", "marginal (−N=1)", "slope from prev N"],
        s.perAssociation.map((p) => [p.variant, p.size, p.wallPerAssociationMs, p.marginalMs, p.segmentSlopeMs]),
      ),
    );
  }
  if (s.example?.error) parts.push(`npx ${TERRAFORM_CDK} synth (example): ${s.example.error}`);
  for (const r of s.rows) if (r.error) parts.push(`${r.variant} N=${r.size}: ${r.error}`);
  return parts.join("\n\n");
}

function scanTable(rows: readonly ScanRow[]): string {
  const t = renderTable(
    "Scan (median of reps; emulator throttles above R req/s per account)",
    ["scenario", "pacing", "R/s", "scan ms", "bound ms", "wall/bound", "calls", "min calls", "calls/min", "throttled", "peak RSS MB", "failed"],
    rows.map((r) => [
      r.scenario,
      r.pacing,
      r.rps,
      r.scanMs,
      r.boundMs,
      r.wallOverBound,
      r.calls,
      r.minCalls,
      r.callsOverMin,
      r.throttles,
      r.peakRssMb,
      r.failedScans,
    ]),
  );
  const iam = renderTable(
    "Scan, IAM chain roles (read after the clusters; IAM throttles above its R req/s per account)",
    ["scenario", "roles", "R/s", "IAM bound ms", "calls", "answered", "min calls", "calls/min", "throttled", "failed roles"],
    rows.map((r) => [
      r.scenario,
      r.iamRoles,
      r.iamRps,
      r.iamBoundMs,
      r.iamCalls,
      r.iamOkCalls,
      r.iamMinCalls,
      r.iamCallsOverMin,
      r.iamThrottles,
      r.failedRoles,
    ]),
  );
  const errs = rows.flatMap((r) => (r.errors ?? []).map((e) => `${r.scenario}: ${e}`));
  return [t, iam, ...errs].join("\n");
}

function historyTable(rows: readonly HistoryRow[]): string {
  const t = renderTable(
    "History (median of reps; the same check twice, the second with the first's history after 1 % changed, 0.1 % deleted)",
    ["scenario", "N", "first ms", "second ms", "second/first", "first RSS MB", "second RSS MB", "history MB", "failed"],
    rows.map((r) => [r.scenario, r.associations, r.firstMs, r.secondMs, r.secondOverFirst, r.firstPeakRssMb, r.secondPeakRssMb, r.historyMb, r.workerFailures]),
  );
  const errs = rows.flatMap((r) => (r.errors ?? []).map((e) => `${r.scenario}: ${e}`));
  return [t, ...errs].join("\n");
}

function targetTable(ts: readonly Target[]): string {
  return renderTable(
    "Targets (issues 5, 10, 12 and 13)",
    ["target", "want", "measured", "met"],
    ts.map((t) => [t.name, t.target, t.measured, t.met === null ? "not measured" : t.met ? "yes" : "NO"]),
  );
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const startedAt = new Date();
  const sizes = args.sizes ?? (args.quick ? [1] : [1, 100, 1000, 5000]);
  const machine = describeMachine(REPO);
  const nodeArgs = args.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", resolve(args.cpuProfDir)] : [];
  log(`bench: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, node ${machine.node}, load ${machine.loadAverage1m}`);

  let synth: SynthResults | undefined;
  if (args.only === undefined || args.only === "synth") {
    synth = await runSynth({ sizes, reps: args.reps, runner: args.runner, example: args.example, warmup: !args.quick, nodeArgs, log });
  }
  let scan: ScanRow[] | undefined;
  if (args.only === undefined || args.only === "scan") {
    scan = await runScan({
      scenarios: args.quick ? QUICK_SCENARIOS : FULL_SCENARIOS,
      ...(args.rate ? { rps: args.rate } : {}),
      paced: args.paced,
      reps: args.reps,
      nodeArgs,
      log,
    });
  }
  let history: HistoryRow[] | undefined;
  if (args.only === undefined || args.only === "history") {
    history = await runHistory({ scenarios: args.quick ? QUICK_HISTORY_SCENARIOS : FULL_HISTORY_SCENARIOS, reps: args.reps, nodeArgs, log });
  }
  const targets = targetsOf(synth, scan, history, args.quick);
  const results: BenchResults = {
    schemaVersion: SCHEMA_VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    options: { ...args, sizes },
    ...(synth ? { synth } : {}),
    ...(scan ? { scan: { rows: scan } } : {}),
    ...(history ? { history: { rows: history } } : {}),
    targets,
  };

  const out: string[] = [];
  if (synth) out.push(synthTables(synth));
  if (scan) out.push(scanTable(scan));
  if (history) out.push(historyTable(history));
  out.push(targetTable(targets));
  process.stdout.write(`\n${out.join("\n\n")}\n`);

  const dir = args.outDir ? resolve(args.outDir) : RESULTS;
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const file = join(dir, `${stamp}.json`);
  writeFileSync(file, json);
  writeFileSync(join(dir, "latest.json"), json);
  process.stdout.write(`\nresults: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
