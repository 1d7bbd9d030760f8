// Notifications when the set of findings changes: a generic JSON webhook and a Slack incoming-webhook
// message. Each webhook has its own queue (deliveries to one receiver stay in order) and retries with
// exponential backoff and jitter up to maxAttempts; a Retry-After header is honoured (capped). A webhook
// that keeps failing is given up on for that notification, counted, and never blocks or fails a scan.
// The URL is a secret (Slack puts the credential in the path): it never reaches logs or metrics; errors,
// receivers' error bodies included, are scrubbed of it and of its token-like parts (../secrets.ts).
// Each notification belongs to a leadership term: when the term ends, what is queued or being retried is
// dropped, so a deposed leader delivers nothing more.
import type { Finding } from "../model";
import type { Report } from "../report/report";
import type { FindingChange } from "./finding-set";
import { scrub, secretParts } from "../secrets";
import { NOTIFICATION_SCHEMA_VERSION, type WebhookPayload } from "./payload";
import type { ResolvedWebhook } from "./settings";

const MAX_BACKOFF_MS = 30_000;
/** Of a receiver's answer, this much is read (the rest is discarded unread) and this much shown in logs. */
const ERROR_BODY_READ_BYTES = 4096;
const ERROR_BODY_SHOWN_CHARS = 200;

export interface Notification {
  /** True for the findings of the first scan after start (there was nothing to compare with). */
  readonly initial: boolean;
  readonly change: FindingChange;
  readonly report: Report;
}

/** The generic JSON payload (format: json): the contract in ./payload.ts. */
export function jsonPayload(n: Notification): WebhookPayload {
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
            `external-id-mismatch ${s.externalIdMismatch}, role-missing ${s.roleMissing ?? 0}, trust-changed ${s.trustChanged ?? 0}, ` +
            `permission-changed ${s.permissionChanged ?? 0}, errors ${s.errors} · ${n.report.generatedAt}`,
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

/** One line: `kind cluster ns/sa [role] [fields] (effective after …)`, SECURITY first for a broadening change. */
export function describeFinding(f: Finding): string {
  const where = [f.cluster ?? "(state)", f.namespace && f.serviceAccount ? `${f.namespace}/${f.serviceAccount}` : null].filter(Boolean).join(" ");
  const fields = f.fields.length > 0 ? ` [${f.fields.map((x) => x.name).join(", ")}]` : "";
  const role = f.role ? ` ${f.role.arn}${f.broadens === true ? " BROADENS access" : ""}` : "";
  const after = f.effectiveAfter ? ` (effective after ${f.effectiveAfter})` : "";
  return `${f.broadens === true ? "SECURITY " : ""}${f.kind} ${where}${role}${fields}${after}`;
}

// Slack mrkdwn: &, < and > must be escaped.
function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export interface DeliveryEvents {
  attempt(webhook: string, ok: boolean, attempt: number, error?: string): void;
  delivered(webhook: string, attempts: number): void;
  gaveUp(webhook: string, attempts: number, error: string): void;
  /** The term ended (leadership lost) before the notification was delivered. */
  dropped(webhook: string, attempts: number): void;
}

export class WebhookSink {
  readonly name: string;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly secrets: string[];

  constructor(
    private readonly settings: ResolvedWebhook,
    index: number,
    private readonly events: DeliveryEvents,
    private readonly signal: AbortSignal,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    this.name = settings.name ?? `webhook-${index}`;
    this.secrets = secretParts(settings.url);
  }

  get format(): "json" | "slack" {
    return this.settings.format;
  }

  /**
   * Queues one notification for the leadership term `term`; resolves when it was delivered, given up on or
   * dropped (the term ended). Never rejects.
   */
  send(n: Notification, term: AbortSignal): Promise<void> {
    const body = JSON.stringify(this.settings.format === "slack" ? slackPayload(n) : jsonPayload(n));
    this.pending++;
    const run = this.queue.then(() => this.deliver(body, term)).finally(() => this.pending--);
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

  private async deliver(body: string, term: AbortSignal): Promise<void> {
    const max = this.settings.maxAttempts;
    let lastError = "not attempted";
    let attempts = 0;
    const stop = AbortSignal.any([this.signal, term]);
    for (let attempt = 1; attempt <= max; attempt++) {
      if (term.aborted) return this.events.dropped(this.name, attempts);
      if (this.signal.aborted) {
        lastError = `shutting down (${lastError})`;
        break;
      }
      const r = await this.post(body, stop);
      if (term.aborted) return this.events.dropped(this.name, attempt);
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
      await sleep(r.retryAfterMs !== undefined ? Math.min(r.retryAfterMs, MAX_BACKOFF_MS) : jittered, stop);
    }
    if (term.aborted) return this.events.dropped(this.name, attempts);
    this.events.gaveUp(this.name, attempts, lastError);
  }

  private async post(body: string, stop: AbortSignal): Promise<{ ok: true } | { ok: false; retryable: boolean; error: string; retryAfterMs?: number }> {
    const timeout = AbortSignal.timeout(this.settings.timeoutSeconds * 1000);
    try {
      const res = await this.fetchFn(this.settings.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "pod-identity-drift" },
        body,
        signal: AbortSignal.any([timeout, stop]),
        redirect: "error",
      });
      // Scrub before cutting: a token cut in half would no longer be recognised.
      const text = this.scrub(await readPrefix(res, ERROR_BODY_READ_BYTES)).slice(0, ERROR_BODY_SHOWN_CHARS);
      if (res.ok) return { ok: true };
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      const retryAfter = Number(res.headers.get("retry-after"));
      return {
        ok: false,
        retryable,
        error: this.scrub(`HTTP ${res.status}${text ? `: ${text}` : ""}`),
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 && res.headers.has("retry-after") ? retryAfter * 1000 : undefined,
      };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      let message: string;
      if (timeout.aborted) message = `no response within ${this.settings.timeoutSeconds} s`;
      else if (stop.aborted) message = this.signal.aborted ? "aborted: shutting down" : "aborted: no longer the leader";
      else message = err.cause?.message ? `${err.message}: ${err.cause.message}` : err.message;
      return { ok: false, retryable: !stop.aborted, error: this.scrub(message) };
    }
  }

  private scrub(message: string): string {
    return scrub(message, this.secrets);
  }
}

/** The first `limit` bytes of a response body as text; never reads more, never throws. */
async function readPrefix(res: Response, limit: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body cut short: show what arrived
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
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
