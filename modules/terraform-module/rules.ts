// Rules, as data: rendered to HCL conditions here, evaluated in JavaScript by the test that compares them
// with ../validation/rules.ts. Patterns use only syntax RE2 (Terraform) and JavaScript read the same way.
import { ROLE_NAME_MAX, ROLE_PATH_MAX } from "../policy/size";

import { hclString } from "./hcl";

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
  region: {
    checks: [{ kind: "matches", pattern: "^[a-z]{2}(?:-[a-z]+)+-\\d+$" }],
    message: "An AWS region name looks like eu-west-1, us-gov-west-1 or cn-north-1.",
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
    message:
      "A Kubernetes service account name is a DNS-1123 subdomain: 1 to 253 lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit.",
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
    message:
      "An IAM role ARN looks like arn:PARTITION:iam::ACCOUNT:role/PATH/NAME (partition aws, aws-cn or aws-us-gov, a 12-digit account, a valid path and role name).",
  },
  policyArn: {
    checks: [{ kind: "matches", pattern: `^arn:${PARTITION_PATTERN}:iam::(?:aws|\\d{12}):policy/.+$` }],
    message:
      'An IAM policy ARN looks like arn:PARTITION:iam::ACCOUNT:policy/NAME (no region; account "aws" for AWS managed policies; partition aws, aws-cn or aws-us-gov).',
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
