// The data that flows through the drift check: state readers and live enumerators produce these, the
// analyser compares them, the history store remembers them, outputs render the Report.

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

/** An `aws_iam_role` instance from state, kept only to check external ids against its trust policy. */
export interface StateRole extends StateLocation {
  readonly arn: string;
  /** The trust policy JSON text (`assume_role_policy`). */
  readonly assumeRolePolicy: string;
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
  | { readonly ok: true; readonly snapshot: StateSnapshot }
  | { readonly ok: false; readonly source: string; readonly error: ScanError };

/** A role the check assumes to read one account (the default credential chain otherwise). */
export interface AccountReader {
  readonly roleArn: string;
  readonly externalId?: string;
  readonly sessionName?: string;
}
