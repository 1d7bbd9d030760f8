// What the generated module promises its callers, shared by the builder, the checks and the docs.

/** The provider configurations the caller passes in (`providers = { aws.cluster = …, aws.target = … }`). */
export const CONFIGURATION_ALIASES = ["aws.cluster", "aws.target"] as const;
/** Preconditions need Terraform 1.2; 1.3 is the oldest release still widely used with AWS provider 6. */
export const TERRAFORM_REQUIRED_VERSION = ">= 1.3.0";
/**
 * Where the module is committed, relative to the project root: callers pin it by tag,
 * `source = "git::https://…/REPO.git//terraform/pod-identity-chain?ref=vX.Y.Z"`.
 */
export const MODULE_DIR = "terraform/pod-identity-chain";

/** The generated module: file name → JSON content. */
export type ModuleFiles = Readonly<Record<string, Record<string, unknown>>>;

/** The parts of a Terraform JSON module that the checks and the generated docs read. */
export interface ModuleJson {
  readonly [block: string]: unknown;
  readonly provider?: unknown;
  readonly terraform?: {
    readonly backend?: unknown;
    readonly cloud?: unknown;
    readonly required_providers?: {
      readonly aws?: { readonly source?: unknown; readonly version?: unknown; readonly configuration_aliases?: readonly string[] };
    };
  };
  readonly resource?: Readonly<Record<string, Readonly<Record<string, { readonly provider?: unknown }>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, { readonly provider?: unknown }>>>>;
  readonly variable?: Readonly<Record<string, ModuleVariableJson>>;
  readonly output?: Readonly<Record<string, { readonly value?: unknown; readonly description?: unknown }>>;
}

/** A variable block of a Terraform JSON module. */
export interface ModuleVariableJson {
  readonly type?: unknown;
  readonly description?: unknown;
  readonly default?: unknown;
  readonly validation?: readonly { readonly condition?: string; readonly error_message?: string }[];
}
