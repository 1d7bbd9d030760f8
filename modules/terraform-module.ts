// The Terraform JSON module for teams who write HCL: one cross-account association (Pod Identity role →
// permission to chain → target role → aws_eks_pod_identity_association), built from the same constructs as
// the cdktf app (PodIdentityRole, TargetRole, PodIdentityChain) with Terraform variables as their inputs, then
// turned into a reusable module: no provider blocks, no backend, no cdktf metadata, the two AWS provider
// configurations passed in by the caller as `aws.cluster` and `aws.target`.
//
// What is decided when the module is generated and what by the caller:
// - Account ids, partition and region are not known here: they come from `aws_caller_identity`,
//   `aws_partition` and `aws_region` data sources on the aliased providers.
// - Creating a role or naming an existing one (`*_role_arn`) is decided by the caller: the role resources get
//   `count`, and the role's partition, account, path and name are parsed from the given ARN, so the ARN the
//   constructs concatenate is exactly that ARN.
// - Session tags on or off is decided by the caller: the constructs render the target trust policy in both
//   forms (a second TargetRole, never synthesized, holds the session-tags-off grant) and a local picks one.
// - The synth-time rules of ./validation/rules.ts become variable validation blocks (the rule tables below,
//   tested against rules.ts) and lifecycle preconditions for rules that involve several inputs.
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, Token, type TerraformResource } from "cdktf";
import {
  AWS_PROVIDER_VERSION_CONSTRAINT,
  AwsProvider,
  DataAwsCallerIdentity,
  DataAwsPartition,
  DataAwsRegion,
  IamRolePolicy,
  IamRolePolicyAttachment,
} from "./aws";
import { PodIdentityChain } from "./chain";
import type { Partition } from "./policy/arn";
import {
  INLINE_POLICIES_LIMIT,
  MANAGED_POLICIES_LIMIT,
  ROLE_NAME_MAX,
  ROLE_PATH_MAX,
  TRUST_POLICY_DEFAULT_LIMIT,
  TRUST_POLICY_MAX_LIMIT,
} from "./policy/size";
import { podIdentityExternalId } from "./policy/trust";
import { PodIdentityRole } from "./pod-identity-role";
import type { AwsAccount } from "./providers";
import { TargetRole } from "./target-role";

/** The provider configurations the caller passes in (`providers = { aws.cluster = …, aws.target = … }`). */
export const CONFIGURATION_ALIASES = ["aws.cluster", "aws.target"] as const;
/** Preconditions need Terraform 1.2; 1.3 is the oldest release still widely used with AWS provider 6. */
export const TERRAFORM_REQUIRED_VERSION = ">= 1.3.0";
/** Where `npm run synth:module` writes the module, relative to the project root. */
export const DEFAULT_MODULE_DIR = "dist/terraform-module";

// ---------------------------------------------------------------------------------------------------------
// Rules, as data: rendered to HCL conditions here, evaluated in JavaScript by the test that compares them
// with ./validation/rules.ts. Patterns use only syntax RE2 (Terraform) and JavaScript read the same way.

/** One check on a string value. */
export type StringCheck =
  | { readonly kind: "length"; readonly min: number; readonly max: number }
  | { readonly kind: "matches"; readonly pattern: string }
  | { readonly kind: "excludes"; readonly pattern: string };

export interface StringRule {
  readonly checks: readonly StringCheck[];
  /** A full sentence (Terraform before 1.2 insists): what a valid value looks like. */
  readonly message: string;
}

const PARTITION_PATTERN = "(?:aws|aws-cn|aws-us-gov)";
const ROLE_NAME_CHARS = "[\\w+=,.@-]";
/**
 * IAM allows any printable ASCII in a path; the module leaves out `"` and `\`, which would have to be escaped
 * inside the policy JSON the module renders with Terraform string templates.
 */
