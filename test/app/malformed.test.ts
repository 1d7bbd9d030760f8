// Malformed configs, table-driven, through the app's entry point (runSynth, which main.ts runs; a handful also
// as real `tsx main.ts` processes at the end): every one exits 1 with one report naming the file and the
// field, no stack trace, and nothing written. Where JSON Schema can express the rule, the published
// schema (checked with ajv, an independent validator) refuses the same config.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { dump } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { runSynth } from "../../modules/synth";
import { openToUnprivileged, runUnprivileged } from "../support/unprivileged";

const ROOT = path.join(__dirname, "..", "..");
const work = mkdtempSync(path.join(tmpdir(), "pod-identity-malformed-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const schema = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(path.join(ROOT, "pod-identity.schema.json"), "utf8")));

type Config = Record<string, any>;
const base = (): Config => ({
  accounts: {
    platform: { accountId: "111111111111", region: "eu-west-1", assumeRole: { roleArn: "arn:aws:iam::111111111111:role/deployer" } },
    data: { accountId: "222222222222", region: "eu-west-1" },
  },
  clusters: { prod: { account: "platform", name: "prod-eu" } },
  podIdentityRoles: { hub: { account: "platform", name: "hub" } },
  targetRoles: { reader: { account: "data", managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] } },
  associations: [
    { cluster: "prod", namespace: "payments", serviceAccount: "api", podIdentityRole: "hub", targetRole: "reader" },
    { cluster: "prod", namespace: "etl", serviceAccount: "job", targetRole: "reader", sessionTags: false },
  ],
});
const doc = (statement: Record<string, unknown>) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", ...statement }] });
const aws = "arn:aws:iam::aws:policy/ReadOnlyAccess";

interface Case {
  readonly name: string;
  readonly category: string;
  /** The field the report must name (`path:` as printed), or null for a file-level problem (one line). */
  readonly field: string | null;
  /** A change to the valid base config… */
  readonly mutate?: (c: Config) => void;
  /** …or the file's text as written… */
  readonly text?: string;
  /** …or a path prepared in the case's directory (returns the path to give POD_IDENTITY_CONFIG). */
  readonly setup?: (dir: string) => string;
  /** File name in the case's directory. @default pod-identity.yaml */
  readonly file?: string;
  /** What the message must say besides naming the field. */
  readonly says?: RegExp;
  /** The published JSON Schema can express the rule: ajv must refuse the config too. */
  readonly jsonSchema?: boolean;
}

const c = (category: string, name: string, field: string | null, mutate: (c: Config) => void, says?: RegExp, jsonSchema = false): Case => ({
  category,
  name,
  field,
  mutate,
  says,
  jsonSchema,
});
const schemaCase = (category: string, name: string, field: string, mutate: (c: Config) => void, says?: RegExp): Case =>
  c(category, name, field, mutate, says, true);
const text = (category: string, name: string, field: string | null, body: string, says?: RegExp, file?: string): Case => ({
  category,
  name,
  field,
  text: body,
  says,
  file,
});
const hostile = (name: string, setup: (dir: string) => string, says: RegExp): Case => ({ category: "hostile files", name, field: null, setup, says });

const aliasBomb = [
  "a: &a [x, x, x, x, x, x, x, x, x, x]",
  ...Array.from({ length: 8 }, (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(", ")}]`),
].join("\n");

const CASES: Case[] = [
  // syntax
  text("syntax", "an unclosed flow list", null, "accounts: [\n", /not valid YAML at line 2, column 1/),
  text(
    "syntax",
    "a tab in indentation",
    null,
    "accounts:\n\tplatform: {}\n",
    /not valid YAML at line 2, column 1: tab characters must not be used in indentation/,
  ),
  text("syntax", "a duplicated key", null, "clusters: {}\nclusters: {}\n", /not valid YAML at line 2, column 1: duplicated mapping key/),
  text("syntax", "two documents", null, "accounts: {}\n---\nclusters: {}\n", /expected a single document/),
  text("syntax", "an unknown tag", null, "accounts: !!js/function 'x'\n", /unknown scalar tag/),
  text("syntax", "an alias to no anchor", null, "accounts: *nowhere\n", /unidentified alias "nowhere"/),
  text("syntax", "an empty file", null, "", /is empty/),
  text("syntax", "only comments", null, "# nothing here\n# at all\n", /is empty/),
  text("syntax", "JSON with a trailing comma", null, '{"accounts": {},}', /not valid JSON/, "pod-identity.json"),
  text(
    "syntax",
    "JSON with a duplicated key",
    null,
    '{"accounts": {}, "accounts": {}}',
    /not valid JSON at line 1, column \d+: duplicated mapping key/,
    "pod-identity.json",
  ),
  text("syntax", "a list at the top level", "(top level)", "- accounts\n", /expected a map, got a list/),
  text("syntax", "a scalar at the top level", "(top level)", "hello\n", /expected a map, got "hello"/),
  // types
  c(
    "types",
    "an unquoted account id (YAML reads a number)",
    "accounts.platform.accountId",
    (x) => void (x.accounts.platform.accountId = 12345678901),
    /quote it, e\.g\. "012345678901"/,
    true,
  ),
  schemaCase("types", "a region that is a number", "accounts.data.region", (x) => void (x.accounts.data.region = 1), /quote it/),
  schemaCase(
    "types",
    "a namespace YAML reads as a number",
    "associations[0].namespace",
    (x) => void (x.associations[0].namespace = 123),
    /YAML read 123 as a number/,
  ),
  schemaCase(
    "types",
    "a service account YAML reads as a boolean",
    "associations[0].serviceAccount",
    (x) => void (x.associations[0].serviceAccount = true),
    /as a boolean/,
  ),
  schemaCase(
    "types",
    "session tags as a string",
    "associations[1].sessionTags",
    (x) => void (x.associations[1].sessionTags = "no"),
    /expected true or false, got "no"/,
  ),
  schemaCase(
    "types",
    "a max session duration as a string",
    "targetRoles.reader.maxSessionDuration",
    (x) => void (x.targetRoles.reader.maxSessionDuration = "3600"),
    /expected a number/,
  ),
  schemaCase("types", "associations as a map", "associations", (x) => void (x.associations = { a: x.associations[0] }), /expected a list, got a map/),
  schemaCase("types", "accounts as a list", "accounts", (x) => void (x.accounts = [x.accounts.platform]), /expected a map, got a list/),
  schemaCase("types", "clusters left empty (null)", "clusters", (x) => void (x.clusters = null), /is empty; give a map/),
  schemaCase("types", "a tag value that is a number", "associations[0].tags.cost", (x) => void (x.associations[0].tags = { cost: 42 }), /quote it/),
  schemaCase(
    "types",
    "managed policies as one string",
    "targetRoles.reader.managedPolicyArns",
    (x) => void (x.targetRoles.reader.managedPolicyArns = aws),
    /expected a list/,
  ),
  schemaCase(
    "types",
    "a fractional trust policy limit",
    "defaults.trustPolicyMaxSize",
    (x) => void (x.defaults = { trustPolicyMaxSize: 2048.5 }),
    /whole number/,
  ),
  // unknown keys
  schemaCase("unknown keys", "a misspelt top-level section", "(top level)", (x) => void (x.association = []), /unknown field "association"/),
  schemaCase("unknown keys", "a misspelt account field", "accounts.data", (x) => void (x.accounts.data.acountId = "1"), /unknown field "acountId"/),
  schemaCase("unknown keys", "a misspelt cluster field", "clusters.prod", (x) => void (x.clusters.prod.regoin = "eu-west-1"), /unknown field "regoin"/),
  schemaCase(
    "unknown keys",
    "a misspelt association field",
    "associations[0]",
    (x) => void (x.associations[0].serviceaccount = "api"),
    /unknown field "serviceaccount"/,
  ),
  schemaCase(
    "unknown keys",
    "a misspelt role field",
    "targetRoles.reader",
    (x) => void (x.targetRoles.reader.managedPolicies = []),
    /unknown field "managedPolicies"/,
  ),
  schemaCase("unknown keys", "a misspelt default", "defaults", (x) => void (x.defaults = { sesionTags: false }), /unknown field "sesionTags"/),
  schemaCase(
    "unknown keys",
    "a misspelt S3 backend field",
    "backend",
    (x) => void (x.backend = { type: "s3", buckt: "b", region: "eu-west-1" }),
    /unknown field "buckt"|bucket: required/,
  ),
  schemaCase(
    "unknown keys",
    "an unknown backend type",
    "backend.type",
    (x) => void (x.backend = { type: "gcs" }),
    /backend\.type: "gcs" is not allowed here: use "local", "s3"/,
  ),
  schemaCase(
    "unknown keys",
    "an unknown add-on",
    "targetRoles.reader.addonPolicies[0].name",
    (x) => void (x.targetRoles.reader.addonPolicies = [{ name: "external-dnss", hostedZoneArns: [] }]),
  ),
  schemaCase(
    "unknown keys",
    "a misspelt policy statement field",
    "targetRoles.reader.inlinePolicies.p.Statement[0]",
    (x) => void (x.targetRoles.reader.inlinePolicies = { p: doc({ Resources: "*" }) }),
    /unknown field "Resources"/,
  ),
  schemaCase(
    "unknown keys",
    "an unknown grouping",
    "stacks.groupBy",
    (x) => void (x.stacks = { groupBy: "region" }),
    /use "clusterAccount", "cluster", "single"/,
  ),
  // ids
  schemaCase("ids", "an 11-digit account id", "accounts.data.accountId", (x) => void (x.accounts.data.accountId = "22222222222"), /exactly 12 digits/),
  schemaCase("ids", "a 13-digit account id", "accounts.data.accountId", (x) => void (x.accounts.data.accountId = "2222222222222"), /exactly 12 digits/),
  schemaCase("ids", "an account id with letters", "accounts.data.accountId", (x) => void (x.accounts.data.accountId = "22222222222a"), /exactly 12 digits/),
  schemaCase("ids", "a region that is no region", "accounts.data.region", (x) => void (x.accounts.data.region = "europe"), /not an AWS region name/),
  schemaCase(
    "ids",
    "a region of an unsupported partition",
    "clusters.prod.region",
    (x) => void (x.clusters.prod.region = "us-iso-east-1"),
    /aws-iso partition, which this project does not support/,
  ),
  schemaCase("ids", "an unsupported partition", "accounts.data.partition", (x) => void (x.accounts.data.partition = "aws-iso"), /is not allowed here/),
  // names
  schemaCase("names", "a namespace in capitals", "associations[0].namespace", (x) => void (x.associations[0].namespace = "Payments"), /DNS-1123 label/),
  schemaCase(
    "names",
    "a 64-character namespace",
    "associations[0].namespace",
    (x) => void (x.associations[0].namespace = "n".repeat(64)),
    /1 to 63 characters/,
  ),
  schemaCase(
    "names",
    "a service account with '_'",
    "associations[0].serviceAccount",
    (x) => void (x.associations[0].serviceAccount = "ETL_Job"),
    /DNS-1123 subdomain/,
  ),
  schemaCase(
    "names",
    "a 254-character service account",
    "associations[0].serviceAccount",
    (x) => void (x.associations[0].serviceAccount = "s".repeat(254)),
    /1 to 253 characters/,
  ),
  schemaCase("names", "a cluster name starting with '-'", "clusters.prod.name", (x) => void (x.clusters.prod.name = "-prod"), /start with a letter or digit/),
  schemaCase("names", "a 101-character cluster name", "clusters.prod.name", (x) => void (x.clusters.prod.name = "c".repeat(101)), /1 to 100 characters/),
  schemaCase(
    "names",
    "a 65-character role name",
    "podIdentityRoles.hub.name",
    (x) => void (x.podIdentityRoles.hub.name = "r".repeat(65)),
    /1 to 64 characters/,
  ),
  schemaCase(
    "names",
    "a role name with a space",
    "podIdentityRoles.hub.name",
    (x) => void (x.podIdentityRoles.hub.name = "my hub"),
    /use only letters, digits/,
  ),
  schemaCase(
    "names",
    "a 39-character name prefix",
    "targetRoles.reader.namePrefix",
    (x) => void (x.targetRoles.reader.namePrefix = "p".repeat(39)),
    /1 to 38 characters/,
  ),
  schemaCase("names", "a path without its leading '/'", "defaults.rolePath", (x) => void (x.defaults = { rolePath: "pi/" }), /start and end with/),
  schemaCase("names", "a path with '//'", "targetRoles.reader.path", (x) => void (x.targetRoles.reader.path = "/a//b/"), /no "\/\/"/),
  schemaCase("names", "a cluster key with a dot", 'clusters["prod.eu"]', (x) => void (x.clusters["prod.eu"] = x.clusters.prod), /not a valid key/),
  schemaCase("names", "an association name with a space", "associations[0].name", (x) => void (x.associations[0].name = "payments api"), /not a valid key/),
  schemaCase("names", "an invalid stack name", "stacks.name", (x) => void (x.stacks = { groupBy: "single", name: "9stacks" }), /not a valid key/),
  schemaCase(
    "names",
    "an account key of 300 characters (a stack directory name)",
    `accounts.${"a".repeat(300)}`,
    (x) => {
      x.accounts["a".repeat(300)] = x.accounts.data;
      delete x.accounts.data;
      x.targetRoles.reader.account = "a".repeat(300);
    },
    /\(300 characters\) is too long for a key: at most 128 .*; shorten it/,
  ),
  schemaCase(
    "names",
    "a cluster key of 200 characters grouped by cluster",
    `clusters.${"c".repeat(200)}`,
    (x) => {
      x.clusters["c".repeat(200)] = x.clusters.prod;
      delete x.clusters.prod;
      for (const a of x.associations) a.cluster = "c".repeat(200);
      x.stacks = { groupBy: "cluster" };
    },
    /\(200 characters\) is too long for a key: at most 128/,
  ),
  schemaCase(
    "names",
    "a stack name of 129 characters",
    "stacks.name",
    (x) => void (x.stacks = { groupBy: "single", name: "s".repeat(129) }),
    /too long for a key/,
  ),
  c(
    "names",
    "a derived association name too long for its role",
    "associations[1]",
    (x) => void (x.associations[1].serviceAccount = `job-${"x".repeat(60)}`),
    /default name "prod-etl-job-x+" \(\d+ characters\) also names the Pod Identity role created for it, and IAM role names are at most 64 characters: set a shorter name \(associations\[1\]\.name\)/,
  ),
  c(
    "names",
    "an association name too long for its role",
    "associations[1].name",
    (x) => void (x.associations[1].name = `etl-${"x".repeat(61)}`),
    /also names the Pod Identity role created for it.*shorten it, set podIdentityRoleName, or use a shared Pod Identity role/,
  ),
  c(
    "names",
    "a shared role named after a key too long",
    "targetRoles.reader-of-everything-in-the-data-account-for-every-team-in-the-company",
    (x) => {
      x.targetRoles["reader-of-everything-in-the-data-account-for-every-team-in-the-company"] = x.targetRoles.reader;
      delete x.targetRoles.reader;
      for (const a of x.associations) a.targetRole = "reader-of-everything-in-the-data-account-for-every-team-in-the-company";
    },
    /named after its key.*at most 64 characters: set name/,
  ),
  schemaCase(
    "names",
    "a tag key starting with aws:",
    'associations[0].tags["aws:owner"]',
    (x) => void (x.associations[0].tags = { "aws:owner": "me" }),
    /reserved by AWS/,
  ),
  schemaCase(
    "names",
    "a 257-character tag value",
    "defaults.tags.team",
    (x) => void (x.defaults = { tags: { team: "t".repeat(257) } }),
    /longer than AWS's 256/,
  ),
  schemaCase(
    "names",
    "an inline policy name with a space",
    'targetRoles.reader.inlinePolicies["read all"]',
    (x) => void (x.targetRoles.reader.inlinePolicies = { "read all": doc({ Resource: "*" }) }),
    /inline policy name "read all"/,
  ),
  schemaCase(
    "names",
    "a statement id with '-'",
    "targetRoles.reader.inlinePolicies.p.Statement[0].Sid",
    (x) => void (x.targetRoles.reader.inlinePolicies = { p: doc({ Sid: "read-all", Resource: "*" }) }),
    /only letters and digits/,
  ),
  schemaCase(
    "names",
    "a deployer session name with a space",
    "accounts.platform.assumeRole.sessionName",
    (x) => void (x.accounts.platform.assumeRole.sessionName = "pod identity"),
    /role session name/,
  ),
  schemaCase(
    "names",
    "a one-character external id",
    "accounts.platform.assumeRole.externalId",
    (x) => void (x.accounts.platform.assumeRole.externalId = "x"),
    /not a valid external id/,
  ),
  schemaCase(
    "names",
    "an S3 bucket name in capitals",
    "backend.bucket",
    (x) => void (x.backend = { type: "s3", bucket: "TF-State", region: "eu-west-1" }),
    /not a valid S3 bucket name/,
  ),
  // ARNs
  schemaCase(
    "ARNs",
    "an existing role that is a user",
    "targetRoles.reader.existingArn",
    (x) => void (x.targetRoles.reader = { account: "data", existingArn: "arn:aws:iam::222222222222:user/bob" }),
    /not an IAM role ARN/,
  ),
  schemaCase(
    "ARNs",
    "an existing role ARN with no name",
    "targetRoles.reader.existingArn",
    (x) => void (x.targetRoles.reader = { account: "data", existingArn: "arn:aws:iam::222222222222:role/" }),
    /1 to 64 characters/,
  ),
  schemaCase(
    "ARNs",
    "an existing role ARN with '//'",
    "targetRoles.reader.existingArn",
    (x) => void (x.targetRoles.reader = { account: "data", existingArn: "arn:aws:iam::222222222222:role//x" }),
    /not a valid IAM path/,
  ),
  schemaCase(
    "ARNs",
    "a boundary that is a role",
    "targetRoles.reader.permissionsBoundary",
    (x) => void (x.targetRoles.reader.permissionsBoundary = "arn:aws:iam::222222222222:role/b"),
    /not an IAM policy ARN/,
  ),
  schemaCase(
    "ARNs",
    "a managed policy that is a bucket",
    "targetRoles.reader.managedPolicyArns[0]",
    (x) => void (x.targetRoles.reader.managedPolicyArns = ["arn:aws:s3:::bucket"]),
    /not an IAM policy ARN/,
  ),
  schemaCase(
    "ARNs",
    "a deployer role of an unknown partition",
    "accounts.platform.assumeRole.roleArn",
    (x) => void (x.accounts.platform.assumeRole.roleArn = "arn:aws-foo:iam::111111111111:role/d"),
    /partition "aws-foo"/,
  ),
  schemaCase(
    "ARNs",
    "a policy ARN with an 11-digit account",
    "targetRoles.reader.managedPolicyArns[0]",
    (x) => void (x.targetRoles.reader.managedPolicyArns = ["arn:aws:iam::12345678901:policy/p"]),
    /an ARN's account must be 12 digits/,
  ),
  schemaCase(
    "ARNs",
    "a managed policy ARN with a region",
    "targetRoles.reader.managedPolicyArns[0]",
    (x) => void (x.targetRoles.reader.managedPolicyArns = ["arn:aws:iam:eu-west-1:222222222222:policy/p"]),
    /not an IAM policy ARN: .*no region/,
  ),
  schemaCase(
    "ARNs",
    "a boundary ARN with no account",
    "targetRoles.reader.permissionsBoundary",
    (x) => void (x.targetRoles.reader.permissionsBoundary = "arn:aws:iam:::policy/cap"),
    /not an IAM policy ARN/,
  ),
  schemaCase(
    "ARNs",
    "not an ARN at all",
    "backend.roleArn",
    (x) => void (x.backend = { type: "s3", bucket: "tf-state", region: "eu-west-1", roleArn: "deployer" }),
    /not an ARN/,
  ),
  schemaCase(
    "ARNs",
    "an add-on hosted zone that is not one",
    "targetRoles.reader.addonPolicies[0].hostedZoneArns[0]",
    (x) => void (x.targetRoles.reader.addonPolicies = [{ name: "external-dns", hostedZoneArns: ["arn:aws:route53:::zone/Z1"] }]),
    /must be an ARN like/,
  ),
  schemaCase(
    "ARNs",
    "an add-on secret that is not one",
    "targetRoles.reader.addonPolicies[0].secretArns[0]",
    (x) => void (x.targetRoles.reader.addonPolicies = [{ name: "external-secrets", secretArns: ["arn:aws:s3:::b"] }]),
    /must be an ARN like/,
  ),
  // partitions
  c(
    "partitions",
    "partition aws-cn with an EU region",
    "accounts.data.partition",
    (x) => void (x.accounts.data.partition = "aws-cn"),
    /partition "aws-cn" contradicts region "eu-west-1", which is in the aws partition/,
  ),
  c(
    "partitions",
    "partition aws with a China region",
    "accounts.data.partition",
    (x) => void Object.assign(x.accounts.data, { region: "cn-north-1", partition: "aws" }),
    /contradicts region "cn-north-1", which is in the aws-cn partition/,
  ),
  c(
    "partitions",
    "a China cluster under an aws account",
    "clusters.prod.region",
    (x) => void (x.clusters.prod.region = "cn-north-1"),
    /region "cn-north-1" is in the aws-cn partition, but account "platform" \(111111111111\) is in aws/,
  ),
  c(
    "partitions",
    "an aws existing role on a China account",
    "targetRoles.reader.existingArn",
    (x) => {
      x.accounts.data.region = "cn-north-1";
      x.targetRoles.reader = { account: "data", existingArn: "arn:aws:iam::222222222222:role/reader" };
    },
    /is in the aws partition, but account 222222222222 is in aws-cn; ARNs never cross partitions/,
  ),
  c(
    "partitions",
    "a GovCloud managed policy on an aws account",
    "targetRoles.reader.managedPolicyArns[0]",
    (x) => void (x.targetRoles.reader.managedPolicyArns = ["arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"]),
    /aws-us-gov partition, but account 222222222222 is in aws/,
  ),
  c(
    "partitions",
    "a China boundary on an aws account",
    "podIdentityRoles.hub.permissionsBoundary",
    (x) => void (x.podIdentityRoles.hub.permissionsBoundary = "arn:aws-cn:iam::111111111111:policy/b"),
    /ARNs never cross partitions/,
  ),
  c(
    "partitions",
    "an aws deployer role on a GovCloud account",
    "accounts.data.assumeRole.roleArn",
    (x) => void Object.assign(x.accounts.data, { region: "us-gov-west-1", assumeRole: { roleArn: "arn:aws:iam::222222222222:role/deployer" } }),
    /ARNs never cross partitions/,
  ),
  c(
    "partitions",
    "a target role in aws for a China cluster",
    "associations[0].targetRole",
    (x) => {
      x.accounts.platform = { accountId: "111111111111", region: "cn-north-1" };
    },
    /target role "reader" is in the aws partition, but cluster "prod" is in aws-cn; trust between partitions is impossible/,
  ),
  c(
    "partitions",
    "an add-on KMS key of another partition",
    "targetRoles.reader.addonPolicies[0].kmsKeyArns[0]",
    (x) =>
      void (x.targetRoles.reader.addonPolicies = [
        {
          name: "velero",
          bucketArns: ["arn:aws:s3:::backups"],
          kmsKeyArns: ["arn:aws-cn:kms:cn-north-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
        },
      ]),
    /ARNs never cross partitions/,
  ),
  c(
    "partitions",
    "an inline policy resource of another partition",
    "targetRoles.reader.inlinePolicies.p.Statement[0].Resource",
    (x) => void (x.targetRoles.reader.inlinePolicies = { p: doc({ Resource: "arn:aws-cn:s3:::bucket/*" }) }),
    /ARNs never cross partitions/,
  ),
  c(
    "partitions",
    "a session policy resource of another partition",
    "associations[1].sessionPolicy.Statement[0].Resource",
    (x) => void (x.associations[1].sessionPolicy = doc({ Resource: "arn:aws-us-gov:s3:::bucket/*" })),
    /ARNs never cross partitions/,
  ),
  // accounts
  c(
    "accounts",
    "a deployer role of another account",
    "accounts.platform.assumeRole.roleArn",
    (x) => void (x.accounts.platform.assumeRole.roleArn = "arn:aws:iam::999999999999:role/deployer"),
    /is in account 999999999999, but it is used with account 111111111111/,
  ),
  c(
    "accounts",
    "an existing role of another account",
    "targetRoles.reader.existingArn",
    (x) => void (x.targetRoles.reader = { account: "data", existingArn: "arn:aws:iam::333333333333:role/reader" }),
    /is in account 333333333333, but it is used with account 222222222222/,
  ),
  c(
    "accounts",
    "a customer managed policy of another account",
    "targetRoles.reader.managedPolicyArns[0]",
    (x) => void (x.targetRoles.reader.managedPolicyArns = ["arn:aws:iam::333333333333:policy/p"]),
    /policy of account 333333333333, but a role of account 222222222222 can only use AWS managed policies or policies of its own account/,
  ),
  c(
    "accounts",
    "a boundary of another account",
    "targetRoles.reader.permissionsBoundary",
    (x) => void (x.targetRoles.reader.permissionsBoundary = "arn:aws:iam::333333333333:policy/b"),
    /can only use AWS managed policies or policies of its own account/,
  ),
  c(
    "accounts",
    "an EFS file system of another account",
    "targetRoles.reader.addonPolicies[0].fileSystemArns[0]",
    (x) =>
      void (x.targetRoles.reader.addonPolicies = [
        { name: "efs-csi", fileSystemArns: ["arn:aws:elasticfilesystem:eu-west-1:333333333333:file-system/fs-0123456789abcdef0"] },
      ]),
    /elasticfilesystem resources can only be managed from their own account/,
  ),
  // references
  c(
    "references",
    "an unknown cluster",
    "associations[0].cluster",
    (x) => void (x.associations[0].cluster = "nope"),
    /unknown cluster "nope": declare it under clusters \(known: prod\)/,
  ),
  c("references", "a cluster in an unknown account", "clusters.prod.account", (x) => void (x.clusters.prod.account = "nope"), /unknown account "nope"/),
  c("references", "a role in an unknown account", "targetRoles.reader.account", (x) => void (x.targetRoles.reader.account = "nope"), /unknown account "nope"/),
  c(
    "references",
    "an unknown Pod Identity role",
    "associations[0].podIdentityRole",
    (x) => void (x.associations[0].podIdentityRole = "nope"),
    /unknown Pod Identity role "nope"/,
  ),
  c("references", "an unknown target role", "associations[1].targetRole", (x) => void (x.associations[1].targetRole = "nope"), /unknown target role "nope"/),
  c(
    "references",
    "a Pod Identity role in another account than its cluster",
    "associations[0].podIdentityRole",
    (x) => void (x.podIdentityRoles.hub.account = "data"),
    /must be in its cluster's account/,
  ),
  c("references", "an unused target role", "targetRoles.spare", (x) => void (x.targetRoles.spare = { account: "data" }), /no association uses this role/),
  c(
    "references",
    "an unused Pod Identity role",
    "podIdentityRoles.spare",
    (x) => void (x.podIdentityRoles.spare = { account: "platform" }),
    /no association uses this role/,
  ),
  c(
    "references",
    "shared roles placed in a stack cycle",
    "associations[3].targetRole",
    (x) => {
      x.accounts.dev = { accountId: "444444444444", region: "eu-west-1" };
      x.clusters.dev = { account: "dev" };
      x.targetRoles.other = { account: "data" };
      x.associations = [
        { cluster: "prod", namespace: "a", serviceAccount: "a", targetRole: "reader" },
        { cluster: "dev", namespace: "b", serviceAccount: "b", targetRole: "other" },
        { cluster: "dev", namespace: "c", serviceAccount: "c", targetRole: "reader" },
        { cluster: "prod", namespace: "d", serviceAccount: "d", targetRole: "other" },
      ];
      delete x.podIdentityRoles;
    },
    /depend on each other in a cycle/,
  ),
  // duplicates
  c(
    "duplicates",
    "two associations for one service account",
    "associations[1].serviceAccount",
    (x) => void Object.assign(x.associations[1], { namespace: "payments", serviceAccount: "api" }),
    /already has an association \(associations\[0\]\)/,
  ),
  c(
    "duplicates",
    "two associations with one name",
    "associations[1].name",
    (x) => {
      x.associations[0].name = "same";
      x.associations[1].name = "same";
    },
    /already the name of associations\[0\]/,
  ),
  c(
    "duplicates",
    "one cluster under two keys",
    "clusters.again",
    (x) => void (x.clusters.again = { account: "platform", name: "prod-eu" }),
    /declares the same EKS cluster as "prod"/,
  ),
  c(
    "duplicates",
    "a role name used twice in one account",
    "associations[1].name",
    (x) => {
      x.podIdentityRoles.hub.name = "etl-role";
      x.associations[1].name = "etl-role";
    },
    /role name "etl-role" is already used by podIdentityRoles\.hub in account 111111111111/,
  ),
  c(
    "duplicates",
    "both name and namePrefix",
    "targetRoles.reader.namePrefix",
    (x) => void Object.assign(x.targetRoles.reader, { name: "r", namePrefix: "r-" }),
    /set either name or namePrefix, not both/,
  ),
  c(
    "duplicates",
    "role options on a bring-your-own role",
    "targetRoles.reader.existingArn",
    (x) => void (x.targetRoles.reader.existingArn = "arn:aws:iam::222222222222:role/r"),
    /names a role owned elsewhere, so managedPolicyArns cannot be set/,
  ),
  c(
    "duplicates",
    "an inline policy named like the policy of an add-on of the role",
    "targetRoles.reader.inlinePolicies.addon-external-dns",
    (x) =>
      void Object.assign(x.targetRoles.reader, {
        inlinePolicies: { "addon-external-dns": doc({ Resource: "*" }) },
        addonPolicies: [{ name: "external-dns", hostedZoneArns: ["arn:aws:route53:::hostedzone/Z1"] }],
      }),
    /: the name is reserved for the policy of the role's add-on "external-dns" \(addonPolicies\); rename it\n/,
  ),
  c(
    "duplicates",
    "an inline policy of a Pod Identity role named like its chain policy",
    "podIdentityRoles.hub.inlinePolicies.pod-identity-chain",
    (x) => void (x.podIdentityRoles.hub.inlinePolicies = { "pod-identity-chain": doc({ Resource: "*" }) }),
    /: the name is reserved for the policy that lets the role chain into its target roles; rename it\n/,
  ),
  // quotas and rules across fields
  schemaCase(
    "quotas",
    "a trust policy limit above 4,096",
    "defaults.trustPolicyMaxSize",
    (x) => void (x.defaults = { trustPolicyMaxSize: 9000 }),
    /defaults\.trustPolicyMaxSize: 9000 is more than the maximum, 4096/,
  ),
  schemaCase(
    "quotas",
    "a max session duration of a minute",
    "targetRoles.reader.maxSessionDuration",
    (x) => void (x.targetRoles.reader.maxSessionDuration = 60),
    /3600 \(1 hour\) to 43200/,
  ),
  schemaCase(
    "quotas",
    "51 tags",
    "associations[0].tags",
    (x) => void (x.associations[0].tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]))),
    /more than 50 tags/,
  ),
  c(
    "quotas",
    "11 managed policies",
    "managedPolicyArns",
    (x) => void (x.targetRoles.reader.managedPolicyArns = Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`)),
    /11 managed policies are attached, more than IAM's default quota of 10/,
  ),
  c(
    "quotas",
    "inline policies over 10,240 characters",
    "inlinePolicies",
    (x) => void (x.targetRoles.reader.inlinePolicies = { big: doc({ Resource: Array.from({ length: 400 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) }) }),
    /the inline policies total \d+ characters/,
  ),
  c(
    "quotas",
    "a trust policy over 2,048 characters",
    "trust policy",
    (x) => {
      x.associations = Array.from({ length: 12 }, (_, i) => ({
        cluster: "prod",
        namespace: `namespace-${i}`,
        serviceAccount: `service-account-${i}`,
        podIdentityRole: "hub",
        targetRole: "reader",
      }));
    },
    /characters \(minified\), more than the limit of 2048/,
  ),
  c(
    "quotas",
    "more than 5,000 associations on one cluster",
    "associations",
    (x) => {
      x.associations = Array.from({ length: 5001 }, (_, i) => ({
        cluster: "prod",
        namespace: "ns",
        serviceAccount: `sa-${i}`,
        podIdentityRole: "hub",
        targetRole: "reader",
      }));
    },
    /cluster "prod" has 5001 associations, more than EKS's limit of 5000/,
  ),
  c(
    "quotas",
    "a session policy with session tags on",
    "associations[0].sessionPolicy",
    (x) => void (x.associations[0].sessionPolicy = doc({ Resource: "*" })),
    /requires session tags off/,
  ),
  c(
    "quotas",
    "request-tag narrowing with session tags off",
    "associations[0].sessionTags",
    (x) => Object.assign(((x.podIdentityRoles.hub.restrictToServiceAccounts = true), x.associations[0]), { sessionTags: false }),
    /has restrictToServiceAccounts/,
  ),
  // object-member keys
  schemaCase(
    "object-member keys",
    "an account key named constructor",
    "accounts.constructor",
    (x) => {
      x.accounts.constructor = x.accounts.platform;
      delete x.accounts.platform;
      x.clusters.prod.account = "constructor";
      x.podIdentityRoles.hub.account = "constructor";
    },
    /"constructor" cannot be used as a name here: it is the name of a JavaScript object member/,
  ),
  schemaCase(
    "object-member keys",
    "a cluster key named toString",
    "clusters.toString",
    (x) => {
      x.clusters.toString = x.clusters.prod;
      delete x.clusters.prod;
      for (const a of x.associations) a.cluster = "toString";
    },
    /"toString" cannot be used as a name here/,
  ),
  schemaCase(
    "object-member keys",
    "an association named hasOwnProperty",
    "associations[0].name",
    (x) => void (x.associations[0].name = "hasOwnProperty"),
    /"hasOwnProperty" cannot be used as a name here/,
  ),
  schemaCase(
    "object-member keys",
    "a stack named valueOf",
    "stacks.name",
    (x) => void (x.stacks = { groupBy: "single", name: "valueOf" }),
    /"valueOf" cannot be used as a name here/,
  ),
  schemaCase(
    "object-member keys",
    "a role placed in a stack named isPrototypeOf",
    "targetRoles.reader.stack",
    (x) => void (x.targetRoles.reader.stack = "isPrototypeOf"),
    /cannot be used as a name here/,
  ),
  text(
    "object-member keys",
    "an account key __proto__",
    "accounts.__proto__",
    "accounts:\n  __proto__: { accountId: '111111111111', region: eu-west-1 }\nclusters: { prod: { account: __proto__ } }\nassociations: [{ cluster: prod, namespace: a, serviceAccount: b }]\n",
    /"__proto__" cannot be used as a name here: it is the name of a JavaScript object member \(dropped from parsed data\)/,
  ),
  text(
    "object-member keys",
    "a target role key __proto__",
    "targetRoles.__proto__",
    "accounts: { p: { accountId: '111111111111', region: eu-west-1 } }\nclusters: { prod: { account: p } }\ntargetRoles: { __proto__: { account: p } }\nassociations: [{ cluster: prod, namespace: a, serviceAccount: b, targetRole: __proto__ }]\n",
    /cannot be used as a name here/,
  ),
  text(
    "object-member keys",
    "a tag key __proto__",
    "defaults.tags.__proto__",
    "defaults: { tags: { __proto__: x } }\naccounts: { p: { accountId: '111111111111', region: eu-west-1 } }\nclusters: { prod: { account: p } }\nassociations: [{ cluster: prod, namespace: a, serviceAccount: b }]\n",
    /cannot be used as a name here/,
  ),
  text(
    "object-member keys",
    "__proto__ in a JSON config",
    "clusters.__proto__",
    '{"accounts": {"p": {"accountId": "111111111111", "region": "eu-west-1"}}, "clusters": {"__proto__": {"account": "p"}}, "associations": []}',
    /cannot be used as a name here/,
    "pod-identity.json",
  ),
  c(
    "object-member keys",
    "a reference to an undeclared cluster toString",
    "associations[0].cluster",
    (x) => void (x.associations[0].cluster = "toString"),
    /unknown cluster "toString": declare it under clusters \(known: prod\)/,
  ),
  c(
    "object-member keys",
    "a reference to an undeclared account constructor",
    "clusters.prod.account",
    (x) => void (x.clusters.prod.account = "constructor"),
    /unknown account "constructor"/,
  ),
  c(
    "object-member keys",
    "a reference to an undeclared Pod Identity role valueOf",
    "associations[0].podIdentityRole",
    (x) => void (x.associations[0].podIdentityRole = "valueOf"),
    /unknown Pod Identity role "valueOf"/,
  ),
  c(
    "object-member keys",
    "a reference to an undeclared target role hasOwnProperty",
    "associations[0].targetRole",
    (x) => void (x.associations[0].targetRole = "hasOwnProperty"),
    /unknown target role "hasOwnProperty"/,
  ),
  // hostile files
  hostile("a directory", (dir) => (mkdirSync(path.join(dir, "conf.yaml")), path.join(dir, "conf.yaml")), /is a directory, not a file/),
  hostile("a missing file", (dir) => path.join(dir, "missing.yaml"), /does not exist; create it/),
  hostile(
    "a dangling symbolic link",
    (dir) => (symlinkSync(path.join(dir, "gone.yaml"), path.join(dir, "link.yaml")), path.join(dir, "link.yaml")),
    /does not exist/,
  ),
  hostile(
    "a symbolic link loop",
    (dir) => {
      symlinkSync(path.join(dir, "b.yaml"), path.join(dir, "a.yaml"));
      symlinkSync(path.join(dir, "a.yaml"), path.join(dir, "b.yaml"));
      return path.join(dir, "a.yaml");
    },
    /symbolic links form a loop/,
  ),
  hostile(
    "a path through a file",
    (dir) => (writeFileSync(path.join(dir, "file"), "x"), path.join(dir, "file", "pod-identity.yaml")),
    /a part of its path is a file/,
  ),
  hostile(
    "a named pipe (never opened for a blocking read)",
    (dir) => (execFileSync("mkfifo", [path.join(dir, "fifo.yaml")]), path.join(dir, "fifo.yaml")),
    /is not a regular file/,
  ),
  hostile("a device that never ends", () => "/dev/zero", /is not a regular file/),
  hostile(
    "binary data",
    (dir) => (writeFileSync(path.join(dir, "c.yaml"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00])), path.join(dir, "c.yaml")),
    /holds binary data \(a NUL byte at offset 8\)/,
  ),
  hostile(
    "UTF-16 text",
    (dir) => (writeFileSync(path.join(dir, "c.yaml"), Buffer.from("\ufeffaccounts: {}\n", "utf16le")), path.join(dir, "c.yaml")),
    /is UTF-16 text; save it as UTF-8/,
  ),
  hostile(
    "text that is not UTF-8",
    (dir) => (writeFileSync(path.join(dir, "c.yaml"), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a])), path.join(dir, "c.yaml")),
    /is not valid UTF-8 text/,
  ),
  hostile(
    "a 17 MiB file",
    (dir) => (writeFileSync(path.join(dir, "big.yaml"), ""), truncateSync(path.join(dir, "big.yaml"), 17 * 1024 * 1024), path.join(dir, "big.yaml")),
    /is 17\.0 MiB, more than the 16 MiB a config may be/,
  ),
  hostile(
    "a YAML alias bomb",
    (dir) => (writeFileSync(path.join(dir, "bomb.yaml"), `${aliasBomb}\n`), path.join(dir, "bomb.yaml")),
    /its aliases \(\*name\) expand .* to more than a billion.*an alias bomb/,
  ),
  hostile(
    "an alias that contains itself",
    (dir) => (writeFileSync(path.join(dir, "c.yaml"), "accounts: &a { x: *a }\n"), path.join(dir, "c.yaml")),
    /refers to a collection that contains it/,
  ),
  hostile(
    "nesting 1,000 deep",
    (dir) => (writeFileSync(path.join(dir, "c.yaml"), `accounts: ${"[".repeat(1000)}${"]".repeat(1000)}\n`), path.join(dir, "c.yaml")),
    /nests collections more than 100 levels deep at line 1, column \d+/,
  ),
  hostile(
    "JSON nested 100,000 deep",
    (dir) => (writeFileSync(path.join(dir, "c.json"), `{"accounts": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`), path.join(dir, "c.json")),
    /c\.json: nests collections more than 100 levels deep/,
  ),
];

