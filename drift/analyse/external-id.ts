// With session tags off, EKS passes an sts:ExternalId when it assumes the target role; the target role's
// trust policy must allow that value. This reads which values a trust policy allows for sts:AssumeRole.
import { globMatch } from "./identity";

export type ExternalIdVerdict =
  | { readonly result: "allowed" }
  | { readonly result: "unconstrained" }
  | { readonly result: "mismatch"; readonly allowed: readonly string[] }
  | { readonly result: "unreadable"; readonly reason: string };

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Condition?: unknown;
}

/**
 * Whether `externalId` passes the sts:ExternalId conditions of the Allow statements granting sts:AssumeRole in
 * `trustPolicy` (JSON text). Operators: StringEquals / StringLike (and their IfExists forms), case-insensitive
 * key as IAM treats condition keys. A statement without an sts:ExternalId condition allows any value.
 * Principals are not evaluated: this checks the external id only.
 */
export function checkExternalId(trustPolicy: string, externalId: string): ExternalIdVerdict {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(trustPolicy) as { Statement?: unknown };
  } catch {
    return { result: "unreadable", reason: "the trust policy in state is not valid JSON" };
  }
  const statements = (Array.isArray(doc?.Statement) ? doc.Statement : doc?.Statement ? [doc.Statement] : []) as Statement[];
  const assume = statements.filter((s) => s.Effect === "Allow" && actions(s.Action).some((a) => /^(\*|sts:\*|sts:assumerole)$/i.test(a)));
  if (assume.length === 0) return { result: "unreadable", reason: "the trust policy has no Allow statement for sts:AssumeRole" };
  const allowed: string[] = [];
  for (const s of assume) {
    const conditions = externalIdConditions(s.Condition);
    if (conditions.length === 0) return { result: "unconstrained" };
    if (conditions.every((c) => c.values.some((v) => (c.like ? globMatch(v, externalId) : v === externalId)))) return { result: "allowed" };
    for (const c of conditions) allowed.push(...c.values);
  }
  return { result: "mismatch", allowed: [...new Set(allowed)] };
}

function actions(a: unknown): string[] {
  return typeof a === "string" ? [a] : Array.isArray(a) ? a.filter((x): x is string => typeof x === "string") : [];
}

function externalIdConditions(condition: unknown): { like: boolean; values: string[] }[] {
  if (typeof condition !== "object" || condition === null) return [];
  const out: { like: boolean; values: string[] }[] = [];
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    const op = operator.replace(/IfExists$/, "");
    if (op !== "StringEquals" && op !== "StringLike") continue;
    if (typeof block !== "object" || block === null) continue;
    for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
      if (key.toLowerCase() !== "sts:externalid") continue;
      const values = typeof value === "string" ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
      out.push({ like: op === "StringLike", values });
    }
  }
  return out;
}
