// State readers: every source the user named → one StateReadResult per state file, in the order given.
//
// Source forms (docs/drift-inputs.md):
//   path/to/terraform.x.tfstate   a local file, relative to `cwd`
//   file:///abs/terraform.tfstate a local file as a file URL
//   terraform.*.tfstate, a/**/x.tfstate   a glob: one result per matching file; no match is an error result
//   s3://bucket/key[?workspace=ws&workspace_key_prefix=env:&region=r]   an S3 object (see ./s3.ts)
// With no source, the default is this project's cdktf local state files: `terraform.*.tfstate` in `cwd`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isDynamicPattern } from "tinyglobby";
import type { ApiCallEvent, StateReadResult } from "../model";
import { StateReadError } from "./errors";
import { expandGlob, readLocalState, resolveLocalPath } from "./local";
import { parseState } from "./parse";
import { parseS3Uri, S3StateReader } from "./s3";

export { parseState } from "./parse";
export { parseS3Uri } from "./s3";
export { StateReadError } from "./errors";
export { instanceAddress, parseArn, parseProviderAddress } from "./addresses";

/** cdktf's local backend writes `terraform.<stack>.tfstate` in the project directory. */
export const DEFAULT_STATE_SOURCES: readonly string[] = ["terraform.*.tfstate"];

export interface ReadStateOptions {
  /** Base for relative paths and globs. @default process.cwd() */
  readonly cwd?: string;
  readonly onApiCall?: (e: ApiCallEvent) => void;
  /** S3 path-style addressing. @default the SDK's choice, or POD_IDENTITY_DRIFT_S3_FORCE_PATH_STYLE */
  readonly s3ForcePathStyle?: boolean;
  /** Sources read at once. @default 8 */
  readonly concurrency?: number;
  /** S3: each attempt (connection, headers, body). @default DEFAULT_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** S3: each source, retries and body included. @default DEFAULT_CALL_TIMEOUT_MS */
  readonly callTimeoutMs?: number;
}

type Job = { source: string; read: () => Promise<string> } | { source: string; error: StateReadError };

function failure(source: string, err: unknown): StateReadResult {
  const e = err instanceof StateReadError ? err : new StateReadError("StateUnreadable", `${source}: ${(err as Error)?.message ?? String(err)}`);
  return { ok: false, source, error: { code: e.code, message: e.message } };
}

async function expand(uri: string, cwd: string, s3: () => S3StateReader): Promise<Job[]> {
  try {
    if (uri.startsWith("s3://")) {
      const loc = parseS3Uri(uri);
      return [{ source: uri, read: () => s3().read(uri, loc) }];
    }
    if (uri.startsWith("file:")) {
      let path: string;
      try {
        path = fileURLToPath(uri);
      } catch {
        throw new StateReadError("InvalidStateSource", `${uri}: not a valid file URL (use file:///absolute/path)`);
      }
      return [{ source: uri, read: () => readLocalState(uri, path) }];
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
      throw new StateReadError("InvalidStateSource", `${uri}: unsupported state source; use a path, a glob, file://… or s3://bucket/key`);
    }
    const path = resolveLocalPath(uri, cwd);
    if (isDynamicPattern(uri) && !existsSync(path)) {
      const files = await expandGlob(uri, cwd);
      return files.map((f) => ({ source: f.source, read: () => readLocalState(f.source, f.path) }));
    }
    return [{ source: uri, read: () => readLocalState(uri, path) }];
  } catch (err) {
    return [{ source: uri, error: err instanceof StateReadError ? err : new StateReadError("InvalidStateSource", `${uri}: ${String(err)}`) }];
  }
}

/**
 * Reads every state source: one result per source, a glob yielding one per file. Never throws for a bad
 * source: it becomes `{ ok: false }` with a message naming it.
 */
export async function readStateSources(uris: readonly string[], opts: ReadStateOptions = {}): Promise<StateReadResult[]> {
  const cwd = opts.cwd ?? process.cwd();
  let reader: S3StateReader | undefined;
  const s3 = () =>
    (reader ??= new S3StateReader({
      ...(opts.s3ForcePathStyle !== undefined ? { forcePathStyle: opts.s3ForcePathStyle } : {}),
      ...(opts.onApiCall ? { onApiCall: opts.onApiCall } : {}),
      ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
      ...(opts.callTimeoutMs !== undefined ? { callTimeoutMs: opts.callTimeoutMs } : {}),
    }));
  try {
    const jobs = (await Promise.all((uris.length > 0 ? uris : DEFAULT_STATE_SOURCES).map((u) => expand(u, cwd, s3)))).flat();
    const results: StateReadResult[] = new Array(jobs.length);
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const i = next++;
        const job = jobs[i]!;
        if ("error" in job) {
          results[i] = failure(job.source, job.error);
          continue;
        }
        try {
          results[i] = { ok: true, snapshot: parseState(job.source, await job.read()) };
        } catch (err) {
          results[i] = failure(job.source, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, jobs.length)) }, worker));
    return results;
  } finally {
    reader?.destroy();
  }
}
