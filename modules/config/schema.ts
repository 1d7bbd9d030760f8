// The config file's definition: one zod schema, from which both validation and the published JSON Schema
// (pod-identity.schema.json, `npm run schema`) are generated. Field rules come from ../validation/rules.ts,
// with the JSON Schema keywords that express them; rules across fields and references between keys are
// checked by ./check.ts once this schema has passed.
import { z } from "zod";
import { addonPolicySchema } from "../policy/addons";
import { PARTITIONS } from "../policy/arn";
import { MANAGED_POLICIES_LIMIT, TRUST_POLICY_DEFAULT_LIMIT, TRUST_POLICY_MAX_LIMIT } from "../policy/size";
import { TARGET_TRUST_FORMS } from "../policy/trust";
import {
  accountIdRule,
  bucketNameRule,
  clusterNameRule,
  idKeyRule,
  keyRule,
  maxSessionDurationProblem,
  namespaceRule,
  policyArnRule,
  regionRule,
  roleArnRule,
  roleNamePrefixRule,
  roleNameRule,
  rolePathRule,
  serviceAccountRule,
  type StringRule,
} from "../validation/rules";

/** A string checked by one of the shared rules; the JSON Schema carries what the rule can say there. */
function checked(rule: StringRule, description: string, error?: z.core.$ZodErrorMap) {
  return z
    .string(error ? { error } : undefined)
    .superRefine((v, ctx) => {
      const problem = rule.check(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta({ description, ...rule.jsonSchema });
}

/** A string matching `re`, with `problem` (given the value) when it does not. */
function matching(re: RegExp, description: string, problem: (v: string) => string) {
  return z
    .string()
    .regex(re, { error: (iss) => problem(String(iss.input)) })
    .describe(description);
}

/**
 * A map from config keys to values, as a null-prototype object: a key named like an object member
 * (`toString`, `constructor`) is an ordinary key, and looking up an undeclared one finds nothing.
 */
function plainRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(key: K, value: V) {
  return z.record(key, value).transform((r) => Object.assign(Object.create(null) as Record<string, z.output<V>>, r));
}

/** Account ids are the one string that YAML reads as a number when unquoted, dropping leading zeros. */
const accountIdTypeError: z.core.$ZodErrorMap = (iss) => {
  if (typeof iss.input !== "number") return undefined;
  const digits = Number.isInteger(iss.input) && iss.input >= 0 ? String(iss.input) : undefined;
  const guess =
    digits !== undefined && digits.length < 12 ? `, e.g. "${digits.padStart(12, "0")}" if that is the id` : digits !== undefined ? `: "${digits}"` : "";
  return `YAML read the unquoted account id ${iss.input} as a number, which drops leading zeros; quote it${guess}`;
};

const key = (description: string) => checked(keyRule, description);
const idKey = (description: string) => checked(idKeyRule, description);

/**
 * Earlier keys of an entry whose key was renamed, oldest first: the app emits Terraform moved blocks from the
 * addresses they gave to the ones the key gives now (docs/config.md, Changing the config safely).
 */
const movedFrom = (rule: typeof keyRule, what: string) =>
  z
    .union([checked(rule, `An earlier key of this ${what}`), z.array(checked(rule, `An earlier key of this ${what}`)).min(1)])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .optional()
    .describe(`Earlier key(s) of this ${what}, oldest first: Terraform moves its resources from the addresses they gave instead of replacing them`);

const TAG_KEY = /^(?![aA][wW][sS]:).{1,128}$/u;
const tagsSchema = plainRecord(
  matching(TAG_KEY, "Tag key", (v) => `tag key "${v}" must be 1 to 128 characters and not start with "aws:" (reserved by AWS)`),
  z.string().max(256, { error: (iss) => `tag value "${String(iss.input)}" is longer than AWS's 256 characters` }),
)
  .refine((tags) => Object.keys(tags).length <= 50, { error: "more than 50 tags: AWS allows 50 per role or association" })
  .meta({ description: "Tags, key → value (at most 50)", maxProperties: 50 });

const SID = /^[A-Za-z0-9]*$/;
const oneOrMany = z.union([z.string(), z.array(z.string()).min(1)]);
const statementSchema = z
  .strictObject({
    Sid: matching(SID, "Statement id", (v) => `Sid "${v}" may contain only letters and digits (IAM's rule)`).optional(),
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

const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const assumeRoleSchema = z.strictObject({
  roleArn: checked(roleArnRule, "The deployer role Terraform assumes in this account (a role of this account)"),
  sessionName: matching(
    ROLE_SESSION_NAME,
    "Session name",
    (v) => `"${v}" is not a valid role session name: 2 to 64 letters, digits and + = , . @ _ -`,
  ).optional(),
  externalId: matching(
    EXTERNAL_ID,
    "External id the deployer role requires",
    (v) => `"${v}" is not a valid external id: 2 to 1224 letters, digits and + = , . @ : / _ -`,
  ).optional(),
});

const accountSchema = z
  .strictObject({
    accountId: checked(accountIdRule, "The 12-digit AWS account id (quote it)", accountIdTypeError),
    region: checked(regionRule, "The provider's region, e.g. eu-west-1"),
    partition: z.enum(PARTITIONS).optional().describe("Partition; default (and it must agree) derived from the region"),
    assumeRole: assumeRoleSchema.optional().describe("Deployer role to assume in this account"),
    profile: z.string().min(1).optional().describe("Named profile in the shared AWS config files"),
    defaultTags: tagsSchema.optional().describe("Tags the provider adds to every resource in this account"),
  })
  .describe("An AWS account: one aliased provider (alias = the key)");

const clusterSchema = z
  .strictObject({
    account: key("Key of the account the cluster is in"),
    name: checked(clusterNameRule, "The EKS cluster name; default the key").optional(),
    region: checked(regionRule, "The cluster's region (its associations are created there); default the account's region").optional(),
    movedFrom: movedFrom(idKeyRule, "cluster"),
  })
  .describe("An EKS cluster");

/** Fields every role takes. */
export const roleFields = {
  account: key("Key of the account the role lives in"),
  name: checked(roleNameRule, "Role name (≤ 64 characters); default the key").optional(),
  namePrefix: checked(roleNamePrefixRule, "Role name prefix (≤ 38); the ARN is then only known after apply").optional(),
  path: checked(rolePathRule, "IAM path; default defaults.rolePath").optional(),
  permissionsBoundary: checked(policyArnRule, "ARN of a permissions boundary policy (AWS managed, or of the role's account)").optional(),
  maxSessionDuration: z
    .number()
    .superRefine((v, ctx) => {
      const p = maxSessionDurationProblem(v);
      if (p) ctx.addIssue({ code: "custom", message: p });
    })
    .optional()
    .meta({ description: "Seconds, 3600 to 43200", type: "integer", minimum: 3600, maximum: 43200 }),
  tags: tagsSchema.optional(),
  managedPolicyArns: z
    .array(checked(policyArnRule, "Managed policy ARN (AWS managed, or of the role's account)"))
    .optional()
    .describe(`Managed policies to attach (IAM default quota: ${MANAGED_POLICIES_LIMIT})`),
  inlinePolicies: plainRecord(
    matching(/^[\w+=,.@-]{1,128}$/, "Inline policy name", (v) => `inline policy name "${v}" must be 1 to 128 letters, digits and + = , . @ _ -`),
    policyDocumentSchema,
  )
    .optional()
    .describe("Inline policies by name"),
  addonPolicies: z.array(addonPolicySchema).optional().describe("Add-on permission sets, rendered as inline policies"),
  existingArn: checked(
    roleArnRule,
    "Bring your own role: its ARN (a role of the account). Nothing is created; outputs carry the policy JSON its owners must apply",
  ).optional(),
};

const stackField = idKey("Stack to place the role in; default the stack of its first association").optional();

const podIdentityRoleSchema = z
  .strictObject({
    ...roleFields,
    stack: stackField,
    movedFrom: movedFrom(keyRule, "role"),
    restrictSourceAccount: z.boolean().optional().describe("Narrow the trust with aws:SourceAccount = the cluster account"),
    restrictToServiceAccounts: z.boolean().optional().describe("Narrow the trust to the namespaces/service accounts of its associations (needs session tags)"),
  })
  .describe("A Pod Identity role in a cluster's account; may serve many associations of that account");

const targetRoleSchema = z
  .strictObject({
    ...roleFields,
    stack: stackField,
    movedFrom: movedFrom(keyRule, "role"),
  })
  .describe("A target role in any account of the clusters' partition, trusted by the Pod Identity roles of its associations");

const associationSchema = z
  .strictObject({
    name: idKey(
      "Names the association in messages, and its dedicated Pod Identity role unless podIdentityRoleName is set; default CLUSTER-NAMESPACE-SERVICEACCOUNT. Terraform addresses do not depend on it",
    ).optional(),
    cluster: key("Key of the cluster"),
    namespace: checked(namespaceRule, "Kubernetes namespace"),
    serviceAccount: checked(serviceAccountRule, "Kubernetes service account"),
    podIdentityRole: key("Key of a Pod Identity role; default a dedicated role named after the association").optional(),
    podIdentityRoleName: checked(roleNameRule, "Name of the dedicated Pod Identity role (without podIdentityRole); default the association's name").optional(),
    targetRole: key("Key of a target role; default none (no chaining)").optional(),
    sessionTags: z.boolean().optional().describe("Session tags on; default defaults.sessionTags"),
    trustForm: z
      .enum(TARGET_TRUST_FORMS)
      .optional()
      .describe("principal-arn (default) or role-principal (older form; breaks if the Pod Identity role is recreated)"),
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
        bucket: checked(bucketNameRule, "The state bucket"),
        region: checked(regionRule, "The bucket's region"),
        keyPrefix: z.string().min(1).max(900).default("pod-identity").describe("Object key is <keyPrefix>/<stack>.tfstate"),
        encrypt: z.boolean().default(true),
        profile: z.string().min(1).optional(),
        roleArn: checked(roleArnRule, "Role to assume for state access").optional(),
      })
      .describe("S3 state with a lock file (use_lockfile) and one key per stack"),
  ])
  .describe("Where Terraform keeps state");

/** The config file: every field checked on its own; ./check.ts checks references and rules across fields. */
export const configSchema = z.strictObject({
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
      rolePath: checked(rolePathRule, "Path of roles that set none").default("/"),
      tags: tagsSchema.prefault({}),
    })
    .prefault({}),
  stacks: z
    .strictObject({
      groupBy: z
        .enum(["clusterAccount", "cluster", "single"])
        .default("clusterAccount")
        .describe("One stack per cluster account (default), per cluster, or one"),
      name: idKey("Stack name with groupBy: single").default("pod-identity"),
      labelAddressMoves: z
        .boolean()
        .default(true)
        .describe(
          "Moved blocks from the addresses associations had before addresses followed identity (named after the association); turn off once every deployment has applied a plan made with this version",
        ),
    })
    .prefault({}),
  backend: backendSchema.prefault({ type: "local" }),
  accounts: plainRecord(idKey("Account key: the provider alias"), accountSchema),
  clusters: plainRecord(idKey("Cluster key"), clusterSchema),
  podIdentityRoles: plainRecord(key("Pod Identity role key"), podIdentityRoleSchema).prefault({}),
  targetRoles: plainRecord(key("Target role key"), targetRoleSchema).prefault({}),
  associations: z.array(associationSchema).min(1),
});

export type PodIdentityConfig = z.output<typeof configSchema>;
export type AccountConfig = PodIdentityConfig["accounts"][string];
export type ClusterConfig = PodIdentityConfig["clusters"][string];
export type PodIdentityRoleConfig = PodIdentityConfig["podIdentityRoles"][string];
export type TargetRoleConfig = PodIdentityConfig["targetRoles"][string];
export type AssociationConfig = PodIdentityConfig["associations"][number];

/** The association's name: given, or CLUSTER-NAMESPACE-SERVICEACCOUNT. */
export function associationName(a: Pick<AssociationConfig, "name" | "cluster" | "namespace" | "serviceAccount">): string {
  return a.name ?? `${a.cluster}-${a.namespace}-${a.serviceAccount}`.replace(/\./g, "-");
}
