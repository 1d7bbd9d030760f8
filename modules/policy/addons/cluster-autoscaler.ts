// Cluster Autoscaler on AWS: scale only the Auto Scaling groups tagged as owned by the given clusters.
// Upstream: https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md
// (IAM policy, "Recommended": scope SetDesiredCapacity/TerminateInstanceInAutoScalingGroup by the
// k8s.io/cluster-autoscaler/<cluster> tag that auto-discovery uses).
import { z } from "zod";
import type { PolicyDocumentJson } from "../json";
import { type AddonContext, allow, allowWithoutResourceLevel, clusterNameSchema, document, regionalArn } from "./common";

export const clusterAutoscalerSchema = z
  .strictObject({
    name: z.literal("cluster-autoscaler"),
    clusterNames: z
      .array(clusterNameSchema.describe("An EKS cluster name"))
      .min(1)
      .refine((xs) => new Set(xs).size === xs.length, { message: "must not contain duplicates" })
      .describe("EKS clusters whose Auto Scaling groups may be scaled: only groups tagged k8s.io/cluster-autoscaler/<cluster>=owned"),
  })
  .describe("Cluster Autoscaler (AWS cloud provider)");

export type ClusterAutoscalerAddon = z.infer<typeof clusterAutoscalerSchema>;

export function clusterAutoscalerPolicy(addon: ClusterAutoscalerAddon, ctx: AddonContext): PolicyDocumentJson {
  const groups = regionalArn(ctx, "autoscaling", "autoScalingGroup:*:autoScalingGroupName/*");
  return document([
    // Describe* on Auto Scaling and EC2, and GetInstanceTypesFromInstanceRequirements, support no
    // resource-level permission.
    allowWithoutResourceLevel("DiscoverNoResourceLevel", [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]),
    allow(
      "DescribeNodegroups",
      ["eks:DescribeNodegroup"],
      addon.clusterNames.map((cluster) => regionalArn(ctx, "eks", `nodegroup/${cluster}/*/*`)),
    ),
    // One statement per cluster: each checks a different tag key.
    ...addon.clusterNames.map((cluster, i) =>
      allow(`ScaleOwnedGroups${i}`, ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"], groups, {
        StringEquals: { [`autoscaling:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: "owned" },
      }),
    ),
  ]);
}