/** Runs one case in its own directory; returns what a user sees, and what the directory holds afterwards. */
function run(k: Case, i: number): { status: number; stderr: string; shown: string; written: string[]; config: string } {
  const dir = path.join(work, `case-${i}`);
  mkdirSync(dir);
  let config: string;
  if (k.setup) config = k.setup(dir);
  else {
    config = path.join(dir, k.file ?? "pod-identity.yaml");
    let body = k.text;
    if (body === undefined) {
      const cfg = base();
      k.mutate!(cfg);
      body = config.endsWith(".json") ? JSON.stringify(cfg) : dump(cfg);
    }
    writeFileSync(config, body);
  }
  const before = readdirSync(dir).sort();
  let stderr = "";
  const status = runSynth({ projectRoot: dir, env: { POD_IDENTITY_CONFIG: config }, stderr: (t) => void (stderr += t) });
  const written = readdirSync(dir)
    .sort()
    .filter((f) => !before.includes(f));
  return { status, stderr, shown: path.relative(dir, config).startsWith("..") ? config : path.relative(dir, config), written, config };
}

describe("malformed configs", () => {
  it("the table covers every category with at least 100 configs, and the base config is valid", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    const categories = new Set(CASES.map((k) => k.category));
    for (const cat of [
      "syntax",
      "types",
      "unknown keys",
      "ids",
      "names",
      "ARNs",
      "partitions",
      "references",
      "duplicates",
      "quotas",
      "object-member keys",
      "hostile files",
    ])
      expect(categories).toContain(cat);
    const dir = mkdtempSync(path.join(work, "valid-"));
    writeFileSync(path.join(dir, "pod-identity.yaml"), dump(base()));
    let stderr = "";
    expect(runSynth({ projectRoot: dir, env: {}, stderr: (t) => void (stderr += t) })).toBe(0);
    expect(stderr).toBe("");
    expect(schema(base())).toBe(true);
  });

  it.each(CASES.map((k, i) => [`${k.category}: ${k.name}`, k, i] as const))("%s", (_name, k, i) => {
    const r = run(k, i);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.endsWith("\nNothing was synthesized.\n"), r.stderr).toBe(true);
    expect(r.written, "nothing written").toEqual([]);
    if (k.field === null) {
      // A file that cannot be read or parsed: one line naming it.
      expect(r.stderr.split("\n").length, r.stderr).toBe(3);
      expect(r.stderr.startsWith(`${r.shown}: `), r.stderr).toBe(true);
    } else {
      expect(r.stderr.startsWith(`${r.shown}: `), r.stderr).toBe(true);
      expect(r.stderr, `names the field ${k.field}`).toContain(`${k.field}:`);
    }
    if (k.says) expect(r.stderr).toMatch(k.says);
    if (k.jsonSchema) {
      const cfg = base();
      k.mutate!(cfg);
      expect(schema(JSON.parse(JSON.stringify(cfg))), `the JSON Schema refuses it too (${k.field})`).toBe(false);
    }
  });

  it("a file the user may not read", () => {
    const dir = mkdtempSync(path.join(work, "unreadable-"));
    openToUnprivileged(work, dir);
    writeFileSync(path.join(dir, "pod-identity.yaml"), dump(base()));
    chmodSync(path.join(dir, "pod-identity.yaml"), 0o000);
    const r = runUnprivileged<{ code: number; stderr: string }>(`
      import { runSynth } from "@repo/modules/synth";
      let stderr = "";
      const code = runSynth({ projectRoot: ${JSON.stringify(dir)}, env: {}, stderr: (t) => void (stderr += t) });
      process.stdout.write(JSON.stringify({ code, stderr }));
    `);
    expect(r).toEqual({
      code: 1,
      stderr: "pod-identity.yaml: cannot be read: permission denied; give the user running synth read access to it\nNothing was synthesized.\n",
    });
    expect(readdirSync(dir), "nothing written").toEqual(["pod-identity.yaml"]);
  });
});

