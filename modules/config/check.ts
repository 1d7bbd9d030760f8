// What the schema cannot see field by field: references between keys (every key named must be declared),
// duplicates, and the rules across fields of ../validation/cross-field.ts, each reported at the path of the
// field to fix. `validatedConfigSchema` is the schema with these checks attached; it runs them when every
// field has the right type (values that broke their own rule are still checked for references).
import { partitionForRegion } from "../policy/arn";
import { ROLE_NAME_MAX } from "../policy/size";
import {
  addonArns,
  arnAccountProblem,
  associationsPerClusterProblem,
  chainPartitionProblem,
  clusterRegionPartitionProblem,
  duplicateServiceAccountProblem,
  existingRoleFieldsProblem,
  NAME_AND_PREFIX_PROBLEM,
  partitionRegionProblem,
  podIdentityRoleAccountProblem,
  POD_IDENTITY_ROLE_OWNED_FIELDS,
  policyResourceArns,
  reservedInlinePolicyNameProblem,
  restrictToServiceAccountsProblem,
  sessionPolicyProblem,
  UNUSED_TARGET_ROLE_PROBLEM,
  type AccountRef,
  type ArnUse,
} from "../validation/cross-field";
import { accountIdProblem, regionProblem } from "../validation/rules";
import { stackCycleProblem } from "./placement";
import { associationName, configSchema, type AccountConfig, type PodIdentityConfig, type PodIdentityRoleConfig, type TargetRoleConfig } from "./schema";

/** The config schema with every check of this file: what the loader validates with. */
export const validatedConfigSchema = configSchema.superRefine((c, ctx) => {
  for (const p of checkConfig(c)) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
});

export type ConfigPath = (string | number)[];

/** One problem, at the path of the field to fix. */
export interface ConfigProblem {
  readonly path: ConfigPath;
  readonly message: string;
}

const SECTION = { account: "accounts", cluster: "clusters", "Pod Identity role": "podIdentityRoles", "target role": "targetRoles" } as const;
type Kind = keyof typeof SECTION;

