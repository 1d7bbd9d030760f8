// Live enumeration: every Pod Identity association of every cluster, through the EKS API.
//
// Per cluster: ListPodIdentityAssociations page by page (100 a page: the API's maximum), and for each
// summary a DescribePodIdentityAssociation (the list carries no roles, flags or timestamps), with bounded
// concurrency; describes start as soon as their page arrives. Calls made = list pages + one describe per
// association, plus retries. An association deleted between list and describe is simply gone. Any other
// failure fails the whole cluster: a ClusterScan is complete or an error, never partial. So does a listing
// that would never end (a nextToken seen before, or more pages than a cluster's associations can fill), a
// response that is not what the API returns, and a deadline: every attempt, every call and the cluster's
// scan as a whole have one (./deadline.ts).
//
// Accounts run in parallel: clusters and requests are bounded per (account, region), the unit AWS throttles
// on, and each (account, region) has its own client and pacer (./clients.ts, ./pacer.ts). A global cluster
// cap applies only when asked for.
import { DescribePodIdentityAssociationCommand, type EKSClient, ListPodIdentityAssociationsCommand, type PodIdentityAssociation } from "@aws-sdk/client-eks";
import type { CommandIO, Handler, MetadataBearer } from "@smithy/types";
import { setMaxListeners } from "node:events";
import type { AccountReader, ApiCallEvent, ClusterRef, ClusterScan, LiveAssociation } from "../model";
import { EksClientPool } from "./clients";
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CLUSTER_TIMEOUT_MS, startDeadline, type DeadlineError } from "./deadline";
import { Limiter } from "./limit";
import { scanError } from "./scan-error";

export const LIST_PAGE_SIZE = 100;
/** EKS allows this many associations per cluster (not adjustable). */
export const MAX_ASSOCIATIONS_PER_CLUSTER = 5000;
/** The most list pages a cluster can fill, plus one: a full last page may still carry a nextToken. */
export const MAX_LIST_PAGES = MAX_ASSOCIATIONS_PER_CLUSTER / LIST_PAGE_SIZE + 1;

export interface ScanOptions {
  /** Reader role per account id; accounts not listed use the default credential chain. */
  readonly accountReaders?: Readonly<Record<string, AccountReader>>;
  /** Clusters enumerated at once over all accounts. @default no global cap (clusters per (account, region) are bounded by perAccountRegionConcurrency) */
  readonly clusterConcurrency?: number;
  /** Requests in flight at once per (account, region), across its clusters (which are enumerated a few at a time, enough to fill these slots). @default 8 */
  readonly perAccountRegionConcurrency?: number;
  /** EKS requests per second per (account, region), retries included. @default adaptive: unpaced until the first throttle (see ./pacer.ts) */
  readonly requestsPerSecond?: number;
  /** Describes in flight at once per cluster. @default 10 */
  readonly describeConcurrency?: number;
  /** Aborting rejects the scan with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Every attempt (retries included) of every EKS and STS call. */
  readonly onApiCall?: (e: ApiCallEvent) => void;
  /** Per attempt: connection, headers and body. @default DEFAULT_REQUEST_TIMEOUT_MS (10 s) */
  readonly requestTimeoutMs?: number;
  /** Per call, all its attempts and the backoff between them. @default DEFAULT_CALL_TIMEOUT_MS (60 s) */
  readonly callTimeoutMs?: number;
  /** The scan of one cluster, from its first call to its last. @default DEFAULT_CLUSTER_TIMEOUT_MS (10 min) */
  readonly clusterTimeoutMs?: number;
  /** Clients to reuse across scans (a daemon); its own options (reader roles, timeout, rate) then apply. @default a pool for this scan only */
  readonly clients?: EksClientPool;
}

const clusterKey = (accountId: string | undefined, region: string, name: string) => `${accountId ?? ""}|${region}|${name}`;

/** A response that is not what the EKS API returns (a proxy's page, a truncated body, a service fault). */
class MalformedResponse extends Error {
  override readonly name = "MalformedResponse";
}

/** A listing that would never end. */
class PaginationLoop extends Error {
  override readonly name = "PaginationLoop";
}

function accountFromArn(arn: string | undefined): string | undefined {
  const parts = arn?.split(":");
  return parts && parts.length >= 6 && /^\d{12}$/.test(parts[4]!) ? parts[4] : undefined;
}

