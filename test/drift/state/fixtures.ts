// Builders for Terraform state v4 documents, shaped as Terraform writes them.

export const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';

export interface AssociationFixture {
  readonly cluster?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly id?: string;
  readonly region?: string;
  readonly account?: string;
  readonly roleArn?: string;
  readonly targetRoleArn?: string | null;
  readonly disableSessionTags?: boolean;
  readonly externalId?: string | null;
  readonly tags?: Record<string, string> | null;
  readonly tagsAll?: Record<string, string>;
  readonly withArn?: boolean;
}

export function associationAttributes(f: AssociationFixture = {}): Record<string, unknown> {
  const cluster = f.cluster ?? "prod";
  const id = f.id ?? "a-0123456789abcdefg";
  const region = f.region ?? "eu-west-1";
  const account = f.account ?? "111111111111";
  return {
    association_arn: f.withArn === false ? null : `arn:aws:eks:${region}:${account}:podidentityassociation/${cluster}/${id}`,
    association_id: id,
    cluster_name: cluster,
    disable_session_tags: f.disableSessionTags ?? false,
    external_id: f.externalId ?? null,
    id,
    namespace: f.namespace ?? "apps",
    region,
    role_arn: f.roleArn ?? `arn:aws:iam::${account}:role/pod-identity`,
    service_account: f.serviceAccount ?? "web",
    tags: f.tags ?? null,
    tags_all: f.tagsAll ?? f.tags ?? {},
    target_role_arn: f.targetRoleArn ?? null,
  };
}

export function roleAttributes(name: string, account: string, policy: object, secret = "not-read"): Record<string, unknown> {
  return {
    arn: `arn:aws:iam::${account}:role/${name}`,
    assume_role_policy: JSON.stringify(policy),
    create_date: "2026-01-01T00:00:00Z",
    description: secret,
    force_detach_policies: false,
    id: name,
    // The provider refreshes the role's inline policies into state: read (they are compared with IAM), not secret.
    inline_policy: [
      { name: "inline", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }) },
    ],
    managed_policy_arns: [],
    max_session_duration: 3600,
    name,
    name_prefix: "",
    path: "/",
    permissions_boundary: "",
    tags: {},
    tags_all: {},
    unique_id: "AROAEXAMPLEEXAMPLE01",
  };
}

export interface ResourceFixture {
  readonly module?: string;
  readonly mode?: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly each?: "list" | "map";
  readonly provider?: string;
  readonly instances: ReadonlyArray<{ index_key?: string | number; deposed?: string; attributes: Record<string, unknown> }>;
}

export function stateDocument(resources: readonly ResourceFixture[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 4,
    terraform_version: "1.9.8",
    serial: 3,
    lineage: "8a1f9f5c-0000-0000-0000-000000000000",
    outputs: {},
    resources: resources.map((r) => ({
      ...(r.module ? { module: r.module } : {}),
      mode: r.mode ?? "managed",
      type: r.type,
      name: r.name,
      ...(r.each ? { each: r.each } : {}),
      provider: r.provider ?? AWS,
      instances: r.instances.map((i) => ({ schema_version: 0, sensitive_attributes: [], dependencies: [], ...i })),
    })),
    check_results: null,
    ...extra,
  };
}
