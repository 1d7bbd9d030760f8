// Builds the module from the constructs with Terraform variables as inputs, then strips what a reusable
// module must not carry (provider blocks, backend, cdktf metadata) and splits it into files.
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
} from "../aws";
import { PodIdentityChain } from "../chain";
import type { Partition } from "../policy/arn";
import { ROLE_NAME_MAX, TRUST_POLICY_MAX_LIMIT } from "../policy/size";
import { podIdentityExternalId } from "../policy/trust";
import { PodIdentityRole } from "../pod-identity-role";
import type { AwsAccount } from "../providers";
import { TargetRole } from "../target-role";

import { CONFIGURATION_ALIASES, TERRAFORM_REQUIRED_VERSION, type ModuleFiles } from "./constants";
import { ROLE_ARN_PARTS, hclString } from "./rules";
import { VARIABLES } from "./variables";

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