const PATH_CHARS = "[\\x21\\x23-\\x5B\\x5D-\\x7E]";
const PATH_PATTERN = `(?:/|/${PATH_CHARS}{1,${ROLE_PATH_MAX - 2}}/)`;
/** Named groups: Terraform's `regex()` returns them as a map (which rules out unnamed groups in the pattern). */
export const ROLE_ARN_PARTS = `^arn:(?P<partition>${PARTITION_PATTERN}):iam::(?P<account_id>\\d{12}):role(?P<path>${PATH_PATTERN})(?P<name>${ROLE_NAME_CHARS}{1,${ROLE_NAME_MAX}})$`;

export const RULES = {
  clusterName: {
    checks: [
      { kind: "length", min: 1, max: 100 },
      { kind: "matches", pattern: "^[0-9A-Za-z][A-Za-z0-9_-]*$" },
    ],
    message: "An EKS cluster name is 1 to 100 characters: letters, digits, '-' and '_', starting with a letter or digit.",
  },
  namespace: {
    checks: [
      { kind: "length", min: 1, max: 63 },
      { kind: "matches", pattern: "^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$" },
    ],
    message: "A Kubernetes namespace is a DNS-1123 label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.",
  },
  serviceAccount: {
    checks: [
      { kind: "length", min: 1, max: 253 },
      { kind: "matches", pattern: "^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$" },
    ],
    message: "A Kubernetes service account name is a DNS-1123 subdomain: 1 to 253 lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit.",
  },
  roleName: {
    checks: [
      { kind: "length", min: 1, max: ROLE_NAME_MAX },
      { kind: "matches", pattern: `^${ROLE_NAME_CHARS}+$` },
    ],
    message: `An IAM role name is 1 to ${ROLE_NAME_MAX} characters: letters, digits and + = , . @ _ -.`,
  },
  rolePath: {
    checks: [
      { kind: "length", min: 1, max: ROLE_PATH_MAX },
      { kind: "matches", pattern: `^${PATH_PATTERN}$` },
      { kind: "excludes", pattern: "//" },
    ],
    message: `An IAM path is "/" or starts and ends with "/" (for example /pod-identity/): at most ${ROLE_PATH_MAX} printable ASCII characters, no "//", and (in this module) no double quote or backslash.`,
  },
  roleArn: {
    checks: [
      { kind: "matches", pattern: ROLE_ARN_PARTS },
      { kind: "excludes", pattern: "//" },
    ],
    message: "An IAM role ARN looks like arn:PARTITION:iam::ACCOUNT:role/PATH/NAME (partition aws, aws-cn or aws-us-gov, a 12-digit account, a valid path and role name).",
  },
  policyArn: {
    checks: [{ kind: "matches", pattern: `^arn:${PARTITION_PATTERN}:iam:[^:]*:(?:aws|\\d{12})?:policy/.*$` }],
    message: "An IAM policy ARN looks like arn:PARTITION:iam::ACCOUNT:policy/NAME (account \"aws\" for AWS managed policies; partition aws, aws-cn or aws-us-gov).",
  },
  inlinePolicyName: {
    checks: [
      { kind: "length", min: 1, max: 128 },
      { kind: "matches", pattern: `^${ROLE_NAME_CHARS}+$` },
    ],
    message: "An inline policy name is 1 to 128 characters: letters, digits and + = , . @ _ -.",
  },
} as const satisfies Record<string, StringRule>;

