// Where the app puts what it builds, as construct ids below the stack, and the Terraform addresses cdktf
// derives from them. A resource's logical id is cdktf's hash of its construct path, so a path that follows
// identity gives an address that follows identity:
//   association (and its dedicated role)  cluster_<cluster key> / <namespace>_<service account> / …
//   shared roles                          pod_identity_role_<key> / … , target_role_<key> / …
// A namespace or service account never holds '_', so `<namespace>_<service account>` is unambiguous and
// never a JavaScript object-member name. Before addresses followed identity, an association's chain was at
// its name (label), one component, so no old path can equal a new one.
import { makeUniqueId } from "../terraform-cdk";
import type { SharedRoleKind } from "../config/placement";

/** The logical id cdktf gives an element whose construct ids below its stack are `path`. */
export function logicalId(path: readonly string[]): string {
  return makeUniqueId([...path]);
}

/** The id of the scope that holds a cluster's associations in a stack. */
export function clusterScopeId(clusterKey: string): string {
  return `cluster_${clusterKey}`;
}

/** The id of an association's chain within its cluster's scope. */
export function associationId(namespace: string, serviceAccount: string): string {
  return `${namespace}_${serviceAccount}`;
}

/** The path of an association's chain. */
export function associationPath(clusterKey: string, namespace: string, serviceAccount: string): string[] {
  return [clusterScopeId(clusterKey), associationId(namespace, serviceAccount)];
}

/** The path an association's chain had before addresses followed identity: its name. */
export function labelPath(label: string): string[] {
  return [label];
}

const SHARED_ROLE_PREFIX: Record<SharedRoleKind, string> = { podIdentityRoles: "pod_identity_role_", targetRoles: "target_role_" };

/** The path of a shared role. */
export function sharedRolePath(kind: SharedRoleKind, key: string): string[] {
  return [`${SHARED_ROLE_PREFIX[kind]}${key}`];
}

/** A path shape with one key in it: the fixed text before the key in the first component, and the path for a key. */
export interface KeyedShape {
  readonly prefix: string;
  readonly path: (key: string) => string[];
}

export const SHAPES = {
  association: (namespace: string, serviceAccount: string): KeyedShape => ({ prefix: "cluster_", path: (k) => associationPath(k, namespace, serviceAccount) }),
  label: (): KeyedShape => ({ prefix: "", path: labelPath }),
  sharedRole: (kind: SharedRoleKind): KeyedShape => ({ prefix: SHARED_ROLE_PREFIX[kind], path: (k) => sharedRolePath(kind, k) }),
};

const HASH_SUFFIX = /_[0-9A-F]{8}$/;
const KEY = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

/**
 * The key for which `shape`, followed by `rel` (the resource's path below the shape), gives the logical id
 * `id`; undefined if none does. The key sits right after the shape's prefix in the id's readable part, so
 * each split of the rest is tried (the likely one first) and confirmed by recomputing the id.
 */
export function recoverKey(id: string, shape: KeyedShape, rel: readonly string[]): string | undefined {
  if (!HASH_SUFFIX.test(id)) return undefined;
  const human = id.slice(0, -9);
  if (!human.startsWith(shape.prefix)) return undefined;
  const matches = (key: string): boolean => KEY.test(key) && logicalId([...shape.path(key), ...rel]) === id;
  const tail = logicalId(["x", ...shape.path("k").slice(1), ...rel]).slice(1, -9);
  const likely = human.slice(shape.prefix.length, human.length - tail.length);
  if (matches(likely)) return likely;
  for (let end = human.length; end > shape.prefix.length; end--) {
    const key = human.slice(shape.prefix.length, end);
    if (matches(key)) return key;
  }
  return undefined;
}
