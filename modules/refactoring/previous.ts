// What was there before this synth, stack by stack, for the comparison in ./compare.ts:
// - a stack's state, `terraform.<stack>.tfstate` at the project root (the local backend's file, or a copy of
//   an S3 state downloaded there), is what Terraform manages: it is authoritative, and it holds the ids that
//   an import needs (an association's id exists nowhere else);
// - with a remote (S3) backend, a stack without a state file there is read from the last synthesized output
//   (`<outdir>/manifest.json` and each stack's cdk.tf.json): what was declared, not necessarily applied, and
//   without association ids. With the local backend the state file is the only record: a stack without one
//   was never deployed from this project, and there is nothing to keep.
// Only the resource types in ./identity.ts are kept. A state file that cannot be read stops synth (it is the
// deployment); an output that cannot be read is skipped with a warning (it is a cache of the last synth).
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { BoundedReadError, readBoundedFile } from "../bounded-read";
import { parseArn, parseRoleArn } from "../policy/arn";
import { identityOf, importIdOf, isTrackedType, type ResourceFacts, type TrackedType } from "./identity";

/** A state or output file is read up to this size: a stack of 5,000 associations with dedicated roles is about 40 MB of state. */
export const MAX_PREVIOUS_FILE_BYTES = 256 * 1024 * 1024;

export interface PreviousResource {
  readonly type: TrackedType;
  /** `type.name` */
  readonly address: string;
  readonly facts: ResourceFacts;
  readonly identity?: string;
  readonly importId?: string;
}

export interface PreviousStack {
  readonly stack: string;
  /** `state`: the stack's state file; `output`: the last synthesized cdk.tf.json. */
  readonly source: "state" | "output";
  /** The file read, as messages show it. */
  readonly file: string;
  readonly resources: readonly PreviousResource[];
}

export interface PreviousDeployment {
  readonly stacks: readonly PreviousStack[];
  /** Files that were skipped, and why, by the stack they concern (undefined: the whole output). */
  readonly warnings: readonly { readonly stack?: string; readonly message: string }[];
}

/** A state file that exists but cannot be used: synth stops rather than compare with a guess. */
export class PreviousStateError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = "PreviousStateError";
  }
}

export interface PreviousOptions {
  readonly projectRoot: string;
  /** The directory the last synth wrote (cdktf.out). */
  readonly outdir: string;
  /** Read the last output for stacks without a state file (the state is remote). */
  readonly outputs: boolean;
  /** Account id by provider alias (the config's accounts), for state resources whose attributes carry none. */
  readonly accountIds: Readonly<Record<string, string>>;
  /** How messages name a file. */
  readonly show: (file: string) => string;
}

const STATE_FILE = /^terraform\.(.+)\.tfstate$/;

/** The state of every stack with a state file, and the last output of every other stack. */
export function readPreviousDeployment(o: PreviousOptions): PreviousDeployment {
  const stacks: PreviousStack[] = [];
  const warnings: { stack?: string; message: string }[] = [];
  for (const name of readdirSync(o.projectRoot).sort()) {
    const stack = STATE_FILE.exec(name)?.[1];
    if (stack === undefined) continue;
    const file = path.join(o.projectRoot, name);
    const shown = o.show(file);
    stacks.push({
      stack,
      source: "state",
      file: shown,
      resources: stateResources(
        readJson(file, shown, (m) => new PreviousStateError(m)),
        shown,
        o.accountIds,
      ),
    });
  }
  const fromState = new Set(stacks.map((s) => s.stack));
  for (const { stack, file } of o.outputs ? outputStacks(o, warnings) : []) {
    if (fromState.has(stack)) continue;
    try {
      stacks.push({ stack, source: "output", file: o.show(file), resources: outputResources(readJson(file, o.show(file), (m) => new Error(m))) });
    } catch (e) {
      warnings.push({ stack, message: `${(e as Error).message}; stack "${stack}" is not compared with its last synthesized output` });
    }
  }
  return { stacks, warnings };
}

