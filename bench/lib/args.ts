// Command-line flags of `npm run bench`.

export interface BenchArgs {
  readonly quick: boolean;
  readonly reps: number;
  readonly only?: "synth" | "scan" | "history";
  /** Synth sizes; default 1, 100, 1,000, 5,000 (quick: 1). */
  readonly sizes?: readonly number[];
  /** Requests per second per account above which the emulator throttles. */
  readonly rate?: number;
  /** Scan with `scan.requestsPerSecond` = R in the drift config (the quota known), instead of the default adaptive pacing. */
  readonly paced: boolean;
  /** How the synth variants are run (bench/synth/suite.ts). @default "compiled", as cdktf.json runs the app */
  readonly runner: "compiled" | "tsx";
  /** Also run `npx cdktf synth` of the shipped example. */
  readonly example: boolean;
  /** Write a CPU profile (node --cpu-prof) of each measured run into this directory. */
  readonly cpuProfDir?: string;
  /** Where to write <timestamp>.json and latest.json. @default bench/results */
  readonly outDir?: string;
}

export const USAGE = `usage: npm run bench -- [--quick] [--reps N] [--only synth|scan|history] [--sizes 1,100,...] [--rate R] [--paced] [--runner compiled|tsx] [--no-example] [--cpu-prof DIR]
  --quick       smallest sizes only (the CI smoke run)
  --reps N      repetitions per measurement, the median is reported (default 3, quick 1)
  --only        run one suite (history: the same check twice, the second with the first's history)
  --sizes       synth sizes (default 1,100,1000,5000)
  --rate R      emulator throttles above R requests/s per account (default per scenario: 250 for one
                cluster, 25 for 10 accounts, i.e. 250/s in total either way)
  --paced       scan with scan.requestsPerSecond = R in the drift config (default: none, adaptive pacing)
  --runner      how the synth variants run, all four alike: compiled (default; bin/run-ts.cjs, as cdktf.json
                runs the app) or tsx (node --import tsx, transpiled at each run)
  --no-example  skip \`npx cdktf synth\` of the shipped example
  --cpu-prof D  write a V8 CPU profile of every measured synth/scan process into D
  --out-dir D   write the JSON results into D (default bench/results)`;

function int(flag: string, v: string | undefined, minimum: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < minimum) throw new Error(`${flag} needs an integer ≥ ${minimum}, got ${v ?? "nothing"}`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let reps: number | undefined;
  let only: BenchArgs["only"];
  let sizes: number[] | undefined;
  let rate: number | undefined;
  let paced = false;
  let example = true;
  let runner: BenchArgs["runner"] = "compiled";
  let cpuProfDir: string | undefined;
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case "--quick":
        quick = true;
        break;
      case "--reps":
        reps = int("--reps", value(), 1);
        break;
      case "--only": {
        const v = value();
        if (v !== "synth" && v !== "scan" && v !== "history") throw new Error(`--only takes synth, scan or history, got ${v ?? "nothing"}`);
        only = v;
        break;
      }
      case "--sizes":
        sizes = (value() ?? "").split(",").map((s) => int("--sizes", s.trim(), 1));
        break;
      case "--rate":
        rate = int("--rate", value(), 1);
        break;
      case "--paced":
        paced = true;
        break;
      case "--runner": {
        const v = value();
        if (v !== "compiled" && v !== "tsx") throw new Error(`--runner takes compiled or tsx, got ${v ?? "nothing"}`);
        runner = v;
        break;
      }
      case "--no-example":
        example = false;
        break;
      case "--cpu-prof":
        cpuProfDir = value();
        if (!cpuProfDir) throw new Error("--cpu-prof needs a directory");
        break;
      case "--out-dir":
        outDir = value();
        if (!outDir) throw new Error("--out-dir needs a directory");
        break;
      case "--help":
      case "-h":
        throw new Error(USAGE);
      default:
        throw new Error(`unknown flag ${a}\n${USAGE}`);
    }
  }
  return {
    quick,
    reps: reps ?? (quick ? 1 : 3),
    ...(only ? { only } : {}),
    ...(sizes ? { sizes } : {}),
    ...(rate ? { rate } : {}),
    paced,
    runner,
    example,
    ...(cpuProfDir ? { cpuProfDir } : {}),
    ...(outDir ? { outDir } : {}),
  };
}