/** The rule evaluated in JavaScript, as Terraform evaluates its condition (used by the tests). */
export function ruleAccepts(rule: StringRule, value: string): boolean {
  return rule.checks.every((c) => {
    switch (c.kind) {
      case "length":
        return value.length >= c.min && value.length <= c.max;
      case "matches":
        return new RegExp(c.pattern.replace(/\(\?P</g, "(?<")).test(value);
      case "excludes":
        return !new RegExp(c.pattern).test(value);
    }
  });
}

/** A string literal in HCL (inside a template interpolation): `\` and `"` escaped, template sequences too. */
export function hclString(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
}

/** The rule as an HCL boolean expression on `expr` (a non-null string). */
export function ruleCondition(rule: StringRule, expr: string): string {
  return rule.checks
    .map((c) => {
      switch (c.kind) {
        case "length":
          return `length(${expr}) >= ${c.min} && length(${expr}) <= ${c.max}`;
        case "matches":
          return `can(regex(${hclString(c.pattern)}, ${expr}))`;
        case "excludes":
          return `!can(regex(${hclString(c.pattern)}, ${expr}))`;
      }
    })
    .join(" && ");
}

// ---------------------------------------------------------------------------------------------------------
// Inputs and outputs, as data: the module's variables and outputs are created from these tables, and the
// README's tables are generated from the synthesized module.

interface Validation {
  readonly condition: string;
  readonly errorMessage: string;
}

interface VariableSpec {
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

const VARIABLES: readonly VariableSpec[] = [
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

// ---------------------------------------------------------------------------------------------------------
// The module.

/** The generated module: file name → JSON content. */
export type ModuleFiles = Readonly<Record<string, Record<string, unknown>>>;

export interface TerraformModule {
  readonly files: ModuleFiles;
  /** Construct validation errors (the module is not usable when there are any). */
  readonly errors: readonly string[];
}

/** Builds and synthesizes the module. Nothing is written (a scratch directory for cdktf is removed). */
export function synthTerraformModule(): TerraformModule {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "terraform-module."));
  try {
    const app = new App({ outdir: scratch, stackTraces: false });
    const stack = new TerraformStack(app, "terraform-module");
    buildModule(app, stack);
    const errors = app.node.findAll().flatMap((c) => c.node.validate());
    return { files: splitFiles(finish(stack.toTerraform() as Record<string, unknown>)), errors };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A local value: `token` for the constructs, `ref` (`local.x`) to use inside a larger expression. */
interface Local {
  readonly token: string;
  readonly ref: string;
}

function buildModule(app: App, stack: TerraformStack): void {
  const vars = new Map<string, TerraformVariable>();
  for (const v of VARIABLES) {
    const variable = new TerraformVariable(stack, v.name, {
      type: v.type,
      description: v.description,
      ...(v.nullable !== undefined ? { nullable: v.nullable } : {}),
      validation: v.validations.length > 0 ? [...v.validations] : undefined,
    });
    // cdktf drops a `default` of null; Terraform needs it to make the variable optional.
    if ("default" in v) variable.addOverride("default", v.default);
    vars.set(v.name, variable);
  }
  const str = (name: string): string => vars.get(name)!.stringValue;
  const local = (name: string, expression: string): Local => {
    const l = new TerraformLocal(stack, `local_${name}`, expression);
    l.overrideLogicalId(name);
    return { token: l.asString, ref: `local.${name}` };
  };

  // Provider configurations: only their aliases reach the module (the blocks themselves are removed).
  const clusterProvider = new AwsProvider(stack, "aws_cluster", { alias: "cluster" });
  const targetProvider = new AwsProvider(stack, "aws_target", { alias: "target" });
  for (const [kind, provider] of [["cluster", clusterProvider], ["target", targetProvider]] as const) {
    new DataAwsCallerIdentity(stack, `data_${kind}_identity`, { provider }).overrideLogicalId(kind);
    new DataAwsPartition(stack, `data_${kind}_partition`, { provider }).overrideLogicalId(kind);
  }
  new DataAwsRegion(stack, "data_cluster_region", { provider: clusterProvider }).overrideLogicalId("cluster");

  const clusterAccountId = local("cluster_account_id", "${data.aws_caller_identity.cluster.account_id}");
  const clusterPartition = local("cluster_partition", "${data.aws_partition.cluster.partition}");
  const clusterRegion = local("cluster_region", "${data.aws_region.cluster.region}");
  const defaultRoleName = local("default_role_name", "${var.cluster_name}-${var.namespace}-${var.service_account}");

  // A role is created unless the caller names an existing one; either way its ARN is
  // arn:<partition>:iam::<account>:role<path><name> from these locals, which the constructs concatenate.
  const roleLocals = (role: "pod_identity_role" | "target_role", kind: "cluster" | "target") => {
    const arnVar = `var.${role}_arn`;
    const parts = local(`${role}_arn_parts`, `\${${arnVar} == null ? null : regex(${hclString(ROLE_ARN_PARTS)}, ${arnVar})}`).ref;
    return {
      create: local(`create_${role}`, `\${${arnVar} == null}`),
      partition: local(`${role}_partition`, `\${${parts} == null ? data.aws_partition.${kind}.partition : ${parts}.partition}`),
      accountId: local(`${role}_account_id`, `\${${parts} == null ? data.aws_caller_identity.${kind}.account_id : ${parts}.account_id}`),
      path: local(`${role}_path`, `\${${parts} == null ? var.${role}_path : ${parts}.path}`),
      name: local(`${role}_name`, `\${${parts} == null ? coalesce(var.${role}_name, ${defaultRoleName.ref}) : ${parts}.name}`),
    };
  };
  const pi = roleLocals("pod_identity_role", "cluster");
  const target = roleLocals("target_role", "target");

  const tags = Token.asStringMap(vars.get("tags")!.value);
  const account = (key: string, l: { accountId: Local; partition: Local }, provider: AwsProvider): AwsAccount => ({
    key,
    accountId: l.accountId.token,
    region: clusterRegion.token,
    partition: l.partition.token as Partition,
    provider,
  });
  const podIdentityRole = new PodIdentityRole(stack, "pod_identity_role", {
    account: account("cluster", pi, clusterProvider),
    label: "pod_identity_role",
    name: pi.name.token,
    path: pi.path.token,
    permissionsBoundary: str("pod_identity_role_permissions_boundary"),
    tags,
  });
  const targetRole = new TargetRole(stack, "target_role", {
    account: account("target", target, targetProvider),
    label: "target_role",
    name: target.name.token,
    path: target.path.token,
    permissionsBoundary: str("target_role_permissions_boundary"),
    maxSessionDuration: vars.get("target_role_max_session_duration")!.numberValue,
    tags,
    // The exact size check is a precondition below (the size is only known to Terraform).
    trustPolicyMaxSize: TRUST_POLICY_MAX_LIMIT,
  });
  const chain = new PodIdentityChain(stack, "chain", {
    label: "module",
    cluster: { name: str("cluster_name"), accountId: clusterAccountId.token, region: clusterRegion.token, partition: clusterPartition.token as Partition },
    namespace: str("namespace"),
    serviceAccount: str("service_account"),
    podIdentityRole,
    targetRole,
    sessionTags: true,
    tags,
    providers: { cluster: clusterProvider, target: targetProvider },
  });

  // The session-tags-off form of the same grant, rendered by the same construct. Its stack is never
  // synthesized, and as a bring-your-own role it creates no resources.
  const [grant] = targetRole.associations;
  if (!grant || targetRole.associations.length !== 1) throw new Error("the module's target role must have exactly one association");
  const offRole = new TargetRole(new TerraformStack(app, "session-tags-off"), "target_role", {
    account: account("target", target, targetProvider),
    existingRoleArn: "arn:aws:iam::000000000000:role/session-tags-off",
  });
  offRole.addGrant({ ...grant, sessionTags: false });

  const trustOn = local("target_role_trust_policy_session_tags", targetRole.trustDocument().toJsonString());
  const trustOff = local("target_role_trust_policy_external_id", offRole.trustDocument().toJsonString());
  const trust = local("target_role_trust_policy", `\${var.session_tags ? ${trustOn.ref} : ${trustOff.ref}}`);
  const externalId = local("external_id", podIdentityExternalId(grant));
  const piArn = local("pod_identity_role_arn", podIdentityRole.arn);
  const targetArn = local("target_role_arn", targetRole.arn);

  // Logical ids a Terraform user can read (and move state against).
  const piRole = podIdentityRole.role!;
  piRole.overrideLogicalId("pod_identity");
  const chainPolicy = podIdentityRole.node.findAll().find((c): c is IamRolePolicy => c instanceof IamRolePolicy)!;
  chainPolicy.overrideLogicalId("pod_identity_chain");
  const tRole = targetRole.role!;
  tRole.overrideLogicalId("target");
  chain.association.overrideLogicalId("this");

  // Created, or someone else's.
  for (const r of [piRole, chainPolicy]) r.addOverride("count", `\${${pi.create.ref} ? 1 : 0}`);
  tRole.addOverride("count", `\${${target.create.ref} ? 1 : 0}`);
  tRole.addOverride("assume_role_policy", trust.token);
  chain.association.addOverride("disable_session_tags", "${!var.session_tags}");

  // The target role's own permissions (inputs known only to Terraform, hence for_each).
  const managed = new IamRolePolicyAttachment(stack, "target_managed", { provider: targetProvider, role: target.name.token, policyArn: "${each.value}", dependsOn: [tRole] });
  managed.overrideLogicalId("target");
  managed.addOverride("for_each", `\${${target.create.ref} ? toset(var.target_role_policy_arns) : toset([])}`);
  const inline = new IamRolePolicy(stack, "target_inline", { provider: targetProvider, role: target.name.token, name: "${each.key}", policy: "${each.value}", dependsOn: [tRole] });
  inline.overrideLogicalId("target");
  inline.addOverride("for_each", `\${${target.create.ref} ? var.target_role_inline_policies : {}}`);

  // Rules that involve several inputs, or values only Terraform knows.
  preconditions(piRole, [
    [`\${length(${pi.name.ref}) <= ${ROLE_NAME_MAX}}`, `The Pod Identity role name derived from cluster_name-namespace-service_account is longer than ${ROLE_NAME_MAX} characters; set pod_identity_role_name.`],
  ]);
  preconditions(tRole, [
    [`\${length(${target.name.ref}) <= ${ROLE_NAME_MAX}}`, `The target role name derived from cluster_name-namespace-service_account is longer than ${ROLE_NAME_MAX} characters; set target_role_name.`],
    [`\${length(${trust.ref}) <= var.trust_policy_max_size}`, `The target role's trust policy (minified) is longer than trust_policy_max_size; raise trust_policy_max_size (up to ${TRUST_POLICY_MAX_LIMIT}) after AWS raised the account's quota.`],
  ]);
  preconditions(chain.association, [
    [
      `\${${pi.accountId.ref} == ${clusterAccountId.ref} && ${pi.partition.ref} == ${clusterPartition.ref}}`,
      "The Pod Identity role must be in the cluster's account (EKS checks iam:PassRole there): pod_identity_role_arn names a role of another account than the aws.cluster provider's.",
    ],
    [`\${${piArn.ref} != ${targetArn.ref}}`, "The target role and the Pod Identity role are the same role; give the target role its own name (target_role_name) or ARN."],
    [
      '${var.pod_identity_role_arn == null || (var.pod_identity_role_name == null && var.pod_identity_role_permissions_boundary == null && var.pod_identity_role_path == "/")}',
      "The role named by pod_identity_role_arn is owned elsewhere, so pod_identity_role_name, pod_identity_role_path and pod_identity_role_permissions_boundary cannot be set; remove them or drop pod_identity_role_arn to create the role.",
    ],
    [
      '${var.target_role_arn == null || (var.target_role_name == null && var.target_role_permissions_boundary == null && var.target_role_max_session_duration == null && var.target_role_path == "/" && length(var.target_role_policy_arns) == 0 && length(var.target_role_inline_policies) == 0)}',
      "The role named by target_role_arn is owned elsewhere, so the settings of a created target role (target_role_name, _path, _permissions_boundary, _max_session_duration, _policy_arns, _inline_policies) cannot be set; remove them or drop target_role_arn to create the role.",
    ],
  ]);

  const output = (name: string, value: unknown, description: string): void => {
    new TerraformOutput(stack, `output_${name}`, { value, description }).overrideLogicalId(name);
  };
  output("pod_identity_role_arn", piArn.token, "ARN of the Pod Identity role (created, or the one given as pod_identity_role_arn).");
  output("pod_identity_role_name", pi.name.token, "Name of the Pod Identity role.");
  output("target_role_arn", targetArn.token, "ARN of the target role (created, or the one given as target_role_arn).");
  output("target_role_name", target.name.token, "Name of the target role.");
  output("association_id", chain.association.associationId, "Id of the Pod Identity association.");
  output("association_arn", chain.association.associationArn, "ARN of the Pod Identity association.");
  output(
    "external_id",
    `\${var.session_tags ? null : ${externalId.ref}}`,
    "External id EKS passes to the target role when session_tags is false (REGION/ACCOUNT/CLUSTER/NAMESPACE/SERVICE_ACCOUNT, computed from known values); null with session tags on.",
  );
  output("target_role_trust_policy_json", trust.token, "Trust policy of the target role (applied by the module, or to be applied by the owners of target_role_arn).");
  output(
    "pod_identity_role_trust_policy_json",
    podIdentityRole.trustDocument().toJsonString(),
    "Trust policy of the Pod Identity role (applied by the module, or to be applied by the owners of pod_identity_role_arn).",
  );
  output(
    "pod_identity_role_permission_policy_json",
    podIdentityRole.permissionDocument().toJsonString(),
    "Inline policy allowing the Pod Identity role to chain into the target role (applied by the module, or to be attached by the owners of pod_identity_role_arn).",
  );
}

function preconditions(resource: TerraformResource, rules: readonly (readonly [condition: string, errorMessage: string])[]): void {
  resource.addOverride(
    "lifecycle.precondition",
    rules.map(([condition, errorMessage]) => ({ condition, error_message: errorMessage })),
  );
}

/** Removes what makes a cdktf stack a root module and pins the providers the caller passes in. */
function finish(tf: Record<string, unknown>): Record<string, unknown> {
  const out = stripMetadata(tf) as Record<string, any>;
  delete out.provider;
  const terraform = (out.terraform ?? {}) as Record<string, unknown>;
  delete terraform.backend;
  delete terraform.cloud;
  out.terraform = {
    ...terraform,
    required_version: TERRAFORM_REQUIRED_VERSION,
    required_providers: {
      aws: { source: "hashicorp/aws", version: AWS_PROVIDER_VERSION_CONSTRAINT, configuration_aliases: [...CONFIGURATION_ALIASES] },
    },
  };
  return out;
}

function stripMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripMetadata);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== "//")
        .map(([k, v]) => [k, stripMetadata(v)]),
    );
  }
  return value;
}

