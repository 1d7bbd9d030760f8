// The refactoring blocks of one stack, in Terraform JSON:
// - `moved` (Terraform >= 1.1) from each earlier construct path of a construct to where its resources are
//   now, chained oldest first: `{ "from": "aws_iam_role.a", "to": "aws_iam_role.b" }`. Terraform allows one
//   destination per source and one source per destination, so a resource with several earlier addresses
//   gets a chain a → b → c, never two moves into c.
// - the two halves of a move between stacks, which Terraform cannot do in one state: `removed` with
//   `"lifecycle": { "destroy": false }` (>= 1.7) in the stack a resource leaves, and `import` (>= 1.5, with
//   the provider configuration the resource uses) in the one it joins. A stack with either is pinned to
//   Terraform >= 1.7 (`required_version`), so an older Terraform stops at init instead of misreading them.
// cdktf's own `moveFromId` allows one move per resource, and its `importFrom` checks for a Terraform binary at
// validation, which synth must not need: the blocks are rendered here.
import { TerraformElement, TerraformResource, TerraformStack } from "../terraform-cdk";
import type { Construct } from "constructs";
import { logicalId } from "./paths";
import { ValidationError } from "../errors";

export interface MovedBlock {
  readonly from: string;
  readonly to: string;
}

export interface ImportBlock {
  readonly to: string;
  readonly id: string;
  /** The provider configuration, e.g. `aws.platform`. */
  readonly provider: string;
}

/** The Terraform versions that read `removed` blocks. */
export const REMOVED_BLOCK_TERRAFORM_VERSION = ">= 1.7.0";

const ID = "refactoring";

/** The `moved`, `removed` and `import` blocks of a stack (one element per stack). */
export class RefactoringBlocks extends TerraformElement {
  /** The stack's element, created on first use. */
  public static of(stack: TerraformStack): RefactoringBlocks {
    const existing = stack.node.tryFindChild(ID);
    return existing instanceof RefactoringBlocks ? existing : new RefactoringBlocks(stack, ID);
  }

  private readonly earlierPaths = new Map<Construct, string[][]>();
  /** Every construct that is, or holds, one with earlier paths: nesting them would move a resource twice. */
  private readonly holdingDeclared = new Set<Construct>();
  private readonly removedFrom: string[] = [];
  private readonly imports: ImportBlock[] = [];

  private constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  /**
   * Declares the construct paths (ids below the stack, `a/b`) at which `scope` was before, oldest first:
   * every resource under it gets moved blocks from the same place under each of them.
   */
  public declareMovedFrom(scope: Construct, paths: readonly string[]): void {
    if (paths.length === 0) return;
    const scopes = scope.node.scopes;
    const declared = this.holdingDeclared.has(scope)
      ? [...this.earlierPaths.keys()].find((d) => d.node.scopes.includes(scope))
      : scopes.find((s) => this.earlierPaths.has(s));
    if (declared !== undefined) throw new ValidationError(`movedFrom is already declared for ${declared.node.path}; declare it on one of them`, scope);
    const current = pathBelowStack(scope).join("/");
    for (const p of paths) {
      if (p === "" || p.split("/").some((c) => c === ""))
        throw new ValidationError(`movedFrom "${p}" is not a construct path below the stack (ids joined by "/")`, scope);
      if (p === current) throw new ValidationError(`movedFrom "${p}" is where it is now`, scope);
    }
    this.earlierPaths.set(
      scope,
      paths.map((p) => p.split("/")),
    );
    for (const s of scopes) this.holdingDeclared.add(s);
  }

  /** The moved blocks, in declaration order (chains oldest first). */
  public moves(): MovedBlock[] {
    const blocks: MovedBlock[] = [];
    for (const [scope, paths] of this.earlierPaths) {
      const depth = scope.node.scopes.length;
      for (const resource of scope.node.findAll().filter(TerraformResource.isTerraformResource)) {
        const rel = resource.node.scopes.slice(depth).map((c) => c.node.id);
        const type = resource.terraformResourceType;
        const chain = [...new Set([...paths.map((p) => `${type}.${logicalId([...p, ...rel])}`), `${type}.${resource.friendlyUniqueId}`])];
        for (let i = 0; i + 1 < chain.length; i++) blocks.push({ from: chain[i]!, to: chain[i + 1]! });
      }
    }
    return blocks;
  }

  /** Makes Terraform forget `from` (an address of this stack's state) without destroying it. */
  public addRemoved(from: string): void {
    this.removedFrom.push(from);
    this.pinTerraform();
  }

  /** Makes Terraform adopt the existing object `id` at `to`. */
  public addImport(block: ImportBlock): void {
    this.imports.push(block);
    this.pinTerraform();
  }

  public override toTerraform(): Record<string, unknown> {
    const moved = this.moves();
    return {
      ...(moved.length > 0 ? { moved } : {}),
      ...(this.removedFrom.length > 0 ? { removed: [...this.removedFrom].sort().map((from) => ({ from, lifecycle: { destroy: false } })) } : {}),
      ...(this.imports.length > 0
        ? { import: [...this.imports].sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0)).map((i) => ({ to: i.to, id: i.id, provider: i.provider })) }
        : {}),
    };
  }

  private pinTerraform(): void {
    TerraformStack.of(this).addOverride("terraform.required_version", REMOVED_BLOCK_TERRAFORM_VERSION);
  }
}

/** A construct's ids below its stack. */
export function pathBelowStack(construct: Construct): string[] {
  const stack = TerraformStack.of(construct);
  return construct.node.scopes.slice(stack.node.scopes.length).map((c) => c.node.id);
}
