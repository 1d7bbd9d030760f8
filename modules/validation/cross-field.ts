// Rules over several values, in one place. The config check (../config/check.ts) reports them at the config
// path of the field to fix (`associations[3].sessionPolicy: …`); the constructs report them at synth, naming
// the association or role (`association "x" (cluster …): sessionPolicy: …`). Each function returns the
// problem, or undefined; the caller says where. Values that are unresolved cdktf tokens are not judged.
import { Token } from "../terraform-cdk";
import { addonInlinePolicyName, type AddonName } from "../policy/addons";
import { isSupportedPartition, parseArn, regionPartition } from "../policy/arn";
import { ASSOCIATIONS_PER_CLUSTER_LIMIT } from "../policy/size";

const known = (...values: (string | undefined)[]): boolean => values.every((v) => v === undefined || !Token.isUnresolved(v));

/** An account as the rules see it. */
export interface AccountRef {
  readonly accountId: string;
  readonly partition: string;
}

/** A session policy on an association needs session tags off: EKS rejects the combination. */
export function sessionPolicyProblem(hasSessionPolicy: boolean, sessionTags: boolean): string | undefined {
  return hasSessionPolicy && sessionTags
    ? "a session policy requires session tags off (EKS rejects the combination); set sessionTags: false or remove the session policy"
    : undefined;
}

/** The Pod Identity role must be in the account of the cluster it serves (EKS checks iam:PassRole there). */
export function podIdentityRoleAccountProblem(role: { label: string; accountId: string }, cluster: { label: string; accountId: string }): string | undefined {
  if (!known(role.accountId, cluster.accountId) || role.accountId === cluster.accountId) return undefined;
  return `Pod Identity role "${role.label}" is in account ${role.accountId}, but cluster "${cluster.label}" is in account ${cluster.accountId}; a Pod Identity role must be in its cluster's account (EKS checks iam:PassRole there): use a Pod Identity role of account ${cluster.accountId}`;
}

/** Narrowing a Pod Identity role's trust to service accounts needs the session tags EKS sends. */
export function restrictToServiceAccountsProblem(roleLabel: string, sessionTags: boolean): string | undefined {
  return sessionTags
    ? undefined
    : `Pod Identity role "${roleLabel}" has restrictToServiceAccounts, which needs the kubernetes-namespace and kubernetes-service-account session tags EKS sends; keep session tags on, use another Pod Identity role, or turn restrictToServiceAccounts off`;
}

/** EKS allows one association per (cluster, namespace, service account). */
export function duplicateServiceAccountProblem(namespace: string, serviceAccount: string, clusterLabel: string, first: string): string {
  return `"${namespace}/${serviceAccount}" in cluster "${clusterLabel}" already has an association (${first}); EKS allows one association per service account: remove one or use another service account`;
}

/** EKS allows 5,000 associations per cluster, not adjustable. */
export function associationsPerClusterProblem(count: number): string | undefined {
  return count > ASSOCIATIONS_PER_CLUSTER_LIMIT
    ? `${count} associations, more than EKS's limit of ${ASSOCIATIONS_PER_CLUSTER_LIMIT} per cluster (not adjustable); spread the workloads over more clusters or share service accounts`
    : undefined;
}

/** A target role no association uses would trust nobody, and IAM rejects an empty trust policy. */
export const UNUSED_TARGET_ROLE_PROBLEM =
  "no association uses this role, so it would trust nobody (IAM rejects an empty trust policy); use it in an association or remove it";

/** A role is either named or name-prefixed. */
export const NAME_AND_PREFIX_PROBLEM = "set either name or namePrefix, not both";

/** Options that configure a role this project creates: none of them can be given for a bring-your-own role. */
export const ROLE_OWNED_FIELDS = [
  "name",
  "namePrefix",
  "path",
  "permissionsBoundary",
  "maxSessionDuration",
  "tags",
  "managedPolicyArns",
  "inlinePolicies",
  "addonPolicies",
  "movedFrom",
] as const;

/** A Pod Identity role's own trust options, owned by whoever owns the role as well. */
export const POD_IDENTITY_ROLE_OWNED_FIELDS = [...ROLE_OWNED_FIELDS, "restrictSourceAccount", "restrictToServiceAccounts"] as const;

/** The inline policy on the Pod Identity role that allows chaining into the target roles. */
export const CHAIN_POLICY_NAME = "pod-identity-chain";

/**
 * An inline policy named like one the role renders itself (an add-on set's `addon-<name>`, a Pod Identity
 * role's chain policy): both would be the same IAM inline policy.
 */
export function reservedInlinePolicyNameProblem(
  name: string,
  role: { readonly addonNames: readonly AddonName[]; readonly podIdentityRole: boolean },
): string | undefined {
  if (role.podIdentityRole && name === CHAIN_POLICY_NAME)
    return "the name is reserved for the policy that lets the role chain into its target roles; rename it";
  const addon = role.addonNames.find((a) => addonInlinePolicyName(a) === name);
  return addon !== undefined ? `the name is reserved for the policy of the role's add-on "${addon}" (addonPolicies); rename it` : undefined;
}

/** A bring-your-own role is owned elsewhere: nothing that configures it can be set here. */
export function existingRoleFieldsProblem(fields: readonly string[], arnField: string): string | undefined {
  return fields.length === 0
    ? undefined
    : `names a role owned elsewhere, so ${fields.join(", ")} cannot be set; remove them, or drop ${arnField} to create the role`;
}

