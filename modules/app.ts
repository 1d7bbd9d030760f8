// Builds the cdktf app from a validated config: stacks (one per cluster account by default), one aliased
// provider per account used in each stack, the shared roles, and one PodIdentityChain per association.
import * as path from "node:path";
import { Annotations, App, LocalBackend, S3Backend, TerraformStack, Token, type S3BackendConfig } from "cdktf";
import { PodIdentityChain } from "./chain";
import { roleStacks, stackIdFor } from "./config/placement";
import { associationName, type PodIdentityConfig } from "./config/schema";
import { PodIdentityRole } from "./pod-identity-role";
import { createAccountProvider, pinAwsProvider, type AwsAccount } from "./providers";
import { TargetRole } from "./target-role";

export interface BuildOptions {
  /** The directory cdktf synthesizes into. @default $CDKTF_OUTDIR, else "cdktf.out" under projectRoot */
  readonly outdir?: string;
  /** The project root: local state files are written here as terraform.<stack>.tfstate. @default process.cwd() */
  readonly projectRoot?: string;
  /**
   * The caller runs validateApp() itself before synth (main.ts does, to print every problem before anything
   * is written), so app.synth() need not run every validation a second time. @default false
   */
  readonly validatedByCaller?: boolean;
}

export interface BuiltApp {
  readonly app: App;
  readonly stacks: ReadonlyMap<string, TerraformStack>;
}

/**
 * A stack of this app. Before synthesis cdktf resolves every element of every stack once more only to find
 * references to resources of other stacks (for which it adds outputs and remote state). Here only a shared
 * role's ARN can cross stacks, and it is a literal unless the role is named by a prefix: buildApp clears
 * `crossStackReferences` when none is a token, and the pass, which could find nothing, is skipped.
 */
class AppStack extends TerraformStack {
  public crossStackReferences = true;

  public override prepareStack(): void {
    if (this.crossStackReferences) super.prepareStack();
    else this.ensureBackendExists();
  }
}

