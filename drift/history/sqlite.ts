// The SQLite history store (the default; the interface is in ./types.ts): an embedded SQLite file
// (better-sqlite3, WAL) that remembers what each run saw live and what it found. It is how the analyser knows the configuration pods may still hold (the cache TTL to
// use), which associations were deleted (revocation-pending), and since when a finding exists.
//
// One run = one IMMEDIATE transaction: read what is remembered, analyse, write. A crash mid-run loses
// nothing already committed; a second process on the same file waits up to busyTimeoutMs for the write
// lock, then fails with HistoryError. An SQLite file that is not a usable store (corrupt, or empty: someone
// truncated it) is set aside, renamed next to it and never deleted, and a fresh store is started; the store
// says so once (`takeLoss`), for the report. A file that is not SQLite at all (a typo in history.path, a
// state file) is someone else's: it is never touched, and opening fails with NotAHistoryFileError.
import Database from "better-sqlite3";
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { HistoryView } from "../analyse/types";
import type { Finding } from "../model";
import type { Summary } from "../report/report";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations";
import {
  HistoryError,
  NotAHistoryFileError,
  seenAssociation,
  type HistoryLoss,
  type HistoryStore,
  type RunInfo,
  type RunRecord,
  type VersionRow,
} from "./types";

export { HistoryError, NotAHistoryFileError, type HistoryLoss, type RunInfo, type RunRecord } from "./types";

export interface HistoryOpenOptions {
  /** How long to wait for another process's write lock, ms. @default 5000 */
  readonly busyTimeoutMs?: number;
}

export class SqliteHistoryStore implements HistoryStore {
  /**
   * Open (creating if needed, with its directory) and migrate the store at `path`. An unusable file is set
   * aside and a fresh store opened in its place (see `takeLoss`). Throws HistoryError when the store cannot
   * be used at all (unwritable, locked, written by a newer version), NotAHistoryFileError when `path` is a
   * file that is not SQLite.
   */
  static open(path: string, opts: HistoryOpenOptions = {}): SqliteHistoryStore {
    const timeout = opts.busyTimeoutMs ?? 5000;
    try {
      makeDirectory(dirname(path));
    } catch (e) {
      throw new HistoryError(
        path,
        `cannot create its directory ${dirname(path)}: ${errText(e)}. Set history.path in the drift config to a writable place.`,
        (e as NodeJS.ErrnoException).code,
      );
    }
    const unusable = (() => {
      try {
        return SqliteHistoryStore.openFile(path, timeout);
      } catch (e) {
        if (e instanceof Unusable) return e;
        throw e;
      }
    })();
    if (unusable instanceof SqliteHistoryStore) return unusable;
    const movedTo = setAside(path, unusable.reason);
    const store = SqliteHistoryStore.openFile(path, timeout);
    store.loss = { reason: unusable.reason, movedTo };
    return store;
  }

