// What a resource is in AWS, whatever its Terraform address: the one rule that matches a resource of the
// last synthesized output or of a state file with a resource of the app being built. An association is its
// cluster (account, region, name), namespace and service account; a role is its account and name (IAM role
// names are unique per account); an inline policy is its role and name; an attachment is its role and policy
// ARN. The import id is what `terraform import` takes for the type (terraform-provider-aws docs).
import { Token, type TerraformResource } from "../terraform-cdk";
import { AwsProvider, EksPodIdentityAssociation, IamRole, IamRolePolicy, IamRolePolicyAttachment } from "../aws";

/** The resource types whose addresses the app keeps stable. */
export const TRACKED_TYPES = ["aws_eks_pod_identity_association", "aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment"] as const;
export type TrackedType = (typeof TRACKED_TYPES)[number];

export function isTrackedType(type: string): type is TrackedType {
  return (TRACKED_TYPES as readonly string[]).includes(type);
}

/** What a source knows about one resource; a field is undefined where it is not known at synth time. */
export interface ResourceFacts {
  readonly type: TrackedType;
  /** The provider alias the resource uses (`aws.<alias>`). */
  readonly alias?: string;
  readonly accountId?: string;
  /** Associations: the cluster's region. */
  readonly region?: string;
  /** The region of the provider configuration the resource uses (only known for resources of the app). */
  readonly providerRegion?: string;
  readonly clusterName?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  /** Roles and inline policies: the name. */
  readonly name?: string;
  /** Inline policies and attachments: the role's name. */
  readonly role?: string;
  readonly policyArn?: string;
  /** Associations, from state only. */
  readonly associationId?: string;
}

const known = (...values: (string | undefined)[]): boolean => values.every((v) => v !== undefined && v !== "" && !v.includes("${") && !Token.isUnresolved(v));

/** The identity of a resource, or undefined when a part of it is not known (a name prefix, a token). */
export function identityOf(f: ResourceFacts): string | undefined {
  switch (f.type) {
    case "aws_eks_pod_identity_association":
      return known(f.accountId, f.region, f.clusterName, f.namespace, f.serviceAccount)
        ? `association ${f.namespace}/${f.serviceAccount} in cluster ${f.clusterName} (${f.accountId}, ${f.region})`
        : undefined;
    case "aws_iam_role":
      return known(f.accountId, f.name) ? `role ${f.name} (${f.accountId})` : undefined;
    case "aws_iam_role_policy":
      return known(f.accountId, f.role, f.name) ? `inline policy ${f.name} of role ${f.role} (${f.accountId})` : undefined;
    case "aws_iam_role_policy_attachment":
      return known(f.accountId, f.role, f.policyArn) ? `attachment of ${f.policyArn} to role ${f.role} (${f.accountId})` : undefined;
  }
}

/** The id `terraform import` takes, or undefined when it is not known (an association's id is only in state). */
export function importIdOf(f: ResourceFacts): string | undefined {
  switch (f.type) {
    case "aws_eks_pod_identity_association":
      return known(f.clusterName, f.associationId) ? `${f.clusterName},${f.associationId}` : undefined;
    case "aws_iam_role":
      return known(f.name) ? f.name : undefined;
    case "aws_iam_role_policy":
      return known(f.role, f.name) ? `${f.role}:${f.name}` : undefined;
    case "aws_iam_role_policy_attachment":
      return known(f.role, f.policyArn) ? `${f.role}/${f.policyArn}` : undefined;
  }
}

/**
 * The id an import block at `to` takes: `id`, with `@<region>` where the resource is in another region than
 * its provider's (AWS provider >= 6, Enhanced Region Support: without it the provider looks in its own region).
 */
export function importIdAt(id: string, to: ResourceFacts): string {
  return to.region !== undefined && to.region !== to.providerRegion ? `${id}@${to.region}` : id;
}

/** The facts of a resource this app (or a CDKTF app using these constructs) creates, from its arguments. */
export function factsOfResource(resource: TerraformResource): ResourceFacts | undefined {
  const type = resource.terraformResourceType;
  if (!isTrackedType(type)) return undefined;
  const provider = resource.provider instanceof AwsProvider ? resource.provider : undefined;
  const common = { type, alias: provider?.aliasInput, accountId: provider?.allowedAccountIdsInput?.[0] };
  if (resource instanceof EksPodIdentityAssociation) {
    return {
      ...common,
      region: resource.regionInput ?? provider?.regionInput,
      providerRegion: provider?.regionInput,
      clusterName: resource.clusterNameInput,
      namespace: resource.namespaceInput,
      serviceAccount: resource.serviceAccountInput,
    };
  }
  if (resource instanceof IamRole) return { ...common, name: resource.nameInput };
  if (resource instanceof IamRolePolicy) return { ...common, role: resource.roleInput, name: resource.nameInput };
  if (resource instanceof IamRolePolicyAttachment) return { ...common, role: resource.roleInput, policyArn: resource.policyArnInput };
  return { type };
}
