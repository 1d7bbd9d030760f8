// `pod-identity-drift watch`: load the drift config, apply the command-line overrides, open the history
// store once for the daemon's lifetime, start the daemon, and wait for SIGTERM/SIGINT. Returns the exit code:
// 0 after a graceful stop, 1 when the daemon could not start (the message says why and what to do).
import { runCheck } from "../check";
import { loadDriftConfig } from "../config/load";
import type { DriftConfig } from "../config/schema";
import { HistoryStore } from "../history/store";
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
  let history: HistoryStore | undefined;
  let daemon: Daemon;
  try {
    const config = loadDriftConfig(opts.configPath);
    const settings = resolveSettings(config, opts);
    let check = deps.check;
    if (!check) {
      history = HistoryStore.open(config.history.path, { busyTimeoutMs: config.history.busyTimeoutMs });
      check = checkEngine(config, opts.stateUris, history);
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
      fetch: deps.fetch,
      onShutdown: () => {
        if (h) {
          h.close();
          log.info({ path: h.path }, "history store closed");
        }
      },
    });
  } catch (e) {
    history?.close();
    const message = (e as Error).message;
    log.fatal({ error: message }, "cannot start");
    stderr(`pod-identity-drift watch: ${message}`);
    return 1;
  }
  deps.onStarted?.(daemon);
  const reason = await (deps.stopSignal ?? firstSignal());
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
  return ({ signal, onApiCall }) =>
    runCheck({ config, ...(stateUris && stateUris.length > 0 ? { stateUris } : {}), signal, onApiCall, history });
}
