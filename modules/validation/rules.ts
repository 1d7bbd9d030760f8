// Every rule on a single input value, in one place. Each check returns the problem (naming the rule, quoting
// the value and saying the fix) or undefined. The config schema and the constructs' validations both call
// these, each adding where the value came from (`associations[3].namespace: …`, `association "x" (cluster
// …): …`). Rules over several values (an ARN against its account, …) are in ./cross-field.ts.
// Values that are unresolved cdktf tokens (e.g. `${var.namespace}`) are not checked: Terraform decides them.
//
// A string rule also says what JSON Schema can express of it (pattern, lengths), for the config's JSON
// Schema: built from the same regular expressions and limits as the check, never looser than needed and
// never stricter than the check (test/app/json-schema.test.ts checks both on samples, with an independent
// JSON Schema validator).
import { Token } from "../terraform-cdk";
import { PARTITIONS, UNSUPPORTED_REGION_PREFIXES, isSupportedPartition, parseArn, parseRoleArn, regionPartition } from "../policy/arn";
import { ROLE_NAME_MAX, ROLE_NAME_PREFIX_MAX, ROLE_PATH_MAX, TRUST_POLICY_DEFAULT_LIMIT, TRUST_POLICY_MAX_LIMIT } from "../policy/size";

export type Check = (value: string) => string | undefined;

/** JSON Schema keywords for a string. */
export interface StringJsonSchema {
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
}

/** A rule on one string value: its check, and the JSON Schema keywords that say the same. */
export interface StringRule {
  readonly check: Check;
  /** Accepts every value the check accepts, and (the rules here are all expressible) refuses every other. */
  readonly jsonSchema: StringJsonSchema;
}

function skipTokens(check: Check): Check {
  return (value) => (Token.isUnresolved(value) ? undefined : check(value));
}

function rule(jsonSchema: StringJsonSchema, check: Check): StringRule {
  return { check: skipTokens(check), jsonSchema };
}

/** A regular expression's source as a JSON Schema pattern (ECMA-262, which is what JSON Schema specifies). */
const source = (re: RegExp): string => re.source;

const PARTITION_ALTERNATIVES = `(?:${PARTITIONS.join("|")})`;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const DNS1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]*$/;
const ROLE_NAME_CHARS = /^[\w+=,.@-]+$/;
const ROLE_PATH = /^(?:\/|\/[\x21-\x7E]+\/)$/;
// Path (≤ ROLE_PATH_MAX, no "//") then name, as in a role ARN; the lookahead for "//" covers both (a name has no "/").
const ROLE_ARN = new RegExp(
  `^arn:${PARTITION_ALTERNATIVES}:iam::\\d{12}:role(?!.*//)(?:/|/[\\x21-\\x7E]{1,${ROLE_PATH_MAX - 2}}/)[\\w+=,.@-]{1,${ROLE_NAME_MAX}}$`,
);
const POLICY_ARN = new RegExp(`^arn:${PARTITION_ALTERNATIVES}:iam::(?:aws|\\d{12}):policy/.+$`);

/** AWS account id: exactly 12 digits. */
export const accountIdRule = rule({ pattern: source(ACCOUNT_ID) }, (v) =>
  ACCOUNT_ID.test(v) ? undefined : `"${v}" is not an AWS account id: it must be exactly 12 digits (quote it in YAML so leading zeros are kept)`,
);
export const accountIdProblem = accountIdRule.check;

/** AWS region of a supported partition, e.g. eu-west-1, us-gov-west-1, cn-north-1. */
export const regionRule = rule({ pattern: `^(?!${UNSUPPORTED_REGION_PREFIXES.join("|")})${REGION.source.slice(1)}` }, (v) => {
  if (!REGION.test(v)) return `"${v}" is not an AWS region name (for example eu-west-1)`;
  const partition = regionPartition(v);
  return isSupportedPartition(partition)
    ? undefined
    : `"${v}" is a region of the ${partition} partition, which this project does not support (${PARTITIONS.join(", ")})`;
});
export const regionProblem = regionRule.check;

/** A partition this project supports. */
export const partitionProblem = skipTokens((v) =>
  isSupportedPartition(v) ? undefined : `"${v}" is not a supported partition: use one of ${PARTITIONS.join(", ")}`,
);

/** Any ARN in the aws, aws-cn or aws-us-gov partition. */
export const arnProblem = skipTokens((v) => {
  const p = parseArn(v);
  if (!p || p.service === "" || p.resource === "") {
    return `"${v}" is not an ARN: expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`;
  }
  if (!isSupportedPartition(p.partition)) {
    return `"${v}" has partition "${p.partition}": use one of ${PARTITIONS.join(", ")}`;
  }
  if (p.account !== "" && p.account !== "aws" && !ACCOUNT_ID.test(p.account)) {
    return `"${v}" has account "${p.account}": an ARN's account must be 12 digits`;
  }
  return undefined;
});

