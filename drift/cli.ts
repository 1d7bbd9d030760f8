// pod-identity-drift: argument parsing and exit codes only. The work is in check.ts (and daemon/run.ts).
//   check  one-shot: exit 0 nothing to report, 2 findings, 1 error or incomplete scan
//   watch  the daemon (drift/daemon): scheduled checks, metrics, notifications
import { Command, CommanderError, Option } from "commander";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CheckRefusedError, runCheck } from "./check";
import { ConfigError, loadDriftConfig } from "./config/load";
import { driftConfigSchema } from "./config/schema";
import { EXIT_ERROR, exitCode, FAIL_ON, type FailOn } from "./report/exit-code";
import { render, REPORT_FORMATS, type ReportFormat } from "./report/render";

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

const PROGRAM = "pod-identity-drift";

/** Run the CLI; resolves to the exit code. Never throws for a user mistake: it prints the message instead. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let code = 0;
  const fail = (message: string) => {
    io.stderr.write(`${PROGRAM}: ${message}\n`);
    return EXIT_ERROR;
  };
  const collect = (value: string, previous: string[] = []) => [...previous, value];

  const program = new Command(PROGRAM)
    .description(
      "Compare live EKS Pod Identity associations with Terraform state, and report changes the Pod Identity Agent's credential cache has not applied yet.",
    )
    .version(version(), "-V, --version", "print the version and exit")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("check")
    .description("Run one check and print the report. Exit 0: nothing to report; 2: findings; 1: error or incomplete scan.")
    .option("-c, --config <file>", "drift config (YAML or JSON); default: drift.yaml, drift.yml or drift.json here if present")
    .option("-s, --state <uri>", "state source: a path, a glob, file://PATH or s3://BUCKET/KEY; repeatable; replaces the config's state sources", collect)
    .addOption(new Option("-f, --format <format>", "report format").choices(REPORT_FORMATS).default("table"))
    .option("-o, --output <file>", "write the report to this file instead of standard output")
    .addOption(
      new Option("--fail-on <what>", "what exits 2: drift; cache-pending (drift, and changes not yet in effect); never").choices(FAIL_ON).default("drift"),
    )
    .option("--now <iso8601>", "the check's clock, for reproducible runs (e.g. 2026-01-01T00:00:00Z)")
    .option(
      "--request-timeout <seconds>",
      "deadline of one attempt of an AWS request (connection, headers, body); overrides scan.requestTimeoutSeconds (default 10)",
    )
    .option("--call-timeout <seconds>", "deadline of one AWS call with its retries; overrides scan.callTimeoutSeconds (default 60)")
    .option("--cluster-timeout <seconds>", "deadline of the scan of one cluster; overrides scan.clusterTimeoutSeconds (default 600)")
    .option("--no-iam", "do not read the chain's IAM roles (the report says they were not checked); overrides iam in the drift config")
    .action(async (o: CheckFlags) => {
      let now: Date | undefined;
      if (o.now !== undefined) {
        now = parseNow(o.now);
        if (now === undefined) {
          code = fail(`--now ${JSON.stringify(o.now)}: not an ISO 8601 date-time that exists (date, time and time zone); write it like 2026-01-01T00:00:00Z`);
          return;
        }
      }
      const timeouts = timeoutFlags(o);
      if (typeof timeouts === "string") {
        code = fail(timeouts);
        return;
      }
      const loaded = loadDriftConfig(o.config);
      const config = { ...loaded, scan: { ...loaded.scan, ...timeouts }, ...(o.iam === false ? { iam: false } : {}) };
      const { report } = await runCheck({ config, ...(o.state ? { stateUris: o.state } : {}), ...(now ? { now } : {}) });
      const color = o.format === "table" && o.output === undefined && wantsColor(io);
      const text = render(report, o.format, { color });
      code = exitCode(report, o.failOn);
      if (o.output !== undefined) {
        const problem = writeWhole(o.output, text);
        if (problem !== undefined) {
          // History has recorded this run: the report must not be lost with the file.
          code = fail(`--output ${o.output}: cannot write the report (${problem}); it follows on standard output instead`);
          await write(io.stdout, text);
          return;
        }
        const s = report.summary;
        io.stderr.write(
          `${PROGRAM}: report written to ${o.output}: ${report.complete ? "complete" : "INCOMPLETE"}, ${report.findings.length} finding(s), ${s.inSync}/${s.managed} managed in sync; exit ${code}\n`,
        );
      } else {
        await write(io.stdout, text);
      }
    });

  program
    .command("watch")
    .description("Run checks on a schedule and serve /metrics, /livez, /readyz and /report (see docs/drift.md).")
    .option("-c, --config <file>", "drift config (YAML or JSON); default: drift.yaml, drift.yml or drift.json here if present")
    .option("-s, --state <uri>", "state source (repeatable); replaces the config's state sources", collect)
    .option("--schedule <cron>", "node-cron expression; overrides daemon.schedule")
    .option("--timezone <tz>", "IANA time zone of the schedule; overrides daemon.timezone")
    .option("--listen <host:port>", "HTTP address; overrides daemon.listen (default 127.0.0.1:9464)")
    .option("--grace-seconds <n>", "how long SIGTERM waits for the scan in flight; overrides daemon.graceSeconds", (v) => Number(v))
    .option("--kubeconfig <file>", "kubeconfig for leader election; default: KUBECONFIG, ~/.kube/config, else in-cluster")
    .action(
      async (o: { config?: string; state?: string[]; schedule?: string; timezone?: string; listen?: string; graceSeconds?: number; kubeconfig?: string }) => {
        // Loaded only for watch: a one-shot check needs neither the HTTP server, metrics nor the scheduler.
        // A require, not import(): the CLI runs under tsx's CommonJS loader (bin/pod-identity-drift.js), which
        // does not hook import().
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { runDaemon } = require("./daemon/run") as typeof import("./daemon/run");
        code = await runDaemon({
          ...(o.config !== undefined ? { configPath: o.config } : {}),
          ...(o.state ? { stateUris: o.state } : {}),
          ...(o.schedule !== undefined ? { schedule: o.schedule } : {}),
          ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
          ...(o.listen !== undefined ? { listen: o.listen } : {}),
          ...(o.graceSeconds !== undefined ? { graceSeconds: o.graceSeconds } : {}),
          ...(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {}),
        });
      },
    );

  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_ERROR; // commander printed it
    if (e instanceof ConfigError || e instanceof CheckRefusedError) return fail(e.message);
    if (io.env.POD_IDENTITY_DRIFT_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return fail(`${(e as Error).message ?? String(e)} (set POD_IDENTITY_DRIFT_DEBUG=1 for details)`);
  }
}

interface CheckFlags {
  readonly config?: string;
  /** False with --no-iam. */
  readonly iam: boolean;
  readonly state?: string[];
  readonly format: ReportFormat;
  readonly output?: string;
  readonly failOn: FailOn;
  readonly now?: string;
  readonly requestTimeout?: string;
  readonly callTimeout?: string;
  readonly clusterTimeout?: string;
}

