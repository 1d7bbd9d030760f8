// The IAM roles a Terraform state manages, with what state says each role's trust and permissions are:
//   aws_iam_role                    arn, name, unique_id, assume_role_policy, permissions_boundary, and the
//                                   role's own inline_policy blocks and managed_policy_arns
//   aws_iam_role_policy             an inline policy (role, name, policy)
//   aws_iam_role_policy_attachment  a managed policy attachment (role, policy_arn)
//   aws_iam_policy_attachment       a managed policy attached to several roles (roles, policy_arn)
// A policy resource belongs to the role with its name under the same provider configuration in the same
// state (role names are unique per account, and one provider configuration is one account).
//
// Which source wins: the AWS provider stores a role's inline_policy and managed_policy_arns on every refresh
// from what the role has live, whether the configuration sets them or not, and it does not support setting
// them together with the separate resources. So when separate aws_iam_role_policy (or attachment)
// resources exist for a role, they are what Terraform manages and the role's attribute is ignored for that
// kind; otherwise the attribute is what state says. (When the configuration sets neither, the attribute
// holds what the last refresh saw: an out-of-band change refreshed into state by a later apply is then
// state's. See docs/drift-inputs.md.)
//
// Only the attributes named above are read; error messages name the resource and the attribute path, never
// a value.
import type { StateAttachment, StateInlinePolicy, StateLocation, StateRole } from "../model";
import { instanceAddress } from "./addresses";
import { StateReadError } from "./errors";

export const ROLE_TYPE = "aws_iam_role";
export const ROLE_POLICY_TYPE = "aws_iam_role_policy";
export const ROLE_POLICY_ATTACHMENT_TYPE = "aws_iam_role_policy_attachment";
export const POLICY_ATTACHMENT_TYPE = "aws_iam_policy_attachment";
export const IAM_ROLE_RESOURCE_TYPES: ReadonlySet<string> = new Set([ROLE_TYPE, ROLE_POLICY_TYPE, ROLE_POLICY_ATTACHMENT_TYPE, POLICY_ATTACHMENT_TYPE]);

const ROLE_ARN = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;

interface Located {
  readonly location: StateLocation;
  /** `resources[i].instances[j].attributes`, for messages. */
  readonly where: string;
  readonly attributes: Record<string, unknown>;
}

/** A resource of one of IAM_ROLE_RESOURCE_TYPES, already checked to be well-formed by the state parser. */
export interface IamResource {
  readonly module?: string;
  readonly type: string;
  readonly name: string;
  readonly provider: string;
  readonly instances: readonly { readonly index_key?: string | number; readonly deposed?: string; readonly attributes?: unknown }[];
}

/**
 * Collects the IAM resources of one state as the parser meets them (one at a time: only these are kept),
 * then matches policies to roles. `add` throws StateReadError naming the resource for a malformed instance.
 */
export class IamRoleCollector {
  private readonly byType = new Map<string, Located[]>();

  constructor(private readonly source: string) {}

  add(r: IamResource, index: number, providerAlias: string | undefined): void {
    r.instances.forEach((inst, j) => {
      if (inst.deposed !== undefined) return; // a replaced object awaiting destroy
      const address = instanceAddress(r.module, r.type, r.name, inst.index_key);
      const where = `resources[${index}].instances[${j}].attributes`;
      if (!isObject(inst.attributes)) throw malformed(this.source, address, where, "expected an object");
      const location: StateLocation = { source: this.source, address, provider: r.provider, ...(providerAlias ? { providerAlias } : {}) };
      const list = this.byType.get(r.type);
      if (list) list.push({ location, where, attributes: inst.attributes });
      else this.byType.set(r.type, [{ location, where, attributes: inst.attributes }]);
    });
  }