/** IAM role name. */
export const roleNameRule = rule({ pattern: source(ROLE_NAME_CHARS), minLength: 1, maxLength: ROLE_NAME_MAX }, (v) => {
  if (v.length === 0 || v.length > ROLE_NAME_MAX) {
    return `"${v}" is not a valid IAM role name: it must be 1 to ${ROLE_NAME_MAX} characters (got ${v.length}); choose a shorter name`;
  }
  return ROLE_NAME_CHARS.test(v) ? undefined : `"${v}" is not a valid IAM role name: use only letters, digits and + = , . @ _ -`;
});
export const roleNameProblem = roleNameRule.check;

/** Terraform `name_prefix` of an IAM role. */
export const roleNamePrefixRule = rule({ pattern: source(ROLE_NAME_CHARS), minLength: 1, maxLength: ROLE_NAME_PREFIX_MAX }, (v) => {
  if (v.length === 0 || v.length > ROLE_NAME_PREFIX_MAX) {
    return `"${v}" is not a valid IAM role name prefix: it must be 1 to ${ROLE_NAME_PREFIX_MAX} characters (got ${v.length}; Terraform appends 26 characters)`;
  }
  return ROLE_NAME_CHARS.test(v) ? undefined : `"${v}" is not a valid IAM role name prefix: use only letters, digits and + = , . @ _ -`;
});
export const roleNamePrefixProblem = roleNamePrefixRule.check;

/** IAM path: `/` or `/a/b/`. */
export const rolePathRule = rule({ pattern: `^(?!.*//)${ROLE_PATH.source.slice(1)}`, maxLength: ROLE_PATH_MAX }, (v) => {
  if (v.length > ROLE_PATH_MAX) return `"${v}" is not a valid IAM path: it must be at most ${ROLE_PATH_MAX} characters (got ${v.length})`;
  return ROLE_PATH.test(v) && !v.includes("//")
    ? undefined
    : `"${v}" is not a valid IAM path: it must be "/" or start and end with "/" (for example /pod-identity/), printable ASCII, no "//"`;
});
export const rolePathProblem = rolePathRule.check;

/** An IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME. */
export const roleArnRule = rule({ pattern: source(ROLE_ARN) }, (v) => {
  const general = arnProblem(v);
  if (general) return general;
  const r = parseRoleArn(v);
  if (!r || !ACCOUNT_ID.test(r.account)) return `"${v}" is not an IAM role ARN: expected arn:PARTITION:iam::ACCOUNT:role/NAME`;
  return roleNameProblem(r.name) ?? rolePathProblem(r.path);
});
export const roleArnProblem = roleArnRule.check;

/** An IAM managed policy ARN: arn:PARTITION:iam::(ACCOUNT|aws):policy/…. */
export const policyArnRule = rule({ pattern: source(POLICY_ARN) }, (v) => {
  const general = arnProblem(v);
  if (general) return general;
  const p = parseArn(v)!;
  // IAM is global: a policy ARN has no region, and its account is 12 digits or "aws" (AWS managed policies).
  return p.service === "iam" &&
    p.region === "" &&
    (p.account === "aws" || ACCOUNT_ID.test(p.account)) &&
    p.resource.length > "policy/".length &&
    p.resource.startsWith("policy/")
    ? undefined
    : `"${v}" is not an IAM policy ARN: expected arn:PARTITION:iam::ACCOUNT:policy/NAME (no region; account "aws" for AWS managed policies)`;
});
export const policyArnProblem = policyArnRule.check;

/** Kubernetes namespace: a DNS-1123 label. */
export const namespaceRule = rule({ pattern: source(DNS1123_LABEL), minLength: 1, maxLength: 63 }, (v) => {
  if (v.length === 0 || v.length > 63) return `"${v}" is not a valid Kubernetes namespace: it must be 1 to 63 characters (got ${v.length})`;
  return DNS1123_LABEL.test(v)
    ? undefined
    : `"${v}" is not a valid Kubernetes namespace: it must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)`;
});
export const namespaceProblem = namespaceRule.check;

/** Kubernetes service account name: a DNS-1123 subdomain. */
export const serviceAccountRule = rule({ pattern: source(DNS1123_SUBDOMAIN), minLength: 1, maxLength: 253 }, (v) => {
  if (v.length === 0 || v.length > 253) return `"${v}" is not a valid Kubernetes service account name: it must be 1 to 253 characters (got ${v.length})`;
  return DNS1123_SUBDOMAIN.test(v)
    ? undefined
    : `"${v}" is not a valid Kubernetes service account name: it must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit)`;
});
export const serviceAccountProblem = serviceAccountRule.check;

