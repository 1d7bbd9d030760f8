// Terraform state v4 text, written the way Terraform writes it, from associations and roles: for tests
// that need a state file without synthesizing and applying an app.
import type { EmulatedAssociation } from "../../support/eks-emulator";

export interface StateResource {
  readonly module?: string;
  readonly type: "aws_eks_pod_identity_association" | "aws_iam_role";
  readonly name: string;
  readonly provider: string;
  readonly each?: "map" | "list";
  readonly instances: readonly { readonly index_key?: string | number; readonly attributes: Record<string, unknown> }[];
}

export const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';

export function stateText(resources: readonly StateResource[], serial = 1): string {
  return `${JSON.stringify(
    {
      version: 4,
      terraform_version: "1.9.8",
      serial,
      lineage: "5b2c6f0e-0000-4000-8000-000000000000",
      outputs: {},
      resources: resources.map((r) => ({
        ...(r.module ? { module: r.module } : {}),
        mode: "managed",
        type: r.type,
        name: r.name,
        ...(r.each ? { each: r.each } : {}),
        provider: r.provider,
        instances: r.instances.map((i) => ({
          ...(i.index_key !== undefined ? { index_key: i.index_key } : {}),
          schema_version: 0,
          attributes: i.attributes,
          sensitive_attributes: [],
          dependencies: [],
        })),
      })),
      check_results: null,
    },
    null,
    2,
  )}\n`;
}

/** The attributes the AWS provider stores for an association, from what the API returned. */
export function associationAttributes(a: EmulatedAssociation, region: string, defaultTags: Record<string, string> = {}): Record<string, unknown> {
  const ownTags = Object.fromEntries(Object.entries(a.tags).filter(([k]) => !(k in defaultTags)));
  return {
    association_arn: a.associationArn,
    association_id: a.associationId,
    cluster_name: a.clusterName,
    disable_session_tags: a.disableSessionTags,
    external_id: a.externalId ?? null,
    id: a.associationId,
    namespace: a.namespace,
    region,
    role_arn: a.roleArn,
    service_account: a.serviceAccount,
    tags: Object.keys(ownTags).length > 0 ? ownTags : null,
    tags_all: { ...a.tags },
    target_role_arn: a.targetRoleArn ?? null,
  };
}

export function roleAttributes(arn: string, trust: unknown): Record<string, unknown> {
  return {
    arn,
    assume_role_policy: JSON.stringify(trust),
    name: arn.split("/").pop(),
    id: arn.split("/").pop(),
    max_session_duration: 3600,
    path: "/",
    tags: null,
    tags_all: {},
  };
}
