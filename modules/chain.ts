// One association, end to end: Pod Identity role → its permission to chain → target role trust →
// aws_eks_pod_identity_association. Usable on its own or with roles shared between chains.
import { Annotations, TerraformStack, Token, type TerraformProvider } from "./terraform-cdk";
import { Construct } from "constructs";
import { EksPodIdentityAssociation, setNativeSessionPolicy } from "./aws";
import { dependOn } from "./late";
import { clusterArn, partitionForRegion, type Partition } from "./policy/arn";
import { minifiedJson } from "./policy/document";
import type { PolicyDocumentJson } from "./policy/json";
import type { TargetTrustForm } from "./policy/trust";
import { PodIdentityRole, type PodIdentityRoleOptions } from "./pod-identity-role";
import { pinAwsProvider, SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT, type AwsAccount } from "./providers";
import { RefactoringBlocks } from "./refactoring/blocks";
import { TargetRole, type TargetRoleOptions } from "./target-role";
import {
  associationsPerClusterProblem,
  chainPartitionProblem,
  duplicateServiceAccountProblem,
  partitionRegionProblem,
  podIdentityRoleAccountProblem,
  sameAccountTargetWarning,
  sessionPolicyProblem,
} from "./validation/cross-field";
import { accountIdProblem, clusterNameProblem, namespaceProblem, regionProblem, serviceAccountProblem } from "./validation/rules";
import { ValidationError } from "./errors";

/** The EKS cluster an association is made in. */
export interface ClusterRef {
  /** The cluster's name. */
  readonly name: string;
  /** The cluster's account (the association and its Pod Identity role live there). */
  readonly accountId: string;
  /** The cluster's region: the association is created there (its `region` argument), whatever the provider's region. */
  readonly region: string;
  /** @default - derived from the region */
  readonly partition?: Partition;
}

/** A target role created by the chain itself, in `accountId`. */
export interface ChainTargetRoleOptions extends TargetRoleOptions {
  /** The target account. */
  readonly accountId: string;
  /** The target account's region (add-on policies are scoped to it). @default - the cluster's region */
  readonly region?: string;
  /** @default - the cluster's partition */
  readonly partition?: Partition;
}

/** Props of one association, end to end. */
export interface PodIdentityChainProps {
  /** The cluster the association is made in. */
  readonly cluster: ClusterRef;
  /** The Kubernetes namespace of the pods. */
  readonly namespace: string;
  /** The Kubernetes service account of the pods. */
  readonly serviceAccount: string;
  /** A shared Pod Identity role, or options to create one for this chain (in the cluster account). */
  readonly podIdentityRole: PodIdentityRole | PodIdentityRoleOptions;
  /** A shared target role, or options to create one for this chain. @default - no target role (no chaining) */
  readonly targetRole?: TargetRole | ChainTargetRoleOptions;
  /** Session tags on the chained session. Off sets `disable_session_tags` and uses the external-id trust. @default true */
  readonly sessionTags?: boolean;
  /** How the target role names the Pod Identity role. @default "principal-arn" */
  readonly trustForm?: TargetTrustForm;
  /**
   * An inline session policy on the association (the `policy` argument; needs session tags off and AWS
   * provider >= 6.57.1, which the stack's required_providers is then pinned to). @default - none
   */
  readonly sessionPolicy?: PolicyDocumentJson;
  /** Tags on the association. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Providers: the cluster account's, and the target account's when the chain creates the target role. */
  readonly providers: { readonly cluster: TerraformProvider; readonly target?: TerraformProvider };
  /** Names the association in messages. @default - the construct id */
  readonly label?: string;
  /** Trust policy size limit for roles the chain creates. @default 2048 */
  readonly trustPolicyMaxSize?: number;
  /**
   * Construct paths below the stack (ids joined by `/`) at which this chain was before, oldest first: the
   * association and the roles the chain creates get Terraform moved blocks from there instead of being
   * replaced. @default - none
   */
  readonly movedFrom?: readonly string[];
}

/**
 * One EKS Pod Identity association, end to end: its Pod Identity role (shared, or created in the cluster
 * account), the permission to chain into its target role, the target role's trust (merged with the other
 * associations using it), and `aws_eks_pod_identity_association` in the cluster's region, ordered after them.
 */
