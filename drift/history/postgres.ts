// The PostgreSQL history store: the same history as the SQLite store (./sqlite.ts), in a database every
// replica of the daemon shares, so that a new leader keeps every finding's `since`, the previous
// configurations that decide cache-pending deadlines, and the deletions behind revocation-pending.
//
// Fencing: the leader claims a term (`leader.term` + 1) when it takes over. Every write — a run's record,
// the notified findings — locks that row in its own transaction and is refused (FencedError) unless the
// term is still the writer's: once a new leader has claimed, nothing of the deposed one lands, even if it
// has not noticed yet. A claim waits for a write in flight, so writes are ordered by term.
//
// Bounded: connecting, every statement and every lock wait have a deadline (pg's connectionTimeoutMillis,
// statement_timeout, lock_timeout, and a client-side query_timeout for a server that stops answering).
// The URL holds a password: only describeUrl(url) (no password, no query) appears in messages.
import pg from "pg";
import type { HistoryView } from "../analyse/types";
import type { Finding } from "../model";
import type { Summary } from "../report/report";
import { describeUrl } from "../secrets";
import { PG_MIGRATIONS, PG_SCHEMA, PG_SCHEMA_VERSION } from "./postgres-migrations";
import { FencedError, HistoryError, seenAssociation, type HistoryStore, type LeaderState, type RunInfo, type RunRecord, type VersionRow } from "./types";

const S = PG_SCHEMA;
/** Any constant: the advisory lock replicas take while migrating. */
const MIGRATION_LOCK = 0x70_69_64_72; // "pidr"

export interface PostgresOpenOptions {
  /** How long to wait for a lock held by another replica (a write, a migration), ms. @default 5000 */
  readonly lockTimeoutMs?: number;
  /** Deadline of connecting and of every statement, ms. @default 30000 */
  readonly statementTimeoutMs?: number;
  /**
   * `writer` records runs, once it has claimed a term (the daemon); `reader` reads history and records
   * nothing (a one-shot check beside a daemon). @default "writer"
   */
  readonly mode?: "writer" | "reader";
}

