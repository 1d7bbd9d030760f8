// The config file's definition: one zod schema, from which both validation and the published JSON Schema
// (pod-identity.schema.json, `npm run schema`) are generated. Field rules come from ../validation/rules.ts;
// cross-references (keys that must exist, one association per service account, ...) are checked in
// `crossCheck` below, each problem with the path of the field to fix.
import { z } from "zod";
import { addonPolicySchema } from "../policy/addons";
import { PARTITIONS } from "../policy/arn";
import { ASSOCIATIONS_PER_CLUSTER_LIMIT, MANAGED_POLICIES_LIMIT, TRUST_POLICY_DEFAULT_LIMIT, TRUST_POLICY_MAX_LIMIT } from "../policy/size";
import { TARGET_TRUST_FORMS } from "../policy/trust";
import { stackCycleProblem } from "./placement";
import {
  accountIdProblem,
  clusterNameProblem,
  maxSessionDurationProblem,
  namespaceProblem,
  policyArnProblem,
  regionProblem,
  roleArnProblem,
  roleNamePrefixProblem,
  roleNameProblem,
  rolePathProblem,
  serviceAccountProblem,
  type Check,
} from "../validation/rules";

/** A string checked by one of the shared rules. */
function checked(check: Check, description: string) {
  return z
    .string()
    .superRefine((v, ctx) => {
      const problem = check(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .describe(description);
}

const KEY = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;
const keySchema = z
  .string()
  .regex(KEY, { message: "must start with a letter or '_' and contain only letters, digits, '_' and '-' (it becomes a Terraform name)" });

const tagsSchema = z.record(z.string().min(1).max(128), z.string().max(256)).describe("Tags, key → value");

const oneOrMany = z.union([z.string(), z.array(z.string()).min(1)]);
const statementSchema = z
  .strictObject({
    Sid: z.string().optional(),
    Effect: z.enum(["Allow", "Deny"]),
    Principal: z.union([z.literal("*"), z.record(z.string(), oneOrMany)]).optional(),
    NotPrincipal: z.record(z.string(), oneOrMany).optional(),
    Action: oneOrMany.optional(),
    NotAction: oneOrMany.optional(),
    Resource: oneOrMany.optional(),
    NotResource: oneOrMany.optional(),
    Condition: z.record(z.string(), z.record(z.string(), oneOrMany)).optional(),
  })
  .refine((s) => (s.Action === undefined) !== (s.NotAction === undefined), { message: "a statement needs exactly one of Action or NotAction" });

/** An IAM policy document, as JSON/YAML. */
export const policyDocumentSchema = z
  .strictObject({ Version: z.literal("2012-10-17"), Statement: z.array(statementSchema).min(1) })
  .describe("An IAM policy document");

const assumeRoleSchema = z.strictObject({
  roleArn: checked(roleArnProblem, "The deployer role Terraform assumes in this account"),
  sessionName: z.string().optional().describe("Session name"),
  externalId: z.string().optional().describe("External id the deployer role requires"),
});

const accountSchema = z
  .strictObject({
    accountId: checked(accountIdProblem, "The 12-digit AWS account id (quote it)"),
    region: checked(regionProblem, "The provider's region, e.g. eu-west-1"),
    partition: z.enum(PARTITIONS).optional().describe("Partition; default derived from the region"),
    assumeRole: assumeRoleSchema.optional().describe("Deployer role to assume in this account"),
    profile: z.string().optional().describe("Named profile in the shared AWS config files"),
    defaultTags: tagsSchema.optional().describe("Tags the provider adds to every resource in this account"),
  })
  .describe("An AWS account: one aliased provider (alias = the key)");

const clusterSchema = z
  .strictObject({
    account: keySchema.describe("Key of the account the cluster is in"),
    name: checked(clusterNameProblem, "The EKS cluster name; default the key").optional(),
    region: checked(regionProblem, "The cluster's region; default the account's region").optional(),
  })
  .describe("An EKS cluster");

const roleFields = {
  account: keySchema.describe("Key of the account the role lives in"),
  name: checked(roleNameProblem, "Role name (≤ 64 characters); default the key").optional(),
  namePrefix: checked(roleNamePrefixProblem, "Role name prefix (≤ 38); the ARN is then only known after apply").optional(),
  path: checked(rolePathProblem, "IAM path; default defaults.rolePath").optional(),
  permissionsBoundary: checked(policyArnProblem, "ARN of a permissions boundary policy").optional(),
  maxSessionDuration: z
    .number()
    .superRefine((v, ctx) => {
      const p = maxSessionDurationProblem(v);
      if (p) ctx.addIssue({ code: "custom", message: p });
    })
    .optional()
    .describe("Seconds, 3600 to 43200"),
  tags: tagsSchema.optional(),
  managedPolicyArns: z.array(checked(policyArnProblem, "Managed policy ARN")).optional().describe(`Managed policies to attach (IAM default quota: ${MANAGED_POLICIES_LIMIT})`),
  inlinePolicies: z.record(z.string().regex(/^[\w+=,.@-]{1,128}$/, { message: "inline policy names use letters, digits and + = , . @ _ - (≤ 128)" }), policyDocumentSchema).optional().describe("Inline policies by name"),
  addonPolicies: z.array(addonPolicySchema).optional().describe("Add-on permission sets, rendered as inline policies"),
  existingArn: checked(roleArnProblem, "Bring your own role: its ARN. Nothing is created; outputs carry the policy JSON its owners must apply").optional(),
};

const stackField = keySchema.optional().describe("Stack to place the role in; default the stack of its first association");

const podIdentityRoleSchema = z
  .strictObject({
    ...roleFields,
    stack: stackField,
    restrictSourceAccount: z.boolean().optional().describe("Narrow the trust with aws:SourceAccount = the cluster account"),
    restrictToServiceAccounts: z.boolean().optional().describe("Narrow the trust to the namespaces/service accounts of its associations (needs session tags)"),
  })
  .describe("A Pod Identity role in a cluster's account; may serve many associations of that account");

const targetRoleSchema = z
  .strictObject({
    ...roleFields,
    stack: stackField,
  })
  .describe("A target role in any account, trusted by the Pod Identity roles of its associations");

const associationSchema = z
  .strictObject({
    name: keySchema.optional().describe("Names the association in messages and Terraform; default CLUSTER-NAMESPACE-SERVICEACCOUNT"),
    cluster: keySchema.describe("Key of the cluster"),
    namespace: checked(namespaceProblem, "Kubernetes namespace"),
    serviceAccount: checked(serviceAccountProblem, "Kubernetes service account"),
    podIdentityRole: keySchema.optional().describe("Key of a Pod Identity role; default a dedicated role for this association"),
    targetRole: keySchema.optional().describe("Key of a target role; default none (no chaining)"),
    sessionTags: z.boolean().optional().describe("Session tags on; default defaults.sessionTags"),
    trustForm: z.enum(TARGET_TRUST_FORMS).optional().describe("principal-arn (default) or role-principal (older form; breaks if the Pod Identity role is recreated)"),
    sessionPolicy: policyDocumentSchema.optional().describe("Inline session policy on the association; needs sessionTags: false and AWS provider >= 6.57.1"),
    tags: tagsSchema.optional(),
  })
  .describe("One Pod Identity association");

const backendSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("local") }).describe("State files at the project root: terraform.<stack>.tfstate"),
    z
      .strictObject({
        type: z.literal("s3"),
        bucket: z.string().min(3),
        region: checked(regionProblem, "The bucket's region"),
        keyPrefix: z.string().default("pod-identity").describe("Object key is <keyPrefix>/<stack>.tfstate"),
        encrypt: z.boolean().default(true),
        profile: z.string().optional(),
        roleArn: checked(roleArnProblem, "Role to assume for state access").optional(),
      })
      .describe("S3 state with a lock file (use_lockfile) and one key per stack"),
  ])
  .describe("Where Terraform keeps state");

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    defaults: z
      .strictObject({
        sessionTags: z.boolean().default(true),
        trustPolicyMaxSize: z
          .number()
          .int()
          .min(TRUST_POLICY_DEFAULT_LIMIT)
          .max(TRUST_POLICY_MAX_LIMIT)
          .default(TRUST_POLICY_DEFAULT_LIMIT)
          .describe(`Trust policy size limit; raise from ${TRUST_POLICY_DEFAULT_LIMIT} (up to ${TRUST_POLICY_MAX_LIMIT}) only after AWS raised your quota`),
        rolePath: checked(rolePathProblem, "Path of roles that set none").default("/"),
        tags: tagsSchema.default({}),
      })
      .prefault({}),
    stacks: z
      .strictObject({
        groupBy: z.enum(["clusterAccount", "cluster", "single"]).default("clusterAccount").describe("One stack per cluster account (default), per cluster, or one"),
        name: keySchema.default("pod-identity").describe("Stack name with groupBy: single"),
      })
      .prefault({}),
    backend: backendSchema.prefault({ type: "local" }),
    accounts: z.record(keySchema, accountSchema),
    clusters: z.record(keySchema, clusterSchema),
    podIdentityRoles: z.record(keySchema, podIdentityRoleSchema).default({}),
    targetRoles: z.record(keySchema, targetRoleSchema).default({}),
    associations: z.array(associationSchema).min(1),
  })
  .superRefine((c, ctx) => crossCheck(c, (path, message) => ctx.addIssue({ code: "custom", path, message })));

