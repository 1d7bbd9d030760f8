// Secrets that must never reach a log line: webhook URLs (Slack and most receivers keep the credential in
// the path or the query) and database URLs (a password). A receiver's error body may echo any part of the
// URL back, so every message that could carry one is scrubbed of the URL and of each part that can hold a
// token: the user name and password, path segments that look like tokens, query values, each as written and
// percent-decoded.

const REDACTED = "<redacted>";
/** A path segment shorter than this and without a digit is a word (`hooks`, `services`), not a token. */
const TOKEN_MIN_LENGTH = 8;

/** The substrings of `url` to hide, longest first. Unparseable input is hidden whole. */
export function secretParts(url: string): string[] {
  const parts = new Set<string>([url]);
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    // not a URL: the whole string is the secret
  }
  if (u) {
    parts.add(u.href);
    parts.add(`${u.pathname}${u.search}`);
    if (u.username) parts.add(u.username);
    if (u.password) parts.add(u.password);
    for (const segment of u.pathname.split("/")) {
      if (segment.length >= TOKEN_MIN_LENGTH || (segment.length >= 3 && /\d/.test(segment))) parts.add(segment);
    }
    for (const [, value] of u.searchParams) if (value.length >= 3) parts.add(value);
  }
  const all = new Set<string>();
  for (const p of parts) {
    if (p.length < 3 || p === "/") continue;
    all.add(p);
    all.add(encodeURIComponent(p));
    try {
      all.add(decodeURIComponent(p));
    } catch {
      // not percent-encoded
    }
  }
  return [...all].filter((p) => p.length >= 3).sort((a, b) => b.length - a.length);
}

/** `text` with every part in `parts` (from secretParts) replaced by <redacted>. */
export function scrub(text: string, parts: readonly string[]): string {
  let out = text;
  for (const p of parts) out = out.split(p).join(REDACTED);
  return out;
}

/** A URL fit for a log line: scheme, host, port and path without credentials or query. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${u.username}:${REDACTED}@` : ""}${u.host}${u.pathname}`;
  } catch {
    return REDACTED;
  }
}
