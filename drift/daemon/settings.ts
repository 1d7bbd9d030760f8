import { z } from "zod";
import { electionTimingProblem } from "./leader";

// The `daemon` section of the drift config: what `pod-identity-drift watch` needs beyond a check.
export const webhookSchema = z
  .object({
    url: z.url().optional().describe("Where to POST. Holds a secret in most setups: it is never logged. Prefer urlEnv in shared files."),
    urlEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name" })
      .optional()
      .describe("Name of an environment variable holding the URL (e.g. set from a Kubernetes Secret), instead of url."),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: "must be 1-64 letters, digits, '_', '.' or '-'" })
      .optional()
      .describe("Label for logs and metrics (the URL never appears there); default: webhook-<index>."),
    format: z.enum(["json", "slack"]).default("json").describe("json: the generic payload; slack: an incoming-webhook message."),
    timeoutSeconds: z.number().positive().max(60).default(10),
    maxAttempts: z.number().int().min(1).max(10).default(5),
    retryBaseSeconds: z
      .number()
      .positive()
      .max(60)
      .default(1)
      .describe("First retry delay; doubles per attempt (with jitter), capped at 30 s; a Retry-After header wins."),
  })
  .strict()
  .refine((w) => (w.url === undefined) !== (w.urlEnv === undefined), { message: "give exactly one of url and urlEnv" });

export const leaderElectionSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Turn on with more than one replica: exactly one scans and notifies."),
    namespace: z.string().min(1).optional().describe("Lease namespace; default: the pod's own (POD_NAMESPACE)."),
    leaseName: z.string().min(1).default("pod-identity-drift"),
    leaseDurationSeconds: z.number().int().min(3).default(15).describe("How long followers wait, from the last renewal they saw, before taking over."),
    renewDeadlineSeconds: z
      .number()
      .int()
      .min(2)
      .default(10)
      .describe("The leader stops scanning and notifying this long after its last successful renewal round started, whether or not a request is outstanding."),
    retryPeriodSeconds: z.number().int().min(1).default(2).describe("Time between Lease rounds. renewDeadline + retryPeriod must be less than leaseDuration."),
    identity: z.string().min(1).optional().describe("This replica's holder identity; default: POD_NAME (else the host name) plus a random suffix."),
  })
  .strict()
  .superRefine((s, ctx) => {
    const problem = electionTimingProblem(
      { leaseDurationMs: s.leaseDurationSeconds * 1000, renewDeadlineMs: s.renewDeadlineSeconds * 1000, retryPeriodMs: s.retryPeriodSeconds * 1000 },
      "s",
    );
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const reportSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Serve the latest JSON report at /report. It names accounts, roles and service accounts: off by default."),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name" })
      .default("POD_IDENTITY_DRIFT_REPORT_TOKEN")
      .describe("Environment variable holding the bearer token /report requires (e.g. from a Kubernetes Secret); at least 16 characters."),
  })
  .strict();

export const daemonSettingsSchema = z
  .object({
    schedule: z.string().min(1).default("*/15 * * * *").describe("node-cron expression (5 or 6 fields)."),
    timezone: z.string().min(1).optional().describe("IANA time zone for the schedule; default: the process's."),
    listen: z.string().min(1).default("127.0.0.1:9464").describe("host:port for /metrics, /livez, /readyz, /report."),
    graceSeconds: z.number().positive().default(30).describe("How long SIGTERM waits for the scan in flight."),
    webhooks: z.array(webhookSchema).default([]),
    notifyOnStart: z
      .boolean()
      .default(true)
      .describe("Send the findings of the first scan (marked initial) when there are any; false: first scan is a silent baseline."),
    leaderElection: leaderElectionSchema.optional(),
    report: reportSchema.default({ enabled: false, tokenEnv: "POD_IDENTITY_DRIFT_REPORT_TOKEN" }),
  })
  .strict();

export type DaemonSettings = z.infer<typeof daemonSettingsSchema>;
export type WebhookSettings = z.infer<typeof webhookSchema>;
export type LeaderElectionSettings = z.infer<typeof leaderElectionSchema>;
export type ReportSettings = z.infer<typeof reportSchema>;

const MIN_REPORT_TOKEN_LENGTH = 16;

/** The /report bearer token, or undefined when /report is off. Throws an Error naming the variable, never the value. */
export function resolveReportToken(report: ReportSettings, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!report.enabled) return undefined;
  const token = env[report.tokenEnv]?.trim();
  if (!token) {
    throw new Error(
      `daemon.report: /report is enabled but the environment variable ${report.tokenEnv} (its bearer token) is not set (or empty). Set it from a Secret, or turn /report off.`,
    );
  }
  if (token.length < MIN_REPORT_TOKEN_LENGTH) {
    throw new Error(
      `daemon.report: the bearer token in ${report.tokenEnv} is shorter than ${MIN_REPORT_TOKEN_LENGTH} characters: use a random one (e.g. openssl rand -hex 32).`,
    );
  }
  return token;
}

/** A webhook whose URL is known (urlEnv resolved). */
export type ResolvedWebhook = WebhookSettings & { readonly url: string };

/**
 * Resolves `urlEnv` from the environment. Throws an Error naming the webhook and the variable, never the
 * value.
 */
export function resolveWebhooks(webhooks: readonly WebhookSettings[], env: NodeJS.ProcessEnv = process.env): ResolvedWebhook[] {
  const problems: string[] = [];
  const out = webhooks.map((w, i) => {
    const label = `daemon.webhooks[${i}]${w.name ? ` (${w.name})` : ""}`;
    if (w.url !== undefined) return { ...w, url: w.url };
    const value = env[w.urlEnv!];
    if (value === undefined || value.trim() === "") {
      problems.push(`${label}: urlEnv: the environment variable ${w.urlEnv} is not set (or empty)`);
      return { ...w, url: "" };
    }
    if (!z.url().safeParse(value.trim()).success) problems.push(`${label}: urlEnv: the environment variable ${w.urlEnv} does not hold a URL`);
    return { ...w, url: value.trim() };
  });
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return out;
}
