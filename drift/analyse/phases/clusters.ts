// Phase 2, clusters and other problems: a cluster that could not be read is one error finding, and its
// managed associations are neither in sync nor missing (phases/managed.ts skips them). So is any other
// problem that makes the run incomplete (the history store).
import { adviceForScanError } from "../advice";
import type { AnalysisContext } from "../context";
import { nowhere } from "../draft";
import { clusterKey } from "../identity";

export function unreadClusters(ctx: AnalysisContext): void {
  const inState = new Map<string, number>();
  for (const a of ctx.stateAssociations) {
    const region = ctx.regionOf(a);
    if (region === undefined) continue;
    const k = clusterKey({ region, clusterName: a.clusterName });
    inState.set(k, (inState.get(k) ?? 0) + 1);
  }
  for (const scan of ctx.input.scans) {
    if (scan.ok) continue;
    const c = scan.cluster;
    const managed = inState.get(clusterKey(c)) ?? 0;
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
