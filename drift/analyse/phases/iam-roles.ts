// Phase 8, the chain's IAM roles: for each verified association, its Pod Identity role and target role (as
// state records the association) that a state read manages, compared with what IAM has live (../roles.ts):
//   role-missing        the role is gone: the association cannot work
//   trust-changed       assume_role_policy differs, with `broadens`
//   permission-changed  inline policies, attachments or the permissions boundary differ, with `broadens`
//   error               the role could not be read (complete: false), or state sources disagree about it
// Each is reported on every association whose chain the role is part of, naming the role.
//
// When it takes effect. Pods hold credentials of the target role (or of the Pod Identity role when there is
// none), cached up to one TTL. A change to the permissions of the role they hold applies at once: IAM
// evaluates policies on every request. Everything else only gates new credentials: the trusts (a trust
// policy is read only by AssumeRole), the Pod Identity role's permission to assume the target role, and the
// Pod Identity role itself when pods hold target-role credentials. So when such a change refuses this
// association's requests (or may: ../policy/chain.ts), pods keep working until `effectiveAfter`: one TTL after
// the first run that saw the change (the change itself may be older: this is the latest it can be).
import type { FieldDiff, LiveRole, RoleRead, StateAssociation, StateRole } from "../../model";
import { adviceForRoleError } from "../advice";
import { ttlText } from "../cache";
import type { AnalysisContext } from "../context";
import { iso, type Where } from "../draft";
import {
  parsePolicy,
  podIdentityPermissionAllows,
  podIdentityTrustAllows,
  targetTrustAllows,
  type Broadening,
  type ChainAssociation,
  type LinkVerdict,
  type PolicyDocument,
} from "../policy";
import { combinedBroadening, compareRole, type RoleFieldDiff } from "../roles";
import { findingKey } from "./finish";

type Link = "Pod Identity role" | "target role";

export function chainRoles(ctx: AnalysisContext): void {
  const reads = ctx.input.roles;
  if (reads === undefined) return; // the IAM half is off
  const byArn = new Map(reads.map((r) => [r.arn, r]));
  for (const a of ctx.stateAssociations) {
    if (!ctx.verified.has(a.associationId)) continue;
    const links: Array<[Link, string]> = [["Pod Identity role", a.roleArn]];
    if (a.targetRoleArn) links.push(["target role", a.targetRoleArn]);
    for (const [link, arn] of links) {
      const records = ctx.roles.get(arn);
      const read = byArn.get(arn);
      if (records === undefined || read === undefined) continue; // not managed by a state read
      checkRole(ctx, a, link, records, read, byArn);
    }
  }
}

