// The app being built, as ./compare.ts sees it: every tracked resource of every stack with its address, what
// it is in AWS, and the config entry that declares it; and each stack's moved blocks.
import { TerraformResource, type TerraformStack } from "../terraform-cdk";
import type { Construct } from "constructs";
import { RefactoringBlocks } from "./blocks";
import type { CurrentResource, CurrentStack, Owner } from "./compare";
import { factsOfResource, identityOf, importIdOf } from "./identity";

/** The tracked resources and moved blocks of `stacks`; `owners` maps the constructs built from config entries. */
export function currentStacks(stacks: Iterable<TerraformStack>, owners: ReadonlyMap<Construct, Owner>): CurrentStack[] {
  const out: CurrentStack[] = [];
  for (const stack of stacks) {
    const resources = new Map<string, CurrentResource>();
    for (const resource of stack.node.findAll().filter(TerraformResource.isTerraformResource)) {
      const facts = factsOfResource(resource);
      if (!facts) continue;
      const scopes = resource.node.scopes;
      let owned = scopes.length - 1;
      while (owned >= 0 && !owners.has(scopes[owned]!)) owned--;
      const owner = owned >= 0 ? owners.get(scopes[owned]!) : undefined;
      const at = owned >= 0 ? owned : stack.node.scopes.length - 1;
      const address = `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
      resources.set(address, {
        stack: stack.node.id,
        type: facts.type,
        address,
        facts,
        identity: identityOf(facts),
        importId: importIdOf(facts),
        owner,
        rel: scopes.slice(at + 1).map((s) => s.node.id),
      });
    }
    const moves = new Map(
      RefactoringBlocks.of(stack)
        .moves()
        .map((m) => [m.from, m.to]),
    );
    out.push({ stack: stack.node.id, resources, moves });
  }
  return out;
}