const TIMEOUT_FLAGS = [
  ["--request-timeout", "requestTimeout", "requestTimeoutSeconds"],
  ["--call-timeout", "callTimeout", "callTimeoutSeconds"],
  ["--cluster-timeout", "clusterTimeout", "clusterTimeoutSeconds"],
] as const;

/** The deadline flags as drift config `scan` fields, checked by the config's own rules; or what is wrong. */
function timeoutFlags(o: CheckFlags): Partial<Record<(typeof TIMEOUT_FLAGS)[number][2], number>> | string {
  const out: Partial<Record<(typeof TIMEOUT_FLAGS)[number][2], number>> = {};
  for (const [flag, key, field] of TIMEOUT_FLAGS) {
    const text = o[key];
    if (text === undefined) continue;
    const value = /^\s*[0-9.]+\s*$/.test(text) ? Number(text) : Number.NaN;
    const issue = Number.isNaN(value) ? undefined : driftConfigSchema.shape.scan.safeParse({ [field]: value }).error?.issues[0];
    if (Number.isNaN(value) || issue !== undefined) {
      const why = issue?.code === "too_big" ? `at most ${String(issue.maximum)} seconds` : "a number of seconds above 0";
      return `${flag} ${JSON.stringify(text)}: must be ${why}; write it like ${flag} 30`;
    }
    out[field] = value;
  }
  return out;
}

/** This package's version (package.json sits next to drift/, in the repository and in the daemon's image). */
function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
}

/** An ISO 8601 date-time with a time zone (Z or ±hh:mm), every field in range: no 2026-02-30 rolled over to March. */
export function parseNow(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2}))$/.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = m.slice(1).map((field) => Number(field ?? 0)) as number[];
  const calendarDay = new Date(Date.UTC(year!, month! - 1, day!));
  const inRange =
    calendarDay.getUTCMonth() === month! - 1 &&
    calendarDay.getUTCDate() === day! &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59 &&
    offsetHours! <= 23 &&
    offsetMinutes! <= 59;
  const d = new Date(text);
  return inRange && !Number.isNaN(d.getTime()) ? d : undefined;
}

/** Colour only on a terminal, unless NO_COLOR says no or FORCE_COLOR says yes (https://no-color.org). */
function wantsColor(io: CliIo): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== "0") return true;
  return io.stdout.isTTY === true && io.env.TERM !== "dumb";
}

/** Write `path` whole or not at all (a temporary file beside it, then renamed); the error code if it failed. */
function writeWhole(path: string, text: string): string | undefined {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
    return undefined;
  } catch (e) {
    rmSync(temporary, { force: true });
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

/** Run as a program: `tsx drift/cli.ts …` (npm run drift) or bin/pod-identity-drift.js. */
export function run(argv: readonly string[] = process.argv.slice(2)): void {
  // A closed pipe (`… | head`) is not an error worth a stack trace.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(argv).then(
    (code) => {
      // Exit explicitly: an idle keep-alive socket must not hold a one-shot check open.
      if (argv[0] === "watch") process.exitCode = code;
      else process.exit(code);
    },
    (e: unknown) => {
      process.stderr.write(`${PROGRAM}: ${(e as Error)?.message ?? String(e)}\n`);
      process.exit(EXIT_ERROR);
    },
  );
}

if (require.main === module) run();