export type PodIdentityConfig = z.output<typeof configSchema>;
export type AssociationConfig = PodIdentityConfig["associations"][number];

/** The association's name: given, or CLUSTER-NAMESPACE-SERVICEACCOUNT. */
export function associationName(a: Pick<AssociationConfig, "name" | "cluster" | "namespace" | "serviceAccount">): string {
  return a.name ?? `${a.cluster}-${a.namespace}-${a.serviceAccount}`.replace(/\./g, "-");
}

type Report = (path: (string | number)[], message: string) => void;

function crossCheck(c: PodIdentityConfig, reportTo: Report): void {
  let problems = 0;
  const report: Report = (path, message) => {
    problems++;
    reportTo(path, message);
  };
  const known = (kind: string, map: Record<string, unknown>, key: string, path: (string | number)[]): boolean => {
    if (key in map) return true;
    const keys = Object.keys(map);
    report(path, `unknown ${kind} "${key}": declare it under ${kind === "account" ? "accounts" : kind === "cluster" ? "clusters" : kind === "Pod Identity role" ? "podIdentityRoles" : "targetRoles"}${keys.length > 0 ? ` (known: ${keys.join(", ")})` : ""}`);
    return false;
  };
  for (const [k, cl] of Object.entries(c.clusters)) known("account", c.accounts, cl.account, ["clusters", k, "account"]);
  for (const [k, r] of Object.entries(c.podIdentityRoles)) checkRole(c, r, ["podIdentityRoles", k], report, known);
  for (const [k, r] of Object.entries(c.targetRoles)) checkRole(c, r, ["targetRoles", k], report, known);

  const clusterIds = new Map<string, string>();
  for (const [k, cl] of Object.entries(c.clusters)) {
    const acct = c.accounts[cl.account];
    if (!acct) continue;
    const id = `${acct.accountId}/${cl.region ?? acct.region}/${cl.name ?? k}`;
    const first = clusterIds.get(id);
    if (first !== undefined) report(["clusters", k], `declares the same EKS cluster as "${first}" (${id}); keep one key per cluster`);
    else clusterIds.set(id, k);
  }

  const names = new Map<string, number>();
  const serviceAccounts = new Map<string, number>();
  const perCluster = new Map<string, number>();
  const usedTargets = new Set<string>();
  const usedPodRoles = new Set<string>();
  c.associations.forEach((a, i) => {
    const at = (field: string): (string | number)[] => ["associations", i, field];
    const name = associationName(a);
    const firstName = names.get(name);
    if (firstName !== undefined) report(at("name"), `"${name}" is already the name of associations[${firstName}]; give each association a unique name`);
    else names.set(name, i);
    const sessionTags = a.sessionTags ?? c.defaults.sessionTags;
    if (a.sessionPolicy !== undefined && sessionTags) {
      report(at("sessionPolicy"), "a session policy requires session tags off (EKS rejects the combination); set sessionTags: false or remove the session policy");
    }
    if (a.targetRole !== undefined && known("target role", c.targetRoles, a.targetRole, at("targetRole"))) usedTargets.add(a.targetRole);
    if (!known("cluster", c.clusters, a.cluster, at("cluster"))) return;
    const cluster = c.clusters[a.cluster]!;
    perCluster.set(a.cluster, (perCluster.get(a.cluster) ?? 0) + 1);
    const saKey = `${a.cluster}/${a.namespace}/${a.serviceAccount}`;
    const firstSa = serviceAccounts.get(saKey);
    if (firstSa !== undefined) {
      report(at("serviceAccount"), `"${a.namespace}/${a.serviceAccount}" in cluster "${a.cluster}" already has an association (associations[${firstSa}]); EKS allows one association per service account`);
    } else serviceAccounts.set(saKey, i);
    if (a.podIdentityRole !== undefined && known("Pod Identity role", c.podIdentityRoles, a.podIdentityRole, at("podIdentityRole"))) {
      usedPodRoles.add(a.podIdentityRole);
      const role = c.podIdentityRoles[a.podIdentityRole]!;
      const roleAcct = c.accounts[role.account];
      const clusterAcct = c.accounts[cluster.account];
      if (roleAcct && clusterAcct && roleAcct.accountId !== clusterAcct.accountId) {
        report(
          at("podIdentityRole"),
          `Pod Identity role "${a.podIdentityRole}" is in account "${role.account}" (${roleAcct.accountId}), but cluster "${a.cluster}" is in "${cluster.account}" (${clusterAcct.accountId}); a Pod Identity role must be in the cluster's account`,
        );
      }
      if (role.restrictToServiceAccounts && !sessionTags) {
        report(at("sessionTags"), `Pod Identity role "${a.podIdentityRole}" has restrictToServiceAccounts, which needs the session tags EKS sends; keep session tags on or use another Pod Identity role`);
      }
    }
  });
  for (const [k, n] of perCluster) {
    if (n > ASSOCIATIONS_PER_CLUSTER_LIMIT) {
      report(["associations"], `cluster "${k}" has ${n} associations, more than EKS's limit of ${ASSOCIATIONS_PER_CLUSTER_LIMIT} per cluster (not adjustable)`);
    }
  }
  for (const k of Object.keys(c.targetRoles)) {
    if (!usedTargets.has(k)) report(["targetRoles", k], `target role "${k}" is not used by any association; use it or remove it (a trust policy cannot be empty)`);
  }
  for (const k of Object.keys(c.podIdentityRoles)) {
    if (!usedPodRoles.has(k)) report(["podIdentityRoles", k], `Pod Identity role "${k}" is not used by any association; use it or remove it`);
  }
  if (problems > 0) return; // placing roles needs every reference resolved
  const cycle = stackCycleProblem(c);
  if (cycle) report(cycle.path, cycle.message);
}