describe("object-member names where they are ordinary keys", () => {
  it("roles keyed constructor, toString and __defineGetter__ synthesize like any other", () => {
    const dir = mkdtempSync(path.join(work, "members-"));
    const cfg = base();
    cfg.podIdentityRoles = { constructor: { account: "platform" } };
    cfg.targetRoles = { toString: { account: "data" }, __defineGetter__: { account: "data" } };
    cfg.associations = [
      { cluster: "prod", namespace: "payments", serviceAccount: "api", podIdentityRole: "constructor", targetRole: "toString" },
      { cluster: "prod", namespace: "etl", serviceAccount: "job", targetRole: "__defineGetter__" },
    ];
    writeFileSync(path.join(dir, "pod-identity.yaml"), dump(cfg));
    let stderr = "";
    expect(runSynth({ projectRoot: dir, env: {}, stderr: (t) => void (stderr += t) }), stderr).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, "cdktf.out", "stacks", "platform", "cdk.tf.json"), "utf8"));
    expect(
      Object.values<any>(json.resource.aws_iam_role)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["__defineGetter__", "constructor", "prod-etl-job", "toString"]);
  });
});

describe("main.ts as a process", () => {
  const tsx = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
  // A handful of the table, spawned as `npx cdktf synth` spawns the app: same exit code, same report.
  it.each([
    "types: an unquoted account id (YAML reads a number)",
    "hostile files: a YAML alias bomb",
    "object-member keys: an account key named constructor",
    "quotas: inline policies over 10,240 characters",
    "hostile files: a directory",
  ])("%s", (name) => {
    const i = CASES.findIndex((k) => `${k.category}: ${k.name}` === name);
    const k = CASES[i]!;
    const dir = path.join(work, `process-${i}`);
    mkdirSync(dir);
    const config = k.setup ? k.setup(dir) : path.join(dir, "pod-identity.yaml");
    if (!k.setup) {
      const cfg = base();
      k.mutate!(cfg);
      writeFileSync(config, dump(cfg));
    }
    const before = readdirSync(dir).sort();
    const env: NodeJS.ProcessEnv = { ...process.env, POD_IDENTITY_CONFIG: config, CHECKPOINT_DISABLE: "1" };
    delete env.CDKTF_OUTDIR;
    const r = spawnSync(process.execPath, [tsx, path.join(ROOT, "main.ts")], { cwd: dir, env, encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(k.says!);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    if (k.field !== null) expect(r.stderr).toContain(`${k.field}:`);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