  /** Every aws_iam_role with the policies that belong to it. */
  roles(): StateRole[] {
    const source = this.source;
    const inline = new Map<string, StateInlinePolicy[]>();
    const attached = new Map<string, StateAttachment[]>();
    const add = <T>(m: Map<string, T[]>, k: string, v: T) => {
      const list = m.get(k);
      if (list) list.push(v);
      else m.set(k, [v]);
    };
    for (const r of this.byType.get(ROLE_POLICY_TYPE) ?? []) {
      const role = requireString(source, r, "role");
      const policy = requireString(source, r, "policy");
      const name = optionalString(source, r, "name") || nameFromId(optionalString(source, r, "id"));
      if (!name) throw malformed(source, r.location.address, `${r.where}.name`, "expected the policy name (string)");
      add(inline, roleKey(r.location.provider, roleName(role)), { name, policy, address: r.location.address });
    }
    for (const r of this.byType.get(ROLE_POLICY_ATTACHMENT_TYPE) ?? []) {
      add(attached, roleKey(r.location.provider, roleName(requireString(source, r, "role"))), {
        policyArn: requireString(source, r, "policy_arn"),
        address: r.location.address,
      });
    }
    for (const r of this.byType.get(POLICY_ATTACHMENT_TYPE) ?? []) {
      const policyArn = requireString(source, r, "policy_arn");
      for (const role of optionalStrings(source, r, "roles"))
        add(attached, roleKey(r.location.provider, roleName(role)), { policyArn, address: r.location.address });
    }
    const out: StateRole[] = [];
    for (const r of this.byType.get(ROLE_TYPE) ?? []) {
      const arn = requireString(source, r, "arn");
      const m = ROLE_ARN.exec(arn);
      if (!m) throw malformed(source, r.location.address, `${r.where}.arn`, "not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/PATH/NAME)");
      const name = optionalString(source, r, "name") || m[3]!;
      const key = roleKey(r.location.provider, name);
      const uniqueId = optionalString(source, r, "unique_id");
      const boundary = optionalString(source, r, "permissions_boundary");
      out.push({
        ...r.location,
        arn,
        name,
        accountId: m[2]!,
        partition: m[1]!,
        ...(uniqueId ? { uniqueId } : {}),
        assumeRolePolicy: requireString(source, r, "assume_role_policy"),
        ...(boundary ? { permissionsBoundary: boundary } : {}),
        inlinePolicies: inline.get(key) ?? inlineBlocks(source, r),
        attachments: attached.get(key) ?? optionalStrings(source, r, "managed_policy_arns").map((policyArn) => ({ policyArn, address: r.location.address })),
      });
    }
    return out;
  }
}

function roleKey(provider: string, name: string): string {
  return `${provider}\u0000${name}`;
}

/** `role` holds the role's name (its id); an ARN is accepted too. */
function roleName(role: string): string {
  return ROLE_ARN.exec(role)?.[3] ?? role;
}

/** `ROLE:POLICY`, the id of an aws_iam_role_policy. */
function nameFromId(id: string | undefined): string | undefined {
  const i = id?.indexOf(":") ?? -1;
  return i >= 0 ? id!.slice(i + 1) : undefined;
}

function inlineBlocks(source: string, r: Located): StateInlinePolicy[] {
  const v = r.attributes.inline_policy;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw malformed(source, r.location.address, `${r.where}.inline_policy`, "expected an array of { name, policy }");
  const out: StateInlinePolicy[] = [];
  v.forEach((block: unknown, k: number) => {
    if (!isObject(block) || !isNullishString(block.name) || !isNullishString(block.policy)) {
      throw malformed(source, r.location.address, `${r.where}.inline_policy[${k}]`, "expected { name: string, policy: string }");
    }
    // An empty block (`inline_policy {}`) is how a configuration says "no inline policies".
    if (block.name && block.policy) out.push({ name: block.name, policy: block.policy, address: r.location.address });
  });
  return out;
}

function requireString(source: string, r: Located, field: string): string {
  const v = r.attributes[field];
  if (typeof v !== "string" || v === "") throw malformed(source, r.location.address, `${r.where}.${field}`, "expected a non-empty string");
  return v;
}

function optionalString(source: string, r: Located, field: string): string | undefined {
  const v = r.attributes[field];
  if (!isNullishString(v)) throw malformed(source, r.location.address, `${r.where}.${field}`, "expected a string");
  return v ?? undefined;
}

function optionalStrings(source: string, r: Located, field: string): string[] {
  const v = r.attributes[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
    throw malformed(source, r.location.address, `${r.where}.${field}`, "expected an array of strings");
  return v as string[];
}

function malformed(source: string, address: string, path: string, what: string): StateReadError {
  return new StateReadError("StateInvalid", `${source}: malformed ${address}: ${path}: ${what}`);
}

function isNullishString(v: unknown): v is string | null | undefined {
  return v === undefined || v === null || typeof v === "string";
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
