// Test helpers for the daemon: reports built the way the check builds them, a log sink, a loopback
// webhook receiver, and waiting on conditions (never on wall-clock timings).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { EventEmitter } from "node:events";
import type { DestinationStream } from "pino";
import type { Finding, FindingKind } from "../../drift/model";
import { summarize } from "../../drift/report/build";
import { listenOnLoopback } from "../support/loopback";
import type { Report } from "../../drift/report/report";
import { createLogger, type Logger } from "../../drift/daemon/logger";

export function finding(kind: FindingKind, over: Partial<Finding> = {}): Finding {
  return {
    kind,
    cluster: "alpha",
    region: "eu-west-1",
    accountId: "111111111111",
    namespace: "team",
    serviceAccount: "app",
    associationId: "a-0123456789abcdef0",
    address: "aws_eks_pod_identity_association.app",
    fields: [],
    since: null,
    effectiveAfter: null,
    advice: "",
    ...over,
  };
}

export function report(findings: Finding[], complete = true): Report {
  return { schemaVersion: 1, generatedAt: new Date().toISOString(), complete, summary: summarize(findings, 3, 3), findings };
}

export interface LogSink {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  readonly text: () => string;
}

export function logSink(): LogSink {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const destination: DestinationStream = {
    write(s: string) {
      raw.push(s);
      lines.push(JSON.parse(s) as Record<string, unknown>);
    },
  };
  return { logger: createLogger({ level: "debug", destination }), lines, text: () => raw.join("") };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function nextEvent<T = unknown>(emitter: EventEmitter, event: string, pred: (v: T) => boolean = () => true, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out waiting for event ${event}`));
    }, timeoutMs);
    function on(v: T) {
      if (!pred(v)) return;
      clearTimeout(t);
      emitter.off(event, on);
      resolve(v);
    }
    emitter.on(event, on);
  });
}

export interface Receiver {
  readonly url: string;
  readonly received: { path: string; body: unknown; headers: IncomingMessage["headers"] }[];
  /** Status codes to answer, in order; then 200. */
  respondWith(...statuses: number[]): void;
  /** Answer every request with this status from now on (undefined: back to 200). */
  always(status: number | undefined): void;
  readonly attempts: () => number;
  close(): Promise<void>;
}

/** A loopback HTTP server standing in for a webhook endpoint (generic or Slack). */
export async function startReceiver(path = "/hooks/T000/B000/s3cr3t-token"): Promise<Receiver> {
  const received: Receiver["received"] = [];
  const queue: number[] = [];
  let fixed: number | undefined;
  let attempts = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      attempts++;
      const status = queue.shift() ?? fixed ?? 200;
      if (status === 200) {
        received.push({ path: req.url ?? "", body: JSON.parse(Buffer.concat(chunks).toString("utf8")), headers: req.headers });
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      } else {
        res.writeHead(status, { "content-type": "text/plain" }).end(status >= 500 ? "internal_error" : "invalid_payload");
      }
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    respondWith: (...s) => queue.push(...s),
    always: (s) => {
      fixed = s;
    },
    attempts: () => attempts,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** The /report bearer token the tests configure (POD_IDENTITY_DRIFT_REPORT_TOKEN). */
export const REPORT_TOKEN = "report-token-0123456789abcdef";

export async function get(url: string, token?: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
}

/** The value of one series in Prometheus text output, or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const p of (m[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[p[1]!] = p[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[4]);
  }
  return undefined;
}
