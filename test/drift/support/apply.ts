// A test-only "terraform apply" for synthesized CDKTF JSON: creates every aws_eks_pod_identity_association
// in the EKS emulator and writes the Terraform state v4 an apply would leave (addresses, aliased provider
// strings, association_id / association_arn / external_id / tags_all, and the aws_iam_role instances with
// their arn and assume_role_policy). Only literal values are supported (the example synthesizes no tokens).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { EksEmulator } from "../../support/eks-emulator";
import { AWS, associationAttributes, roleAttributes, stateText, type StateResource } from "./tfstate";

interface ProviderBlock {
  alias?: string;
  region?: string;
  allowed_account_ids?: string[];
  default_tags?: { tags?: Record<string, string> }[];
}

export interface AppliedStack {
  readonly stack: string;
  readonly stateText: string;
  /** Terraform address → association id. */
  readonly associations: Record<string, string>;
}

export function applyStacks(outdir: string, eks: EksEmulator): AppliedStack[] {
  return readdirSync(join(outdir, "stacks")).map((stack) => applyStack(stack, JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")), eks));
}

function applyStack(stack: string, tf: { provider?: { aws?: ProviderBlock[] }; resource?: Record<string, Record<string, Record<string, unknown>>> }, eks: EksEmulator): AppliedStack {
  const providers = new Map<string, ProviderBlock>();
  for (const p of tf.provider?.aws ?? []) providers.set(p.alias ? `aws.${p.alias}` : "aws", p);
  const providerOf = (ref: unknown) => {
    const key = typeof ref === "string" ? ref : "aws";
    const p = providers.get(key);
    if (!p?.region || !p.allowed_account_ids?.[0]) throw new Error(`apply: provider ${key} needs region and allowed_account_ids`);
    const alias = key === "aws" ? "" : `.${key.slice(4)}`;
    return { region: p.region, accountId: p.allowed_account_ids[0], defaultTags: p.default_tags?.[0]?.tags ?? {}, address: `${AWS}${alias}` };
  };
  const resources: StateResource[] = [];
  const associations: Record<string, string> = {};

  for (const [name, r] of Object.entries(tf.resource?.aws_iam_role ?? {})) {
    const p = providerOf(r.provider);
    const arn = `arn:aws:iam::${p.accountId}:role${(r.path as string | undefined) ?? "/"}${r.name as string}`;
    resources.push({ type: "aws_iam_role", name, provider: p.address, instances: [{ attributes: roleAttributes(arn, JSON.parse(r.assume_role_policy as string)) }] });
  }
  for (const [name, r] of Object.entries(tf.resource?.aws_eks_pod_identity_association ?? {})) {
    const p = providerOf(r.provider);
    const cluster = { name: r.cluster_name as string, region: p.region, accountId: p.accountId };
    if (!eks.hasCluster(cluster)) eks.addCluster(cluster);
    const a = eks.createAssociation(cluster, {
      namespace: r.namespace as string,
      serviceAccount: r.service_account as string,
      roleArn: r.role_arn as string,
      ...(r.target_role_arn ? { targetRoleArn: r.target_role_arn as string } : {}),
      disableSessionTags: r.disable_session_tags === true,
      tags: { ...p.defaultTags, ...((r.tags as Record<string, string> | undefined) ?? {}) },
    });
    associations[`aws_eks_pod_identity_association.${name}`] = a.associationId;
    resources.push({ type: "aws_eks_pod_identity_association", name, provider: p.address, instances: [{ attributes: associationAttributes(a, p.region, p.defaultTags) }] });
  }
  return { stack, stateText: stateText(resources), associations };
}
