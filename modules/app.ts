// Builds the cdktf app from a validated config: stacks (one per cluster account by default), one aliased
// provider per account used in each stack, the shared roles, and one PodIdentityChain per association.
// Addresses follow identity (./refactoring/paths.ts): an association's chain sits at its cluster key,
// namespace and service account, a shared role at its key; renamed keys (`movedFrom`) and the addresses of
// before (named after the association) get moved blocks. Given what was there before, resources that moved
// to another stack are forgotten there and imported here, and changes that would replace what only moved are
// refused with their fix (./refactoring/compare.ts).
import * as path from "node:path";
import { Annotations, App, LocalBackend, S3Backend, TerraformStack, Token, type S3BackendConfig } from "./terraform-cdk";
import { Construct } from "constructs";
import { PodIdentityChain } from "./chain";
import { roleStacks, stackIdFor, type SharedRoleKind } from "./config/placement";
import { associationName, type AssociationConfig, type PodIdentityConfig } from "./config/schema";
import { resolvingPlainValuesDirectly } from "./plain-resolve";
import { PodIdentityRole } from "./pod-identity-role";
import { createAccountProvider, pinAwsProvider, type AwsAccount } from "./providers";
import { RefactoringBlocks } from "./refactoring/blocks";
import { compareWithPrevious, type CrossStackMove, type Owner } from "./refactoring/compare";
import { currentStacks } from "./refactoring/current";
import { associationId, associationPath, clusterScopeId, labelPath, sharedRolePath } from "./refactoring/paths";
import type { PreviousDeployment } from "./refactoring/previous";
import { TargetRole } from "./target-role";
import { idKeyProblem } from "./validation/rules";

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
  /**
   * What was deployed or last synthesized (./refactoring/previous.ts). Given, resources that moved to another
   * stack get removed and import blocks, and changes that would replace what only moved are validation
   * errors naming their fix. @default - no comparison
   */
  readonly previous?: PreviousDeployment;
  /** Build even where a resource that only moved would be replaced (POD_IDENTITY_ALLOW_REPLACE). @default false */
  readonly allowReplace?: boolean;
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

  /** cdktf's synthesis of the stack, with plain values resolved directly (./plain-resolve.ts). */
  public override toTerraform(): ReturnType<TerraformStack["toTerraform"]> {
    return resolvingPlainValuesDirectly(() => super.toTerraform());
  }
}

/** The Terraform and OpenTofu versions with the S3 backend's `use_lockfile`. */
const S3_LOCKFILE_TARGET_VERSIONS = { terraform: ">=1.10.0", opentofu: ">=1.10.0" };

