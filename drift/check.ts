// The one-shot drift check, top to bottom: open history → read state → enumerate live (EKS, then the chain's
// IAM roles) → analyse (with history, in one transaction) → report. The CLI's `check` and the daemon's every scan run exactly this.
import { performance } from "node:perf_hooks";
import { analyse } from "./analyse/analyse";
import { ruleMatches } from "./analyse/context";
import { globMatch, parseArn } from "./analyse/identity";
import type { AnalyseSettings, Analysis, HistoryView, RunProblem } from "./analyse/types";
import { EMPTY_HISTORY } from "./analyse/types";
import { parseDuration } from "./config/duration";
import type { DriftConfig } from "./config/schema";
import { openCheckHistory } from "./history/open";
import { HistoryError, NotAHistoryFileError, type HistoryLoss, type HistoryStore } from "./history/types";
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CLUSTER_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, readRoles, scanClusters, type RoleRequest } from "./live";
import type { ApiCallEvent, ClusterRef, ClusterScan, RoleRead, StateReadResult } from "./model";
import { buildReport, buildScope } from "./report/build";
import type { Report } from "./report/report";
import { readStateSources } from "./state";

export interface CheckOptions {
  /** From loadDriftConfig. */
  readonly config: DriftConfig;
  /** Replaces the config's state sources (relative paths then resolve against the working directory). @default config.state */
  readonly stateUris?: readonly string[];
  /** The check's clock (--now). @default the current time */
  readonly now?: Date;
  /** Aborts the scan; an aborted run records nothing. */
  readonly signal?: AbortSignal;
  /** Called for every AWS API call (S3, EKS, STS and IAM). */
  readonly onApiCall?: (e: ApiCallEvent) => void;
  /** An open store (the daemon keeps one open). @default runCheck opens the configured store (./history/open.ts) and closes it */
  readonly history?: HistoryStore;
}

export interface CheckResult {
  readonly report: Report;
  readonly durationMs: number;
  readonly apiCalls: number;
  /** Live associations per cluster read (by cluster name; `region/name` where two clusters share a name). */
  readonly associationsByCluster: Readonly<Record<string, number>>;
}

/** The check will not run as asked (a --now before the last recorded run, history.path naming a file that is not a history): the message says why and what to do. */
export class CheckRefusedError extends Error {
  override readonly name = "CheckRefusedError";
}

export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const { config } = opts;
  const now = opts.now ?? new Date();
  const problems: RunProblem[] = [];

  // 0. history, first: a clock before its last run is refused before anything is read.
  let store = opts.history;
  const ownStore = store === undefined;
  if (store === undefined) {
    try {
      store = await openCheckHistory(config.history);
    } catch (e) {
      // Someone else's file at history.path: nothing is read or written, the user points it elsewhere.
      if (e instanceof NotAHistoryFileError) throw new CheckRefusedError(e.message);
      if (!(e instanceof HistoryError)) throw e;
      problems.push(historyProblem(e));
    }
  }
  try {
    const loss = store?.takeLoss?.();
    if (loss !== undefined) problems.push(lostHistoryProblem(store!.path, loss));
    const last = store !== undefined ? (await store.runs(1))[0]?.at : undefined;
    if (last !== undefined && now.getTime() < Date.parse(last)) {
      throw new CheckRefusedError(
        `the check's time ${now.toISOString()} is before the last run recorded in the history store ${store!.path} (${last}); history would record it out of order, and "since" and the pending deadlines would be wrong. Use a later --now (or fix the system clock), or give what-if runs a history of their own (history.path in the drift config).`,
      );
    }
    return await checkWith(opts, now, store, problems, started);
  } finally {
    if (ownStore) await store?.close();
  }
}

