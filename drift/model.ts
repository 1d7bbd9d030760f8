// The data that flows through the drift check: state readers and live enumerators produce these, the
// analyser compares them, the history store remembers them, outputs render the Report. A finding is
// defined once, as a zod schema: its TypeScript type, and the JSON Schemas of the report and of the
// webhook payload that carry it (drift/report/report.ts, drift/daemon/notify.ts), all come from it.
import { z } from "zod";

/** Where an association (or target role) was read from in Terraform state. */
export interface StateLocation {
  /** The state source as the user named it (path, or s3://bucket/key). */
  readonly source: string;
  /** Terraform address, e.g. `module.a.aws_eks_pod_identity_association.x["k"]`. */
  readonly address: string;
  /** Provider address as recorded, e.g. `provider["registry.terraform.io/hashicorp/aws"].cluster`. */
  readonly provider: string;
  /** The provider alias, if any (`cluster` above). */
  readonly providerAlias?: string;
}

/** An `aws_eks_pod_identity_association` instance as Terraform recorded it. Only these attributes are read. */
export interface StateAssociation extends StateLocation {
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly associationId: string;
  readonly associationArn?: string;
  /** From the association ARN, else the `region` attribute. */
  readonly region?: string;
  /** From the association ARN. */
  readonly accountId?: string;
  readonly roleArn: string;
  readonly targetRoleArn?: string;
  readonly disableSessionTags: boolean;
  readonly externalId?: string;
  /** `tags_all` (tags merged with the provider's default tags): what the live association carries. */
  readonly tags: Readonly<Record<string, string>>;
}

/** An inline policy of a role as state records it. */
export interface StateInlinePolicy {
  readonly name: string;
  /** The policy JSON text as stored. */
  readonly policy: string;
  /** The aws_iam_role_policy resource, or the role's address for an inline_policy block. */
  readonly address: string;
}

/** A managed policy attached to a role, as state records it. */
export interface StateAttachment {
  readonly policyArn: string;
  /** The attachment resource, or the role's address for managed_policy_arns. */
  readonly address: string;
}

/** An `aws_iam_role` instance and the policies state manages on it (drift/state/iam-roles.ts). */
export interface StateRole extends StateLocation {
  readonly arn: string;
  readonly name: string;
  readonly accountId: string;
  readonly partition: string;
  /** `unique_id` (AROA…): a role deleted and recreated under the same name gets another. */
  readonly uniqueId?: string;
  /** The trust policy JSON text (`assume_role_policy`). */
  readonly assumeRolePolicy: string;
  readonly permissionsBoundary?: string;
  readonly inlinePolicies: readonly StateInlinePolicy[];
  readonly attachments: readonly StateAttachment[];
}

/** What one state source yielded. */
export interface StateSnapshot {
  readonly source: string;
  readonly associations: readonly StateAssociation[];
  readonly roles: readonly StateRole[];
}

/** A cluster to enumerate live. */
export interface ClusterRef {
  readonly name: string;
  readonly region: string;
  /** Needed to choose per-account credentials; unknown for a cluster named only by name and region. */
  readonly accountId?: string;
}

/** A live association, from DescribePodIdentityAssociation. */
export interface LiveAssociation {
  readonly clusterName: string;
  readonly region: string;
  readonly accountId?: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly associationId: string;
  readonly associationArn: string;
  readonly roleArn: string;
  readonly targetRoleArn?: string;
  readonly disableSessionTags: boolean;
  readonly externalId?: string;
  readonly ownerArn?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly modifiedAt: Date;
}

/** The outcome of enumerating one cluster: either every association, or an error. Never partial. */
export type ClusterScan =
  | { readonly cluster: ClusterRef; readonly ok: true; readonly associations: readonly LiveAssociation[]; readonly apiCalls: number }
  | { readonly cluster: ClusterRef; readonly ok: false; readonly error: ScanError; readonly apiCalls: number };

export interface ScanError {
  /** SDK error name, e.g. AccessDeniedException, ResourceNotFoundException, ThrottlingException, TimeoutError. */
  readonly code: string;
  readonly message: string;
}

/** A managed policy's default version as IAM returned it (URL-encoded), or why it could not be read. */
export type ManagedPolicyRead = { readonly ok: true; readonly document: string } | { readonly ok: false; readonly error: ScanError };

/** A role as IAM returned it. Documents are kept exactly as returned (URL-encoded). */
export interface LiveRole {
  readonly arn: string;
  readonly roleId: string;
  readonly assumeRolePolicy: string;
  readonly permissionsBoundary?: string;
  /** In IAM's order. */
  readonly inlinePolicies: readonly { readonly name: string; readonly document: string }[];
  readonly attachments: readonly string[];
  /** Documents of the attachments that differ from state's (added or removed), by policy ARN. */
  readonly managedPolicies: Readonly<Record<string, ManagedPolicyRead>>;
}

