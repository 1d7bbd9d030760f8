// When does a change reach running pods? The Pod Identity Agent caches credentials under the configuration
// they were fetched with: 6 h when that configuration had only a Pod Identity role, 59 min when it had a target
// role (documented worst cases, configurable). Modifying an association does not reset the cache. So the TTL
// that bounds a change is the one of the PREVIOUS configuration; when history does not know it, the longer.
import type { LiveAssociation } from "../model";
import { formatDuration } from "../config/duration";
import type { HistoryIndex } from "./history-index";
import { slotKey } from "./identity";
import type { AnalyseSettings, SeenAssociation } from "./types";

export interface PreviousConfig {
  /** What pods may hold, from history; undefined when unknown. */
  readonly previous?: SeenAssociation;
  /** The live association has no predecessor: running pods got no credentials variables from it at all. */
  readonly isNew: boolean;
}

/** The TTL pods may hold credentials of `previous` for, and whether it was assumed (previous unknown). */
export function ttlFor(
  previous: Pick<SeenAssociation, "targetRoleArn"> | undefined,
  s: AnalyseSettings,
): { readonly ttlMs: number; readonly assumed: boolean } {
  if (previous === undefined) return { ttlMs: Math.max(s.podIdentityRoleTtlMs, s.targetRoleTtlMs), assumed: true };
  return { ttlMs: previous.targetRoleArn ? s.targetRoleTtlMs : s.podIdentityRoleTtlMs, assumed: false };
}

export function ttlText(ms: number): string {
  return formatDuration(ms);
}

/**
 * Find what configuration pods may still hold for a live association:
 * - the same association's latest remembered version modified before the live one, or
 * - for an association history has never seen, the latest association on the same service account that
 *   was live within one (longest) TTL before this one was created (it was deleted and recreated).
 * With history of the association but none older than its modification, the previous configuration is unknown.
 */
export function findPrevious(live: LiveAssociation, history: HistoryIndex, s: AnalyseSettings, region: string): PreviousConfig {
  const modified = live.modifiedAt.getTime();
  const older = history.versionsOf(live.associationId).find((v) => v.modifiedAt.getTime() < modified);
  if (older !== undefined) return { previous: older, isNew: false };
  const created = live.createdAt.getTime();
  const recreated = modified - created < 1000;
  if (!recreated) return { isNew: false }; // modified, but history never saw it before: unknown
  const maxTtl = Math.max(s.podIdentityRoleTtlMs, s.targetRoleTtlMs);
  let latest: SeenAssociation | undefined;
  for (const v of history.onSlot(slotKey(live, region))) {
    if (v.associationId === live.associationId || v.lastSeenAt.getTime() < created - maxTtl || v.firstSeenAt.getTime() > created) continue;
    if (latest === undefined || v.lastSeenAt.getTime() > latest.lastSeenAt.getTime()) latest = v;
  }
  return latest !== undefined ? { previous: latest, isNew: false } : { isNew: true };
}
