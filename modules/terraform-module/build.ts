// Builds the module: Terraform variables, locals that compute every policy and argument, and resources that
// only read those locals, in a throwaway cdktf stack (the provider bindings type the resources); then strips
// what a reusable module must not carry (provider blocks, backend, cdktf metadata) and splits it into files.
//
// The policies are the project's, not a second implementation: the Pod Identity role's trust and permission
// come from ../policy/trust.ts and ../policy/permission.ts, the target role's trust from ../policy/trust.ts
// merged by ./merged-trust.ts, the add-on sets from ../policy/addons through ./addons.ts. Only values
// Terraform alone knows (accounts, partitions and regions from data sources, the caller's inputs) are
// expressions. Every data source is read by one local (`cluster_*`, `target_*`), and no local reads a
// resource: the tests evaluate all locals and resource arguments with Terraform itself.
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, type TerraformResource } from "../terraform-cdk";
import {
  AwsProvider,
  DataAwsCallerIdentity,
  DataAwsPartition,
  DataAwsRegion,
  EksPodIdentityAssociation,
  setNativeSessionPolicy,
  IamRole,
  IamRolePolicy,
  IamRolePolicyAttachment,
} from "../aws";
import { roleArn } from "../policy/arn";
import { PolicyDocument } from "../policy/document";
import { chainPermissionStatement } from "../policy/permission";
import { INLINE_POLICIES_LIMIT, TRUST_POLICY_MAX_LIMIT } from "../policy/size";
import { podIdentityExternalId, podIdentityTrustStatements } from "../policy/trust";
import { CHAIN_POLICY_NAME } from "../pod-identity-role";
import { SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT } from "../providers";

import { addonPolicyExpression } from "./addons";
import { CONFIGURATION_ALIASES, TERRAFORM_REQUIRED_VERSION, type ModuleFiles } from "./constants";
import { escapeTemplate, expr, hclString, marker, nativeString, tfJsonTemplate } from "./hcl";
import { mergedTrustLocals } from "./merged-trust";
import { ROLE_ARN_PARTS } from "./rules";
import { ADDONS, VARIABLES } from "./variables";

