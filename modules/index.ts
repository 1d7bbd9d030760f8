// The library's public surface (`import { PodIdentityChain } from "eks-pod-identity-cross-account"`): the
// constructs and their props, the policy objects and the add-on permission sets. Everything else under
// modules/ (the config-driven app, the Terraform module generator, the merge rule in policy/private/, the
// validation and refactoring internals) is private by not being exported here.

// Constructs
export { PodIdentityChain, type ChainTargetRoleOptions, type ClusterRef, type PodIdentityChainProps } from "./chain";
export { CHAIN_POLICY_NAME, PodIdentityRole, type PodIdentityRoleOptions, type PodIdentityRoleProps, type PodIdentityRoleUse } from "./pod-identity-role";
export { TargetRole, type TargetRoleGrant, type TargetRoleOptions, type TargetRoleProps } from "./target-role";
export { RoleBase, type RoleBaseProps, type RoleOptions } from "./role-base";
export {
  DRIFT_DEFAULT_NAMESPACE,
  DRIFT_DEFAULT_SERVICE_ACCOUNT,
  DRIFT_READ_POLICY_NAME,
  DriftAccountReaderRole,
  DriftReaderRole,
  type DriftAccountReaderRoleOptions,
  type DriftAccountReaderRoleProps,
  type DriftReaderRoleOptions,
  type DriftReaderRoleProps,
  type DriftReadScope,
  type DriftStateObjects,
} from "./drift-reader-role";

// Providers: one aliased AWS provider per account
export {
  createAccountProvider,
  pinAwsProvider,
  SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT,
  type AccountOptions,
  type AssumeRoleOptions,
  type AwsAccount,
} from "./providers";
export { AWS_PROVIDER_VERSION_CONSTRAINT } from "./aws";

// Policy objects
export { PolicyStatement, type PolicyStatementProps, type PrincipalType } from "./policy/statement";
export { PolicyDocument, type PolicyDocumentProps } from "./policy/document";
export {
  ASSUME_ROLE,
  PODS_SERVICE_PRINCIPAL,
  podIdentityExternalId,
  podIdentityTrustStatements,
  TAG_SESSION,
  TARGET_TRUST_FORMS,
  targetTrustStatements,
  type PodIdentityTrustOptions,
  type TargetTrustForm,
  type TargetTrustGrant,
} from "./policy/trust";
export { chainPermissionStatement } from "./policy/permission";
export type { ConditionBlockJson, OneOrMany, PolicyDocumentJson, PrincipalJson, StatementJson } from "./policy/json";
export { PARTITIONS, partitionForRegion, roleArn, type Partition } from "./policy/arn";
export { INLINE_POLICIES_LIMIT, MANAGED_POLICIES_LIMIT, TRUST_POLICY_DEFAULT_LIMIT, TRUST_POLICY_MAX_LIMIT } from "./policy/size";

// Add-on permission sets
export {
  ADDON_NAMES,
  addonInlinePolicyName,
  addonPolicyDocument,
  addonPolicySchema,
  type AddonContext,
  type AddonName,
  type AddonPolicy,
} from "./policy/addons";

// Errors
export { ConstructError, UsageError, ValidationError } from "./errors";
