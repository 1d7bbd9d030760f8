// Compares what was there before (./previous.ts) with the app being built, resource by resource, by what each
// resource is in AWS (./identity.ts), and decides for every earlier resource:
// - still declared in its stack, at its address or where the stack's moved blocks take it: fine; unless it is
//   a role whose name changed only because a name it derives from changed (IAM cannot rename a role: it would
//   be replaced), which is refused with the line that keeps the name;
// - declared in the same stack at another address that no moved block reaches: refused, with the config line
//   that emits the moved block (`movedFrom`), found by recomputing the earlier address from the old key;
// - declared in another stack: Terraform cannot move between states, so the old stack forgets it (`removed`,
//   destroy = false) and the new one imports it, with ids from the old stack's state; when only the last
//   output was read (an S3 state not downloaded), refused with the command that fetches the state;
// - declared nowhere: deleted on purpose, fine.
import type { SharedRoleKind } from "../config/placement";
import { importIdAt, type ResourceFacts, type TrackedType } from "./identity";
import { SHAPES, recoverKey, type KeyedShape } from "./paths";
import type { PreviousDeployment, PreviousResource, PreviousStack } from "./previous";

/** The config entry that declares a resource: where a fix goes. */
export type Owner =
  | {
      readonly kind: "association";
      /** Index in `associations`. */
      readonly index: number;
      readonly clusterKey: string;
      readonly clusterMovedFrom: readonly string[];
      readonly namespace: string;
      readonly serviceAccount: string;
      readonly label: string;
      /** The dedicated Pod Identity role's name follows the association's name (no podIdentityRoleName). */
      readonly roleNameDerived: boolean;
    }
  | {
      readonly kind: "sharedRole";
      readonly roleKind: SharedRoleKind;
      readonly key: string;
      readonly movedFrom: readonly string[];
      /** The role's name follows its key (no name). */
      readonly nameDerived: boolean;
      /** The role sets `stack:`. */
      readonly placed: boolean;
    };

export interface CurrentResource {
  readonly stack: string;
  readonly type: TrackedType;
  readonly address: string;
  readonly facts: ResourceFacts;
  readonly identity?: string;
  readonly importId?: string;
  readonly owner?: Owner;
  /** Construct ids below the owner's construct (`association`, `pod_identity_role/role`, …). */
  readonly rel: readonly string[];
}

export interface CurrentStack {
  readonly stack: string;
  /** By address. */
  readonly resources: ReadonlyMap<string, CurrentResource>;
  /** The stack's moved blocks, from → to. */
  readonly moves: ReadonlyMap<string, string>;
}

/** One resource leaving a stack for another. */
export interface CrossStackMove {
  readonly fromStack: string;
  readonly from: string;
  readonly toStack: string;
  readonly to: string;
  readonly importId: string;
  /** The provider alias the resource uses in its new stack. */
  readonly alias: string;
  /** The provider alias it used in its old stack (that stack needs the provider to forget it). */
  readonly fromAlias: string;
  /** False when the new stack's state already holds it (imported by an earlier deploy). */
  readonly importNeeded: boolean;
}

/** Where the state is, for the command that downloads it (an S3 backend; the local one is read directly). */
export interface Backend {
  readonly bucket?: string;
  readonly keyPrefix?: string;
}

export interface CompareOptions {
  readonly backend: Backend;
  /** The last synthesized output, as messages show it (for `terraform -chdir=…`). */
  readonly outdir: string;
  /** The app emits moved blocks from the addresses of association names (stacks.labelAddressMoves). */
  readonly labelMoves: boolean;
}

export interface Comparison {
  /** Changes that would destroy and create again what only moved, each with its fix, at a config path. */
  readonly problems: string[];
  readonly moves: CrossStackMove[];
}

const REPLACE_ON_PURPOSE = "(to replace it on purpose, synthesize with POD_IDENTITY_ALLOW_REPLACE=1)";

