// The synth benchmark: for each size, each variant (ours, naive, direct, floor) runs as a fresh process on the same
// workload, `reps` times, interleaved so that machine noise spreads over all variants alike.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { measure, runTsArgs, tsxArgs, type Measurement } from "../lib/measure";
import { summarizeOutput, type OutputSummary } from "../lib/output";
import { max, median, min, ratio } from "../lib/stats";
import { makeWorkload, type Workload } from "../workload";
import { TERRAFORM_CDK } from "../../modules/terraform-cdk";
import { OUR_CONFIG_MODULE, writeOurConfig } from "./our-config";

export const REPO = resolve(__dirname, "..", "..");

export type SynthVariantName = "ours" | "naive" | "direct" | "floor";
/**
 * How every variant's script is run: "compiled" as cdktf.json runs the app (bin/run-ts.cjs: bundled by
 * esbuild, cached), "tsx" transpiled and loaded by tsx at each run (`node --import tsx`).
 */
export type SynthRunner = "compiled" | "tsx";
export const VARIANTS: readonly SynthVariantName[] = ["ours", "naive", "direct", "floor"];

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly all: readonly number[];
}

export interface SynthRow {
  readonly variant: SynthVariantName | "cdktf-synth-example";
  readonly size: number;
  readonly reps: number;
  readonly failures: number;
  readonly wallMs: Spread;
  /** Largest single process, MB. */
  readonly peakRssMb: Spread;
  /** Sum over the process tree, MB. */
  readonly treeRssMb: Spread;
  readonly processes: number;
  readonly output?: OutputSummary;
  readonly error?: string;
}

export interface SynthRatios {
  readonly size: number;
  readonly oursOverNaiveWall: number;
  readonly oursOverNaiveRss: number;
  readonly oursOverFloorWall: number;
  readonly oursOverFloorRss: number;
  /** Ours against cdktf used directly for the same resources (bench/direct-app.ts). */
  readonly oursOverDirectWall: number;
  /** cdktf used directly against the floor: what cdktf itself costs. */
  readonly directOverFloorWall: number;
}

export interface PerAssociation {
  readonly variant: SynthVariantName;
  readonly size: number;
  /** Median wall time divided by N. */
  readonly wallPerAssociationMs: number;
  /** (wall(N) − wall(1)) / (N − 1): the cost of one more association, start-up excluded. */
  readonly marginalMs: number | null;
  /** Slope from the previous size to this one: (wall(N) − wall(prev)) / (N − prev). */
  readonly segmentSlopeMs: number | null;
}

export interface SynthResults {
  readonly runner: SynthRunner;
  readonly rows: readonly SynthRow[];
  readonly ratios: readonly SynthRatios[];
  readonly perAssociation: readonly PerAssociation[];
  readonly example?: SynthRow;
}

