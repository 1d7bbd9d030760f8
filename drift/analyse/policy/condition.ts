// Condition operators: evaluating a clause against a request's context (three-valued: true, false, or
// undefined when this code cannot tell), and deciding when one clause implies another.
//
// Semantics (IAM User Guide, "IAM JSON policy elements: Condition operators" and "Single-valued vs.
// multivalued context keys"): values of one key are ORed; negated operators (StringNotEquals, …) hold when
// the request's value matches none of them, and when the key is absent; positive operators are false on an
// absent key unless `…IfExists`; `ForAnyValue:` holds when some request value matches (false when absent),
// `ForAllValues:` when every one does (true when absent); `Null` tests presence. ArnEquals and ArnLike both
// take wildcards. A value with a policy variable (`${…}`) is not evaluated: undefined.
import type { ConditionClause } from "./document";
import { globMatch, hasVariable, hasWildcard, patternCovers, resourceCovers, resourceMatches } from "./match";

/** Request context: lower-cased condition key → its values (one for single-valued keys). */
export type RequestContext = ReadonlyMap<string, readonly string[]>;

/** The value of a key the request carries but whose value is not known (a pod's name): clauses on it are undefined. */
export const UNKNOWN_VALUE: readonly string[] = Object.freeze([]);

type Family = "string" | "stringIgnoreCase" | "stringLike" | "arn" | "numeric" | "date" | "bool" | "binary" | "ip" | "null";

interface Operator {
  readonly set?: "ForAnyValue" | "ForAllValues";
  readonly family: Family;
  /** NumericLessThan → "lt" etc.; "eq" for the equality and like forms. */
  readonly compare: "eq" | "lt" | "le" | "gt" | "ge";
  readonly negated: boolean;
  readonly ifExists: boolean;
}

const BASE: Record<string, Omit<Operator, "set" | "ifExists">> = {
  StringEquals: { family: "string", compare: "eq", negated: false },
  StringNotEquals: { family: "string", compare: "eq", negated: true },
  StringEqualsIgnoreCase: { family: "stringIgnoreCase", compare: "eq", negated: false },
  StringNotEqualsIgnoreCase: { family: "stringIgnoreCase", compare: "eq", negated: true },
  StringLike: { family: "stringLike", compare: "eq", negated: false },
  StringNotLike: { family: "stringLike", compare: "eq", negated: true },
  ArnEquals: { family: "arn", compare: "eq", negated: false },
  ArnLike: { family: "arn", compare: "eq", negated: false },
  ArnNotEquals: { family: "arn", compare: "eq", negated: true },
  ArnNotLike: { family: "arn", compare: "eq", negated: true },
  NumericEquals: { family: "numeric", compare: "eq", negated: false },
  NumericNotEquals: { family: "numeric", compare: "eq", negated: true },
  NumericLessThan: { family: "numeric", compare: "lt", negated: false },
  NumericLessThanEquals: { family: "numeric", compare: "le", negated: false },
  NumericGreaterThan: { family: "numeric", compare: "gt", negated: false },
  NumericGreaterThanEquals: { family: "numeric", compare: "ge", negated: false },
  DateEquals: { family: "date", compare: "eq", negated: false },
  DateNotEquals: { family: "date", compare: "eq", negated: true },
  DateLessThan: { family: "date", compare: "lt", negated: false },
  DateLessThanEquals: { family: "date", compare: "le", negated: false },
  DateGreaterThan: { family: "date", compare: "gt", negated: false },
  DateGreaterThanEquals: { family: "date", compare: "ge", negated: false },
  Bool: { family: "bool", compare: "eq", negated: false },
  BinaryEquals: { family: "binary", compare: "eq", negated: false },
  IpAddress: { family: "ip", compare: "eq", negated: false },
  NotIpAddress: { family: "ip", compare: "eq", negated: true },
  Null: { family: "null", compare: "eq", negated: false },
};

/** Parses `ForAnyValue:StringLikeIfExists` and the like; undefined for an operator this code does not know. */
export function parseOperator(name: string): Operator | undefined {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(name);
  if (!m) return undefined;
  const base = BASE[m[2]!];
  if (base === undefined || (base.family === "null" && m[3])) return undefined;
  return { ...(m[1] ? { set: m[1] as Operator["set"] } : {}), ...base, ifExists: m[3] !== undefined };
}

export function isKnownOperator(name: string): boolean {
  return parseOperator(name) !== undefined;
}

/** Whether one request value matches one condition value (positive sense); undefined when unknown. */
function valueMatches(op: Operator, condition: string, value: string): boolean | undefined {
  if (hasVariable(condition)) return undefined;
  switch (op.family) {
    case "string":
    case "binary":
      return condition === value;
    case "stringIgnoreCase":
      return condition.toLowerCase() === value.toLowerCase();
    case "stringLike":
      return globMatch(condition, value);
    case "arn":
      return resourceMatches(condition, value);
    case "bool":
      return condition.toLowerCase() === value.toLowerCase();
    case "numeric":
      return compareWith(op.compare, Number(value), Number(condition));
    case "date":
      return compareWith(op.compare, dateOf(value), dateOf(condition));
    case "ip":
      return ipInCidr(value, condition);
    case "null":
      return undefined; // handled by the caller
  }
}

function compareWith(c: Operator["compare"], a: number, b: number): boolean | undefined {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  return c === "eq" ? a === b : c === "lt" ? a < b : c === "le" ? a <= b : c === "gt" ? a > b : a >= b;
}

