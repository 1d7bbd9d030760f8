// Terraform state v4 (JSON) → the associations and roles the drift check compares.
//
// Format: https://github.com/hashicorp/terraform/blob/main/internal/states/statefile/version4.go
// Only `aws_eks_pod_identity_association` instances and the IAM roles with their policies (./iam-roles.ts)
// of managed resources are read, at any module depth, count/for_each instances included, deposed instances
// skipped. Of their attributes only the ones the check needs are read; no other attribute is ever copied,
// logged or put in an error message.
import { z } from "zod";
import type { StateAssociation, StateSnapshot } from "../model";
import { instanceAddress, parseArn, parseProviderAddress } from "./addresses";
import { StateReadError } from "./errors";
import { IAM_ROLE_RESOURCE_TYPES, IamRoleCollector } from "./iam-roles";
import { splitResources } from "./resources";

export const ASSOCIATION_TYPE = "aws_eks_pod_identity_association";

// Attributes are validated per resource type below, never copied wholesale.
const instanceSchema = z.object({
  index_key: z.union([z.string(), z.number()]).optional(),
  deposed: z.string().optional(),
  attributes: z.unknown().optional(),
});

const resourceSchema = z.object({
  module: z.string().optional(),
  mode: z.enum(["managed", "data"]),
  type: z.string().min(1),
  name: z.string().min(1),
  each: z.enum(["list", "map"]).optional(),
  provider: z.string().min(1),
  instances: z.array(instanceSchema),
});

const stateSchema = z.object({
  version: z.literal(4),
  terraform_version: z.string().optional(),
  resources: z.array(z.unknown()).default([]),
});

const optStr = z.string().nullish();
const tagMap = z.record(z.string(), z.string()).nullish();

const associationAttributes = z.object({
  id: optStr,
  association_id: optStr,
  association_arn: optStr,
  cluster_name: z.string(),
  namespace: z.string(),
  service_account: z.string(),
  role_arn: z.string(),
  target_role_arn: optStr,
  disable_session_tags: z.boolean().nullish(),
  external_id: optStr,
  tags: tagMap,
  tags_all: tagMap,
  region: optStr,
});

function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out;
}

function firstIssue(err: z.ZodError, prefix: string): string {
  const issue = err.issues[0]!;
  const path = issuePath(issue.path);
  // zod's messages say what was expected and the received type, never the value.
  return `${prefix}${path ? (prefix && !path.startsWith("[") ? "." : "") + path : ""}: ${issue.message}`;
}

/** Where JSON.parse stopped, without quoting the text (the engine's message may include a snippet). */
function jsonErrorPosition(err: unknown, text: string): string {
  const m = /position (\d+)/.exec(String((err as Error)?.message ?? ""));
  if (!m) return "";
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return ` at line ${line}, column ${column}`;
}

// `\s` is exactly what trim() removes; testing for a non-space character does not copy the text.
const empty = (s: string) => !/\S/.test(s);

// The schemas above decide what is valid and word every error. Checking a 5,000-resource state with them
// allocates ~10 kB per resource (copies of every resource, instance and attribute object); these checks
// accept only what the schemas accept, read the parsed JSON in place, and send anything else to the schemas.
type Resource = z.output<typeof resourceSchema>;
type AssociationAttributes = z.output<typeof associationAttributes>;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isOptional = (x: unknown, is: (y: unknown) => boolean) => x === undefined || is(x);
const isNullish = (x: unknown, is: (y: unknown) => boolean) => x === undefined || x === null || is(x);
const isString = (x: unknown): x is string => typeof x === "string";
const isNonEmptyString = (x: unknown): x is string => typeof x === "string" && x.length > 0;
const isStringMap = (x: unknown) => {
  if (!isObject(x) || Object.getPrototypeOf(x) !== Object.prototype || Object.hasOwn(x, "__proto__")) return false;
  for (const k in x) if (typeof x[k] !== "string") return false;
  return true;
};

function asResource(x: unknown): Resource | undefined {
  if (!isObject(x)) return undefined;
  if (!isOptional(x.module, isString) || (x.mode !== "managed" && x.mode !== "data") || !isNonEmptyString(x.type) || !isNonEmptyString(x.name))
    return undefined;
  if ((x.each !== undefined && x.each !== "list" && x.each !== "map") || !isNonEmptyString(x.provider) || !Array.isArray(x.instances)) return undefined;
  for (const inst of x.instances) {
    if (!isObject(inst) || !isOptional(inst.deposed, isString)) return undefined;
    const k = inst.index_key;
    if (k !== undefined && typeof k !== "string" && !(typeof k === "number" && Number.isFinite(k))) return undefined;
  }
  return x as Resource;
}

function asAssociationAttributes(x: unknown): AssociationAttributes | undefined {
  if (!isObject(x)) return undefined;
  for (const k of ["id", "association_id", "association_arn", "target_role_arn", "external_id", "region"]) if (!isNullish(x[k], isString)) return undefined;
  for (const k of ["cluster_name", "namespace", "service_account", "role_arn"]) if (!isString(x[k])) return undefined;
  if (!isNullish(x.disable_session_tags, (y) => typeof y === "boolean") || !isNullish(x.tags, isStringMap) || !isNullish(x.tags_all, isStringMap))
    return undefined;
  return x as AssociationAttributes;
}

