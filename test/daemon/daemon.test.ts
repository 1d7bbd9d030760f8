import { connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Daemon, type CheckFn, type ScanEvent, type ScanResult } from "../../drift/daemon/daemon";
import { DaemonStartError } from "../../drift/daemon/errors";
import { daemonSettingsSchema, type DaemonSettings } from "../../drift/daemon/settings";
import type { Report } from "../../drift/report/report";
import { REPORT_TOKEN, finding, get, logSink, metricValue, nextEvent, report, startReceiver, waitFor, type Receiver } from "./helpers";

const EVERY_SECOND = "* * * * * *";

function settings(over: Record<string, unknown> = {}): DaemonSettings {
  return daemonSettingsSchema.parse({ schedule: EVERY_SECOND, listen: "127.0.0.1:0", graceSeconds: 5, report: { enabled: true }, ...over });
}

function result(r: Report): ScanResult {
  return { report: r, durationMs: 1, apiCalls: 2, associationsByCluster: { alpha: 3 } };
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const ENV = { POD_IDENTITY_DRIFT_REPORT_TOKEN: REPORT_TOKEN };

async function start(opts: { settings: DaemonSettings; check: CheckFn; env?: NodeJS.ProcessEnv }) {
  const sink = logSink();
  const d = await Daemon.start({ ...opts, env: { ...ENV, ...opts.env }, logger: sink.logger, defaultMetrics: false });
  cleanup.push(() => d.shutdown("test end"));
  const base = `http://127.0.0.1:${d.address.port}`;
  return { d, sink, base };
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanup.push(() => r.close());
  return r;
}

function scans(d: Daemon): ScanEvent[] {
  const out: ScanEvent[] = [];
  d.on("scan", (e: ScanEvent) => out.push(e));
  return out;
}

describe("daemon: schedule and HTTP", () => {
  it("scans once at start, then on every tick; /readyz, /report and /metrics follow", async () => {
    let calls = 0;
    const check: CheckFn = async ({ onApiCall }) => {
      calls++;
      onApiCall({ operation: "ListPodIdentityAssociations", outcome: "ok" });
      onApiCall({ operation: "DescribePodIdentityAssociation", outcome: "throttled" });
      onApiCall({ operation: "DescribePodIdentityAssociation", outcome: "error" });
      return result(report([]));
    };
    const sink = logSink();
    const d = await Daemon.start({ settings: settings(), check, logger: sink.logger, defaultMetrics: false, env: ENV });
    cleanup.push(() => d.shutdown());
    const base = `http://127.0.0.1:${d.address.port}`;
    const seen = scans(d);
    await waitFor("ready", async () => (await get(`${base}/readyz`)).status === 200);
    expect(calls).toBeGreaterThanOrEqual(1);
    await waitFor("three more scans", () => seen.length >= 3);
    expect(seen.every((e) => e.outcome === "complete")).toBe(true);
    expect(seen.filter((e) => e.reason === "start").length).toBeLessThanOrEqual(1);

    const rep = await get(`${base}/report`, REPORT_TOKEN);
    expect(rep.status).toBe(200);
    expect(rep.type).toMatch(/application\/json/);
    expect(JSON.parse(rep.body)).toMatchObject({ schemaVersion: 1, complete: true, findings: [] });
    expect((await get(`${base}/livez`)).status).toBe(200);
    expect((await get(`${base}/nope`)).status).toBe(404);

    const m = (await get(`${base}/metrics`)).body;
    const n = calls;
    expect(metricValue(m, "pod_identity_drift_api_calls_total", { operation: "DescribePodIdentityAssociation" })).toBeGreaterThanOrEqual(2 * (n - 1));
    expect(metricValue(m, "pod_identity_drift_api_throttles_total", { operation: "DescribePodIdentityAssociation" })).toBeGreaterThanOrEqual(n - 1);
    expect(metricValue(m, "pod_identity_drift_api_errors_total", { operation: "DescribePodIdentityAssociation" })).toBeGreaterThanOrEqual(n - 1);
    expect(metricValue(m, "pod_identity_drift_associations", { cluster: "alpha" })).toBe(3);
    expect(metricValue(m, "pod_identity_drift_last_successful_scan_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(metricValue(m, "pod_identity_drift_scan_duration_seconds_count", { outcome: "complete" })).toBeGreaterThanOrEqual(3);
    expect(metricValue(m, "pod_identity_drift_ready")).toBe(1);
    expect(metricValue(m, "pod_identity_drift_skipped_ticks_total")).toBe(0);

    const scanLines = sink.lines.filter((l) => l.msg === "scan finished");
    expect(scanLines.length).toBeGreaterThanOrEqual(3);
    expect(scanLines[0]).toMatchObject({ level: "info", outcome: "complete", findings: 0, apiCalls: 2, associations: 3 });
    expect(typeof scanLines[0]!.durationMs).toBe("number");
  });

  it("/report: off by default (404); when on, 401 without the bearer token or with a wrong one", async () => {
    const off = await start({ settings: settings({ report: undefined }), check: async () => result(report([])) });
    await waitFor("ready", async () => (await get(`${off.base}/readyz`)).status === 200);
    const r404 = await get(`${off.base}/report`, REPORT_TOKEN);
    expect(r404.status).toBe(404);
    expect(r404.body).toMatch(/\/report is off: turn it on with daemon.report.enabled/);

    const on = await start({ settings: settings(), check: async () => result(report([finding("missing")])) });
    await waitFor("ready", async () => (await get(`${on.base}/readyz`)).status === 200);
    expect((await get(`${on.base}/report`)).status).toBe(401);
    const wrong = await fetch(`${on.base}/report`, { headers: { authorization: `Bearer ${REPORT_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect((await get(`${on.base}/report`, REPORT_TOKEN)).status).toBe(200);
    // The scheme is case-insensitive (RFC 9110 §11.1).
    for (const scheme of ["bearer", "BEARER"]) {
      expect((await fetch(`${on.base}/report`, { headers: { authorization: `${scheme} ${REPORT_TOKEN}` } })).status).toBe(200);
    }
    // /metrics and the probes need no token (the NetworkPolicy limits who reaches them).
    expect((await get(`${on.base}/metrics`)).status).toBe(200);

    const err = await Daemon.start({
      settings: settings(),
      check: async () => result(report([])),
      logger: logSink().logger,
      defaultMetrics: false,
      env: {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonStartError);
    expect((err as Error).message).toMatch(
      /daemon.report: \/report is enabled but the environment variable POD_IDENTITY_DRIFT_REPORT_TOKEN \(its bearer token\) is not set/,
    );
  });

  it("a request with a body is refused (413, or 405 for other methods) and its connection closed without reading the body", async () => {
    const { base, d } = await start({ settings: settings(), check: async () => result(report([])) });
    for (const [method, status] of [
      ["GET", 413],
      ["POST", 405],
    ] as const) {
      const socket = connect(d.address.port, "127.0.0.1");
      const answer = new Promise<string>((resolve) => {
        let text = "";
        socket.on("data", (b: Buffer) => (text += b.toString("latin1")));
        socket.on("error", () => undefined); // the client keeps writing into a closed connection
        socket.on("close", () => resolve(text));
      });
      socket.write(`${method} /livez HTTP/1.1\r\nhost: x\r\ncontent-length: 100000000000\r\n\r\n`);
      // A client streaming a huge body: the server answers and closes instead of reading it to the end.
      const chunk = Buffer.alloc(64 * 1024, 97);
      const stream = setInterval(() => !socket.destroyed && socket.write(chunk), 5);
      try {
        expect(await answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      } finally {
        clearInterval(stream);
        socket.destroy();
      }
    }
    // Requests without a body are served as before.
    expect((await get(`${base}/livez`)).status).toBe(200);
  });

  it("is not ready and has no report before the first scan finishes", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { base } = await start({ settings: settings({ schedule: "0 0 1 1 *" }), check: async () => (await gate, result(report([]))) });
    const ready = await get(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(/no scan has completed yet/);
    expect((await get(`${base}/report`, REPORT_TOKEN)).status).toBe(503);
    release();
    await waitFor("ready", async () => (await get(`${base}/readyz`)).status === 200);
  });

  it("never runs two scans at once: a slow scan makes the next ticks skip, and they are counted", async () => {
    let running = 0;
    let maxRunning = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const check: CheckFn = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        if (first) {
          first = false;
          await gate;
        }
        return result(report([]));
      } finally {
        running--;
      }
    };
    const { d, base, sink } = await start({ settings: settings(), check });
    await nextEvent(d, "skip");
    await nextEvent(d, "skip");
    release();
    await nextEvent<ScanEvent>(d, "scan");
    const skipped = d.skippedTicks;
    expect(skipped).toBeGreaterThanOrEqual(2);
    const m = (await get(`${base}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_skipped_ticks_total")).toBe(skipped);
    expect(maxRunning).toBe(1);
    expect(sink.lines.filter((l) => l.msg === "tick skipped: the previous scan is still running").length).toBe(skipped);
  });

  it("a failing check is logged and counted, and scanning goes on", async () => {
    let n = 0;
    const check: CheckFn = async () => {
      n++;
      if (n === 1) throw new Error("state source unreadable");
      return result(report([]));
    };
    const { d, base, sink } = await start({ settings: settings(), check });
    await nextEvent<ScanEvent>(d, "scan", (e) => e.outcome === "complete");
    const m = (await get(`${base}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_scans_total", { outcome: "failed" })).toBe(1);
    expect(sink.lines.find((l) => l.msg === "scan failed")).toMatchObject({ level: "error", error: "state source unreadable" });
  });
});

describe("daemon: findings, metrics and notifications", () => {
  it("metrics move with the findings; each receiver gets exactly one notification per change and none otherwise", async () => {
    let current: Report = report([]);
    const json = await receiver();
    const slack = await receiver();
    const { d, base, sink } = await start({
      settings: settings({
        webhooks: [
          { url: json.url, name: "ops" },
          { url: slack.url, format: "slack", name: "chat" },
        ],
      }),
      check: async () => result(current),
    });
    const seen = scans(d);
    await waitFor("two scans", () => seen.length >= 2);
    expect(json.received).toHaveLength(0);
    expect(slack.received).toHaveLength(0);

    // A change: one new finding.
    const changed = finding("changed", {
      fields: [{ name: "target_role_arn", expected: "arn:aws:iam::222222222222:role/a", actual: "arn:aws:iam::222222222222:role/b" }],
    });
    const pending = finding("cache-pending", { effectiveAfter: "2030-01-01T00:59:00.000Z" });
    current = report([changed, pending]);
    await waitFor("first notification", () => json.received.length === 1 && slack.received.length === 1);
    let m = (await get(`${base}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_findings", { kind: "changed", cluster: "alpha" })).toBe(1);
    expect(metricValue(m, "pod_identity_drift_findings", { kind: "cache-pending", cluster: "alpha" })).toBe(1);

    // Same findings for a few scans: nothing more.
    const after = seen.length;
    await waitFor("three unchanged scans", () => seen.length >= after + 3);
    expect(json.received).toHaveLength(1);
    expect(slack.received).toHaveLength(1);

    const body = json.received[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ schemaVersion: 1, event: "findings-changed", initial: false, complete: true, resolved: [] });
    expect(body.added).toEqual([changed, pending]);
    const sl = slack.received[0]!.body as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(sl.text).toBe("Pod Identity drift: 2 new, 0 resolved");
    const slText = sl.blocks.map((b) => b.text?.text ?? "").join("\n");
    expect(slText).toContain("changed alpha team/app [target_role_arn]");
    expect(slText).toContain("cache-pending alpha team/app (effective after 2030-01-01T00:59:00.000Z)");

    // The pending change takes effect and the drift is fixed: one notification listing both as resolved.
    current = report([]);
    await waitFor("second notification", () => json.received.length === 2 && slack.received.length === 2);
    const body2 = json.received[1]!.body as Record<string, unknown>;
    expect(body2.added).toEqual([]);
    expect(body2.resolved).toEqual([changed, pending]);
    m = (await get(`${base}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_findings", { kind: "changed", cluster: "alpha" })).toBeUndefined();
    expect(metricValue(m, "pod_identity_drift_notifications_total", { webhook: "ops" })).toBe(2);
    expect(metricValue(m, "pod_identity_drift_notifications_total", { webhook: "chat" })).toBe(2);

    const after2 = seen.length;
    await waitFor("two more scans", () => seen.length >= after2 + 2);
    expect(json.received).toHaveLength(2);
    expect(sink.text()).not.toContain("s3cr3t-token");
  });

  it("the first scan's findings are sent once, marked initial (notifyOnStart), or not at all when turned off", async () => {
    const r = report([finding("missing")]);
    const on = await receiver();
    const off = await receiver();
    const a = await start({ settings: settings({ webhooks: [{ url: on.url }] }), check: async () => result(r) });
    const b = await start({ settings: settings({ webhooks: [{ url: off.url }], notifyOnStart: false }), check: async () => result(r) });
    const seenA = scans(a.d);
    const seenB = scans(b.d);
    await waitFor("scans", () => seenA.length >= 3 && seenB.length >= 3);
    expect(on.received).toHaveLength(1);
    expect(on.received[0]!.body).toMatchObject({ initial: true, added: r.findings });
    expect(off.received).toHaveLength(0);
  });

  it("a change that broadens a chain role's access is sent at once: even from a silent start, and again when a change comes to broaden", async () => {
    const role = { arn: "arn:aws:iam::222222222222:role/pod-identity/ledger-reader", address: "aws_iam_role.ledger", source: "terraform.platform.tfstate" };
    const narrowed = finding("trust-changed", { role, broadens: false, fields: [{ name: "assume_role_policy", expected: {}, actual: {}, statements: [] }] });
    const widened = finding("permission-changed", { role, broadens: true, serviceAccount: "worker" });
    let current = report([finding("missing"), narrowed, widened]);
    const hook = await receiver();
    const { d, base } = await start({ settings: settings({ webhooks: [{ url: hook.url }], notifyOnStart: false }), check: async () => result(current) });
    const seen = scans(d);
    await waitFor("the first notification", () => hook.received.length === 1);
    // notifyOnStart: false keeps the first scan a silent baseline, except for what broadens access.
    expect(hook.received[0]!.body).toMatchObject({ initial: true, added: [widened], resolved: [] });
    const m = (await get(`${base}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_findings", { kind: "trust-changed", cluster: "alpha" })).toBe(1);
    expect(metricValue(m, "pod_identity_drift_findings", { kind: "permission-changed", cluster: "alpha" })).toBe(1);
    expect(metricValue(m, "pod_identity_drift_broadening_findings", { cluster: "alpha" })).toBe(1);

    // The narrowed trust comes to broaden: a new finding, notified.
    const now = seen.length;
    await waitFor("a scan", () => seen.length > now);
    const broadened = { ...narrowed, broadens: true };
    current = report([finding("missing"), broadened, widened]);
    await waitFor("the second notification", () => hook.received.length === 2);
    expect(hook.received[1]!.body).toMatchObject({ initial: false, added: [broadened], resolved: [narrowed] });
  });

  it("an incomplete scan does not report findings of a cluster it could not read as resolved", async () => {
    const hook = await receiver();
    const changedAlpha = finding("changed");
    const changedBeta = finding("changed", { cluster: "beta" });
    let current = report([changedAlpha, changedBeta]);
    const { d } = await start({ settings: settings({ webhooks: [{ url: hook.url }] }), check: async () => result(current) });
    await waitFor("initial notification", () => hook.received.length === 1);
    const err = finding("error", {
      cluster: "beta",
      namespace: null,
      serviceAccount: null,
      associationId: null,
      address: null,
      detail: "AccessDeniedException",
    });
    current = report([changedAlpha, err], false);
    await waitFor("second notification", () => hook.received.length === 2);
    expect(hook.received[1]!.body).toMatchObject({ added: [err], resolved: [], complete: false });
    const seen = scans(d);
    current = report([changedAlpha, changedBeta]);
    await waitFor("third notification", () => hook.received.length === 3);
    expect(hook.received[2]!.body).toMatchObject({ added: [], resolved: [err] });
    await waitFor("scans", () => seen.length >= 2);
    expect(hook.received).toHaveLength(3);
  });

  it("a failing receiver is retried with backoff, then given up on; scanning continues and the failure is in /metrics", async () => {
    const hook = await receiver();
    hook.always(503);
    let current = report([]);
    const { d, base, sink } = await start({
      settings: settings({ webhooks: [{ url: hook.url, name: "flaky", maxAttempts: 3, retryBaseSeconds: 0.01 }] }),
      check: async () => result(current),
    });
    const seen = scans(d);
    await waitFor("a scan", () => seen.length >= 1);
    current = report([finding("missing")]);
    await nextEvent(d, "notify-failed");
    expect(hook.attempts()).toBe(3);
    const before = seen.length;
    await waitFor("scans after giving up", () => seen.length >= before + 2);
    const m = (await get(`${base}/metrics`)).body;
    expect(metricValue(m, "pod_identity_drift_notification_failures_total", { webhook: "flaky" })).toBe(1);
    expect(metricValue(m, "pod_identity_drift_notification_attempts_total", { webhook: "flaky", result: "error" })).toBe(3);
    expect(metricValue(m, "pod_identity_drift_notifications_total", { webhook: "flaky" })).toBe(0);
    const gaveUp = sink.lines.find((l) => l.msg?.toString().startsWith("notification given up on"));
    expect(gaveUp).toMatchObject({ level: "error", webhook: "flaky", attempts: 3, error: "HTTP 503: internal_error" });
    expect(sink.text()).not.toContain(hook.url);
    expect(sink.text()).not.toContain("s3cr3t-token");

    // A receiver that recovers gets the next change; a 4xx is not retried.
    hook.always(undefined);
    hook.respondWith(400);
    const attempts = hook.attempts();
    current = report([]);
    await nextEvent(d, "notify-failed");
    expect(hook.attempts()).toBe(attempts + 1);
    current = report([finding("unmanaged")]);
    await nextEvent(d, "notified");
    expect(hook.received).toHaveLength(1);
  });

  it("a receiver that echoes the URL, its path token and its query token in error bodies: none of them reaches a log line", async () => {
    const { createServer: createHttp } = await import("node:http");
    const echo = createHttp((req, res) => {
      const u = new URL(req.url ?? "/", "http://x");
      const token = u.pathname.split("/").pop();
      res
        .writeHead(403, { "content-type": "text/plain" })
        .end(
          `invalid_token: ${token} is revoked (url ${req.url}; key=${u.searchParams.get("key")}; full http://${req.headers.host}${req.url}; ${encodeURIComponent(token ?? "")})`,
        );
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise((r) => echo.close(r)));
    const port = (echo.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}/services/T1/B2/xoxb-path-secret-4711?key=query-secret-0815`;
    const { d, sink } = await start({
      settings: settings({ webhooks: [{ url, name: "echo", maxAttempts: 1 }] }),
      check: async () => result(report([finding("missing")])),
    });
    await nextEvent(d, "notify-failed");
    const line = sink.lines.find((l) => l.msg === "webhook delivery attempt failed");
    expect(String(line!.error)).toMatch(/^HTTP 403: invalid_token: <redacted> is revoked/);
    for (const secret of ["xoxb-path-secret-4711", "query-secret-0815", "/services/T1/B2", url]) expect(sink.text()).not.toContain(secret);
  });

  it("an unreachable webhook gives a clear error without its URL", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const url = `http://127.0.0.1:${port}/services/T1/B2/very-secret`;
    const { d, sink } = await start({
      settings: settings({ webhooks: [{ url, name: "gone", maxAttempts: 2, retryBaseSeconds: 0.01 }] }),
      check: async () => result(report([finding("missing")])),
    });
    await nextEvent(d, "notify-failed");
    const line = sink.lines.find((l) => l.msg?.toString().startsWith("notification given up on"));
    expect(line).toMatchObject({ webhook: "gone", attempts: 2 });
    expect(String(line!.error)).toMatch(/ECONNREFUSED/);
    expect(sink.text()).not.toContain("very-secret");
  });
});

describe("daemon: start-up errors", () => {
  it("port in use: a clear error naming the address", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise((r) => busy.close(r)));
    const port = (busy.address() as AddressInfo).port;
    const err = await Daemon.start({
      settings: settings({ listen: `127.0.0.1:${port}` }),
      check: async () => result(report([])),
      logger: logSink().logger,
      defaultMetrics: false,
      env: ENV,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonStartError);
    expect((err as Error).message).toBe(
      `cannot listen on 127.0.0.1:${port}: the address is already in use (EADDRINUSE). Stop the other process or choose another address with --listen or daemon.listen.`,
    );
  });

  it.each([
    ["61 * * * *", undefined, /invalid schedule "61 \* \* \* \*": 61 is a invalid expression for minute/],
    ["every hour", undefined, /invalid schedule "every hour": .*Use a cron expression with 5 fields/],
    ["*/5 * * * *", "Mars/Olympus_Mons", /invalid timezone "Mars\/Olympus_Mons": not an IANA time zone name/],
  ])("schedule %j, timezone %j: a clear error before anything starts", async (schedule, timezone, msg) => {
    let called = false;
    const err = await Daemon.start({
      settings: settings({ schedule, ...(timezone ? { timezone } : {}) }),
      check: async () => ((called = true), result(report([]))),
      logger: logSink().logger,
      defaultMetrics: false,
      env: ENV,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonStartError);
    expect((err as Error).message).toMatch(msg);
    expect(called).toBe(false);
  });

  it("a webhook URL from the environment (urlEnv): used when set, a clear error naming the variable when not", async () => {
    const hook = await receiver();
    const { d } = await start({
      settings: settings({ webhooks: [{ urlEnv: "DRIFT_TEST_HOOK", name: "env" }] }),
      check: async () => result(report([finding("missing")])),
      env: { DRIFT_TEST_HOOK: hook.url },
    });
    await nextEvent(d, "notified");
    expect(hook.received).toHaveLength(1);

    const err = await Daemon.start({
      settings: settings({ webhooks: [{ urlEnv: "DRIFT_TEST_HOOK", name: "env" }, { urlEnv: "OTHER_HOOK" }] }),
      check: async () => result(report([])),
      logger: logSink().logger,
      defaultMetrics: false,
      env: { ...ENV, OTHER_HOOK: "not a url" },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonStartError);
    expect((err as Error).message).toBe(
      "daemon.webhooks[0] (env): urlEnv: the environment variable DRIFT_TEST_HOOK is not set (or empty)\n" +
        "daemon.webhooks[1]: urlEnv: the environment variable OTHER_HOOK does not hold a URL",
    );
    expect(() => daemonSettingsSchema.parse({ webhooks: [{ url: hook.url, urlEnv: "X" }] })).toThrow(/give exactly one of url and urlEnv/);
  });

  it("a bad listen address is a clear error", async () => {
    const err = await Daemon.start({
      settings: settings({ listen: "9464" }),
      check: async () => result(report([])),
      logger: logSink().logger,
      defaultMetrics: false,
      env: ENV,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/invalid listen address "9464": expected host:port/);
  });
});

describe("daemon: graceful shutdown", () => {
  it("lets the scan in flight finish within the grace period", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let closed = 0;
    const sink = logSink();
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    const d = await Daemon.start({
      settings: settings({ schedule: "0 0 1 1 *", graceSeconds: 20 }),
      check: async ({ signal }) => {
        started();
        await gate;
        if (signal.aborted) throw new Error("aborted");
        return result(report([]));
      },
      logger: sink.logger,
      defaultMetrics: false,
      env: ENV,
      onShutdown: () => void closed++,
    });
    await isRunning;
    const stopping = d.shutdown("SIGTERM");
    const seen = nextEvent<ScanEvent>(d, "scan");
    release();
    expect(await stopping).toEqual({ abortedScan: false });
    expect((await seen).outcome).toBe("complete");
    expect(closed).toBe(1);
  });

  it("aborts the scan in flight after the grace period and still closes cleanly", async () => {
    let closed = 0;
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    const d = await Daemon.start({
      settings: settings({ schedule: "0 0 1 1 *", graceSeconds: 0.2 }),
      check: ({ signal }) =>
        new Promise((_, reject) => {
          started();
          signal.addEventListener("abort", () => reject(new Error("aborted by signal")));
        }),
      logger: logSink().logger,
      defaultMetrics: false,
      env: ENV,
      onShutdown: () => void closed++,
    });
    await isRunning;
    const seen = nextEvent<ScanEvent>(d, "scan");
    expect(await d.shutdown("SIGTERM")).toEqual({ abortedScan: true });
    expect((await seen).outcome).toBe("aborted");
    expect(closed).toBe(1);
  });
});