/** Steps 1 to 4, with the history store open (or, with `problems` saying why, without one). */
async function checkWith(
  opts: CheckOptions,
  now: Date,
  store: HistoryStore | undefined,
  problems: readonly RunProblem[],
  started: number,
): Promise<CheckResult> {
  const { config } = opts;
  let events = 0;
  const onApiCall = (e: ApiCallEvent) => {
    events++;
    opts.onApiCall?.(e);
  };
  const defaultRegion = config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const timeouts = timeoutsOf(config);

  // 1. state
  const fromFlags = opts.stateUris !== undefined && opts.stateUris.length > 0;
  const states = await readStateSources(fromFlags ? opts.stateUris! : config.state, {
    cwd: fromFlags ? process.cwd() : config.baseDir,
    onApiCall,
    requestTimeoutMs: timeouts.requestTimeoutMs,
    callTimeoutMs: timeouts.callTimeoutMs,
  });
  opts.signal?.throwIfAborted();

  // 2. live
  const clusters = clustersToScan(states, config, defaultRegion);
  const scans: ClusterScan[] =
    clusters.length === 0
      ? []
      : await scanClusters(clusters, {
          accountReaders: config.accounts,
          ...(config.scan.clusterConcurrency !== undefined ? { clusterConcurrency: config.scan.clusterConcurrency } : {}),
          ...(config.scan.perAccountRegionConcurrency !== undefined ? { perAccountRegionConcurrency: config.scan.perAccountRegionConcurrency } : {}),
          ...(config.scan.describeConcurrency !== undefined ? { describeConcurrency: config.scan.describeConcurrency } : {}),
          ...(config.scan.requestsPerSecond !== undefined ? { requestsPerSecond: config.scan.requestsPerSecond } : {}),
          ...timeouts,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onApiCall,
        });
  opts.signal?.throwIfAborted();

  // 2b. live IAM: the chain roles of the associations in the clusters read, that state manages
  const iam = config.iam === false ? undefined : config.iam === true ? {} : config.iam;
  const roles: RoleRead[] | undefined =
    iam === undefined
      ? undefined
      : await readRoles(chainRoleRequests(states, scans, config, defaultRegion), {
          accountReaders: config.accounts,
          ...(iam.requestsPerSecond !== undefined ? { requestsPerSecond: iam.requestsPerSecond } : {}),
          ...(iam.perAccountConcurrency !== undefined ? { perAccountConcurrency: iam.perAccountConcurrency } : {}),
          requestTimeoutMs: timeouts.requestTimeoutMs,
          callTimeoutMs: timeouts.callTimeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onApiCall,
        });
  opts.signal?.throwIfAborted();

  // 3. analyse, recorded in history in the same transaction
  const settings = analyseSettings(config);
  const scope = buildScope(states, scans, roles);
  const analyseWith = (history: HistoryView, extra: readonly RunProblem[] = []): Analysis =>
    analyse({
      states,
      scans,
      ...(roles ? { roles } : {}),
      history,
      settings,
      now,
      ...(defaultRegion ? { defaultRegion } : {}),
      problems: [...problems, ...extra],
    });

  let report: Report;
  if (store !== undefined) {
    try {
      report = await store.record((view) => {
        const analysis = analyseWith(view);
        const r = buildReport(analysis, now, scope);
        return {
          result: r,
          run: {
            at: now,
            complete: r.complete,
            summary: r.summary,
            seen: analysis.seen,
            newlyGone: analysis.newlyGone,
            clustersRead: analysis.clustersRead,
            clustersUnread: analysis.clustersUnread,
            findings: analysis.findings,
            retainDays: config.history.retainDays,
          },
        };
      });
    } catch (e) {
      if (!(e instanceof HistoryError)) throw e;
      // The store could not be written (locked, full, read-only): report without it, as incomplete.
      report = buildReport(analyseWith(EMPTY_HISTORY, [historyProblem(e)]), now, scope);
    }
  } else {
    report = buildReport(analyseWith(EMPTY_HISTORY), now, scope);
  }

  // 4. report
  return {
    report,
    durationMs: performance.now() - started,
    apiCalls: events > 0 ? events : scans.reduce((n, s) => n + s.apiCalls, 0),
    associationsByCluster: associationsByCluster(scans),
  };
}

/** The deadlines of the drift config's `scan` section, in ms (drift/live/deadline.ts has what each bounds). */
export function timeoutsOf(config: DriftConfig): { requestTimeoutMs: number; callTimeoutMs: number; clusterTimeoutMs: number } {
  const { requestTimeoutSeconds, callTimeoutSeconds, clusterTimeoutSeconds } = config.scan;
  return {
    requestTimeoutMs: requestTimeoutSeconds !== undefined ? requestTimeoutSeconds * 1000 : DEFAULT_REQUEST_TIMEOUT_MS,
    callTimeoutMs: callTimeoutSeconds !== undefined ? callTimeoutSeconds * 1000 : DEFAULT_CALL_TIMEOUT_MS,
    clusterTimeoutMs: clusterTimeoutSeconds !== undefined ? clusterTimeoutSeconds * 1000 : DEFAULT_CLUSTER_TIMEOUT_MS,
  };
}

/** The analyser's settings from the drift config. */
export function analyseSettings(config: DriftConfig): AnalyseSettings {
  return {
    podIdentityRoleTtlMs: parseDuration(config.cache.podIdentityRoleTtl)!,
    targetRoleTtlMs: parseDuration(config.cache.targetRoleTtl)!,
    ignore: config.ignore,
    addonOwned: config.addonOwned,
  };
}

