import { Testing, TerraformStack, type App } from "../../modules/terraform-cdk";
import type { Construct } from "constructs";
import { createAccountProvider, type AwsAccount } from "../../modules/providers";

export const CLUSTER_ACCOUNT = "111111111111";
export const DATA_ACCOUNT = "222222222222";
export const CLUSTER = { name: "prod-eu", accountId: CLUSTER_ACCOUNT, region: "eu-west-1" } as const;

export interface Fixture {
  readonly app: App;
  readonly stack: TerraformStack;
  readonly platform: AwsAccount;
  readonly data: AwsAccount;
}

/** A throwaway stack with a cluster account and a target account. */
export function fixture(): Fixture {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const platform = createAccountProvider(stack, "platform", { accountId: CLUSTER_ACCOUNT, region: "eu-west-1" });
  const data = createAccountProvider(stack, "data", { accountId: DATA_ACCOUNT, region: "eu-west-1" });
  return { app, stack, platform, data };
}

/** Every validation error under `scope`. */
export function errorsOf(scope: Construct): string[] {
  return scope.node.findAll().flatMap((c) => c.node.validate());
}

/** The stack's Terraform JSON, parsed (no validation). */
export function synthJson(stack: TerraformStack): any {
  return JSON.parse(Testing.synth(stack));
}

/** The single resource of a type whose logical id contains `fragment`. */
export function resource(json: any, type: string, fragment: string): any {
  const matches = Object.entries(json.resource?.[type] ?? {}).filter(([id]) => id.includes(fragment));
  if (matches.length !== 1) throw new Error(`expected one ${type} matching "${fragment}", found ${matches.map(([id]) => id).join(", ") || "none"}`);
  return matches[0]![1];
}