  private static openFile(path: string, timeout: number): SqliteHistoryStore {
    // A zero-length file is what is left of a store someone truncated (SQLite would take it for a new one,
    // and delete a -wal file beside it).
    const kind = fileKind(path);
    if (kind === "empty") throw new Unusable("empty");
    if (kind === "not SQLite") throw new NotAHistoryFileError(path);
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout });
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      if (db.pragma("quick_check(1)", { simple: true }) !== "ok") throw new Unusable("SQLITE_CORRUPT");
      migrate(db, path);
      return new SqliteHistoryStore(db, path, timeout);
    } catch (e) {
      db?.close();
      if (e instanceof HistoryError || e instanceof Unusable) throw e;
      const code = (e as { code?: string }).code ?? "";
      if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT")) throw new Unusable(code);
      throw translate(e, path, timeout);
    }
  }

  private closed = false;
  private loss: HistoryLoss | undefined;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {}

  /** The store that open() set aside, the first time it is asked (so one report says so); then undefined. */
  takeLoss(): HistoryLoss | undefined {
    const loss = this.loss;
    this.loss = undefined;
    return loss;
  }

  /** The schema version of the open store. */
  get schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  /**
   * Run one check's bookkeeping atomically: `analyse` gets what history knows and returns its result and the
   * record to write; both happen inside one IMMEDIATE transaction, so two processes never interleave.
   */
  record<T>(analyse: (view: HistoryView) => { readonly result: T; readonly run: RunRecord }): T {
    this.assertOpen();
    const tx = this.db.transaction(() => {
      const { result, run } = analyse(this.view());
      this.write(run);
      return result;
    });
    try {
      return tx.immediate();
    } catch (e) {
      throw translate(e, this.path, this.busyTimeoutMs);
    }
  }

  /** What history knows now (read outside a run, e.g. for a report without recording). */
  view(): HistoryView {
    this.assertOpen();
    const rows = this.db.prepare<[], VersionRow>("SELECT * FROM association_versions").all();
    const versions = rows.map(seenAssociation);
    const open = this.db.prepare<[], { key: string; first_seen: string }>("SELECT key, first_seen FROM open_findings").all();
    return { versions, openSince: new Map(open.map((o) => [o.key, o.first_seen])), available: true };
  }

  /** The latest runs, newest first. */
  runs(limit = 20): RunInfo[] {
    this.assertOpen();
    return this.db
      .prepare<[number], { id: number; at: string; complete: number; summary: string }>("SELECT id, at, complete, summary FROM runs ORDER BY id DESC LIMIT ?")
      .all(limit)
      .map((r) => ({ id: r.id, at: r.at, complete: r.complete === 1, summary: JSON.parse(r.summary) as Summary }));
  }

  /** The findings a run recorded. */
  findings(runId: number): Finding[] {
    this.assertOpen();
    return this.db
      .prepare<[number], { finding: string }>("SELECT finding FROM findings WHERE run_id = ? ORDER BY rowid")
      .all(runId)
      .map((r) => JSON.parse(r.finding) as Finding);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  private write(run: RunRecord): void {
    const db = this.db;
    const atMs = run.at.getTime();
    const at = run.at.toISOString();
    const runId = Number(
      db.prepare("INSERT INTO runs (at, at_ms, complete, summary) VALUES (?, ?, ?, ?)").run(at, atMs, run.complete ? 1 : 0, JSON.stringify(run.summary))
        .lastInsertRowid,
    );

    const cluster = db.prepare("INSERT OR REPLACE INTO run_clusters (run_id, cluster, ok) VALUES (?, ?, ?)");
    for (const c of run.clustersRead) cluster.run(runId, c, 1);
    for (const c of run.clustersUnread) cluster.run(runId, c, 0);

    const upsert = db.prepare(`
      INSERT INTO association_versions (association_id, modified_at_ms, config_hash, account_id, region, cluster, namespace, service_account,
        role_arn, target_role_arn, disable_session_tags, first_seen_run, first_seen_ms, last_seen_run, last_seen_ms, gone_ms)
      VALUES (@id, @modified, @hash, @account, @region, @cluster, @namespace, @sa, @role, @target, @dst, @run, @at, @run, @at, NULL)
      ON CONFLICT (association_id, modified_at_ms, config_hash) DO UPDATE SET last_seen_run = excluded.last_seen_run, last_seen_ms = excluded.last_seen_ms, gone_ms = NULL`);
    for (const a of run.seen) {
      upsert.run({
        id: a.associationId,
        modified: a.modifiedAt.getTime(),
        hash: a.configHash,
        account: a.accountId ?? null,
        region: a.region,
        cluster: a.clusterName,
        namespace: a.namespace,
        sa: a.serviceAccount,
        role: a.roleArn,
        target: a.targetRoleArn ?? null,
        dst: a.disableSessionTags ? 1 : 0,
        run: runId,
        at: atMs,
      });
    }
    const gone = db.prepare("UPDATE association_versions SET gone_ms = ? WHERE association_id = ? AND gone_ms IS NULL");
    for (const id of run.newlyGone) gone.run(atMs, id);

    const finding = db.prepare("INSERT OR REPLACE INTO findings (run_id, key, kind, finding) VALUES (?, ?, ?, ?)");
    const open = db.prepare(
      "INSERT INTO open_findings (key, kind, cluster, first_seen, last_seen_run) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET last_seen_run = excluded.last_seen_run",
    );
    for (const { key, finding: f } of run.findings) {
      finding.run(runId, key, f.kind, JSON.stringify(f));
      const c = f.cluster !== null && f.region !== null ? `${f.region}/${f.cluster}` : null;
      open.run(key, f.kind, c, f.since ?? at, runId);
    }
    // Close findings this run did not see, except those in clusters it could not read (unknown, not resolved).
    const unread = JSON.stringify(run.clustersUnread);
    db.prepare("DELETE FROM open_findings WHERE last_seen_run <> ? AND (cluster IS NULL OR cluster NOT IN (SELECT value FROM json_each(?)))").run(
      runId,
      unread,
    );

    const cutoff = atMs - (run.retainDays ?? 30) * 86_400_000;
    db.prepare("DELETE FROM runs WHERE at_ms < ?").run(cutoff);
    db.prepare("DELETE FROM association_versions WHERE last_seen_ms < ?").run(cutoff);
  }

  private assertOpen(): void {
    if (this.closed) throw new HistoryError(this.path, "used after close()");
  }
}