function checkRole(
  c: PodIdentityConfig,
  r: { account: string; name?: string; namePrefix?: string; existingArn?: string; [k: string]: unknown },
  path: (string | number)[],
  report: Report,
  known: (kind: string, map: Record<string, unknown>, key: string, path: (string | number)[]) => boolean,
): void {
  known("account", c.accounts, r.account, [...path, "account"]);
  if (r.name !== undefined && r.namePrefix !== undefined) report([...path, "namePrefix"], "set either name or namePrefix, not both");
  if (r.existingArn !== undefined) {
    const own = Object.keys(roleFields).filter((f) => f !== "account" && f !== "existingArn" && r[f] !== undefined);
    const extra = [...own, ...["restrictSourceAccount", "restrictToServiceAccounts"].filter((f) => r[f] !== undefined)];
    if (extra.length > 0) report([...path, "existingArn"], `names a role owned elsewhere, so ${extra.join(", ")} cannot be set; remove them or drop existingArn`);
    const acct = c.accounts[r.account];
    const m = /^arn:[^:]+:iam::(\d{12}):role\//.exec(r.existingArn);
    if (acct && m && m[1] !== acct.accountId) report([...path, "existingArn"], `"${r.existingArn}" is in account ${m[1]}, but the role is declared in account "${r.account}" (${acct.accountId})`);
  }
}