/** The conventional split of a module into files. */
function splitFiles(tf: Record<string, unknown>): ModuleFiles {
  const pick = (...keys: string[]): Record<string, unknown> => Object.fromEntries(keys.filter((k) => tf[k] !== undefined).map((k) => [k, tf[k]]));
  const known = ["terraform", "variable", "output", "locals", "data", "resource"];
  const rest = Object.keys(tf).filter((k) => !known.includes(k));
  if (rest.length > 0) throw new Error(`unexpected top-level blocks in the module: ${rest.join(", ")}`);
  return {
    "versions.tf.json": pick("terraform"),
    "variables.tf.json": pick("variable"),
    "main.tf.json": pick("locals", "data", "resource"),
    "outputs.tf.json": pick("output"),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Checks on the generated module (run by the script before anything is written, and by the tests).

const REFERENCE = /\b(var|local)\.([A-Za-z_][\w-]*)|\b(data\.)?(aws_\w+)\.([A-Za-z_][\w-]*)/g;

/** Everything wrong with a generated module, as a reusable module for HCL callers; empty when it is fine. */
export function moduleProblems(files: ModuleFiles): string[] {
  const problems: string[] = [];
  const tf: Record<string, any> = {};
  for (const [file, content] of Object.entries(files)) {
    if (!file.endsWith(".tf.json")) problems.push(`${file}: not a .tf.json file`);
    for (const [block, body] of Object.entries(content)) {
      if (tf[block] !== undefined && block !== "resource" && block !== "data") problems.push(`${file}: block "${block}" is also in another file`);
      tf[block] = block === "resource" || block === "data" ? { ...tf[block], ...(body as object) } : body;
    }
  }
  if (tf.provider !== undefined) problems.push("a provider block: the caller passes the providers in (providers = { aws.cluster = …, aws.target = … })");
  if (tf.terraform?.backend !== undefined || tf.terraform?.cloud !== undefined) problems.push("a backend: the caller's root module chooses where state lives");
  const aws = tf.terraform?.required_providers?.aws;
  if (!aws || aws.source !== "hashicorp/aws" || typeof aws.version !== "string") problems.push('terraform.required_providers.aws needs source "hashicorp/aws" and a version constraint');
  if (JSON.stringify([...(aws?.configuration_aliases ?? [])].sort()) !== JSON.stringify([...CONFIGURATION_ALIASES].sort())) {
    problems.push(`terraform.required_providers.aws.configuration_aliases must be ${JSON.stringify(CONFIGURATION_ALIASES)}`);
  }

  const forbidden = [process.cwd(), os.tmpdir(), os.homedir()].filter((p) => p.length > 1);
  walk(tf, [], (value, at) => {
    if (at[at.length - 1] === "//") problems.push(`${at.join(".")}: cdktf metadata ("//")`);
    if (typeof value === "string" && forbidden.some((p) => value.includes(p))) problems.push(`${at.join(".")}: an absolute path of this machine ("${value}")`);
  });

  const declared = {
    var: new Set(Object.keys(tf.variable ?? {})),
    local: new Set(Object.keys(tf.locals ?? {})),
    resource: new Set(Object.entries(tf.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName as object).map((n) => `${type}.${n}`))),
    data: new Set(Object.entries(tf.data ?? {}).flatMap(([type, byName]) => Object.keys(byName as object).map((n) => `data.${type}.${n}`))),
  };
  const used = { var: new Set<string>(), local: new Set<string>() };
  const reference = (text: string, where: string): void => {
    for (const m of text.matchAll(REFERENCE)) {
      if (m[1] === "var" || m[1] === "local") {
        const kind = m[1];
        used[kind].add(m[2]!);
        if (!declared[kind].has(m[2]!)) problems.push(`${where}: ${kind}.${m[2]} is not declared`);
      } else {
        const address = `${m[3] ?? ""}${m[4]}.${m[5]}`;
        if (!(m[3] ? declared.data : declared.resource).has(address)) problems.push(`${where}: ${address} is not declared`);
      }
    }
  };
  walk({ resource: tf.resource, data: tf.data, locals: tf.locals, output: tf.output, variable: tf.variable }, [], (value, at) => {
    if (typeof value !== "string") return;
    const where = at.join(".");
    const key = at[at.length - 1];
    if (key === "description" || key === "error_message" || key === "provider") return;
    if (at.includes("depends_on")) return reference(value, where);
    for (const body of interpolations(value)) reference(body, where);
  });
  for (const kind of ["var", "local"] as const) {
    for (const name of declared[kind]) if (!used[kind].has(name)) problems.push(`${kind}.${name} is declared but never used`);
  }

  for (const mode of ["resource", "data"] as const) {
    for (const [type, byName] of Object.entries(tf[mode] ?? {})) {
      for (const [name, body] of Object.entries(byName as Record<string, any>)) {
        if (!(CONFIGURATION_ALIASES as readonly string[]).includes(body.provider)) {
          problems.push(`${mode === "data" ? "data." : ""}${type}.${name}: provider is ${JSON.stringify(body.provider)}, not one of ${CONFIGURATION_ALIASES.join(", ")}`);
        }
      }
    }
  }
  for (const [name, v] of Object.entries(tf.variable ?? {}) as [string, any][]) {
    if (typeof v.type !== "string" || typeof v.description !== "string" || v.description === "") problems.push(`variable ${name}: needs a type and a description`);
    for (const rule of v.validation ?? []) {
      if (!/^[A-Z].*[.?]$/s.test(rule.error_message ?? "")) problems.push(`variable ${name}: validation error_message must be a sentence (capital first, "." or "?" last)`);
      if (!/^\$\{.*\}$/s.test(rule.condition ?? "")) problems.push(`variable ${name}: validation condition must be one interpolation`);
    }
  }
  for (const [name, o] of Object.entries(tf.output ?? {}) as [string, any][]) {
    if (o.value === undefined || typeof o.description !== "string" || o.description === "") problems.push(`output ${name}: needs a value and a description`);
  }
  return problems;
}

function walk(value: unknown, at: string[], visit: (value: unknown, at: string[]) => void): void {
  visit(value, at);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, String(i)], visit));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...at, k], visit);
}

