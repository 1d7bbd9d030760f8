// Phase 3, managed associations: each state association in a fully read cluster is in sync, `changed`
// (its id is live with other values), `replaced` (its id is gone and another association holds its
// service account: deleted and recreated out of band) or `missing`.
import type { FieldDiff } from "../../model";
import type { AnalysisContext } from "../context";
import { diffFields } from "../diff";
import type { Where } from "../draft";
import { slotKey } from "../identity";

export function compareManaged(ctx: AnalysisContext): void {
  for (const a of ctx.stateAssociations) {
    const region = ctx.regionOf(a);
    if (ctx.ignoredEntirely(a.clusterName, a.namespace, a.serviceAccount)) continue;
    ctx.managed++;
    const where: Where = {
      cluster: a.clusterName,
      region: region ?? null,
      accountId: a.accountId ?? null,
      namespace: a.namespace,
      serviceAccount: a.serviceAccount,
      associationId: a.associationId,
      address: a.address,
    };
    if (region === undefined) {
      ctx.push({
        kind: "error",
        where,
        fields: [],
        effectiveAfter: null,
        advice: "Set `region` in the drift config (or AWS_REGION) so the cluster can be read.",
        detail: `state source ${a.source}: ${a.address} records neither an association ARN nor a region`,
        counts: true,
      });
      continue;
    }
    const scan = ctx.scanOf({ clusterName: a.clusterName, region, accountId: a.accountId });
    if (scan === undefined || !scan.ok) continue; // reported as a cluster error; never in sync
    ctx.verified.add(a.associationId);

    const byId = ctx.liveById.get(a.associationId);
    if (byId !== undefined) {
      ctx.claimed.add(a.associationId);
      const fields = diffFields(a, byId.live);
      if (fields.length > 0) {
        ctx.push({
          kind: "changed",
          where: { ...where, accountId: a.accountId ?? byId.live.accountId ?? null },
          fields,
          effectiveAfter: null,
          advice: `Live differs from Terraform state in ${fields.map((f) => f.name).join(", ")}. Either make the change in code and deploy it, or deploy as is (cdktf deploy) to put state's values back.`,
          counts: true,
        });
      }
      continue;
    }

    const occupant = ctx.liveBySlot.get(slotKey(a, region));
    if (occupant !== undefined && !ctx.claimed.has(occupant.associationId)) {
      ctx.claimed.add(occupant.associationId);
      ctx.addressOf.set(occupant.associationId, a.address);
      const fields: FieldDiff[] = [{ name: "association_id", expected: a.associationId, actual: occupant.associationId }, ...diffFields(a, occupant)];
      ctx.push({
        kind: "replaced",
        where: { ...where, accountId: a.accountId ?? occupant.accountId ?? null },
        fields,
        effectiveAfter: null,
        advice: `The association was deleted and recreated outside Terraform; a deploy would fail (one association per service account). Adopt the new one: terraform state rm '${a.address}' then terraform import '${a.address}' ${a.clusterName},${occupant.associationId} (in the stack's directory under cdktf.out); or delete it and deploy.`,
        detail: `live association ${occupant.associationArn}`,
        counts: true,
      });
      continue;
    }

    ctx.push({
      kind: "missing",
      where,
      fields: [],
      effectiveAfter: null,
      advice:
        "In Terraform state but not live (deleted out of band). Deploy (cdktf deploy) to recreate it; then restart the pods of this service account: running pods get no credentials from a new association.",
      counts: true,
    });
  }
}