/** Compares the earlier stacks with the current ones. */
export function compareWithPrevious(previous: PreviousDeployment, current: readonly CurrentStack[], o: CompareOptions): Comparison {
  const stacks = new Map(current.map((s) => [s.stack, s]));
  const byIdentity = new Map<string, CurrentResource>();
  for (const s of current) for (const r of s.resources.values()) if (r.identity !== undefined) byIdentity.set(r.identity, r);
  const inState = new Map(previous.stacks.filter((p) => p.source === "state").map((p) => [p.stack, new Set(p.resources.map((r) => r.address))]));
  const fixes = new Fixes();
  const moves: CrossStackMove[] = [];

  for (const p of previous.stacks) {
    const stack = stacks.get(p.stack);
    for (const r of p.resources) {
      const declared = stack?.resources.get(follow(stack.moves, r.address));
      if (declared && declared.type === r.type) {
        if (r.type === "aws_iam_role" && r.facts.name !== undefined && declared.facts.name !== undefined && r.facts.name !== declared.facts.name) {
          renamedRole(fixes, p, r, declared);
        }
        continue;
      }
      if (r.identity === undefined) continue;
      const now = byIdentity.get(r.identity);
      if (!now || now.type !== r.type) continue;
      if (now.stack === p.stack) {
        movedWithoutBlock(fixes, p, r, now, o);
        continue;
      }
      const importId = r.importId ?? (r.type === "aws_eks_pod_identity_association" ? undefined : now.importId);
      if (p.source === "output") {
        fixes.add(stackPath(now), `output ${p.stack}`, unreadableState(p, o), r.address);
      } else if (importId === undefined) {
        fixes.add(
          stackPath(now),
          `id ${p.stack}`,
          () =>
            `${p.file}: ${r.address} has no association_id to import it into stack "${now.stack}" with; refresh that state (terraform -chdir=${o.outdir}/stacks/${p.stack} apply -refresh-only) and synthesize again`,
          r.address,
        );
      } else {
        moves.push({
          fromStack: p.stack,
          from: r.address,
          toStack: now.stack,
          to: now.address,
          importId: importIdAt(importId, now.facts),
          alias: now.facts.alias ?? "",
          fromAlias: r.facts.alias ?? "",
          importNeeded: !(inState.get(now.stack)?.has(now.address) ?? false),
        });
      }
    }
  }
  return { problems: fixes.render(), moves };
}

/** Where a stack's moved blocks take `address` (itself when none does). */
function follow(moves: ReadonlyMap<string, string>, address: string): string {
  let at = address;
  for (let i = 0; i <= moves.size && moves.has(at); i++) at = moves.get(at)!;
  return at;
}

/** Problems grouped by the fix that solves them: one message per fix, naming how many resources it keeps. */
class Fixes {
  private readonly byKey = new Map<string, { path: string; message: (addresses: readonly string[]) => string; addresses: string[] }>();

  public add(path: string, key: string, message: (addresses: readonly string[]) => string, address: string): void {
    const k = `${path}\0${key}`;
    const entry = this.byKey.get(k) ?? { path, message, addresses: [] };
    entry.addresses.push(address);
    this.byKey.set(k, entry);
  }

  public render(): string[] {
    return [...this.byKey.values()].map((e) => `${e.path}: ${e.message(e.addresses)}`);
  }
}

function ownerPath(owner: Owner | undefined): string {
  if (!owner) return "stacks";
  return owner.kind === "association" ? `associations[${owner.index}]` : `${owner.roleKind}.${owner.key}`;
}

/** Where a change of stack comes from: a shared role's `stack:`, else the grouping. */
function stackPath(now: CurrentResource): string {
  return now.owner?.kind === "sharedRole" && now.owner.placed ? `${ownerPath(now.owner)}.stack` : "stacks.groupBy";
}

function resources(addresses: readonly string[], stack: string): string {
  const shown = addresses.slice(0, 2).join(", ");
  const more = addresses.length > 2 ? ` and ${addresses.length - 2} more` : "";
  return `${addresses.length === 1 ? "resource" : `${addresses.length} resources`} of stack "${stack}" (${shown}${more})`;
}

const they = (addresses: readonly string[]): string => (addresses.length === 1 ? "it was" : "they were");
const them = (addresses: readonly string[]): string => (addresses.length === 1 ? "it" : "them");
const yamlList = (keys: readonly string[]): string => (keys.length === 1 ? keys[0]! : `[${keys.join(", ")}]`);

