// Amazon EBS CSI driver: create, attach, modify, snapshot and delete the volumes it manages, in the
// role's own account and region only.
// Upstream: https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/example-iam-policy.json
// (same statements, narrowed from `arn:aws:ec2:*:*:` to the role's partition, region and account).
import { z } from "zod";
import type { PolicyDocumentJson, StatementJson } from "../json";
import { type AddonContext, allow, allowWithoutResourceLevel, arnList, document, regionalArn } from "./common";

export const ebsCsiSchema = z
  .strictObject({
    name: z.literal("ebs-csi"),
    kmsKeyArns: arnList(
      "kms:[a-z0-9-]+:\\d{12}:key/[0-9a-f-]+",
      "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "Customer managed KMS keys used to encrypt volumes (StorageClass kmsKeyId); omit for the AWS managed aws/ebs key",
    ).optional(),
  })
  .describe("Amazon EBS CSI driver");

export type EbsCsiAddon = z.infer<typeof ebsCsiSchema>;

export function ebsCsiPolicy(addon: EbsCsiAddon, ctx: AddonContext): PolicyDocumentJson {
  const volumes = regionalArn(ctx, "ec2", "volume/*");
  const instances = regionalArn(ctx, "ec2", "instance/*");
  // Snapshot ARNs carry no account id (arn:PARTITION:ec2:REGION::snapshot/ID): match any account field.
  const snapshots = `arn:${ctx.partition}:ec2:${ctx.region}:*:snapshot/*`;
  const statements: StatementJson[] = [
    // EC2 Describe* actions support no resource-level permission.
    allowWithoutResourceLevel("DescribeNoResourceLevel", [
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInstances",
      "ec2:DescribeSnapshots",
      "ec2:DescribeTags",
      "ec2:DescribeVolumeStatus",
      "ec2:DescribeVolumes",
      "ec2:DescribeVolumesModifications",
    ]),
    allow("SnapshotAndModifyVolumes", ["ec2:CreateSnapshot", "ec2:ModifyVolume"], volumes),
    allow("AttachVolumes", ["ec2:AttachVolume", "ec2:DetachVolume"], [volumes, instances]),
    allow("CreateVolumesFromSnapshots", ["ec2:CreateVolume", "ec2:EnableFastSnapshotRestores"], snapshots),
    allow("TagOnCreate", ["ec2:CreateTags"], [volumes, snapshots], {
      StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CreateVolume"] },
    }),
    allow("UntagVolumesAndSnapshots", ["ec2:DeleteTags"], [volumes, snapshots]),
    // The driver tags every volume it creates with ebs.csi.aws.com/cluster=true and CSIVolumeName.
    allow("CreateDriverTaggedVolumes", ["ec2:CreateVolume"], volumes, {
      StringEquals: { "aws:RequestTag/ebs.csi.aws.com/cluster": "true" },
    }),
    allow("CreateNamedVolumes", ["ec2:CreateVolume"], volumes, { StringLike: { "aws:RequestTag/CSIVolumeName": "*" } }),
    allow("DeleteDriverTaggedVolumes", ["ec2:DeleteVolume"], volumes, {
      StringEquals: { "ec2:ResourceTag/ebs.csi.aws.com/cluster": "true" },
    }),
    allow("DeleteNamedVolumes", ["ec2:DeleteVolume"], volumes, { StringLike: { "ec2:ResourceTag/CSIVolumeName": "*" } }),
    allow("DeletePvcVolumes", ["ec2:DeleteVolume"], volumes, {
      StringLike: { "ec2:ResourceTag/kubernetes.io/created-for/pvc/name": "*" },
    }),
    allow("CreateNamedSnapshots", ["ec2:CreateSnapshot"], snapshots, { StringLike: { "aws:RequestTag/CSIVolumeSnapshotName": "*" } }),
    allow("CreateDriverTaggedSnapshots", ["ec2:CreateSnapshot"], snapshots, {
      StringEquals: { "aws:RequestTag/ebs.csi.aws.com/cluster": "true" },
    }),
    allow("DeleteNamedSnapshots", ["ec2:DeleteSnapshot"], snapshots, { StringLike: { "ec2:ResourceTag/CSIVolumeSnapshotName": "*" } }),
    allow("DeleteDriverTaggedSnapshots", ["ec2:DeleteSnapshot"], snapshots, {
      StringEquals: { "ec2:ResourceTag/ebs.csi.aws.com/cluster": "true" },
    }),
  ];
  if (addon.kmsKeyArns !== undefined) {
    // EBS needs a grant on the key to attach an encrypted volume; only grants for AWS resources.
    statements.push(
      allow("GrantKeysToEbs", ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], addon.kmsKeyArns, {
        Bool: { "kms:GrantIsForAWSResource": "true" },
      }),
      allow("UseKeys", ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], addon.kmsKeyArns),
    );
  }
  return document(statements);
}
