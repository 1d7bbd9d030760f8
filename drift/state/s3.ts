// State in S3: `s3://bucket/key`, with Terraform's S3 backend workspace layout.
//
//   s3://bucket/path/terraform.tfstate                          the default workspace: the object at `key`
//   s3://bucket/path/terraform.tfstate?workspace=dev            `env:/dev/path/terraform.tfstate`
//   ...?workspace=dev&workspace_key_prefix=states               `states/dev/path/terraform.tfstate`
//   ...?region=eu-west-1                                         the client's region (else the SDK's default)
//
// Read with @aws-sdk/client-s3 and the SDK's standard configuration: credentials from the default chain,
// AWS_REGION, AWS_ENDPOINT_URL_S3 (no endpoint is ever set in code), and `followRegionRedirects` so a bucket in
// another region is still found. Retries and deadlines as for every AWS client of the check
// (drift/live/client-config.ts): each attempt, and each source's read as a whole (GetObject with its retries
// and the body), end in time. Path-style addressing: the SDK picks it by itself for an IP-address
// endpoint; for a host-name endpoint that cannot serve `bucket.host` (e.g. `localhost`), turn it on with the
// `forcePathStyle` option or POD_IDENTITY_DRIFT_S3_FORCE_PATH_STYLE=true.
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { apiCallCounterPlugin, type ApiCallListener } from "../live/api-call-counter";
import { awsClientConfig } from "../live/client-config";
import { DEFAULT_CALL_TIMEOUT_MS, withDeadline } from "../live/deadline";
import { StateReadError } from "./errors";

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  readonly region?: string;
}

export const DEFAULT_WORKSPACE_KEY_PREFIX = "env:";

export function parseS3Uri(uri: string): S3Location {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new StateReadError("InvalidStateSource", `${uri}: not a valid s3://bucket/key URI`);
  }
  const bucket = url.hostname;
  const baseKey = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!bucket || !baseKey) throw new StateReadError("InvalidStateSource", `${uri}: expected s3://bucket/key`);
  const known = new Set(["workspace", "workspace_key_prefix", "region"]);
  for (const name of url.searchParams.keys()) {
    if (!known.has(name))
      throw new StateReadError("InvalidStateSource", `${uri}: unknown parameter "${name}" (known: workspace, workspace_key_prefix, region)`);
  }
  const workspace = url.searchParams.get("workspace");
  const prefix = url.searchParams.get("workspace_key_prefix") ?? DEFAULT_WORKSPACE_KEY_PREFIX;
  const key = workspace && workspace !== "default" ? `${prefix}/${workspace}/${baseKey}` : baseKey;
  const region = url.searchParams.get("region");
  return { bucket, key, ...(region ? { region } : {}) };
}

export interface S3ReaderOptions {
  readonly forcePathStyle?: boolean;
  readonly onApiCall?: ApiCallListener;
  /** Each attempt: connection, headers and body. @default DEFAULT_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Each source: GetObject with its retries, and reading the body. @default DEFAULT_CALL_TIMEOUT_MS */
  readonly callTimeoutMs?: number;
}

/** S3 clients per region, for one read of the state sources. */
export class S3StateReader {
  private readonly clients = new Map<string, S3Client>();

  constructor(private readonly opts: S3ReaderOptions = {}) {}

  private client(region: string | undefined): S3Client {
    const k = region ?? "";
    let c = this.clients.get(k);
    if (!c) {
      const envPathStyle = process.env.POD_IDENTITY_DRIFT_S3_FORCE_PATH_STYLE;
      const forcePathStyle = this.opts.forcePathStyle ?? (envPathStyle !== undefined ? /^(1|true|yes)$/i.test(envPathStyle) : undefined);
      c = new S3Client({
        ...(region ? { region } : {}),
        followRegionRedirects: true,
        ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
        ...awsClientConfig(this.opts.requestTimeoutMs),
      });
      if (this.opts.onApiCall) c.middlewareStack.use(apiCallCounterPlugin({ ...(region ? { region } : {}) }, this.opts.onApiCall));
      this.clients.set(k, c);
    }
    return c;
  }

  async read(source: string, loc: S3Location): Promise<string> {
    const where = `s3://${loc.bucket}/${loc.key}`;
    try {
      return await withDeadline(
        "call",
        "GetObject and reading its body did not complete, retries included,",
        this.opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
        async (abortSignal) => {
          const out = await this.client(loc.region).send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }), { abortSignal });
          if (!out.Body) return "";
          return await out.Body.transformToString("utf8");
        },
      );
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      switch (e.name) {
        case "NoSuchKey":
          throw new StateReadError("NoSuchKey", `${source}: no state object at ${where} (NoSuchKey); check the key and the workspace`);
        case "NoSuchBucket":
          throw new StateReadError("NoSuchBucket", `${source}: bucket "${loc.bucket}" does not exist (NoSuchBucket)`);
        case "AccessDenied":
          throw new StateReadError(
            "AccessDenied",
            `${source}: access denied reading ${where} (AccessDenied); the credentials need s3:GetObject on it (and s3:ListBucket to tell a missing key from a denied one)`,
          );
        default: {
          const message = (e.message ?? "").split("\n")[0]!.trim(); // the SDK may append a hint on a second line
          throw new StateReadError(e.name || "StateUnreadable", `${source}: cannot read ${where}: ${e.name}${message ? `: ${message}` : ""}`);
        }
      }
    }
  }

  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
