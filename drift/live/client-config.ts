// What every AWS client of the check is given (EKS, the STS clients behind reader roles, S3 for state; IAM
// the same way): retries, unless the user's environment sets them, and a deadline on every attempt.
// Endpoints, regions and credentials are never set here: they come from the SDK's standard configuration.
//
// Retries: AWS_RETRY_MODE and AWS_MAX_ATTEMPTS win when set; otherwise standard mode with
// DEFAULT_MAX_ATTEMPTS attempts. Not the SDK's adaptive mode: its rate limiter cuts to 0.7 × a measured rate
// that is still ~0 when the first throttle comes early in a run, and sending collapses to 0.5 requests/s.
import { AttemptDeadlineHandler, DEFAULT_REQUEST_TIMEOUT_MS } from "./deadline";

export const DEFAULT_MAX_ATTEMPTS = 10;

/** Retry settings to pass to a client: only those the user's environment does not set. */
export function retrySettings(env: NodeJS.ProcessEnv = process.env): { retryMode?: string; maxAttempts?: number } {
  return {
    ...(env.AWS_RETRY_MODE ? {} : { retryMode: "standard" }),
    ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: DEFAULT_MAX_ATTEMPTS }),
  };
}

/** Client configuration for any AWS SDK client: retries and the per-attempt deadline. */
export function awsClientConfig(requestTimeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS): {
  retryMode?: string;
  maxAttempts?: number;
  requestHandler: AttemptDeadlineHandler;
} {
  return { ...retrySettings(), requestHandler: new AttemptDeadlineHandler(requestTimeoutMs) };
}
