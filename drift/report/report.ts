// The JSON report: the drift check's contract with its users (CLI --format json, the daemon's /report).
// Stable and versioned: add optional fields freely; renaming or removing one bumps schemaVersion.

export const REPORT_SCHEMA_VERSION = 1;

export type FindingKind =
  | "changed"
  | "missing"
  | "replaced"
  | "unmanaged"
  | "cache-pending"
  | "revocation-pending"
  | "external-id-mismatch"
  | "error";

export interface FieldDiff {
  readonly name: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

export interface Finding {
  readonly kind: FindingKind;
  readonly cluster: string | null;
  readonly region: string | null;
  readonly accountId: string | null;
  readonly namespace: string | null;
  readonly serviceAccount: string | null;
  readonly associationId: string | null;
  /** Terraform address of the managed association, null for unmanaged ones and errors. */
  readonly address: string | null;
  readonly fields: readonly FieldDiff[];
  /** ISO 8601: when this finding was first seen (from the history store), null if unknown. */
  readonly since: string | null;
  /** ISO 8601: when a pending change takes effect (cache-pending, revocation-pending). */
  readonly effectiveAfter: string | null;
  readonly advice: string;
  /** Extra detail, e.g. the state source for errors or an assumption the analyser made. */
  readonly detail?: string;
  /** For an association owned by an EKS add-on: the add-on's ARN. */
  readonly ownerArn?: string;
  /** True when the finding is listed for information only and is not drift (an add-on-owned unmanaged association,
   *  a check that was not possible): it does not affect the exit code. Absent means false. */
  readonly informational?: boolean;
}

/** Managed associations, those in sync, and per kind the findings that count (informational ones apart). */
export interface Summary {
  readonly managed: number;
  readonly inSync: number;
  readonly changed: number;
  readonly missing: number;
  readonly replaced: number;
  readonly unmanaged: number;
  readonly cachePending: number;
  readonly revocationPending: number;
  readonly externalIdMismatch: number;
  readonly errors: number;
  /** Informational findings (see Finding.informational), counted here and in none of the kinds above. */
  readonly informational?: number;
}

/** What the run read: every state source (by name) and cluster (by account, region, name), and whether it was read completely. */
export interface Scope {
  readonly stateSources: readonly { readonly source: string; readonly ok: boolean; readonly associations: number }[];
  readonly clusters: readonly { readonly name: string; readonly region: string; readonly accountId: string | null; readonly ok: boolean; readonly associations: number }[];
}

export interface Report {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly generatedAt: string;
  /** False when any state source or cluster could not be read: nothing is then claimed to be in sync there. */
  readonly complete: boolean;
  readonly summary: Summary;
  readonly findings: readonly Finding[];
  /** What was read. Optional: added after schemaVersion 1 was published. */
  readonly scope?: Scope;
}