/** Builds and synthesizes the module. Nothing is written (a scratch directory for cdktf is removed). */
export function synthTerraformModule(): ModuleFiles {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "terraform-module."));
  try {
    const app = new App({ outdir: scratch, stackTraces: false });
    const stack = new TerraformStack(app, "terraform-module");
    buildModule(stack);
    return splitFiles(finish(stack.toTerraform() as Record<string, unknown>));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

type Role = "pod_identity_role" | "target_role";

function buildModule(stack: TerraformStack): void {
  for (const v of VARIABLES) {
    const variable = new TerraformVariable(stack, v.name, {
      type: v.type,
      description: v.description,
      ...(v.nullable !== undefined ? { nullable: v.nullable } : {}),
      validation: v.validations.length > 0 ? [...v.validations] : undefined,
    });
    // cdktf drops a `default` of null; Terraform needs it to make the variable optional.
    if ("default" in v) variable.addOverride("default", v.default);
  }
  /** Declares a local; returns its reference (`local.name`). */
  const local = (name: string, value: string): string => {
    new TerraformLocal(stack, `local_${name}`, value).overrideLogicalId(name);
    return `local.${name}`;
  };

  // The caller's provider configurations: only their aliases reach the module (the blocks are removed).
  const providers = { cluster: new AwsProvider(stack, "aws_cluster", { alias: "cluster" }), target: new AwsProvider(stack, "aws_target", { alias: "target" }) };
  for (const [kind, provider] of Object.entries(providers)) {
    new DataAwsCallerIdentity(stack, `data_${kind}_identity`, { provider }).overrideLogicalId(kind);
    new DataAwsPartition(stack, `data_${kind}_partition`, { provider }).overrideLogicalId(kind);
    new DataAwsRegion(stack, `data_${kind}_region`, { provider }).overrideLogicalId(kind);
    local(`${kind}_account_id`, expr(`data.aws_caller_identity.${kind}.account_id`));
    local(`${kind}_partition`, expr(`data.aws_partition.${kind}.partition`));
    local(`${kind}_region`, expr(`data.aws_region.${kind}.region`));
  }

  // Each role is created unless the caller names an existing one; either way its ARN is built from these
  // locals (for an existing role, the parts of the given ARN, so the ARN is exactly the given one).
  const roleLocals = (role: Role, kind: "cluster" | "target") => {
    const arnVar = `var.${role}_arn`;
    const parts = local(`${role}_arn_parts`, expr(`${arnVar} == null ? null : regex(${hclString(ROLE_ARN_PARTS)}, ${arnVar})`));
    const l = {
      partition: local(`${role}_partition`, expr(`${parts} == null ? local.${kind}_partition : ${parts}.partition`)),
      accountId: local(`${role}_account_id`, expr(`${parts} == null ? local.${kind}_account_id : ${parts}.account_id`)),
      path: local(`${role}_path`, expr(`${parts} == null ? var.${role}_path : ${parts}.path`)),
      name: local(`${role}_name`, expr(`${parts} == null ? coalesce(var.${role}_name, var.name) : ${parts}.name`)),
    };
    const refs: Record<string, string> = { partition: l.partition, account: l.accountId, path: l.path, name: l.name };
    const arn = local(
      `${role}_arn`,
      tfJsonTemplate(roleArn(marker("partition"), marker("account"), marker("path"), marker("name")), (n) => refs[n]!),
    );
    return { ...l, arn };
  };
  const pi = roleLocals("pod_identity_role", "cluster");
  const target = roleLocals("target_role", "target");
  const createPi = local("create_pod_identity_role", expr("var.pod_identity_role_arn == null && length(var.associations) > 0"));
  const createTarget = local("create_target_role", expr("var.target_role_arn == null"));

  // The associations, each in its cluster's region (the association's own `region` argument).
  const regions = local("association_regions", expr("{ for key, a in var.associations : key => coalesce(a.cluster_region, local.cluster_region) }"));
  // What identifies an association, and the external id EKS passes without session tags: REGION/ACCOUNT/CLUSTER/NAMESPACE/SA.
  type Identity = Record<"region" | "account" | "cluster" | "namespace" | "serviceAccount", string>;
  const identity = (refs: Identity): string =>
    nativeString(
      podIdentityExternalId({
        region: marker("region"),
        clusterAccountId: marker("account"),
        clusterName: marker("cluster"),
        namespace: marker("namespace"),
        serviceAccount: marker("serviceAccount"),
      }),
      (n) => refs[n as keyof Identity],
    );
  const associations = local(
    "associations",
    expr(
      `{ for key, a in var.associations : key => { cluster_name = a.cluster_name, namespace = a.namespace, service_account = a.service_account, region = ${regions}[key], session_tags = a.session_tags, session_policy = a.session_policy, tags = merge(var.tags, a.tags), external_id = a.session_tags ? null : ${identity(
        {
          region: `${regions}[key]`,
          account: "local.cluster_account_id",
          cluster: "a.cluster_name",
          namespace: "a.namespace",
          serviceAccount: "a.service_account",
        },
      )} } }`,
    ),
  );
  // This call's associations as another call's trusted_associations takes them, keyed by what identifies an
  // association (so that merging the outputs of several calls never drops one). Two associations for one
  // service account are grouped here, and refused by a precondition of the association.
  const ownTrusted = local(
    "own_trusted_associations",
    expr(
      `{ for id, same in { for key, a in ${associations} : ${identity({ region: "a.region", account: "local.cluster_account_id", cluster: "a.cluster_name", namespace: "a.namespace", serviceAccount: "a.service_account" })} => { pod_identity_role_arn = ${pi.arn}, cluster_name = a.cluster_name, cluster_region = a.region, namespace = a.namespace, service_account = a.service_account, session_tags = a.session_tags }... } : id => same[0] }`,
    ),
  );

  // The target role's trust: this call's associations and the trusted ones, merged.
  const trust = mergedTrustLocals(`concat(values(${ownTrusted}), values(var.trusted_associations))`, "target_role_trust");
  for (const [name, value] of trust.locals) local(name, value);
  const targetTrust = `local.${trust.policy}`;

  // The Pod Identity role's trust and its permission to chain into the target role.
  const piTrust = local("pod_identity_role_trust_policy", escapeTemplate(new PolicyDocument().addStatements(...podIdentityTrustStatements()).toJsonString()));
  const piPermission = local(
    "pod_identity_role_permission_policy",
    tfJsonTemplate(new PolicyDocument().addStatements(chainPermissionStatement([marker("target")])).toJsonString(), () => target.arn),
  );

  // The target role's own permissions: the add-on sets it is given, then every inline policy.
  const addonRefs = { partition: target.partition, accountId: target.accountId, region: "local.target_region" };
  const addonEntries = ADDONS.map((spec) => {
    const config = `var.target_role_addon_policies.${spec.attribute}`;
    const document = local(`target_role_addon_${spec.attribute}`, expr(addonPolicyExpression(spec, config, addonRefs)));
    return `${hclString(spec.policyName)} = { enabled = ${config} != null, policy = ${document} }`;
  });
  const addonPolicies = local(
    "target_role_addon_inline_policies",
    expr(`{ for name, addon in { ${addonEntries.join(", ")} } : name => addon.policy if addon.enabled }`),
  );
  const inlinePolicies = local("target_role_inline_policies", expr(`merge(var.target_role_inline_policies, ${addonPolicies})`));

  // Resources: they only read locals and variables (and each.*); literal names, so ordering is explicit.
  const piRole = new IamRole(stack, "pod_identity", {
    provider: providers.cluster,
    name: expr(pi.name),
    path: expr(pi.path),
    assumeRolePolicy: expr(piTrust),
    permissionsBoundary: expr("var.pod_identity_role_permissions_boundary"),
  });
  piRole.addOverride("tags", expr("var.tags"));
  const chainPolicy = new IamRolePolicy(stack, "pod_identity_chain", {
    provider: providers.cluster,
    name: CHAIN_POLICY_NAME,
    role: expr(pi.name),
    policy: expr(piPermission),
    dependsOn: [piRole],
  });
  for (const r of [piRole, chainPolicy]) r.addOverride("count", expr(`${createPi} ? 1 : 0`));

  const targetRole = new IamRole(stack, "target", {
    provider: providers.target,
    name: expr(target.name),
    path: expr(target.path),
    assumeRolePolicy: expr(targetTrust),
    permissionsBoundary: expr("var.target_role_permissions_boundary"),
  });
  targetRole.addOverride("max_session_duration", expr("var.target_role_max_session_duration"));
  targetRole.addOverride("tags", expr("var.tags"));
  targetRole.addOverride("count", expr(`${createTarget} ? 1 : 0`));
  const inline = new IamRolePolicy(stack, "target_inline", {
    provider: providers.target,
    role: expr(target.name),
    name: expr("each.key"),
    policy: expr("each.value"),
    dependsOn: [targetRole],
  });
  inline.addOverride("for_each", expr(`${createTarget} ? ${inlinePolicies} : {}`));
  const managed = new IamRolePolicyAttachment(stack, "target_managed", {
    provider: providers.target,
    role: expr(target.name),
    policyArn: expr("each.value"),
    dependsOn: [targetRole],
  });
  managed.addOverride("for_each", expr(`${createTarget} ? var.target_role_policy_arns : {}`));
  inline.overrideLogicalId("target");
  managed.overrideLogicalId("target");

  const association = new EksPodIdentityAssociation(stack, "this", {
    provider: providers.cluster,
    clusterName: expr("each.value.cluster_name"),
    namespace: expr("each.value.namespace"),
    serviceAccount: expr("each.value.service_account"),
    region: expr("each.value.region"),
    roleArn: expr(pi.arn),
    targetRoleArn: expr(target.arn),
    dependsOn: [piRole, chainPolicy, targetRole, inline, managed],
  });
  association.addOverride("for_each", expr(associations));
  association.addOverride("disable_session_tags", expr("!each.value.session_tags"));
  // CDKTF's prebuilt binding (AWS provider 6.25.0) lacks `policy`: an override there. Either way the module
  // needs SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT.
  if (!setNativeSessionPolicy(association, expr("each.value.session_policy"))) association.addOverride("policy", expr("each.value.session_policy"));
  association.addOverride("tags", expr("each.value.tags"));

  // Rules over several inputs, or over values only Terraform knows.
  preconditions(targetRole, [
    [
      expr(`length(local.${trust.grants}) > 0`),
      "The target role would trust no association (IAM rejects an empty trust policy): give the module associations, or pass the trusted_associations outputs of the calls that use the role.",
    ],
    [
      expr(`length(${targetTrust}) <= var.trust_policy_max_size`),
      `The target role's trust policy (minified) is longer than trust_policy_max_size: split the associations across more target roles, or raise trust_policy_max_size (up to ${TRUST_POLICY_MAX_LIMIT}) after AWS raised the account's quota.`,
    ],
    [
      expr(`sum(concat([0], [for doc in values(${inlinePolicies}) : length(jsonencode(jsondecode(doc)))])) <= ${INLINE_POLICIES_LIMIT}`),
      `The target role's inline policies and add-on sets total more than ${INLINE_POLICIES_LIMIT} characters (minified), IAM's limit per role: move permissions into managed policies (target_role_policy_arns) or split the role.`,
    ],
  ]);
  preconditions(association, [
    [
      expr(`${pi.accountId} == local.cluster_account_id && ${pi.partition} == local.cluster_partition`),
      "The Pod Identity role must be in the cluster's account (EKS checks iam:PassRole there): pod_identity_role_arn names a role of another account than the aws.cluster provider's.",
    ],
    [
      expr(`${pi.arn} != ${target.arn}`),
      "The target role and the Pod Identity role are the same role; give the target role its own name (target_role_name) or ARN.",
    ],
    [
      expr(
        `length(distinct([for a in values(${associations}) : "\${a.region}/\${a.cluster_name}/\${a.namespace}/\${a.service_account}"])) == length(${associations})`,
      ),
      "Two associations are for the same service account of the same cluster; EKS allows one association per service account: remove one.",
    ],
    [
      expr(
        'var.pod_identity_role_arn == null || (var.pod_identity_role_name == null && var.pod_identity_role_permissions_boundary == null && var.pod_identity_role_path == "/")',
      ),
      "The role named by pod_identity_role_arn is owned elsewhere, so pod_identity_role_name, pod_identity_role_path and pod_identity_role_permissions_boundary cannot be set; remove them or drop pod_identity_role_arn to create the role.",
    ],
    [
      expr(
        'var.target_role_arn == null || (var.target_role_name == null && var.target_role_permissions_boundary == null && var.target_role_max_session_duration == null && var.target_role_path == "/" && length(var.target_role_policy_arns) == 0 && length(var.target_role_inline_policies) == 0 && length([for addon in values(var.target_role_addon_policies) : addon if addon != null]) == 0)',
      ),
      "The role named by target_role_arn is owned elsewhere, so the settings of a created target role (target_role_name, _path, _permissions_boundary, _max_session_duration, _policy_arns, _inline_policies, _addon_policies) cannot be set; remove them or drop target_role_arn to create the role.",
    ],
  ]);

  const output = (name: string, value: string, description: string, dependsOn?: TerraformResource[]): void => {
    const o = new TerraformOutput(stack, `output_${name}`, { value, description });
    o.overrideLogicalId(name);
    // Plain addresses: Terraform refuses the "${…}" form cdktf writes for an output's depends_on.
    if (dependsOn)
      o.addOverride(
        "depends_on",
        dependsOn.map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`),
      );
  };
  output(
    "pod_identity_role_arn",
    expr(`length(var.associations) > 0 ? ${pi.arn} : null`),
    "ARN of the Pod Identity role (created, or the one given as pod_identity_role_arn); null without associations.",
  );
  output("pod_identity_role_name", expr(`length(var.associations) > 0 ? ${pi.name} : null`), "Name of the Pod Identity role; null without associations.");
  output(
    "target_role_arn",
    expr(target.arn),
    "ARN of the target role (created, or the one given as target_role_arn). Available once the role and its policies exist, so that associations of other calls using it wait for them.",
    [targetRole, inline, managed],
  );
  output("target_role_name", expr(target.name), "Name of the target role.");
  output(
    "associations",
    expr(
      `{ for key, a in aws_eks_pod_identity_association.this : key => { association_id = a.association_id, association_arn = a.association_arn, cluster_name = a.cluster_name, namespace = a.namespace, service_account = a.service_account, region = ${associations}[key].region, external_id = ${associations}[key].external_id } }`,
    ),
    "The associations by key: association_id, association_arn, cluster_name, namespace, service_account, region, and external_id (what EKS passes to the target role with session tags off, computed from known values; null with session tags on).",
  );
  output(
    "trusted_associations",
    expr(ownTrusted),
    "This call's associations in the form trusted_associations takes: pass it to the call that creates the target role when this call uses that role through target_role_arn.",
  );
  output(
    "target_role_trust_policy_json",
    expr(targetTrust),
    "Trust policy of the target role (applied by the module, or to be applied by the owners of target_role_arn).",
  );
  output(
    "pod_identity_role_trust_policy_json",
    expr(piTrust),
    "Trust policy of the Pod Identity role (applied by the module, or to be applied by the owners of pod_identity_role_arn).",
  );
  output(
    "pod_identity_role_permission_policy_json",
    expr(piPermission),
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
  const out = stripMetadata(tf) as Record<string, unknown>;
  for (const kind of ["resource", "data"]) {
    for (const blocks of Object.values((out[kind] ?? {}) as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [name, body] of Object.entries(blocks)) blocks[name] = canonicalOrder(body);
    }
  }
  delete out.provider;
  const terraform = (out.terraform ?? {}) as Record<string, unknown>;
  delete terraform.backend;
  delete terraform.cloud;
  out.terraform = {
    ...terraform,
    required_version: TERRAFORM_REQUIRED_VERSION,
    required_providers: {
      // The association's `policy` argument (session policies) arrived in AWS provider 6.57.1.
      aws: { source: "hashicorp/aws", version: SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT, configuration_aliases: [...CONFIGURATION_ALIASES] },
    },
  };
  return out;
}

/** Meta-arguments, written after a block's own arguments in this order. */
const META_ARGUMENTS = ["count", "for_each", "provider", "depends_on", "lifecycle"];

/**
 * A block's arguments sorted, then its meta-arguments: the same text however an argument was set (by the
 * binding, or by an override where a binding lacks it, which cdktf appends), so on CDKTF and CDK Terrain alike.
 */
function canonicalOrder(body: Record<string, unknown>): Record<string, unknown> {
  const rank = (k: string): number => META_ARGUMENTS.indexOf(k);
  const keys = Object.keys(body).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, body[k]]));
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
