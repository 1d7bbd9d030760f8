// Inputs, as data: the module's variables are created from this table, and the README's tables are generated
// from the synthesized module. Every validation reads only its own variable (Terraform before 1.9 insists);
// rules over several inputs are preconditions in ./build.ts.
import { ADDON_POLICY_PREFIX } from "../policy/addons";
import { INLINE_POLICIES_LIMIT, MANAGED_POLICIES_LIMIT, TRUST_POLICY_DEFAULT_LIMIT, TRUST_POLICY_MAX_LIMIT } from "../policy/size";

import { addonSpecs, addonsType, addonsValidations } from "./addons";
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

/**
 * Validation of one attribute of every element of a map of objects (`optional`: the attribute may be null).
 * The message names the input and the attribute, then states the rule.
 */
function eachRule(name: string, attribute: string, rule: StringRule, optional = false): Validation {
  const a = `x.${attribute}`;
  const check = optional ? `${a} == null ? true : (${ruleCondition(rule, a)})` : ruleCondition(rule, a);
  return { condition: `\${alltrue([for x in values(var.${name}) : ${check}])}`, errorMessage: `In ${name}, every ${attribute} must be valid. ${rule.message}` };
}

const ASSOCIATION_TYPE =
  "map(object({ cluster_name = string, namespace = string, service_account = string, cluster_region = optional(string), session_tags = optional(bool, true), session_policy = optional(string), tags = optional(map(string), {}) }))";
const TRUSTED_ASSOCIATION_TYPE =
  "map(object({ pod_identity_role_arn = string, cluster_name = string, cluster_region = string, namespace = string, service_account = string, session_tags = optional(bool, true) }))";

/** The add-on permission sets, as `target_role_addon_policies` takes them. */
export const ADDONS = addonSpecs();

