// The trust statements of the Pod Identity chain (domain brief, section 1). Every statement is built from
// objects; documents are merged by ./private/merge.ts.
import { accountRootArn, clusterArn } from "./arn";
import { PolicyStatement } from "./statement";

/** The service principal EKS Pod Identity assumes roles with. */
export const PODS_SERVICE_PRINCIPAL = "pods.eks.amazonaws.com";
/** The action that assumes a role. */
export const ASSUME_ROLE = "sts:AssumeRole";
/** The action that passes session tags; EKS Pod Identity needs it with `sts:AssumeRole`. */
export const TAG_SESSION = "sts:TagSession";

/** How a target role names the Pod Identity role it trusts. */
export type TargetTrustForm =
  /** Principal = the cluster account's root, narrowed with `ArnEquals aws:PrincipalARN` (AWS's current form). */
  | "principal-arn"
  /**
   * Principal = the Pod Identity role ARN itself (the older guide's form). Drawback: if the Pod Identity role
   * is deleted and recreated, IAM has already rewritten the principal to the old role's unique id and the
   * trust silently stops matching until the target role's trust policy is rewritten.
   */
  | "role-principal";

/** Every target trust form. */
export const TARGET_TRUST_FORMS: readonly TargetTrustForm[] = ["principal-arn", "role-principal"];

/** Options narrowing the Pod Identity role's trust of `pods.eks.amazonaws.com`. */
export interface PodIdentityTrustOptions {
  /** Adds `StringEquals aws:SourceAccount` = this account (the cluster account). @default - no condition */
  readonly sourceAccount?: string;
  /**
   * One statement per (namespace, service account) with `StringEquals` on the request tags
   * `kubernetes-namespace` and `kubernetes-service-account`. Requires session tags. @default - not narrowed
   */
  readonly serviceAccounts?: readonly { readonly namespace: string; readonly serviceAccount: string }[];
  /** Adds `StringEquals` on the request tag `eks-cluster-arn` = this cluster ARN. Requires session tags. @default - any cluster */
  readonly clusterArn?: string;
}

/** The Pod Identity role's trust statements. */
export function podIdentityTrustStatements(opts: PodIdentityTrustOptions = {}): PolicyStatement[] {
  const base = (): PolicyStatement => {
    const s = new PolicyStatement({ actions: [ASSUME_ROLE, TAG_SESSION] }).addServicePrincipal(PODS_SERVICE_PRINCIPAL);
    if (opts.sourceAccount !== undefined) s.addCondition("StringEquals", "aws:SourceAccount", opts.sourceAccount);
    if (opts.clusterArn !== undefined) s.addCondition("StringEquals", "aws:RequestTag/eks-cluster-arn", opts.clusterArn);
    return s;
  };
  if (!opts.serviceAccounts || opts.serviceAccounts.length === 0) return [base()];
  return opts.serviceAccounts.map((sa) =>
    base()
      .addCondition("StringEquals", "aws:RequestTag/kubernetes-namespace", sa.namespace)
      .addCondition("StringEquals", "aws:RequestTag/kubernetes-service-account", sa.serviceAccount),
  );
}

/** What a target role must trust for one association. */
export interface TargetTrustGrant {
  /** The cluster's partition. */
  readonly partition: string;
  /** The cluster's region. */
  readonly region: string;
  /** The cluster's account. */
  readonly clusterAccountId: string;
  /** The cluster's name. */
  readonly clusterName: string;
  /** The association's Kubernetes namespace. */
  readonly namespace: string;
  /** The association's Kubernetes service account. */
  readonly serviceAccount: string;
  /** The Pod Identity role that chains into the target role. */
  readonly podIdentityRoleArn: string;
  /** false when the association has `disable_session_tags = true`. */
  readonly sessionTags: boolean;
  /** @default "principal-arn" */
  readonly form?: TargetTrustForm;
}

/**
 * The external id EKS passes when session tags are disabled: `REGION/ACCOUNT/CLUSTER/NAMESPACE/SA`.
 * Computed from known values: reading the association's `external_id` would make a dependency cycle.
 */
export function podIdentityExternalId(g: Pick<TargetTrustGrant, "region" | "clusterAccountId" | "clusterName" | "namespace" | "serviceAccount">): string {
  return `${g.region}/${g.clusterAccountId}/${g.clusterName}/${g.namespace}/${g.serviceAccount}`;
}

/** The target role's trust statements for one association, in the form its session-tag setting needs. */
export function targetTrustStatements(g: TargetTrustGrant): PolicyStatement[] {
  const form = g.form ?? "principal-arn";
  const principal = (s: PolicyStatement): PolicyStatement =>
    form === "principal-arn"
      ? s.addAwsPrincipal(accountRootArn(g.partition, g.clusterAccountId)).addCondition("ArnEquals", "aws:PrincipalARN", g.podIdentityRoleArn)
      : s.addAwsPrincipal(g.podIdentityRoleArn);
  if (g.sessionTags) {
    return [
      principal(new PolicyStatement({ actions: [ASSUME_ROLE, TAG_SESSION] }))
        .addCondition("StringEquals", "aws:RequestTag/eks-cluster-arn", clusterArn(g.partition, g.region, g.clusterAccountId, g.clusterName))
        .addCondition("StringEquals", "aws:RequestTag/kubernetes-namespace", g.namespace)
        .addCondition("StringEquals", "aws:RequestTag/kubernetes-service-account", g.serviceAccount),
    ];
  }
  return [
    principal(new PolicyStatement({ actions: [ASSUME_ROLE] })).addCondition("StringEquals", "sts:ExternalId", podIdentityExternalId(g)),
    principal(new PolicyStatement({ actions: [TAG_SESSION] })),
  ];
}
