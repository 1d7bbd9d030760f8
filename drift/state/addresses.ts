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

const MODULES = "((?:module\\.[A-Za-z0-9_-]+(?:\\[[^\\]]*\\])?\\.)*)";
const ALIAS = "(?:\\.([A-Za-z_][A-Za-z0-9_-]*))?";
/** Terraform 0.13 and later: `provider["registry.terraform.io/hashicorp/aws"].alias`. */
const PROVIDER = new RegExp(`^${MODULES}provider\\["([^"]+)"\\]${ALIAS}$`);
/** Terraform 0.12 (state v4 before provider sources): `provider.aws.alias`. */
const LEGACY_PROVIDER = new RegExp(`^${MODULES}provider\\.([A-Za-z0-9_-]+)${ALIAS}$`);

/**
 * Parses `provider["registry.terraform.io/hashicorp/aws"].cluster` and Terraform 0.12's `provider.aws.cluster`,
 * each also with the `module.x.` prefix of a provider configured inside a module. A 0.12 provider has no
 * source address: it is given as Terraform's own upgrade names it, `registry.terraform.io/-/aws`.
 * Returns undefined for anything else.
 */
export function parseProviderAddress(s: string): ProviderAddress | undefined {
  const modern = PROVIDER.exec(s);
  if (modern) return providerAddress(modern[1], modern[2]!, modern[3]);
  const legacy = LEGACY_PROVIDER.exec(s);
  if (legacy) return providerAddress(legacy[1], `registry.terraform.io/-/${legacy[2]!}`, legacy[3]);
  return undefined;
}

function providerAddress(modules: string | undefined, source: string, alias: string | undefined): ProviderAddress {
  const module = modules ? modules.slice(0, -1) : undefined;
  return { ...(module ? { module } : {}), source, ...(alias ? { alias } : {}) };
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