/** The bodies of the `${…}` sequences of a Terraform template (nested braces counted, `$${` skipped). */
export function interpolations(template: string): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < template.length; i++) {
    if (template.startsWith("$${", i)) {
      i += 2;
      continue;
    }
    if (!template.startsWith("${", i)) continue;
    let depth = 1;
    let j = i + 2;
    for (; j < template.length && depth > 0; j++) {
      if (template[j] === "{") depth++;
      else if (template[j] === "}") depth--;
    }
    bodies.push(template.slice(i + 2, j - 1));
    i = j - 1;
  }
  return bodies;
}

// ---------------------------------------------------------------------------------------------------------
// Documentation, generated from the module itself.

/** An HCL root module calling the generated module with two aliased providers. */
export const USAGE_HCL = `provider "aws" {
  alias  = "platform"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/terraform-deployer"
  }
}

provider "aws" {
  alias  = "data"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform-deployer"
  }
}

module "payments_ledger_reader" {
  source = "./modules/pod-identity-target-role" # a copy of dist/terraform-module

  providers = {
    aws.cluster = aws.platform # the EKS cluster's account
    aws.target  = aws.data     # the account of the target role
  }

  cluster_name    = "prod-eu"
  namespace       = "payments"
  service_account = "ledger-reader"

  target_role_name        = "payments-ledger-reader"
  target_role_policy_arns = ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"]
  target_role_inline_policies = {
    "ledger-bucket" = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["arn:aws:s3:::ledger-exports/*"]
      }]
    })
  }

  tags = { team = "payments" }
}

output "ledger_reader_target_role_arn" {
  value = module.payments_ledger_reader.target_role_arn
}`;

