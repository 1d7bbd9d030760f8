// The history store, as the check and the daemon see it: one interface, two implementations — SQLite
// (./sqlite.ts: a file, the default, one process at a time) and PostgreSQL (./postgres.ts: shared by every
// replica of the daemon, fenced). ./open.ts chooses from the drift config.
import type { Analysis, HistoryView, SeenAssociation } from "../analyse/types";
import type { Finding } from "../model";
import type { Summary } from "../report/report";

/** The history store cannot be used: the message says which store, what happened and what to do. */
export class HistoryError extends Error {
  override readonly name = "HistoryError";
  constructor(
    readonly path: string,
    message: string,
    readonly code?: string,
  ) {
    super(`history store ${path}: ${message}`);
  }
}

/**
 * `history.path` names an existing file that is not an SQLite database (a typo, a state file): it is left
 * exactly as it is, and nothing runs on it. Not a HistoryError on purpose: the check refuses, it does not
 * report without history.
 */
export class NotAHistoryFileError extends Error {
  override readonly name = "NotAHistoryFileError";
  constructor(readonly path: string) {
    super(`history.path ${path} is not a drift history (SQLite) file; it was left as it is. Point history.path at a new file or an existing history.`);
  }
}

/**
 * A write of a deposed leader: another replica has claimed the store since this one did. Not a HistoryError
 * on purpose: the check must not turn it into a report ("history unavailable") — the daemon stops leading.
 */
export class FencedError extends Error {
  override readonly name = "FencedError";
  constructor(
    readonly epoch: number | undefined,
    readonly current: number,
  ) {
    super(
      epoch === undefined
        ? `history store: this replica holds no leadership term (the store's is ${current}); it may not write`
        : `history store: leadership term ${epoch} has ended (the store is at term ${current}, claimed by another replica); this replica stops writing and notifying`,
    );
  }
}

/** What one run writes: what the analyser saw and concluded, and the report's summary. */
export interface RunRecord extends Pick<Analysis, "seen" | "newlyGone" | "clustersRead" | "clustersUnread"> {
  readonly at: Date;
  readonly complete: boolean;
  readonly summary: Summary;
  readonly findings: readonly { readonly key: string; readonly finding: Finding }[];
  /** Prune runs, findings and association versions not seen for this many days. @default 30 */
  readonly retainDays?: number;
}

export interface RunInfo {
  readonly id: number;
  readonly at: string;
  readonly complete: boolean;
  readonly summary: Summary;
}

/** A store that could not be used as it was, set aside at open: what was wrong and where it went. */
export interface HistoryLoss {
  /** "empty", or the error that showed it unusable (SQLITE_CORRUPT, SQLITE_NOTADB, …). */
  readonly reason: string;
  /** Where the old store went (for SQLite, the path the file was renamed to). */
  readonly movedTo: string;
}

/** Remembers, across runs, what was seen live and what was found. */
export interface HistoryStore {
  /** Where it is, for logs: a file path, or a database URL without its password. */
  readonly path: string;
  /**
   * One check's bookkeeping, atomically: `analyse` gets what history knows and returns its result and the
   * record to write; both happen in one transaction. Throws HistoryError (the store cannot be used) or
   * FencedError (this process may no longer write).
   */
  record<T>(analyse: (view: HistoryView) => { readonly result: T; readonly run: RunRecord }): T | Promise<T>;
  /** The latest runs, newest first. */
  runs(limit?: number): RunInfo[] | Promise<RunInfo[]>;
  close(): void | Promise<void>;
  /**
   * A store that found itself unusable when opened, set itself aside and started afresh, says so here the
   * first time it is asked (so that one report says history was lost), and then returns undefined.
   * @default a store that never sets itself aside
   */
  takeLoss?(): HistoryLoss | undefined;
}

/**
 * What the daemon's leader keeps beside history so that the next leader carries on where it stopped: a
 * fencing term and the findings last notified. PostgreSQL keeps both for every replica; with SQLite (one
 * replica) they live in the process.
 */
export interface LeaderState {
  /** Starts a new leadership term: from now on, writes of any earlier term are refused (FencedError). */
  claim(holder: string): Promise<number>;
  /** Ends this process's term locally: it writes nothing until it claims again. */
  relinquish(): void;
  /** The findings the last leader notified (null: none recorded) and when the last complete run was. */
  resume(): Promise<{ readonly notified: readonly Finding[] | null; readonly lastCompleteRunAt: Date | null }>;
  /** Records the findings just notified, in the current term; FencedError if the term has ended. */
  saveNotified(findings: readonly Finding[]): Promise<void>;
}

/**
 * A row of `association_versions`, as either store returns it: SQLite gives integers for the times and the
 * flag, PostgreSQL gives bigints as strings and a boolean.
 */
export interface VersionRow {
  association_id: string;
  modified_at_ms: number | string;
  config_hash: string;
  account_id: string | null;
  region: string;
  cluster: string;
  namespace: string;
  service_account: string;
  role_arn: string;
  target_role_arn: string | null;
  disable_session_tags: number | boolean;
  first_seen_ms: number | string;
  last_seen_ms: number | string;
  gone_ms: number | string | null;
}

/** The association version a row describes. */
export function seenAssociation(r: VersionRow): SeenAssociation {
  return {
    associationId: r.association_id,
    ...(r.account_id !== null ? { accountId: r.account_id } : {}),
    region: r.region,
    clusterName: r.cluster,
    namespace: r.namespace,
    serviceAccount: r.service_account,
    roleArn: r.role_arn,
    ...(r.target_role_arn !== null ? { targetRoleArn: r.target_role_arn } : {}),
    disableSessionTags: r.disable_session_tags === 1 || r.disable_session_tags === true,
    modifiedAt: new Date(Number(r.modified_at_ms)),
    configHash: r.config_hash,
    firstSeenAt: new Date(Number(r.first_seen_ms)),
    lastSeenAt: new Date(Number(r.last_seen_ms)),
    ...(r.gone_ms !== null ? { goneAt: new Date(Number(r.gone_ms)) } : {}),
  };
}
