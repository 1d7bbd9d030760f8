// The one-line verdict every human-readable format leads with. "In sync" is only said about something
// that was read: a run that found no association in state and scanned no cluster says so instead.
import type { Report } from "./report";

export type Verdict = "incomplete" | "findings" | "nothing-checked" | "in-sync";

export function verdictOf(report: Report): Verdict {
  if (!report.complete) return "incomplete";
  if (report.findings.some((f) => f.informational !== true)) return "findings";
  const clustersScanned = report.scope?.clusters.length ?? 0;
  if (report.summary.managed === 0 && clustersScanned === 0) return "nothing-checked";
  return "in-sync";
}

/** What a run that checked nothing tells the user to do. */
export const NOTHING_CHECKED =
  "nothing checked: the state read holds no aws_eks_pod_identity_association and no cluster was scanned (check --state, or list clusters in the drift config)";

/** What every format says when the IAM half was off. */
export const IAM_OFF = "IAM roles not checked (iam: false in the drift config, or --no-iam): trust and permission changes of the chain roles cannot be seen";
