// Does the live document grant anything state's did not? The answer is `true` only with a concrete request
// as evidence, `false` only with a proof, and `null` (with the reason) otherwise: never `false` when it might
// broaden.
//
// A document's effect is what its Allow statements allow and what its Deny statements take away from the
// role's other policies too; so live broadens state when
//   (a) some request matches a live Allow (and no live Deny) but is not allowed by state's document, or
//   (b) some request matches a state Deny but no live Deny (a dropped or narrowed Deny).
// `false` — a proof that neither can happen: every live Allow statement is covered by state's Allow
// statements, and every state Deny by live's Deny statements. Covering is shown per atom (one principal ×
// one action × one resource of the statement) by a single statement with the same effect whose principal,
// action and resource patterns contain the atom's (match.ts) and each of whose condition clauses is implied by
// one of the atom's (condition.ts), or holds for every request of the atom (aws:PrincipalArn and
// aws:PrincipalAccount of a named principal).
// `true` — a search over requests built from both documents' own values (their principals, actions,
// resources and condition values, wildcards filled in, plus values neither names and absent keys) for one
// that (a) or (b) holds for, evaluated by evaluate.ts. The request found is the evidence in `reason`.
// In a trust policy, the trusting role's own account as principal trusts its principals only through their
// own permissions: live trusting a principal directly where state trusted its account counts as broadening,
// the reverse never as narrowing.
import type { ConditionClause, PolicyDocument, PolicyStatement, PrincipalElement, ValueElement } from "./document";
import { describeStatement, statementLabel } from "./document";
import { clauseImplies, evaluateClause, parseOperator, type RequestContext } from "./condition";
import { decide, principalMatches, statementMatches, type Decision, type PolicyRequest } from "./evaluate";
import {
  actionCovers,
  actionMatches,
  arnSegments,
  hasVariable,
  hasWildcard,
  instantiate,
  isDeletedPrincipalId,
  principalEntryMatches,
  resourceCovers,
  resourceMatches,
  rootAccount,
  type RequestPrincipal,
} from "./match";

/** A request that shows the difference: live allows it and state's document did not (or state's denied it). */
export interface ExampleRequest {
  readonly principal?: { readonly type: string; readonly id: string };
  readonly action: string;
  readonly resource?: string;
  /** Condition keys as the documents spell them; keys they test that are absent from the request are left out. */
  readonly context: Readonly<Record<string, string>>;
}

export type Broadening =
  | { readonly broadens: true; readonly reason: string; readonly example?: ExampleRequest }
  | { readonly broadens: false; readonly reason: string }
  | { readonly broadens: null; readonly reason: string };

export interface JudgeOptions {
  /** The account of the role the document belongs to (its trust policy's own-account rule). */
  readonly resourceAccount?: string;
  /** @default "aws" */
  readonly partition?: string;
}

/** Requests tried per judgement at most; past it the answer is `null` (bounded work on hostile documents). */
export const SEARCH_LIMIT = 100_000;

// Actions a witness prefers (real ones read better than a filled-in wildcard).
const COMMON_ACTIONS = [
  "sts:AssumeRole",
  "sts:TagSession",
  "s3:GetObject",
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:ListBucket",
  "iam:PassRole",
  "iam:CreateUser",
  "ec2:RunInstances",
  "kms:Decrypt",
  "dynamodb:GetItem",
  "secretsmanager:GetSecretValue",
];
const DERIVED_KEYS = new Set(["aws:principalarn", "aws:principalaccount"]);
const ATOM_LIMIT = 5_000;

/** Judges live against state (both parsed). Call it only when they differ. */
export function judgeBroadening(state: PolicyDocument, live: PolicyDocument, opts: JudgeOptions = {}): Broadening {
  if (state.version !== live.version && (usesVariables(state) || usesVariables(live))) {
    return {
      broadens: null,
      reason: `Version changed from ${state.version} to ${live.version} in a document with policy variables (\${…}), which only 2012-10-17 resolves`,
    };
  }
  const ctx: Ctx = { resourceAccount: opts.resourceAccount, partition: opts.partition ?? "aws" };
  const allowGap = firstUncovered(allowsOf(live), allowsOf(state), ctx);
  const denyGap = firstUncovered(deniesOf(state), deniesOf(live), ctx);
  if (allowGap === undefined && denyGap === undefined) {
    return { broadens: false, reason: "live allows nothing that state's did not and keeps every Deny state had" };
  }
  const search = new Search(state, live, ctx);
  const evidence = search.widerAllow() ?? search.droppedDeny();
  if (evidence !== undefined) return { broadens: true, ...evidence };
  const gap = allowGap ?? denyGap!;
  const what =
    allowGap !== undefined
      ? `live statement ${statementLabel(gap)} (${describeStatement(gap)}) is not shown to be within state's statements`
      : `state's Deny ${statementLabel(gap)} (${describeStatement(gap)}) is not shown to be kept by live's`;
  const bound = search.exhausted ? `; stopped after ${SEARCH_LIMIT} example requests` : "";
  return {
    broadens: null,
    reason: `could not decide: ${what}, and no example request shows a difference${search.unknowns > 0 ? " (some conditions could not be evaluated)" : ""}${bound}`,
  };
}

