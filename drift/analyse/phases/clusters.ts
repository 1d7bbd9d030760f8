// Phase 2, clusters and other problems: a cluster that could not be read is one error finding, and its
// managed associations are neither in sync nor missing (phases/managed.ts skips them). So is any other
// problem that makes the run incomplete (the history store).
import { adviceForScanError } from "../advice";
import type { ClusterScan } from "../../model";
import type { AnalysisContext } from "../context";
import { nowhere } from "../draft";

export function unreadClusters(ctx: AnalysisContext): void {
  // Managed associations per cluster scan: matched by account too (same name and region in two accounts).
  const inState = new Map<ClusterScan, number>();
  for (const a of ctx.stateAssociations) {
    const region = ctx.regionOf(a);
    const scan = region !== undefined ? ctx.scanOf({ clusterName: a.clusterName, region, accountId: a.accountId }) : undefined;
    if (scan !== undefined) inState.set(scan, (inState.get(scan) ?? 0) + 1);
  }
  for (const scan of ctx.input.scans) {
    if (scan.ok) continue;
    const c = scan.cluster;
    const managed = inState.get(scan) ?? 0;
    ctx.push({
      kind: "error",
      where: { ...nowhere(), cluster: c.name, region: c.region, accountId: c.accountId ?? null },
      fields: [],
      effectiveAfter: null,
      advice: adviceForScanError(scan.error),
      detail: `cluster ${c.name} (${c.region}${c.accountId ? `, account ${c.accountId}` : ""}) not read: ${scan.error.code}: ${scan.error.message}${managed ? `; ${managed} managed association(s) there not verified` : ""}`,
      counts: true,
    });
  }
  for (const p of ctx.input.problems ?? []) {
    ctx.push({
      kind: "error",
      where: nowhere(),
      fields: [],
      effectiveAfter: null,
      advice: p.advice,
      detail: `${p.what}: ${p.message}`,
      counts: true,
      keyExtra: p.what,
    });
  }
}
