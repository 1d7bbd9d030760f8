// Shared by the human formats: one line per changed field, short and exact.
import type { FieldDiff, Finding } from "../model";

export function describeFields(fields: readonly FieldDiff[]): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (f.statements !== undefined) {
      // A policy document: what changed, statement by statement, never the two documents.
      out.push(`${f.name}:`);
      for (const c of f.statements)
        for (const line of c.lines) out.push(`  ${MARK[c.change]} ${c.statement === "Version" ? "Version" : `statement ${c.statement}`}: ${line}`);
      if (f.statements.length === 0) out.push("  (not a valid policy: see the detail)");
      continue;
    }
    if (Array.isArray(f.expected) && Array.isArray(f.actual)) {
      // A set (managed_policy_arns): what was added and what removed, one per line.
      out.push(`${f.name}:`);
      for (const v of f.actual) if (!f.expected.includes(v)) out.push(`  + ${show(v)}`);
      for (const v of f.expected) if (!f.actual.includes(v)) out.push(`  ${MARK.removed} ${show(v)}`);
      continue;
    }
    if (f.name === "tags" && isRecord(f.expected) && isRecord(f.actual)) {
      const keys = [...new Set([...Object.keys(f.expected), ...Object.keys(f.actual)])].sort();
      for (const k of keys) {
        const e = f.expected[k];
        const a = f.actual[k];
        if (e !== a) out.push(`tags.${k}: ${show(e)} → ${show(a)}`);
      }
      continue;
    }
    out.push(`${f.name}: ${show(f.expected)} → ${show(f.actual)}`);
  }
  return out;
}

const MARK = { added: "+", removed: "−", changed: "~" } as const;

/** What a human needs to see of a finding: one line per changed field, else the detail. */
export function findingSummary(f: Finding): string[] {
  const fields = describeFields(f.fields);
  if (f.kind === "role-missing") return [`${f.role?.arn ?? "a chain role"}: deleted`];
  if ((f.kind === "trust-changed" || f.kind === "permission-changed") && f.role !== undefined)
    return [`${f.role.arn} (${BROADENS[String(f.broadens)]})`, ...fields];
  if (f.kind === "external-id-mismatch" && fields.length === 0) return [f.detail ?? ""];
  if (f.kind === "unmanaged") return [f.ownerArn ? `owned by add-on ${f.ownerArn.split("/").slice(-2, -1)[0] ?? f.ownerArn}` : "not in any state read"];
  if (f.kind === "missing") return ["in state, not live"];
  if (f.kind === "error") return [f.detail ?? ""];
  if (fields.length === 0 && f.kind === "cache-pending") return [f.advice.startsWith("New association") ? "new association" : "previous configuration unknown"];
  return fields;
}

/** How a trust or permission change reads next to the role. */
const BROADENS: Readonly<Record<string, string>> = {
  true: "BROADENS access",
  false: "narrows",
  null: "broadening not decided",
  undefined: "broadening not decided",
};

/** Security findings: shown first and in bold or red. */
export function isSecurity(f: Finding): boolean {
  return f.kind === "revocation-pending" || f.kind === "external-id-mismatch" || f.broadens === true;
}

export function where(f: Finding): string {
  return f.namespace !== null ? `${f.namespace}/${f.serviceAccount}` : "";
}

export function clusterLabel(f: Finding): string {
  return f.cluster === null ? "" : `${f.cluster} (${f.region ?? "?"}${f.accountId ? `, ${f.accountId}` : ""})`;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return "(none)";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