interface Ctx {
  readonly resourceAccount: string | undefined;
  readonly partition: string;
}

const allowsOf = (p: PolicyDocument) => p.statements.filter((s) => s.effect === "Allow");
const deniesOf = (p: PolicyDocument) => p.statements.filter((s) => s.effect === "Deny");

function usesVariables(p: PolicyDocument): boolean {
  return p.statements.some((s) => (s.resource?.values ?? []).some(hasVariable) || s.conditions.some((c) => c.values.some(hasVariable)));
}

// ---------------------------------------------------------------------------------------------------------
// The proof: every statement of `inner` covered, atom by atom, by one statement of `outer`.

/** One principal × one action × one resource of a statement (negated elements stay whole). */
interface Atom {
  readonly principal?:
    | { readonly negated: true; readonly element: PrincipalElement }
    | { readonly negated: false; readonly everyone: boolean; readonly type?: string; readonly id?: string };
  readonly action: ValueElement;
  readonly resource?: ValueElement;
  readonly conditions: readonly ConditionClause[];
}

function firstUncovered(inner: readonly PolicyStatement[], outer: readonly PolicyStatement[], ctx: Ctx): PolicyStatement | undefined {
  for (const s of inner) {
    const atoms = atomsOf(s);
    if (atoms === undefined || !atoms.every((a) => outer.some((o) => covers(o, a, ctx)))) return s;
  }
  return undefined;
}

function atomsOf(s: PolicyStatement): Atom[] | undefined {
  const principals: Array<Atom["principal"]> = principalAtoms(s);
  const actions: ValueElement[] = s.action!.negated ? [s.action!] : s.action!.values.map((v) => ({ negated: false, values: [v] }));
  const resources: Array<ValueElement | undefined> =
    s.resource === undefined ? [undefined] : s.resource.negated ? [s.resource] : s.resource.values.map((v) => ({ negated: false, values: [v] }));
  if (principals.length * actions.length * resources.length > ATOM_LIMIT) return undefined;
  const out: Atom[] = [];
  for (const principal of principals) {
    for (const action of actions) {
      for (const resource of resources) out.push({ ...(principal ? { principal } : {}), action, ...(resource ? { resource } : {}), conditions: s.conditions });
    }
  }
  return out;
}

/**
 * The statement's principals, one per atom. A positive, unconditional aws:PrincipalArn clause with literal
 * values narrows a broad Principal to exactly those principals (every request the statement matches has one).
 */
function principalAtoms(s: PolicyStatement): Array<Atom["principal"]> {
  const p = s.principal;
  if (p === undefined) return [undefined];
  if (p.negated) return [{ negated: true, element: p }];
  const named = principalArnValues(s.conditions);
  if (named !== undefined) {
    const matched = named.filter((arn) => {
      const who = awsPrincipal(arn);
      return p.everyone || Object.entries(p.entries).some(([t, ids]) => ids.some((id) => principalEntryMatches(t, id, who, undefined) !== "no"));
    });
    // A named principal the element does not admit matches nothing: it adds no atom.
    return matched.map((id) => ({ negated: false, everyone: false, type: "AWS", id }));
  }
  if (p.everyone) return [{ negated: false, everyone: true }];
  return Object.entries(p.entries).flatMap(([type, ids]) => ids.map((id) => ({ negated: false, everyone: false, type, id })));
}

