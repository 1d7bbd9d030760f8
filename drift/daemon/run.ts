// `pod-identity-drift watch`: listen for SIGTERM/SIGINT, load the drift config, apply the command-line
// overrides, open the history store once for the daemon's lifetime (SQLite, or the PostgreSQL database the
// replicas share), start the daemon, and wait for the signal. Returns the exit code:
// 0 after a graceful stop, 1 when the daemon could not start (the message says why and what to do).
import { runCheck } from "../check";
import { loadDriftConfig } from "../config/load";
import type { DriftConfig } from "../config/schema";
import { openDaemonHistory } from "../history/open";
import type { HistoryStore, LeaderState } from "../history/types";
import { Daemon, type CheckFn } from "./daemon";
import { DaemonStartError } from "./errors";
import { kubernetesLeaseStore } from "./kubernetes-lease";
import type { LeaseStore } from "./leader";
import { createLogger, type Logger } from "./logger";
import { validateSchedule } from "./schedule";
import { daemonSettingsSchema, type DaemonSettings } from "./settings";

export interface WatchOptions {
  readonly configPath?: string;
  /** Replaces the config's state sources, like `check --state`. */
  readonly stateUris?: string[];
  /** Overrides daemon.schedule. */
  readonly schedule?: string;
  /** Overrides daemon.timezone. */
  readonly timezone?: string;
  /** Overrides daemon.listen. */
  readonly listen?: string;
  /** Overrides daemon.graceSeconds. */
  readonly graceSeconds?: number;
  /** Kubeconfig for leader election; default: KUBECONFIG, ~/.kube/config, else in-cluster. */
  readonly kubeconfig?: string;
}

/** Seams for tests; the CLI passes none. */
export interface RunDaemonDeps {
  readonly logger?: Logger;
  /** Replaces the check engine (the history store is then not opened). */
  readonly check?: CheckFn;
  readonly leaseStore?: LeaseStore;
  /** Resolves when the daemon should stop; default: the first SIGTERM or SIGINT. */
  readonly stopSignal?: Promise<string>;
  /** Called once the daemon runs (tests read the bound address). */
  readonly onStarted?: (daemon: Daemon) => void;
  readonly fetch?: typeof fetch;
  readonly stderr?: (line: string) => void;
}

/** The daemon settings after the command-line overrides. Throws DaemonStartError on a bad value. */
export function resolveSettings(config: DriftConfig, opts: WatchOptions): DaemonSettings {
  const parsed = daemonSettingsSchema.safeParse({
    ...(config.daemon ?? {}),
    ...(opts.schedule !== undefined ? { schedule: opts.schedule } : {}),
    ...(opts.timezone !== undefined ? { timezone: opts.timezone } : {}),
    ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
    ...(opts.graceSeconds !== undefined ? { graceSeconds: opts.graceSeconds } : {}),
  });
  if (!parsed.success) {
    throw new DaemonStartError(parsed.error.issues.map((i) => `daemon.${i.path.join(".")}: ${i.message}`).join("\n"));
  }
  validateSchedule(parsed.data.schedule, parsed.data.timezone);
  return parsed.data;
}

export async function runDaemon(opts: WatchOptions, deps: RunDaemonDeps = {}): Promise<number> {
  const log = deps.logger ?? createLogger();
  const stderr = deps.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Listen for SIGTERM/SIGINT before anything can block (opening the store, the first Lease round): a
  // stop at any moment ends in a graceful shutdown and exit 0.
  const stopSignal = deps.stopSignal ?? firstSignal();
  let history: HistoryStore | undefined;
  let daemon: Daemon;
  try {
    const config = loadDriftConfig(opts.configPath);
    const settings = resolveSettings(config, opts);
    let check = deps.check;
    let leaderState: LeaderState | undefined;
    if (!check) {
      const opened = await openDaemonHistory(config.history);
      history = opened.store;
      leaderState = opened.leaderState;
      check = checkEngine(config, opts.stateUris, opened.store);
      if (settings.leaderElection?.enabled && !opened.shared) {
        log.warn(
          { history: opened.store.path },
          "leader election with a history file per replica: a new leader starts without the previous leader's history. Share one PostgreSQL history (history.url) between replicas.",
        );
      }
    }
    let leaseStore = deps.leaseStore;
    const le = settings.leaderElection;
    if (le?.enabled && !leaseStore) {
      leaseStore = await kubernetesLeaseStore({ name: le.leaseName, namespace: le.namespace, kubeconfig: opts.kubeconfig });
    }
    const h = history;
    daemon = await Daemon.start({
      settings,
      check,
      logger: log,
      leaseStore,
      ...(leaderState ? { leaderState } : {}),
      fetch: deps.fetch,
      onShutdown: async () => {
        if (h) {
          await h.close();
          log.info({ path: h.path }, "history store closed");
        }
      },
    });
  } catch (e) {
    await history?.close();
    const message = (e as Error).message;
    log.fatal({ error: message }, "cannot start");
    stderr(`pod-identity-drift watch: ${message}`);
    return 1;
  }
  deps.onStarted?.(daemon);
  const reason = await stopSignal;
  await daemon.shutdown(reason);
  return 0;
}

function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      // A second signal while stopping gets the default behaviour (immediate exit).
      resolve(sig);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

function checkEngine(config: DriftConfig, stateUris: readonly string[] | undefined, history: HistoryStore): CheckFn {
  return ({ signal, onApiCall }) => runCheck({ config, ...(stateUris && stateUris.length > 0 ? { stateUris } : {}), signal, onApiCall, history });
}