/** EKS cluster name. */
export const clusterNameRule = rule({ pattern: source(CLUSTER_NAME), minLength: 1, maxLength: 100 }, (v) => {
  if (v.length === 0 || v.length > 100) return `"${v}" is not a valid EKS cluster name: it must be 1 to 100 characters (got ${v.length})`;
  return CLUSTER_NAME.test(v)
    ? undefined
    : `"${v}" is not a valid EKS cluster name: it must start with a letter or digit and contain only letters, digits, '-' and '_'`;
});
export const clusterNameProblem = clusterNameRule.check;

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** S3 bucket name (general purpose buckets). */
export const bucketNameRule = rule({ pattern: source(S3_BUCKET) }, (v) =>
  S3_BUCKET.test(v)
    ? undefined
    : `"${v}" is not a valid S3 bucket name: 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit`,
);

/**
 * Names of JavaScript object members (`constructor`, `toString`, `__proto__`, …). The constructs library
 * keeps children in a plain object, so none of them can be a construct id (a stack, an association), and
 * JavaScript drops a `__proto__` key from parsed data: such keys are refused, by name, where they matter.
 */
export const OBJECT_MEMBER_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype).sort();

/** A key of the config that becomes a Terraform name (provider alias, stack, resource id). */
const CONFIG_KEY = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

/** The longest config key: it names stack directories and state files (`terraform.<stack>.tfstate`), well within 255 bytes. */
export const CONFIG_KEY_MAX = 128;

/** A config key that becomes a Terraform name; `asId` when it also names a stack or construct. */
function configKeyRule(asId: boolean): StringRule {
  const reserved = asId ? OBJECT_MEMBER_NAMES : ["__proto__"];
  return rule({ pattern: `^(?!(?:${reserved.join("|")})$)${CONFIG_KEY.source.slice(1)}`, maxLength: CONFIG_KEY_MAX }, (v) => {
    if (!CONFIG_KEY.test(v)) {
      return `"${v}" is not a valid key: it must start with a letter or '_' and contain only letters, digits, '_' and '-' (it becomes a Terraform name)`;
    }
    if (v.length > CONFIG_KEY_MAX) {
      return `"${v.slice(0, 20)}…" (${v.length} characters) is too long for a key: at most ${CONFIG_KEY_MAX} (it names stack directories, state files and Terraform identifiers); shorten it`;
    }
    return reserved.includes(v) ? objectMemberKeyProblem(v) : undefined;
  });
}

/** Keys of roles (always prefixed where they become Terraform names): any Terraform name but `__proto__`. */
export const keyRule = configKeyRule(false);
/** Keys that become a stack name or a construct id as they are (accounts, clusters, stacks, associations). */
export const idKeyRule = configKeyRule(true);
export const idKeyProblem = idKeyRule.check;

/** The problem with a key named like a JavaScript object member. */
export function objectMemberKeyProblem(key: string): string {
  return `"${key}" cannot be used as a name here: it is the name of a JavaScript object member (${key === "__proto__" ? "dropped from parsed data" : "the constructs library cannot use it as an id"}); choose another name`;
}

/** Role max session duration, seconds. */
export function maxSessionDurationProblem(v: number): string | undefined {
  if (Token.isUnresolved(v)) return undefined;
  return Number.isInteger(v) && v >= 3600 && v <= 43200
    ? undefined
    : `${v} is not a valid max session duration: it must be a whole number of seconds from 3600 (1 hour) to 43200 (12 hours)`;
}

/** The configured trust policy size limit. */
export function trustPolicyLimitProblem(v: number): string | undefined {
  return Number.isInteger(v) && v >= TRUST_POLICY_DEFAULT_LIMIT && v <= TRUST_POLICY_MAX_LIMIT
    ? undefined
    : `${v} is not a valid trust policy size limit: use ${TRUST_POLICY_DEFAULT_LIMIT} (IAM's default) up to ${TRUST_POLICY_MAX_LIMIT}, and raise it only after AWS has raised your account's quota`;
}

/** Every string rule, by name (the JSON Schema test walks them). */
export const STRING_RULES = {
  accountId: accountIdRule,
  region: regionRule,
  roleName: roleNameRule,
  roleNamePrefix: roleNamePrefixRule,
  rolePath: rolePathRule,
  roleArn: roleArnRule,
  policyArn: policyArnRule,
  namespace: namespaceRule,
  serviceAccount: serviceAccountRule,
  clusterName: clusterNameRule,
  bucketName: bucketNameRule,
  key: keyRule,
  idKey: idKeyRule,
} as const;
