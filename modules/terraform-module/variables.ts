// Inputs and outputs, as data: the module's variables and outputs are created from these tables, and the
// README's tables are generated from the synthesized module.
import { INLINE_POLICIES_LIMIT, MANAGED_POLICIES_LIMIT, TRUST_POLICY_DEFAULT_LIMIT, TRUST_POLICY_MAX_LIMIT } from "../policy/size";

import { RULES, ruleCondition, type StringRule } from "./rules";

export interface Validation {
  readonly condition: string;
  readonly errorMessage: string;
}

export interface VariableSpec {
  readonly name: string;
  readonly type: string;
  readonly description: string;
  /** Absent: the variable is required. */
  readonly default?: unknown;
  readonly nullable?: boolean;
  readonly validations: readonly Validation[];
}

/** Validation of a string variable by a rule (`optional`: null is allowed and means "not set"). */
function stringRule(name: string, rule: StringRule, optional = false): Validation {
  const v = `var.${name}`;
  return { condition: optional ? `\${${v} == null ? true : (${ruleCondition(rule, v)})}` : `\${${ruleCondition(rule, v)}}`, errorMessage: rule.message };
}

export const VARIABLES: readonly VariableSpec[] = [
  {
    name: "cluster_name",
    type: "string",
    description: "Name of the EKS cluster the association is made in (in the account of the aws.cluster provider).",
    nullable: false,
    validations: [stringRule("cluster_name", RULES.clusterName)],
  },
  {
    name: "namespace",
    type: "string",
    description: "Kubernetes namespace of the service account.",
    nullable: false,
    validations: [stringRule("namespace", RULES.namespace)],
  },
  {
    name: "service_account",
    type: "string",
    description: "Kubernetes service account the pods run as.",
    nullable: false,
    validations: [stringRule("service_account", RULES.serviceAccount)],
  },
  {
    name: "session_tags",
    type: "bool",
    description:
      "Keep session tags on the chained session (the default). false sets disable_session_tags on the association, and the target role then trusts the external id REGION/ACCOUNT/CLUSTER/NAMESPACE/SERVICE_ACCOUNT instead of the request tags.",
    default: true,
    nullable: false,
    validations: [],
  },
  {
    name: "pod_identity_role_name",
    type: "string",
    description: "Name of the Pod Identity role to create in the cluster's account. Default: CLUSTER-NAMESPACE-SERVICE_ACCOUNT (at most 64 characters).",
    default: null,
    validations: [stringRule("pod_identity_role_name", RULES.roleName, true)],
  },
  {
    name: "pod_identity_role_path",
    type: "string",
    description: "IAM path of the Pod Identity role to create.",
    default: "/",
    nullable: false,
    validations: [stringRule("pod_identity_role_path", RULES.rolePath)],
  },
  {
    name: "pod_identity_role_permissions_boundary",
    type: "string",
    description: "ARN of the managed policy used as permissions boundary of the Pod Identity role to create.",
    default: null,
    validations: [stringRule("pod_identity_role_permissions_boundary", RULES.policyArn, true)],
  },
  {
    name: "pod_identity_role_arn",
    type: "string",
    description:
      "ARN of an existing Pod Identity role (in the cluster's account) to use instead of creating one. Its owners must apply the pod_identity_role_trust_policy_json and pod_identity_role_permission_policy_json outputs.",
    default: null,
    validations: [stringRule("pod_identity_role_arn", RULES.roleArn, true)],
  },
  {
    name: "target_role_name",
    type: "string",
    description: "Name of the target role to create in the account of the aws.target provider. Default: CLUSTER-NAMESPACE-SERVICE_ACCOUNT (at most 64 characters).",
    default: null,
    validations: [stringRule("target_role_name", RULES.roleName, true)],
  },
  {
    name: "target_role_path",
    type: "string",
    description: "IAM path of the target role to create.",
    default: "/",
    nullable: false,
    validations: [stringRule("target_role_path", RULES.rolePath)],
  },
  {
    name: "target_role_permissions_boundary",
    type: "string",
    description: "ARN of the managed policy used as permissions boundary of the target role to create.",
    default: null,
    validations: [stringRule("target_role_permissions_boundary", RULES.policyArn, true)],
  },
  {
    name: "target_role_max_session_duration",
    type: "number",
    description: "Maximum session duration of the target role to create, in seconds (3600 to 43200; a chained session lasts at most one hour anyway). Default: IAM's (3600).",
    default: null,
    validations: [
      {
        condition: "${var.target_role_max_session_duration == null ? true : (floor(var.target_role_max_session_duration) == var.target_role_max_session_duration && var.target_role_max_session_duration >= 3600 && var.target_role_max_session_duration <= 43200)}",
        errorMessage: "The maximum session duration is a whole number of seconds from 3600 (1 hour) to 43200 (12 hours).",
      },
    ],
  },
  {
    name: "target_role_policy_arns",
    type: "list(string)",
    description: `ARNs of managed policies to attach to the target role to create (at most ${MANAGED_POLICIES_LIMIT}, IAM's default quota).`,
    default: [],
    nullable: false,
    validations: [
      {
        condition: `\${alltrue([for arn in var.target_role_policy_arns : ${ruleCondition(RULES.policyArn, "arn")}])}`,
        errorMessage: RULES.policyArn.message,
      },
      {
        condition: `\${length(var.target_role_policy_arns) <= ${MANAGED_POLICIES_LIMIT}}`,
        errorMessage: `At most ${MANAGED_POLICIES_LIMIT} managed policies can be attached to a role (IAM's default quota); merge some into an inline policy.`,
      },
    ],
  },
  {
    name: "target_role_inline_policies",
    type: "map(string)",
    description: `Inline policies of the target role to create: policy name to policy JSON (for example from jsonencode or aws_iam_policy_document). At most ${INLINE_POLICIES_LIMIT} characters in total, minified.`,
    default: {},
    nullable: false,
    validations: [
      {
        condition: `\${alltrue([for name in keys(var.target_role_inline_policies) : ${ruleCondition(RULES.inlinePolicyName, "name")}])}`,
        errorMessage: RULES.inlinePolicyName.message,
      },
      {
        condition: "${alltrue([for doc in values(var.target_role_inline_policies) : can(jsondecode(doc))])}",
        errorMessage: "Every inline policy must be a JSON document (use jsonencode or aws_iam_policy_document).",
      },
      {
        condition: `\${sum(concat([0], [for doc in values(var.target_role_inline_policies) : can(jsondecode(doc)) ? length(jsonencode(jsondecode(doc))) : 0])) <= ${INLINE_POLICIES_LIMIT}}`,
        errorMessage: `The inline policies of a role may total at most ${INLINE_POLICIES_LIMIT} characters (minified); move permissions into managed policies.`,
      },
    ],
  },
  {
    name: "target_role_arn",
    type: "string",
    description:
      "ARN of an existing target role, owned by another team, to use instead of creating one. Its owners must apply the target_role_trust_policy_json output as the role's trust policy.",
    default: null,
    validations: [stringRule("target_role_arn", RULES.roleArn, true)],
  },
  {
    name: "tags",
    type: "map(string)",
    description: "Tags on the roles the module creates and on the association.",
    default: {},
    nullable: false,
    validations: [{ condition: "${length(var.tags) <= 50}", errorMessage: "At most 50 tags can be set on an IAM role or a Pod Identity association." }],
  },
  {
    name: "trust_policy_max_size",
    type: "number",
    description: `Largest trust policy IAM accepts in the target account, in characters (${TRUST_POLICY_DEFAULT_LIMIT} by default; raise it up to ${TRUST_POLICY_MAX_LIMIT} only after AWS raised the account's quota).`,
    default: TRUST_POLICY_DEFAULT_LIMIT,
    nullable: false,
    validations: [
      {
        condition: `\${floor(var.trust_policy_max_size) == var.trust_policy_max_size && var.trust_policy_max_size >= ${TRUST_POLICY_DEFAULT_LIMIT} && var.trust_policy_max_size <= ${TRUST_POLICY_MAX_LIMIT}}`,
        errorMessage: `The trust policy size limit is a whole number from ${TRUST_POLICY_DEFAULT_LIMIT} (IAM's default) to ${TRUST_POLICY_MAX_LIMIT}; raise it only after AWS raised your account's quota.`,
      },
    ],
  },
];