export class PodIdentityChain extends Construct {
  /** The `aws_eks_pod_identity_association` resource. */
  public readonly association: EksPodIdentityAssociation;
  /** The Pod Identity role the association uses. */
  public readonly podIdentityRole: PodIdentityRole;
  /** The target role it chains into, if any. */
  public readonly targetRole?: TargetRole;
  /** Names the association in messages. */
  public readonly label: string;
  /** The cluster's partition. */
  public readonly partition: Partition;
  /** Whether the chained session carries EKS's session tags. */
  public readonly sessionTags: boolean;
  /** The external id EKS passes to the target role when session tags are off. */
  public readonly externalId?: string;

  public constructor(scope: Construct, id: string, props: PodIdentityChainProps) {
    super(scope, id);
    this.label = props.label ?? id;
    const c = props.cluster;
    this.partition = c.partition ?? partitionForRegion(c.region);
    this.sessionTags = props.sessionTags ?? true;
    const clusterAccount: AwsAccount = {
      key: "cluster",
      accountId: c.accountId,
      region: c.region,
      partition: this.partition,
      provider: props.providers.cluster,
    };

    this.podIdentityRole =
      props.podIdentityRole instanceof PodIdentityRole
        ? props.podIdentityRole
        : new PodIdentityRole(this, "pod_identity_role", {
            ...props.podIdentityRole,
            defaultName: props.podIdentityRole.defaultName ?? `${c.name}-${props.namespace}-${props.serviceAccount}`,
            account: clusterAccount,
            label: `${this.label}-pod-identity`,
            trustPolicyMaxSize: props.trustPolicyMaxSize,
          });

    if (props.targetRole instanceof TargetRole) {
      this.targetRole = props.targetRole;
    } else if (props.targetRole !== undefined) {
      const t = props.targetRole;
      if (!props.providers.target && t.existingRoleArn === undefined) {
        throw new ValidationError(`association "${this.label}": providers.target is required to create the target role in account ${t.accountId}`, this);
      }
      const { accountId, region, partition, ...options } = t;
      this.targetRole = new TargetRole(this, "target_role", {
        ...options,
        defaultName: t.defaultName ?? `${c.name}-${props.namespace}-${props.serviceAccount}`,
        account: {
          key: "target",
          accountId,
          region: region ?? c.region,
          partition: partition ?? this.partition,
          provider: props.providers.target ?? props.providers.cluster,
        },
        label: `${this.label}-target`,
        trustPolicyMaxSize: props.trustPolicyMaxSize,
      });
    }

    if (!this.sessionTags && this.targetRole) {
      this.externalId = `${c.region}/${c.accountId}/${c.name}/${props.namespace}/${props.serviceAccount}`;
    }

    this.podIdentityRole.addUse({
      label: this.label,
      region: c.region,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      sessionTags: this.sessionTags,
      targetRoleArn: this.targetRole?.arn,
    });
    this.targetRole?.addGrant({
      label: this.label,
      partition: this.partition,
      region: c.region,
      clusterAccountId: c.accountId,
      clusterName: c.name,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      podIdentityRoleArn: this.podIdentityRole.arn,
      sessionTags: this.sessionTags,
      form: props.trustForm,
    });

    this.association = new EksPodIdentityAssociation(this, "association", {
      provider: props.providers.cluster,
      // AWS provider 6's per-resource region: the cluster's, even when the account's provider is elsewhere.
      region: c.region,
      clusterName: c.name,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleArn: this.podIdentityRole.arn,
      ...(this.targetRole ? { targetRoleArn: this.targetRole.arn } : {}),
      disableSessionTags: !this.sessionTags,
      ...(props.tags && Object.keys(props.tags).length > 0 ? { tags: { ...props.tags } } : {}),
    });
    // The ARNs are literal strings, so nothing orders the association after the roles and the permission
    // that EKS checks when it is created: say so explicitly; roles in another stack order the stacks.
    const stack = TerraformStack.of(this);
    const elsewhere = dependOn(this.association, [...this.podIdentityRole.dependables(), ...(this.targetRole?.dependables() ?? [])]);
    for (const other of new Set(elsewhere.map((d) => TerraformStack.of(d)))) {
      if (!stack.dependencies.includes(other)) stack.addDependency(other);
    }
    if (props.sessionPolicy !== undefined && !this.sessionTags) {
      const json = minifiedJson(props.sessionPolicy);
      // Escape hatch where the binding lacks `policy` (the prebuilt CDKTF one, from AWS provider 6.25.0).
      if (!setNativeSessionPolicy(this.association, json)) this.association.addOverride("policy", json);
      // Either way Terraform needs a provider that has the argument: an older one then fails at init, not plan.
      pinAwsProvider(stack, SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT);
    }

    if (this.targetRole && !Token.isUnresolved(c.accountId) && this.targetRole.account.accountId === c.accountId) {
      Annotations.of(this).addWarning(sameAccountTargetWarning(this.label, this.targetRole.label, c.accountId));
    }

    if (props.movedFrom !== undefined) RefactoringBlocks.of(stack).declareMovedFrom(this, props.movedFrom);
    ChainRegistry.of(stack).register(this, c, props.namespace, props.serviceAccount);
    this.node.addValidation({ validate: () => validateChain(this.label, props, this.podIdentityRole, this.targetRole) });
  }