/** Builds (does not synthesize) the app for a config that passed ../config/schema.ts. */
export function buildApp(config: PodIdentityConfig, options: BuildOptions = {}): BuiltApp {
  const projectRoot = path.resolve(options.projectRoot ?? process.cwd());
  const outdir = path.resolve(projectRoot, options.outdir ?? (process.env.CDKTF_OUTDIR || "cdktf.out"));
  // CDK Terrain checks a backend's features against the Terraform versions the project targets (context
  // `targetVersions`, default Terraform >= 1.5.7): the S3 backend's lock file needs 1.10. CDKTF ignores it.
  const context = config.backend.type === "s3" ? { targetVersions: S3_LOCKFILE_TARGET_VERSIONS } : {};
  const app = new App({ outdir, stackTraces: false, skipValidation: options.validatedByCaller === true, context });
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
      new LocalBackend(stack, {
        path: path
          .relative(path.join(outdir, "stacks", id), file)
          .split(path.sep)
          .join("/"),
      });
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
  type SharedRoleConfig = {
    account: string;
    existingArn?: string;
    stack?: string;
    path?: string;
    tags?: Record<string, string>;
    movedFrom?: string[];
    name?: string;
  };
  const roleProps = <T extends SharedRoleConfig>(kind: SharedRoleKind, key: string, r: T, stack: TerraformStack) => {
    const { account, existingArn, stack: _placement, movedFrom, ...rest } = r;
    void _placement;
    return {
      ...(existingArn !== undefined
        ? { existingRoleArn: existingArn }
        : { ...rest, defaultName: key, path: r.path ?? d.rolePath, tags: tags(r.tags), movedFrom: movedFrom?.map((k) => sharedRolePath(kind, k).join("/")) }),
      account: accountIn(stack, account),
      label: key,
      trustPolicyMaxSize: d.trustPolicyMaxSize,
    };
  };
  const owners = new Map<Construct, Owner>();
  const sharedRoleOwner = (kind: SharedRoleKind, key: string, r: SharedRoleConfig): Owner => ({
    kind: "sharedRole",
    roleKind: kind,
    key,
    movedFrom: r.movedFrom ?? [],
    nameDerived: r.name === undefined,
    placed: r.stack !== undefined,
  });
  const placed = roleStacks(config);
  const podRoles = new Map<string, PodIdentityRole>();
  for (const [key, r] of Object.entries(config.podIdentityRoles)) {
    const stack = stackFor(placed.podIdentityRoles.get(key)!);
    const role = new PodIdentityRole(stack, sharedRolePath("podIdentityRoles", key)[0]!, roleProps("podIdentityRoles", key, r, stack));
    podRoles.set(key, role);
    owners.set(role, sharedRoleOwner("podIdentityRoles", key, r));
  }
  const targetRoles = new Map<string, TargetRole>();
  for (const [key, r] of Object.entries(config.targetRoles)) {
    const stack = stackFor(placed.targetRoles.get(key)!);
    const role = new TargetRole(stack, sharedRolePath("targetRoles", key)[0]!, roleProps("targetRoles", key, r, stack));
    targetRoles.set(key, role);
    owners.set(role, sharedRoleOwner("targetRoles", key, r));
  }

  const movedFrom = chainMovedFrom(config);
  config.associations.forEach((a, index) => {
    const clusterCfg = config.clusters[a.cluster]!;
    const account = config.accounts[clusterCfg.account]!;
    const stack = stackFor(stackIdFor(config, a.cluster));
    const clusterAccount = accountIn(stack, clusterCfg.account);
    const name = associationName(a);
    const scopeId = clusterScopeId(a.cluster);
    const scope = stack.node.tryFindChild(scopeId) ?? new Construct(stack, scopeId);
    const chain = new PodIdentityChain(scope, associationId(a.namespace, a.serviceAccount), {
      label: name,
      cluster: { name: clusterCfg.name ?? a.cluster, accountId: account.accountId, region: clusterCfg.region ?? account.region, partition: account.partition },
      namespace: a.namespace,
      serviceAccount: a.serviceAccount,
      podIdentityRole:
        a.podIdentityRole !== undefined
          ? podRoles.get(a.podIdentityRole)!
          : { ...(a.podIdentityRoleName !== undefined ? { name: a.podIdentityRoleName } : { defaultName: name }), path: d.rolePath, tags: tags() },
      targetRole: a.targetRole !== undefined ? targetRoles.get(a.targetRole)! : undefined,
      sessionTags: a.sessionTags ?? d.sessionTags,
      trustForm: a.trustForm,
      sessionPolicy: a.sessionPolicy,
      tags: tags(a.tags),
      providers: { cluster: clusterAccount.provider },
      trustPolicyMaxSize: d.trustPolicyMaxSize,
      movedFrom: movedFrom(a),
    });
    owners.set(chain, {
      kind: "association",
      index,
      clusterKey: a.cluster,
      clusterMovedFrom: clusterCfg.movedFrom ?? [],
      namespace: a.namespace,
      serviceAccount: a.serviceAccount,
      label: name,
      roleNameDerived: a.podIdentityRoleName === undefined,
    });
  });
  if (options.previous && (options.previous.stacks.length > 0 || options.previous.warnings.length > 0)) {
    const problems = keepWhatMoved(config, options.previous, { app, stacks, owners, stackFor, accountIn, outdir: path.relative(projectRoot, outdir) || "." });
    if (!options.allowReplace) app.node.addValidation({ validate: () => problems });
  }
  const sharedRoles = [...podRoles.values(), ...targetRoles.values()];
  const crossStackReferences = sharedRoles.some((r) => Token.isUnresolved(r.arn));
  for (const stack of stacks.values()) stack.crossStackReferences = crossStackReferences;
  warnRolesOnlyStacks(config, sharedRoles);
  return { app, stacks };
}

/**
 * Where each association's chain was before, oldest first: at the names it had before addresses followed
 * identity (its name, and with a default name also the one each earlier cluster key gave), then under each
 * earlier key of its cluster. A name another association has, or that two of them could have had, is left out:
 * Terraform refuses two moves from one address.
 */