/** A target role in the cluster's own account works but needs no chaining (a warning, not an error). */
export function sameAccountTargetWarning(association: string, targetRole: string, accountId: string): string {
  return `association "${association}": target role "${targetRole}" is in the cluster's own account ${accountId}; it works, but needs no chaining: the Pod Identity role could carry the permissions itself`;
}

/** A partition given explicitly must be the partition of the region (`cn-*` → aws-cn, `us-gov-*` → aws-us-gov, else aws). */
export function partitionRegionProblem(partition: string, region: string): string | undefined {
  if (!known(partition, region)) return undefined;
  const implied = regionPartition(region);
  if (!isSupportedPartition(implied) || partition === implied) return undefined;
  return `partition "${partition}" contradicts region "${region}", which is in the ${implied} partition; remove partition (it is derived from the region) or fix the region`;
}

/** A cluster's region must be in its account's partition: an account lives in exactly one partition. */
export function clusterRegionPartitionProblem(region: string, accountKey: string, account: AccountRef): string | undefined {
  if (!known(region, account.partition)) return undefined;
  const implied = regionPartition(region);
  if (!isSupportedPartition(implied) || implied === account.partition) return undefined;
  return `region "${region}" is in the ${implied} partition, but account "${accountKey}" (${account.accountId}) is in ${account.partition}; an account lives in one partition: put the cluster under an account of ${implied}`;
}

/** Both roles of a chain must be in the cluster's partition: IAM trust never crosses partitions. */
export function chainPartitionProblem(
  kind: "Pod Identity role" | "target role",
  roleLabel: string,
  rolePartition: string,
  clusterLabel: string,
  clusterPartition: string,
): string | undefined {
  if (!known(rolePartition, clusterPartition) || rolePartition === clusterPartition) return undefined;
  return `${kind} "${roleLabel}" is in the ${rolePartition} partition, but cluster "${clusterLabel}" is in ${clusterPartition}; trust between partitions is impossible: use a ${kind} in an account of ${clusterPartition}`;
}

/** How an ARN is used, which decides what must match the account it is used with. */
export type ArnUse =
  /** A role of this account (a bring-your-own role, a deployer role): same partition and account. */
  | "role"
  /** A managed policy or permissions boundary: same partition; AWS managed or this account's own. */
  | "policy"
  /** A resource a policy of this account names (add-on sets, inline and session policies): same partition. */
  | "resource";

/** Services whose resources a role can only act on in its own account (EFS's resource policies grant only client access). */
const OWN_ACCOUNT_SERVICES: readonly string[] = ["elasticfilesystem"];

/**
 * An ARN against the account it is used with: ARNs never cross partitions, a role ARN names the account's
 * own role, and a role can attach only AWS managed policies or its own account's. Resources of other
 * accounts are fine (their own policies decide), except where the service has no cross-account access.
 */
export function arnAccountProblem(arn: string, use: ArnUse, account: AccountRef): string | undefined {
  if (!known(arn, account.accountId, account.partition)) return undefined;
  const p = parseArn(arn);
  // An ARN that breaks its own rule (partition, account) is reported by that rule.
  if (!p || !isSupportedPartition(p.partition) || !/^(?:|aws|\*|\d{12})$/.test(p.account)) return undefined;
  if (p.partition !== account.partition) {
    return `"${arn}" is in the ${p.partition} partition, but account ${account.accountId} is in ${account.partition}; ARNs never cross partitions: use the ARN in ${account.partition} (arn:${account.partition}:…)`;
  }
  const otherAccount = p.account !== "" && p.account !== "*" && p.account !== account.accountId;
  if (use === "role" && otherAccount) {
    return `"${arn}" is in account ${p.account}, but it is used with account ${account.accountId}; fix the ARN or the account`;
  }
  if (use === "policy" && otherAccount && p.account !== "aws") {
    return `"${arn}" is a policy of account ${p.account}, but a role of account ${account.accountId} can only use AWS managed policies or policies of its own account; create the policy in ${account.accountId}`;
  }
  if (use === "resource" && otherAccount && OWN_ACCOUNT_SERVICES.includes(p.service)) {
    return `"${arn}" is in account ${p.account}, but ${p.service} resources can only be managed from their own account (its resource policies grant only client access); use a role in ${p.account}`;
  }
  return undefined;
}

/** An ARN found in a value, with where it is relative to that value (for messages). */
export interface FoundArn {
  readonly path: readonly (string | number)[];
  readonly arn: string;
}

/** The ARNs a policy document names as Resource or NotResource (wildcard partitions are left alone). */
export function policyResourceArns(doc: {
  readonly Statement: readonly { readonly Resource?: string | readonly string[]; readonly NotResource?: string | readonly string[] }[];
}): FoundArn[] {
  return doc.Statement.flatMap((s, i) =>
    (["Resource", "NotResource"] as const).flatMap((field) => {
      const v = s[field];
      const list = v === undefined ? [] : typeof v === "string" ? [v] : v;
      return list.map((arn, j) => ({ path: ["Statement", i, field, ...(typeof v === "string" ? [] : [j])], arn }));
    }),
  ).filter((f) => f.arn.startsWith("arn:") && isSupportedPartition(f.arn.split(":")[1] ?? ""));
}

/** Every ARN in an add-on set's options (they are the only values that start with `arn:`). */
export function addonArns(addon: object): FoundArn[] {
  return Object.entries(addon).flatMap(([field, v]: [string, unknown]) => {
    const values: [readonly (string | number)[], unknown][] = Array.isArray(v) ? v.map((x, i) => [[field, i], x]) : [[[field], v]];
    return values.flatMap(([path, arn]) => (typeof arn === "string" && arn.startsWith("arn:") ? [{ path, arn }] : []));
  });
}