/** Builds (does not synthesize) the app for a config that passed ../config/schema.ts. */
export function buildApp(config: PodIdentityConfig, options: BuildOptions = {}): BuiltApp {
  const projectRoot = path.resolve(options.projectRoot ?? process.cwd());
  const outdir = path.resolve(projectRoot, options.outdir ?? (process.env.CDKTF_OUTDIR || "cdktf.out"));
  const app = new App({ outdir, stackTraces: false, skipValidation: options.validatedByCaller === true });
  const stacks = new Map<string, AppStack>();
  const providers = new Map<string, AwsAccount>();
  const d = config.defaults;

  const stackFor = (id: string): AppStack => {
    let stack = stacks.get(id);
    if (stack) return stack;
    stack = new AppStack(app, id);
    pinAwsProvider(stack);
    if (config.backend.type === "local") {
      // Terraform runs in <outdir>/stacks/<id>: a path relative to there keeps absolute paths out of the JSON
      // and puts the state at the project root.
      const file = path.join(projectRoot, `terraform.${id}.tfstate`);
      new LocalBackend(stack, { path: path.relative(path.join(outdir, "stacks", id), file).split(path.sep).join("/") });
    } else {
      const b = config.backend;
      new S3Backend(stack, {
        bucket: b.bucket,
        key: `${b.keyPrefix}/${id}.tfstate`,
        region: b.region,
        encrypt: b.encrypt,
        ...(b.profile !== undefined ? { profile: b.profile } : {}),
        ...(b.roleArn !== undefined ? { assumeRole: { roleArn: b.roleArn } } : {}),
        useLockfile: true,
      } as S3BackendConfig);
    }
    stacks.set(id, stack);
    return stack;
  };
  const accountIn = (stack: TerraformStack, key: string): AwsAccount => {
    const id = `${stack.node.id}/${key}`;
    let account = providers.get(id);
    if (!account) {
      account = createAccountProvider(stack, key, config.accounts[key]!);
      providers.set(id, account);
    }
    return account;
  };
  const tags = (own?: Record<string, string>): Record<string, string> | undefined => {
    const merged = { ...d.tags, ...own };
    return Object.keys(merged).length > 0 ? merged : undefined;
  };
  // Shared roles live in their `stack`, else in the stack of the first association that uses them. Both
  // kinds take the same options from the config; a bring-your-own role (existingArn) takes none of them.
  type SharedRoleConfig = { account: string; existingArn?: string; stack?: string; path?: string; tags?: Record<string, string> };
  const roleProps = <T extends SharedRoleConfig>(key: string, r: T, stack: TerraformStack) => {
    const { account, existingArn, stack: _placement, ...rest } = r;
    void _placement;
    return {
      ...(existingArn !== undefined ? { existingRoleArn: existingArn } : { ...rest, defaultName: key, path: r.path ?? d.rolePath, tags: tags(r.tags) }),
      account: accountIn(stack, account),
      label: key,
      trustPolicyMaxSize: d.trustPolicyMaxSize,
    };
  };
  const placed = roleStacks(config);
  const podRoles = new Map<string, PodIdentityRole>();
  for (const [key, r] of Object.entries(config.podIdentityRoles)) {
    const stack = stackFor(placed.podIdentityRoles.get(key)!);
    podRoles.set(key, new PodIdentityRole(stack, `pod_identity_role_${key}`, roleProps(key, r, stack)));
  }
  const targetRoles = new Map<string, TargetRole>();
  for (const [key, r] of Object.entries(config.targetRoles)) {
    const stack = stackFor(placed.targetRoles.get(key)!);
    targetRoles.set(key, new TargetRole(stack, `target_role_${key}`, roleProps(key, r, stack)));
  }

  for (const a of config.associations) {
    const clusterCfg = config.clusters[a.cluster]!;
    const account = config.accounts[clusterCfg.account]!;
    const stack = stackFor(stackIdFor(config, a.cluster));
    const clusterAccount = accountIn(stack, clusterCfg.account);
    const name = associationName(a);
    new PodIdentityChain(stack, name, {
      label: name,
      cluster: { name: clusterCfg.name ?? a.cluster, accountId: account.accountId, region: clusterCfg.region ?? account.region, partition: account.partition },
      namespace: a.namespace,
      serviceAccount: a.serviceAccount,
      podIdentityRole: a.podIdentityRole !== undefined ? podRoles.get(a.podIdentityRole)! : { defaultName: name, path: d.rolePath, tags: tags() },
      targetRole: a.targetRole !== undefined ? targetRoles.get(a.targetRole)! : undefined,
      sessionTags: a.sessionTags ?? d.sessionTags,
      trustForm: a.trustForm,
      sessionPolicy: a.sessionPolicy,
      tags: tags(a.tags),
      providers: { cluster: clusterAccount.provider },
      trustPolicyMaxSize: d.trustPolicyMaxSize,
    });
  }
  const sharedRoles = [...podRoles.values(), ...targetRoles.values()];
  const crossStackReferences = sharedRoles.some((r) => Token.isUnresolved(r.arn));
  for (const stack of stacks.values()) stack.crossStackReferences = crossStackReferences;
  warnRolesOnlyStacks(config, sharedRoles);
  return { app, stacks };
}

/** A role's `stack` that no association lives in: fine for a stack of shared roles, a typo otherwise. */
function warnRolesOnlyStacks(config: PodIdentityConfig, roles: readonly (PodIdentityRole | TargetRole)[]): void {
  const withAssociations = new Set(config.associations.map((a) => stackIdFor(config, a.cluster)));
  for (const role of roles) {
    const id = TerraformStack.of(role).node.id;
    if (withAssociations.has(id)) continue;
    Annotations.of(role).addWarning(
      `${role instanceof TargetRole ? "target role" : "Pod Identity role"} "${role.label}" is placed in stack "${id}", which holds no association: it is deployed as a stack of its own, before the stacks that use it (association stacks: ${[...withAssociations].join(", ")}); if that was not the intent, check its stack:`,
    );
  }
}

/** Every validation error of the app (all stacks), without synthesizing anything. */
export function validateApp(app: App): string[] {
  return app.node.findAll().flatMap((c) => c.node.validate());
}

/** Every warning annotation of the app. */
export function warningsOf(app: App): string[] {
  return app.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
}
