// Phase 4, unmanaged: a live association no state read accounts for. One owned by an EKS add-on is
// managed through the add-on: listed for information unless `addonOwned: drift`, left out with `ignore`.
// Also decides which live associations the report may speak about at all (`visible`) for later phases.
import type { AnalysisContext } from "../context";
import { liveRegion } from "../context";
import { liveWhere } from "../draft";

export function findUnmanaged(ctx: AnalysisContext): void {
  const s = ctx.settings;
  const unread = ctx.unreadSources.length > 0 ? ` State source(s) not read: ${ctx.unreadSources.join(", ")}; it may be managed there.` : "";
  for (const scan of ctx.readScans) {
    for (const live of scan.associations) {
      const region = liveRegion(live, scan);
      if (ctx.ignoredEntirely(live.clusterName, live.namespace, live.serviceAccount)) continue;
      const claimed = ctx.claimed.has(live.associationId);
      if (live.ownerArn && s.addonOwned === "ignore" && !claimed) continue;
      ctx.visible.push({ live, region, scan });
      if (claimed) continue;
      const addon = live.ownerArn !== undefined;
      ctx.push({
        kind: "unmanaged",
        where: liveWhere(live, region, scan.cluster.accountId),
        fields: [],
        effectiveAfter: null,
        advice: addon
          ? `Owned by an EKS add-on and managed through it, not Terraform: not counted as drift (set addonOwned: drift to count it).`
          : `Live but in no Terraform state read. Import it (terraform import ADDRESS ${live.clusterName},${live.associationId}), delete it, or add an ignore rule.${unread}`,
        detail: addon ? `owned by ${live.ownerArn}` : `live association ${live.associationArn}`,
        ...(addon ? { ownerArn: live.ownerArn } : {}),
        counts: !addon || s.addonOwned === "drift",
      });
    }
  }
}