/** The inputs and outputs tables of the module, in Markdown. */
export function renderTables(files: ModuleFiles): string {
  const variables = (files["variables.tf.json"]?.variable ?? {}) as Record<string, any>;
  const outputs = (files["outputs.tf.json"]?.output ?? {}) as Record<string, any>;
  const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "| --- | --- | --- | --- | :---: |"];
  for (const [name, v] of Object.entries(variables)) {
    const required = !("default" in v);
    lines.push(`| \`${name}\` | ${cell(v.description)} | \`${cell(v.type)}\` | ${required ? "n/a" : `\`${cell(JSON.stringify(v.default))}\``} | ${required ? "yes" : "no"} |`);
  }
  lines.push("", "## Outputs", "", "| Name | Description |", "| --- | --- |");
  for (const [name, o] of Object.entries(outputs)) lines.push(`| \`${name}\` | ${cell(o.description)} |`);
  return lines.join("\n");
}

/** The README written next to the module. */
export function renderReadme(files: ModuleFiles): string {
  return [
    "# Cross-account EKS Pod Identity: Pod Identity role, target role and association",
    "",
    "Generated by `npm run synth:module` from the project's cdktf constructs; do not edit. One module call makes one",
    "association of a Kubernetes service account with a Pod Identity role in the cluster's account that chains into",
    "a target role in another account. The caller passes two AWS provider configurations: `aws.cluster` (the",
    "cluster's account) and `aws.target` (the target role's account).",
    "",
    "## Usage",
    "",
    "```hcl",
    USAGE_HCL,
    "```",
    "",
    renderTables(files),
    "",
  ].join("\n");
}

/** Markers around the generated part of docs/terraform-module.md. */
export const DOCS_BEGIN = "<!-- BEGIN GENERATED: npm run synth:module -->";
export const DOCS_END = "<!-- END GENERATED -->";

/** `doc` with the part between the markers replaced by the module's usage example and tables. */
export function updateDocs(doc: string, files: ModuleFiles): string {
  const begin = doc.indexOf(DOCS_BEGIN);
  const end = doc.indexOf(DOCS_END);
  if (begin < 0 || end < begin) throw new Error(`the markers ${DOCS_BEGIN} … ${DOCS_END} are missing`);
  const generated = ["", "### Usage", "", "```hcl", USAGE_HCL, "```", "", renderTables(files).replace(/^## /gm, "### "), ""].join("\n");
  return doc.slice(0, begin + DOCS_BEGIN.length) + "\n" + generated + doc.slice(end);
}
