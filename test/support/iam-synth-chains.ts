// Reads synthesized cdktf output (stacks/*/cdk.tf.json) generically and turns every
// aws_eks_pod_identity_association into the oracle's view of its two roles: ARNs, trust policies and the
// Pod Identity role's identity policies. It knows Terraform JSON and the AWS provider's resource types,
// not how the project's constructs are written.
//
// What it understands:
// - `provider.aws[]` entries with `alias`, `region` and `allowed_account_ids` (the account of the alias);
// - `aws_iam_role` with literal `name` and `path` (ARN arn:PARTITION:iam::ACCOUNT:role<path><name>),
//   `assume_role_policy` and optional `inline_policy` blocks, all JSON strings;
// - `aws_iam_role_policy` (`role` a literal name or a `${aws_iam_role.KEY.name|id}` reference);
// - `aws_eks_pod_identity_association` with literal or `${aws_iam_role.KEY.arn}` role ARNs;
// - bring-your-own roles (an association ARN that no aws_iam_role creates): their policies are taken from
//   the stack's outputs whose name or description names that ARN; a policy with a Principal is the trust
//   policy, one without is an identity (permission) policy;
// - roles created in another stack of the same output directory (a shared role placed elsewhere), found by
//   their ARN when reading a whole directory.
// Anything else it cannot resolve (another interpolation, a data source) throws, naming the value.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PolicyDocumentJson } from "../../modules/policy/json";
import { type ChainRoles, type ChainVerdict, type PodRequest, type RolePolicies, evaluateChain, evaluateHop2, expectedExternalId } from "./iam-oracle";

/** One association found in the synthesized JSON: the pod it serves, and the policies of its chain. */
export interface SynthAssociation extends Pick<
  PodRequest,
  "partition" | "region" | "clusterAccountId" | "clusterName" | "namespace" | "serviceAccount" | "sessionTags"
> {
  /** `<stack>/<resource key>`, for test names. */
  readonly id: string;
  readonly roles: ChainRoles;
  /** Which side is bring-your-own (policies from outputs). */
  readonly byo: { readonly podIdentityRole: boolean; readonly targetRole: boolean };
}

interface ProviderInfo {
  readonly accountId: string;
  readonly region: string;
}

export interface RoleInfo {
  readonly key: string;
  readonly arn: string;
  readonly name: string;
  readonly trust: PolicyDocumentJson;
  readonly inline: PolicyDocumentJson[];
}

type Json = Record<string, unknown>;

function partitionOfRegion(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function parsePolicy(json: unknown, where: string): PolicyDocumentJson {
  if (typeof json !== "string") throw new Error(`${where}: expected a JSON string, got ${JSON.stringify(json)}`);
  if (json.includes("${")) throw new Error(`${where}: unresolved Terraform interpolation in policy: ${json}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${(e as Error).message}): ${json}`, { cause: e });
  }
  const doc = parsed as PolicyDocumentJson;
  if (doc === null || typeof doc !== "object" || !Array.isArray(doc.Statement)) throw new Error(`${where}: not a policy document: ${json}`);
  return doc;
}

function isTrustPolicy(doc: PolicyDocumentJson): boolean {
  return doc.Statement.some((s) => s.Principal !== undefined);
}

