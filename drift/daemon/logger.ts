// Structured JSON logs (pino). The daemon never puts a secret into a log call; redaction is the second line
// of defence for anything that might (a webhook object, a config, request headers).
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

export const REDACT_PATHS = [
  "url",
  "*.url",
  "webhooks[*].url",
  "*.webhooks[*].url",
  "*.*.webhooks[*].url",
  "headers.authorization",
  "*.headers.authorization",
  "token",
  "*.token",
  "externalId",
  "*.externalId",
  "password",
  "*.password",
  "secret",
  "*.secret",
];

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: "pod-identity-drift",
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
