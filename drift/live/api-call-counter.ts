// Counts every HTTP attempt an AWS SDK client makes, retries included, as ApiCallEvents.
//
// The middleware sits right after the SDK's retry middleware (finalizeRequest step), so it runs once per
// attempt and sees the deserialized error of each failed attempt. Used by the EKS scanner, the STS client
// behind per-account reader roles, and the S3 state reader.
import type { FinalizeHandlerArguments, FinalizeRequestMiddleware, HandlerExecutionContext, MetadataBearer, Pluggable } from "@smithy/types";
import type { ApiCallEvent } from "../model";

export type ApiCallListener = (e: ApiCallEvent) => void;

/** What is known about every call of one client; the operation, cluster and outcome are filled per call. */
export interface ApiCallScope {
  readonly region?: string;
  readonly accountId?: string;
}

const THROTTLING_CODES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
  "RequestThrottled",
  "RequestThrottledException",
  "ProvisionedThroughputExceededException",
  "TransactionInProgressException",
  "BandwidthLimitExceeded",
  "PriorRequestNotComplete",
  "EC2ThrottledException",
]);

/** ok / error / throttled, from a failed attempt's error. */
export function outcomeOf(err: unknown): ApiCallEvent["outcome"] {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } } | undefined;
  if (!e) return "error";
  if ((e.name && THROTTLING_CODES.has(e.name)) || e.$metadata?.httpStatusCode === 429 || e.$retryable?.throttling) return "throttled";
  return "error";
}

// One literal per event: `{ ...base, outcome }` would give every event a hidden class of its own (V8 clones
// the base's), garbage in the old space at thousands of attempts a second.
function event(scope: ApiCallScope, operation: string, cluster: string | undefined, outcome: ApiCallEvent["outcome"]): ApiCallEvent {
  return {
    operation,
    ...(scope.region !== undefined ? { region: scope.region } : {}),
    ...(scope.accountId !== undefined ? { accountId: scope.accountId } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
    outcome,
  };
}

/** A client plugin reporting each attempt to `listener`. */
// For any client: every command's input is an object and every output bears response metadata.
export function apiCallCounterPlugin(scope: ApiCallScope, listener: ApiCallListener): Pluggable<object, MetadataBearer> {
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> =
    (next, context: HandlerExecutionContext) => async (args: FinalizeHandlerArguments<object>) => {
      const input = args.input as { clusterName?: unknown };
      const operation = context.commandName?.replace(/Command$/, "") ?? "Unknown";
      const cluster = typeof input.clusterName === "string" ? input.clusterName : undefined;
      try {
        const out = await next(args);
        listener(event(scope, operation, cluster, "ok"));
        return out;
      } catch (err) {
        listener(event(scope, operation, cluster, outcomeOf(err)));
        throw err;
      }
    };
  return {
    applyToStack(stack) {
      stack.addRelativeTo(middleware, {
        name: "podIdentityDriftApiCallCounter",
        relation: "after",
        toMiddleware: "retryMiddleware",
        override: true,
      });
    },
  };
}