/**
 * Every cluster named in state (by name, region and account from the association ARN, else the region
 * attribute or the default region), plus the config's clusters, once each. A cluster that an ignore rule
 * leaves out entirely (a rule naming only a cluster pattern, no kinds) is not scanned.
 */
export function clustersToScan(states: readonly StateReadResult[], config: DriftConfig, defaultRegion?: string): ClusterRef[] {
  const out: ClusterRef[] = [];
  const add = (c: ClusterRef) => {
    const same = out.find(
      (x) => x.name === c.name && x.region === c.region && (x.accountId === undefined || c.accountId === undefined || x.accountId === c.accountId),
    );
    if (same === undefined) out.push(c);
    else if (same.accountId === undefined && c.accountId !== undefined) out[out.indexOf(same)] = { ...same, accountId: c.accountId };
  };
  for (const s of states) {
    if (!s.ok) continue;
    for (const a of s.snapshot.associations) {
      const arn = parseArn(a.associationArn);
      const region = a.region ?? arn.region ?? defaultRegion;
      if (region === undefined) continue; // the analyser reports it
      const accountId = a.accountId ?? arn.accountId;
      add({ name: a.clusterName, region, ...(accountId ? { accountId } : {}) });
    }
  }
  for (const c of config.clusters) add({ name: c.name, region: c.region, ...(c.accountId ? { accountId: c.accountId } : {}) });
  const skipped = config.ignore.filter((r) => r.kinds === undefined && r.cluster !== undefined && r.namespace === undefined && r.serviceAccount === undefined);
  return out.filter((c) => !skipped.some((r) => globMatch(r.cluster!, c.name)));
}

/**
 * The IAM roles to read: the Pod Identity role and target role of every state association in a cluster that
 * was read (and not left out by an ignore rule), when a state read manages the role (an aws_iam_role); each
 * with the managed policies state attaches to it.
 */
export function chainRoleRequests(
  states: readonly StateReadResult[],
  scans: readonly ClusterScan[],
  config: DriftConfig,
  defaultRegion?: string,
): RoleRequest[] {
  const managed = new Map<string, Set<string>>();
  for (const s of states) {
    if (!s.ok) continue;
    for (const r of s.snapshot.roles) {
      const attached = managed.get(r.arn) ?? new Set<string>();
      for (const a of r.attachments) attached.add(a.policyArn);
      managed.set(r.arn, attached);
    }
  }
  const read = scans.filter((x) => x.ok).map((x) => x.cluster);
  const wanted = new Set<string>();
  for (const s of states) {
    if (!s.ok) continue;
    for (const a of s.snapshot.associations) {
      if (config.ignore.some((r) => r.kinds === undefined && ruleMatches(r, a.clusterName, a.namespace, a.serviceAccount))) continue;
      const arn = parseArn(a.associationArn);
      const region = a.region ?? arn.region ?? defaultRegion;
      const accountId = a.accountId ?? arn.accountId;
      if (
        !read.some(
          (c) => c.name === a.clusterName && c.region === region && (c.accountId === undefined || accountId === undefined || c.accountId === accountId),
        )
      )
        continue;
      for (const role of [a.roleArn, a.targetRoleArn]) if (role !== undefined && managed.has(role)) wanted.add(role);
    }
  }
  return [...wanted].sort().map((arn) => ({ arn, expectedAttachments: [...managed.get(arn)!] }));
}

function associationsByCluster(scans: readonly ClusterScan[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of scans) {
    if (!s.ok) continue;
    const shared = scans.filter((x) => x.cluster.name === s.cluster.name).length > 1;
    const key = shared ? `${s.cluster.region}/${s.cluster.name}` : s.cluster.name;
    out[key] = (out[key] ?? 0) + s.associations.length;
  }
  return out;
}

function lostHistoryProblem(path: string, loss: HistoryLoss): RunProblem {
  const what = loss.reason === "empty" ? "was empty (truncated?)" : `was not a usable database (${loss.reason})`;
  return {
    what: "history store",
    message: `${path} ${what}: set aside as ${loss.movedTo}, and a fresh store started. History was lost: this run assumed cache TTLs, and deletions since the last run cannot be reported as revocation-pending.`,
    advice: "Nothing to do for the next run, which has history again. To look into the old store, open the file it was set aside as; delete it when done.",
  };
}

function historyProblem(e: HistoryError): RunProblem {
  return {
    what: "history store",
    message: e.message,
    advice:
      "Fix the history path (history.path in the drift config) and run again. Without history, cache TTLs are assumed and deletions cannot be reported as revocation-pending.",
  };
}
