// An S3-protocol server on 127.0.0.1 for state-in-S3 tests: s3rver (maintained npm package, filesystem
// store in a temporary directory), reached by the real @aws-sdk/client-s3 through AWS_ENDPOINT_URL_S3.
//
// The SDK picks path-style addressing by itself for an IP-address endpoint (http://127.0.0.1:PORT/bucket/key),
// so no `forcePathStyle` is needed here; with `localhost` it would try virtual-hosted `bucket.localhost`.
//
// Added on top of s3rver: a request counter, an AccessDenied fault per bucket (s3rver does not evaluate
// bucket policies), and HTTP-level misbehaviour per bucket (a hang, a stalled body, …: http-faults.ts). s3rver knows one account, access key `S3RVER` / secret `S3RVER`; other keys get
// InvalidAccessKeyId, as on S3.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import type { Socket } from "node:net";
import { join } from "node:path";
import S3rver from "s3rver";
import S3Error from "s3rver/lib/models/error";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { misbehave, type HttpFault } from "./http-faults";

export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface S3Server {
  /** `http://127.0.0.1:<port>`: set AWS_ENDPOINT_URL_S3 to it. */
  readonly endpoint: string;
  readonly port: number;
  readonly credentials: typeof S3RVER_CREDENTIALS;
  close(): Promise<void>;
  createBucket(bucket: string): Promise<void>;
  putObject(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  /** Every request on the bucket answers AccessDenied (403) until the returned function is called. */
  denyBucket(bucket: string): () => void;
  /** Every request on the bucket misbehaves this way until the returned function is called. */
  fault(bucket: string, fault: HttpFault): () => void;
  /** Requests received, optionally only those on one bucket / with one method. */
  count(filter?: { bucket?: string; method?: string }): number;
  resetCounts(): void;
}

export async function startS3Server(opts: { buckets?: readonly string[] } = {}): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), "s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    resetOnClose: true,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });
  const denied = new Set<string>();
  const faults = new Map<string, HttpFault>();
  const held = new Set<Socket>(); // connections a fault holds open: closed with the server
  const seen: Array<{ bucket: string; method: string }> = [];
  const bucketOf = (path: string) => decodeURIComponent(path.split("/")[1] ?? "");
  // Runs before s3rver's own middleware (Koa composes the array when the server starts).
  server.middleware.unshift(async (ctx, next) => {
    const bucket = bucketOf(ctx.path);
    seen.push({ bucket, method: ctx.method });
    if (denied.has(bucket)) throw new S3Error("AccessDenied", "Access Denied");
    const fault = faults.get(bucket);
    if (fault !== undefined) {
      ctx.respond = false;
      const socket = ctx.req.socket;
      held.add(socket);
      await misbehave(fault, ctx.req, ctx.res, JSON.stringify({ version: 4, terraform_version: "1.9.8", serial: 1, resources: [] }), "application/json");
      held.delete(socket);
      return;
    }
    await next();
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  // Test-side seeding client: an explicit endpoint is fine here (the product code never sets one).
  const seed = new S3Client({ region: "us-east-1", endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });

  return {
    endpoint,
    port: address.port,
    credentials: S3RVER_CREDENTIALS,
    async close() {
      seed.destroy();
      for (const socket of held) socket.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
    async createBucket(bucket) {
      await seed.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async putObject(bucket, key, body) {
      await seed.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    denyBucket(bucket) {
      denied.add(bucket);
      return () => denied.delete(bucket);
    },
    fault(bucket, fault) {
      faults.set(bucket, fault);
      return () => faults.delete(bucket);
    },
    count(filter = {}) {
      return seen.filter((r) => (filter.bucket === undefined || r.bucket === filter.bucket) && (filter.method === undefined || r.method === filter.method))
        .length;
    },
    resetCounts() {
      seen.length = 0;
    },
  };
}
