// A test-only `terraform apply` of synthesized CDKTF JSON (cdktf.out/stacks/<stack>/cdk.tf.json) against
// the EKS emulator: associations are created through the real @aws-sdk/client-eks (so live and state agree),
// and the Terraform state v4 an apply would leave is written, with
// - addresses (`type.name`, `[0]` / `["k"]` for count / for_each), `each`, `dependencies`;
// - provider strings `provider["registry.terraform.io/hashicorp/aws"].<alias>` from `"provider": "aws.<alias>"`;
// - aws_eks_pod_identity_association attributes as the AWS provider (>= 6.2) stores them: id (= association
//   id), association_id, association_arn, cluster_name, namespace, service_account, role_arn,
//   target_role_arn, disable_session_tags, external_id, tags, tags_all (tags over the provider's
//   default_tags), region;
// - aws_iam_role attributes: arn, name, path, assume_role_policy, unique_id, id, create_date, tags, tags_all…;
// - other resources: their resolved arguments plus an id; data sources aws_caller_identity, aws_partition,
//   aws_region.
// With an IAM server (`iam`), roles, their inline policies (aws_iam_role_policy) and attachments
// (aws_iam_role_policy_attachment) are created there too, in the provider's account, so that live IAM and
// state agree as after a real apply.
// Accounts come from each provider's `allowed_account_ids[0]`, regions from its `region` (or the resource's
// own `region` argument). Expressions: literals, and `${type.name.attr}` / `${data.type.name.attr}` /
// `${each.key}` / `${each.value[.x]}` / `${count.index}` interpolations; anything else is refused loudly.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CreatePodIdentityAssociationCommand, EKSClient } from "@aws-sdk/client-eks";
import type { EksEmulator } from "./eks-emulator";
import type { IamServer } from "./iam-server";

export const AWS_PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]';
export const TERRAFORM_VERSION = "1.9.8";

export interface ApplyOptions {
  readonly emulator: EksEmulator;
  /** Write `terraform.<stack>.tfstate` here. @default the stack's local backend path, else the stack directory */
  readonly stateDir?: string;
  /** Create clusters the associations name when the emulator lacks them. @default true */
  readonly createClusters?: boolean;
  /** Create the IAM roles and their policies here too. @default - IAM is not applied */
  readonly iam?: IamServer;
}

