// cert-manager's ACME DNS-01 solver on Route 53: write challenge records in the given hosted zones only.
// Upstream: https://cert-manager.io/docs/configuration/acme/dns01/route53/ (IAM policy)
import { z } from "zod";
import type { PolicyDocumentJson } from "../json";
import { type AddonContext, allow, allowWithoutResourceLevel, arnList, document } from "./common";

export const certManagerSchema = z
  .strictObject({
    name: z.literal("cert-manager"),
    hostedZoneArns: arnList(
      "route53:::hostedzone/[A-Z0-9]{1,32}",
      "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
      "Route 53 hosted zones in which cert-manager may write DNS-01 challenge records",
    ),
  })
  .describe("cert-manager ACME DNS-01 solver (Route 53)");

export type CertManagerAddon = z.infer<typeof certManagerSchema>;

export function certManagerPolicy(addon: CertManagerAddon, ctx: AddonContext): PolicyDocumentJson {
  return document([
    // Only TXT records are ever written for DNS-01: narrow the record types like the upstream guide.
    allow("ChangeChallengeRecords", ["route53:ChangeResourceRecordSets"], addon.hostedZoneArns, {
      "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
    }),
    allow("ListRecordsInZones", ["route53:ListResourceRecordSets"], addon.hostedZoneArns),
    allow("GetChangeStatus", ["route53:GetChange"], `arn:${ctx.partition}:route53:::change/*`),
    // route53:ListHostedZonesByName supports no resource-level permission.
    allowWithoutResourceLevel("FindZonesNoResourceLevel", ["route53:ListHostedZonesByName"]),
  ]);
}
