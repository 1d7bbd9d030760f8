// How the orchestrator hands a workload to the naive and direct apps and the floor: a JSON file named by $BENCH_WORKLOAD.
import { readFileSync } from "node:fs";
import type { Workload } from "../workload";

export function readWorkloadFromEnv(): Workload {
  const path = process.env.BENCH_WORKLOAD;
  if (!path) throw new Error("BENCH_WORKLOAD must name the workload JSON file written by bench/run.ts");
  return JSON.parse(readFileSync(path, "utf8")) as Workload;
}
