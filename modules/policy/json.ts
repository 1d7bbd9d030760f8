// IAM policy documents as JSON values: what policy objects render to and what add-on policies return.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html

/** One value, or a list of them (IAM accepts both wherever a list is allowed). */
export type OneOrMany<T> = T | T[];

/** A `Condition` block: operator (`StringEquals`) → condition key (`aws:SourceAccount`) → value(s). */
export type ConditionBlockJson = Record<string, Record<string, OneOrMany<string>>>;

/** A `Principal`: `"*"`, or principals by kind. */
export type PrincipalJson = "*" | { AWS?: OneOrMany<string>; Service?: OneOrMany<string>; Federated?: OneOrMany<string> };

/** One statement of an IAM policy document, as JSON. */
export interface StatementJson {
  /** Statement id. @default - none */
  Sid?: string;
  /** Whether the statement allows or denies. */
  Effect: "Allow" | "Deny";
  /** Who the statement applies to (trust policies). @default - none (identity policies have none) */
  Principal?: PrincipalJson;
  /** The actions. @default - none: `NotAction` is given instead */
  Action?: OneOrMany<string>;
  /** Every action but these. @default - none: `Action` is given instead */
  NotAction?: OneOrMany<string>;
  /** The resources. @default - none (trust policies have none) */
  Resource?: OneOrMany<string>;
  /** Every resource but these. @default - none */
  NotResource?: OneOrMany<string>;
  /** When the statement applies. @default - always */
  Condition?: ConditionBlockJson;
}

/** An IAM policy document, as JSON. */
export interface PolicyDocumentJson {
  /** The policy language version. */
  Version: "2012-10-17";
  /** The statements. */
  Statement: StatementJson[];
}
