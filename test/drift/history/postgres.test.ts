// The PostgreSQL history store on a real server: migrations, fencing by leadership term, the read-only
// mode a one-shot check uses, and clear errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMPTY_HISTORY } from "../../../drift/analyse/types";
import { PostgresHistoryStore } from "../../../drift/history/postgres";
import { FencedError, HistoryError, type RunRecord } from "../../../drift/history/types";
import { summarize } from "../../../drift/report/build";
import { startPostgres, type TestPostgres } from "../../support/postgres";

let pg: TestPostgres;
let n = 0;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(() => pg?.stop());

const SUMMARY = summarize([], 0, 0);
const run = (at: Date): RunRecord => ({ at, complete: true, summary: SUMMARY, seen: [], newlyGone: [], clustersRead: [], clustersUnread: [], findings: [] });

describe("PostgresHistoryStore", () => {
  it("migrates once (two replicas opening together), and a deposed term can no longer write or record notifications", async () => {
    const url = await pg.createDatabase(`store_${++n}`);
    const [a, b] = await Promise.all([PostgresHistoryStore.open(url), PostgresHistoryStore.open(url)]);
    try {
      expect((await pg.query(`store_${n}`, "SELECT count(*)::int AS c FROM pod_identity_drift.schema_migrations")).rows[0].c).toBe(1);
      await expect(a.record(() => ({ result: 1, run: run(new Date()) }))).rejects.toBeInstanceOf(FencedError);
      const ta = await a.claim("a");
      expect(await a.record((view) => ({ result: view.available, run: run(new Date("2026-01-01T00:00:00Z")) }))).toBe(true);
      const tb = await b.claim("b");
      expect(tb).toBe(ta + 1);
      const fenced = await a.record(() => ({ result: 1, run: run(new Date()) })).catch((e: unknown) => e);
      expect(fenced).toBeInstanceOf(FencedError);
      expect((fenced as Error).message).toMatch(new RegExp(`leadership term ${ta} has ended \\(the store is at term ${tb}`));
      await expect(a.saveNotified([])).rejects.toBeInstanceOf(FencedError);
      await b.record(() => ({ result: 1, run: run(new Date("2026-01-01T00:01:00Z")) }));
      await b.saveNotified([]);
      expect((await b.runs()).map((r) => r.at)).toEqual(["2026-01-01T00:01:00.000Z", "2026-01-01T00:00:00.000Z"]);
      expect(await a.resume()).toEqual({ notified: [], lastCompleteRunAt: new Date("2026-01-01T00:01:00Z") });
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);

  it("in reader mode (check beside a daemon) reads history and writes nothing", async () => {
    const url = await pg.createDatabase(`store_${++n}`);
    const reader = await PostgresHistoryStore.open(url, { mode: "reader" });
    try {
      expect(await reader.record((view) => ({ result: view.available && view !== EMPTY_HISTORY, run: run(new Date()) }))).toBe(true);
      expect(await reader.runs()).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it("a wrong password, a missing database and a closed port are clear HistoryErrors without the password", async () => {
    const bad = pg.url("postgres").replace("drift-test-secret", "wrong-password");
    const e1 = await PostgresHistoryStore.open(bad).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HistoryError);
    expect((e1 as Error).message).toMatch(/authentication failed \(28P01\)/);
    expect((e1 as Error).message).not.toContain("wrong-password");
    const e2 = await PostgresHistoryStore.open(pg.url("nope_db")).catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/the database does not exist \(3D000\)/);
    const e3 = await PostgresHistoryStore.open("postgres://u:secret-pw@127.0.0.1:1/db").catch((e: unknown) => e);
    expect((e3 as Error).message).toMatch(/^history store postgres:\/\/u:<redacted>@127\.0\.0\.1:1\/db: cannot connect \(ECONNREFUSED\)/);
  });
});