export interface AppliedAssociation {
  readonly address: string;
  readonly associationId: string;
  readonly associationArn: string;
  readonly cluster: { readonly name: string; readonly region: string; readonly accountId: string };
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface AppliedStack {
  readonly stack: string;
  readonly statePath: string;
  /** The state document written. */
  readonly state: TerraformStateV4;
  readonly associations: readonly AppliedAssociation[];
  /** Terraform address → role ARN. */
  readonly roles: Readonly<Record<string, string>>;
}

export interface TerraformStateV4 {
  version: 4;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, { value: unknown; type: unknown; sensitive?: boolean }>;
  resources: StateResource[];
  check_results: null;
}

interface StateResource {
  mode: "managed" | "data";
  type: string;
  name: string;
  each?: "list" | "map";
  provider: string;
  instances: Array<{
    index_key?: string | number;
    schema_version: number;
    attributes: Record<string, unknown>;
    sensitive_attributes: unknown[];
    dependencies?: string[];
  }>;
}

type Block = Record<string, unknown>;

interface ProviderConfig {
  readonly address: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly defaultTags: Record<string, string>;
}

const META = new Set(["//", "provider", "depends_on", "count", "for_each", "lifecycle", "provisioner", "connection"]);

/** Applies every stack of a synthesized app directory (the one holding `stacks/`). */
export async function applySynthesizedApp(outdir: string, opts: ApplyOptions): Promise<AppliedStack[]> {
  const stacksDir = join(outdir, "stacks");
  const out: AppliedStack[] = [];
  for (const stack of readdirSync(stacksDir).sort()) {
    const file = join(stacksDir, stack, "cdk.tf.json");
    if (existsSync(file)) out.push(await applyStackFile(file, opts));
  }
  return out;
}

/** Applies one `cdk.tf.json`. */
export async function applyStackFile(file: string, opts: ApplyOptions): Promise<AppliedStack> {
  const json = JSON.parse(readFileSync(file, "utf8")) as Block;
  const stack = stackNameOf(json) ?? dirname(file).split(/[\\/]/).pop()!;
  return applyStack(stack, json, { ...opts, stackDir: dirname(file) });
}

function stackNameOf(json: Block): string | undefined {
  const meta = (json["//"] as { metadata?: { stackName?: string } } | undefined)?.metadata;
  return meta?.stackName;
}

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Applies a stack given as parsed Terraform JSON. */
export async function applyStack(stack: string, json: Block, opts: ApplyOptions & { stackDir?: string }): Promise<AppliedStack> {
  if (json.module && Object.keys(json.module as Block).length > 0) throw new Error(`apply ${stack}: module blocks are not supported by the test applier`);

  // Providers: "aws" and "aws.<alias>".
  const providers = new Map<string, ProviderConfig>();
  for (const p of asArray((json.provider as Block | undefined)?.aws as Block | Block[] | undefined)) {
    const alias = p.alias as string | undefined;
    const key = alias ? `aws.${alias}` : "aws";
    const region = p.region as string | undefined;
    const accountId = (p.allowed_account_ids as string[] | undefined)?.[0];
    if (!region || !accountId)
      throw new Error(`apply ${stack}: provider ${key} needs region and allowed_account_ids (the applier takes the account from them)`);
    const defaultTags = asArray(p.default_tags as Block | Block[] | undefined)[0]?.tags as Record<string, string> | undefined;
    providers.set(key, {
      address: alias ? `${AWS_PROVIDER}.${alias}` : AWS_PROVIDER,
      region,
      accountId,
      partition: partitionOf(region),
      defaultTags: { ...(defaultTags ?? {}) },
    });
  }
  const providerFor = (block: Block, address: string): ProviderConfig => {
    const key = (block.provider as string | undefined) ?? "aws";
    const p = providers.get(key);
    if (!p) throw new Error(`apply ${stack}: ${address} uses provider ${key}, which the stack does not configure`);
    return p;
  };

  // Work items: every managed resource and data source, applied once its references are known.
  interface Item {
    mode: "managed" | "data";
    type: string;
    name: string;
    block: Block;
  }
  const items: Item[] = [];
  for (const [type, byName] of Object.entries((json.resource as Record<string, Record<string, Block>> | undefined) ?? {})) {
    for (const [name, block] of Object.entries(byName)) items.push({ mode: "managed", type, name, block });
  }
  for (const [type, byName] of Object.entries((json.data as Record<string, Record<string, Block>> | undefined) ?? {})) {
    for (const [name, block] of Object.entries(byName)) items.push({ mode: "data", type, name, block });
  }

  const known = new Map<string, unknown>();
  const resources: StateResource[] = [];
  const associations: AppliedAssociation[] = [];
  const roles: Record<string, string> = {};
  // IAM writes, applied once every resource is known: a policy may come before its role (literal names).
  const iamRoles: Array<Parameters<IamServer["putRole"]>[0] & { readonly arn: string }> = [];
  const iamPolicies: Array<{ accountId: string; role: string; name: string; policy: string }> = [];
  const iamAttachments: Array<{ accountId: string; role: string; policyArn: string }> = [];
  const clients = new Map<string, EKSClient>();
  const eksClient = (p: ProviderConfig, region: string) => {
    const key = `${p.accountId}|${region}`;
    let c = clients.get(key);
    if (!c) {
      // Test-side client: an explicit endpoint is fine here (product code never sets one).
      c = new EKSClient({ region, endpoint: opts.emulator.endpoint, credentials: opts.emulator.credentialsFor(p.accountId), maxAttempts: 3 });
      clients.set(key, c);
    }
    return c;
  };

  const refKey = (mode: "managed" | "data", type: string, name: string) => (mode === "data" ? `data.${type}.${name}` : `${type}.${name}`);

  try {
    let pending = items;
    while (pending.length > 0) {
      const next: Item[] = [];
      for (const item of pending) {
        const deps = referencesOf(item.block);
        if (deps.some((d) => !known.has(d))) {
          next.push(item);
          continue;
        }
        const address = refKey(item.mode, item.type, item.name);
        const p = providerFor(item.block, address);
        const dependencies = [...new Set([...deps, ...asArray(item.block.depends_on as string | string[] | undefined)].filter((d) => d !== address))].sort();
        const instances: StateResource["instances"] = [];
        const expansion = expand(item.block, address);
        const values: Array<[string | number | undefined, Record<string, unknown>]> = [];
        for (const inst of expansion.instances) {
          const config = resolveBlock(item.block, { known, each: inst.each, countIndex: inst.countIndex, where: address });
          const attributes = await applyInstance(item, config, p, instAddress(address, inst.key));
          values.push([inst.key, attributes]);
          instances.push({
            ...(inst.key !== undefined ? { index_key: inst.key } : {}),
            schema_version: 0,
            attributes,
            sensitive_attributes: [],
            ...(item.mode === "managed" ? { dependencies } : {}),
          });
        }
        known.set(
          address,
          expansion.each === undefined
            ? values[0]![1]
            : expansion.each === "list"
              ? values.map(([, v]) => v)
              : Object.fromEntries(values.map(([k, v]) => [String(k), v])),
        );
        resources.push({
          mode: item.mode,
          type: item.type,
          name: item.name,
          ...(expansion.each ? { each: expansion.each } : {}),
          provider: p.address,
          instances,
        });
      }
      if (next.length === pending.length) {
        const missing = next.map(
          (i) =>
            `${refKey(i.mode, i.type, i.name)} → ${referencesOf(i.block)
              .filter((d) => !known.has(d))
              .join(", ")}`,
        );
        throw new Error(`apply ${stack}: unresolvable references (a cycle, or a resource that does not exist): ${missing.join("; ")}`);
      }
      pending = next;
    }
  } finally {
    for (const c of clients.values()) c.destroy();
  }
  if (opts.iam !== undefined) {
    const iam = opts.iam;
    const arnOf = (accountId: string, role: string) => {
      const r = iamRoles.find((x) => x.accountId === accountId && x.name === role);
      if (r === undefined) throw new Error(`apply ${stack}: a policy names role ${role} in account ${accountId}, which the stack does not create`);
      return r.arn;
    };
    for (const { arn: _arn, ...r } of iamRoles) iam.putRole(r);
    for (const x of iamPolicies) iam.putRolePolicy(arnOf(x.accountId, x.role), x.name, x.policy);
    for (const x of iamAttachments) iam.attachRolePolicy(arnOf(x.accountId, x.role), x.policyArn);
  }

  async function applyInstance(item: Item, config: Block, p: ProviderConfig, address: string): Promise<Record<string, unknown>> {
    const region = (config.region as string | undefined) ?? p.region;
    const tags = (config.tags as Record<string, string> | undefined) ?? null;
    const tagsAll = { ...p.defaultTags, ...(tags ?? {}) };
    if (item.mode === "data") return dataSource(item.type, p, region, address);
    switch (item.type) {
      case "aws_iam_role": {
        const name = config.name as string | undefined;
        if (!name) throw new Error(`apply ${stack}: ${address}: only roles with a literal name are supported`);
        const path = (config.path as string | undefined) ?? "/";
        const arn = `arn:${p.partition}:iam::${p.accountId}:role${path}${name}`;
        roles[address] = arn;
        iamRoles.push({
          arn,
          accountId: p.accountId,
          name,
          path,
          assumeRolePolicy: config.assume_role_policy as string,
          ...(config.permissions_boundary ? { permissionsBoundary: config.permissions_boundary as string } : {}),
          ...(tags ? { tags } : {}),
        });
        return {
          arn,
          assume_role_policy: config.assume_role_policy,
          create_date: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
          description: (config.description as string | undefined) ?? "",
          force_detach_policies: (config.force_detach_policies as boolean | undefined) ?? false,
          id: name,
          inline_policy: [],
          managed_policy_arns: [],
          max_session_duration: (config.max_session_duration as number | undefined) ?? 3600,
          name,
          name_prefix: "",
          path,
          permissions_boundary: (config.permissions_boundary as string | undefined) ?? "",
          tags,
          tags_all: tagsAll,
          unique_id: `AROA${randomBytes(16).toString("hex").toUpperCase().slice(0, 17)}`,
        };
      }
      case "aws_eks_pod_identity_association": {
        const cluster = { name: config.cluster_name as string, region, accountId: p.accountId };
        if (opts.createClusters !== false && !opts.emulator.hasCluster(cluster)) opts.emulator.addCluster(cluster);
        const out = await eksClient(p, region).send(
          new CreatePodIdentityAssociationCommand({
            clusterName: cluster.name,
            namespace: config.namespace as string,
            serviceAccount: config.service_account as string,
            roleArn: config.role_arn as string,
            ...(config.target_role_arn ? { targetRoleArn: config.target_role_arn as string } : {}),
            ...(config.disable_session_tags !== undefined ? { disableSessionTags: config.disable_session_tags as boolean } : {}),
            ...(config.policy !== undefined ? { policy: config.policy as string } : {}),
            ...(Object.keys(tagsAll).length > 0 ? { tags: tagsAll } : {}),
          }),
        );
        const a = out.association!;
        associations.push({
          address,
          associationId: a.associationId!,
          associationArn: a.associationArn!,
          cluster,
          namespace: a.namespace!,
          serviceAccount: a.serviceAccount!,
        });
        return {
          association_arn: a.associationArn,
          association_id: a.associationId,
          cluster_name: a.clusterName,
          disable_session_tags: a.disableSessionTags ?? false,
          external_id: a.externalId ?? null,
          id: a.associationId,
          namespace: a.namespace,
          region,
          role_arn: a.roleArn,
          service_account: a.serviceAccount,
          tags,
          tags_all: a.tags ?? {},
          target_role_arn: a.targetRoleArn ?? null,
          ...(config.policy !== undefined ? { policy: a.policy ?? null } : {}),
        };
      }
      default: {
        if (item.type === "aws_iam_role_policy")
          iamPolicies.push({ accountId: p.accountId, role: String(config.role), name: String(config.name), policy: String(config.policy) });
        if (item.type === "aws_iam_role_policy_attachment")
          iamAttachments.push({ accountId: p.accountId, role: String(config.role), policyArn: String(config.policy_arn) });
        const attributes: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(config)) if (!META.has(k)) attributes[k] = v;
        attributes.id ??=
          item.type === "aws_iam_role_policy" ? `${String(config.role)}:${String(config.name)}` : `${item.type}-${randomBytes(6).toString("hex")}`;
        if ("tags" in config) attributes.tags_all = tagsAll;
        return attributes;
      }
    }
  }

