// Evaluating one request against one policy document, as IAM's evaluation logic does within a single
// policy: an explicit Deny wins, else an Allow allows, else it is implicitly denied. Three-valued where this
// code cannot tell (an unknown operator, a policy variable): `unknown`, never a guess.
import type { PolicyDocument, PolicyStatement, PrincipalElement, ValueElement } from "./document";
import { evaluateConditions, type RequestContext } from "./condition";
import { actionMatches, hasVariable, principalEntryMatches, resourceMatches, type PrincipalMatch, type RequestPrincipal } from "./match";

export interface PolicyRequest {
  /** For resource policies (a role's trust); absent for identity policies. */
  readonly principal?: RequestPrincipal;
  readonly action: string;
  /** Absent for a trust policy (the resource is the role itself). */
  readonly resource?: string;
  readonly context: RequestContext;
}

export interface EvaluateOptions {
  /** The account of the role whose trust policy this is: its root principal needs the caller's own permission too. */
  readonly resourceAccount?: string;
}

/** How a statement matches: as PrincipalMatch (`account`: only through the principal's own permission). */
export type StatementMatch = PrincipalMatch;

/**
 * `allow`; `account` (allowed for a principal of the trusting role's own account only if its identity policy
 * also allows); `deny` (explicit); `implicit` (no statement allows); `unknown`.
 */
export type Decision = "allow" | "account" | "deny" | "implicit" | "unknown";

export function statementMatches(s: PolicyStatement, r: PolicyRequest, opts: EvaluateOptions = {}): StatementMatch {
  const parts: StatementMatch[] = [principalMatches(s.principal, r.principal, opts.resourceAccount), valueMatches(s.action, r.action, actionMatches)];
  if (s.resource !== undefined || r.resource !== undefined) {
    // A policy variable in a resource is resolved per request by IAM: not evaluated here.
    const unresolved = s.resource === undefined || r.resource === undefined || s.resource.values.some(hasVariable);
    parts.push(unresolved ? "unknown" : valueMatches(s.resource!, r.resource!, resourceMatches));
  }
  const c = evaluateConditions(s.conditions, r.context);
  parts.push(c === undefined ? "unknown" : c ? "yes" : "no");
  return combine(parts);
}

export function decide(p: PolicyDocument, r: PolicyRequest, opts: EvaluateOptions = {}): Decision {
  let denyUnknown = false;
  const allows = new Set<StatementMatch>();
  for (const s of p.statements) {
    const m = statementMatches(s, r, opts);
    if (s.effect === "Deny") {
      // A Deny naming the account denies its principals whatever their own permissions.
      if (m === "yes" || m === "account") return "deny";
      if (m === "unknown") denyUnknown = true;
    } else allows.add(m);
  }
  if (denyUnknown) return "unknown";
  // An unknown match might be a full allow: it outranks `account`.
  return allows.has("yes") ? "allow" : allows.has("unknown") ? "unknown" : allows.has("account") ? "account" : "implicit";
}

/** A Principal / NotPrincipal element against the requester (`yes` when the statement has none and nobody is named). */
export function principalMatches(p: PrincipalElement | undefined, who: RequestPrincipal | undefined, resourceAccount: string | undefined): StatementMatch {
  if (p === undefined) return who === undefined ? "yes" : "unknown";
  if (who === undefined) return "unknown";
  let m: StatementMatch = "no";
  if (p.everyone) m = "yes";
  else {
    for (const [type, ids] of Object.entries(p.entries)) {
      for (const id of ids) m = best(m, principalEntryMatches(type, id, who, resourceAccount));
    }
  }
  if (!p.negated) return m;
  return m === "yes" ? "no" : m === "no" ? "yes" : "unknown";
}

function valueMatches(e: ValueElement | undefined, value: string, match: (pattern: string, value: string) => boolean): StatementMatch {
  if (e === undefined) return "unknown";
  const hit = e.values.some((p) => match(p, value));
  return hit !== e.negated ? "yes" : "no";
}

// OR of principal entries: an unknown entry might be a full match, so it outranks `account`.
const RANK: Record<StatementMatch, number> = { no: 0, account: 1, unknown: 2, yes: 3 };

function best(a: StatementMatch, b: StatementMatch): StatementMatch {
  return RANK[b] > RANK[a] ? b : a;
}

/** AND of the parts: any `no` → no; any `unknown` → unknown; any `account` → account; else yes. */
function combine(parts: readonly StatementMatch[]): StatementMatch {
  if (parts.includes("no")) return "no";
  if (parts.includes("unknown")) return "unknown";
  if (parts.includes("account")) return "account";
  return "yes";
}
