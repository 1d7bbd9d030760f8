// A readable statement-level diff of two normalised policy documents: which statements live added, which it
// removed, and, for a statement changed in place, which elements changed and how. Statements are paired by
// Sid, then by likeness (same effect and at least one element in common), so that "the one trust statement
// got another principal" reads as one change, not a removal and an addition.
import {
  describeClause,
  describeStatement,
  statementLabel,
  type ConditionClause,
  type PolicyDocument,
  type PolicyStatement,
  type PrincipalElement,
  type ValueElement,
} from "./document";

export interface StatementChange {
  readonly change: "added" | "removed" | "changed";
  /** The statement's Sid (quoted) or position: state's for removed and changed ones, live's for added ones. */
  readonly statement: string;
  /** Added or removed: the statement on one line. Changed: one line per element that differs. */
  readonly lines: readonly string[];
}

export interface PolicyDiff {
  readonly version?: { readonly from: string; readonly to: string };
  readonly statements: readonly StatementChange[];
}

export function diffPolicies(state: PolicyDocument, live: PolicyDocument): PolicyDiff {
  const liveSet = new Set(live.statements.map((s) => s.canonical));
  const stateSet = new Set(state.statements.map((s) => s.canonical));
  const removed = state.statements.filter((s) => !liveSet.has(s.canonical));
  const added = live.statements.filter((s) => !stateSet.has(s.canonical));
  const pairs: Array<[PolicyStatement, PolicyStatement]> = [];
  const take = (r: PolicyStatement, a: PolicyStatement) => {
    pairs.push([r, a]);
    removed.splice(removed.indexOf(r), 1);
    added.splice(added.indexOf(a), 1);
  };
  for (const r of [...removed]) {
    const a = r.sid !== undefined ? added.find((x) => x.sid === r.sid) : undefined;
    if (a) take(r, a);
  }
  for (;;) {
    let best: { r: PolicyStatement; a: PolicyStatement; score: number } | undefined;
    for (const r of removed) {
      for (const a of added) {
        const score = likeness(r, a);
        if (score > 0 && (best === undefined || score > best.score)) best = { r, a, score };
      }
    }
    if (best === undefined) break;
    take(best.r, best.a);
  }
  const statements: StatementChange[] = [
    ...pairs
      .sort(([x], [y]) => x.index - y.index)
      .map(([r, a]): StatementChange => ({ change: "changed", statement: statementLabel(r), lines: changedElements(r, a) })),
    ...removed.map((s): StatementChange => ({ change: "removed", statement: statementLabel(s), lines: [describeStatement(s)] })),
    ...added.map((s): StatementChange => ({ change: "added", statement: statementLabel(s), lines: [describeStatement(s)] })),
  ];
  return { ...(state.version !== live.version ? { version: { from: state.version, to: live.version } } : {}), statements };
}

/** The diff as lines: `~ statement #1: Principal AWS: + arn:…`, `+ statement "Wide": Allow s3:* · on *`. */
export function diffLines(d: PolicyDiff): string[] {
  const out: string[] = [];
  if (d.version) out.push(`~ Version: ${d.version.from} → ${d.version.to}`);
  for (const c of d.statements) {
    const mark = c.change === "added" ? "+" : c.change === "removed" ? "−" : "~";
    for (const line of c.lines) out.push(`${mark} statement ${c.statement}: ${line}`);
  }
  return out;
}

/** Elements in common, for a pair of the same effect (0 otherwise). */
function likeness(a: PolicyStatement, b: PolicyStatement): number {
  if (a.effect !== b.effect) return 0;
  let n = 0;
  if (JSON.stringify(a.principal) === JSON.stringify(b.principal)) n++;
  if (overlap(a.action, b.action, true)) n++;
  if (overlap(a.resource, b.resource, false)) n++;
  if (a.conditions.some((c) => b.conditions.some((d) => c.operator === d.operator && c.keyLower === d.keyLower))) n++;
  if (a.principal && b.principal && principalOverlap(a.principal, b.principal)) n++;
  return n;
}

