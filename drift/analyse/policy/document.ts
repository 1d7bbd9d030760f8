// IAM policy documents as the drift check compares them: parsed once into a normal form in which what IAM
// treats as the same is written the same.
//
// Not changes (normalised away): URL-encoding (IAM returns documents RFC 3986-encoded), whitespace, key
// order, a single value vs a one-element array, the order of statements and of values, duplicate values or
// statements, the case of action names and condition keys (IAM compares both case-insensitively), a bare
// account id as an AWS principal (IAM stores it as the account's root ARN), an absent Version (2008-10-17).
// Everything else is kept as written: Sid, Effect, principals, resources, condition operators and values.
import { createHash } from "node:crypto";

export type Effect = "Allow" | "Deny";

/** Action or NotAction, Resource or NotResource: the values, deduplicated and sorted. */
export interface ValueElement {
  /** NotAction / NotResource. */
  readonly negated: boolean;
  readonly values: readonly string[];
}

/** Principal or NotPrincipal. */
export interface PrincipalElement {
  readonly negated: boolean;
  /** `"Principal": "*"` (everyone, anonymous included). */
  readonly everyone: boolean;
  /** Principal type (AWS, Service, Federated, CanonicalUser) → identifiers, sorted. */
  readonly entries: Readonly<Record<string, readonly string[]>>;
}

/** One operator + key of a Condition block: true when the request's value matches any of `values`. */
export interface ConditionClause {
  readonly operator: string;
  /** As written (condition keys are case-insensitive: compare `keyLower`). */
  readonly key: string;
  readonly keyLower: string;
  /** As strings (IAM reads `true` and `"true"` alike), deduplicated and sorted. */
  readonly values: readonly string[];
}

export interface PolicyStatement {
  /** 1-based position in the document as written. */
  readonly index: number;
  readonly sid?: string;
  readonly effect: Effect;
  readonly principal?: PrincipalElement;
  readonly action?: ValueElement;
  readonly resource?: ValueElement;
  /** Sorted by operator, then key. */
  readonly conditions: readonly ConditionClause[];
  /** The statement's normal form as one string: two statements are the same iff these are equal. */
  readonly canonical: string;
}

export interface PolicyDocument {
  /** `2012-10-17` or `2008-10-17` (the default when absent). */
  readonly version: string;
  /** In written order, duplicates dropped. */
  readonly statements: readonly PolicyStatement[];
}

export type ParsedPolicy = { readonly ok: true; readonly policy: PolicyDocument } | { readonly ok: false; readonly error: string };

export interface ParseOptions {
  /** The document comes from IAM's API: percent-decode it first (RFC 3986). @default false */
  readonly urlEncoded?: boolean;
  /** Partition for bare account ids in AWS principals. @default "aws" */
  readonly partition?: string;
}

export const DEFAULT_POLICY_VERSION = "2008-10-17";

const STATEMENT_KEYS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const ACCOUNT_ID = /^\d{12}$/;

/**
 * Decodes an IAM API document. An encoded document never starts with `{` (IAM encodes it as `%7B`), so a
 * document that does is taken as plain JSON: the decision is unambiguous.
 */