function readJson(file: string, shown: string, error: (message: string) => Error): unknown {
  let bytes: Buffer;
  try {
    bytes = readBoundedFile(file, MAX_PREVIOUS_FILE_BYTES);
  } catch (e) {
    if (!(e instanceof BoundedReadError)) throw e;
    const p = e.problem;
    const why =
      p.kind === "too-large"
        ? `is ${(p.size / (1024 * 1024)).toFixed(1)} MiB, more than the ${MAX_PREVIOUS_FILE_BYTES / (1024 * 1024)} MiB read`
        : p.kind === "open"
          ? `cannot be read: ${p.error.code ?? "error"}: ${String(p.error.message).split("\n")[0]}`
          : "is not a regular file";
    throw error(`${shown} ${why}`);
  }
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw error(`${shown} is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function record(facts: ResourceFacts, name: string): PreviousResource {
  return { type: facts.type, address: `${facts.type}.${name}`, facts, identity: identityOf(facts), importId: importIdOf(facts) };
}

/** The managed resources of a state v4 document that this app tracks. */
function stateResources(doc: unknown, shown: string, accountIds: Readonly<Record<string, string>>): PreviousResource[] {
  if (!isObject(doc) || doc.version !== 4 || !Array.isArray(doc.resources)) {
    throw new PreviousStateError(`${shown} is not a Terraform state (version 4, with a resources list)`);
  }
  const tracked = doc.resources.filter(
    (r): r is Json =>
      isObject(r) && r.mode === "managed" && r.module === undefined && typeof r.type === "string" && isTrackedType(r.type) && typeof r.name === "string",
  );
  // The account of an alias, from the ARNs the state holds; the config's accounts for the rest.
  const accountOf = new Map<string, string>(Object.entries(accountIds));
  const attributesOf = (r: Json): Json | undefined => {
    const instances = Array.isArray(r.instances) ? r.instances : [];
    const only = instances.length === 1 && isObject(instances[0]) && instances[0].index_key === undefined ? instances[0] : undefined;
    return only && isObject(only.attributes) ? only.attributes : undefined;
  };
  const aliasOf = (r: Json): string | undefined => /\]\.([^.\]"]+)$/.exec(str(r.provider) ?? "")?.[1];
  for (const r of tracked) {
    const a = attributesOf(r);
    const arn = str(a?.arn) ?? str(a?.association_arn);
    const alias = aliasOf(r);
    const account = arn ? parseArn(arn)?.account : undefined;
    if (alias !== undefined && account) accountOf.set(alias, account);
  }
  const out: PreviousResource[] = [];
  for (const r of tracked) {
    const a = attributesOf(r);
    if (!a) continue;
    const type = r.type as TrackedType;
    const alias = aliasOf(r);
    const common = { type, alias, accountId: alias !== undefined ? accountOf.get(alias) : undefined };
    let facts: ResourceFacts;
    switch (type) {
      case "aws_eks_pod_identity_association": {
        const arn = parseArn(str(a.association_arn) ?? "");
        facts = {
          ...common,
          accountId: arn?.account ?? common.accountId,
          region: arn?.region ?? str(a.region),
          clusterName: str(a.cluster_name),
          namespace: str(a.namespace),
          serviceAccount: str(a.service_account),
          associationId: str(a.association_id) ?? str(a.id),
        };
        break;
      }
      case "aws_iam_role":
        facts = { ...common, accountId: parseRoleArn(str(a.arn) ?? "")?.account ?? common.accountId, name: str(a.name) };
        break;
      case "aws_iam_role_policy":
        facts = { ...common, role: str(a.role), name: str(a.name) };
        break;
      case "aws_iam_role_policy_attachment":
        facts = { ...common, role: str(a.role), policyArn: str(a.policy_arn) };
        break;
    }
    out.push(record(facts, r.name as string));
  }
  return out;
}

/** The stacks of the last synthesized output, from its manifest; missing or unreadable manifests give none. */
function outputStacks(o: PreviousOptions, warnings: { stack?: string; message: string }[]): { stack: string; file: string }[] {
  const manifest = path.join(o.outdir, "manifest.json");
  if (!existsSync(manifest)) return [];
  let doc: unknown;
  try {
    doc = readJson(manifest, o.show(manifest), (m) => new Error(m));
  } catch (e) {
    warnings.push({ message: `${(e as Error).message}; the last synthesized output is not compared` });
    return [];
  }
  const stacks = isObject(doc) && isObject(doc.stacks) ? doc.stacks : {};
  const root = path.resolve(o.outdir);
  const out: { stack: string; file: string }[] = [];
  for (const [stack, entry] of Object.entries(stacks)) {
    const rel = isObject(entry) ? str(entry.synthesizedStackPath) : undefined;
    const file = rel !== undefined ? path.resolve(root, rel) : undefined;
    if (file === undefined || !file.startsWith(root + path.sep)) {
      warnings.push({ stack, message: `${o.show(manifest)}: stack "${stack}" has no synthesized file inside ${o.show(root)}; it is not compared` });
      continue;
    }
    out.push({ stack, file });
  }
  return out.sort((a, b) => a.stack.localeCompare(b.stack));
}

/** The tracked resources a synthesized cdk.tf.json declares. */
function outputResources(doc: unknown): PreviousResource[] {
  if (!isObject(doc)) throw new Error("not a Terraform JSON document");
  const providers = new Map<string, { accountId?: string; region?: string }>();
  const aws = isObject(doc.provider) ? doc.provider.aws : undefined;
  for (const p of Array.isArray(aws) ? aws : isObject(aws) ? [aws] : []) {
    if (!isObject(p)) continue;
    const ids = Array.isArray(p.allowed_account_ids) ? p.allowed_account_ids : [];
    providers.set(str(p.alias) ?? "", { accountId: str(ids[0]), region: str(p.region) });
  }
  const out: PreviousResource[] = [];
  const resources = isObject(doc.resource) ? doc.resource : {};
  for (const [type, byName] of Object.entries(resources)) {
    if (!isTrackedType(type) || !isObject(byName)) continue;
    for (const [name, b] of Object.entries(byName)) {
      if (!isObject(b) || b.count !== undefined || b.for_each !== undefined) continue;
      const alias = /^aws(?:\.(.+))?$/.exec(str(b.provider) ?? "aws")?.[1];
      const provider = providers.get(alias ?? "");
      const common = { type, alias, accountId: provider?.accountId };
      const facts: ResourceFacts =
        type === "aws_eks_pod_identity_association"
          ? {
              ...common,
              region: str(b.region) ?? provider?.region,
              clusterName: str(b.cluster_name),
              namespace: str(b.namespace),
              serviceAccount: str(b.service_account),
            }
          : type === "aws_iam_role"
            ? { ...common, name: str(b.name) }
            : type === "aws_iam_role_policy"
              ? { ...common, role: str(b.role), name: str(b.name) }
              : { ...common, role: str(b.role), policyArn: str(b.policy_arn) };
      out.push(record(facts, name));
    }
  }
  return out;
}
