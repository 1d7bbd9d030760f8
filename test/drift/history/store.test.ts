import Database from "better-sqlite3";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { analyse } from "../../../drift/analyse/analyse";
import { NotAHistoryFileError, SqliteHistoryStore as HistoryStore, type RunRecord } from "../../../drift/history/sqlite";
import { SCHEMA_VERSION } from "../../../drift/history/migrations";
import { buildReport } from "../../../drift/report/build";
import { HOUR, MIN, T0, input, liveOf, role, scanFailed, scanOk, stateAssoc, stateOk } from "../support/fixtures";
import { openToUnprivileged, runUnprivileged } from "../../support/unprivileged";
import type { ClusterScan, StateReadResult } from "../../../drift/model";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "drift-history-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One run through the store, as runCheck does it. */
function run(store: HistoryStore, states: StateReadResult[], scans: ClusterScan[], now: Date) {
  return store.record((view) => {
    const a = analyse(input(states, scans, { history: view, now }));
    const report = buildReport(a, now);
    const record: RunRecord = {
      at: now,
      complete: a.complete,
      summary: report.summary,
      seen: a.seen,
      newlyGone: a.newlyGone,
      clustersRead: a.clustersRead,
      clustersUnread: a.clustersUnread,
      findings: a.findings,
    };
    return { result: report, run: record };
  });
}