export function decodeIamDocument(text: string): string {
  if (/^\s*\{/.test(text)) return text;
  return decodeURIComponent(text);
}

/** Parses and normalises a policy document; never throws. */
export function parsePolicy(text: string, opts: ParseOptions = {}): ParsedPolicy {
  let json: unknown;
  try {
    json = JSON.parse(opts.urlEncoded ? decodeIamDocument(text) : text);
  } catch (e) {
    return { ok: false, error: e instanceof URIError ? "not valid URL encoding" : "not valid JSON" };
  }
  if (!isObject(json)) return { ok: false, error: "not a JSON object" };
  const version = json.Version ?? DEFAULT_POLICY_VERSION;
  if (typeof version !== "string") return { ok: false, error: "Version: not a string" };
  const raw = json.Statement;
  if (raw === undefined) return { ok: false, error: "no Statement" };
  const list = Array.isArray(raw) ? raw : [raw];
  const statements: PolicyStatement[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const s = parseStatement(list[i], i + 1, opts.partition ?? "aws");
    if (typeof s === "string") return { ok: false, error: `Statement ${i + 1}: ${s}` };
    if (seen.has(s.canonical)) continue;
    seen.add(s.canonical);
    statements.push(s);
  }
  return { ok: true, policy: { version, statements } };
}

/** Same access and same text up to normalisation (Sid and Version included). */
export function samePolicy(a: PolicyDocument, b: PolicyDocument): boolean {
  if (a.version !== b.version || a.statements.length !== b.statements.length) return false;
  const set = new Set(a.statements.map((s) => s.canonical));
  return b.statements.every((s) => set.has(s.canonical));
}

/** A short stable fingerprint of a document's normal form (for history and equality across runs). */
export function policyHash(p: PolicyDocument): string {
  const canon = JSON.stringify([p.version, p.statements.map((s) => s.canonical).sort()]);
  return createHash("sha256").update(canon).digest("hex").slice(0, 16);
}

/** The normal form as JSON (single values unwrapped, statements in written order): for reports. */
export function policyJson(p: PolicyDocument): Record<string, unknown> {
  return { Version: p.version, Statement: p.statements.map(statementJson) };
}

export function statementJson(s: PolicyStatement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.sid !== undefined) out.Sid = s.sid;
  out.Effect = s.effect;
  if (s.principal) {
    const value = s.principal.everyone ? "*" : Object.fromEntries(Object.entries(s.principal.entries).map(([t, v]) => [t, unwrap(v)]));
    out[s.principal.negated ? "NotPrincipal" : "Principal"] = value;
  }
  if (s.action) out[s.action.negated ? "NotAction" : "Action"] = unwrap(s.action.values);
  if (s.resource) out[s.resource.negated ? "NotResource" : "Resource"] = unwrap(s.resource.values);
  if (s.conditions.length > 0) {
    const block: Record<string, Record<string, unknown>> = {};
    for (const c of s.conditions) (block[c.operator] ??= {})[c.key] = unwrap(c.values);
    out.Condition = block;
  }
  return out;
}

/** One line: `Allow sts:AssumeRole, sts:TagSession · Principal AWS arn:… · StringEquals aws:SourceAccount 111…`. */
export function describeStatement(s: PolicyStatement): string {
  const parts = [`${s.effect}${s.action ? ` ${s.action.negated ? "all actions except " : ""}${s.action.values.join(", ")}` : ""}`];
  if (s.resource) parts.push(`${s.resource.negated ? "NotResource" : "on"} ${s.resource.values.join(", ")}`);
  if (s.principal) parts.push(`${s.principal.negated ? "NotPrincipal" : "Principal"} ${describePrincipal(s.principal)}`);
  for (const c of s.conditions) parts.push(describeClause(c));
  return parts.join(" · ");
}

export function describePrincipal(p: PrincipalElement): string {
  if (p.everyone) return "*";
  return Object.entries(p.entries)
    .map(([t, v]) => `${t} ${v.join(", ")}`)
    .join("; ");
}

export function describeClause(c: ConditionClause): string {
  return `${c.operator} ${c.key} ${c.values.length === 1 ? c.values[0] : `[${c.values.join(", ")}]`}`;
}

/** A label for a statement: its Sid, else its position. */
export function statementLabel(s: PolicyStatement): string {
  return s.sid ? `"${s.sid}"` : `#${s.index}`;
}

function parseStatement(raw: unknown, index: number, partition: string): PolicyStatement | string {
  if (!isObject(raw)) return "not an object";
  for (const k of Object.keys(raw)) if (!STATEMENT_KEYS.has(k)) return `unknown element ${k}`;
  const effect = raw.Effect;
  if (effect !== "Allow" && effect !== "Deny") return `Effect must be "Allow" or "Deny"`;
  if (raw.Sid !== undefined && typeof raw.Sid !== "string") return "Sid: not a string";
  const principal = parsePrincipal(raw, partition);
  if (typeof principal === "string") return principal;
  const action = parseValues(raw, "Action", "NotAction", true);
  if (typeof action === "string") return action;
  if (action === undefined) return "needs Action or NotAction";
  const resource = parseValues(raw, "Resource", "NotResource", false);
  if (typeof resource === "string") return resource;
  const conditions = parseConditions(raw.Condition);
  if (typeof conditions === "string") return conditions;
  const s = {
    index,
    ...(raw.Sid !== undefined && raw.Sid !== "" ? { sid: raw.Sid } : {}),
    effect,
    ...(principal ? { principal } : {}),
    action,
    ...(resource ? { resource } : {}),
    conditions,
  } as const;
  return { ...s, canonical: canonicalOf(s) };
}