export class PostgresHistoryStore implements HistoryStore, LeaderState {
  /** Opens a pool to `url` and brings the schema up to date. Throws HistoryError. */
  static async open(url: string, opts: PostgresOpenOptions = {}): Promise<PostgresHistoryStore> {
    const where = describeUrl(url);
    const lockTimeoutMs = opts.lockTimeoutMs ?? 5000;
    const statementTimeoutMs = opts.statementTimeoutMs ?? 30_000;
    const pool = new pg.Pool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: statementTimeoutMs,
      statement_timeout: statementTimeoutMs,
      lock_timeout: lockTimeoutMs,
      idle_in_transaction_session_timeout: statementTimeoutMs * 2,
      query_timeout: statementTimeoutMs + 5000,
      application_name: "pod-identity-drift",
    });
    // An idle connection that breaks (server restart) must not take the process down; the next query
    // gets a fresh one or a clear error.
    pool.on("error", () => undefined);
    const store = new PostgresHistoryStore(pool, where, opts.mode ?? "writer", lockTimeoutMs, statementTimeoutMs);
    try {
      await store.migrate();
      return store;
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw store.translate(e);
    }
  }

  private term: number | undefined;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly path: string,
    private readonly mode: "writer" | "reader",
    private readonly lockTimeoutMs: number,
    private readonly statementTimeoutMs: number,
  ) {}

  async record<T>(analyse: (view: HistoryView) => { readonly result: T; readonly run: RunRecord }): Promise<T> {
    return this.transaction(async (c) => {
      const term = this.mode === "writer" ? await this.holdTerm(c) : undefined;
      const { result, run } = analyse(await this.view(c));
      if (term !== undefined) await this.write(c, run, term);
      return result;
    });
  }

  async runs(limit = 20): Promise<RunInfo[]> {
    const r = await this.query<{ id: string; at: string; complete: boolean; summary: Summary }>(
      `SELECT id, at, complete, summary FROM ${S}.runs ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return r.rows.map((x) => ({ id: Number(x.id), at: x.at, complete: x.complete, summary: x.summary }));
  }

  /** The findings a run recorded. */
  async findings(runId: number): Promise<Finding[]> {
    const r = await this.query<{ finding: Finding }>(`SELECT finding FROM ${S}.findings WHERE run_id = $1 ORDER BY key`, [runId]);
    return r.rows.map((x) => x.finding);
  }

  async claim(holder: string): Promise<number> {
    const r = await this.query<{ term: string }>(`UPDATE ${S}.leader SET term = term + 1, holder = $1, claimed_at = now() WHERE id = 1 RETURNING term`, [
      holder,
    ]);
    this.term = Number(r.rows[0]!.term);
    return this.term;
  }

  relinquish(): void {
    this.term = undefined;
  }

  async resume(): Promise<{ notified: Finding[] | null; lastCompleteRunAt: Date | null }> {
    const n = await this.query<{ findings: Finding[] }>(`SELECT findings FROM ${S}.notified WHERE id = 1`);
    const last = await this.query<{ at_ms: string | null }>(`SELECT max(at_ms) AS at_ms FROM ${S}.runs WHERE complete`);
    const ms = last.rows[0]?.at_ms;
    return { notified: n.rows[0]?.findings ?? null, lastCompleteRunAt: ms ? new Date(Number(ms)) : null };
  }

  async saveNotified(findings: readonly Finding[]): Promise<void> {
    await this.transaction(async (c) => {
      const term = await this.holdTerm(c);
      await c.query(
        `INSERT INTO ${S}.notified (id, term, findings, at) VALUES (1, $1, $2::jsonb, now())
         ON CONFLICT (id) DO UPDATE SET term = excluded.term, findings = excluded.findings, at = excluded.at`,
        [term, JSON.stringify(findings)],
      );
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Locks the leader row until the transaction ends and checks that this process's term is current. */
  private async holdTerm(c: pg.PoolClient): Promise<number> {
    const r = await c.query<{ term: string }>(`SELECT term FROM ${S}.leader WHERE id = 1 FOR UPDATE`);
    const current = Number(r.rows[0]!.term);
    if (this.term !== current) throw new FencedError(this.term, current);
    return current;
  }

  private async view(c: pg.PoolClient): Promise<HistoryView> {
    const rows = (await c.query<VersionRow>(`SELECT * FROM ${S}.association_versions`)).rows;
    const versions = rows.map(seenAssociation);
    const open = (await c.query<{ key: string; first_seen: string }>(`SELECT key, first_seen FROM ${S}.open_findings`)).rows;
    return { versions, openSince: new Map(open.map((o) => [o.key, o.first_seen])), available: true };
  }

  /** The same bookkeeping as the SQLite store's, a statement per table (arrays, not a row at a time). */
  private async write(c: pg.PoolClient, run: RunRecord, term: number): Promise<void> {
    const atMs = run.at.getTime();
    const at = run.at.toISOString();
    const runId = Number(
      (
        await c.query<{ id: string }>(`INSERT INTO ${S}.runs (at, at_ms, complete, summary, term) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
          at,
          atMs,
          run.complete,
          JSON.stringify(run.summary),
          term,
        ])
      ).rows[0]!.id,
    );

    const clusters = new Map<string, boolean>();
    for (const k of run.clustersRead) clusters.set(k, true);
    for (const k of run.clustersUnread) clusters.set(k, false);
    await c.query(`INSERT INTO ${S}.run_clusters (run_id, cluster, ok) SELECT $1, k, ok FROM unnest($2::text[], $3::boolean[]) AS t(k, ok)`, [
      runId,
      [...clusters.keys()],
      [...clusters.values()],
    ]);

    const seen = new Map(run.seen.map((a) => [JSON.stringify([a.associationId, a.modifiedAt.getTime(), a.configHash]), a]));
    const v = [...seen.values()];
    await c.query(
      `INSERT INTO ${S}.association_versions (association_id, modified_at_ms, config_hash, account_id, region, cluster, namespace, service_account,
         role_arn, target_role_arn, disable_session_tags, first_seen_run, first_seen_ms, last_seen_run, last_seen_ms, gone_ms)
       SELECT id, modified, hash, account, region, cluster, ns, sa, role, target, dst, $12, $13, $12, $13, NULL
       FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[])
         AS t(id, modified, hash, account, region, cluster, ns, sa, role, target, dst)
       ON CONFLICT (association_id, modified_at_ms, config_hash)
         DO UPDATE SET last_seen_run = excluded.last_seen_run, last_seen_ms = excluded.last_seen_ms, gone_ms = NULL`,
      [
        v.map((a) => a.associationId),
        v.map((a) => a.modifiedAt.getTime()),
        v.map((a) => a.configHash),
        v.map((a) => a.accountId ?? null),
        v.map((a) => a.region),
        v.map((a) => a.clusterName),
        v.map((a) => a.namespace),
        v.map((a) => a.serviceAccount),
        v.map((a) => a.roleArn),
        v.map((a) => a.targetRoleArn ?? null),
        v.map((a) => a.disableSessionTags),
        runId,
        atMs,
      ],
    );
    await c.query(`UPDATE ${S}.association_versions SET gone_ms = $1 WHERE association_id = ANY($2::text[]) AND gone_ms IS NULL`, [atMs, [...run.newlyGone]]);

    const byKey = new Map<string, Finding>();
    for (const { key, finding } of run.findings) byKey.set(key, finding);
    const keys = [...byKey.keys()];
    const fs = [...byKey.values()];
    await c.query(
      `INSERT INTO ${S}.findings (run_id, key, kind, finding) SELECT $1, k, kind, f::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS t(k, kind, f)`,
      [runId, keys, fs.map((f) => f.kind), fs.map((f) => JSON.stringify(f))],
    );
    // The first occurrence of a key sets first_seen, as the SQLite store's row-by-row upsert does.
    const first = new Map<string, Finding>();
    for (const { key, finding } of run.findings) if (!first.has(key)) first.set(key, finding);
    const of = [...first.values()];
    await c.query(
      `INSERT INTO ${S}.open_findings (key, kind, cluster, first_seen, last_seen_run)
       SELECT k, kind, cluster, since, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(k, kind, cluster, since)
       ON CONFLICT (key) DO UPDATE SET last_seen_run = excluded.last_seen_run`,
      [
        [...first.keys()],
        of.map((f) => f.kind),
        of.map((f) => (f.cluster !== null && f.region !== null ? `${f.region}/${f.cluster}` : null)),
        of.map((f) => f.since ?? at),
        runId,
      ],
    );
    // Close findings this run did not see, except those in clusters it could not read (unknown, not resolved).
    await c.query(`DELETE FROM ${S}.open_findings WHERE last_seen_run <> $1 AND (cluster IS NULL OR NOT (cluster = ANY($2::text[])))`, [
      runId,
      [...run.clustersUnread],
    ]);

    const cutoff = atMs - (run.retainDays ?? 30) * 86_400_000;
    await c.query(`DELETE FROM ${S}.runs WHERE at_ms < $1`, [cutoff]);
    await c.query(`DELETE FROM ${S}.association_versions WHERE last_seen_ms < $1`, [cutoff]);
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock($1)`, [MIGRATION_LOCK]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${S}.schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const r = await c.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${S}.schema_migrations`);
      const current = r.rows[0]?.v ?? 0;
      if (current > PG_SCHEMA_VERSION) {
        throw new HistoryError(
          this.path,
          `written by a newer version of pod-identity-drift (schema ${current}; this one knows up to ${PG_SCHEMA_VERSION}). Upgrade every replica.`,
        );
      }
      for (const m of PG_MIGRATIONS) {
        if (m.version <= current) continue;
        await c.query(m.sql);
        await c.query(`INSERT INTO ${S}.schema_migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
      }
    });
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    try {
      return await this.pool.query<R>(sql, params);
    } catch (e) {
      throw this.translate(e);
    }
  }

  private async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (e) {
      throw this.translate(e);
    }
    let broken = false;
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => (broken = true));
      throw this.translate(e);
    } finally {
      c.release(broken);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new HistoryError(this.path, "used after close()");
  }

  private translate(e: unknown): Error {
    if (e instanceof HistoryError || e instanceof FencedError) return e;
    const err = e as Error & { code?: string };
    const code = err.code ?? "";
    const msg = err.message ?? String(e);
    const fix = "Check history.url in the drift config (or POD_IDENTITY_DRIFT_HISTORY_URL) and that the server is reachable.";
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ECONNRESET" || code === "EHOSTUNREACH")
      return new HistoryError(this.path, `cannot connect (${code}). ${fix}`, code);
    if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(msg))
      return new HistoryError(this.path, `no connection within ${this.statementTimeoutMs} ms. ${fix}`, "ETIMEDOUT");
    if (/Query read timeout/i.test(msg))
      return new HistoryError(this.path, `the server did not answer within ${this.statementTimeoutMs + 5000} ms`, "ETIMEDOUT");
    if (code === "28P01" || code === "28000")
      return new HistoryError(this.path, `authentication failed (${code}). Check the user and password in the URL.`, code);
    if (code === "3D000") return new HistoryError(this.path, `the database does not exist (${code}). Create it (CREATE DATABASE), or fix the URL.`, code);
    if (code === "55P03") return new HistoryError(this.path, `in use by another replica (waited ${this.lockTimeoutMs} ms for its lock)`, code);
    if (code === "57014") return new HistoryError(this.path, `a statement ran longer than ${this.statementTimeoutMs} ms and was cancelled`, code);
    if (code === "42501")
      return new HistoryError(
        this.path,
        `permission denied (${code}): the user needs to create the schema ${S} and its tables, or have them created once by an owner`,
        code,
      );
    return new HistoryError(this.path, `${code ? `${code}: ` : ""}${msg}`, code || undefined);
  }
}