/** A resource of the same stack at an address no moved block reaches: find which key it had, and say the line. */
function movedWithoutBlock(fixes: Fixes, p: PreviousStack, r: PreviousResource, now: CurrentResource, o: CompareOptions): void {
  const owner = now.owner;
  const id = r.address.slice(r.type.length + 1);
  const recovered = (shape: KeyedShape): string | undefined => recoverKey(id, shape, now.rel);
  const lose = (addresses: readonly string[]) => `${resources(addresses, p.stack)} would be destroyed and created again, because `;
  if (owner?.kind === "association") {
    const oldKey = recovered(SHAPES.association(owner.namespace, owner.serviceAccount));
    if (oldKey !== undefined) {
      const keys = [...owner.clusterMovedFrom, oldKey];
      fixes.add(
        `clusters.${owner.clusterKey}`,
        `movedFrom ${oldKey}`,
        (a) =>
          `${lose(a)}${they(a)} at the addresses of cluster key "${oldKey}". Terraform moves ${them(a)} with:\n    clusters:\n      ${owner.clusterKey}:\n        movedFrom: ${yamlList(keys)}`,
        r.address,
      );
      return;
    }
    const oldLabel = recovered(SHAPES.label());
    if (oldLabel !== undefined) {
      const fix =
        oldLabel === owner.label && !o.labelMoves
          ? `set stacks.labelAddressMoves: true (it was turned off, but this deployment still has the addresses of before)`
          : `set name: ${oldLabel} again until a plan made with this version has been applied, then rename it (the name no longer changes addresses)`;
      fixes.add(
        `associations[${owner.index}].name`,
        `label ${oldLabel}`,
        (a) => `${lose(a)}${they(a)} at the addresses that association names gave before addresses followed identity, of the name "${oldLabel}": ${fix}`,
        r.address,
      );
      return;
    }
  }
  if (owner?.kind === "sharedRole") {
    const oldKey = recovered(SHAPES.sharedRole(owner.roleKind));
    if (oldKey !== undefined) {
      const keys = [...owner.movedFrom, oldKey];
      const name = owner.nameDerived ? `\n        name: ${r.facts.name ?? oldKey}` : "";
      fixes.add(
        `${owner.roleKind}.${owner.key}`,
        `movedFrom ${oldKey}`,
        (a) =>
          `${lose(a)}${they(a)} at the addresses of key "${oldKey}". Terraform moves ${them(a)} with:\n    ${owner.roleKind}:\n      ${owner.key}:\n        movedFrom: ${yamlList(keys)}${name}`,
        r.address,
      );
      return;
    }
  }
  fixes.add(
    ownerPath(owner),
    `move ${r.address}`,
    () =>
      `${lose([r.address])}it is now declared as ${now.address} (the same ${r.identity}). If it is the same object, move it in the state before deploying: terraform -chdir=${o.outdir}/stacks/${p.stack} state mv '${r.address}' '${now.address}'; then synthesize with POD_IDENTITY_ALLOW_REPLACE=1 ${REPLACE_ON_PURPOSE}`,
    r.address,
  );
}

/** A role that keeps its address but would get another name, only because the name it derives from changed. */
function renamedRole(fixes: Fixes, p: PreviousStack, r: PreviousResource, now: CurrentResource): void {
  const owner = now.owner;
  const was = r.facts.name!;
  const will = now.facts.name!;
  const replaced = `the role ${r.address} of stack "${p.stack}" is named "${was}", and would be replaced by a role named "${will}" (IAM cannot rename a role; its associations would lose credentials in between)`;
  if (owner?.kind === "association" && owner.roleNameDerived && now.rel[0] === "pod_identity_role") {
    fixes.add(
      `associations[${owner.index}]`,
      `role ${was}`,
      () =>
        `${replaced}, because the dedicated Pod Identity role is named after the association's name. Keep the role with:\n    podIdentityRoleName: ${was}\n  ${REPLACE_ON_PURPOSE}`,
      r.address,
    );
  } else if (owner?.kind === "sharedRole" && owner.nameDerived) {
    fixes.add(
      `${owner.roleKind}.${owner.key}`,
      `role ${was}`,
      () => `${replaced}, because the role is named after its key. Keep the role with:\n    name: ${was}\n  ${REPLACE_ON_PURPOSE}`,
      r.address,
    );
  }
}

/** Resources that moved to another stack, known only from the last output (a remote state): its state is needed. */
function unreadableState(p: PreviousStack, o: CompareOptions): (addresses: readonly string[]) => string {
  return (addresses) =>
    `${resources(addresses, p.stack)} ${addresses.length === 1 ? "is" : "are"} now declared in another stack. Terraform cannot move resources between states: synth writes an import block in the new stack and a removed block (destroy = false) in "${p.stack}", with the ids from the state of "${p.stack}", but it only has that stack's last synthesized output (${p.file}): the state is in S3, which synth does not read. Download it to the project root and synthesize again:\n    aws s3 cp s3://${o.backend.bucket}/${o.backend.keyPrefix}/${p.stack}.tfstate terraform.${p.stack}.tfstate\n  (delete the copy once both stacks are deployed) ${REPLACE_ON_PURPOSE}`;
}
