// Pattern matching as IAM does it for actions, resources and principals, and a sound containment test
// between two patterns ("every value the inner pattern matches, the outer one matches too").
//
// - Actions: `*` and `?` wildcards, case-insensitive.
// - Resources: ARNs match segment by segment (partition, service, region, account: a wildcard stays within
//   its segment; the resource segment takes the rest, colons included); `*` alone matches everything; a
//   value that is not an ARN matches as a whole.
// - Containment is decided only where it is simple and certain: equal patterns, an outer `*`, an inner value
//   without wildcards that the outer pattern matches, or an outer `prefix*` of an inner pattern starting with
//   that prefix (per ARN segment). Anything else is "not shown to be contained", never guessed.

export const hasWildcard = (p: string): boolean => p.includes("*") || p.includes("?");
export const hasVariable = (p: string): boolean => p.includes("${");

const regexCache = new Map<string, RegExp>();

/** `*` any run of characters, `?` one character; the whole value must match. */
export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? "i" : "s"}${pattern}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, "[\\s\\S]*")
      .replace(/\?/g, "[\\s\\S]");
    re = new RegExp(`^${body}$`, ignoreCase ? "i" : "");
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re.test(value);
}

export function actionMatches(pattern: string, action: string): boolean {
  return globMatch(pattern, action, true);
}

/** The six ARN segments, the last one holding the rest; undefined for a value that is not an ARN. */
export function arnSegments(value: string): string[] | undefined {
  const parts = value.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

export function resourceMatches(pattern: string, resource: string): boolean {
  if (pattern === "*") return true;
  const p = arnSegments(pattern);
  const r = arnSegments(resource);
  if (p === undefined || r === undefined) return globMatch(pattern, resource);
  return p.every((seg, i) => globMatch(seg, r[i]!));
}

/** Whether `outer` matches every value `inner` matches (sound, not complete). */
export function patternCovers(outer: string, inner: string, ignoreCase: boolean): boolean {
  const o = ignoreCase ? outer.toLowerCase() : outer;
  const i = ignoreCase ? inner.toLowerCase() : inner;
  if (o === i || o === "*") return true;
  if (!hasWildcard(i)) return globMatch(o, i);
  return o.endsWith("*") && !hasWildcard(o.slice(0, -1)) && i.startsWith(o.slice(0, -1));
}

export function actionCovers(outer: string, inner: string): boolean {
  return patternCovers(outer, inner, true);
}

export function resourceCovers(outer: string, inner: string): boolean {
  if (outer === "*" || outer === inner) return true;
  const o = arnSegments(outer);
  const i = arnSegments(inner);
  if (o === undefined || i === undefined) return o === undefined && i === undefined && patternCovers(outer, inner, false);
  return o.every((seg, n) => patternCovers(seg, i[n]!, false));
}

/** Replaces wildcards with concrete text: a value the pattern matches, for building example requests. */
export function instantiate(pattern: string, fill = "x"): string {
  return pattern.replace(/\*/g, fill).replace(/\?/g, fill.charAt(0) || "x");
}

// ---------------------------------------------------------------------------------------------------------
// Principals

/** Who makes a request, as the trust policy sees it. */
export interface RequestPrincipal {
  /** AWS, Service, Federated or CanonicalUser. */
  readonly type: string;
  /** A role or user ARN, a service name, a provider. */
  readonly id: string;
  /** The principal's account, for AWS principals. */
  readonly account?: string;
}

/**
 * How a Principal entry matches: `yes`; `no`; `account` when it names the trusting role's own account
 * (the principal is then trusted only if its own identity policy allows the call too); `unknown`.
 */
export type PrincipalMatch = "yes" | "no" | "account" | "unknown";

const ROOT = /^arn:[a-z-]+:iam::(\d{12}):root$/;
const UNIQUE_ID = /^A[A-Z]{3}[A-Z0-9]{12,}$/;

/** An AWS principal identifier that IAM rewrote to the unique id of a deleted role or user: it matches nobody. */
export function isDeletedPrincipalId(id: string): boolean {
  return UNIQUE_ID.test(id);
}

export function rootAccount(id: string): string | undefined {
  return ROOT.exec(id)?.[1];
}

/** One identifier of a Principal element's `type` against the requester. */
export function principalEntryMatches(type: string, id: string, who: RequestPrincipal, resourceAccount: string | undefined): PrincipalMatch {
  if (type !== who.type) return "no";
  if (type !== "AWS") return id.toLowerCase() === who.id.toLowerCase() ? "yes" : "no";
  if (id === "*") return "yes";
  if (isDeletedPrincipalId(id)) return "no";
  const account = rootAccount(id);
  if (account !== undefined) {
    if (who.account === undefined) return "unknown";
    if (who.account !== account) return "no";
    return resourceAccount === undefined ? "unknown" : account === resourceAccount ? "account" : "yes";
  }
  return id === who.id ? "yes" : "no";
}