function principalArnValues(conditions: readonly ConditionClause[]): string[] | undefined {
  for (const c of conditions) {
    if (c.keyLower !== "aws:principalarn") continue;
    const op = parseOperator(c.operator);
    if (op === undefined || op.set !== undefined || op.negated || op.ifExists || (op.family !== "arn" && op.family !== "string" && op.family !== "stringLike"))
      continue;
    if (c.values.some((v) => hasWildcard(v) || hasVariable(v))) continue;
    return [...c.values];
  }
  return undefined;
}

function awsPrincipal(id: string): RequestPrincipal {
  const account = arnSegments(id)?.[4] || rootAccount(id);
  return { type: "AWS", id, ...(account ? { account } : {}) };
}

function covers(o: PolicyStatement, a: Atom, ctx: Ctx): boolean {
  return (
    principalCovered(o.principal, a.principal, ctx) &&
    actionCovered(o.action!, a.action) &&
    resourceCovered(o.resource, a.resource) &&
    conditionsCovered(o.conditions, a)
  );
}

function principalCovered(o: PrincipalElement | undefined, a: Atom["principal"], ctx: Ctx): boolean {
  if (o === undefined || a === undefined) return o === undefined && a === undefined;
  if (!o.negated && o.everyone) return true;
  if (a.negated) return o.negated && JSON.stringify(o) === JSON.stringify(a.element);
  if (a.everyone) return false;
  if (a.type === "AWS" && isDeletedPrincipalId(a.id!)) return true; // matches nobody
  if (o.negated) {
    // Everyone except o's entries: a concrete principal none of them names, or names through its account.
    if (a.type !== "AWS" || rootAccount(a.id!) !== undefined || a.id === "*") return false;
    const who = awsPrincipal(a.id!);
    return !o.everyone && Object.entries(o.entries).every(([t, ids]) => ids.every((id) => principalEntryMatches(t, id, who, ctx.resourceAccount) === "no"));
  }
  const ids = o.entries[a.type!] ?? [];
  if (a.type !== "AWS") return ids.some((id) => id.toLowerCase() === a.id!.toLowerCase());
  if (ids.includes("*") || ids.includes(a.id!)) return true;
  if (a.id === "*" || rootAccount(a.id!) !== undefined) return false;
  // A named principal of another account is trusted through that account's root as well (its own permission
  // is needed either way); in the role's own account, only naming it trusts it without its own permission.
  const who = awsPrincipal(a.id!);
  return ids.some((id) => principalEntryMatches("AWS", id, who, ctx.resourceAccount) === "yes");
}

function actionCovered(o: ValueElement, a: ValueElement): boolean {
  if (!o.negated) {
    if (a.negated) return o.values.includes("*");
    return o.values.some((p) => actionCovers(p, a.values[0]!));
  }
  if (a.negated) return o.values.every((p) => a.values.some((q) => actionCovers(q, p)));
  const v = a.values[0]!;
  return !hasWildcard(v) && !o.values.some((p) => actionMatches(p, v));
}

function resourceCovered(o: ValueElement | undefined, a: ValueElement | undefined): boolean {
  if (o === undefined || a === undefined) return o === undefined && a === undefined;
  if (o.values.some(hasVariable) || a.values.some(hasVariable))
    return o.negated === a.negated && a.values.every((v) => o.values.includes(v)) && (!o.negated || o.values.every((v) => a.values.includes(v)));
  if (!o.negated) {
    if (a.negated) return o.values.includes("*");
    return o.values.some((p) => resourceCovers(p, a.values[0]!));
  }
  if (a.negated) return o.values.every((p) => a.values.some((q) => resourceCovers(q, p)));
  const v = a.values[0]!;
  return !hasWildcard(v) && !o.values.some((p) => resourceMatches(p, v));
}

function conditionsCovered(outer: readonly ConditionClause[], a: Atom): boolean {
  const derived = derivedContext(a);
  return outer.every(
    (b) => a.conditions.some((c) => clauseImplies(c, b)) || (DERIVED_KEYS.has(b.keyLower) && derived !== undefined && evaluateClause(b, derived) === true),
  );
}

