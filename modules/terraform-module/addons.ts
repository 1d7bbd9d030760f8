// The add-on permission sets of ../policy/addons as module inputs: one optional attribute of
// `target_role_addon_policies` per set, its type and validation read from the set's zod schema (through its
// JSON Schema), and its policy document as a Terraform expression.
//
// The document is rendered by the set's own function, not written a second time: the function is called with
// markers for everything only Terraform knows (the role's partition, account and region, each string field),
// and each list field is a one-item list whose item is a marker (its `map` also passes a marker as the index).
// In the rendered JSON:
// - an array element holding a list's item marker stands for one element per item of that list
//   (`[for value in LIST : "…${value}…"]`, concatenated with the constant elements around it);
// - a statement holding a list's item marker anywhere else (a condition key, a Sid) or its index marker
//   stands for one statement per item (`[for index, item in LIST : {…}]`).
// A set with optional fields is rendered once per combination of present fields; a combination whose
// document has a statement without actions is refused by a validation (the zod schema's "at least one of").
// Anything else (a marker where none of the above applies) throws: the test renders every set.
import { z } from "zod";
import { ADDON_NAMES, addonInlinePolicyName, addonPolicyDocument, addonPolicySchema, type AddonName, type AddonPolicy } from "../policy/addons";
import type { PolicyDocumentJson, StatementJson } from "../policy/json";

import { hclString, marker, markersIn, nativeString, snakeCase } from "./hcl";
import type { Validation } from "./variables";

/** One field of a set, as the module takes it. */
export interface AddonField {
  /** The field in the zod schema (camelCase). */
  readonly name: string;
  /** The attribute in HCL (snake_case). */
  readonly attribute: string;
  readonly list: boolean;
  readonly required: boolean;
  readonly pattern?: string;
  readonly minItems: number;
  /** What one value (or item) is. */
  readonly description: string;
}

/** One add-on permission set, as the module takes it. */
export interface AddonSpec {
  readonly name: AddonName;
  /** Its attribute of `target_role_addon_policies`. */
  readonly attribute: string;
  /** The inline policy that carries it on the target role. */
  readonly policyName: string;
  readonly description: string;
  readonly fields: readonly AddonField[];
}

/** The role the set is rendered for, as HCL expressions. */
export interface AddonRefs {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
}

/** The parts of an add-on's JSON Schema (from zod) that its module inputs are made from. */
interface JsonSchemaNode {
  readonly type?: string;
  readonly const?: string;
  readonly description?: string;
  readonly pattern?: string;
  readonly items?: JsonSchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
}

