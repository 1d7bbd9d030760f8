// Which history store a run uses: PostgreSQL when a URL is given (POD_IDENTITY_DRIFT_HISTORY_URL, else the
// drift config's history.url), else the SQLite file at history.path.
import type { DriftConfig } from "../config/schema";
import { PostgresHistoryStore } from "./postgres";
import { SqliteHistoryStore } from "./sqlite";
import { HistoryError, type HistoryStore, type LeaderState } from "./types";

export const HISTORY_URL_ENV = "POD_IDENTITY_DRIFT_HISTORY_URL";

export type HistorySettings = DriftConfig["history"];

/** The PostgreSQL URL in force, if any. */
export function historyUrl(settings: HistorySettings, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env[HISTORY_URL_ENV]?.trim();
  return fromEnv ? fromEnv : settings.url;
}

/**
 * Opens the store for a one-shot check: the SQLite file (read and written), or the shared PostgreSQL
 * database read only — the daemon's leader is its only writer. Throws HistoryError.
 */
export async function openCheckHistory(settings: HistorySettings, env: NodeJS.ProcessEnv = process.env): Promise<HistoryStore> {
  const url = historyUrl(settings, env);
  if (url !== undefined) {
    assertPostgresUrl(url);
    return PostgresHistoryStore.open(url, { mode: "reader", lockTimeoutMs: settings.busyTimeoutMs });
  }
  return SqliteHistoryStore.open(settings.path, { busyTimeoutMs: settings.busyTimeoutMs });
}

/** Opens the store for the daemon, with the leader's state beside it. Throws HistoryError. */
export async function openDaemonHistory(
  settings: HistorySettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ readonly store: HistoryStore; readonly leaderState: LeaderState; readonly shared: boolean }> {
  const url = historyUrl(settings, env);
  if (url !== undefined) {
    assertPostgresUrl(url);
    const store = await PostgresHistoryStore.open(url, { mode: "writer", lockTimeoutMs: settings.busyTimeoutMs });
    return { store, leaderState: store, shared: true };
  }
  const store = SqliteHistoryStore.open(settings.path, { busyTimeoutMs: settings.busyTimeoutMs });
  return { store, leaderState: processLeaderState(store), shared: false };
}

/**
 * The leader's state for a store only this process uses: there is no other writer to fence, and the
 * notified findings live in the daemon; the last complete run comes from the store.
 */
export function processLeaderState(store: Pick<HistoryStore, "runs">): LeaderState {
  return {
    claim: async () => 0,
    relinquish: () => undefined,
    resume: async () => {
      const last = (await store.runs(100)).find((r) => r.complete);
      return { notified: null, lastCompleteRunAt: last ? new Date(last.at) : null };
    },
    saveNotified: async () => undefined,
  };
}

function assertPostgresUrl(url: string): void {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new HistoryError(
      HISTORY_URL_ENV,
      `is not a postgres:// or postgresql:// URL. Set it to e.g. postgres://USER:PASSWORD@HOST:5432/DATABASE, or unset it to use the SQLite file.`,
    );
  }
}
