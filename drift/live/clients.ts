// One EKSClient per (account, region), reused for every cluster there.
//
// Credentials: the SDK's default chain, or, for an account with a reader role, temporary credentials from
// STS AssumeRole (`fromTemporaryCredentials`, the default chain as the source credentials).
// Endpoints and regions come from the SDK's standard configuration (AWS_ENDPOINT_URL_EKS / _STS, AWS_REGION,
// shared config); no endpoint is ever set here.
// Retries and the deadline of every attempt: ./client-config.ts.
// Pacing: each client has its own Pacer (./pacer.ts), i.e. one per (account, region), in front of every
// attempt: at `requestsPerSecond` when set, else adaptive from the first throttle on (unless the user chose
// AWS_RETRY_MODE=adaptive: then the SDK's limiter alone).
import { EKSClient } from "@aws-sdk/client-eks";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { MetadataBearer, Pluggable } from "@smithy/types";
import type { AccountReader } from "../model";
import { apiCallCounterPlugin, type ApiCallListener } from "./api-call-counter";
import { awsClientConfig } from "./client-config";
import { Pacer, pacerPlugin } from "./pacer";

export const DEFAULT_SESSION_NAME = "pod-identity-drift";

export interface EksClientPoolOptions {
  readonly accountReaders?: Readonly<Record<string, AccountReader>>;
  /** Per attempt (connection, headers and body); an attempt past it fails with TimeoutError and is retried like any transient error. @default DEFAULT_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** EKS requests per second per (account, region), retries included. @default adaptive (see ./pacer.ts) */
  readonly requestsPerSecond?: number;
}

export class EksClientPool {
  private readonly clients = new Map<string, EKSClient>();
  private readonly pacers = new Map<string, Pacer>();
  private readonly listeners = new Set<ApiCallListener>();
  private readonly emit: ApiCallListener = (e) => {
    for (const l of this.listeners) l(e);
  };

  constructor(private readonly opts: EksClientPoolOptions = {}) {
    if (opts.requestsPerSecond !== undefined) new Pacer({ requestsPerSecond: opts.requestsPerSecond }); // validates it up front
  }

  /** Receives every attempt of every client of this pool, until the returned function is called. */
  subscribe(listener: ApiCallListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(accountId: string | undefined, region: string): EKSClient {
    const key = `${accountId ?? ""}|${region}`;
    let client = this.clients.get(key);
    if (client) return client;
    const scope = { ...(region ? { region } : {}), ...(accountId ? { accountId } : {}) };
    const reader = accountId ? this.opts.accountReaders?.[accountId] : undefined;
    const credentials = reader ? readerCredentials(reader, region, this.opts.requestTimeoutMs, apiCallCounterPlugin(scope, this.emit)) : undefined;
    client = new EKSClient({
      ...(region ? { region } : {}),
      ...(credentials ? { credentials } : {}),
      ...awsClientConfig(this.opts.requestTimeoutMs),
    });
    client.middlewareStack.use(apiCallCounterPlugin(scope, this.emit));
    // Added after the counter, so it runs first: an attempt is counted when the pacer lets it go.
    // With no rate and the user's AWS_RETRY_MODE=adaptive, the SDK's own rate limiter paces alone.
    const pacer = new Pacer(
      this.opts.requestsPerSecond !== undefined ? { requestsPerSecond: this.opts.requestsPerSecond } : { adaptive: process.env.AWS_RETRY_MODE !== "adaptive" },
    );
    client.middlewareStack.use(pacerPlugin(pacer));
    this.pacers.set(key, pacer);
    this.clients.set(key, client);
    return client;
  }

  /** The pacer of one (account, region), once its client exists. */
  pacer(accountId: string | undefined, region: string): Pacer | undefined {
    return this.pacers.get(`${accountId ?? ""}|${region}`);
  }

  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
    this.pacers.clear();
  }
}

/**
 * Temporary credentials of an account's reader role (STS AssumeRole, the default chain as the source), for any
 * client of the check; `counter` reports the STS calls. Errors say they came from assuming the reader role.
 */
export function readerCredentials(
  reader: AccountReader,
  region: string | undefined,
  requestTimeoutMs: number | undefined,
  counter: Pluggable<object, MetadataBearer>,
) {
  return namingRole(
    reader.roleArn,
    fromTemporaryCredentials({
      params: {
        RoleArn: reader.roleArn,
        RoleSessionName: reader.sessionName ?? DEFAULT_SESSION_NAME,
        ...(reader.externalId ? { ExternalId: reader.externalId } : {}),
      },
      clientConfig: { ...(region ? { region } : {}), ...awsClientConfig(requestTimeoutMs) },
      clientPlugins: [counter],
    }),
  );
}

/** A credential provider whose errors say they came from assuming the reader role (a timeout of STS, say). */
function namingRole<T>(roleArn: string, provider: () => Promise<T>): () => Promise<T> {
  return async () => {
    try {
      return await provider();
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith("reader role ")) e.message = `reader role ${roleArn}: ${e.message}`;
      throw e;
    }
  };
}
