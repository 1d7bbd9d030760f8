// One chain role, state against live: its trust (`assume_role_policy`) and its permissions (each inline
// policy, the set of attached managed policies, the permissions boundary), each field with a statement-level
// diff and whether live broadens it. Pure; which associations a role's change is reported on, and when it
// takes effect, is the analyser's phase (phases/iam-roles.ts).
import type { LiveRole, StateRole } from "../model";
import { comparePolicyTexts, decodeIamDocument, type Broadening, type StatementChange } from "./policy";

/** A changed field of a role: `expected` = state, `actual` = live, normal forms for documents. */
export interface RoleFieldDiff {
  readonly name: string;
  readonly expected: unknown;
  readonly actual: unknown;
  /** For a policy document: what changed, statement by statement. */
  readonly statements?: readonly StatementChange[];
  /** Readable lines (the statement diff, or the ARNs added and removed). */
  readonly lines: readonly string[];
  readonly judgement: Broadening;
}

export interface RoleComparison {
  /** `assume_role_policy`, when it differs. */
  readonly trust?: RoleFieldDiff;
  /** `inline_policy.<name>`, `managed_policy_arns`, `permissions_boundary`: those that differ. */
  readonly permissions: readonly RoleFieldDiff[];
}

export function compareRole(state: StateRole, live: LiveRole): RoleComparison {
  const opts = { resourceAccount: state.accountId, partition: state.partition };
  const trust = documentField("assume_role_policy", state.assumeRolePolicy, live.assumeRolePolicy, opts);
  const permissions: RoleFieldDiff[] = [];
  const stateInline = new Map(state.inlinePolicies.map((p) => [p.name, p.policy]));
  const liveInline = new Map(live.inlinePolicies.map((p) => [p.name, p.document]));
  for (const name of [...new Set([...stateInline.keys(), ...liveInline.keys()])].sort()) {
    const f = documentField(`inline_policy.${name}`, stateInline.get(name), liveInline.get(name), { resourceAccount: undefined, partition: state.partition });
    if (f) permissions.push(f);
  }
  const attachments = attachmentField(state, live);
  if (attachments) permissions.push(attachments);
  const boundary = boundaryField(state.permissionsBoundary, live.permissionsBoundary);
  if (boundary) permissions.push(boundary);
  return { ...(trust ? { trust } : {}), permissions };
}

/** true if any field is; else null if any is; else false. */
export function combinedBroadening(fields: readonly RoleFieldDiff[]): Broadening {
  const reasons = (b: boolean | null) =>
    fields
      .filter((f) => f.judgement.broadens === b)
      .map((f) => `${f.name}: ${f.judgement.reason}`)
      .join("; ");
  const wider = fields.find((f) => f.judgement.broadens === true);
  if (wider && wider.judgement.broadens === true)
    return { broadens: true, reason: reasons(true), ...(wider.judgement.example ? { example: wider.judgement.example } : {}) };
  if (fields.some((f) => f.judgement.broadens === null)) return { broadens: null, reason: reasons(null) };
  return { broadens: false, reason: reasons(false) };
}

function documentField(
  name: string,
  state: string | undefined,
  live: string | undefined,
  opts: { resourceAccount: string | undefined; partition: string },
): RoleFieldDiff | undefined {
  const c = comparePolicyTexts(state, live, { ...(opts.resourceAccount ? { resourceAccount: opts.resourceAccount } : {}), partition: opts.partition });
  if (c.same) return undefined;
  return {
    name,
    expected: c.state ?? (state === undefined ? null : state),
    actual: c.live ?? (live === undefined ? null : live),
    statements: c.diff.statements,
    lines: c.lines.length > 0 ? c.lines : [c.judgement.reason],
    judgement: c.judgement,
  };
}

/** The set of attached managed policies; each added or removed one judged from its document when it was read. */
function attachmentField(state: StateRole, live: LiveRole): RoleFieldDiff | undefined {
  const expected = [...new Set(state.attachments.map((a) => a.policyArn))].sort();
  const actual = [...new Set(live.attachments)].sort();
  const added = actual.filter((a) => !expected.includes(a));
  const removed = expected.filter((a) => !actual.includes(a));
  if (added.length === 0 && removed.length === 0) return undefined;
  const judged = [
    ...added.map((arn) => ({ arn, sign: "+", j: judgeAttachment(arn, live, "added", state.partition) })),
    ...removed.map((arn) => ({ arn, sign: "−", j: judgeAttachment(arn, live, "removed", state.partition) })),
  ];
  const parts = judged.map((x) => ({ name: `${x.sign} ${x.arn}`, judgement: x.j }) as RoleFieldDiff);
  const judgement = combinedBroadening(parts);
  return { name: "managed_policy_arns", expected, actual, lines: judged.map((x) => `${x.sign} ${x.arn}`), judgement };
}

function judgeAttachment(arn: string, live: LiveRole, change: "added" | "removed", partition: string): Broadening {
  const read = live.managedPolicies[arn];
  if (read === undefined || !read.ok) {
    return {
      broadens: null,
      reason: `${change === "added" ? "attached" : "detached"} ${arn}, whose document could not be read${read && !read.ok ? ` (${read.error.code}: ${read.error.message})` : ""}`,
    };
  }
  const c =
    change === "added"
      ? comparePolicyTexts(undefined, read.document, { partition })
      : comparePolicyTexts(decodeIamDocument(read.document), undefined, { partition });
  if (c.same) return { broadens: false, reason: `${arn} grants nothing` };
  return c.judgement;
}

function boundaryField(state: string | undefined, live: string | undefined): RoleFieldDiff | undefined {
  if ((state ?? null) === (live ?? null)) return undefined;
  const judgement: Broadening =
    live === undefined
      ? { broadens: true, reason: `the permissions boundary ${state} that capped the role's permissions was removed` }
      : state === undefined
        ? { broadens: false, reason: `a permissions boundary ${live} was added: it can only take permissions away` }
        : { broadens: null, reason: `the permissions boundary changed from ${state} to ${live}; the two policies are not compared` };
  return { name: "permissions_boundary", expected: state ?? null, actual: live ?? null, lines: [`${state ?? "(none)"} → ${live ?? "(none)"}`], judgement };
}
