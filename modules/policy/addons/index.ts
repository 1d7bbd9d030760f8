// Named, least-privilege permission sets for common EKS add-ons, scoped by the user's ARNs.
// One file per add-on, each exporting `<addon>Schema` (a strict zod object with `name` as its literal
// discriminator) and `<addon>Policy(addon, ctx)`. Adding an add-on is one new file and one line in each
// of the two tables below. See docs/addon-policies.md.
import { z } from "zod";
import type { PolicyDocumentJson } from "../json";
import type { AddonContext } from "./common";
import { awsLoadBalancerControllerPolicy, awsLoadBalancerControllerSchema } from "./aws-load-balancer-controller";
import { certManagerPolicy, certManagerSchema } from "./cert-manager";
import { clusterAutoscalerPolicy, clusterAutoscalerSchema } from "./cluster-autoscaler";
import { ebsCsiPolicy, ebsCsiSchema } from "./ebs-csi";
import { efsCsiPolicy, efsCsiSchema } from "./efs-csi";
import { externalDnsPolicy, externalDnsSchema } from "./external-dns";
import { externalSecretsPolicy, externalSecretsSchema } from "./external-secrets";
import { veleroPolicy, veleroSchema } from "./velero";

export type { AddonContext } from "./common";

/** One add-on permission set, chosen by `name`, with the ARNs that scope it. */
export const addonPolicySchema = z
  .discriminatedUnion("name", [
    awsLoadBalancerControllerSchema,
    ebsCsiSchema,
    efsCsiSchema,
    externalDnsSchema,
    certManagerSchema,
    clusterAutoscalerSchema,
    externalSecretsSchema,
    veleroSchema,
  ])
  .describe("A least-privilege permission set for a common EKS add-on, scoped by your ARNs; `name` picks the add-on");

/** One add-on permission set with the ARNs that scope it (see docs/addon-policies.md). */
export type AddonPolicy = z.infer<typeof addonPolicySchema>;
/** The name of an add-on permission set. */
export type AddonName = AddonPolicy["name"];

/** Every add-on name, in a stable order. */
export const ADDON_NAMES: readonly AddonName[] = [
  "aws-load-balancer-controller",
  "ebs-csi",
  "efs-csi",
  "external-dns",
  "cert-manager",
  "cluster-autoscaler",
  "external-secrets",
  "velero",
];

/** The prefix of the inline policies that carry add-on permission sets. */
export const ADDON_POLICY_PREFIX = "addon-";

/** The name of the inline policy that carries an add-on's permission set on a role. */
export function addonInlinePolicyName(name: AddonName): string {
  return `${ADDON_POLICY_PREFIX}${name}`;
}

/**
 * The IAM policy document for an add-on, for a role in `ctx` (the partition and account of the role it is
 * attached to, and the region or regions it acts in: resources the add-on creates are scoped to them).
 * Pure and deterministic: the same input gives the same statements in the same order.
 */
export function addonPolicyDocument(addon: AddonPolicy, ctx: AddonContext): PolicyDocumentJson {
  const regions = [...new Set(ctx.regions ?? [ctx.region])];
  if (regions.length <= 1) return renderAddon(addon, { ...ctx, region: regions[0] ?? ctx.region, regions: undefined });
  return mergeRegions(regions.map((region) => renderAddon(addon, { ...ctx, region, regions: undefined })));
}

/**
 * One document from the same add-on rendered for several regions: statement i of each rendering differs at
 * most in its resources (only resource ARNs carry a region), so each statement keeps its place and gets the
 * union of the resources, in region order.
 */
function mergeRegions(docs: readonly PolicyDocumentJson[]): PolicyDocumentJson {
  const [first, ...rest] = docs as [PolicyDocumentJson, ...PolicyDocumentJson[]];
  const list = (r: string | readonly string[] | undefined): readonly string[] => (r === undefined ? [] : typeof r === "string" ? [r] : r);
  const statements = first.Statement.map((s, i) => {
    const resources = [...new Set(docs.flatMap((d) => list(d.Statement[i]!.Resource)))];
    for (const other of rest) {
      const o = other.Statement[i];
      if (!o || JSON.stringify({ ...o, Resource: undefined }) !== JSON.stringify({ ...s, Resource: undefined })) {
        throw new Error(`add-on statement ${s.Sid ?? i} differs between regions in more than its resources`);
      }
    }
    return { ...s, Resource: resources.length === 1 ? resources[0]! : resources };
  });
  return { ...first, Statement: statements };
}

function renderAddon(addon: AddonPolicy, ctx: AddonContext): PolicyDocumentJson {
  switch (addon.name) {
    case "aws-load-balancer-controller":
      return awsLoadBalancerControllerPolicy(addon, ctx);
    case "ebs-csi":
      return ebsCsiPolicy(addon, ctx);
    case "efs-csi":
      return efsCsiPolicy(addon, ctx);
    case "external-dns":
      return externalDnsPolicy(addon, ctx);
    case "cert-manager":
      return certManagerPolicy(addon, ctx);
    case "cluster-autoscaler":
      return clusterAutoscalerPolicy(addon, ctx);
    case "external-secrets":
      return externalSecretsPolicy(addon, ctx);
    case "velero":
      return veleroPolicy(addon, ctx);
  }
}