  const state: TerraformStateV4 = {
    version: 4,
    terraform_version: TERRAFORM_VERSION,
    serial: 1,
    lineage: randomUUID(),
    outputs: outputsOf(json, known),
    resources,
    check_results: null,
  };
  const statePath = statePathFor(stack, json, opts);
  mkdirSync(dirname(statePath), { recursive: true });
  writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
  return { stack, statePath, state, associations, roles };
}

function statePathFor(stack: string, json: Block, opts: ApplyOptions & { stackDir?: string }): string {
  const file = `terraform.${stack}.tfstate`;
  if (opts.stateDir) return join(opts.stateDir, file);
  const local = ((json.terraform as Block | undefined)?.backend as Block | undefined)?.local as Block | undefined;
  const base = opts.stackDir ?? process.cwd();
  if (typeof local?.path === "string") return resolve(base, local.path);
  return join(base, file);
}

function dataSource(type: string, p: ProviderConfig, region: string, address: string): Record<string, unknown> {
  switch (type) {
    case "aws_caller_identity":
      return { account_id: p.accountId, arn: `arn:${p.partition}:iam::${p.accountId}:user/applier`, id: p.accountId, user_id: "AIDAAPPLIER" };
    case "aws_partition":
      return {
        dns_suffix: p.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com",
        id: p.partition,
        partition: p.partition,
        reverse_dns_prefix: "com.amazonaws",
      };
    case "aws_region":
      return { description: region, endpoint: `ec2.${region}.amazonaws.com`, id: region, name: region, region };
    default:
      throw new Error(`apply: data source ${address} is not supported by the test applier`);
  }
}

