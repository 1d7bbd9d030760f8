// The analyser: Terraform state against live, plus what history remembers, at one instant. Pure and
// synchronous. Each rule of what a finding means lives in one phase (./phases), run in this order:
//   state (unread sources) → clusters (unread clusters, other problems) → managed (changed / missing /
//   replaced) → unmanaged → cache-pending (and a removed target role) → deleted (revocation-pending) →
//   external ids → chain roles (role-missing / trust-changed / permission-changed, from IAM) → finish
//   (ignore rules by kind, keys, `since`, order).
// A cluster or state source that was not read is never reported in sync, and nothing in it is reported gone.
import { AnalysisContext, liveRegion } from "./context";
import { configHash, clusterKey, parseArn } from "./identity";
import { pendingChanges } from "./phases/cache-pending";
import { unreadClusters } from "./phases/clusters";
import { deletions } from "./phases/deleted";
import { externalIds } from "./phases/external-ids";
import { finishFindings } from "./phases/finish";
import { chainRoles } from "./phases/iam-roles";
import { compareManaged } from "./phases/managed";
import { readState } from "./phases/state";
import { findUnmanaged } from "./phases/unmanaged";
import type { Analysis, AnalysisInput, SeenLive } from "./types";

export function analyse(input: AnalysisInput): Analysis {
  const ctx = new AnalysisContext(input);
  readState(ctx);
  unreadClusters(ctx);
  compareManaged(ctx);
  findUnmanaged(ctx);
  pendingChanges(ctx);
  deletions(ctx);
  externalIds(ctx);
  chainRoles(ctx);
  const findings = finishFindings(ctx);

  // A managed association replaced by another is tracked under the state's id: the live one carries no separate finding.
  const withFindings = new Set<string>();
  for (const f of findings) if (f.counts && f.finding.associationId !== null) withFindings.add(f.finding.associationId);
  let inSync = 0;
  for (const id of ctx.verified) if (!withFindings.has(id)) inSync++;

  return {
    findings,
    managed: ctx.managed,
    inSync,
    complete: !findings.some((f) => f.finding.kind === "error"),
    seen: seenLive(ctx),
    newlyGone: ctx.newlyGone,
    clustersRead: ctx.readScans.map((x) => clusterKey(x.cluster)),
    clustersUnread: input.scans.filter((x) => !x.ok).map((x) => clusterKey(x.cluster)),
  };
}

/** Every live association of the fully read clusters, as history records it. */
function seenLive(ctx: AnalysisContext): SeenLive[] {
  const out: SeenLive[] = [];
  for (const scan of ctx.readScans) {
    for (const live of scan.associations) {
      const accountId = live.accountId ?? parseArn(live.associationArn).accountId;
      out.push({
        associationId: live.associationId,
        ...(accountId ? { accountId } : {}),
        region: liveRegion(live, scan),
        clusterName: live.clusterName,
        namespace: live.namespace,
        serviceAccount: live.serviceAccount,
        roleArn: live.roleArn,
        ...(live.targetRoleArn ? { targetRoleArn: live.targetRoleArn } : {}),
        disableSessionTags: live.disableSessionTags,
        modifiedAt: live.modifiedAt,
        configHash: configHash(live),
      });
    }
  }
  return out;
}
