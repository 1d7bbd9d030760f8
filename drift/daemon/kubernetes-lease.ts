// The LeaseStore on a coordination.k8s.io/v1 Lease through @kubernetes/client-node's CoordinationV1Api.
// The client is an ES module of some weight (~1 s to load): it is imported only when leader election is on.
// Timestamps are MicroTime on the wire (RFC 3339 with exactly six fractional digits): V1MicroTime renders
// them so; a plain Date would send milliseconds, which the API server rejects. Each call takes an AbortSignal,
// handed to the HTTP request through a per-call middleware: aborting ends the connection, headers or body.
import { accessSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigurationOptions, CoordinationV1Api, V1Lease } from "@kubernetes/client-node";
import { DaemonStartError } from "./errors";
import { LeaseConflictError, type LeaseRecord, type LeaseStore, type StoredLease } from "./leader";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface KubernetesLeaseOptions {
  readonly name: string;
  /** Default: POD_NAMESPACE, else the pod's service account namespace file. */
  readonly namespace?: string;
  /** A kubeconfig file; default: KUBECONFIG, ~/.kube/config, else the in-cluster service account. */
  readonly kubeconfig?: string;
}

export function resolveLeaseNamespace(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim();
  } catch {
    throw new DaemonStartError(
      "leader election needs the Lease's namespace: set daemon.leaderElection.namespace, or POD_NAMESPACE (the Deployment sets it from the downward API).",
    );
  }
}

/**
 * Whether client-node's loadFromDefault() finds a configuration, in its order: KUBECONFIG, ~/.kube/config,
 * the in-cluster service account token. When none is there it does not fail but falls back to
 * http://localhost:8080, where every Lease request would fail: that must be a start-up error instead.
 */
function hasDefaultKubeconfig(env: NodeJS.ProcessEnv): boolean {
  if (env.KUBECONFIG) return true;
  const readable = (path: string) => {
    try {
      accessSync(path);
      return true;
    } catch {
      return false;
    }
  };
  return (env.HOME !== undefined && readable(join(env.HOME, ".kube", "config"))) || readable(SERVICE_ACCOUNT_TOKEN);
}

export async function kubernetesLeaseStore(opts: KubernetesLeaseOptions): Promise<LeaseStore> {
  if (!opts.kubeconfig && process.platform !== "win32" && !hasDefaultKubeconfig(process.env)) {
    throw new DaemonStartError(
      `leader election is on but no Kubernetes API server is configured: no KUBECONFIG, no ~/.kube/config, and not in a pod (no ${SERVICE_ACCOUNT_TOKEN}). ` +
        "Run in a pod with its service account token mounted, set KUBECONFIG or pass --kubeconfig, or turn daemon.leaderElection off.",
    );
  }
  const k8s = await import("@kubernetes/client-node");
  const namespace = resolveLeaseNamespace(opts.namespace);
  const kc = new k8s.KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new DaemonStartError(`cannot load the Kubernetes client configuration for leader election: ${(e as Error).message}`);
  }
  if (!kc.getCurrentCluster()) {
    throw new DaemonStartError("leader election is on but no Kubernetes API server is configured: run in a pod, or set KUBECONFIG.");
  }
  const api: CoordinationV1Api = kc.makeApiClient(k8s.CoordinationV1Api);
  const micro = (d: Date | null) => (d ? new k8s.V1MicroTime(d.getTime()) : undefined);
  const name = opts.name;
  // The object-parameter API hands per-call options to the observable layer: its middleware returns Observables.
  const withSignal = (signal: AbortSignal): ConfigurationOptions => ({
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(signal);
          return new k8s.Observable(Promise.resolve(ctx));
        },
        post: (res) => new k8s.Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: "append",
  });

  const toBody = (r: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holderIdentity ?? undefined,
      leaseDurationSeconds: r.leaseDurationSeconds,
      acquireTime: micro(r.acquireTime),
      renewTime: micro(r.renewTime),
      leaseTransitions: r.leaseTransitions,
    },
  });

  return {
    description: `${namespace}/${name}`,
    async get(signal) {
      try {
        return fromLease(await api.readNamespacedLease({ name, namespace }, withSignal(signal)));
      } catch (e) {
        if (statusOf(e) === 404) return null;
        throw apiError("read", namespace, name, e);
      }
    },
    async create(r, signal) {
      try {
        return fromLease(await api.createNamespacedLease({ namespace, body: toBody(r) }, withSignal(signal)));
      } catch (e) {
        if (statusOf(e) === 409) throw new LeaseConflictError(`Lease ${namespace}/${name} already exists`);
        throw apiError("create", namespace, name, e);
      }
    },
    async replace(r, resourceVersion, signal) {
      try {
        return fromLease(await api.replaceNamespacedLease({ name, namespace, body: toBody(r, resourceVersion) }, withSignal(signal)));
      } catch (e) {
        if (statusOf(e) === 409) throw new LeaseConflictError(`Lease ${namespace}/${name} was modified (resourceVersion ${resourceVersion} is stale)`);
        throw apiError("replace", namespace, name, e);
      }
    },
  };
}

function fromLease(l: V1Lease): StoredLease {
  const s = l.spec ?? {};
  const date = (v: unknown) => (v === undefined || v === null ? null : new Date(v as string));
  return {
    holderIdentity: s.holderIdentity || null,
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: date(s.acquireTime),
    renewTime: date(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
    resourceVersion: l.metadata?.resourceVersion ?? "",
  };
}

function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function apiError(verb: string, namespace: string, name: string, e: unknown): Error {
  const status = statusOf(e);
  // client-node puts the metav1.Status into `body`, as an object or as its JSON text.
  let body = (e as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: fall back to the error's message
    }
  }
  const reason = body && typeof body === "object" && "message" in body ? String((body as { message: unknown }).message) : (e as Error).message.split("\n")[0];
  const hint = status === 403 ? " (the Role must allow get, create and update on this Lease)" : "";
  return new Error(`cannot ${verb} Lease ${namespace}/${name}: ${status ? `HTTP ${status}: ` : ""}${reason}${hint}`);
}