function checkRole(
  ctx: AnalysisContext,
  a: StateAssociation,
  link: Link,
  records: readonly StateRole[],
  read: RoleRead,
  reads: ReadonlyMap<string, RoleRead>,
): void {
  const where = whereOf(ctx, a);
  const state = records[0]!;
  const role = { arn: state.arn, address: state.address, source: state.source };
  const named = `${link} ${state.arn} (${state.address})`;
  if (records.length > 1) {
    ctx.push({
      kind: "error",
      where,
      fields: [],
      effectiveAfter: null,
      advice:
        "State sources record this role differently, so it is not compared with IAM: one record is stale or two configurations manage the role. Find the one Terraform applies, remove the other (terraform state rm ADDRESS in its configuration, or stop reading that source), and run again.",
      detail: `state sources disagree about ${link} ${state.arn}: ${records.map((r) => `${r.source} (${r.address})`).join(", ")}`,
      role,
      counts: true,
      keyExtra: `${state.arn}|conflict`,
    });
    return;
  }
  if (!read.ok) {
    ctx.push({
      kind: "error",
      where,
      fields: [],
      effectiveAfter: null,
      advice: adviceForRoleError(read.error),
      detail: `${named} not read from IAM: ${read.error.code}: ${read.error.message}; its trust and permissions are not verified`,
      role,
      counts: true,
      keyExtra: state.arn,
    });
    return;
  }
  const chain = chainOf(ctx, a);
  const workload = `pods of ${a.namespace}/${a.serviceAccount} in ${a.clusterName}`;
  const holds = (chain.targetRoleArn ?? chain.podIdentityRoleArn) === state.arn;
  if (read.role === null) {
    const draft = { kind: "role-missing" as const, where, keyExtra: state.arn };
    const until = holds ? null : deadline(ctx, draft, chain);
    ctx.push({
      ...draft,
      fields: [],
      effectiveAfter: until,
      advice: `The ${named} no longer exists in IAM: the association cannot work. ${
        holds
          ? `${workload} hold credentials of this role, and they lost its permissions at once.`
          : `EKS cannot give ${workload} new credentials; credentials they cached keep working until ${until} at the latest.`
      } Deploy (cdktf deploy) to recreate it.`,
      detail: `${named}: GetRole said NoSuchEntity${until ? `; cache TTL ${ttlText(ttlOf(ctx, chain))} counted from when a run first found it gone` : ""}`,
      role,
      counts: true,
    });
    return;
  }

  const comparison = compareRole(state, read.role);
  const piRead = reads.get(chain.podIdentityRoleArn);
  const piLive = piRead?.ok && piRead.role ? piRead.role : undefined;
  if (comparison.trust !== undefined) {
    const verdicts = trustVerdicts(link, state, read.role.assumeRolePolicy, chain, piLive);
    report(ctx, {
      kind: "trust-changed",
      where,
      role,
      named,
      workload,
      fields: [comparison.trust],
      judgement: comparison.trust.judgement,
      gates: true,
      verdicts,
      chain,
    });
  }
  if (comparison.permissions.length > 0) {
    // The Pod Identity role's permissions gate the target role's credentials; the held role's apply at once.
    const gates = !holds && link === "Pod Identity role";
    const verdicts = gates ? permissionVerdicts(state, read.role, chain) : undefined;
    report(ctx, {
      kind: "permission-changed",
      where,
      role,
      named,
      workload,
      fields: comparison.permissions,
      judgement: combinedBroadening(comparison.permissions),
      gates,
      verdicts,
      chain,
    });
  }
}

interface Change {
  readonly kind: "trust-changed" | "permission-changed";
  readonly where: Where;
  readonly role: { readonly arn: string; readonly address: string; readonly source: string };
  readonly named: string;
  readonly workload: string;
  readonly fields: readonly RoleFieldDiff[];
  readonly judgement: Broadening;
  /** The change only gates new credentials (pods keep cached ones until effectiveAfter). */
  readonly gates: boolean;
  /** Whether the association's requests pass under state's and live's documents (gating changes only). */
  readonly verdicts: { readonly state: LinkVerdict; readonly live: LinkVerdict } | undefined;
  readonly chain: ChainAssociation;
}

function report(ctx: AnalysisContext, c: Change): void {
  const draft = { kind: c.kind, where: c.where, keyExtra: c.role.arn };
  const breaks = c.verdicts !== undefined && c.verdicts.live !== "allows" && c.verdicts.state !== "refuses";
  const until = c.gates && breaks ? deadline(ctx, draft, c.chain) : null;
  const b = c.judgement.broadens;
  const subject = c.kind === "trust-changed" ? `The trust policy of the ${c.named} was` : `The permissions of the ${c.named} were`;
  const lead =
    b === true
      ? `SECURITY: ${lower(subject)} changed outside Terraform and now grant${c.kind === "trust-changed" ? "s" : ""} more than state's.`
      : b === false
        ? `${subject} narrowed outside Terraform.`
        : `${subject} changed outside Terraform; whether ${c.kind === "trust-changed" ? "it grants" : "they grant"} more than state's could not be decided (see detail).`;
  const effect = !c.gates
    ? c.kind === "permission-changed"
      ? ` It applies at once to ${c.workload}: their credentials are of this role.`
      : ""
    : until !== null
      ? ` EKS ${c.verdicts!.live === "refuses" ? "no longer gives" : "may no longer give"} ${c.workload} new credentials: cached ones keep working until ${until} at the latest.`
      : c.verdicts?.live === "allows"
        ? ` ${capital(c.workload)} still pass it.`
        : "";
  const fix =
    b === true
      ? " Deploy (cdktf deploy) to put state's back, and if it may have been used, revoke the role's active sessions (IAM console: Revoke active sessions)."
      : " Either make the change in code and deploy it, or deploy as is (cdktf deploy) to put state's back.";
  const timing = until !== null ? `; cache TTL ${ttlText(ttlOf(ctx, c.chain))} counted from when a run first saw the change` : "";
  ctx.push({
    ...draft,
    fields: c.fields.map(toFieldDiff),
    effectiveAfter: until,
    advice: `${lead}${effect}${fix}`,
    detail: `${c.judgement.reason}${timing}`,
    role: c.role,
    broadens: b,
    counts: true,
  });
}