function canonicalOf(s: Omit<PolicyStatement, "canonical" | "index">): string {
  return JSON.stringify([
    s.sid ?? null,
    s.effect,
    s.principal ? [s.principal.negated, s.principal.everyone, Object.entries(s.principal.entries)] : null,
    s.action ? [s.action.negated, s.action.values.map((v) => v.toLowerCase())] : null,
    s.resource ? [s.resource.negated, s.resource.values] : null,
    s.conditions.map((c) => [c.operator, c.keyLower, c.values]),
  ]);
}

function parsePrincipal(raw: Record<string, unknown>, partition: string): PrincipalElement | undefined | string {
  if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) return "both Principal and NotPrincipal";
  const negated = raw.NotPrincipal !== undefined;
  const value = negated ? raw.NotPrincipal : raw.Principal;
  const name = negated ? "NotPrincipal" : "Principal";
  if (value === undefined) return undefined;
  if (value === "*") return { negated, everyone: true, entries: {} };
  if (!isObject(value)) return `${name}: expected "*" or an object of principal types`;
  const entries: Record<string, string[]> = {};
  for (const type of Object.keys(value).sort()) {
    const ids = stringList(value[type]);
    if (ids === undefined) return `${name}.${type}: expected a string or an array of strings`;
    entries[type] = uniqueSorted(type === "AWS" ? ids.map((id) => (ACCOUNT_ID.test(id) ? `arn:${partition}:iam::${id}:root` : id)) : ids);
  }
  return { negated, everyone: false, entries };
}

function parseValues(raw: Record<string, unknown>, positive: string, negative: string, caseInsensitive: boolean): ValueElement | undefined | string {
  if (raw[positive] !== undefined && raw[negative] !== undefined) return `both ${positive} and ${negative}`;
  const negated = raw[negative] !== undefined;
  const value = negated ? raw[negative] : raw[positive];
  if (value === undefined) return undefined;
  const values = stringList(value);
  if (values === undefined || values.length === 0) return `${negated ? negative : positive}: expected a string or a non-empty array of strings`;
  return { negated, values: caseInsensitive ? uniqueSortedFolded(values) : uniqueSorted(values) };
}

function parseConditions(raw: unknown): ConditionClause[] | string {
  if (raw === undefined) return [];
  if (!isObject(raw)) return "Condition: expected an object";
  const out: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(raw)) {
    if (!isObject(block)) return `Condition.${operator}: expected an object of condition keys`;
    for (const [key, value] of Object.entries(block)) {
      const values = scalarList(value);
      if (values === undefined) return `Condition.${operator}.${key}: expected a string, number, boolean or an array of them`;
      const keyLower = key.toLowerCase();
      const same = out.find((c) => c.operator === operator && c.keyLower === keyLower);
      // The same key twice in one operator (different case) means both must hold, like separate clauses.
      if (same === undefined || same.values.join("\n") !== uniqueSorted(values).join("\n")) out.push({ operator, key, keyLower, values: uniqueSorted(values) });
    }
  }
  return out.sort((a, b) => cmp(a.operator, b.operator) || cmp(a.keyLower, b.keyLower) || cmp(a.values.join("\n"), b.values.join("\n")));
}

function stringList(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  return undefined;
}

function scalarList(v: unknown): string[] | undefined {
  const one = (x: unknown) => (typeof x === "string" ? x : typeof x === "number" || typeof x === "boolean" ? String(x) : undefined);
  if (!Array.isArray(v)) {
    const s = one(v);
    return s === undefined ? undefined : [s];
  }
  const out: string[] = [];
  for (const x of v) {
    const s = one(x);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort(cmp);
}

/** Deduplicated ignoring case (the first spelling kept), sorted by the folded form. */
function uniqueSortedFolded(values: readonly string[]): string[] {
  const byFold = new Map<string, string>();
  for (const v of values) if (!byFold.has(v.toLowerCase())) byFold.set(v.toLowerCase(), v);
  return [...byFold.entries()].sort(([a], [b]) => cmp(a, b)).map(([, v]) => v);
}

function unwrap(values: readonly string[]): string | string[] {
  return values.length === 1 ? values[0]! : [...values];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