describe("HistoryStore", () => {
  it("creates its directory, uses WAL, and migrates to the latest schema", () => {
    const path = join(dir, "nested", ".drift", "history.db");
    const store = HistoryStore.open(path);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    HistoryStore.open(path).close(); // re-open: migrations are not re-run
  });

  it("remembers the previous configuration: the second run uses its TTL instead of assuming", () => {
    const store = HistoryStore.open(join(dir, "h.db"));
    const a = stateAssoc("a-1");
    run(store, [stateOk([a])], [scanOk([liveOf(a)])], T0);
    const changedAt = new Date(T0.getTime() + 10 * MIN);
    const now = new Date(T0.getTime() + 15 * MIN);
    const report = run(store, [stateOk([a])], [scanOk([liveOf(a, { roleArn: role("x"), modifiedAt: changedAt })])], now);
    const pending = report.findings.find((f) => f.kind === "cache-pending")!;
    expect(pending.effectiveAfter).toBe(new Date(changedAt.getTime() + 59 * MIN).toISOString());
    expect(pending.detail).toMatch(/from history/);
    store.close();
  });

  it("since survives runs while a finding stays open, and resets after it closed", () => {
    const store = HistoryStore.open(join(dir, "h.db"));
    const a = stateAssoc("a-1");
    const drifted = [scanOk([liveOf(a, { roleArn: role("x") })])];
    const r1 = run(store, [stateOk([a])], drifted, T0);
    expect(r1.findings[0]!.since).toBe(T0.toISOString());
    const r2 = run(store, [stateOk([a])], drifted, new Date(T0.getTime() + HOUR));
    expect(r2.findings[0]!.since).toBe(T0.toISOString());
    run(store, [stateOk([a])], [scanOk([liveOf(a)])], new Date(T0.getTime() + 2 * HOUR));
    const r4 = run(store, [stateOk([a])], drifted, new Date(T0.getTime() + 3 * HOUR));
    expect(r4.findings[0]!.since).toBe(new Date(T0.getTime() + 3 * HOUR).toISOString());
    store.close();
  });

  it("an unread cluster keeps its open findings open", () => {
    const store = HistoryStore.open(join(dir, "h.db"));
    const a = stateAssoc("a-1");
    run(store, [stateOk([a])], [scanOk([liveOf(a, { roleArn: role("x") })])], T0);
    run(store, [stateOk([a])], [scanFailed("ThrottlingException")], new Date(T0.getTime() + HOUR));
    const r3 = run(store, [stateOk([a])], [scanOk([liveOf(a, { roleArn: role("x") })])], new Date(T0.getTime() + 2 * HOUR));
    expect(r3.findings[0]!.since).toBe(T0.toISOString());
    store.close();
  });

  it("a deletion is revocation-pending from the run that found it gone until one TTL later", () => {
    const store = HistoryStore.open(join(dir, "h.db"));
    const a = stateAssoc("a-1");
    run(store, [stateOk([a])], [scanOk([liveOf(a)])], T0);
    const found = new Date(T0.getTime() + 30 * MIN);
    const r2 = run(store, [stateOk([a])], [scanOk([])], found);
    expect(r2.findings.map((f) => f.kind).sort()).toEqual(["missing", "revocation-pending"]);
    const r3 = run(store, [stateOk([a])], [scanOk([])], new Date(found.getTime() + 58 * MIN));
    expect(r3.findings.find((f) => f.kind === "revocation-pending")!.effectiveAfter).toBe(new Date(found.getTime() + 59 * MIN).toISOString());
    const r4 = run(store, [stateOk([a])], [scanOk([])], new Date(found.getTime() + 60 * MIN));
    expect(r4.findings.map((f) => f.kind)).toEqual(["missing"]);
    expect(store.runs(10)).toHaveLength(4);
    expect(store.findings(store.runs(1)[0]!.id).map((f) => f.kind)).toEqual(["missing"]);
    store.close();
  });

  it("a failure inside the run rolls back: nothing half-written", () => {
    const store = HistoryStore.open(join(dir, "h.db"));
    expect(() =>
      store.record(() => {
        throw new Error("boom");
      }),
    ).toThrow(/boom/);
    expect(store.runs()).toEqual([]);
    store.close();
  });

  it("a second process holding the write lock: waits busyTimeoutMs, then a clear HistoryError", () => {
    const path = join(dir, "h.db");
    HistoryStore.open(path).close();
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    const store = HistoryStore.open(path, { busyTimeoutMs: 100 });
    const a = stateAssoc("a-1");
    expect(() => run(store, [stateOk([a])], [scanOk([liveOf(a)])], T0)).toThrow(/in use by another process \(waited 100 ms/);
    other.exec("ROLLBACK");
    other.close();
    expect(run(store, [stateOk([a])], [scanOk([liveOf(a)])], T0).complete).toBe(true);
    store.close();
  });

  it("an unwritable directory is a clear HistoryError", () => {
    const ro = join(dir, "ro");
    mkdirSync(ro);
    openToUnprivileged(dir);
    chmodSync(ro, 0o555);
    const opened = runUnprivileged<{ error: string | null; message: string }[]>(`
      import { HistoryError, SqliteHistoryStore } from "@repo/drift/history/sqlite";
      const open = (path: string) => {
        try {
          SqliteHistoryStore.open(path).close();
          return { error: null, message: "" };
        } catch (e) {
          return { error: e instanceof HistoryError ? "HistoryError" : String(e?.constructor?.name), message: String(e?.message) };
        }
      };
      process.stdout.write(JSON.stringify([open(${JSON.stringify(join(ro, "sub", "h.db"))}), open(${JSON.stringify(join(ro, "h.db"))})]));
    `);
    expect(opened.map((o) => o.error)).toEqual(["HistoryError", "HistoryError"]);
    expect(opened[0]!.message).toMatch(/cannot create/);
    expect(opened[1]!.message).toMatch(/cannot be written|cannot create/);
  });

  it("a path under a regular file is a clear HistoryError", () => {
    writeFileSync(join(dir, "file"), "x");
    expect(() => HistoryStore.open(join(dir, "file", "h.db"))).toThrow(/history store .*file\/h\.db: cannot create its directory/);
  });

  it.each([
    [
      "an SQLite file that is not a database past its header",
      "corrupt",
      (path: string) => writeFileSync(path, Buffer.concat([Buffer.from("SQLite format 3\0", "latin1"), Buffer.alloc(4096, 0x5a)])),
      /^SQLITE_(NOTADB|CORRUPT)/,
    ],
    ["an empty file (truncated)", "empty", (path: string) => writeFileSync(path, ""), /^empty$/],
    [
      "a database whose pages are damaged",
      "corrupt",
      (path: string) => {
        const store = HistoryStore.open(path);
        const a = stateAssoc("a-1");
        run(store, [stateOk([a])], [scanOk([liveOf(a)])], T0);
        store.close();
        const fd = openSync(path, "r+");
        for (let page = 1; page < 4; page++) writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, 4096 * page);
        closeSync(fd);
      },
      /^SQLITE_CORRUPT/,
    ],
  ])("%s is set aside (renamed, not deleted) and a fresh store started; the loss is told once", (_name, kind, make, reason) => {
    const path = join(dir, "h.db");
    make(path);
    const before = readFileSync(path);
    const store = HistoryStore.open(path);
    const loss = store.takeLoss()!;
    expect(loss.reason).toMatch(reason);
    expect(loss.movedTo).toMatch(new RegExp(`^${path.replace(/[.]/g, "\\.")}\\.${kind}-\\d{8}T\\d{6}Z$`));
    expect(readFileSync(loss.movedTo)).toEqual(before);
    expect(store.takeLoss()).toBeUndefined();
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    const a = stateAssoc("a-1");
    expect(run(store, [stateOk([a])], [scanOk([liveOf(a)])], T0).complete).toBe(true);
    store.close();
    expect(HistoryStore.open(path).takeLoss()).toBeUndefined(); // the fresh store is fine next time
  });

  it.each([
    ["a Terraform state file", '{"version":4,"terraform_version":"1.9.8","serial":1,"lineage":"x","outputs":{},"resources":[]}\n'],
    ["a short text file", "x"],
    ["a file that starts like SQLite but is not", "SQLite format 2\0 and more"],
  ])("%s is refused and left exactly as it is", (_name, content) => {
    const path = join(dir, "terraform.tfstate");
    writeFileSync(path, content);
    expect(() => HistoryStore.open(path)).toThrow(NotAHistoryFileError);
    expect(() => HistoryStore.open(path)).toThrow(
      `history.path ${path} is not a drift history (SQLite) file; it was left as it is. Point history.path at a new file or an existing history.`,
    );
    expect(readFileSync(path, "utf8")).toBe(content);
    expect(readdirSync(dir)).toEqual(["terraform.tfstate"]); // nothing set aside, no -wal/-shm beside it
  });

  it("creates missing directories several levels deep", () => {
    const path = join(dir, "a", "b", "c", "h.db");
    HistoryStore.open(path).close();
    expect(readdirSync(join(dir, "a", "b", "c"))).toContain("h.db");
  });

  it("a directory that cannot be created is a clear HistoryError, not a hang", () => {
    // Under a regular file (ENOTDIR): mkdir's recursive mode is not used, so no path makes it loop.
    writeFileSync(join(dir, "file"), "x");
    expect(() => HistoryStore.open(join(dir, "file", "sub", "h.db"))).toThrow(/history store .*file\/sub\/h\.db: cannot create its directory .*ENOTDIR/);
    expect(readFileSync(join(dir, "file"), "utf8")).toBe("x");
  });

  it("a store from a newer schema is refused", () => {
    const path = join(dir, "h.db");
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => HistoryStore.open(path)).toThrow(/newer version/);
  });
});