/** Every set, in ADDON_NAMES order, read from its zod schema. */
export function addonSpecs(): AddonSpec[] {
  const byName = new Map<string, z.ZodType>();
  for (const option of addonPolicySchema.options) {
    const name = (z.toJSONSchema(option, { io: "input", unrepresentable: "any" }) as JsonSchemaNode).properties?.name?.const;
    if (name !== undefined) byName.set(name, option);
  }
  return ADDON_NAMES.map((name) => {
    const option = byName.get(name);
    if (!option) throw new Error(`add-on ${name} has no schema`);
    const schema = z.toJSONSchema(option, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;
    const required = new Set<string>(schema.required ?? []);
    const fields = Object.entries(schema.properties ?? {})
      .filter(([field]) => field !== "name")
      .map(([field, p]): AddonField => {
        const list = p.type === "array";
        const item = list ? p.items : p;
        if (item?.type !== "string" || (list && p.maxItems !== undefined))
          throw new Error(`add-on ${name}: field ${field} is not a string or a list of strings`);
        return {
          name: field,
          attribute: snakeCase(field),
          list,
          required: required.has(field),
          ...(item.pattern !== undefined ? { pattern: item.pattern } : {}),
          minItems: list ? (p.minItems ?? 0) : 0,
          description: item.description ?? p.description ?? field,
        };
      });
    return { name, attribute: snakeCase(name), policyName: addonInlinePolicyName(name), description: schema.description ?? name, fields };
  });
}

/** The HCL type of `target_role_addon_policies`. */
export function addonsType(specs: readonly AddonSpec[]): string {
  const field = (f: AddonField): string => {
    const type = f.list ? "list(string)" : "string";
    return `${f.attribute} = ${f.required ? type : `optional(${type})`}`;
  };
  return `object({ ${specs.map((s) => `${s.attribute} = optional(object({ ${s.fields.map(field).join(", ")} }))`).join(", ")} })`;
}

/**
 * `body` evaluated only when `value` is set (`name` holds it): Terraform evaluates both results of a
 * conditional, so `x == null ? … : f(x)` would evaluate f(null) on every plan; a for over a list of zero or
 * one element does not.
 */
function whenSet(value: string, name: string, body: string): string {
  return `[for ${name} in (${value} == null ? [] : [${value}]) : ${body}]`;
}

/** The validation blocks of `target_role_addon_policies` (`variable` is its reference, `var.…`). */
export function addonsValidations(specs: readonly AddonSpec[], variable: string): Validation[] {
  const validations: Validation[] = [];
  for (const spec of specs) {
    const config = `${variable}.${spec.attribute}`;
    for (const f of spec.fields) {
      const where = `In target_role_addon_policies.${spec.attribute}, ${f.attribute} must be`;
      const matches = (x: string): string => (f.pattern !== undefined ? `can(regex(${hclString(f.pattern)}, ${x}))` : "true");
      const check = f.list ? `length(v) >= ${f.minItems} && length(distinct(v)) == length(v) && alltrue([for value in v : ${matches("value")}])` : matches("v");
      validations.push({
        condition: `\${alltrue(flatten(${whenSet(config, "addon", whenSet(`addon.${f.attribute}`, "v", check))}))}`,
        errorMessage: f.list
          ? `${where} a list of ${f.minItems > 0 ? `at least ${f.minItems}, ` : ""}distinct values, each ${lowerFirst(f.description)}.`
          : `${where} ${lowerFirst(f.description)}${f.pattern !== undefined ? ` (matching ${f.pattern})` : ""}.`,
      });
    }
    const oneOf = requiredOneOf(spec);
    if (oneOf.length > 0) {
      validations.push({
        condition: `\${alltrue(${whenSet(config, "addon", oneOf.map((f) => `addon.${f.attribute} != null`).join(" || "))})}`,
        errorMessage: `In target_role_addon_policies.${spec.attribute}, set at least one of ${oneOf.map((f) => f.attribute).join(", ")}.`,
      });
    }
  }
  return validations;
}

/**
 * The set's policy JSON when `config` (an HCL reference to its attribute) is set, else null. Only the document
 * of the combination of fields that is present is evaluated (see whenSet).
 */
export function addonPolicyExpression(spec: AddonSpec, config: string, refs: AddonRefs): string {
  const optional = spec.fields.filter((f) => !f.required);
  const documents = variants(spec)
    .filter((v) => v.valid)
    .map((v) => {
      if (optional.length === 0) return `[${documentExpression(v.document, spec, "addon", refs)}]`;
      const condition = optional.map((f) => `addon.${f.attribute} ${v.present.has(f.name) ? "!=" : "=="} null`).join(" && ");
      return `[for fields in (${condition} ? [addon] : []) : ${documentExpression(v.document, spec, "fields", refs)}]`;
    });
  return `one(flatten(${whenSet(config, "addon", documents.length === 1 ? documents[0]! : `concat(${documents.join(", ")})`)}))`;
}

interface Variant {
  readonly present: ReadonlySet<string>;
  readonly document: PolicyDocumentJson;
  /** Every statement has actions (else this combination of fields is refused). */
  readonly valid: boolean;
}

/** The set rendered with markers, once per combination of present optional fields. */
function variants(spec: AddonSpec): Variant[] {
  const optional = spec.fields.filter((f) => !f.required);
  const out: Variant[] = [];
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const present = new Set(optional.filter((_, i) => (mask & (1 << i)) !== 0).map((f) => f.name));
    const input: Record<string, unknown> = { name: spec.name };
    for (const f of spec.fields) {
      if (f.required || present.has(f.name)) input[f.name] = f.list ? markedList(f.name) : marker(`field:${f.name}`);
    }
    const document = addonPolicyDocument(input as AddonPolicy, {
      partition: marker("ctx:partition"),
      accountId: marker("ctx:account_id"),
      region: marker("ctx:region"),
    });
    const valid = document.Statement.every((s) => (Array.isArray(s.Action) ? s.Action.length > 0 : s.Action !== undefined));
    out.push({ present, document, valid });
  }
  return out;
}

/**
 * The optional fields of which at least one must be present: those in no invalid combination. Throws when the
 * invalid combinations are not exactly "none of them" (a rule this module could not state).
 */
function requiredOneOf(spec: AddonSpec): AddonField[] {
  const all = variants(spec);
  const invalid = all.filter((v) => !v.valid);
  if (invalid.length === 0) return [];
  const oneOf = spec.fields.filter((f) => !f.required && !invalid.some((v) => v.present.has(f.name)));
  const expected = all.filter((v) => !oneOf.some((f) => v.present.has(f.name)));
  if (oneOf.length === 0 || expected.length !== invalid.length) throw new Error(`add-on ${spec.name}: cannot state which combinations of fields are valid`);
  return oneOf;
}

/** A one-item list whose item, and the index its `map` passes, are markers. */
function markedList(field: string): string[] {
  const item = marker(`item:${field}`);
  const list = [item];
  Object.defineProperty(list, "map", {
    value: <U>(fn: (value: string, index: number, array: string[]) => U): U[] => [fn(item, marker(`index:${field}`) as unknown as number, list)],
  });
  return list;
}

/**
 * The document's JSON text as the project renders it (key order, lists as given), as an HCL string: literal
 * JSON with interpolations only where a value depends on the caller's input. Statements repeated per item
 * make the statement list a join.
 */
