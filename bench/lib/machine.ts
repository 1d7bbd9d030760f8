// What the figures were measured on.
import { execFileSync } from "node:child_process";
import { cpus, freemem, loadavg, release, totalmem } from "node:os";

export interface Machine {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGb: number;
  readonly freeMemoryGb: number;
  readonly loadAverage1m: number;
  readonly node: string;
  readonly os: string;
  readonly commit?: string;
}

export function describeMachine(repo: string): Machine {
  const c = cpus();
  let commit: string | undefined;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpuModel: c[0]?.model.trim() ?? "unknown",
    cpus: c.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGb: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    node: process.version,
    os: `${process.platform} ${release()}`,
    ...(commit ? { commit } : {}),
  };
}