function toFieldDiff(f: RoleFieldDiff): FieldDiff {
  return { name: f.name, expected: f.expected, actual: f.actual, ...(f.statements !== undefined ? { statements: f.statements } : {}) };
}

/** One TTL after the first run that saw this finding (this run, if none did). */
function deadline(
  ctx: AnalysisContext,
  d: { kind: "role-missing" | "trust-changed" | "permission-changed"; where: Where; keyExtra: string },
  chain: ChainAssociation,
): string {
  const since = ctx.input.history.openSince.get(findingKey(d.kind, d.where, d.keyExtra));
  const first = since !== undefined ? Date.parse(since) : ctx.now.getTime();
  return iso(first + ttlOf(ctx, chain));
}

/** The TTL of the credentials pods hold now: the association's configuration as live has it. */
function ttlOf(ctx: AnalysisContext, chain: ChainAssociation): number {
  return chain.targetRoleArn !== undefined ? ctx.settings.targetRoleTtlMs : ctx.settings.podIdentityRoleTtlMs;
}

/** The association as EKS presents it: live's configuration where the cluster has it, else state's. */
function chainOf(ctx: AnalysisContext, a: StateAssociation): ChainAssociation {
  const live = ctx.liveById.get(a.associationId)?.live;
  const roleArn = live?.roleArn ?? a.roleArn;
  const target = live ? live.targetRoleArn : a.targetRoleArn;
  const externalId = live?.externalId ?? a.externalId;
  return {
    partition: roleArn.split(":")[1] ?? "aws",
    region: ctx.regionOf(a)!,
    clusterAccountId: a.accountId ?? live?.accountId ?? roleArn.split(":")[4] ?? "",
    clusterName: a.clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    podIdentityRoleArn: roleArn,
    ...(target ? { targetRoleArn: target } : {}),
    sessionTags: !(live?.disableSessionTags ?? a.disableSessionTags),
    ...(externalId ? { externalId } : {}),
  };
}

function trustVerdicts(
  link: Link,
  state: StateRole,
  liveTrust: string,
  chain: ChainAssociation,
  piLive: LiveRole | undefined,
): { state: LinkVerdict; live: LinkVerdict } {
  const s = parsed(state.assumeRolePolicy, false);
  const l = parsed(liveTrust, true);
  if (s === undefined || l === undefined) return { state: "unknown", live: "unknown" };
  if (link === "Pod Identity role") return { state: podIdentityTrustAllows(s, chain), live: podIdentityTrustAllows(l, chain) };
  const permission = piLive ? podIdentityPermissionAllows(inlineDocs(piLive), piLive.attachments.length > 0, chain) : "unknown";
  return { state: targetTrustAllows(s, chain, permission), live: targetTrustAllows(l, chain, permission) };
}

function permissionVerdicts(state: StateRole, live: LiveRole, chain: ChainAssociation): { state: LinkVerdict; live: LinkVerdict } {
  const stateDocs = state.inlinePolicies.map((p) => parsed(p.policy, false));
  const stateVerdict = stateDocs.includes(undefined)
    ? "unknown"
    : podIdentityPermissionAllows(stateDocs as PolicyDocument[], state.attachments.length > 0, chain);
  return { state: stateVerdict, live: podIdentityPermissionAllows(inlineDocs(live), live.attachments.length > 0, chain) };
}

/** The role's live inline policies that parse (one that does not is judged elsewhere, as a change). */
function inlineDocs(role: LiveRole): PolicyDocument[] {
  return role.inlinePolicies.flatMap((p) => parsed(p.document, true) ?? []);
}

function parsed(text: string, urlEncoded: boolean): PolicyDocument | undefined {
  const p = parsePolicy(text, { urlEncoded });
  return p.ok ? p.policy : undefined;
}

function whereOf(ctx: AnalysisContext, a: StateAssociation): Where {
  const live = ctx.liveById.get(a.associationId)?.live;
  return {
    cluster: a.clusterName,
    region: ctx.regionOf(a) ?? null,
    accountId: a.accountId ?? live?.accountId ?? null,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    associationId: a.associationId,
    address: a.address,
  };
}

function lower(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
