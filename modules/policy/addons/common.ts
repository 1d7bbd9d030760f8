// Shared building blocks for the add-on permission sets: the context a policy is rendered in, ARN field
// schemas, and small helpers that keep every add-on file the same shape.
//
// Rules every add-on follows:
// - Statements are listed in a fixed order in source; nothing is sorted or merged at render time, so the
//   output is deterministic and reads like the upstream policy it narrows.
// - Resources are the caller's ARNs, or ARN patterns built from the context (partition, account, region)
//   of the role the policy is attached to.
// - `Resource: "*"` appears only for actions that support no resource-level permission (Describe*, List*,
//   Get* on account-wide state, ...), always in a statement whose Sid ends in `NoResourceLevel` and with a
//   comment at the call site saying so.
import { z } from "zod";
import type { ConditionBlockJson, PolicyDocumentJson, StatementJson } from "../json";

/** Where a policy is rendered: the partition and account of the role it is attached to, and the region(s) it acts in. */
export interface AddonContext {
  /** The partition of the role's account. */
  readonly partition: string;
  /** The role's account. */
  readonly accountId: string;
  /** The region regional resources are scoped to. */
  readonly region: string;
  /**
   * Several regions (the regions of the clusters a role serves): regional resources are scoped to each.
   * @default - [region]
   */
  readonly regions?: readonly string[];
}

const PARTITION = "aws(?:-cn|-us-gov)?";

/**
 * A list of ARNs matching `pattern` (a regular expression source for the part after `arn:PARTITION:`).
 * Duplicates are rejected so that the rendered policy has each resource once.
 */
export function arnList(pattern: string, example: string, description: string) {
  const re = new RegExp(`^arn:${PARTITION}:${pattern}$`);
  return z
    .array(
      z
        .string()
        .regex(re, { message: `must be an ARN like ${example}` })
        .describe(`An ARN like ${example}`),
    )
    .min(1)
    .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" })
    .describe(description);
}

/** An EKS cluster name (1-100 characters, alphanumerics, `-`, `_`, starting with an alphanumeric). */
export const clusterNameSchema = z
  .string()
  .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, { message: "must be an EKS cluster name (1-100 of [A-Za-z0-9-_], starting with a letter or digit)" });

/** `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` for the context's partition, region and account. */
export function regionalArn(ctx: AddonContext, service: string, resource: string): string {
  return `arn:${ctx.partition}:${service}:${ctx.region}:${ctx.accountId}:${resource}`;
}

export function allow(sid: string, actions: readonly string[], resources: string | readonly string[], condition?: ConditionBlockJson): StatementJson {
  const statement: StatementJson = {
    Sid: sid,
    Effect: "Allow",
    Action: [...actions],
    Resource: typeof resources === "string" ? resources : [...resources],
  };
  if (condition !== undefined) statement.Condition = condition;
  return statement;
}

/**
 * A statement for actions that support no resource-level permission: IAM only accepts `"*"` for them.
 * The Sid must end in `NoResourceLevel` so reviews (and tests) can find every wildcard resource.
 */
export function allowWithoutResourceLevel(sid: string, actions: readonly string[], condition?: ConditionBlockJson): StatementJson {
  if (!sid.endsWith("NoResourceLevel")) throw new Error(`Sid "${sid}" of a Resource "*" statement must end in NoResourceLevel`);
  return allow(sid, actions, "*", condition);
}

export function document(statements: StatementJson[]): PolicyDocumentJson {
  return { Version: "2012-10-17", Statement: statements };
}