/** Why a file cannot serve as the store: it is set aside. */
class Unusable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/**
 * What is at `path` before SQLite opens it: nothing yet (a new store), an empty file, an SQLite database
 * (usable or not: SQLite says), or a file that is not SQLite. "unknown" when it cannot be read: SQLite
 * reports why.
 */
function fileKind(path: string): "absent" | "empty" | "SQLite" | "not SQLite" | "unknown" {
  let fd: number | undefined;
  try {
    const size = statSync(path, { throwIfNoEntry: false })?.size;
    if (size === undefined) return "absent";
    if (size === 0) return "empty";
    fd = openSync(path, "r");
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const read = readSync(fd, head, 0, head.length, 0);
    return read === head.length && head.equals(SQLITE_HEADER) ? "SQLite" : "not SQLite";
  } catch {
    return "unknown";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Create `dir` and its missing parents one level at a time. Not mkdirSync's recursive mode: it loops
 * forever where mkdir says ENOENT under an existing parent (/proc, some FUSE or network mounts).
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  let found = statSync(at, { throwIfNoEntry: false });
  while (found === undefined && dirname(at) !== at) {
    missing.unshift(at);
    at = dirname(at);
    found = statSync(at, { throwIfNoEntry: false });
  }
  if (found !== undefined && !found.isDirectory()) throw new Error(`${at} is not a directory`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      // Another run creating the same directory at the same time is fine.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(d).isDirectory()) throw e;
    }
  }
}

/** Rename the store (and its -wal/-shm files) to `<path>.<empty|corrupt>-<UTC time>`; never deletes. */
function setAside(path: string, reason: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const movedTo = `${path}.${reason === "empty" ? "empty" : "corrupt"}-${stamp}`;
  try {
    renameSync(path, movedTo);
    for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  } catch (e) {
    throw new HistoryError(
      path,
      `is not a usable history database (${reason}) and could not be moved aside (${errText(e)}). Move it away or set history.path to another file.`,
      reason,
    );
  }
  return movedTo;
}

function migrate(db: Database.Database, path: string): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new HistoryError(
      path,
      `written by a newer version of pod-identity-drift (schema ${current}; this one knows up to ${SCHEMA_VERSION}). Upgrade, or point history.path elsewhere.`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

function translate(e: unknown, path: string, timeout: number): HistoryError {
  if (e instanceof HistoryError) return e;
  const code = (e as { code?: string }).code ?? "";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
    return new HistoryError(
      path,
      `in use by another process (waited ${timeout} ms for its lock). Wait for the other run to finish, or raise history.busyTimeoutMs.`,
      code,
    );
  if (
    code.startsWith("SQLITE_CANTOPEN") ||
    code.startsWith("SQLITE_READONLY") ||
    code.startsWith("SQLITE_PERM") ||
    code.startsWith("SQLITE_IOERR") ||
    code === "EACCES"
  )
    return new HistoryError(path, `cannot be written (${code}: ${errText(e)}). Set history.path in the drift config to a writable file.`, code);
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT"))
    return new HistoryError(path, `is not a usable history database (${code}). Move it aside or set history.path to another file.`, code);
  return new HistoryError(path, `${code ? `${code}: ` : ""}${errText(e)}`, code || undefined);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