/** Reads one stack's cdk.tf.json into associations; `elsewhere` holds roles created by other stacks, by ARN. */
export function associationsOfStack(stackName: string, tf: Json, elsewhere: ReadonlyMap<string, RoleInfo> = new Map()): SynthAssociation[] {
  const { roles, providerOf, resolveRoleRef } = readStack(stackName, tf);
  const roleByArn = new Map([...elsewhere, ...[...roles.values()].map((r): [string, RoleInfo] => [r.arn, r])]);
  const resources = (tf.resource ?? {}) as Record<string, Record<string, Json>>;
  // Outputs for bring-your-own roles.
  const outputs = Object.entries((tf.output ?? {}) as Record<string, Json>);
  const byoPolicies = (arn: string, where: string) => {
    const mine = outputs.filter(([name, o]) => name.includes(arn) || (typeof o.description === "string" && o.description.includes(arn)));
    const docs = mine.map(([name, o]) => parsePolicy(o.value, `${stackName}: output.${name}`));
    const trusts = docs.filter(isTrustPolicy);
    if (trusts.length > 1) throw new Error(`${where}: ${trusts.length} outputs carry a trust policy for ${arn}`);
    return { trust: trusts[0], identity: docs.filter((d) => !isTrustPolicy(d)) };
  };

  const result: SynthAssociation[] = [];
  for (const [key, a] of Object.entries(resources.aws_eks_pod_identity_association ?? {})) {
    const where = `${stackName}: aws_eks_pod_identity_association.${key}`;
    const p = providerOf(a, where);
    for (const f of ["cluster_name", "namespace", "service_account"]) {
      if (typeof a[f] !== "string" || (a[f] as string).includes("${")) throw new Error(`${where}: needs a literal ${f}, got ${JSON.stringify(a[f])}`);
    }
    if (a.target_role_arn === undefined) throw new Error(`${where}: has no target_role_arn; this project only makes chained associations`);
    const region = (a.region as string | undefined) ?? p.region;
    const piArn = resolveRoleRef(a.role_arn, "arn", `${where}.role_arn`);
    const targetArn = resolveRoleRef(a.target_role_arn, "arn", `${where}.target_role_arn`);

    const piRole = roleByArn.get(piArn);
    let piTrust: PolicyDocumentJson;
    let piIdentity: PolicyDocumentJson[];
    if (piRole) {
      piTrust = piRole.trust;
      piIdentity = piRole.inline;
    } else {
      const byo = byoPolicies(piArn, where);
      if (!byo.trust)
        throw new Error(`${where}: Pod Identity role ${piArn} is neither created in a stack read nor described by an output with its trust policy`);
      piTrust = byo.trust;
      piIdentity = byo.identity;
    }
    const targetRole = roleByArn.get(targetArn);
    let targetTrust: PolicyDocumentJson;
    if (targetRole) {
      targetTrust = targetRole.trust;
    } else {
      const byo = byoPolicies(targetArn, where);
      if (!byo.trust) throw new Error(`${where}: target role ${targetArn} is neither created in a stack read nor described by an output with its trust policy`);
      targetTrust = byo.trust;
    }
    const partition = /^arn:([^:]+):/.exec(piArn)?.[1] ?? partitionOfRegion(region);
    result.push({
      id: `${stackName}/${key}`,
      partition,
      region,
      clusterAccountId: p.accountId,
      clusterName: a.cluster_name as string,
      namespace: a.namespace as string,
      serviceAccount: a.service_account as string,
      sessionTags: a.disable_session_tags !== true,
      roles: {
        podIdentityRole: { arn: piArn, trustPolicy: piTrust, identityPolicies: piIdentity },
        targetRole: { arn: targetArn, trustPolicy: targetTrust },
      },
      byo: { podIdentityRole: piRole === undefined, targetRole: targetRole === undefined },
    });
  }
  return result;
}

