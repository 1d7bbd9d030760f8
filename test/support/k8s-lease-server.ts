// A loopback server speaking the Lease part of the Kubernetes API (coordination.k8s.io/v1), for leader
// election tests driven by the real @kubernetes/client-node:
//   GET    /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}   read     200 | 404 NotFound
//   POST   /apis/coordination.k8s.io/v1/namespaces/{ns}/leases          create   201 | 409 AlreadyExists
//   PUT    /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}   replace  200 | 404 | 409 Conflict
//   DELETE /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}   delete   200 | 404
// As the API server does: every write bumps a cluster-wide resourceVersion; a replace whose
// metadata.resourceVersion is not the stored one is refused with 409 Conflict (optimistic concurrency); a
// replace without one is unconditional. Errors are metav1.Status objects. MicroTime fields (acquireTime,
// renewTime) must carry exactly six fractional digits, as the API server's parser requires. A bearer token
// is required.
//
// Faults for one client: each client (a replica) can get its own kubeconfig, with its own token
// (kubeconfigFor); faultFor(client, …) then makes the server hang (never answer), answer an error, or answer
// slowly (the request is processed only after the delay) for that client alone.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenOnLoopback } from "./loopback";

export interface StoredLeaseObject {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion: string; uid: string; creationTimestamp: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export type ClientFault = { readonly kind: "hang" } | { readonly kind: "error"; readonly status: number } | { readonly kind: "slow"; readonly delayMs: number };

export interface LeaseRequest {
  readonly verb: "get" | "create" | "update" | "delete";
  /** The client (kubeconfigFor) whose token the request carried; "default" for the shared kubeconfig. */
  readonly client: string;
  readonly namespace: string;
  readonly name: string;
  readonly status: number;
  readonly holder?: string;
}

export interface LeaseServer {
  readonly url: string;
  readonly token: string;
  /** A kubeconfig file pointing at this server. */
  readonly kubeconfigPath: string;
  lease(namespace: string, name: string): StoredLeaseObject | undefined;
  readonly requests: LeaseRequest[];
  /** Answer the next `count` requests (of `verb`, if given) with this HTTP status. */
  failNext(count: number, status: number, verb?: LeaseRequest["verb"]): void;
  clearFaults(): void;
  /** A kubeconfig file of its own for `client`, with a token that identifies it. */
  kubeconfigFor(client: string): string;
  /** From now on, every request of `client` hangs, fails or is slow (undefined: back to normal). */
  faultFor(client: string, fault: ClientFault | undefined): void;
  /** Requests of `client` still hanging. */
  hanging(client: string): number;
  close(): Promise<void>;
}

const PREFIX = "/apis/coordination.k8s.io/v1/namespaces/";
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

export async function startLeaseServer(opts: { token?: string } = {}): Promise<LeaseServer> {
  const token = opts.token ?? "test-token";
  const leases = new Map<string, StoredLeaseObject>();
  const requests: LeaseRequest[] = [];
  const faults: { count: number; status: number; verb?: LeaseRequest["verb"] }[] = [];
  const clients = new Map<string, string>([[token, "default"]]);
  const clientFaults = new Map<string, ClientFault>();
  const hung: { client: string; res: ServerResponse }[] = [];
  let rv = 100;
  let uid = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const client = clients.get((req.headers.authorization ?? "").replace(/^Bearer /, "")) ?? "unknown";
      const fault = clientFaults.get(client);
      if (fault?.kind === "hang") {
        hung.push({ client, res });
        res.on("close", () => hung.splice(hung.findIndex((h) => h.res === res) >>> 0, 1));
        return;
      }
      if (fault?.kind === "slow") {
        setTimeout(() => handle(req, res, body, client), fault.delayMs);
        return;
      }
      handle(req, res, body, client);
    });
  });

  function status(res: ServerResponse, code: number, reason: string, message: string, name?: string): number {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message,
        reason,
        details: name ? { name, group: "coordination.k8s.io", kind: "leases" } : undefined,
        code,
      }),
    );
    return code;
  }

  function ok(res: ServerResponse, code: number, body: unknown): number {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
    return code;
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string, client: string): void {
    if (res.destroyed) return; // the client gave up while the request was delayed
    const url = new URL(req.url ?? "/", "http://x");
    const rest = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length).split("/") : [];
    const namespace = rest[0] ?? "";
    const name = rest[2] ?? "";
    const verb: LeaseRequest["verb"] | undefined =
      rest[1] !== "leases"
        ? undefined
        : req.method === "GET" && rest.length === 3
          ? "get"
          : req.method === "POST" && rest.length === 2
            ? "create"
            : req.method === "PUT" && rest.length === 3
              ? "update"
              : req.method === "DELETE" && rest.length === 3
                ? "delete"
                : undefined;
    let parsed: Partial<StoredLeaseObject> = {};
    const record = (code: number) =>
      requests.push({ verb: verb ?? "get", client, namespace, name: name || parsed.metadata?.name || "", status: code, holder: parsed.spec?.holderIdentity });

    if (client === "unknown") {
      record(status(res, 401, "Unauthorized", "Unauthorized"));
      return;
    }
    if (!verb) {
      status(res, 404, "NotFound", "the server could not find the requested resource");
      return;
    }
    const clientFault = clientFaults.get(client);
    if (clientFault?.kind === "error") {
      record(status(res, clientFault.status, clientFault.status === 429 ? "TooManyRequests" : "InternalError", `injected fault ${clientFault.status}`));
      return;
    }
    const fault = faults.find((f) => f.count > 0 && (!f.verb || f.verb === verb));
    if (fault) {
      fault.count--;
      record(status(res, fault.status, fault.status === 429 ? "TooManyRequests" : "InternalError", `injected fault ${fault.status}`));
      return;
    }
    if (verb === "create" || verb === "update") {
      try {
        parsed = JSON.parse(body) as Partial<StoredLeaseObject>;
      } catch {
        record(status(res, 400, "BadRequest", "the body of the request was in an unknown format"));
        return;
      }
      for (const f of ["acquireTime", "renewTime"] as const) {
        const v = parsed.spec?.[f];
        if (v !== undefined && !MICRO_TIME.test(v)) {
          record(
            status(
              res,
              400,
              "BadRequest",
              `Lease in version "v1" cannot be handled as a Lease: spec.${f}: parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse`,
            ),
          );
          return;
        }
      }
    }
    const key = `${namespace}/${verb === "create" ? (parsed.metadata?.name ?? "") : name}`;
    const existing = leases.get(key);
    const gr = `leases.coordination.k8s.io`;
    switch (verb) {
      case "get":
        if (!existing) return void record(status(res, 404, "NotFound", `${gr} "${name}" not found`, name));
        return void record(ok(res, 200, existing));
      case "delete":
        if (!existing) return void record(status(res, 404, "NotFound", `${gr} "${name}" not found`, name));
        leases.delete(key);
        return void record(ok(res, 200, { kind: "Status", apiVersion: "v1", status: "Success" }));
      case "create": {
        const n = parsed.metadata?.name;
        if (!n) return void record(status(res, 422, "Invalid", "metadata.name: Required value"));
        if (existing) return void record(status(res, 409, "AlreadyExists", `${gr} "${n}" already exists`, n));
        const obj: StoredLeaseObject = {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: {
            name: n,
            namespace,
            resourceVersion: String(++rv),
            uid: `uid-${++uid}`,
            creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          },
          spec: { ...(parsed.spec ?? {}) },
        };
        leases.set(key, obj);
        return void record(ok(res, 201, obj));
      }
      case "update": {
        if (!existing) return void record(status(res, 404, "NotFound", `${gr} "${name}" not found`, name));
        const want = parsed.metadata?.resourceVersion;
        if (want !== undefined && want !== existing.metadata.resourceVersion) {
          return void record(
            status(
              res,
              409,
              "Conflict",
              `Operation cannot be fulfilled on ${gr} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
              name,
            ),
          );
        }
        const obj: StoredLeaseObject = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++rv) }, spec: { ...(parsed.spec ?? {}) } };
        leases.set(key, obj);
        return void record(ok(res, 200, obj));
      }
    }
  }

  const url = `http://127.0.0.1:${await listenOnLoopback(server)}`;
  const dir = mkdtempSync(join(tmpdir(), "lease-server-"));
  const writeKubeconfig = (path: string, tokenValue: string) =>
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: loopback",
        "  cluster:",
        `    server: ${url}`,
        // client-node refuses plain http unless TLS verification is off; there is no TLS here at all.
        "    insecure-skip-tls-verify: true",
        "users:",
        "- name: tester",
        "  user:",
        `    token: ${tokenValue}`,
        "contexts:",
        "- name: loopback",
        "  context:",
        "    cluster: loopback",
        "    user: tester",
        "current-context: loopback",
        "",
      ].join("\n"),
    );
  const kubeconfigPath = join(dir, "kubeconfig.yaml");
  writeKubeconfig(kubeconfigPath, token);
  return {
    url,
    token,
    kubeconfigPath,
    lease: (ns, n) => leases.get(`${ns}/${n}`),
    requests,
    failNext: (count, s, verb) => void faults.push({ count, status: s, verb }),
    clearFaults: () => void faults.splice(0),
    kubeconfigFor(client) {
      const t = `${token}-${client}`;
      clients.set(t, client);
      const path = join(dir, `kubeconfig-${client}.yaml`);
      writeKubeconfig(path, t);
      return path;
    },
    faultFor(client, fault) {
      if (fault) clientFaults.set(client, fault);
      else clientFaults.delete(client);
    },
    hanging: (client) => hung.filter((h) => h.client === client).length,
    close: () =>
      new Promise((r) => {
        for (const h of hung.splice(0)) h.res.destroy();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