/** Parses one state file's text. Throws StateReadError with a message naming `source`. */
export function parseState(source: string, text: string): StateSnapshot {
  if (empty(text)) {
    throw new StateReadError("StateEmpty", `${source}: the file is empty, not a Terraform state (was an apply or a state push interrupted?)`);
  }
  // The resources one at a time where the text allows (./resources.ts); else the whole text at once. Any JSON
  // error is reported as JSON.parse of the whole text words it: where the file is broken.
  const split = splitResources(text);
  let json: unknown;
  try {
    json = JSON.parse(split !== undefined ? split.rest : text);
  } catch {
    corrupt(source, text);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new StateReadError("StateInvalid", `${source}: not a Terraform state (expected a JSON object with "version": 4)`);
  }
  const version = (json as { version?: unknown }).version;
  if (version !== 4) {
    if (typeof version === "number" && version < 4) {
      throw new StateReadError(
        "StateVersionUnsupported",
        `${source}: state format version ${version} (Terraform < 0.12) is not supported; this check reads version 4. ` +
          "Upgrade it with Terraform >= 0.12: run `terraform init` then `terraform state pull > upgraded.tfstate` (or any apply/refresh), and point the check at the upgraded state",
      );
    }
    if (typeof version === "number") {
      throw new StateReadError(
        "StateVersionUnsupported",
        `${source}: state format version ${version} is not supported; this check reads version 4 (Terraform >= 0.12)`,
      );
    }
    throw new StateReadError("StateInvalid", `${source}: not a Terraform state (no numeric "version" field)`);
  }
  const top = stateSchema.safeParse(json);
  if (!top.success) throw new StateReadError("StateInvalid", `${source}: malformed state: ${firstIssue(top.error, "")}`);

  const associations: StateAssociation[] = [];
  const iam = new IamRoleCollector(source);
  const count = split !== undefined ? split.elements.length : top.data.resources.length;
  for (let i = 0; i < count; i++) {
    const raw = split !== undefined ? element(source, text, split.elements[i]!) : top.data.resources[i];
    const at = `resources[${i}]`;
    let r = asResource(raw);
    if (r === undefined) {
      const parsed = resourceSchema.safeParse(raw);
      if (!parsed.success) throw new StateReadError("StateInvalid", `${source}: malformed state: ${firstIssue(parsed.error, at)}`);
      r = parsed.data;
    }
    if (r.mode !== "managed" || (r.type !== ASSOCIATION_TYPE && !IAM_ROLE_RESOURCE_TYPES.has(r.type))) continue;
    const provider = parseProviderAddress(r.provider);
    if (!provider) {
      throw new StateReadError(
        "StateInvalid",
        `${source}: malformed state: ${at}.provider: not a provider address like provider["registry.terraform.io/hashicorp/aws"].alias (or Terraform 0.12's provider.aws.alias)`,
      );
    }
    if (r.type !== ASSOCIATION_TYPE) {
      iam.add(r, i, provider.alias);
      continue;
    }
    r.instances.forEach((inst, j) => {
      if (inst.deposed !== undefined) return; // a replaced object awaiting destroy: not what the config manages
      const address = instanceAddress(r.module, r.type, r.name, inst.index_key);
      const where = `${at}.instances[${j}].attributes`;
      // Where it was read from, written out in each record below: spreading a shared object into a literal
      // this size gives every record a hidden class of its own (~0.5 kB each, and garbage in the old space).
      const alias = provider.alias ? { providerAlias: provider.alias } : {};
      let v = asAssociationAttributes(inst.attributes);
      if (v === undefined) {
        const a = associationAttributes.safeParse(inst.attributes);
        if (!a.success) throw new StateReadError("StateInvalid", `${source}: malformed ${address}: ${firstIssue(a.error, where)}`);
        v = a.data;
      }
      const associationId = v.association_id || v.id;
      if (!associationId) throw new StateReadError("StateInvalid", `${source}: malformed ${address}: ${where}: neither association_id nor id is set`);
      const arn = v.association_arn ? parseArn(v.association_arn) : undefined;
      const region = arn?.region || v.region || undefined;
      associations.push({
        source,
        address,
        provider: r.provider,
        ...alias,
        clusterName: v.cluster_name,
        namespace: v.namespace,
        serviceAccount: v.service_account,
        associationId,
        ...(v.association_arn ? { associationArn: v.association_arn } : {}),
        ...(region ? { region } : {}),
        ...(arn?.accountId ? { accountId: arn.accountId } : {}),
        roleArn: v.role_arn,
        ...(v.target_role_arn ? { targetRoleArn: v.target_role_arn } : {}),
        disableSessionTags: v.disable_session_tags ?? false,
        ...(v.external_id ? { externalId: v.external_id } : {}),
        tags: { ...(v.tags_all ?? v.tags ?? {}) },
      });
    });
  }
  return { source, associations, roles: iam.roles() };
}

/** One element of `resources`, parsed on its own. */
function element(source: string, text: string, [start, end]: readonly [number, number]): unknown {
  try {
    return JSON.parse(text.slice(start, end));
  } catch {
    return corrupt(source, text);
  }
}

/** Throws the StateCorrupt error for text that is not valid JSON, with where JSON.parse of all of it stopped. */
function corrupt(source: string, text: string): never {
  let at = "";
  try {
    JSON.parse(text);
  } catch (err) {
    at = jsonErrorPosition(err, text);
  }
  throw new StateReadError("StateCorrupt", `${source}: not valid JSON${at}; the state file is corrupt`);
}
