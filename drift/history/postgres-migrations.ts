// The PostgreSQL history store's schema, one migration per version, in its own schema `pod_identity_drift`
// (so that it can share a database). The table `schema_migrations` says which have run; replicas starting
// together serialise on an advisory lock. Append only: never edit a migration that has shipped.
//
// The tables mirror the SQLite store's (./migrations.ts), plus the leader's state: `leader` holds the
// fencing term (one row) and `notified` the findings the last leader notified (one row).

export const PG_SCHEMA = "pod_identity_drift";

export interface PgMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: "runs, clusters read per run, association versions, findings, open findings, leader term, notified findings",
    sql: `
      CREATE TABLE ${PG_SCHEMA}.runs (
        id        bigserial PRIMARY KEY,
        at        text    NOT NULL,            -- ISO 8601, the run's clock
        at_ms     bigint  NOT NULL,
        complete  boolean NOT NULL,
        summary   jsonb   NOT NULL,
        term      bigint  NOT NULL             -- the leadership term that wrote it (0: a single process)
      );
      CREATE INDEX runs_at_ms ON ${PG_SCHEMA}.runs (at_ms);
      CREATE TABLE ${PG_SCHEMA}.run_clusters (
        run_id   bigint  NOT NULL REFERENCES ${PG_SCHEMA}.runs(id) ON DELETE CASCADE,
        cluster  text    NOT NULL,             -- region/name
        ok       boolean NOT NULL,
        PRIMARY KEY (run_id, cluster)
      );
      CREATE TABLE ${PG_SCHEMA}.association_versions (
        association_id       text    NOT NULL,
        modified_at_ms       bigint  NOT NULL,
        config_hash          text    NOT NULL,
        account_id           text,
        region               text    NOT NULL,
        cluster              text    NOT NULL,
        namespace            text    NOT NULL,
        service_account      text    NOT NULL,
        role_arn             text    NOT NULL,
        target_role_arn      text,
        disable_session_tags boolean NOT NULL,
        first_seen_run       bigint  NOT NULL,
        first_seen_ms        bigint  NOT NULL,
        last_seen_run        bigint  NOT NULL,
        last_seen_ms         bigint  NOT NULL,
        gone_ms              bigint,
        PRIMARY KEY (association_id, modified_at_ms, config_hash)
      );
      CREATE INDEX association_versions_cluster ON ${PG_SCHEMA}.association_versions (region, cluster);
      CREATE INDEX association_versions_last_seen ON ${PG_SCHEMA}.association_versions (last_seen_ms);
      CREATE TABLE ${PG_SCHEMA}.findings (
        run_id   bigint NOT NULL REFERENCES ${PG_SCHEMA}.runs(id) ON DELETE CASCADE,
        key      text   NOT NULL,
        kind     text   NOT NULL,
        finding  jsonb  NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE TABLE ${PG_SCHEMA}.open_findings (
        key           text PRIMARY KEY,
        kind          text   NOT NULL,
        cluster       text,
        first_seen    text   NOT NULL,
        last_seen_run bigint NOT NULL
      );
      CREATE TABLE ${PG_SCHEMA}.leader (
        id          smallint PRIMARY KEY CHECK (id = 1),
        term        bigint NOT NULL,
        holder      text,
        claimed_at  timestamptz
      );
      INSERT INTO ${PG_SCHEMA}.leader (id, term) VALUES (1, 0);
      CREATE TABLE ${PG_SCHEMA}.notified (
        id        smallint PRIMARY KEY CHECK (id = 1),
        term      bigint      NOT NULL,
        findings  jsonb       NOT NULL,
        at        timestamptz NOT NULL
      );
    `,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;
