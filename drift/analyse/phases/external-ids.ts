// Phase 7, external ids: with session tags off EKS passes an sts:ExternalId when it assumes the target
// role, and the target role's trust (from any state read) must allow it, or pods cannot assume it
// (`external-id-mismatch`). Where the check is not possible for a managed association, an informational
// finding says why; so it is when state sources record the role with trust policies that disagree about it.
import type { AnalysisContext } from "../context";
import { checkExternalId } from "../external-id";
import { managedWhere } from "./cache-pending";

export function externalIds(ctx: AnalysisContext): void {
  for (const { live, region } of ctx.visible) {
    if (!live.disableSessionTags || !live.targetRoleArn) continue;
    const isManaged = ctx.addressOf.has(live.associationId);
    const where = managedWhere(ctx, live, region);
    const records = ctx.roles.get(live.targetRoleArn);
    const notPossible = (why: string, advice: string) => {
      if (!isManaged) return;
      ctx.push({ kind: "external-id-mismatch", where, fields: [], effectiveAfter: null, advice, detail: `check not possible: ${why}`, counts: false });
    };
    if (records === undefined) {
      notPossible(
        `target role ${live.targetRoleArn} is in no state read`,
        "Add the state that manages the target role (--state) to check its trust policy against the external id.",
      );
      continue;
    }
    if (live.externalId === undefined) {
      notPossible("EKS returned no externalId for this association", "Describe the association to confirm; nothing to compare the trust policy with.");
      continue;
    }
    const externalId = live.externalId;
    const verdicts = records.map((r) => JSON.stringify(checkExternalId(r.assumeRolePolicy, externalId)));
    if (new Set(verdicts).size > 1) {
      notPossible(
        `state sources record target role ${live.targetRoleArn} with trust policies that disagree about this external id: ${records.map((r) => `${r.source} (${r.address})`).join(", ")}`,
        "Find the state Terraform applies the target role from, remove the role from the other (or stop reading it), and run again.",
      );
      continue;
    }
    const role = records[0]!;
    const verdict = checkExternalId(role.assumeRolePolicy, externalId);
    if (verdict.result === "unreadable") {
      notPossible(`${verdict.reason} (${role.address})`, "Check the target role's trust policy.");
    } else if (verdict.result === "mismatch") {
      ctx.push({
        kind: "external-id-mismatch",
        where,
        fields: [{ name: "external_id", expected: verdict.allowed.length === 1 ? verdict.allowed[0] : verdict.allowed, actual: live.externalId }],
        effectiveAfter: null,
        advice: `The trust policy of ${live.targetRoleArn} (${role.address}) does not allow the sts:ExternalId EKS sends, so pods of ${live.namespace}/${live.serviceAccount} cannot assume it. Allow ${JSON.stringify(live.externalId)} (REGION/CLUSTER_ACCOUNT/CLUSTER/NAMESPACE/SERVICE_ACCOUNT) in its trust and deploy.`,
        detail: `target role from state source ${role.source}`,
        counts: true,
      });
    }
  }
}