function chainMovedFrom(config: PodIdentityConfig): (a: AssociationConfig) => string[] {
  const earlierNames = (a: AssociationConfig): string[] =>
    a.name !== undefined ? [] : (config.clusters[a.cluster]!.movedFrom ?? []).map((k) => associationName({ ...a, cluster: k }));
  const claims = new Map<string, number>();
  for (const a of config.associations) for (const n of [...earlierNames(a), associationName(a)]) claims.set(n, (claims.get(n) ?? 0) + 1);
  return (a) => {
    const oldKeys = config.clusters[a.cluster]!.movedFrom ?? [];
    const names = config.stacks.labelAddressMoves ? [...earlierNames(a).filter((n) => claims.get(n) === 1), associationName(a)] : [];
    return [...names.map((l) => labelPath(l)), ...oldKeys.map((k) => associationPath(k, a.namespace, a.serviceAccount))].map((p) => p.join("/"));
  };
}

interface AppParts {
  readonly app: App;
  readonly stacks: ReadonlyMap<string, AppStack>;
  readonly owners: ReadonlyMap<Construct, Owner>;
  readonly stackFor: (id: string) => AppStack;
  readonly accountIn: (stack: TerraformStack, key: string) => AwsAccount;
  /** The synthesized output directory, relative to the project root. */
  readonly outdir: string;
}

/**
 * Compares the app with what was there before: resources that moved to another stack are forgotten by the
 * old one (kept in the output, with the providers it needs, even when nothing else is left in it) and
 * imported by the new one. Returns the changes that would replace what only moved, with their fixes.
 */
function keepWhatMoved(config: PodIdentityConfig, previous: PreviousDeployment, parts: AppParts): string[] {
  // Warnings go on the stack they concern (the cdktf CLI prints a stack's annotations), else on the first.
  const warn = (stack: string | undefined, message: string): void => {
    const on = (stack !== undefined ? parts.stacks.get(stack) : undefined) ?? [...parts.stacks.values()][0]!;
    Annotations.of(RefactoringBlocks.of(on)).addWarning(message);
  };
  for (const w of previous.warnings) warn(w.stack, w.message);
  if (config.backend.type === "s3") {
    for (const s of previous.stacks.filter((p) => p.source === "state")) {
      warn(
        s.stack,
        `${s.file} was read as the state of stack "${s.stack}" (the backend is S3, so it is a downloaded copy): delete it once the stacks that move resources are deployed`,
      );
    }
  }
  const current = currentStacks(parts.stacks.values(), parts.owners);
  const backend = config.backend.type === "s3" ? { bucket: config.backend.bucket, keyPrefix: config.backend.keyPrefix } : {};
  const { problems, moves } = compareWithPrevious(previous, current, { backend, outdir: parts.outdir, labelMoves: config.stacks.labelAddressMoves });
  const byOldStack = new Map<string, CrossStackMove[]>();
  for (const m of moves) byOldStack.set(m.fromStack, [...(byOldStack.get(m.fromStack) ?? []), m]);
  for (const [oldStack, leaving] of byOldStack) {
    const stackProblem = parts.stacks.has(oldStack) ? undefined : idKeyProblem(oldStack);
    const missing = [...new Set(leaving.map((m) => m.fromAlias))].filter((alias) => !Object.hasOwn(config.accounts, alias));
    if (stackProblem !== undefined || missing.length > 0) {
      problems.push(
        stackProblem !== undefined
          ? `stacks: resources move out of stack "${oldStack}", which cannot be kept to forget them: ${stackProblem}`
          : `accounts: stack "${oldStack}" must forget resources of account ${missing.map((k) => `"${k}"`).join(", ")} (they move to another stack), and needs its provider for that; keep accounts.${missing[0]} until the move is deployed`,
      );
      continue;
    }
    const stack = parts.stackFor(oldStack);
    const blocks = RefactoringBlocks.of(stack);
    for (const m of leaving) {
      parts.accountIn(stack, m.fromAlias);
      blocks.addRemoved(m.from);
      if (m.importNeeded) RefactoringBlocks.of(parts.stacks.get(m.toStack)!).addImport({ to: m.to, id: m.importId, provider: `aws.${m.alias}` });
    }
    const to = [...new Set(leaving.map((m) => m.toStack))].map((s) => `"${s}"`).join(", ");
    warn(
      oldStack,
      `stack "${oldStack}": ${leaving.length} resource${leaving.length === 1 ? "" : "s"} move${leaving.length === 1 ? "s" : ""} to stack ${to}: a removed block (destroy = false) here and an import block there, with the ids of terraform.${oldStack}.tfstate; deploy both stacks, in either order, with Terraform >= 1.7 (docs/config.md, Changing the config safely)`,
    );
  }
  return problems;
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