export const VARIABLES: readonly VariableSpec[] = [
  {
    name: "name",
    type: "string",
    description:
      "Name of the roles the module creates: the Pod Identity role in the cluster's account and the target role in the target account (one name, two accounts). pod_identity_role_name and target_role_name override it.",
    nullable: false,
    validations: [stringRule("name", RULES.roleName)],
  },
  {
    name: "associations",
    type: ASSOCIATION_TYPE,
    description:
      "The Pod Identity associations to make in the account of the aws.cluster provider, by a name of your choice (the for_each key). Each chains the service account's pods into the target role through the module's Pod Identity role. cluster_region defaults to the aws.cluster provider's region; session_tags = false sets disable_session_tags, and the target role then trusts the external id REGION/ACCOUNT/CLUSTER/NAMESPACE/SERVICE_ACCOUNT instead of the request tags; session_policy (an IAM policy JSON limiting the session, needs session_tags = false) is the association's policy argument; tags are added to the module's tags.",
    default: {},
    nullable: false,
    validations: [
      eachRule("associations", "cluster_name", RULES.clusterName),
      eachRule("associations", "namespace", RULES.namespace),
      eachRule("associations", "service_account", RULES.serviceAccount),
      eachRule("associations", "cluster_region", RULES.region, true),
      {
        condition: "${alltrue([for x in values(var.associations) : x.session_policy == null || !x.session_tags])}",
        errorMessage: "In associations, a session_policy needs session_tags = false (EKS rejects a session policy with session tags on).",
      },
      {
        condition: "${alltrue([for x in values(var.associations) : x.session_policy == null ? true : can(jsondecode(x.session_policy))])}",
        errorMessage: "In associations, every session_policy must be a JSON document (use jsonencode or aws_iam_policy_document).",
      },
      {
        condition: "${alltrue([for x in values(var.associations) : length(x.tags) <= 50])}",
        errorMessage: "In associations, at most 50 tags can be set on one association.",
      },
    ],
  },
  {
    name: "trusted_associations",
    type: TRUSTED_ASSOCIATION_TYPE,
    description:
      "More associations the target role trusts, made elsewhere (for example by another call of this module for a cluster in another account, which passes target_role_arn): merge their trusted_associations outputs here. The target role's trust policy covers these and this call's associations, merged into minimal statements.",
    default: {},
    nullable: false,
    validations: [
      eachRule("trusted_associations", "pod_identity_role_arn", RULES.roleArn),
      eachRule("trusted_associations", "cluster_name", RULES.clusterName),
      eachRule("trusted_associations", "cluster_region", RULES.region),
      eachRule("trusted_associations", "namespace", RULES.namespace),
      eachRule("trusted_associations", "service_account", RULES.serviceAccount),
    ],
  },
  {
    name: "pod_identity_role_name",
    type: "string",
    description: "Name of the Pod Identity role to create in the cluster's account. Default: name.",
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
    description: "Name of the target role to create in the account of the aws.target provider. Default: name.",
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
    description:
      "Maximum session duration of the target role to create, in seconds (3600 to 43200; a chained session lasts at most one hour anyway). Default: IAM's (3600).",
    default: null,
    validations: [
      {
        condition:
          "${var.target_role_max_session_duration == null ? true : (floor(var.target_role_max_session_duration) == var.target_role_max_session_duration && var.target_role_max_session_duration >= 3600 && var.target_role_max_session_duration <= 43200)}",
        errorMessage: "The maximum session duration is a whole number of seconds from 3600 (1 hour) to 43200 (12 hours).",
      },
    ],
  },
  {
    name: "target_role_policy_arns",
    type: "map(string)",
    description: `Managed policies to attach to the target role to create, by a name of your choice (the for_each key, so the ARNs may be created in the same apply). At most ${MANAGED_POLICIES_LIMIT}, IAM's default quota.`,
    default: {},
    nullable: false,
    validations: [
      {
        condition: `\${alltrue([for arn in values(var.target_role_policy_arns) : ${ruleCondition(RULES.policyArn, "arn")}])}`,
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
    description: `Inline policies of the target role to create: policy name to policy JSON (for example from jsonencode or aws_iam_policy_document). With the add-on sets, at most ${INLINE_POLICIES_LIMIT} characters in total, minified.`,
    default: {},
    nullable: false,
    validations: [
      {
        condition: `\${alltrue([for name in keys(var.target_role_inline_policies) : ${ruleCondition(RULES.inlinePolicyName, "name")} && substr(name, 0, ${ADDON_POLICY_PREFIX.length}) != "${ADDON_POLICY_PREFIX}"])}`,
        errorMessage: `${RULES.inlinePolicyName.message} Names starting with "${ADDON_POLICY_PREFIX}" are kept for the add-on sets (target_role_addon_policies).`,
      },
      {
        condition: "${alltrue([for doc in values(var.target_role_inline_policies) : can(jsondecode(doc))])}",
        errorMessage: "Every inline policy must be a JSON document (use jsonencode or aws_iam_policy_document).",
      },
    ],
  },
  {
    name: "target_role_addon_policies",
    type: addonsType(ADDONS),
    description: `Least-privilege permission sets for common EKS add-ons, attached to the target role to create as inline policies named ${ADDON_POLICY_PREFIX}<set> (the sets of the project's config; see docs/addon-policies.md). Set an attribute to enable its set: ${ADDONS.map((a) => `${a.attribute} = { ${a.fields.map((f) => `${f.attribute}${f.required ? "" : "?"}`).join(", ")} }`).join("; ")}.`,
    default: {},
    nullable: false,
    validations: addonsValidations(ADDONS, "var.target_role_addon_policies"),
  },
  {
    name: "target_role_arn",
    type: "string",
    description:
      "ARN of an existing target role, created by another call of this module or owned by another team, to use instead of creating one. Its trust policy must cover this call's associations: pass this call's trusted_associations output to the call that creates it, or have its owners apply the target_role_trust_policy_json output.",
    default: null,
    validations: [stringRule("target_role_arn", RULES.roleArn, true)],
  },
  {
    name: "tags",
    type: "map(string)",
    description: "Tags on the roles the module creates and on the associations.",
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
