// IAM policy documents as JSON values: what policy objects render to and what add-on policies return.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html

export type OneOrMany<T> = T | T[];

export type ConditionBlockJson = Record<string, Record<string, OneOrMany<string>>>;

export type PrincipalJson = "*" | { AWS?: OneOrMany<string>; Service?: OneOrMany<string>; Federated?: OneOrMany<string> };

export interface StatementJson {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: PrincipalJson;
  Action?: OneOrMany<string>;
  NotAction?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  NotResource?: OneOrMany<string>;
  Condition?: ConditionBlockJson;
}

export interface PolicyDocumentJson {
  Version: "2012-10-17";
  Statement: StatementJson[];
}
