// Phase 1, state: a state source that could not be read is an error (nothing it manages is in sync);
// the associations and target roles of the others are what the later phases compare with live.
import { adviceForStateError } from "../advice";
import type { AnalysisContext } from "../context";
import { nowhere } from "../draft";

export function readState(ctx: AnalysisContext): void {
  const seenIds = new Set<string>();
  for (const r of ctx.input.states) {
    if (!r.ok) {
      ctx.unreadSources.push(r.source);
      ctx.push({
        kind: "error",
        where: nowhere(),
        fields: [],
        effectiveAfter: null,
        advice: adviceForStateError(r.error.code),
        detail: `state source ${r.source}: ${r.error.code}: ${r.error.message}`,
        counts: true,
        keyExtra: r.source,
      });
      continue;
    }
    for (const a of r.snapshot.associations) {
      if (seenIds.has(a.associationId)) continue; // the same state read twice (e.g. a glob and a path)
      seenIds.add(a.associationId);
      ctx.stateAssociations.push(a);
      ctx.addressOf.set(a.associationId, a.address);
    }
    for (const role of r.snapshot.roles) if (!ctx.roles.has(role.arn)) ctx.roles.set(role.arn, role);
  }
}
