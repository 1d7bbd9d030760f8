// Phase 5, pending changes of live associations: a credential-relevant change less than one cache TTL
// old is `cache-pending` (pods may hold the previous configuration's credentials until `effectiveAfter`);
// one that removed the target role is `revocation-pending` instead (a security finding: pods may keep
// assuming it). The TTL is the previous configuration's (cache.ts).
import type { LiveAssociation } from "../../model";
import type { FieldDiff } from "../../model";
import { findPrevious, ttlFor, ttlText } from "../cache";
import type { AnalysisContext } from "../context";
import { diffSeen } from "../diff";
import { iso, liveWhere, type Where } from "../draft";
import { sameConfig } from "../identity";

export function pendingChanges(ctx: AnalysisContext): void {
  const s = ctx.settings;
  const now = ctx.now.getTime();
  for (const { live, region } of ctx.visible) {
    const prev = findPrevious(live, ctx.history, s, region);
    if (prev.previous !== undefined && sameConfig(prev.previous, live)) continue; // no credential change
    const { ttlMs, assumed } = ttlFor(prev.previous, s);
    const effective = live.modifiedAt.getTime() + ttlMs;
    if (effective <= now) continue;
    const where = managedWhere(ctx, live, region);
    const until = iso(effective);
    const workload = `pods using service account ${live.namespace}/${live.serviceAccount} in ${live.clusterName}`;
    if (prev.previous?.targetRoleArn !== undefined && live.targetRoleArn === undefined) {
      ctx.push({
        kind: "revocation-pending",
        where,
        fields: [{ name: "target_role_arn", expected: null, actual: prev.previous.targetRoleArn }],
        effectiveAfter: until,
        advice: `SECURITY: the target role was removed at ${iso(live.modifiedAt.getTime())}, but ${workload} may keep assuming it with cached credentials until ${until}. To revoke now: restart those pods, or revoke the target role's active sessions (IAM console: Revoke active sessions).`,
        detail: `cache TTL ${ttlText(ttlMs)} of the previous configuration (with a target role), from history`,
        counts: true,
      });
      continue;
    }
    const assumption = assumed
      ? `assumed the longer cache TTL (${ttlText(ttlMs)}): history does not know the previous configuration`
      : `cache TTL ${ttlText(ttlMs)} of the previous configuration (${prev.previous!.targetRoleArn ? "with a target role" : "Pod Identity role only"}), from history`;
    const fields: FieldDiff[] = prev.previous !== undefined ? diffSeen(prev.previous, live) : [];
    const created = live.modifiedAt.getTime() - live.createdAt.getTime() < 1000;
    ctx.push({
      kind: "cache-pending",
      where,
      fields,
      effectiveAfter: until,
      advice: prev.isNew
        ? `New association (created ${iso(live.createdAt.getTime())}): ${workload} that were already running get no credentials from it at all (the credential variables are injected at pod creation); restart them. If it replaced a deleted association, running pods keep the old credentials until ${until}.`
        : `${created ? "Recreated" : "Changed"} at ${iso(live.modifiedAt.getTime())}: ${workload} may keep credentials of the previous configuration until ${until}. Restart them (e.g. kubectl -n ${live.namespace} rollout restart deployment/NAME) to apply it now.`,
      detail: assumption,
      counts: true,
    });
  }
}

/** A live association's place, with the address of the Terraform resource that manages it, if any. */
export function managedWhere(ctx: AnalysisContext, live: LiveAssociation, region: string): Where {
  return { ...liveWhere(live, region, undefined), address: ctx.addressOf.get(live.associationId) ?? null };
}
