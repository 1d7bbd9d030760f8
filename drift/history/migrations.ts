// The history store's schema, one migration per version. The database's `PRAGMA user_version` says which
// have run. Append only: never edit a migration that has shipped.

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "runs, clusters read per run, association versions, findings per run, open findings",
    sql: `
      CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        at          TEXT    NOT NULL,           -- ISO 8601, the run's clock (--now)
        at_ms       INTEGER NOT NULL,
        complete    INTEGER NOT NULL,
        summary     TEXT    NOT NULL            -- the report's summary, JSON
      );
      CREATE TABLE run_clusters (
        run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        cluster      TEXT    NOT NULL,          -- region/name
        ok           INTEGER NOT NULL,
        PRIMARY KEY (run_id, cluster)
      );
      -- What runs saw live: one row per association and credential-relevant configuration, not per run.
      CREATE TABLE association_versions (
        association_id       TEXT    NOT NULL,
        modified_at_ms       INTEGER NOT NULL,
        config_hash          TEXT    NOT NULL,
        account_id           TEXT,
        region               TEXT    NOT NULL,
        cluster              TEXT    NOT NULL,
        namespace            TEXT    NOT NULL,
        service_account      TEXT    NOT NULL,
        role_arn             TEXT    NOT NULL,
        target_role_arn      TEXT,
        disable_session_tags INTEGER NOT NULL,
        first_seen_run       INTEGER NOT NULL,
        first_seen_ms        INTEGER NOT NULL,
        last_seen_run        INTEGER NOT NULL,
        last_seen_ms         INTEGER NOT NULL,
        gone_ms              INTEGER,           -- when a run first found it gone from its fully read cluster
        PRIMARY KEY (association_id, modified_at_ms, config_hash)
      );
      CREATE INDEX association_versions_cluster ON association_versions (region, cluster);
      CREATE TABLE findings (
        run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key      TEXT    NOT NULL,
        kind     TEXT    NOT NULL,
        finding  TEXT    NOT NULL,              -- the report's finding, JSON
        PRIMARY KEY (run_id, key)
      );
      -- Findings present in the latest run that read their cluster: \`since\` comes from here.
      CREATE TABLE open_findings (
        key           TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        cluster       TEXT,                     -- region/name, null for findings about no cluster
        first_seen    TEXT NOT NULL,
        last_seen_run INTEGER NOT NULL
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
