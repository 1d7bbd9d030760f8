// One aliased AwsProvider per account key. Every resource is created with the provider of the account it
// lives in. Each provider pins `allowed_account_ids` to its account: Terraform refuses to touch any other
// account, and tools can read an account id back from the synthesized JSON.
import type { TerraformProvider, TerraformStack } from "./terraform-cdk";
import type { Construct } from "constructs";
import { AWS_PROVIDER_VERSION_CONSTRAINT, AwsProvider } from "./aws";
import { partitionForRegion, type Partition } from "./policy/arn";
import { arnAccountProblem, partitionRegionProblem } from "./validation/cross-field";
import { accountIdProblem, partitionProblem, regionProblem, roleArnProblem } from "./validation/rules";
import { ValidationError } from "./errors";

/**
 * The provider version the association's `policy` argument (an inline session policy) needs: it was added
 * to hashicorp/terraform-provider-aws in v6.57.1 (pull request #48869), after the last prebuilt binding.
 */
export const SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT = ">= 6.57.1, < 7.0.0";

/** Credentials for Terraform to reach an account by assuming a role. */
export interface AssumeRoleOptions {
  /** The deployer role in that account. */
  readonly roleArn: string;
  /** @default - chosen by the provider */
  readonly sessionName?: string;
  /** @default - none */
  readonly externalId?: string;
}

/** An AWS account as the app sees it. */
export interface AccountOptions {
  /** The 12-digit account id. */
  readonly accountId: string;
  /** The provider's region (IAM is global; regional resources such as associations name their own). */
  readonly region: string;
  /** @default - derived from the region (cn-* → aws-cn, us-gov-* → aws-us-gov, else aws) */
  readonly partition?: Partition;
  /** @default - the ambient credentials */
  readonly assumeRole?: AssumeRoleOptions;
  /** A named profile of the shared config files. @default - none */
  readonly profile?: string;
  /** Tags the provider adds to every resource it creates. @default - none */
  readonly defaultTags?: Readonly<Record<string, string>>;
}

/** An account with its provider in one stack: what every construct takes to place its resources. */
export interface AwsAccount {
  /** The key of the account in the config; the provider alias. */
  readonly key: string;
  /** The 12-digit account id. */
  readonly accountId: string;
  /** The provider's region. */
  readonly region: string;
  /** The account's partition. */
  readonly partition: Partition;
  /** The aliased AWS provider every resource of the account is created with. */
  readonly provider: TerraformProvider;
}

const ALIAS = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

/** Creates the aliased provider for `key` in `scope`'s stack. */
export function createAccountProvider(scope: Construct, key: string, options: AccountOptions): AwsAccount {
  if (!ALIAS.test(key)) {
    throw new ValidationError(
      `account key "${key}" cannot be a Terraform provider alias: use letters, digits, '_' and '-', starting with a letter or '_'`,
      scope,
      `aws_${key}`,
    );
  }
  const partition = options.partition ?? partitionForRegion(options.region);
  const provider = new AwsProvider(scope, `aws_${key}`, {
    alias: key,
    region: options.region,
    allowedAccountIds: [options.accountId],
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.assumeRole
      ? {
          assumeRole: [
            {
              roleArn: options.assumeRole.roleArn,
              ...(options.assumeRole.sessionName !== undefined ? { sessionName: options.assumeRole.sessionName } : {}),
              ...(options.assumeRole.externalId !== undefined ? { externalId: options.assumeRole.externalId } : {}),
            },
          ],
        }
      : {}),
    ...(options.defaultTags && Object.keys(options.defaultTags).length > 0 ? { defaultTags: [{ tags: { ...options.defaultTags } }] } : {}),
  });
  provider.node.addValidation({ validate: () => validateAccount(key, options) });
  return { key, accountId: options.accountId, region: options.region, partition, provider };
}

/** Problems with an account's settings, each naming the account and the field. */
export function validateAccount(key: string, options: AccountOptions): string[] {
  const errors: string[] = [];
  const where = `account "${key}"`;
  const add = (field: string, problem: string | undefined): void => {
    if (problem) errors.push(`${where}: ${field}: ${problem}`);
  };
  add("accountId", accountIdProblem(options.accountId));
  add("region", regionProblem(options.region));
  if (options.partition !== undefined) add("partition", partitionProblem(options.partition) ?? partitionRegionProblem(options.partition, options.region));
  if (options.assumeRole) {
    const account = { accountId: options.accountId, partition: options.partition ?? partitionForRegion(options.region) };
    add("assumeRole.roleArn", roleArnProblem(options.assumeRole.roleArn) ?? arnAccountProblem(options.assumeRole.roleArn, "role", account));
  }
  return errors;
}

/**
 * Pins the AWS provider in a stack's `required_providers`: `hashicorp/aws` within `constraint`
 * (by default the range the bindings were generated for, which also has `target_role_arn`).
 */
export function pinAwsProvider(stack: TerraformStack, constraint: string = AWS_PROVIDER_VERSION_CONSTRAINT): void {
  stack.addOverride("terraform.required_providers.aws.source", "hashicorp/aws");
  stack.addOverride("terraform.required_providers.aws.version", constraint);
}
