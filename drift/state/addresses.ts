// Terraform addresses as recorded in state v4: resource instance addresses, provider configuration
// addresses, and the AWS ARN fields the drift check needs.

/** `module.a.aws_x.name["k"]` from a state resource's `module`, `type`, `name` and an instance's `index_key`. */
export function instanceAddress(module: string | undefined, type: string, name: string, indexKey: string | number | undefined): string {
  const prefix = module ? `${module}.` : "";
  const index = indexKey === undefined ? "" : typeof indexKey === "number" ? `[${indexKey}]` : `[${JSON.stringify(indexKey)}]`;
  return `${prefix}${type}.${name}${index}`;
}

export interface ProviderAddress {
  /** `module.x` when the provider configuration is declared inside a module. */
  readonly module?: string;
  /** `registry.terraform.io/hashicorp/aws`. */
  readonly source: string;
  readonly alias?: string;
}

const PROVIDER = /^((?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)provider\["([^"]+)"\](?:\.([A-Za-z_][A-Za-z0-9_-]*))?$/;

/**
 * Parses `provider["registry.terraform.io/hashicorp/aws"].cluster` and its `module.x.` prefixed form.
 * Returns undefined for anything else.
 */
export function parseProviderAddress(s: string): ProviderAddress | undefined {
  const m = PROVIDER.exec(s);
  if (!m) return undefined;
  const module = m[1] ? m[1].slice(0, -1) : undefined;
  return { ...(module ? { module } : {}), source: m[2]!, ...(m[3] ? { alias: m[3] } : {}) };
}

export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly accountId: string;
  readonly resource: string;
}

export function parseArn(arn: string): ArnParts | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return { partition: parts[1]!, service: parts[2]!, region: parts[3]!, accountId: parts[4]!, resource: parts.slice(5).join(":") };
}
