// Phase 9, the findings: ignore rules that name kinds drop those kinds; every finding gets the key history
// tracks it under and its `since`; the list is sorted the same way whatever order the inputs came in.
import type { Finding, FindingKind } from "../../model";
import type { AnalysisContext } from "../context";
import { ruleMatches } from "../context";
import type { Where } from "../draft";
import type { KeyedFinding } from "../types";

const KIND_ORDER: readonly FindingKind[] = [
  "error",
  "revocation-pending",
  "role-missing",
  "trust-changed",
  "permission-changed",
  "external-id-mismatch",
  "missing",
  "replaced",
  "changed",
  "unmanaged",
  "cache-pending",
];

export function finishFindings(ctx: AnalysisContext): KeyedFinding[] {
  const { history } = ctx.input;
  const out: KeyedFinding[] = [];
  for (const d of ctx.drafts) {
    const w = d.where;
    if (w.cluster !== null && w.namespace !== null && w.serviceAccount !== null && ignoredKind(ctx, w.cluster, w.namespace, w.serviceAccount, d.kind)) continue;
    const key = findingKey(d.kind, w, d.keyExtra);
    const since = history.available ? (history.openSince.get(key) ?? ctx.now.toISOString()) : null;
    const { where, counts, keyExtra: _keyExtra, ...rest } = d;
    const finding: Finding = {
      kind: rest.kind,
      cluster: where.cluster,
      region: where.region,
      accountId: where.accountId,
      namespace: where.namespace,
      serviceAccount: where.serviceAccount,
      associationId: where.associationId,
      address: where.address,
      fields: rest.fields,
      since,
      effectiveAfter: rest.effectiveAfter,
      advice: rest.advice,
      ...(rest.detail !== undefined ? { detail: rest.detail } : {}),
      ...(rest.ownerArn !== undefined ? { ownerArn: rest.ownerArn } : {}),
      ...(counts ? {} : { informational: true }),
      ...(rest.role !== undefined ? { role: rest.role } : {}),
      ...(rest.broadens !== undefined ? { broadens: rest.broadens } : {}),
    };
    out.push({ key, finding, counts });
  }
  return out.sort(compareFindings);
}

/** The identity history tracks a finding under: kind, where, and for errors the source. */
export function findingKey(kind: FindingKind, w: Where, extra?: string): string {
  const loc = w.cluster !== null ? `${w.region ?? "?"}/${w.cluster}` : "-";
  const slot = w.namespace !== null ? `${w.namespace}/${w.serviceAccount}` : "-";
  return [kind, loc, slot, w.associationId ?? "-", extra ?? ""].join("|");
}

function ignoredKind(ctx: AnalysisContext, cluster: string, namespace: string, serviceAccount: string, kind: FindingKind): boolean {
  return kind !== "error" && ctx.settings.ignore.some((r) => r.kinds?.includes(kind) === true && ruleMatches(r, cluster, namespace, serviceAccount));
}

function compareFindings(a: KeyedFinding, b: KeyedFinding): number {
  const x = a.finding;
  const y = b.finding;
  const ek = Number(x.kind !== "error") - Number(y.kind !== "error");
  if (ek !== 0) return ek;
  for (const k of ["accountId", "region", "cluster", "namespace", "serviceAccount"] as const) {
    const c = (x[k] ?? "").localeCompare(y[k] ?? "");
    if (c !== 0) return c;
  }
  const k = KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind);
  if (k !== 0) return k;
  // The same kind at the same place (state errors, two roles of one chain): by what they are about, not by input order.
  const r = (x.role?.arn ?? "").localeCompare(y.role?.arn ?? "");
  if (r !== 0) return r;
  for (const key of ["associationId", "detail"] as const) {
    const c = (x[key] ?? "").localeCompare(y[key] ?? "");
    if (c !== 0) return c;
  }
  return 0;
}
