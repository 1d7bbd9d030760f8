// ARNs this project builds and checks. Role ARNs are computed as literal strings from values known at synth
// time (partition, account, path, name) so that policies, associations and size checks need no references.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html

/** The AWS partitions this project supports. */
export const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"] as const;
/** An AWS partition: `aws`, `aws-cn` or `aws-us-gov`. */
export type Partition = (typeof PARTITIONS)[number];

/** Region name prefixes of every partition but `aws`, including those this project does not support. */
const REGION_PREFIXES: readonly (readonly [prefix: string, partition: string])[] = [
  ["cn-", "aws-cn"],
  ["us-gov-", "aws-us-gov"],
  ["us-iso-", "aws-iso"],
  ["us-isob-", "aws-iso-b"],
  ["eu-isoe-", "aws-iso-e"],
  ["us-isof-", "aws-iso-f"],
  ["eusc-", "aws-eusc"],
];

/** Region name prefixes of the partitions this project does not support. */
export const UNSUPPORTED_REGION_PREFIXES: readonly string[] = REGION_PREFIXES.filter(([, p]) => !isSupportedPartition(p)).map(([prefix]) => prefix);

/** The partition a region belongs to, supported or not (`us-iso-east-1` → `aws-iso`); `aws` by default. */
export function regionPartition(region: string): string {
  return REGION_PREFIXES.find(([prefix]) => region.startsWith(prefix))?.[1] ?? "aws";
}

/** True for the partitions this project supports. */
export function isSupportedPartition(partition: string): partition is Partition {
  return (PARTITIONS as readonly string[]).includes(partition);
}

/**
 * The partition of a region this project supports: `cn-*` → `aws-cn`, `us-gov-*` → `aws-us-gov`, else `aws`
 * (regions of other partitions are refused by ../validation/rules.ts `regionProblem`).
 */
export function partitionForRegion(region: string): Partition {
  const partition = regionPartition(region);
  return isSupportedPartition(partition) ? partition : "aws";
}

/** `arn:<partition>:iam::<account>:role<path><name>`; `path` must start and end with `/`. */
export function roleArn(partition: string, accountId: string, path: string, name: string): string {
  return `arn:${partition}:iam::${accountId}:role${path}${name}`;
}

/** `arn:<partition>:iam::<account>:root`: the account as a principal. */
export function accountRootArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:root`;
}

/** `arn:<partition>:eks:<region>:<account>:cluster/<name>`. */
export function clusterArn(partition: string, region: string, accountId: string, clusterName: string): string {
  return `arn:${partition}:eks:${region}:${accountId}:cluster/${clusterName}`;
}

/** The parts of an ARN: `arn:partition:service:region:account:resource`. */
export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** Splits an ARN into its parts, or undefined when it does not have the six `:`-separated parts. */
export function parseArn(arn: string): ArnParts | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  return { partition, service, region, account, resource: parts.slice(5).join(":") };
}

/** For an IAM role ARN, its path (`/` or `/a/b/`) and name; undefined when `arn` is not an IAM role ARN. */
export function parseRoleArn(arn: string): { partition: string; account: string; path: string; name: string } | undefined {
  const p = parseArn(arn);
  if (!p || p.service !== "iam" || p.region !== "" || !p.resource.startsWith("role/")) return undefined;
  const rest = p.resource.slice("role".length);
  const cut = rest.lastIndexOf("/");
  return { partition: p.partition, account: p.account, path: rest.slice(0, cut + 1), name: rest.slice(cut + 1) };
}