/** A stack's providers and roles (with the inline policies attached to them), and how to resolve role references. */
function readStack(stackName: string, tf: Json) {
  const providers = new Map<string, ProviderInfo>();
  const providerList = ((tf.provider as Json | undefined)?.aws ?? []) as Json[];
  for (const p of providerList) {
    const alias = (p.alias as string | undefined) ?? "";
    const ids = p.allowed_account_ids as string[] | undefined;
    if (!ids || ids.length !== 1) throw new Error(`${stackName}: provider aws.${alias} needs exactly one allowed_account_ids entry to know its account`);
    if (typeof p.region !== "string") throw new Error(`${stackName}: provider aws.${alias} has no literal region`);
    providers.set(alias, { accountId: ids[0]!, region: p.region });
  }
  const providerOf = (r: Json, where: string): ProviderInfo => {
    const ref = r.provider as string | undefined;
    const alias = ref === undefined ? "" : ref.replace(/^aws\.?/, "");
    const p = providers.get(alias);
    if (!p) throw new Error(`${where}: provider ${JSON.stringify(ref)} is not declared in the stack`);
    return p;
  };

  const resources = (tf.resource ?? {}) as Record<string, Record<string, Json>>;
  const roles = new Map<string, RoleInfo>(); // by resource key
  for (const [key, r] of Object.entries(resources.aws_iam_role ?? {})) {
    const where = `${stackName}: aws_iam_role.${key}`;
    const p = providerOf(r, where);
    if (typeof r.name !== "string" || r.name.includes("${")) throw new Error(`${where}: needs a literal name, got ${JSON.stringify(r.name)}`);
    const path = (r.path as string | undefined) ?? "/";
    const inline = ((r.inline_policy as Json[] | undefined) ?? []).map((b, i) => parsePolicy(b.policy, `${where}.inline_policy[${i}]`));
    roles.set(key, {
      key,
      name: r.name,
      arn: `arn:${partitionOfRegion(p.region)}:iam::${p.accountId}:role${path}${r.name}`,
      trust: parsePolicy(r.assume_role_policy, `${where}.assume_role_policy`),
      inline,
    });
  }

  const resolveRoleRef = (value: unknown, attr: "arn" | "name", where: string): string => {
    if (typeof value !== "string") throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
    const m = /^\$\{aws_iam_role\.([A-Za-z0-9_-]+)\.(arn|name|id)\}$/.exec(value);
    if (m) {
      const role = roles.get(m[1]!);
      if (!role) throw new Error(`${where}: ${value} refers to a role not in this stack`);
      const wantsArn = attr === "arn";
      if (wantsArn !== (m[2] === "arn")) throw new Error(`${where}: ${value} is not the role's ${attr}`);
      return wantsArn ? role.arn : role.name;
    }
    if (value.includes("${")) throw new Error(`${where}: cannot resolve ${value}`);
    return value;
  };

  // Inline policies attached with aws_iam_role_policy.
  for (const [key, r] of Object.entries(resources.aws_iam_role_policy ?? {})) {
    const where = `${stackName}: aws_iam_role_policy.${key}`;
    const p = providerOf(r, where);
    const roleName = resolveRoleRef(r.role, "name", `${where}.role`);
    const role = [...roles.values()].find((x) => x.name === roleName && x.arn.includes(`::${p.accountId}:`));
    if (!role) throw new Error(`${where}: role ${roleName} in account ${p.accountId} is not created in this stack`);
    role.inline.push(parsePolicy(r.policy, `${where}.policy`));
  }

  return { roles, providerOf, resolveRoleRef };
}

/** The roles a stack creates, by ARN. */
function rolesOfStack(stackName: string, tf: Json): Map<string, RoleInfo> {
  return new Map([...readStack(stackName, tf).roles.values()].map((r) => [r.arn, r]));
}

/** Every association of every stack in a cdktf output directory, in stack then resource order. */
export function associationsOfOutdir(outdir: string): SynthAssociation[] {
  const stacksDir = join(outdir, "stacks");
  if (!existsSync(stacksDir)) throw new Error(`${outdir} has no stacks/ directory: did synth run?`);
  const stacks = readdirSync(stacksDir)
    .sort()
    .filter((stack) => existsSync(join(stacksDir, stack, "cdk.tf.json")))
    .map((stack): [string, Json] => [stack, JSON.parse(readFileSync(join(stacksDir, stack, "cdk.tf.json"), "utf8")) as Json]);
  const everyRole = new Map(stacks.flatMap(([stack, tf]) => [...rolesOfStack(stack, tf)]));
  return stacks.flatMap(([stack, tf]) => associationsOfStack(stack, tf, everyRole));
}

// ---------------------------------------------------------------------------------------------------------
// The requests to try for one association