export interface SynthOptions {
  readonly sizes: readonly number[];
  readonly reps: number;
  /** The same for every variant. */
  readonly runner: SynthRunner;
  readonly example: boolean;
  /** Run each variant once, unmeasured, before measuring (fills the runner's cache: bundles or tsx's transforms; and the page cache). */
  readonly warmup: boolean;
  /** Extra node flags for the measured processes (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  readonly log: (line: string) => void;
}

const MB = 1024;

function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: min(xs), max: max(xs), all: xs };
}

interface Invocation {
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

function invocation(
  runner: SynthRunner,
  variant: SynthVariantName,
  workloadFile: string,
  configFile: string,
  outdir: string,
  nodeArgs: readonly string[] = [],
): Invocation {
  const env = { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" };
  const run = runner === "compiled" ? runTsArgs : tsxArgs;
  switch (variant) {
    case "ours":
      return { args: run(join(REPO, "main.ts"), nodeArgs), env: { ...env, POD_IDENTITY_CONFIG: configFile } };
    case "naive":
      return { args: run(join(REPO, "bench", "naive-app.ts"), nodeArgs), env: { ...env, BENCH_WORKLOAD: workloadFile } };
    case "direct":
      return { args: run(join(REPO, "bench", "direct-app.ts"), nodeArgs), env: { ...env, BENCH_WORKLOAD: workloadFile } };
    case "floor":
      return { args: run(join(REPO, "bench", "floor.ts"), nodeArgs), env: { ...env, BENCH_WORKLOAD: workloadFile } };
  }
}

function failure(m: Measurement): string {
  const why = m.signal ? `killed by ${m.signal}` : `exit code ${m.exitCode}`;
  const tail = m.stderr.trim().split("\n").slice(-8).join("\n");
  return `${why}${tail ? `: ${tail}` : ""}`;
}

interface Collected {
  walls: number[];
  peaks: number[];
  trees: number[];
  processes: number;
  failures: number;
  output?: OutputSummary;
  error?: string;
}

function toRow(variant: SynthRow["variant"], size: number, reps: number, c: Collected): SynthRow {
  return {
    variant,
    size,
    reps,
    failures: c.failures,
    wallMs: spread(c.walls),
    peakRssMb: spread(c.peaks.map((k) => k / MB)),
    treeRssMb: spread(c.trees.map((k) => k / MB)),
    processes: c.processes,
    ...(c.output ? { output: c.output } : {}),
    ...(c.error ? { error: c.error } : {}),
  };
}

async function runOnce(c: Collected, command: string, inv: Invocation, outdir: string, cwd: string): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const m = await measure(command, inv.args, { env: inv.env, cwd });
  if (m.exitCode !== 0) {
    c.failures++;
    c.error ??= failure(m);
    return;
  }
  c.walls.push(m.wallMs);
  c.peaks.push(m.peakRssKb);
  c.trees.push(m.treeRssKb);
  c.processes = m.processes.length;
  if (!c.output) {
    try {
      c.output = summarizeOutput(outdir);
    } catch (err) {
      c.error ??= `output unreadable: ${(err as Error).message}`;
    }
  }
  rmSync(outdir, { recursive: true, force: true });
}

/** Writes the inputs of one size: the workload JSON (naive, direct, floor) and our config file. */
function prepare(dir: string, workload: Workload): { workloadFile: string; configFile: string; configError?: string } {
  const workloadFile = join(dir, "workload.json");
  writeFileSync(workloadFile, JSON.stringify(workload));
  const configFile = join(dir, "pod-identity.yaml");
  try {
    writeOurConfig(workload, configFile);
    return { workloadFile, configFile };
  } catch (err) {
    return { workloadFile, configFile, configError: (err as Error).message };
  }
}

export async function runSynth(opts: SynthOptions): Promise<SynthResults> {
  const root = mkdtempSync(join(tmpdir(), "bench-synth-"));
  const rows: SynthRow[] = [];
  try {
    // Warm-up, not measured: fills the runner's cache (bin/run-ts.cjs's bundles, or tsx's transforms) and the page cache so no variant pays for compiling
    // TypeScript or reading cold files.
    if (opts.warmup) {
      const dir = join(root, "warmup");
      mkdirSync(dir);
      const w = makeWorkload(1);
      const p = prepare(dir, w);
      for (const v of VARIANTS) {
        if (v === "ours" && p.configError) continue;
        const scratch: Collected = { walls: [], peaks: [], trees: [], processes: 0, failures: 0 };
        await runOnce(scratch, process.execPath, invocation(opts.runner, v, p.workloadFile, p.configFile, join(dir, "out")), join(dir, "out"), REPO);
      }
    }

    for (const size of opts.sizes) {
      const dir = join(root, `n${size}`);
      mkdirSync(dir);
      const p = prepare(dir, makeWorkload(size));
      const collected = new Map<SynthVariantName, Collected>(VARIANTS.map((v) => [v, { walls: [], peaks: [], trees: [], processes: 0, failures: 0 }]));
      if (p.configError) {
        const c = collected.get("ours")!;
        c.error = `config not generated (${OUR_CONFIG_MODULE}): ${p.configError}`;
      }
      for (let rep = 0; rep < opts.reps; rep++) {
        for (const v of VARIANTS) {
          const c = collected.get(v)!;
          if (v === "ours" && p.configError) {
            c.failures++;
            continue;
          }
          const outdir = join(dir, `out-${v}`);
          await runOnce(c, process.execPath, invocation(opts.runner, v, p.workloadFile, p.configFile, outdir, opts.nodeArgs), outdir, REPO);
          opts.log(
            `synth n=${size} ${v} rep ${rep + 1}/${opts.reps}: ` + (c.walls.length > 0 && c.failures === 0 ? `${c.walls.at(-1)!.toFixed(0)} ms` : `failed`),
          );
        }
      }
      for (const v of VARIANTS) rows.push(toRow(v, size, opts.reps, collected.get(v)!));
    }

    let example: SynthRow | undefined;
    if (opts.example) example = await runExample(root, opts);
    return { runner: opts.runner, rows, ratios: ratiosOf(rows), perAssociation: perAssociationOf(rows), ...(example ? { example } : {}) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `npx cdktf synth` of the shipped example, end to end: npx, the cdktf CLI, and the app it spawns. */
async function runExample(root: string, opts: SynthOptions): Promise<SynthRow> {
  const c: Collected = { walls: [], peaks: [], trees: [], processes: 0, failures: 0 };
  if (!existsSync(join(REPO, "pod-identity.yaml"))) {
    c.error = "no pod-identity.yaml in the repository root";
    return toRow("cdktf-synth-example", 0, opts.reps, c);
  }
  const outdir = join(root, "example-out");
  const npx = process.platform === "win32" ? "npx.cmd" : "npx";
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" };
  delete env.POD_IDENTITY_CONFIG;
  delete env.CDKTF_OUTDIR;
  for (let rep = 0; rep < opts.reps; rep++) {
    // The CLI of the CDK library this build uses: cdktf, or cdktn on CDK Terrain.
    await runOnce(c, npx, { args: [TERRAFORM_CDK, "synth", "--output", outdir], env }, outdir, REPO);
    opts.log(`synth example (npx ${TERRAFORM_CDK} synth) rep ${rep + 1}/${opts.reps}: ${c.failures === 0 ? `${c.walls.at(-1)!.toFixed(0)} ms` : "failed"}`);
  }
  const size = c.output?.resources["aws_eks_pod_identity_association"] ?? 0;
  return toRow("cdktf-synth-example", size, opts.reps, c);
}

function ok(r: SynthRow | undefined): r is SynthRow {
  return r !== undefined && r.failures === 0 && r.wallMs.all.length > 0;
}

function ratiosOf(rows: readonly SynthRow[]): SynthRatios[] {
  const sizes = [...new Set(rows.map((r) => r.size))];
  const find = (v: SynthVariantName, n: number) => rows.find((r) => r.variant === v && r.size === n);
  return sizes.map((size) => {
    const ours = find("ours", size);
    const naive = find("naive", size);
    const direct = find("direct", size);
    const floor = find("floor", size);
    const w = (r: SynthRow | undefined) => (ok(r) ? r.wallMs.median : Number.NaN);
    const m = (r: SynthRow | undefined) => (ok(r) ? r.peakRssMb.median : Number.NaN);
    return {
      size,
      oursOverNaiveWall: ratio(w(ours), w(naive)),
      oursOverNaiveRss: ratio(m(ours), m(naive)),
      oursOverFloorWall: ratio(w(ours), w(floor)),
      oursOverFloorRss: ratio(m(ours), m(floor)),
      oursOverDirectWall: ratio(w(ours), w(direct)),
      directOverFloorWall: ratio(w(direct), w(floor)),
    };
  });
}

function perAssociationOf(rows: readonly SynthRow[]): PerAssociation[] {
  const out: PerAssociation[] = [];
  for (const v of VARIANTS) {
    const mine = rows.filter((r) => r.variant === v && ok(r)).sort((a, b) => a.size - b.size);
    const one = mine.find((r) => r.size === 1);
    let prev: SynthRow | undefined;
    for (const r of mine) {
      if (r.size > 1) {
        out.push({
          variant: v,
          size: r.size,
          wallPerAssociationMs: r.wallMs.median / r.size,
          marginalMs: one ? (r.wallMs.median - one.wallMs.median) / (r.size - 1) : null,
          segmentSlopeMs: prev ? (r.wallMs.median - prev.wallMs.median) / (r.size - prev.size) : null,
        });
      }
      prev = r;
    }
  }
  return out;
}