/** What every request of the atom carries: aws:PrincipalArn / aws:PrincipalAccount of a named AWS principal. */
function derivedContext(a: Atom): RequestContext | undefined {
  const p = a.principal;
  if (p === undefined || p.negated || p.everyone || p.type !== "AWS" || p.id === "*") return undefined;
  const account = rootAccount(p.id!) ?? arnSegments(p.id!)?.[4];
  const out = new Map<string, string[]>();
  if (account) out.set("aws:principalaccount", [account]);
  if (rootAccount(p.id!) === undefined) out.set("aws:principalarn", [p.id!]);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The evidence: a concrete request, built from the documents' own values.

class Search {
  exhausted = false;
  unknowns = 0;
  private tried = 0;
  private readonly principals: RequestPrincipal[] | undefined;
  private readonly actions: string[];
  private readonly resources: string[] | undefined;
  private readonly keys: Map<string, KeyCandidates>;

  constructor(
    private readonly state: PolicyDocument,
    private readonly live: PolicyDocument,
    private readonly ctx: Ctx,
  ) {
    const all = [...state.statements, ...live.statements];
    const fresh = freshAccount(all);
    this.principals = all.some((s) => s.principal !== undefined) ? principalCandidates(all, fresh, ctx.partition) : undefined;
    this.actions = actionCandidates(all);
    this.resources = all.some((s) => s.resource !== undefined) ? resourceCandidates(all, ctx.partition, fresh) : undefined;
    this.keys = keyCandidates(all, fresh);
  }

  /** (a): a request live allows that state's document does not. */
  widerAllow(): { reason: string; example: ExampleRequest } | undefined {
    for (const s of allowsOf(this.live)) {
      const found = this.find(s, (r) => {
        const l = this.decide(this.live, r);
        const st = this.decide(this.state, r);
        return (l === "allow" && (st === "implicit" || st === "deny" || st === "account")) || (l === "account" && (st === "implicit" || st === "deny"));
      });
      if (found !== undefined) {
        const st = this.decide(this.state, found);
        // Absent keys are named only where they explain the difference: state's statements for this request test them.
        const said = describeRequest(found, this.keys, conditionKeys(allowsOf(this.state), found, this.ctx));
        const how =
          this.decide(this.live, found) === "account" ? `trusts every principal of its own account that has the permission, e.g. ${said}` : `allows ${said}`;
        const was =
          st === "deny"
            ? "state's denied it"
            : st === "account"
              ? "state's trusted it only through the principal's own permission"
              : "state's did not allow it";
        return { reason: `live ${how} (statement ${statementLabel(s)}); ${was}`, example: exampleOf(found, this.keys) };
      }
    }
    return undefined;
  }

  /** (b): a request a state Deny matched that no live Deny does. */
  droppedDeny(): { reason: string; example: ExampleRequest } | undefined {
    const liveDenies = deniesOf(this.live);
    for (const d of deniesOf(this.state)) {
      const found = this.find(d, (r) => liveDenies.every((x) => this.match(x, r) === "no"));
      if (found !== undefined)
        return {
          reason: `live no longer denies ${describeRequest(found, this.keys, conditionKeys([d], found, this.ctx))} (state's Deny ${statementLabel(d)})`,
          example: exampleOf(found, this.keys),
        };
    }
    return undefined;
  }

  /** The first request that `s` certainly matches and `test` accepts, trying candidates in order. */
  private find(s: PolicyStatement, test: (r: PolicyRequest) => boolean): PolicyRequest | undefined {
    const principals = this.principals === undefined ? [undefined] : this.principals.filter((p) => partialMatch(s, "principal", p, this.ctx));
    const actions = this.actions.filter((a) => partialMatch(s, "action", a, this.ctx));
    const resources = this.resources === undefined ? [undefined] : this.resources.filter((x) => partialMatch(s, "resource", x, this.ctx));
    const keys = [...this.keys.values()].map(({ key, values }) => ({ key, values: values.filter((v) => clausesOnKeyHold(s, key, v)) }));
    if (keys.some((k) => k.values.length === 0)) return undefined;
    // Real-looking requests first: an action with a resource of its own service.
    const pairs = actions.flatMap((action) =>
      resources.map((resource) => ({ action, resource, fit: resource === undefined || serviceOf(resource) === action.split(":")[0]!.toLowerCase() ? 0 : 1 })),
    );
    pairs.sort((a, b) => a.fit - b.fit);
    for (const principal of principals) {
      for (const { action, resource } of pairs) {
        for (const context of contexts(keys, principal)) {
          if (++this.tried > SEARCH_LIMIT) {
            this.exhausted = true;
            return undefined;
          }
          const r: PolicyRequest = { ...(principal ? { principal } : {}), action, ...(resource !== undefined ? { resource } : {}), context };
          const m = this.match(s, r);
          if ((m === "yes" || m === "account") && test(r)) return r;
        }
      }
    }
    return undefined;
  }

  private match(s: PolicyStatement, r: PolicyRequest) {
    const m = statementMatches(s, r, { ...(this.ctx.resourceAccount ? { resourceAccount: this.ctx.resourceAccount } : {}) });
    if (m === "unknown") this.unknowns++;
    return m;
  }

  private decide(p: PolicyDocument, r: PolicyRequest): Decision {
    const d = decide(p, r, { ...(this.ctx.resourceAccount ? { resourceAccount: this.ctx.resourceAccount } : {}) });
    if (d === "unknown") this.unknowns++;
    return d;
  }
}

/** Whether one dimension of a request can match the statement (the other dimensions ignored). */
function partialMatch(s: PolicyStatement, what: "principal" | "action" | "resource", value: unknown, ctx: Ctx): boolean {
  if (what === "action") return s.action!.values.some((p) => actionMatches(p, value as string)) !== s.action!.negated;
  if (what === "resource") return s.resource === undefined || s.resource.values.some((p) => resourceMatches(p, value as string)) !== s.resource.negated;
  const m = principalMatches(s.principal, value as RequestPrincipal, ctx.resourceAccount);
  return m === "yes" || m === "account";
}

function clausesOnKeyHold(s: PolicyStatement, key: string, value: string | undefined): boolean {
  const ctx: RequestContext = new Map(value === undefined ? [] : [[key, [value]]]);
  return s.conditions.filter((c) => c.keyLower === key).every((c) => evaluateClause(c, ctx) === true);
}

function* contexts(
  keys: ReadonlyArray<{ key: string; values: ReadonlyArray<string | undefined> }>,
  principal: RequestPrincipal | undefined,
): Generator<RequestContext> {
  const base = new Map<string, string[]>();
  if (principal?.type === "AWS" && principal.id !== "*") {
    if (principal.account) base.set("aws:principalaccount", [principal.account]);
    if (rootAccount(principal.id) === undefined) base.set("aws:principalarn", [principal.id]);
  }
  const idx = keys.map(() => 0);
  for (;;) {
    const m = new Map(base);
    keys.forEach((k, i) => {
      const v = k.values[idx[i]!];
      if (v !== undefined) m.set(k.key, [v]);
    });
    yield m;
    let i = 0;
    while (i < keys.length && ++idx[i]! >= keys[i]!.values.length) idx[i++] = 0;
    if (i === keys.length) return;
  }
}

function freshAccount(all: readonly PolicyStatement[]): string {
  const text = all.map((s) => s.canonical).join("\n");
  return ["999999999999", "123456789012", "210987654321"].find((a) => !text.includes(a)) ?? "888888888888";
}

function principalCandidates(all: readonly PolicyStatement[], fresh: string, partition: string): RequestPrincipal[] {
  const out = new Map<string, RequestPrincipal>();
  const add = (p: RequestPrincipal) => out.set(`${p.type} ${p.id}`, p);
  for (const s of all) {
    for (const clause of s.conditions) {
      if (clause.keyLower === "aws:principalarn")
        for (const v of clause.values) if (!hasVariable(v) && arnSegments(v)) add(awsPrincipal(instantiate(v, "example")));
    }
    const p = s.principal;
    if (p === undefined) continue;
    if (p.everyone) add(awsPrincipal(`arn:${partition}:iam::${fresh}:role/example`));
    for (const [type, ids] of Object.entries(p.entries)) {
      for (const id of ids) {
        if (type !== "AWS") add({ type, id });
        else if (id === "*") add(awsPrincipal(`arn:${partition}:iam::${fresh}:role/example`));
        else if (rootAccount(id) !== undefined) add(awsPrincipal(`arn:${partition}:iam::${rootAccount(id)}:role/example`));
        else if (!isDeletedPrincipalId(id)) add(awsPrincipal(id));
      }
    }
  }
  add(awsPrincipal(`arn:${partition}:iam::${fresh}:role/example`));
  return [...out.values()];
}

function actionCandidates(all: readonly PolicyStatement[]): string[] {
  const out = new Set<string>();
  const patterns = all.flatMap((s) => s.action!.values);
  for (const p of patterns) if (!hasWildcard(p)) out.add(p);
  for (const a of COMMON_ACTIONS) out.add(a);
  for (const p of patterns) if (hasWildcard(p) && !COMMON_ACTIONS.some((a) => actionMatches(p, a))) out.add(instantiate(p, "Example"));
  out.add("example:Action");
  return [...out];
}

function resourceCandidates(all: readonly PolicyStatement[], partition: string, fresh: string): string[] {
  const out = new Set<string>();
  for (const s of all) for (const v of s.resource?.values ?? []) if (!hasVariable(v) && v !== "*") out.add(instantiate(v, "example"));
  out.add(`arn:${partition}:s3:::example-bucket/example`);
  out.add(`arn:${partition}:iam::${fresh}:role/example`);
  return [...out];
}

function serviceOf(resource: string): string | undefined {
  return arnSegments(resource)?.[2]?.toLowerCase();
}

/** Per condition key (not derived from the principal): absent, each value the documents name, and one they do not. */
interface KeyCandidates {
  /** Lower-cased, as the context holds it. */
  readonly key: string;
  /** As first written in a document, for messages. */
  readonly name: string;
  values: Array<string | undefined>;
}

function keyCandidates(all: readonly PolicyStatement[], fresh: string): Map<string, KeyCandidates> {
  const out = new Map<string, KeyCandidates>();
  for (const s of all) {
    for (const c of s.conditions) {
      if (DERIVED_KEYS.has(c.keyLower)) continue;
      let entry = out.get(c.keyLower);
      if (!entry) out.set(c.keyLower, (entry = { key: c.keyLower, name: c.key, values: [] }));
      const op = parseOperator(c.operator);
      for (const v of c.values) {
        if (hasVariable(v)) continue;
        if (op?.family === "bool") entry.values.push("true", "false");
        else if (op?.family === "numeric" && Number.isFinite(Number(v))) entry.values.push(v, String(Number(v) + 1), String(Number(v) - 1));
        else if (op?.family === "ip") entry.values.push(v.split("/")[0]!);
        else if (hasWildcard(v)) entry.values.push(instantiate(v, ""), instantiate(v, "example"));
        else entry.values.push(v);
      }
    }
  }
  for (const entry of out.values()) {
    // Absent first: the first request found then carries only the keys it needs.
    entry.values = [undefined, ...new Set(entry.values), entry.key.endsWith("account") ? fresh : "example-value"];
  }
  return out;
}

/** `sts:AssumeRole to arn:… with aws:SourceAccount=…, without aws:RequestTag/x`: keys named as written; of the absent ones, those in `relevant`. */
function describeRequest(r: PolicyRequest, keys: ReadonlyMap<string, KeyCandidates>, relevant: ReadonlySet<string>): string {
  const parts = [r.action];
  if (r.resource !== undefined) parts.push(`on ${r.resource}`);
  if (r.principal !== undefined) parts.push(`to ${r.principal.type === "AWS" ? r.principal.id : `${r.principal.type} ${r.principal.id}`}`);
  const given: string[] = [];
  const absent: string[] = [];
  for (const k of keys.values()) {
    const v = r.context.get(k.key);
    if (v !== undefined) given.push(`${k.name}=${v.join(",")}`);
    else if (relevant.has(k.key)) absent.push(k.name);
  }
  if (given.length > 0) parts.push(`with ${given.join(", ")}`);
  if (absent.length > 0) parts.push(`without ${absent.join(", ")}`);
  return parts.join(" ");
}

/** The condition keys of the statements whose principal, action and resource match the request: what decided it. */
function conditionKeys(statements: readonly PolicyStatement[], r: PolicyRequest, ctx: Ctx): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    const fits =
      partialMatch(s, "action", r.action, ctx) &&
      (r.resource === undefined || partialMatch(s, "resource", r.resource, ctx)) &&
      (r.principal === undefined || s.principal === undefined || partialMatch(s, "principal", r.principal, ctx));
    if (fits) for (const c of s.conditions) out.add(c.keyLower);
  }
  return out;
}

function exampleOf(r: PolicyRequest, keys: ReadonlyMap<string, KeyCandidates>): ExampleRequest {
  const context: Record<string, string> = {};
  for (const k of keys.values()) {
    const v = r.context.get(k.key);
    if (v !== undefined) context[k.name] = v[0]!;
  }
  return {
    ...(r.principal ? { principal: { type: r.principal.type, id: r.principal.id } } : {}),
    action: r.action,
    ...(r.resource !== undefined ? { resource: r.resource } : {}),
    context,
  };
}
