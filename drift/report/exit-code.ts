// Exit codes, like `terraform plan -detailed-exitcode`: 0 nothing to report, 1 error or incomplete scan,
// 2 findings. cache-pending counts only with --fail-on cache-pending; informational findings never count.
import type { Report } from "./report";

export type FailOn = "drift" | "cache-pending" | "never";
export const FAIL_ON: readonly FailOn[] = ["drift", "cache-pending", "never"];

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_FINDINGS = 2;

export function exitCode(report: Report, failOn: FailOn = "drift"): number {
  if (!report.complete || report.findings.some((f) => f.kind === "error")) return EXIT_ERROR;
  if (failOn === "never") return EXIT_OK;
  const counted = report.findings.filter((f) => f.informational !== true && (f.kind !== "cache-pending" || failOn === "cache-pending"));
  return counted.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}