/** Every reference, duplicate and cross-field problem of a config whose fields have the right types. */
export function checkConfig(c: PodIdentityConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const report = (path: ConfigPath, message: string | undefined): void => {
    if (message !== undefined) problems.push({ path, message });
  };
  const known = (kind: Kind, key: string, path: ConfigPath): boolean => {
    const map = c[SECTION[kind]];
    if (Object.hasOwn(map, key)) return true;
    if (key === "__proto__") return false; // the key's own rule refused it
    const keys = Object.keys(map);
    report(path, `unknown ${kind} "${key}": declare it under ${SECTION[kind]}${keys.length > 0 ? ` (known: ${keys.join(", ")})` : ""}`);
    return false;
  };
  // An account whose id or region broke its own rule has no partition or id to compare ARNs with.
  const refs = new Map<AccountConfig, AccountRef | undefined>();
  const accountRef = (a: AccountConfig): AccountRef | undefined => {
    if (!refs.has(a)) {
      const broken = accountIdProblem(a.accountId) || regionProblem(a.region) || (a.partition !== undefined && partitionRegionProblem(a.partition, a.region));
      refs.set(a, broken ? undefined : { accountId: a.accountId, partition: a.partition ?? partitionForRegion(a.region) });
    }
    return refs.get(a);
  };
  const arnInAccount = (arn: string, use: ArnUse, a: AccountConfig): string | undefined => {
    const account = accountRef(a);
    return account && arnAccountProblem(arn, use, account);
  };

  for (const [k, a] of Object.entries(c.accounts)) {
    if (a.partition !== undefined && !regionProblem(a.region)) report(["accounts", k, "partition"], partitionRegionProblem(a.partition, a.region));
    if (a.assumeRole) report(["accounts", k, "assumeRole", "roleArn"], arnInAccount(a.assumeRole.roleArn, "role", a));
  }
  const clusterIds = new Map<string, string>();
  for (const [k, cl] of Object.entries(c.clusters)) {
    if (!known("account", cl.account, ["clusters", k, "account"])) continue;
    const acct = c.accounts[cl.account]!;
    const account = accountRef(acct);
    if (cl.region !== undefined && account && !regionProblem(cl.region))
      report(["clusters", k, "region"], clusterRegionPartitionProblem(cl.region, cl.account, account));
    const id = `${acct.accountId}/${cl.region ?? acct.region}/${cl.name ?? k}`;
    const first = clusterIds.get(id);
    if (first !== undefined) report(["clusters", k], `declares the same EKS cluster as "${first}" (${id}); keep one key per cluster`);
    else clusterIds.set(id, k);
  }
  checkMovedFrom("clusters", c.clusters, report);
  checkMovedFrom("podIdentityRoles", c.podIdentityRoles, report);
  checkMovedFrom("targetRoles", c.targetRoles, report);
  const roleNames = new Map<string, string>(); // account id / role name → where it is first created
  const claimRoleName = (accountId: string, name: string, where: string, path: ConfigPath): void => {
    const first = roleNames.get(`${accountId}/${name}`);
    if (first !== undefined)
      report(
        path,
        `role name "${name}" is already used by ${first} in account ${accountId}; IAM role names are unique per account: give one of them another name`,
      );
    else roleNames.set(`${accountId}/${name}`, where);
  };
  const checkRole = (kind: "podIdentityRoles" | "targetRoles", k: string, r: PodIdentityRoleConfig | TargetRoleConfig): void => {
    const at = (...p: ConfigPath): ConfigPath => [kind, k, ...p];
    if (r.name !== undefined && r.namePrefix !== undefined) report(at("namePrefix"), NAME_AND_PREFIX_PROBLEM);
    if (!known("account", r.account, at("account"))) return;
    const acct = c.accounts[r.account]!;
    if (r.existingArn !== undefined) {
      const set = POD_IDENTITY_ROLE_OWNED_FIELDS.filter((f) => (r as Record<string, unknown>)[f] !== undefined);
      report(at("existingArn"), existingRoleFieldsProblem(set, "existingArn") ?? arnInAccount(r.existingArn, "role", acct));
      return;
    }
    if (r.namePrefix === undefined) {
      const name = r.name ?? k;
      if (r.name === undefined && r.movedFrom !== undefined) report(at("movedFrom"), movedFromDerivedNameProblem(r.movedFrom[r.movedFrom.length - 1]!, k));
      if (r.name === undefined && name.length > ROLE_NAME_MAX) {
        report(
          at(),
          `the role is named after its key, "${name}" (${name.length} characters), and IAM role names are at most ${ROLE_NAME_MAX} characters: set name`,
        );
      }
      claimRoleName(acct.accountId, name, `${kind}.${k}`, r.name !== undefined ? at("name") : at());
    }
    if (r.permissionsBoundary !== undefined) report(at("permissionsBoundary"), arnInAccount(r.permissionsBoundary, "policy", acct));
    (r.managedPolicyArns ?? []).forEach((arn, i) => report(at("managedPolicyArns", i), arnInAccount(arn, "policy", acct)));
    const rendered = { addonNames: (r.addonPolicies ?? []).map((a) => a.name), podIdentityRole: kind === "podIdentityRoles" };
    for (const [name, doc] of Object.entries(r.inlinePolicies ?? {})) {
      report(at("inlinePolicies", name), reservedInlinePolicyNameProblem(name, rendered));
      for (const f of policyResourceArns(doc)) report(at("inlinePolicies", name, ...f.path), arnInAccount(f.arn, "resource", acct));
    }
    (r.addonPolicies ?? []).forEach((addon, i) => {
      for (const f of addonArns(addon)) report(at("addonPolicies", i, ...f.path), arnInAccount(f.arn, "resource", acct));
    });
  };
  for (const [k, r] of Object.entries(c.podIdentityRoles)) checkRole("podIdentityRoles", k, r);
  for (const [k, r] of Object.entries(c.targetRoles)) checkRole("targetRoles", k, r);

  const names = new Map<string, number>();
  const serviceAccounts = new Map<string, number>();
  const perCluster = new Map<string, number>();
  const usedTargets = new Set<string>();
  const usedPodRoles = new Set<string>();
  c.associations.forEach((a, i) => {
    const at = (...p: ConfigPath): ConfigPath => ["associations", i, ...p];
    const name = associationName(a);
    const firstName = names.get(name);
    if (firstName !== undefined) report(at("name"), `"${name}" is already the name of associations[${firstName}]; give each association a unique name`);
    else names.set(name, i);
    const sessionTags = a.sessionTags ?? c.defaults.sessionTags;
    report(at("sessionPolicy"), sessionPolicyProblem(a.sessionPolicy !== undefined, sessionTags));
    const target = a.targetRole !== undefined && known("target role", a.targetRole, at("targetRole")) ? c.targetRoles[a.targetRole]! : undefined;
    if (target) usedTargets.add(a.targetRole!);
    const podRole =
      a.podIdentityRole !== undefined && known("Pod Identity role", a.podIdentityRole, at("podIdentityRole"))
        ? c.podIdentityRoles[a.podIdentityRole]!
        : undefined;
    if (podRole) usedPodRoles.add(a.podIdentityRole!);
    if (!known("cluster", a.cluster, at("cluster"))) return;
    const cluster = c.clusters[a.cluster]!;
    const clusterAcct = Object.hasOwn(c.accounts, cluster.account) ? c.accounts[cluster.account]! : undefined;
    if (!clusterAcct) return;
    const clusterPartition = accountRef(clusterAcct)?.partition;
    perCluster.set(a.cluster, (perCluster.get(a.cluster) ?? 0) + 1);
    const saKey = `${a.cluster}/${a.namespace}/${a.serviceAccount}`;
    const firstSa = serviceAccounts.get(saKey);
    if (firstSa !== undefined)
      report(at("serviceAccount"), duplicateServiceAccountProblem(a.namespace, a.serviceAccount, a.cluster, `associations[${firstSa}]`));
    else serviceAccounts.set(saKey, i);
    if (a.sessionPolicy !== undefined) {
      for (const f of policyResourceArns(a.sessionPolicy)) report(at("sessionPolicy", ...f.path), arnInAccount(f.arn, "resource", clusterAcct));
    }
    if (podRole && Object.hasOwn(c.accounts, podRole.account)) {
      const roleAcct = c.accounts[podRole.account]!;
      report(
        at("podIdentityRole"),
        podIdentityRoleAccountProblem({ label: a.podIdentityRole!, accountId: roleAcct.accountId }, { label: a.cluster, accountId: clusterAcct.accountId }),
      );
      if (podRole.restrictToServiceAccounts) report(at("sessionTags"), restrictToServiceAccountsProblem(a.podIdentityRole!, sessionTags));
    }
    if (a.podIdentityRole !== undefined && a.podIdentityRoleName !== undefined) {
      report(
        at("podIdentityRoleName"),
        `names a dedicated Pod Identity role, but podIdentityRole "${a.podIdentityRole}" is a shared one with its own name; remove one of them`,
      );
    }
    if (a.podIdentityRole === undefined) {
      // The dedicated Pod Identity role takes podIdentityRoleName, else the association's name (only its length
      // can be wrong: the characters of a key, a namespace and a service account are all valid in a role name).
      const roleName = a.podIdentityRoleName ?? name;
      const where = a.podIdentityRoleName !== undefined ? at("podIdentityRoleName") : a.name !== undefined ? at("name") : at();
      const oldCluster = cluster.movedFrom?.[cluster.movedFrom.length - 1];
      if (a.podIdentityRoleName === undefined && a.name === undefined && oldCluster !== undefined) {
        const was = associationName({ ...a, cluster: oldCluster });
        report(
          at(),
          `its dedicated Pod Identity role is named after the association's default name, which holds the cluster key: with the cluster renamed from "${oldCluster}", the role would be renamed from "${was}" to "${name}", and IAM cannot rename a role (Terraform would replace it); keep it with podIdentityRoleName: ${was}`,
        );
      }
      if (a.podIdentityRoleName === undefined && name.length > ROLE_NAME_MAX) {
        const fix = a.name !== undefined ? "shorten it" : `set a shorter name (associations[${i}].name)`;
        report(
          where,
          `${a.name !== undefined ? `"${name}"` : `the association's default name "${name}"`} (${name.length} characters) also names the Pod Identity role created for it, and IAM role names are at most ${ROLE_NAME_MAX} characters: ${fix}, set podIdentityRoleName, or use a shared Pod Identity role (podIdentityRole) that has its own name`,
        );
      } else if (roleName.length <= ROLE_NAME_MAX)
        claimRoleName(clusterAcct.accountId, roleName, `the dedicated Pod Identity role of associations[${i}]`, where);
    }
    const targetPartition = target && Object.hasOwn(c.accounts, target.account) ? accountRef(c.accounts[target.account]!)?.partition : undefined;
    if (targetPartition && clusterPartition)
      report(at("targetRole"), chainPartitionProblem("target role", a.targetRole!, targetPartition, a.cluster, clusterPartition));
  });
  for (const [k, n] of perCluster) {
    const tooMany = associationsPerClusterProblem(n);
    if (tooMany) report(["associations"], `cluster "${k}" has ${tooMany}`);
  }
  for (const k of Object.keys(c.targetRoles)) if (!usedTargets.has(k)) report(["targetRoles", k], UNUSED_TARGET_ROLE_PROBLEM);
  for (const k of Object.keys(c.podIdentityRoles))
    if (!usedPodRoles.has(k)) report(["podIdentityRoles", k], "no association uses this role; use it or remove it");
  if (problems.length > 0) return problems; // placing roles needs every reference resolved
  const cycle = stackCycleProblem(c);
  if (cycle) report(cycle.path, cycle.message);
  return problems;
}

