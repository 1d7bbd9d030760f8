// Shared by the human formats: one line per changed field, short and exact.
import type { FieldDiff, Finding } from "./report";

export function describeFields(fields: readonly FieldDiff[]): string[] {
  const out: string[] = [];
  for (const f of fields) {
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

/** What a human needs to see of a finding: one line per changed field, else the detail. */
export function findingSummary(f: Finding): string[] {
  const fields = describeFields(f.fields);
  if (f.kind === "external-id-mismatch" && fields.length === 0) return [f.detail ?? ""];
  if (f.kind === "unmanaged") return [f.ownerArn ? `owned by add-on ${f.ownerArn.split("/").slice(-2, -1)[0] ?? f.ownerArn}` : "not in any state read"];
  if (f.kind === "missing") return ["in state, not live"];
  if (f.kind === "error") return [f.detail ?? ""];
  if (fields.length === 0 && f.kind === "cache-pending") return [f.advice.startsWith("New association") ? "new association" : "previous configuration unknown"];
  return fields;
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
