// Phase 6, deletions: an association history saw live that is now gone from its fully read cluster, with
// no successor on its service account, is `revocation-pending` until one TTL after the run that first found
// it gone (the worst case: it may have been deleted right after the previous run). Nothing is reported
// gone from a cluster that was not read.
import { ttlFor, ttlText } from "../cache";
import type { AnalysisContext } from "../context";
import { iso } from "../draft";
import { slotKey } from "../identity";

export function deletions(ctx: AnalysisContext): void {
  const now = ctx.now.getTime();
  for (const v of ctx.history.latest()) {
    if (ctx.liveById.has(v.associationId)) continue;
    if (!ctx.wasRead(v)) continue;
    if (ctx.ignoredEntirely(v.clusterName, v.namespace, v.serviceAccount)) continue;
    const goneAt = v.goneAt ?? ctx.now;
    if (v.goneAt === undefined) ctx.newlyGone.push(v.associationId);
    const { ttlMs } = ttlFor(v, ctx.settings);
    const effective = goneAt.getTime() + ttlMs;
    if (effective <= now) continue;
    // Recreated on the same service account: the pending change is the successor's (cache-pending, or
    // revocation-pending there when it lost the target role).
    if (ctx.liveBySlot.has(slotKey(v))) continue;
    const until = iso(effective);
    ctx.push({
      kind: "revocation-pending",
      where: {
        cluster: v.clusterName,
        region: v.region,
        accountId: v.accountId ?? null,
        namespace: v.namespace,
        serviceAccount: v.serviceAccount,
        associationId: v.associationId,
        address: ctx.addressOf.get(v.associationId) ?? null,
      },
      fields: [
        { name: "role_arn", expected: null, actual: v.roleArn },
        ...(v.targetRoleArn ? [{ name: "target_role_arn", expected: null, actual: v.targetRoleArn }] : []),
      ],
      effectiveAfter: until,
      advice: `SECURITY: the association was deleted (last seen ${iso(v.lastSeenAt.getTime())}, found gone ${iso(goneAt.getTime())}); pods using service account ${v.namespace}/${v.serviceAccount} in ${v.clusterName} may keep its access with cached credentials until ${until}. To revoke now: restart or delete those pods, or revoke the role's active sessions (IAM console: Revoke active sessions).`,
      detail: `cache TTL ${ttlText(ttlMs)} (${v.targetRoleArn ? "with a target role" : "Pod Identity role only"}) counted from when a run first found it gone`,
      counts: true,
    });
  }
}