function overlap(a: ValueElement | undefined, b: ValueElement | undefined, fold: boolean): boolean {
  if (a === undefined || b === undefined) return false;
  const f = (v: string) => (fold ? v.toLowerCase() : v);
  return a.negated === b.negated && a.values.some((v) => b.values.some((w) => f(v) === f(w)));
}

function principalOverlap(a: PrincipalElement, b: PrincipalElement): boolean {
  return Object.entries(a.entries).some(([t, ids]) => ids.some((id) => (b.entries[t] ?? []).includes(id)));
}

function changedElements(r: PolicyStatement, a: PolicyStatement): string[] {
  const out: string[] = [];
  if ((r.sid ?? "") !== (a.sid ?? "")) out.push(`Sid: ${r.sid ?? "(none)"} → ${a.sid ?? "(none)"}`);
  if (r.effect !== a.effect) out.push(`Effect: ${r.effect} → ${a.effect}`);
  out.push(...principalChanges(r.principal, a.principal));
  out.push(...valueChanges("Action", "NotAction", r.action, a.action, true));
  out.push(...valueChanges("Resource", "NotResource", r.resource, a.resource, false));
  out.push(...conditionChanges(r.conditions, a.conditions));
  return out;
}

function setChange(label: string, from: readonly string[], to: readonly string[], fold: boolean): string[] {
  const f = (v: string) => (fold ? v.toLowerCase() : v);
  const plus = to.filter((v) => !from.some((w) => f(w) === f(v)));
  const minus = from.filter((v) => !to.some((w) => f(w) === f(v)));
  if (plus.length === 0 && minus.length === 0) return [];
  const parts = [...(plus.length > 0 ? [`+ ${plus.join(", ")}`] : []), ...(minus.length > 0 ? [`− ${minus.join(", ")}`] : [])];
  return [`${label}: ${parts.join("; ")}`];
}

function valueChanges(positive: string, negative: string, from: ValueElement | undefined, to: ValueElement | undefined, fold: boolean): string[] {
  if (from === undefined && to === undefined) return [];
  const name = (e: ValueElement | undefined) => (e === undefined ? "(none)" : e.negated ? negative : positive);
  if (from === undefined || to === undefined || from.negated !== to.negated) {
    return [`${name(from)} ${from?.values.join(", ") ?? ""} → ${name(to)} ${to?.values.join(", ") ?? ""}`.replace(/\s+→/, " →").trimEnd()];
  }
  return setChange(name(to), from.values, to.values, fold);
}

function principalChanges(from: PrincipalElement | undefined, to: PrincipalElement | undefined): string[] {
  if (from === undefined && to === undefined) return [];
  const label = (p: PrincipalElement | undefined) => (p === undefined ? "(none)" : p.negated ? "NotPrincipal" : "Principal");
  if (from === undefined || to === undefined || from.negated !== to.negated || from.everyone !== to.everyone) {
    const show = (p: PrincipalElement | undefined) =>
      p === undefined
        ? "(none)"
        : `${label(p)} ${
            p.everyone
              ? "*"
              : Object.entries(p.entries)
                  .map(([t, v]) => `${t} ${v.join(", ")}`)
                  .join("; ")
          }`;
    return [`${show(from)} → ${show(to)}`];
  }
  const types = [...new Set([...Object.keys(from.entries), ...Object.keys(to.entries)])].sort();
  return types.flatMap((t) => setChange(`${label(to)} ${t}`, from.entries[t] ?? [], to.entries[t] ?? [], t !== "AWS"));
}

function conditionChanges(from: readonly ConditionClause[], to: readonly ConditionClause[]): string[] {
  const out: string[] = [];
  const key = (c: ConditionClause) => `${c.operator}\u0000${c.keyLower}`;
  const toByKey = new Map(to.map((c) => [key(c), c]));
  const fromByKey = new Map(from.map((c) => [key(c), c]));
  for (const c of from) {
    const d = toByKey.get(key(c));
    if (d === undefined) out.push(`Condition − ${describeClause(c)}`);
    else out.push(...setChange(`Condition ${c.operator} ${c.key}`, c.values, d.values, false));
  }
  for (const d of to) if (!fromByKey.has(key(d))) out.push(`Condition + ${describeClause(d)}`);
  return out;
}