function toLive(ref: ClusterRef, a: PodIdentityAssociation): LiveAssociation {
  const missing = (["associationId", "namespace", "serviceAccount", "roleArn", "createdAt"] as const).filter((k) => a[k] === undefined || a[k] === "");
  if (missing.length > 0) throw new MalformedResponse(`DescribePodIdentityAssociation returned an association without ${missing.join(", ")}`);
  const accountId = accountFromArn(a.associationArn) ?? ref.accountId;
  return {
    clusterName: a.clusterName ?? ref.name,
    region: ref.region,
    ...(accountId ? { accountId } : {}),
    namespace: a.namespace!,
    serviceAccount: a.serviceAccount!,
    associationId: a.associationId!,
    associationArn: a.associationArn ?? "",
    roleArn: a.roleArn!,
    ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn } : {}),
    disableSessionTags: a.disableSessionTags ?? false,
    ...(a.externalId ? { externalId: a.externalId } : {}),
    ...(a.ownerArn ? { ownerArn: a.ownerArn } : {}),
    tags: { ...(a.tags ?? {}) },
    createdAt: a.createdAt!,
    modifiedAt: a.modifiedAt ?? a.createdAt!,
  };
}

type Sender = <I extends object, O extends MetadataBearer>(command: CommandIO<I, O>) => Promise<O>;

/**
 * `client.send(command, { abortSignal })` with each command class's middleware resolved once per cluster, not
 * once per call: what the SDK's own `cacheMiddleware` does for sends without options. Resolving the stack
 * builds and sorts a copy of every middleware entry (~8 kB a call), and at thousands of describes a second
 * much of it is promoted to the old generation before it dies, where it stays until the next full GC.
 * The client's middleware (counter, pacer) is in place before the first send. Each call has a deadline for
 * all its attempts; past it `onDeadline` is told (and aborts the cluster's signal, which stops the call).
 */
function cachedSender(client: EKSClient, abortSignal: AbortSignal, callTimeoutMs: number, onDeadline: (e: DeadlineError) => void): Sender {
  const handlers = new Map<unknown, Handler<object, MetadataBearer>>();
  return async <I extends object, O extends MetadataBearer>(command: CommandIO<I, O>): Promise<O> => {
    let handler = handlers.get(command.constructor) as Handler<I, O> | undefined;
    if (handler === undefined) {
      handler = command.resolveMiddleware(client.middlewareStack, client.config, { abortSignal });
      handlers.set(command.constructor, handler as unknown as Handler<object, MetadataBearer>);
    }
    const operation = command.constructor.name.replace(/Command$/, "");
    const stop = startDeadline("call", `${operation} did not complete, retries included,`, callTimeoutMs, onDeadline);
    try {
      return (await handler(command)).output;
    } finally {
      stop();
    }
  };
}