// ---- expressions ----

const INTERPOLATION = /\$\{([^}]*)\}/g;

function walkStrings(v: unknown, f: (s: string) => void): void {
  if (typeof v === "string") f(v);
  else if (Array.isArray(v)) v.forEach((x) => walkStrings(x, f));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) if (k !== "//") walkStrings(x, f);
}

/** The resources a block refers to: `type.name` or `data.type.name`. */
function referencesOf(block: Block): string[] {
  const refs = new Set<string>();
  walkStrings(block, (s) => {
    for (const m of s.matchAll(INTERPOLATION)) {
      const expr = m[1]!.trim();
      const parts = expr.split(".");
      if (parts[0] === "each" || parts[0] === "count") continue;
      if (parts[0] === "data" && parts.length >= 3) refs.add(`data.${parts[1]}.${stripIndex(parts[2]!)}`);
      else if (parts.length >= 2 && /^[a-z][a-z0-9_]*$/.test(parts[0]!)) refs.add(`${parts[0]}.${stripIndex(parts[1]!)}`);
    }
  });
  return [...refs];
}

function stripIndex(s: string): string {
  return s.replace(/\[.*$/, "");
}

interface Scope {
  readonly known: Map<string, unknown>;
  readonly each?: { key: string; value: unknown };
  readonly countIndex?: number;
  readonly where: string;
}

function evaluate(expr: string, scope: Scope): unknown {
  const e = expr.trim();
  if (e === "count.index") {
    if (scope.countIndex === undefined) throw new Error(`apply: ${scope.where}: count.index outside count`);
    return scope.countIndex;
  }
  if (e === "each.key" || e.startsWith("each.value")) {
    if (!scope.each) throw new Error(`apply: ${scope.where}: ${e} outside for_each`);
    if (e === "each.key") return scope.each.key;
    return path(scope.each.value, e.slice("each.value".length), scope.where, e);
  }
  const m = /^(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)((?:\[[^\]]+\])?)((?:\.[A-Za-z0-9_]+|\[[^\]]+\])*)$/.exec(e);
  if (!m) throw new Error(`apply: ${scope.where}: unsupported expression \${${e}} (the test applier resolves only references)`);
  const address = `${m[1] ?? ""}${m[2]}.${m[3]}`;
  let value = scope.known.get(address);
  if (m[4]) value = path(value, m[4], scope.where, e);
  return path(value, m[5]!, scope.where, e);
}

