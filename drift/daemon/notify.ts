// Notifications when the set of findings changes: a generic JSON webhook and a Slack incoming-webhook
// message. Each webhook has its own queue (deliveries to one receiver stay in order) and retries with
// exponential backoff and jitter up to maxAttempts; a Retry-After header is honoured (capped). A webhook
// that keeps failing is given up on for that notification, counted, and never blocks or fails a scan.
// The URL is a secret (Slack puts the credential in the path): it never reaches logs or metrics; errors
// are scrubbed of it before anyone sees them.
import type { Finding, Report } from "../report/report";
import type { FindingChange } from "./finding-set";
import type { ResolvedWebhook } from "./settings";

export const NOTIFICATION_SCHEMA_VERSION = 1;
const MAX_BACKOFF_MS = 30_000;

export interface Notification {
  /** True for the findings of the first scan after start (there was nothing to compare with). */
  readonly initial: boolean;
  readonly change: FindingChange;
  readonly report: Report;
}

/** The generic JSON payload (format: json). Stable: add fields freely, bump schemaVersion on removal. */
export function jsonPayload(n: Notification): unknown {
  return {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    event: "findings-changed",
    initial: n.initial,
    generatedAt: n.report.generatedAt,
    complete: n.report.complete,
    summary: n.report.summary,
    added: n.change.added,
    resolved: n.change.resolved,
  };
}

const SLACK_LINES_PER_SECTION = 20;

/** A Slack incoming-webhook message (format: slack): `text` for notifications, `blocks` for the body. */
export function slackPayload(n: Notification): unknown {
  const { added, resolved } = n.change;
  const headline =
    `Pod Identity drift: ${added.length} new, ${resolved.length} resolved` +
    (n.initial ? " (first scan since start)" : "") +
    (n.report.complete ? "" : " (incomplete scan)");
  const blocks: unknown[] = [{ type: "section", text: { type: "mrkdwn", text: `*${esc(headline)}*` } }];
  if (added.length > 0) blocks.push(section("New", added));
  if (resolved.length > 0) blocks.push(section("Resolved", resolved));
  const s = n.report.summary;
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: esc(
          `managed ${s.managed}, in sync ${s.inSync}, changed ${s.changed}, missing ${s.missing}, replaced ${s.replaced}, ` +
            `unmanaged ${s.unmanaged}, cache-pending ${s.cachePending}, revocation-pending ${s.revocationPending}, ` +
            `external-id-mismatch ${s.externalIdMismatch}, errors ${s.errors} · ${n.report.generatedAt}`,
        ),
      },
    ],
  });
  return { text: headline, blocks };
}

function section(title: string, findings: readonly Finding[]): unknown {
  const lines = findings.slice(0, SLACK_LINES_PER_SECTION).map((f) => `• ${esc(describeFinding(f))}`);
  if (findings.length > SLACK_LINES_PER_SECTION) lines.push(`…and ${findings.length - SLACK_LINES_PER_SECTION} more`);
  // A section's text is limited to 3,000 characters.
  let text = `*${title}*\n${lines.join("\n")}`;
  if (text.length > 3000) text = `${text.slice(0, 2990)}\n…`;
  return { type: "section", text: { type: "mrkdwn", text } };
}

/** One line: `kind cluster ns/sa (effective after …)`. */
export function describeFinding(f: Finding): string {
  const where = [f.cluster ?? "(state)", f.namespace && f.serviceAccount ? `${f.namespace}/${f.serviceAccount}` : null]
    .filter(Boolean)
    .join(" ");
  const fields = f.fields.length > 0 ? ` [${f.fields.map((x) => x.name).join(", ")}]` : "";
  const after = f.effectiveAfter ? ` (effective after ${f.effectiveAfter})` : "";
  return `${f.kind} ${where}${fields}${after}`;
}

// Slack mrkdwn: &, < and > must be escaped.
function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export interface DeliveryEvents {
  attempt(webhook: string, ok: boolean, attempt: number, error?: string): void;
  delivered(webhook: string, attempts: number): void;
  gaveUp(webhook: string, attempts: number, error: string): void;
}

export class WebhookSink {
  readonly name: string;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly settings: ResolvedWebhook,
    index: number,
    private readonly events: DeliveryEvents,
    private readonly signal: AbortSignal,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    this.name = settings.name ?? `webhook-${index}`;
  }

  get format(): "json" | "slack" {
    return this.settings.format;
  }

  /** Queues one notification; resolves when it was delivered or given up on. Never rejects. */
  send(n: Notification): Promise<void> {
    const body = JSON.stringify(this.settings.format === "slack" ? slackPayload(n) : jsonPayload(n));
    this.pending++;
    const run = this.queue.then(() => this.deliver(body)).finally(() => this.pending--);
    this.queue = run;
    return run;
  }

  /** Resolves when the queue is empty. */
  drained(): Promise<void> {
    return this.queue;
  }

  get inFlight(): number {
    return this.pending;
  }

  private async deliver(body: string): Promise<void> {
    const max = this.settings.maxAttempts;
    let lastError = "not attempted";
    let attempts = 0;
    for (let attempt = 1; attempt <= max; attempt++) {
      if (this.signal.aborted) {
        lastError = `shutting down (${lastError})`;
        break;
      }
      const r = await this.post(body);
      attempts = attempt;
      this.events.attempt(this.name, r.ok, attempt, r.ok ? undefined : r.error);
      if (r.ok) {
        this.events.delivered(this.name, attempt);
        return;
      }
      lastError = r.error;
      if (!r.retryable || attempt === max) break;
      const backoff = Math.min(MAX_BACKOFF_MS, this.settings.retryBaseSeconds * 1000 * 2 ** (attempt - 1));
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      await sleep(r.retryAfterMs !== undefined ? Math.min(r.retryAfterMs, MAX_BACKOFF_MS) : jittered, this.signal);
    }
    this.events.gaveUp(this.name, attempts, lastError);
  }

  private async post(
    body: string,
  ): Promise<{ ok: true } | { ok: false; retryable: boolean; error: string; retryAfterMs?: number }> {
    const timeout = AbortSignal.timeout(this.settings.timeoutSeconds * 1000);
    try {
      const res = await this.fetchFn(this.settings.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "pod-identity-drift" },
        body,
        signal: AbortSignal.any([timeout, this.signal]),
        redirect: "error",
      });
      const text = await res.text().catch(() => "");
      if (res.ok) return { ok: true };
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      const retryAfter = Number(res.headers.get("retry-after"));
      return {
        ok: false,
        retryable,
        error: this.scrub(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`),
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 && res.headers.has("retry-after") ? retryAfter * 1000 : undefined,
      };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      let message: string;
      if (timeout.aborted) message = `no response within ${this.settings.timeoutSeconds} s`;
      else if (this.signal.aborted) message = "aborted: shutting down";
      else message = err.cause?.message ? `${err.message}: ${err.cause.message}` : err.message;
      return { ok: false, retryable: !this.signal.aborted, error: this.scrub(message) };
    }
  }

  /** Removes the URL, and its path (where Slack keeps the secret), from a message. */
  private scrub(message: string): string {
    let out = message;
    try {
      const u = new URL(this.settings.url);
      for (const s of [this.settings.url, u.href, `${u.pathname}${u.search}`].filter((x) => x.length > 1)) {
        out = out.split(s).join("<redacted>");
      }
    } catch {
      out = out.split(this.settings.url).join("<redacted>");
    }
    return out;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