export interface ChainCase {
  readonly label: string;
  readonly pod: PodRequest;
  /** Another principal in the cluster account makes hop 2 instead of the Pod Identity role. */
  readonly caller?: RolePolicies;
  readonly allowed: boolean;
}

/** A name not used by any association (so a "denied" case cannot be legitimately allowed by another). */
function unusedName(base: string, taken: (candidate: string) => boolean): string {
  for (let i = 0; ; i++) {
    const candidate = `${base}-other${i === 0 ? "" : i}`.slice(0, 63);
    if (!taken(candidate)) return candidate;
  }
}

/**
 * The cases for one association: allowed for its own cluster, namespace and service account with what EKS
 * sends; denied for another namespace, service account, cluster, cluster account, another principal in
 * the cluster account, and (session tags off) a missing or wrong external id, (on) a request without tags.
 */
export function chainCases(a: SynthAssociation, all: readonly SynthAssociation[]): ChainCase[] {
  const used = new Set(all.map((x) => `${x.clusterAccountId}/${x.clusterName}/${x.namespace}/${x.serviceAccount}`));
  const isUsed = (account: string, cluster: string, ns: string, sa: string) => used.has(`${account}/${cluster}/${ns}/${sa}`);
  const own: PodRequest = {
    partition: a.partition,
    region: a.region,
    clusterAccountId: a.clusterAccountId,
    clusterName: a.clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    sessionTags: a.sessionTags,
  };
  const otherAccount = a.clusterAccountId === "999999999999" ? "999999999998" : "999999999999";
  const intruder: RolePolicies = {
    arn: `arn:${a.partition}:iam::${a.clusterAccountId}:role/intruder`,
    trustPolicy: a.roles.podIdentityRole.trustPolicy,
    identityPolicies: [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: a.roles.targetRole.arn }] },
    ],
  };
  const cases: ChainCase[] = [
    { label: "allowed for its own cluster, namespace and service account", pod: own, allowed: true },
    {
      label: "denied for another namespace",
      pod: { ...own, namespace: unusedName(a.namespace, (ns) => isUsed(a.clusterAccountId, a.clusterName, ns, a.serviceAccount)) },
      allowed: false,
    },
    {
      label: "denied for another service account",
      pod: { ...own, serviceAccount: unusedName(a.serviceAccount, (sa) => isUsed(a.clusterAccountId, a.clusterName, a.namespace, sa)) },
      allowed: false,
    },
    {
      label: "denied for another cluster in the same account",
      pod: { ...own, clusterName: unusedName(a.clusterName, (c) => isUsed(a.clusterAccountId, c, a.namespace, a.serviceAccount)) },
      allowed: false,
    },
    { label: "denied for a cluster of the same name in another account", pod: { ...own, clusterAccountId: otherAccount }, allowed: false },
    { label: "denied for another principal in the cluster account", pod: own, caller: intruder, allowed: false },
  ];
  if (a.sessionTags) {
    cases.push({ label: "denied without the session tags", pod: { ...own, sessionTags: false }, allowed: false });
  } else {
    cases.push(
      { label: "denied with no external id", pod: { ...own, externalId: null }, allowed: false },
      { label: "denied with a wrong external id", pod: { ...own, externalId: `${expectedExternalId(own)}x` }, allowed: false },
      {
        label: "denied with another cluster's external id",
        pod: { ...own, externalId: expectedExternalId({ ...own, clusterName: `${a.clusterName}-other` }) },
        allowed: false,
      },
    );
  }
  return cases;
}

/** Runs one case through the oracle: both hops, or hop 2 alone for another caller. */
export async function runChainCase(a: SynthAssociation, c: ChainCase): Promise<ChainVerdict> {
  if (c.caller !== undefined) {
    const calls = await evaluateHop2(a.roles, c.pod, c.caller);
    return { allowed: calls.every((x) => x.decision === "Allowed"), calls };
  }
  return evaluateChain(a.roles, c.pod);
}
