// Terraform expressions built from values the project's policy functions render. Inputs only Terraform knows
// are passed to those functions as markers (⟨name⟩); a rendered string with markers becomes a template whose
// markers are interpolations. Everything here produces text for .tf.json files, where a string value is a
// template and a value that is exactly "${expr}" is the expression itself.

const OPEN = "\u27e8";
const CLOSE = "\u27e9";
const MARKER = /\u27e8([^\u27e8\u27e9]*)\u27e9/g;

/** A placeholder for an input only Terraform knows, to pass through a function that renders strings. */
export function marker(name: string): string {
  return `${OPEN}${name}${CLOSE}`;
}

/** The names of the markers in `text`, in order. */
export function markersIn(text: string): string[] {
  return [...text.matchAll(MARKER)].map((m) => m[1]!);
}

/** Literal text inside a Terraform template: `${` and `%{` escaped. */
export function escapeTemplate(text: string): string {
  return text.replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
}

/** A string literal in HCL native syntax: quotes, backslashes and template sequences escaped. */
export function hclString(value: string): string {
  return escapeTemplate(JSON.stringify(value));
}

/** `"${expr}"`: a .tf.json value that is the expression itself. */
export function expr(expression: string): string {
  return `\${${expression}}`;
}

/** Resolves a marker name to an HCL expression; throws for a marker it does not know. */
export type MarkerRefs = (name: string) => string;

function splitMarkers(text: string, refs: MarkerRefs, literal: (s: string) => string): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(MARKER)) {
    out += literal(text.slice(last, m.index)) + expr(refs(m[1]!));
    last = m.index! + m[0].length;
  }
  return out + literal(text.slice(last));
}

/** `text` as a .tf.json template: literal parts escaped, each marker an interpolation of its reference. */
export function tfJsonTemplate(text: string, refs: MarkerRefs): string {
  return splitMarkers(text, refs, escapeTemplate);
}

/** `text` as an HCL native string (a quoted template); a text that is one marker is its reference alone. */
export function nativeString(text: string, refs: MarkerRefs): string {
  const only = /^\u27e8([^\u27e8\u27e9]*)\u27e9$/.exec(text);
  if (only) return refs(only[1]!);
  return `"${splitMarkers(text, refs, (s) => hclString(s).slice(1, -1))}"`;
}

/** An HCL expression to be written as is inside a value built by `nativeValue`. */
export class Raw {
  public constructor(public readonly hcl: string) {}
}

/** A JSON-like value in HCL native syntax; strings (and object keys) through `str`. */
export function nativeValue(value: unknown, str: (s: string) => string = hclString): string {
  if (value instanceof Raw) return value.hcl;
  if (value === null) return "null";
  if (typeof value === "string") return str(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => nativeValue(v, str)).join(", ")}]`;
  if (typeof value === "object") {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${str(k)} = ${nativeValue(v, str)}`)
      .join(", ")} }`;
  }
  throw new Error(`cannot write ${String(value)} as HCL`);
}

/** snake_case of a camelCase, kebab-case or `prefix:Name` identifier (`PrincipalARN` → `principal_arn`). */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_|_$/g, "")
    .toLowerCase();
}
