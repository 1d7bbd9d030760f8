// How associations and clusters are identified across state, live and history.
import { createHash } from "node:crypto";

/** "region/name": clusters are matched by name and region, and by account when both sides know it. */
export function clusterKey(c: { readonly region: string; readonly clusterName?: string; readonly name?: string }): string {
  return `${c.region}/${c.clusterName ?? c.name ?? ""}`;
}

/** One association per service account per cluster: the slot an association occupies (in `region`, by default its own). */
export function slotKey(
  a: {
    readonly accountId?: string;
    readonly associationArn?: string;
    readonly roleArn: string;
    readonly region?: string;
    readonly clusterName: string;
    readonly namespace: string;
    readonly serviceAccount: string;
  },
  region: string = a.region ?? "",
): string {
  // Clusters of the same name and region in two accounts are two clusters.
  return `${accountOf(a) ?? ""}/${region}/${a.clusterName}/${a.namespace}/${a.serviceAccount}`;
}

/** The account of an association's cluster: from its ARN, else its role's (EKS requires the role in the cluster's account). */
function accountOf(a: { readonly accountId?: string; readonly associationArn?: string; readonly roleArn: string }): string | undefined {
  return a.accountId ?? parseArn(a.associationArn).accountId ?? parseArn(a.roleArn).accountId;
}

type CredentialConfig = { readonly roleArn: string; readonly targetRoleArn?: string; readonly disableSessionTags: boolean };

/** Whether two configurations give pods the same credentials (what configHash digests). */
export function sameConfig(a: CredentialConfig, b: CredentialConfig): boolean {
  return a.roleArn === b.roleArn && (a.targetRoleArn ?? null) === (b.targetRoleArn ?? null) && a.disableSessionTags === b.disableSessionTags;
}

/** The configuration that decides what credentials pods get: a change of it is what caching delays. */
export function configHash(a: CredentialConfig): string {
  const canonical = JSON.stringify([a.roleArn, a.targetRoleArn ?? null, a.disableSessionTags]);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** Account and region from an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`). */
export function parseArn(arn: string | undefined): { readonly region?: string; readonly accountId?: string } {
  const parts = arn?.split(":") ?? [];
  if (parts.length < 6 || parts[0] !== "arn") return {};
  return { ...(parts[3] ? { region: parts[3] } : {}), ...(parts[4] ? { accountId: parts[4] } : {}) };
}

/** A glob with `*` (any run of characters) and `?` (one character), matched against the whole string. */
export function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(value);
}
