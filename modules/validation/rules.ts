// Every input rule, in one place. Each check returns the problem (naming the rule, quoting the value and
// saying the fix) or undefined. The config schema and the constructs' validations both call these, each
// adding where the value came from (`associations[3].namespace: …`, `association "x" (cluster …): …`).
// Values that are unresolved cdktf tokens (e.g. `${var.namespace}`) are not checked: Terraform decides them.
import { Token } from "cdktf";
import { PARTITIONS, parseArn, parseRoleArn } from "../policy/arn";
import {
  ROLE_NAME_MAX,
  ROLE_NAME_PREFIX_MAX,
  ROLE_PATH_MAX,
  TRUST_POLICY_DEFAULT_LIMIT,
  TRUST_POLICY_MAX_LIMIT,
} from "../policy/size";

export type Check = (value: string) => string | undefined;

function skipTokens(check: Check): Check {
  return (value) => (Token.isUnresolved(value) ? undefined : check(value));
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** AWS account id: exactly 12 digits. */
export const accountIdProblem = skipTokens((v) =>
  /^\d{12}$/.test(v)
    ? undefined
    : `"${v}" is not an AWS account id: it must be exactly 12 digits (quote it in YAML so leading zeros are kept)`,
);

/** AWS region, e.g. eu-west-1, us-gov-west-1, cn-north-1. */
export const regionProblem = skipTokens((v) =>
  /^[a-z]{2}(-[a-z]+)+-\d+$/.test(v) ? undefined : `"${v}" is not an AWS region name (for example eu-west-1)`,
);

/** A partition this project supports. */
export const partitionProblem = skipTokens((v) =>
  (PARTITIONS as readonly string[]).includes(v) ? undefined : `"${v}" is not a supported partition: use one of ${PARTITIONS.join(", ")}`,
);

/** Any ARN in the aws, aws-cn or aws-us-gov partition. */
export const arnProblem = skipTokens((v) => {
  const p = parseArn(v);
  if (!p || p.service === "" || p.resource === "") {
    return `"${v}" is not an ARN: expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`;
  }
  if (!(PARTITIONS as readonly string[]).includes(p.partition)) {
    return `"${v}" has partition "${p.partition}": use one of ${PARTITIONS.join(", ")}`;
  }
  if (p.account !== "" && p.account !== "aws" && !/^\d{12}$/.test(p.account)) {
    return `"${v}" has account "${p.account}": an ARN's account must be 12 digits`;
  }
  return undefined;
});

/** An IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME. */
export const roleArnProblem = skipTokens((v) => {
  const general = arnProblem(v);
  if (general) return general;
  const r = parseRoleArn(v);
  if (!r || !/^\d{12}$/.test(r.account)) return `"${v}" is not an IAM role ARN: expected arn:PARTITION:iam::ACCOUNT:role/NAME`;
  return roleNameProblem(r.name) ?? rolePathProblem(r.path);
});

/** An IAM managed policy ARN: arn:PARTITION:iam::(ACCOUNT|aws):policy/…. */
export const policyArnProblem = skipTokens((v) => {
  const general = arnProblem(v);
  if (general) return general;
  const p = parseArn(v)!;
  return p.service === "iam" && p.resource.startsWith("policy/")
    ? undefined
    : `"${v}" is not an IAM policy ARN: expected arn:PARTITION:iam::ACCOUNT:policy/NAME (or account "aws" for AWS managed policies)`;
});

/** Kubernetes namespace: a DNS-1123 label. */
export const namespaceProblem = skipTokens((v) => {
  if (v.length === 0 || v.length > 63) return `"${v}" is not a valid Kubernetes namespace: it must be 1 to 63 characters (got ${v.length})`;
  return DNS1123_LABEL.test(v)
    ? undefined
    : `"${v}" is not a valid Kubernetes namespace: it must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)`;
});

/** Kubernetes service account name: a DNS-1123 subdomain. */
export const serviceAccountProblem = skipTokens((v) => {
  if (v.length === 0 || v.length > 253) return `"${v}" is not a valid Kubernetes service account name: it must be 1 to 253 characters (got ${v.length})`;
  return DNS1123_SUBDOMAIN.test(v)
    ? undefined
    : `"${v}" is not a valid Kubernetes service account name: it must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit)`;
});

/** EKS cluster name. */
export const clusterNameProblem = skipTokens((v) => {
  if (v.length === 0 || v.length > 100) return `"${v}" is not a valid EKS cluster name: it must be 1 to 100 characters (got ${v.length})`;
  return /^[0-9A-Za-z][A-Za-z0-9_-]*$/.test(v)
    ? undefined
    : `"${v}" is not a valid EKS cluster name: it must start with a letter or digit and contain only letters, digits, '-' and '_'`;
});

const ROLE_NAME_CHARS = /^[\w+=,.@-]+$/;

/** IAM role name. */
export const roleNameProblem = skipTokens((v) => {
  if (v.length === 0 || v.length > ROLE_NAME_MAX) {
    return `"${v}" is not a valid IAM role name: it must be 1 to ${ROLE_NAME_MAX} characters (got ${v.length}); choose a shorter name`;
  }
  return ROLE_NAME_CHARS.test(v) ? undefined : `"${v}" is not a valid IAM role name: use only letters, digits and + = , . @ _ -`;
});

/** Terraform `name_prefix` of an IAM role. */
export const roleNamePrefixProblem = skipTokens((v) => {
  if (v.length === 0 || v.length > ROLE_NAME_PREFIX_MAX) {
    return `"${v}" is not a valid IAM role name prefix: it must be 1 to ${ROLE_NAME_PREFIX_MAX} characters (got ${v.length}; Terraform appends 26 characters)`;
  }
  return ROLE_NAME_CHARS.test(v) ? undefined : `"${v}" is not a valid IAM role name prefix: use only letters, digits and + = , . @ _ -`;
});

/** IAM path: `/` or `/a/b/`. */
export const rolePathProblem = skipTokens((v) => {
  if (v.length > ROLE_PATH_MAX) return `"${v}" is not a valid IAM path: it must be at most ${ROLE_PATH_MAX} characters (got ${v.length})`;
  return /^(\/|\/[\x21-\x7E]+\/)$/.test(v) && !v.includes("//")
    ? undefined
    : `"${v}" is not a valid IAM path: it must be "/" or start and end with "/" (for example /pod-identity/), printable ASCII, no "//"`;
});

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
