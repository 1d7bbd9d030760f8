// Minimal typings for the parts of s3rver 3.x (no bundled types) that test/support/s3-server.ts uses.
declare module "s3rver" {
  import type { IncomingMessage, ServerResponse } from "node:http";
  import type { AddressInfo } from "node:net";
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }
  interface Context {
    method: string;
    path: string;
    status: number;
    get(header: string): string;
    /** Koa: false leaves the response to the middleware (it writes `res` itself). */
    respond: boolean;
    req: IncomingMessage;
    res: ServerResponse;
  }
  type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;
  class S3rver {
    constructor(options?: S3rverOptions);
    /** Koa's middleware array: composed when the server starts. */
    middleware: Middleware[];
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
  export = S3rver;
}

declare module "s3rver/lib/models/error" {
  class S3Error extends Error {
    constructor(code: string, message: string, detail?: Record<string, string>);
  }
  export = S3Error;
}
