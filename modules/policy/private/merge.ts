// The one place that merges policy statements. Not exported from the package surface.
//
// The rule. A statement allows (or denies) the product  principals × actions × resources × conditions,
// where a condition block is the AND of its keys and each key is the OR of its values (for the positive
// operators below). Two statements that are equal in every element except ONE "dimension" can be
// replaced by one statement whose value list in that dimension is the union of the two: the union of two
// products that differ in one factor is the product with that factor's union, exactly, no more and no less.
// The dimensions are:
//   - the principal block (all principal types together),
//   - the action list,
//   - the resource list,
//   - the value list of ONE condition key under one of MERGEABLE_OPERATORS.
// Anything else is never merged. In particular two statements whose conditions differ in two keys stay two
// statements: (namespace A AND service account X) OR (namespace B AND service account Y) is not
// (namespace in {A,B} AND service account in {X,Y}), which would also allow (A, Y). Negated operators
// (StringNotEquals, ...) are never merged (more values there means fewer matches), nor ForAllValues/
// ForAnyValue set operators, nor statements with a Sid. Exact duplicates are always removed.
//
// The merge is applied to a fixed point, dimension by dimension, which gives a small (not provably minimal)
// set of statements; the result is sorted by its canonical JSON so that the output does not depend on the
// order in which statements were added.
import { compareStrings, type StatementParts } from "../statement";

/** Condition operators whose value lists are ORed, so that a value union is an exact union of matches. */
export const MERGEABLE_OPERATORS: ReadonlySet<string> = new Set(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"]);

type Dimension = { kind: "principals" } | { kind: "actions" } | { kind: "resources" } | { kind: "condition"; op: string; key: string };

/** Removes duplicates and merges statements by the rule above. */
export function mergeStatements(statements: readonly StatementParts[]): StatementParts[] {
  // Most documents hold one statement (a role used by one association): nothing to merge or sort.
  if (statements.length < 2) return [...statements];
  let current = dedupe(statements);
  for (;;) {
    const before = current.length;
    for (const kind of ["principals", "actions", "resources", "condition"] as const) {
      current = mergeAlong(current, kind);
    }
    current = dedupe(current);
    if (current.length === before) break;
  }
  return current.sort((a, b) => compareStrings(canonical(a), canonical(b)));
}

function mergeAlong(statements: StatementParts[], kind: Dimension["kind"]): StatementParts[] {
  // Each pass merges along exactly one dimension; for conditions, one pass per (operator, key) present.
  const dims = new Map<string, Dimension>();
  for (const s of statements) for (const d of dimensionsOf(s, kind)) dims.set(JSON.stringify(d), d);
  let current = statements;
  for (const dim of dims.values()) current = mergeOne(current, dim);
  return current;
}

function mergeOne(statements: StatementParts[], dim: Dimension): StatementParts[] {
  const out: StatementParts[] = [];
  const slotBySignature = new Map<string, number>();
  for (const s of statements) {
    const mergeable = s.sid === undefined && dimensionsOf(s, dim.kind).some((d) => sameDimension(d, dim));
    if (!mergeable) {
      out.push(s);
      continue;
    }
    const sig = signatureWithout(s, dim);
    const slot = slotBySignature.get(sig);
    if (slot === undefined) {
      slotBySignature.set(sig, out.length);
      out.push(s);
    } else {
      out[slot] = union(out[slot]!, s, dim);
    }
  }
  return out;
}

function sameDimension(a: Dimension, b: Dimension): boolean {
  return a.kind === b.kind && (a.kind !== "condition" || (b.kind === "condition" && a.op === b.op && a.key === b.key));
}

function dimensionsOf(s: StatementParts, kind: Dimension["kind"]): Dimension[] {
  switch (kind) {
    case "principals":
      return Object.keys(s.principals).length > 0 ? [{ kind }] : [];
    case "actions":
      return s.actions.length > 0 ? [{ kind }] : [];
    case "resources":
      return s.resources.length > 0 ? [{ kind }] : [];
    case "condition":
      return Object.entries(s.conditions)
        .filter(([op]) => MERGEABLE_OPERATORS.has(op))
        .flatMap(([op, keys]) => Object.keys(keys).map((key) => ({ kind, op, key }) as Dimension));
  }
}

function signatureWithout(s: StatementParts, dim: Dimension): string {
  const conditions: Record<string, Record<string, readonly string[]>> = {};
  for (const [op, keys] of Object.entries(s.conditions)) {
    conditions[op] = { ...keys };
    if (dim.kind === "condition" && dim.op === op) conditions[op]![dim.key] = [];
  }
  return JSON.stringify([
    dim.kind === "condition" ? `${dim.op}|${dim.key}` : dim.kind,
    s.effect,
    dim.kind === "principals" ? null : s.principals,
    dim.kind === "actions" ? null : s.actions,
    dim.kind === "resources" ? null : s.resources,
    conditions,
  ]);
}

function union(a: StatementParts, b: StatementParts, dim: Dimension): StatementParts {
  switch (dim.kind) {
    case "principals": {
      const principals: Record<string, readonly string[]> = { ...a.principals };
      for (const [type, ids] of Object.entries(b.principals)) principals[type] = unionSorted(principals[type] ?? [], ids ?? []);
      return { ...a, principals };
    }
    case "actions":
      return { ...a, actions: unionSorted(a.actions, b.actions) };
    case "resources":
      return { ...a, resources: unionSorted(a.resources, b.resources) };
    case "condition": {
      const keys = { ...a.conditions[dim.op]! };
      keys[dim.key] = unionSorted(keys[dim.key]!, b.conditions[dim.op]![dim.key]!);
      return { ...a, conditions: { ...a.conditions, [dim.op]: keys } };
    }
  }
}

function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort(compareStrings);
}

function dedupe(statements: readonly StatementParts[]): StatementParts[] {
  const seen = new Set<string>();
  return statements.filter((s) => {
    const key = canonical(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function canonical(s: StatementParts): string {
  return JSON.stringify([s.sid ?? "", s.effect, s.principals, s.actions, s.resources, s.conditions]);
}
