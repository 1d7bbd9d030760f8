// The scan worker: one process, one drift scan against the emulator named in $BENCH_SCAN_SPEC, one result
// line on stdout. Run by bench/scan/suite.ts, never by hand.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { RESULT_PREFIX, type WorkerResult, type WorkerSpec } from "./worker-protocol";

const REPO = resolve(__dirname, "..", "..");

function emit(r: WorkerResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
}

async function main(): Promise<void> {
  const specFile = process.env.BENCH_SCAN_SPEC;
  if (!specFile) throw new Error("BENCH_SCAN_SPEC is not set");
  const spec = JSON.parse(readFileSync(specFile, "utf8")) as WorkerSpec;
  if (!existsSync(resolve(REPO, "drift", "live"))) {
    emit({ scanner: "none", scanMs: 0, clusters: spec.clusters.length, failedClusters: spec.clusters.length, associations: 0, errors: [], error: "drift/live does not exist yet" });
    return;
  }
  emit({ scanner: "none", scanMs: 0, clusters: spec.clusters.length, failedClusters: spec.clusters.length, associations: 0, errors: [], error: "scanner adapter not written" });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