function dateOf(s: string): number {
  return /^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s);
}

/** IPv4 only; undefined for anything else. */
function ipInCidr(ip: string, cidr: string): boolean | undefined {
  const parse = (s: string) => {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return undefined;
    const parts = m.slice(1).map(Number);
    return parts.some((p) => p > 255) ? undefined : parts.reduce((n, p) => n * 256 + p, 0);
  };
  const [base, bitsText] = cidr.split("/");
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const a = parse(ip);
  const b = parse(base ?? "");
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

/** One request value against every condition value (ORed), in the positive sense. */
function anyValue(op: Operator, values: readonly string[], v: string): boolean | undefined {
  let unknown = false;
  for (const c of values) {
    const m = valueMatches(op, c, v);
    if (m === true) return true;
    if (m === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

/** Evaluates one clause against the context. */
export function evaluateClause(clause: ConditionClause, context: RequestContext): boolean | undefined {
  const op = parseOperator(clause.operator);
  if (op === undefined) return undefined;
  const present = context.get(clause.keyLower);
  if (present === UNKNOWN_VALUE) return undefined;
  const absent = present === undefined || present.length === 0;
  if (op.family === "null") {
    const wantAbsent = clause.values.map((v) => v.toLowerCase());
    if (wantAbsent.some((v) => v !== "true" && v !== "false")) return undefined;
    return wantAbsent.includes(absent ? "true" : "false");
  }
  if (absent) {
    if (op.set === "ForAllValues") return true;
    if (op.set === "ForAnyValue") return false;
    return op.negated || op.ifExists;
  }
  const results = present!.map((v) => anyValue(op, clause.values, v));
  const each = results.map((r) => (r === undefined ? undefined : op.negated ? !r : r));
  if (op.set === "ForAllValues") return each.includes(false) ? false : each.includes(undefined) ? undefined : true;
  if (op.set === "ForAnyValue") return each.includes(true) ? true : each.includes(undefined) ? undefined : false;
  // A single-valued operator on several values: positive if any matches; negated only if none does.
  if (op.negated) return results.includes(true) ? false : results.includes(undefined) ? undefined : true;
  return results.includes(true) ? true : results.includes(undefined) ? undefined : false;
}

/** All clauses (ANDed). */
export function evaluateConditions(clauses: readonly ConditionClause[], context: RequestContext): boolean | undefined {
  let unknown = false;
  for (const c of clauses) {
    const r = evaluateClause(c, context);
    if (r === false) return false;
    if (r === undefined) unknown = true;
  }
  return unknown ? undefined : true;
}

/**
 * Whether clause `a` holding guarantees clause `b` holds (same key). Sound, not complete: false means "not
 * shown", and the caller then treats `b` as possibly unmet.
 */
export function clauseImplies(a: ConditionClause, b: ConditionClause): boolean {
  if (a.keyLower !== b.keyLower) return false;
  if (a.operator === b.operator && sameValues(a.values, b.values)) return true;
  const x = parseOperator(a.operator);
  const y = parseOperator(b.operator);
  if (x === undefined || y === undefined || x.set !== y.set || x.negated !== y.negated) return false;
  // IfExists only relaxes: a stricter `a` may lack it, a laxer one may not.
  if (x.ifExists && !y.ifExists) return false;
  if (x.family === "null" || y.family === "null") return x.family === y.family && sameValues(a.values, b.values);
  if (x.negated) {
    // a excludes at least what b excludes.
    return x.family === y.family && x.compare === y.compare && b.values.every((v) => a.values.includes(v));
  }
  if (x.set === "ForAllValues" || x.set === "ForAnyValue" || x.compare !== "eq" || y.compare !== "eq") {
    return x.family === y.family && x.compare === y.compare && x.compare === "eq" && a.values.every((v) => b.values.includes(v));
  }
  // Positive equality / like forms: every value a accepts, b accepts.
  return a.values.every((v) => valueCovered(x.family, v, y.family, b.values));
}

function valueCovered(fa: Family, v: string, fb: Family, outer: readonly string[]): boolean {
  if (hasVariable(v)) return fa === fb && outer.includes(v);
  const literal =
    fa === "string" || fa === "stringIgnoreCase" || fa === "bool" || fa === "binary" || fa === "numeric" || fa === "date" || fa === "ip" || !hasWildcard(v);
  switch (fb) {
    case "string":
    case "binary":
      return (fa === fb || (fb === "string" && fa === "stringLike" && !hasWildcard(v))) && outer.includes(v);
    case "stringIgnoreCase":
      return (
        (fa === "string" || fa === "stringIgnoreCase" || (fa === "stringLike" && !hasWildcard(v))) && outer.some((o) => o.toLowerCase() === v.toLowerCase())
      );
    case "stringLike":
      if (fa !== "string" && fa !== "stringLike") return false;
      return outer.some((o) => !hasVariable(o) && (literal ? globMatch(o, v) : patternCovers(o, v, false)));
    case "arn":
      if (fa !== "arn" && fa !== "string" && fa !== "stringLike") return false;
      return outer.some((o) => !hasVariable(o) && (literal ? resourceMatches(o, v) : resourceCovers(o, v)));
    case "bool":
      return fa === "bool" && outer.some((o) => o.toLowerCase() === v.toLowerCase());
    case "numeric":
    case "date":
    case "ip":
      return fa === fb && outer.includes(v);
    case "null":
      return false;
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
