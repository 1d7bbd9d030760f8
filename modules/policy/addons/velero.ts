// Velero with the AWS plugin: back up to and restore from the given S3 buckets, and snapshot EBS volumes
// in the role's own account and region.
// Upstream: https://github.com/vmware-tanzu/velero-plugin-for-aws#set-permissions-for-velero
import { z } from "zod";
import type { PolicyDocumentJson, StatementJson } from "../json";
import { type AddonContext, allow, allowWithoutResourceLevel, arnList, document, regionalArn } from "./common";

export const veleroSchema = z
  .strictObject({
    name: z.literal("velero"),
    bucketArns: arnList(
      "s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
      "arn:aws:s3:::my-velero-backups",
      "S3 buckets holding Velero backups (bucket ARNs; object access is granted on <bucket>/*)",
    ),
    kmsKeyArns: arnList(
      "kms:[a-z0-9-]+:\\d{12}:key/[0-9a-f-]+",
      "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "Customer managed KMS keys encrypting the bucket or the snapshotted volumes",
    ).optional(),
  })
  .describe("Velero (AWS plugin: S3 object store and EBS volume snapshots)");

export type VeleroAddon = z.infer<typeof veleroSchema>;

export function veleroPolicy(addon: VeleroAddon, ctx: AddonContext): PolicyDocumentJson {
  const volumes = regionalArn(ctx, "ec2", "volume/*");
  // Snapshot ARNs carry no account id (arn:PARTITION:ec2:REGION::snapshot/ID): match any account field.
  const snapshots = `arn:${ctx.partition}:ec2:${ctx.region}:*:snapshot/*`;
  const statements: StatementJson[] = [
    // EC2 Describe* actions support no resource-level permission.
    allowWithoutResourceLevel("DescribeNoResourceLevel", ["ec2:DescribeSnapshots", "ec2:DescribeVolumes"]),
    allow("SnapshotVolumes", ["ec2:CreateSnapshot", "ec2:CreateVolume"], [snapshots, volumes]),
    allow("TagOnCreate", ["ec2:CreateTags"], [snapshots, volumes], {
      StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CreateVolume"] },
    }),
    allow("DeleteSnapshots", ["ec2:DeleteSnapshot"], snapshots),
    allow(
      "ReadWriteBackups",
      ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging"],
      addon.bucketArns.map((bucket) => `${bucket}/*`),
    ),
    allow("ListBackups", ["s3:ListBucket"], addon.bucketArns),
  ];
  if (addon.kmsKeyArns !== undefined) {
    statements.push(
      allow("UseKeys", ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], addon.kmsKeyArns),
      allow("GrantKeysToEbs", ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], addon.kmsKeyArns, {
        Bool: { "kms:GrantIsForAWSResource": "true" },
      }),
    );
  }
  return document(statements);
}
