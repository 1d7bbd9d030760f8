// Runs one command as a fresh process tree and measures its wall time and peak memory.
//
// Peak RSS comes from the kernel's own accounting (getrusage ru_maxrss), read inside every Node process of
// the tree by a preload (rss-preload.cjs, passed through NODE_OPTIONS so children inherit it) and written on
// exit. `peakRssKb` is the largest single process; `treeRssKb` is the sum of every process's peak, an upper
// bound for the tree (processes that ran one after the other are counted as if they overlapped).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const PRELOAD = resolve(__dirname, "rss-preload.cjs");

export interface ProcessPeak {
  readonly pid: number;
  readonly ppid: number;
  readonly maxRssKb: number;
  readonly argv: readonly string[];
}

export interface Measurement {
  readonly wallMs: number;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Largest peak RSS of one process of the tree, kB. 0 if no process reported. */
  readonly peakRssKb: number;
  /** Sum of the peaks of every process of the tree, kB. */
  readonly treeRssKb: number;
  readonly processes: readonly ProcessPeak[];
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the tree after this long. Default 10 minutes. */
  readonly timeoutMs?: number;
}

const KEEP = 64 * 1024;

function keepTail(s: string, add: Buffer): string {
  const next = s + add.toString("utf8");
  return next.length > KEEP ? next.slice(next.length - KEEP) : next;
}

/** Spawns `command args` with the RSS preload, waits for it, returns what it measured. Never throws on exit codes. */
export function measure(command: string, args: readonly string[], opts: RunOptions = {}): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), "bench-rss-"));
  const rssFile = join(dir, "rss.jsonl");
  const baseEnv = opts.env ?? process.env;
  const nodeOptions = [baseEnv.NODE_OPTIONS, `--require ${PRELOAD}`].filter(Boolean).join(" ");
  const env = { ...baseEnv, NODE_OPTIONS: nodeOptions, BENCH_RSS_FILE: rssFile };
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, [...args], { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout = keepTail(stdout, b)));
    child.stderr.on("data", (b: Buffer) => (stderr = keepTail(stderr, b)));
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, opts.timeoutMs ?? 600_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(err);
    });
    child.on("close", (exitCode, signal) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      let processes: ProcessPeak[] = [];
      try {
        processes = readFileSync(rssFile, "utf8")
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => JSON.parse(l) as ProcessPeak);
      } catch {
        // no process reported (crashed before exit handlers, or not Node)
      }
      rmSync(dir, { recursive: true, force: true });
      resolvePromise({
        wallMs,
        exitCode,
        signal,
        peakRssKb: processes.reduce((m, p) => Math.max(m, p.maxRssKb), 0),
        treeRssKb: processes.reduce((s, p) => s + p.maxRssKb, 0),
        processes,
        stdout,
        stderr,
      });
    });
  });
}

/** The launcher cdktf.json's app runs (the script bundled by esbuild, cached; bin/run-ts.cjs). */
export const RUN_TS = resolve(__dirname, "..", "..", "bin", "run-ts.cjs");

/** `node bin/run-ts.cjs <script>`: how `cdktf synth` runs the app. */
export function runTsArgs(script: string, nodeArgs: readonly string[] = []): string[] {
  return [...nodeArgs, RUN_TS, script];
}

/** `node --import tsx <script>`: one process (the tsx CLI would add a wrapper process around it). */
export function tsxArgs(script: string, nodeArgs: readonly string[] = []): string[] {
  return [...nodeArgs, "--import", "tsx", script];
}
