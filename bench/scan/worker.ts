// The scan worker: one process, one drift check (drift/check.ts runCheck: read state → scan live → analyse
// and record → report) against the emulator, one result line on stdout. Run by bench/scan/suite.ts with
// $BENCH_SCAN_SPEC and the AWS_* environment pointing at the emulator; never by hand.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { runCheck } from "../../drift/check";
import { loadDriftConfig } from "../../drift/config/load";
import { RESULT_PREFIX, type WorkerResult, type WorkerSpec } from "./worker-protocol";

function emit(r: WorkerResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
}

async function main(): Promise<void> {
  const specFile = process.env.BENCH_SCAN_SPEC;
  if (!specFile) throw new Error("BENCH_SCAN_SPEC is not set");
  const spec = JSON.parse(readFileSync(specFile, "utf8")) as WorkerSpec;
  const config = loadDriftConfig(spec.driftConfig);
  const started = performance.now();
  const result = await runCheck({ config, now: new Date() });
  const scanMs = performance.now() - started;
  const { report } = result;
  const clusters = report.scope?.clusters ?? [];
  const errors = report.findings.filter((f) => f.kind === "error").map((f) => `${f.cluster ?? "state"}: ${f.detail ?? f.advice}`);
  emit({
    scanner: "drift/check.ts runCheck",
    scanMs,
    clusters: clusters.length,
    failedClusters: clusters.length > 0 ? clusters.filter((c) => !c.ok).length : spec.clusters,
    roles: report.scope?.iam?.roles.length ?? 0,
    failedRoles: report.scope?.iam?.roles.filter((r) => !r.ok).length ?? 0,
    associations: Object.values(result.associationsByCluster).reduce((s, n) => s + n, 0),
    scannerApiCalls: result.apiCalls,
    summary: { ...report.summary },
    complete: report.complete,
    errors: errors.slice(0, 5),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