function path(value: unknown, rest: string, where: string, expr: string): unknown {
  let v = value;
  for (const step of rest.matchAll(/\.([A-Za-z0-9_]+)|\[("?)([^\]"]*)\2\]/g)) {
    const key = step[1] ?? step[3]!;
    if (v === null || typeof v !== "object") throw new Error(`apply: ${where}: cannot resolve \${${expr}}`);
    v = (v as Record<string, unknown>)[key];
  }
  if (v === undefined) throw new Error(`apply: ${where}: \${${expr}} has no value`);
  return v;
}

function resolveValue(v: unknown, scope: Scope): unknown {
  if (typeof v === "string") {
    const whole = /^\$\{([^}]*)\}$/.exec(v);
    if (whole) return evaluate(whole[1]!, scope);
    return v.replace(INTERPOLATION, (_, expr: string) => {
      const r = evaluate(expr, scope);
      return typeof r === "string" ? r : JSON.stringify(r);
    });
  }
  if (Array.isArray(v)) return v.map((x) => resolveValue(x, scope));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== "//") out[k] = resolveValue(x, scope);
    return out;
  }
  return v;
}

function resolveBlock(block: Block, scope: Scope): Block {
  const out: Block = {};
  for (const [k, v] of Object.entries(block)) if (!META.has(k)) out[k] = resolveValue(v, scope);
  return out;
}

interface Expansion {
  readonly each?: "list" | "map";
  readonly instances: Array<{ key?: string | number; each?: { key: string; value: unknown }; countIndex?: number }>;
}

function expand(block: Block, address: string): Expansion {
  if (block.count !== undefined) {
    const n = typeof block.count === "number" ? block.count : Number(block.count);
    if (!Number.isInteger(n) || n < 0) throw new Error(`apply: ${address}: only a literal count is supported`);
    return { each: "list", instances: Array.from({ length: n }, (_, i) => ({ key: i, countIndex: i })) };
  }
  if (block.for_each !== undefined) {
    const fe = block.for_each;
    if (Array.isArray(fe) && fe.every((x) => typeof x === "string")) {
      return { each: "map", instances: [...new Set(fe as string[])].sort().map((k) => ({ key: k, each: { key: k, value: k } })) };
    }
    if (fe && typeof fe === "object" && !Array.isArray(fe)) {
      return {
        each: "map",
        instances: Object.keys(fe)
          .sort()
          .map((k) => ({ key: k, each: { key: k, value: (fe as Block)[k] } })),
      };
    }
    throw new Error(`apply: ${address}: only a literal for_each (map or set of strings) is supported`);
  }
  return { instances: [{}] };
}

function instAddress(address: string, key: string | number | undefined): string {
  if (key === undefined) return address;
  return typeof key === "number" ? `${address}[${key}]` : `${address}[${JSON.stringify(key)}]`;
}

function outputsOf(json: Block, known: Map<string, unknown>): TerraformStateV4["outputs"] {
  const out: TerraformStateV4["outputs"] = {};
  for (const [name, o] of Object.entries((json.output as Record<string, Block> | undefined) ?? {})) {
    let value: unknown;
    try {
      value = resolveValue(o.value, { known, where: `output.${name}` });
    } catch {
      continue; // not resolvable by this applier: left out, as an unknown output would be
    }
    const type = typeof value === "string" ? "string" : typeof value === "number" ? "number" : typeof value === "boolean" ? "bool" : undefined;
    if (type === undefined) continue;
    out[name] = { value, type, ...(o.sensitive === true ? { sensitive: true } : {}) };
  }
  return out;
}