/** Enumerates every cluster; one ClusterScan per ClusterRef, in the order given. */
export async function scanClusters(clusters: readonly ClusterRef[], opts: ScanOptions = {}): Promise<ClusterScan[]> {
  const pool =
    opts.clients ??
    new EksClientPool({
      ...(opts.accountReaders ? { accountReaders: opts.accountReaders } : {}),
      ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
      ...(opts.requestsPerSecond !== undefined ? { requestsPerSecond: opts.requestsPerSecond } : {}),
    });
  const describeConcurrency = opts.describeConcurrency ?? 10;
  const callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const clusterTimeoutMs = opts.clusterTimeoutMs ?? DEFAULT_CLUSTER_TIMEOUT_MS;
  const perAccountRegion = opts.perAccountRegionConcurrency ?? 8;
  const clusterLimiter = opts.clusterConcurrency !== undefined ? new Limiter(opts.clusterConcurrency) : undefined;
  new Limiter(describeConcurrency); // validates the options up front
  new Limiter(perAccountRegion);
  // Per (account, region): one limiter for its requests in flight, one for its clusters in progress. Only as
  // many clusters as it takes to fill the request slots (plus one listing) are in progress at once: more
  // would not go faster, only hold more describes waiting for a slot, and their garbage (the memory peak).
  const clustersPerAccountRegion = Math.min(perAccountRegion, Math.ceil(perAccountRegion / describeConcurrency) + 1);
  const accountLimiters = new Map<string, { readonly requests: Limiter; readonly clusters: Limiter }>();
  const accountLimiter = (ref: ClusterRef) => {
    const k = `${ref.accountId ?? ""}|${ref.region}`;
    let l = accountLimiters.get(k);
    if (!l) accountLimiters.set(k, (l = { requests: new Limiter(perAccountRegion), clusters: new Limiter(clustersPerAccountRegion) }));
    return l;
  };

  // Attempts per cluster, attributed from the events (cluster name + the client's account and region).
  const calls = new Map<string, number>();
  const unsubscribe = pool.subscribe((e) => {
    if (e.cluster !== undefined) {
      const k = clusterKey(e.accountId, e.region ?? "", e.cluster);
      if (calls.has(k)) calls.set(k, calls.get(k)! + 1);
    }
    opts.onApiCall?.(e);
  });
  for (const c of clusters) calls.set(clusterKey(c.accountId, c.region, c.name), 0);
  const callsOf = (c: ClusterRef) => calls.get(clusterKey(c.accountId, c.region, c.name)) ?? 0;

  async function scanOne(ref: ClusterRef): Promise<ClusterScan> {
    const client = pool.get(ref.accountId, ref.region);
    const limiter = accountLimiter(ref).requests;
    const local = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, local.signal]) : local.signal;
    // One abort listener per request in flight (removed when it completes): more than Node's default 10.
    setMaxListeners(0, local.signal, signal);
    let failure: unknown;
    const fail = (err: unknown) => {
      if (failure === undefined) {
        failure = err;
        local.abort(err);
      }
    };
    const send = cachedSender(client, signal, callTimeoutMs, fail);
    const stopClusterDeadline = startDeadline("cluster", "the scan of the cluster did not complete", clusterTimeoutMs, fail);
    // Describes run in at most describeConcurrency workers per cluster, taking ids in list order: the ids
    // waiting are plain strings, not one pending task each. (A pending task per association lives long
    // enough to reach the old generation, and once it has run it still holds its last request's objects
    // there, dead but kept through every young collection until the next full one.)
    const ids: string[] = [];
    const results: Array<LiveAssociation | undefined> = [];
    const seen = new Set<string>();
    const workers: Array<Promise<void>> = [];
    let nextId = 0;
    let running = 0;
    const describeOne = (associationId: string, slot: number) =>
      limiter.run(async () => {
        if (failure !== undefined) return;
        try {
          const out = await send(new DescribePodIdentityAssociationCommand({ clusterName: ref.name, associationId }));
          if (out.association === undefined) throw new MalformedResponse("DescribePodIdentityAssociation returned no association");
          results[slot] = toLive(ref, out.association);
        } catch (err) {
          // Deleted between list and describe: gone, not an error.
          if ((err as Error).name !== "ResourceNotFoundException") fail(err);
        }
      });
    const worker = async () => {
      try {
        while (nextId < ids.length && failure === undefined) {
          const slot = nextId++;
          await describeOne(ids[slot]!, slot);
        }
      } finally {
        running--;
      }
    };
    const describe = (associationId: string) => {
      ids.push(associationId);
      results.push(undefined);
      if (running < describeConcurrency) {
        running++;
        workers.push(worker());
      }
    };
    try {
      let nextToken: string | undefined;
      const tokens = new Set<string>();
      let pages = 0;
      do {
        if (++pages > MAX_LIST_PAGES) {
          throw new PaginationLoop(
            `ListPodIdentityAssociations returned more than ${MAX_LIST_PAGES} pages, more than ${MAX_ASSOCIATIONS_PER_CLUSTER} associations (the most a cluster can have) could fill: the listing would never end`,
          );
        }
        const page = await limiter.run(() =>
          send(new ListPodIdentityAssociationsCommand({ clusterName: ref.name, maxResults: LIST_PAGE_SIZE, ...(nextToken ? { nextToken } : {}) })),
        );
        // A page without its list (`{}` from a proxy) is not an empty cluster.
        if (!Array.isArray(page.associations)) throw new MalformedResponse("ListPodIdentityAssociations returned no associations list");
        for (const s of page.associations) {
          if (!s.associationId) throw new MalformedResponse("ListPodIdentityAssociations returned an association without associationId");
          if (seen.has(s.associationId)) continue;
          seen.add(s.associationId);
          describe(s.associationId);
        }
        nextToken = page.nextToken;
        if (nextToken) {
          if (tokens.has(nextToken))
            throw new PaginationLoop(`ListPodIdentityAssociations returned a nextToken it had returned before (page ${pages}): the listing would never end`);
          tokens.add(nextToken);
        }
      } while (nextToken && failure === undefined);
    } catch (err) {
      fail(err);
    }
    await Promise.all(workers);
    stopClusterDeadline();
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (failure !== undefined) return { cluster: ref, ok: false, error: scanError(failure), apiCalls: callsOf(ref) };
    return { cluster: ref, ok: true, associations: results.filter((a): a is LiveAssociation => a !== undefined), apiCalls: callsOf(ref) };
  }

  try {
    opts.signal?.throwIfAborted();
    // The account's slot first, the global one (if any) last: a cluster waiting for its account holds nothing.
    return await Promise.all(
      clusters.map((ref) => accountLimiter(ref).clusters.run(() => (clusterLimiter ? clusterLimiter.run(() => scanOne(ref)) : scanOne(ref)))),
    );
  } finally {
    unsubscribe();
    if (!opts.clients) pool.destroy();
  }
}
