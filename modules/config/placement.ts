// Which stack each part of a config goes in, and the order that puts between stacks. An association in one
// stack that uses a role placed in another makes its stack depend on the role's stack (the role must exist
// before EKS accepts the association), and `cdktf deploy` applies stacks in that order, so these
// dependencies must not form a cycle: ./check.ts reports one before anything is built.
import type { PodIdentityConfig } from "./schema";

/** The stack an association's cluster belongs to, by `stacks.groupBy`. */
export function stackIdFor(config: PodIdentityConfig, clusterKey: string): string {
  switch (config.stacks.groupBy) {
    case "cluster":
      return clusterKey;
    case "single":
      return config.stacks.name;
    case "clusterAccount":
      return config.clusters[clusterKey]!.account;
  }
}

export type SharedRoleKind = "podIdentityRoles" | "targetRoles";
const SHARED_ROLE_KINDS = ["podIdentityRoles", "targetRoles"] as const;
const ASSOCIATION_FIELD = { podIdentityRoles: "podIdentityRole", targetRoles: "targetRole" } as const;

/** Every used shared role's stack, by kind and key: its `stack`, else the stack of its first association. */
export function roleStacks(config: PodIdentityConfig): Record<SharedRoleKind, Map<string, string>> {
  const placed = { podIdentityRoles: new Map<string, string>(), targetRoles: new Map<string, string>() };
  for (const a of config.associations) {
    for (const kind of SHARED_ROLE_KINDS) {
      const key = a[ASSOCIATION_FIELD[kind]];
      if (key !== undefined && !placed[kind].has(key)) placed[kind].set(key, config[kind][key]?.stack ?? stackIdFor(config, a.cluster));
    }
  }
  return placed;
}

/** One stack depending on another, with the first association that makes it so. */
export interface StackDependency {
  readonly from: string;
  readonly to: string;
  readonly association: number;
  readonly kind: SharedRoleKind;
  readonly role: string;
}

/** Every (from, to) pair of stacks where an association of `from` uses a role placed in `to`. */
export function stackDependencies(config: PodIdentityConfig): StackDependency[] {
  const found = new Map<string, StackDependency>();
  const placed = roleStacks(config);
  config.associations.forEach((a, association) => {
    const from = stackIdFor(config, a.cluster);
    for (const kind of SHARED_ROLE_KINDS) {
      const role = a[ASSOCIATION_FIELD[kind]];
      if (role === undefined) continue;
      const to = placed[kind].get(role)!;
      if (to !== from && !found.has(`${from}\0${to}`)) found.set(`${from}\0${to}`, { from, to, association, kind, role });
    }
  });
  return [...found.values()];
}

/** A cycle among the dependencies, as the dependencies that form it in order; undefined if there is none. */
export function findStackCycle(deps: readonly StackDependency[]): StackDependency[] | undefined {
  const out = new Map<string, StackDependency[]>();
  for (const d of deps) {
    const list = out.get(d.from);
    if (list) list.push(d);
    else out.set(d.from, [d]);
  }
  const state = new Map<string, "visiting" | "done">();
  const path: StackDependency[] = [];
  const visit = (stack: string): StackDependency[] | undefined => {
    state.set(stack, "visiting");
    for (const d of out.get(stack) ?? []) {
      path.push(d);
      if (state.get(d.to) === "visiting") return path.slice(path.findIndex((p) => p.from === d.to));
      if (state.get(d.to) === undefined) {
        const cycle = visit(d.to);
        if (cycle) return cycle;
      }
      path.pop();
    }
    state.set(stack, "done");
    return undefined;
  };
  for (const stack of out.keys()) {
    if (state.get(stack) !== undefined) continue;
    const cycle = visit(stack);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The config's first stack cycle as a problem at the association that closes it, with a way out. */
export function stackCycleProblem(config: PodIdentityConfig): { path: (string | number)[]; message: string } | undefined {
  const cycle = findStackCycle(stackDependencies(config));
  if (!cycle) return undefined;
  const roleName = (d: StackDependency) => `${d.kind === "podIdentityRoles" ? "Pod Identity role" : "target role"} "${d.role}"`;
  const steps = cycle.map((d) => `associations[${d.association}] in stack "${d.from}" uses ${roleName(d)}, placed in stack "${d.to}"`);
  const last = cycle[cycle.length - 1]!;
  return {
    path: ["associations", last.association, ASSOCIATION_FIELD[last.kind]],
    message:
      `stacks ${[...cycle.map((d) => `"${d.from}"`), `"${last.to}"`].join(" → ")} depend on each other in a cycle, so no deploy order exists: ${steps.join("; ")}. ` +
      `Place shared roles so that no cycle forms, e.g. set ${last.kind}.${last.role}.stack: ${last.from}`,
  };
}
