// Deadlines, so that no endpoint can hold a run forever. Three, one inside the other:
//   request  one HTTP attempt: connecting, the response headers and the whole body. AttemptDeadlineHandler,
//            the request handler of every AWS client of the check (EKS, STS, S3; IAM the same way). Past it
//            the attempt fails with TimeoutError, which the SDK retries like any transient error.
//   call     one API call, every attempt and the backoff between them (`withDeadline` around a send, or
//            `startDeadline` where the caller aborts the work itself, as the scan of a cluster does).
//   cluster  the scan of one cluster, every call (drift/live/scan.ts).
// Why not the SDK's `requestTimeout`: in @smithy/node-http-handler it is cleared when the response headers
// arrive, and the body is read later, outside it: a body that stalls after the headers would hang for ever.
// Aborting the attempt's signal destroys the request (the handler listens until the request closes, i.e.
// until the body is read), and destroying the body makes its reader fail with our error.
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { NodeHttpHandlerOptions } from "@smithy/types";
import { finished, type Readable } from "node:stream";

/** One attempt: connection, headers and body. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** One call with its retries: what turns an endpoint that never answers into an error. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
/** The scan of one cluster: thousands of associations at a low quota take minutes. */
export const DEFAULT_CLUSTER_TIMEOUT_MS = 600_000;

export type DeadlineKind = "request" | "call" | "cluster";

const ERROR_NAMES: Record<DeadlineKind, string> = {
  // The SDK retries an error by this name (a transient error); the other two end the work.
  request: "TimeoutError",
  call: "CallTimeout",
  cluster: "ClusterTimeout",
};

/** The drift config setting behind each deadline, for messages. */
export const DEADLINE_SETTINGS: Record<DeadlineKind, string> = {
  request: "scan.requestTimeoutSeconds",
  call: "scan.callTimeoutSeconds",
  cluster: "scan.clusterTimeoutSeconds",
};

/** A deadline passed. `name` is TimeoutError, CallTimeout or ClusterTimeout; the message names the setting. */
export class DeadlineError extends Error {
  override readonly name: string;
  constructor(
    readonly deadline: DeadlineKind,
    what: string,
    readonly ms: number,
  ) {
    super(`${what} within ${seconds(ms)} (${DEADLINE_SETTINGS[deadline]})`);
    this.name = ERROR_NAMES[deadline];
  }
}

/** "10 s", "0.3 s". */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

type Handle = NodeHttpHandler["handle"];

/** An abort signal as the SDK defines it (@smithy/types AbortSignal), plus the reason the handler reports. */
interface AttemptSignal {
  aborted: boolean;
  reason: Error | undefined;
  onabort: (() => void) | null;
}

/**
 * A request handler that gives every attempt `timeoutMs` in all: to connect, to receive the headers and to
 * read the whole body. Wraps the SDK's Node.js handler (which it is configured like, otherwise).
 */
export class AttemptDeadlineHandler {
  readonly metadata = { handlerProtocol: "http/1.1" };
  private readonly inner: NodeHttpHandler;

  constructor(
    readonly timeoutMs: number,
    options: NodeHttpHandlerOptions = {},
  ) {
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`a request deadline must be a positive number of ms, got ${timeoutMs}`);
    this.inner = new NodeHttpHandler(options);
  }

  async handle(...[request, options = {}]: Parameters<Handle>): ReturnType<Handle> {
    const parent = options.abortSignal as AbortSignal | undefined;
    if (parent?.aborted) return this.inner.handle(request, options);
    // The SDK's own signal shape ({ aborted, onabort }), which the Node.js handler accepts: a Node.js
    // AbortController per attempt costs ~0.5 kB that often outlives a young-generation collection.
    const attempt: AttemptSignal = { aborted: false, reason: undefined, onabort: null };
    let body: Readable | undefined;
    let timedOut = false;
    const stop = (reason: Error) => {
      if (attempt.aborted) return;
      attempt.aborted = true;
      attempt.reason = reason;
      attempt.onabort?.();
      body?.destroy(reason);
    };
    const unlisten = onAbort(parent, () => stop(Object.assign(new Error("Request aborted"), { name: "AbortError", cause: parent!.reason })));
    const timer = setTimeout(() => {
      timedOut = true;
      stop(new DeadlineError("request", body === undefined ? "no response" : "the response body was not complete", this.timeoutMs));
    }, this.timeoutMs);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      unlisten();
    };
    try {
      // Object.assign, not a spread: a spread of the SDK's options object makes a hidden class per attempt.
      const out = await this.inner.handle(request, Object.assign({}, options, { abortSignal: attempt }));
      const b = out.response.body as Readable | undefined;
      if (b !== undefined && typeof b.on === "function" && !b.destroyed && !b.readableEnded) {
        body = b;
        finished(b, done);
      } else {
        done();
      }
      return out;
    } catch (e) {
      done();
      if (timedOut) throw attempt.reason;
      throw e;
    }
  }

  updateHttpClientConfig(key: keyof NodeHttpHandlerOptions, value: NodeHttpHandlerOptions[typeof key]): void {
    this.inner.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs(): NodeHttpHandlerOptions {
    return this.inner.httpHandlerConfigs();
  }

  destroy(): void {
    this.inner.destroy();
  }
}

/** Calls `listener` when `signal` aborts (a DOM AbortSignal, or the SDK's `{ aborted, onabort }` shape); returns how to stop listening. */
function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (signal === undefined) return () => undefined;
  if (typeof signal.addEventListener === "function") {
    signal.addEventListener("abort", listener, { once: true });
    return () => signal.removeEventListener("abort", listener);
  }
  const sdk = signal as unknown as { onabort: ((...args: unknown[]) => unknown) | null };
  const previous = sdk.onabort;
  sdk.onabort = (...args: unknown[]) => {
    previous?.(...args);
    listener();
  };
  return () => {
    sdk.onabort = previous;
  };
}

/**
 * Calls `onExpire` with a DeadlineError once `ms` have passed, unless the returned function is called first.
 * For work the caller stops itself when told (the scan of a cluster aborts all its requests).
 */
export function startDeadline(kind: DeadlineKind, what: string, ms: number, onExpire: (e: DeadlineError) => void): () => void {
  const timer = setTimeout(() => onExpire(new DeadlineError(kind, what, ms)), ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * Runs `task` with a signal that aborts once `ms` have passed; then rejects with a DeadlineError whatever
 * the task does with the abort. Pass the signal to the SDK call (`send(command, { abortSignal })`): it
 * stops the attempt in flight and any further retry, and a streamed body being read.
 */
export async function withDeadline<T>(kind: DeadlineKind, what: string, ms: number, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const stop = startDeadline(kind, what, ms, (e) => ac.abort(e));
  try {
    return await task(ac.signal);
  } catch (e) {
    if (ac.signal.aborted) throw ac.signal.reason;
    throw e;
  } finally {
    stop();
  }
}