/** One chain role read from IAM: the role, `null` when IAM says it does not exist, or the error that stopped it. Never partial. */
export type RoleRead =
  | { readonly arn: string; readonly ok: true; readonly role: LiveRole | null; readonly calls: number }
  | { readonly arn: string; readonly ok: false; readonly error: ScanError; readonly calls: number };

/** One AWS API call made by the check, for metrics and call counting. */
export interface ApiCallEvent {
  readonly operation: string; // ListPodIdentityAssociations, DescribePodIdentityAssociation, GetObject, ...
  readonly region?: string;
  readonly accountId?: string;
  readonly cluster?: string;
  readonly outcome: "ok" | "error" | "throttled";
}

/** What one state source yielded, or why it could not be read. Never partial. */
export type StateReadResult =
  { readonly ok: true; readonly snapshot: StateSnapshot } | { readonly ok: false; readonly source: string; readonly error: ScanError };

/** A role the check assumes to read one account (the default credential chain otherwise). */
export interface AccountReader {
  readonly roleArn: string;
  readonly externalId?: string;
  readonly sessionName?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Findings: what the analyser concludes, history tracks and every output renders.

export const FINDING_KINDS = [
  "changed",
  "missing",
  "replaced",
  "unmanaged",
  "cache-pending",
  "revocation-pending",
  "external-id-mismatch",
  "role-missing",
  "trust-changed",
  "permission-changed",
  "error",
] as const;

export const findingKindSchema = z.enum(FINDING_KINDS).describe("What the finding is about; docs/drift.md lists every kind with an example and what to do.");
export type FindingKind = z.output<typeof findingKindSchema>;

export const statementChangeSchema = z
  .object({
    change: z.enum(["added", "removed", "changed"]),
    statement: z
      .string()
      .describe(
        "The statement's Sid (quoted) or position (#1): state's for removed and changed statements, live's for added ones; \"Version\" for the document's version.",
      ),
    lines: z
      .array(z.string())
      .readonly()
      .describe("Added or removed: the statement on one line. Changed: one line per element that differs (`Principal AWS: + arn:…`)."),
  })
  .strict()
  .readonly();
export type StatementChange = z.output<typeof statementChangeSchema>;

export const fieldDiffSchema = z
  .object({
    name: z.string().describe("The attribute as Terraform names it (role_arn, tags, assume_role_policy, inline_policy.NAME, managed_policy_arns, …)."),
    expected: z
      .unknown()
      .describe("State's value (or the previous configuration's, for pending changes); null when there is none. Policy documents in their normal form."),
    actual: z.unknown().describe("Live's value; null when there is none."),
    statements: z.array(statementChangeSchema).readonly().optional().describe("For a policy document: what changed, statement by statement."),
  })
  .strict()
  .readonly();
export type FieldDiff = z.output<typeof fieldDiffSchema>;

export const findingRoleSchema = z
  .object({
    arn: z.string(),
    address: z.string().describe("The aws_iam_role's Terraform address."),
    source: z.string().describe("The state source it was read from."),
  })
  .strict()
  .readonly()
  .describe("The IAM role of the association's chain the finding is about.");
export type FindingRole = z.output<typeof findingRoleSchema>;

const nullableString = z.string().nullable();

export const findingSchema = z
  .object({
    kind: findingKindSchema,
    cluster: nullableString,
    region: nullableString,
    accountId: nullableString,
    namespace: nullableString,
    serviceAccount: nullableString,
    associationId: nullableString,
    address: nullableString.describe("Terraform address of the managed association; null for unmanaged ones and errors."),
    fields: z.array(fieldDiffSchema).readonly(),
    since: nullableString.describe("ISO 8601: when this finding was first seen (from the history store); null if unknown."),
    effectiveAfter: nullableString.describe(
      "ISO 8601: when a pending change takes effect (cache-pending, revocation-pending), or when a narrowed trust or a deleted role stops the association (trust-changed, permission-changed, role-missing).",
    ),
    advice: z.string(),
    detail: z.string().optional().describe("Extra detail: the input for errors, an assumption the analyser made, why a change broadens."),
    ownerArn: z.string().optional().describe("For an association owned by an EKS add-on: the add-on's ARN."),
    informational: z
      .boolean()
      .optional()
      .describe(
        "True when listed for information only, not drift (an add-on-owned unmanaged association, a check that was not possible): it does not affect the exit code. Absent means false.",
      ),
    role: findingRoleSchema.optional(),
    broadens: z
      .boolean()
      .nullable()
      .optional()
      .describe(
        "trust-changed and permission-changed: true when live grants a principal, action or resource, or drops a condition, that state's did not (a security finding); false when it only narrows; null when it cannot be decided (detail says why).",
      ),
  })
  .strict()
  .readonly();
export type Finding = z.output<typeof findingSchema>;
