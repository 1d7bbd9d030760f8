// Field by field: what differs between Terraform state and live, and between the configuration pods may
// hold (from history) and live. Field names are the Terraform attribute names the report shows.
import type { LiveAssociation, StateAssociation } from "../model";
import type { FieldDiff } from "../model";
import type { SeenAssociation } from "./types";

/** State against live: every attribute the check compares. */
export function diffFields(a: StateAssociation, live: LiveAssociation): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (a.roleArn !== live.roleArn) out.push({ name: "role_arn", expected: a.roleArn, actual: live.roleArn });
  if ((a.targetRoleArn ?? null) !== (live.targetRoleArn ?? null))
    out.push({ name: "target_role_arn", expected: a.targetRoleArn ?? null, actual: live.targetRoleArn ?? null });
  if (a.disableSessionTags !== live.disableSessionTags)
    out.push({ name: "disable_session_tags", expected: a.disableSessionTags, actual: live.disableSessionTags });
  if (!sameTags(a.tags, live.tags)) out.push({ name: "tags", expected: sortTags(a.tags), actual: sortTags(live.tags) });
  return out;
}

/** What changed between the configuration pods may hold and live (credential-relevant fields only). */
export function diffSeen(prev: SeenAssociation, live: LiveAssociation): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (prev.roleArn !== live.roleArn) out.push({ name: "role_arn", expected: prev.roleArn, actual: live.roleArn });
  if ((prev.targetRoleArn ?? null) !== (live.targetRoleArn ?? null))
    out.push({ name: "target_role_arn", expected: prev.targetRoleArn ?? null, actual: live.targetRoleArn ?? null });
  if (prev.disableSessionTags !== live.disableSessionTags)
    out.push({ name: "disable_session_tags", expected: prev.disableSessionTags, actual: live.disableSessionTags });
  if (prev.associationId !== live.associationId) out.push({ name: "association_id", expected: prev.associationId, actual: live.associationId });
  return out;
}

export function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

export function sortTags(t: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(t).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}