/** The role of a renamed key keeps its name only if the name is set: IAM cannot rename a role. */
function movedFromDerivedNameProblem(oldKey: string, key: string): string {
  return `the role is named after its key, so renaming "${oldKey}" to "${key}" also renames the role, and IAM cannot rename a role: Terraform would replace it even with movedFrom; keep its name with name: ${oldKey}`;
}

/**
 * Earlier keys must be free and claimed once: a moved block from an address still declared is an error in
 * Terraform, and so are two moves from one address.
 */
function checkMovedFrom(
  section: "clusters" | "podIdentityRoles" | "targetRoles",
  entries: Record<string, { movedFrom?: string[] }>,
  report: (path: ConfigPath, message: string | undefined) => void,
): void {
  const claimed = new Map<string, string>();
  for (const [k, e] of Object.entries(entries)) {
    (e.movedFrom ?? []).forEach((old, j) => {
      const at: ConfigPath = [section, k, "movedFrom", ...(e.movedFrom!.length > 1 ? [j] : [])];
      if (old === k) return report(at, `"${old}" is this entry's own key; list only keys it had before`);
      if (Object.hasOwn(entries, old))
        return report(at, `"${old}" is still a key of ${section}: an address cannot move while it is in use; remove movedFrom, or rename that entry first`);
      const first = claimed.get(old);
      if (first !== undefined) return report(at, `"${old}" is already an earlier key of ${section}.${first}: one key can move to one place only`);
      claimed.set(old, k);
    });
  }
}
