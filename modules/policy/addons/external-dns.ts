// external-dns on Route 53: change records in the given hosted zones only.
// Upstream: https://github.com/kubernetes-sigs/external-dns/blob/master/docs/tutorials/aws.md (IAM policy)
import { z } from "zod";
import type { PolicyDocumentJson } from "../json";
import { type AddonContext, allow, allowWithoutResourceLevel, arnList, document } from "./common";

export const externalDnsSchema = z
  .strictObject({
    name: z.literal("external-dns"),
    hostedZoneArns: arnList(
      "route53:::hostedzone/[A-Z0-9]{1,32}",
      "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
      "Route 53 hosted zones whose records external-dns may change",
    ),
  })
  .describe("external-dns (Route 53 provider)");

export type ExternalDnsAddon = z.infer<typeof externalDnsSchema>;

export function externalDnsPolicy(addon: ExternalDnsAddon, _ctx: AddonContext): PolicyDocumentJson {
  return document([
    allow("ChangeRecordsInZones", ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResource"], addon.hostedZoneArns),
    // route53:ListHostedZones supports no resource-level permission; it returns zone metadata only.
    allowWithoutResourceLevel("ListZonesNoResourceLevel", ["route53:ListHostedZones"]),
  ]);
}
