// The daemon's HTTP surface: /metrics, /livez, /readyz, /report (off unless enabled, then behind a bearer
// token). Read-only, GET/HEAD only; a request with a body is refused and its connection closed unread.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DaemonStartError } from "./errors";

export interface HttpHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** null: alive. A string: why not (the process should be restarted). */
  liveness(): string | null;
  /** null: ready. A string: why not yet. */
  readiness(): string | null;
  /** The latest JSON report (200), or the status and why not. `authorization`: the request's header. */
  report(authorization: string | undefined): ReportAnswer;
}

export type ReportAnswer = { readonly status: 200; readonly json: string } | { readonly status: 401 | 404 | 503; readonly reason: string };

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port` (`[v6]:port` for IPv6). A host is required: binding beyond loopback is an explicit
 * choice (`0.0.0.0:9464`), never a default.
 */
export function parseListen(listen: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new DaemonStartError(`invalid listen address ${JSON.stringify(listen)}: expected host:port, e.g. "127.0.0.1:9464", "0.0.0.0:9464" or "[::1]:9464".`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

export function formatAddress(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export class DaemonHttpServer {
  private constructor(
    private readonly server: Server,
    readonly address: ListenAddress,
  ) {}

  static async start(listen: string, handlers: HttpHandlers): Promise<DaemonHttpServer> {
    const wanted = parseListen(listen);
    const server = createServer((req, res) => {
      handle(req, res, handlers).catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `internal error: ${(e as Error).message}\n`);
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        server.off("listening", onListening);
        reject(listenError(e, wanted));
      };
      const onListening = () => {
        server.off("error", onError);
        resolve();
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(wanted.port, wanted.host);
    });
    const bound = server.address() as AddressInfo;
    return new DaemonHttpServer(server, { host: wanted.host, port: bound.port });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function listenError(e: NodeJS.ErrnoException, a: ListenAddress): DaemonStartError {
  const where = formatAddress(a);
  switch (e.code) {
    case "EADDRINUSE":
      return new DaemonStartError(
        `cannot listen on ${where}: the address is already in use (EADDRINUSE). Stop the other process or choose another address with --listen or daemon.listen.`,
      );
    case "EACCES":
      return new DaemonStartError(`cannot listen on ${where}: permission denied (EACCES). Use a port above 1023.`);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new DaemonStartError(`cannot listen on ${where}: no such local address (${e.code}).`);
    default:
      return new DaemonStartError(`cannot listen on ${where}: ${e.message}`);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** A request announcing a body (Content-Length above 0, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0";
}

/** How long a refused request's connection stays half-open so that the answer reaches the client before a reset. */
const LINGER_MS = 1_000;

/** Answers, then closes the connection instead of reading the request's body (which Node would drain to its end). */
function refuseWithoutReading(res: ServerResponse, status: number, body: string): void {
  res.shouldKeepAlive = false;
  res.on("finish", () => {
    const socket = res.req.socket;
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
  send(res, status, "text/plain; charset=utf-8", body);
}

async function handle(req: IncomingMessage, res: ServerResponse, h: HttpHandlers): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    if (hasBody(req)) refuseWithoutReading(res, 405, "method not allowed\n");
    else send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
    return;
  }
  if (hasBody(req)) {
    refuseWithoutReading(res, 413, "a request body is not accepted: send GET or HEAD without one\n");
    return;
  }
  switch (path) {
    case "/metrics": {
      const m = await h.metrics();
      send(res, 200, m.contentType, m.body);
      return;
    }
    case "/livez": {
      const why = h.liveness();
      send(res, why === null ? 200 : 503, "text/plain; charset=utf-8", why === null ? "ok\n" : `${why}\n`);
      return;
    }
    case "/readyz": {
      const why = h.readiness();
      send(res, why === null ? 200 : 503, "text/plain; charset=utf-8", why === null ? "ok\n" : `${why}\n`);
      return;
    }
    case "/report": {
      const r = h.report(req.headers.authorization);
      if (r.status === 200) send(res, 200, "application/json; charset=utf-8", r.json);
      else {
        if (r.status === 401) res.setHeader("www-authenticate", 'Bearer realm="pod-identity-drift"');
        send(res, r.status, "application/json; charset=utf-8", `${JSON.stringify({ error: r.reason })}\n`);
      }
      return;
    }
    default:
      send(res, 404, "text/plain; charset=utf-8", "not found: try /metrics, /livez, /readyz or /report\n");
  }
}
