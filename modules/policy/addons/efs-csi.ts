// Amazon EFS CSI driver (dynamic provisioning): create and delete access points on the given file
// systems only.
// Upstream: https://github.com/kubernetes-sigs/aws-efs-csi-driver/blob/master/docs/iam-policy-example.json
import { z } from "zod";
import type { PolicyDocumentJson } from "../json";
import { type AddonContext, allow, allowWithoutResourceLevel, arnList, document, regionalArn } from "./common";

export const efsCsiSchema = z
  .strictObject({
    name: z.literal("efs-csi"),
    fileSystemArns: arnList(
      "elasticfilesystem:[a-z0-9-]+:\\d{12}:file-system/fs-[0-9a-f]+",
      "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-0123456789abcdef0",
      "EFS file systems on which the driver may create access points (the StorageClass fileSystemId)",
    ),
  })
  .describe("Amazon EFS CSI driver");

export type EfsCsiAddon = z.infer<typeof efsCsiSchema>;

export function efsCsiPolicy(addon: EfsCsiAddon, ctx: AddonContext): PolicyDocumentJson {
  const accessPoints = regionalArn(ctx, "elasticfilesystem", "access-point/*");
  return document([
    // ec2:DescribeAvailabilityZones supports no resource-level permission.
    allowWithoutResourceLevel("DescribeNoResourceLevel", ["ec2:DescribeAvailabilityZones"]),
    // The driver always names the file system (or the access point) it describes.
    allow(
      "DescribeFileSystems",
      ["elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeMountTargets"],
      [...addon.fileSystemArns, accessPoints],
    ),
    // The driver tags every access point it creates with efs.csi.aws.com/cluster=true.
    allow("CreateTaggedAccessPoints", ["elasticfilesystem:CreateAccessPoint"], addon.fileSystemArns, {
      StringEquals: { "aws:RequestTag/efs.csi.aws.com/cluster": "true" },
    }),
    allow("TagNewAccessPoints", ["elasticfilesystem:TagResource"], accessPoints, {
      StringEquals: { "aws:RequestTag/efs.csi.aws.com/cluster": "true" },
    }),
    allow("DeleteTaggedAccessPoints", ["elasticfilesystem:DeleteAccessPoint"], accessPoints, {
      StringEquals: { "aws:ResourceTag/efs.csi.aws.com/cluster": "true" },
    }),
  ]);
}