function documentExpression(doc: PolicyDocumentJson, spec: AddonSpec, config: string, refs: AddonRefs): string {
  const wrapper = JSON.stringify({ ...doc, Statement: [] });
  const slot = wrapper.indexOf("[]");
  const statements = doc.Statement.map((s) => statementExpression(s, spec, config, refs));
  const list = statements.length === 1 ? statements[0]! : `concat(${statements.join(", ")})`;
  return quoted([wrapper.slice(0, slot + 1), { expr: `join(",", ${list})` }, wrapper.slice(slot + 1)]);
}

/** A piece of JSON text: literal, or an interpolation whose value is JSON text. */
type Piece = string | { readonly expr: string };

/** Pieces as an HCL quoted template. */
function quoted(pieces: readonly Piece[]): string {
  return `"${pieces.map((p) => (typeof p === "string" ? hclString(p).slice(1, -1) : `\${${p.expr}}`)).join("")}"`;
}

/** One statement as a list of JSON texts (one per item when it is repeated over a list field). */
function statementExpression(statement: StatementJson, spec: AddonSpec, config: string, refs: AddonRefs): string {
  const perItem = new Set<string>();
  const visit = (value: unknown, arrayElement: boolean): void => {
    if (typeof value === "string") {
      for (const m of markersIn(value)) {
        const [kind, field] = m.split(":") as [string, string];
        if (kind === "index" || (kind === "item" && !arrayElement)) perItem.add(field);
      }
    } else if (Array.isArray(value)) value.forEach((v) => visit(v, true));
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        visit(k, false);
        visit(v, false);
      }
    }
  };
  visit(statement, false);
  if (perItem.size > 1) throw new Error(`add-on ${spec.name}: a statement repeats over two lists (${[...perItem].join(", ")})`);
  const bound = [...perItem][0];
  const listRef = (field: string): string => `${config}.${snakeCase(field)}`;
  const unknown = (name: string): never => {
    throw new Error(`add-on ${spec.name}: cannot express the marker ${name} in a Terraform expression`);
  };
  const refsFor =
    (element?: string) =>
    (name: string): string => {
      const [kind, field] = name.split(":") as [string, string];
      if (kind === "ctx")
        return ({ partition: refs.partition, account_id: refs.accountId, region: refs.region } as Record<string, string>)[field] ?? unknown(name);
      if (kind === "field") return `${config}.${snakeCase(field)}`;
      if (kind === "item" && field === bound) return "item";
      if (kind === "index" && field === bound) return "index";
      if (kind === "item" && field === element) return "value";
      return unknown(name);
    };
  // A string with markers is encoded by Terraform (so the caller's values are escaped as JSON requires).
  const string = (text: string, element?: string): Piece[] =>
    markersIn(text).length === 0 ? [JSON.stringify(text)] : [{ expr: `jsonencode(${nativeString(text, refsFor(element))})` }];
  const unboundLists = (e: unknown): string[] =>
    typeof e === "string"
      ? [
          ...new Set(
            markersIn(e)
              .filter((m) => m.startsWith("item:") && m !== `item:${bound}`)
              .map((m) => m.slice("item:".length)),
          ),
        ]
      : [];
  const json = (v: unknown): Piece[] => {
    if (typeof v === "string") return string(v);
    if (Array.isArray(v)) {
      if (!v.some((e) => unboundLists(e).length > 0)) return ["[", ...v.flatMap((e, i) => [...(i > 0 ? [","] : []), ...json(e)]), "]"];
      return [{ expr: `jsonencode(${list(v)})` }];
    }
    if (v !== null && typeof v === "object") {
      return ["{", ...Object.entries(v).flatMap(([k, x], i) => [...(i > 0 ? [","] : []), ...string(k), ":", ...json(x)]), "}"];
    }
    return [JSON.stringify(v)];
  };
  // An array holding a list's items: the constant elements and one element per item, in order.
  const list = (elements: unknown[]): string => {
    const parts: string[] = [];
    let constants: string[] = [];
    for (const e of elements) {
      if (typeof e !== "string") throw new Error(`add-on ${spec.name}: a list of other values than strings`);
      const lists = unboundLists(e);
      if (lists.length > 1) throw new Error(`add-on ${spec.name}: an element depends on two lists: ${e}`);
      if (lists.length === 0) {
        constants.push(nativeString(e, refsFor()));
        continue;
      }
      if (constants.length > 0) parts.push(`[${constants.join(", ")}]`);
      constants = [];
      const field = lists[0]!;
      parts.push(e === marker(`item:${field}`) ? listRef(field) : `[for value in ${listRef(field)} : ${nativeString(e, refsFor(field))}]`);
    }
    if (constants.length > 0) parts.push(`[${constants.join(", ")}]`);
    return parts.length === 1 ? parts[0]! : `concat(${parts.join(", ")})`;
  };
  const text = quoted(json(statement));
  return bound === undefined ? `[${text}]` : `[for index, item in ${listRef(bound)} : ${text}]`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