  /** The cluster ARN (what EKS sends as the `eks-cluster-arn` session tag). */
  public static clusterArnOf(c: ClusterRef): string {
    return clusterArn(c.partition ?? partitionForRegion(c.region), c.region, c.accountId, c.name);
  }
}

/** Problems with one association's own settings, each naming the association, cluster and field. */
export function validateChain(label: string, props: PodIdentityChainProps, podIdentityRole: PodIdentityRole, targetRole?: TargetRole): string[] {
  const c = props.cluster;
  const where = `association "${label}" (cluster "${c.name}", account ${c.accountId})`;
  const errors: string[] = [];
  const add = (field: string, problem: string | undefined): void => {
    if (problem) errors.push(`${where}: ${field}: ${problem}`);
  };
  add("cluster.name", clusterNameProblem(c.name));
  add("cluster.accountId", accountIdProblem(c.accountId));
  add("cluster.region", regionProblem(c.region));
  add("namespace", namespaceProblem(props.namespace));
  add("serviceAccount", serviceAccountProblem(props.serviceAccount));
  if (c.partition !== undefined) add("cluster.partition", partitionRegionProblem(c.partition, c.region));
  add("sessionPolicy", sessionPolicyProblem(props.sessionPolicy !== undefined, props.sessionTags ?? true));
  add(
    "podIdentityRole",
    podIdentityRoleAccountProblem({ label: podIdentityRole.label, accountId: podIdentityRole.account.accountId }, { label: c.name, accountId: c.accountId }),
  );
  const partition = c.partition ?? partitionForRegion(c.region);
  add("podIdentityRole", chainPartitionProblem("Pod Identity role", podIdentityRole.label, podIdentityRole.account.partition, c.name, partition));
  if (targetRole) add("targetRole", chainPartitionProblem("target role", targetRole.label, targetRole.account.partition, c.name, partition));
  return errors;
}

/**
 * One per stack: every association of the stack by cluster, to report duplicate (cluster, namespace,
 * service account) and clusters over EKS's association limit.
 */
export class ChainRegistry extends Construct {
  public static of(stack: TerraformStack): ChainRegistry {
    const existing = stack.node.tryFindChild(REGISTRY_ID);
    return existing instanceof ChainRegistry ? existing : new ChainRegistry(stack, REGISTRY_ID);
  }

  private readonly byCluster = new Map<string, { cluster: ClusterRef; entries: { label: string; key: string }[] }>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => this.validate() });
  }

  public register(chain: PodIdentityChain, cluster: ClusterRef, namespace: string, serviceAccount: string): void {
    const clusterKey = `${cluster.accountId}/${cluster.region}/${cluster.name}`;
    const slot = this.byCluster.get(clusterKey) ?? { cluster, entries: [] };
    slot.entries.push({ label: chain.label, key: `${namespace}/${serviceAccount}` });
    this.byCluster.set(clusterKey, slot);
  }

  private validate(): string[] {
    const errors: string[] = [];
    for (const { cluster, entries } of this.byCluster.values()) {
      if (Token.isUnresolved(cluster.name)) continue;
      const where = `cluster "${cluster.name}" (account ${cluster.accountId})`;
      const tooMany = associationsPerClusterProblem(entries.length);
      if (tooMany) errors.push(`${where}: associations: ${tooMany}`);
      const seen = new Map<string, string>();
      for (const e of entries) {
        if (Token.isUnresolved(e.key)) continue;
        const first = seen.get(e.key);
        if (first !== undefined) {
          const [ns, sa] = e.key.split("/") as [string, string];
          errors.push(
            `association "${e.label}" (cluster "${cluster.name}", account ${cluster.accountId}): serviceAccount: ${duplicateServiceAccountProblem(ns, sa, cluster.name, `association "${first}"`)}`,
          );
        } else seen.set(e.key, e.label);
      }
    }
    return errors;
  }
}

const REGISTRY_ID = "pod_identity_chain_registry";
