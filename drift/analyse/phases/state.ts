// Phase 1, state: a state source that could not be read is an error (nothing it manages is in sync). Of
// the others, each association is compared once, whichever source and in whatever order it was read:
// the same association read twice with the same values (a glob and a path naming one file, a copy) is one
// association; read with different values, or a service account claimed by two different associations,
// it is a conflict: an `error` naming every source, and none of them is compared with live (never in sync
// on the strength of one). Roles likewise: the later phases see every distinct record of a role.
import type { StateAssociation, StateLocation, StateRole } from "../../model";
import { adviceForStateError } from "../advice";
import type { AnalysisContext } from "../context";
import { nowhere } from "../draft";
import { slotKey } from "../identity";

export function readState(ctx: AnalysisContext): void {
  const records: StateAssociation[] = [];
  const roles: StateRole[] = [];
  for (const r of ctx.input.states) {
    if (r.ok) {
      records.push(...r.snapshot.associations);
      roles.push(...r.snapshot.roles);
      continue;
    }
    ctx.unreadSources.push(r.source);
    ctx.push({
      kind: "error",
      where: nowhere(),
      fields: [],
      effectiveAfter: null,
      advice: adviceForStateError(r.error),
      detail: `state source ${r.source}: ${r.error.code}: ${r.error.message}`,
      counts: true,
      keyExtra: r.source,
    });
  }
  ctx.unreadSources.sort();
  records.sort(byLocation);
  roles.sort(byLocation);

  // One record per association id, unless they disagree.
  const chosen: StateAssociation[] = [];
  for (const group of groupBy(records, (a) => a.associationId).values()) {
    const distinct = distinctBy(group, (a) => recorded(ctx, a));
    if (distinct.length === 1) chosen.push(group[0]!);
    else conflict(ctx, group, idConflictDetail(ctx, group[0]!.associationId, distinct));
  }
  // One association per service account, unless two claim it.
  const placed = chosen.filter((a) => ctx.regionOf(a) !== undefined);
  for (const group of groupBy(placed, (a) => slotKey(a, ctx.regionOf(a)!)).values()) {
    if (group.length === 1) continue;
    conflict(
      ctx,
      group,
      `state sources record different associations for service account ${group[0]!.namespace}/${group[0]!.serviceAccount} in ${group[0]!.clusterName}: ${group.map((a) => `${a.associationId} in ${at(a)}`).join(", ")}`,
    );
  }
  for (const a of chosen) {
    if (ctx.conflicted.has(a.associationId)) continue;
    ctx.stateAssociations.push(a);
    ctx.addressOf.set(a.associationId, a.address);
  }

  for (const group of groupBy(roles, (r) => r.arn).values()) ctx.roles.set(group[0]!.arn, distinctBy(group, roleRecord));
}

/** What a state source records about a role: two records that differ here disagree (its trust and its policies). */
function roleRecord(r: StateRole): string {
  const inline = r.inlinePolicies.map((p) => [p.name, p.policy]).sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return JSON.stringify([r.assumeRolePolicy, r.permissionsBoundary ?? null, inline, r.attachments.map((x) => x.policyArn).sort()]);
}

/** What a state source records about an association: two records that differ here disagree. */
function recorded(ctx: AnalysisContext, a: StateAssociation): string {
  return JSON.stringify(FIELDS.map(([, get]) => get(ctx, a)));
}

const FIELDS: ReadonlyArray<readonly [string, (ctx: AnalysisContext, a: StateAssociation) => unknown]> = [
  ["cluster_name", (_, a) => a.clusterName],
  ["region", (ctx, a) => ctx.regionOf(a) ?? null],
  ["account", (_, a) => a.accountId ?? null],
  ["namespace", (_, a) => a.namespace],
  ["service_account", (_, a) => a.serviceAccount],
  ["role_arn", (_, a) => a.roleArn],
  ["target_role_arn", (_, a) => a.targetRoleArn ?? null],
  ["disable_session_tags", (_, a) => a.disableSessionTags],
  ["external_id", (_, a) => a.externalId ?? null],
  ["tags", (_, a) => Object.fromEntries(Object.entries(a.tags).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))],
];

function idConflictDetail(ctx: AnalysisContext, id: string, distinct: readonly StateAssociation[]): string {
  const differing = FIELDS.filter(([, get]) => new Set(distinct.map((a) => JSON.stringify(get(ctx, a)))).size > 1);
  const values = differing.map(([name, get]) => `${name}: ${distinct.map((a) => `${show(get(ctx, a))} in ${at(a)}`).join(", ")}`);
  return `state sources disagree about association ${id}: ${values.join("; ")}`;
}

/** An error for associations that state sources record inconsistently; none of them is compared with live. */
function conflict(ctx: AnalysisContext, group: readonly StateAssociation[], detail: string): void {
  const first = group[0]!;
  if (group.every((a) => ctx.ignoredEntirely(a.clusterName, a.namespace, a.serviceAccount))) return;
  const ids = new Set(group.map((a) => a.associationId));
  for (const id of ids) {
    if (ctx.conflicted.has(id)) continue;
    ctx.conflicted.add(id);
    ctx.managed++;
  }
  // The live associations concerned are accounted for (not unmanaged): by id, and on each service account.
  for (const a of group) {
    if (ctx.liveById.has(a.associationId)) ctx.claimed.add(a.associationId);
    const region = ctx.regionOf(a);
    const occupant = region !== undefined ? ctx.liveBySlot.get(slotKey(a, region)) : undefined;
    if (occupant !== undefined) ctx.claimed.add(occupant.associationId);
  }
  const sources = [...new Set(group.map((a) => a.source))];
  ctx.push({
    kind: "error",
    where: {
      cluster: first.clusterName,
      region: ctx.regionOf(first) ?? null,
      accountId: first.accountId ?? null,
      namespace: first.namespace,
      serviceAccount: first.serviceAccount,
      associationId: ids.size === 1 ? first.associationId : null,
      address: null,
    },
    fields: [],
    effectiveAfter: null,
    advice: `${sources.length > 1 ? `The state sources ${sources.join(" and ")} disagree` : `The state source ${sources[0]} disagrees with itself`} about this association, so it is not compared with live: one record is stale (an old copy, another workspace) or two configurations manage one association. Find the one Terraform applies, remove the other (terraform state rm ADDRESS in its configuration, or stop reading that source), and run again.`,
    detail,
    counts: true,
    keyExtra: "state-conflict",
  });
}

function at(l: StateLocation): string {
  return `${l.source} (${l.address})`;
}

function show(v: unknown): string {
  return v === null ? "(none)" : typeof v === "string" ? v : JSON.stringify(v);
}

function byLocation(a: StateLocation, b: StateLocation): number {
  return a.source < b.source ? -1 : a.source > b.source ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}

/** The first item of each distinct key, in order. */
function distinctBy<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
