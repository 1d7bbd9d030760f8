// From the analyser's result to the Report contract (report.ts).
import type { Analysis } from "../analyse/types";
import type { ClusterScan, StateReadResult } from "../model";
import type { Finding, RoleRead } from "../model";
import { REPORT_SCHEMA_VERSION, type Report, type Scope, type Summary } from "./report";

export function buildReport(analysis: Analysis, now: Date, scope?: Scope): Report {
  const findings = analysis.findings.map((f) => f.finding);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    complete: analysis.complete,
    summary: summarize(findings, analysis.managed, analysis.inSync),
    findings,
    ...(scope !== undefined ? { scope } : {}),
  };
}

/** Counts per kind of the findings that count; the informational ones (not drift) only in `informational`. */
export function summarize(findings: readonly Finding[], managed: number, inSync: number): Summary {
  const n = (k: Finding["kind"]) => findings.filter((f) => f.kind === k && f.informational !== true).length;
  return {
    managed,
    inSync,
    changed: n("changed"),
    missing: n("missing"),
    replaced: n("replaced"),
    unmanaged: n("unmanaged"),
    cachePending: n("cache-pending"),
    revocationPending: n("revocation-pending"),
    externalIdMismatch: n("external-id-mismatch"),
    roleMissing: n("role-missing"),
    trustChanged: n("trust-changed"),
    permissionChanged: n("permission-changed"),
    broadening: findings.filter((f) => f.broadens === true && f.informational !== true).length,
    errors: n("error"),
    informational: findings.filter((f) => f.informational === true).length,
  };
}

/** What was read, sorted: the same whatever order the sources were given in. `roles` undefined: the IAM half was off. */
export function buildScope(states: readonly StateReadResult[], scans: readonly ClusterScan[], roles?: readonly RoleRead[]): Scope {
  const stateSources = states.map((s) =>
    s.ok ? { source: s.snapshot.source, ok: true, associations: s.snapshot.associations.length } : { source: s.source, ok: false, associations: 0 },
  );
  const clusters = scans.map((c) => ({
    name: c.cluster.name,
    region: c.cluster.region,
    accountId: c.cluster.accountId ?? null,
    ok: c.ok,
    associations: c.ok ? c.associations.length : 0,
  }));
  return {
    stateSources: stateSources.sort((a, b) => compare(a.source, b.source)),
    clusters: clusters.sort((a, b) => compare(a.accountId ?? "", b.accountId ?? "") || compare(a.region, b.region) || compare(a.name, b.name)),
    iam: {
      checked: roles !== undefined,
      roles: (roles ?? []).map((r) => ({ arn: r.arn, ok: r.ok, found: r.ok && r.role !== null })).sort((a, b) => compare(a.arn, b.arn)),
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
