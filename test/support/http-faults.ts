// Ways a server (or whatever sits between a client and it) misbehaves at the HTTP level, for the loopback
// servers of the tests: the EKS emulator and the S3 server inject these instead of answering.
//   hang            accept the request, never answer (until the client gives up)
//   stall-body      send the headers and part of the body, then nothing more
//   reset           close the connection without an answer
//   malformed-json  a complete 200 response whose JSON body is cut short
import type { IncomingMessage, ServerResponse } from "node:http";

export type HttpFault = "hang" | "stall-body" | "reset" | "malformed-json";
export const HTTP_FAULTS: readonly HttpFault[] = ["hang", "stall-body", "reset", "malformed-json"];

/**
 * Misbehave on one request instead of answering it. Resolves once the client has given up on it (its
 * connection closed), or at once for the faults that end by themselves. `body` is what a good answer would
 * have been: a stalled or malformed body is a prefix of it.
 */
export function misbehave(fault: HttpFault, req: IncomingMessage, res: ServerResponse, body: string, contentType: string): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    if (req.socket.destroyed) resolve();
    else req.socket.once("close", () => resolve());
  });
  switch (fault) {
    case "hang":
      return closed;
    case "stall-body": {
      const bytes = Buffer.from(body.length >= 16 ? body : body.padEnd(16, " "));
      res.writeHead(200, { "content-type": contentType, "content-length": String(bytes.length) });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      return closed;
    }
    case "reset":
      req.socket.destroy();
      return Promise.resolve();
    case "malformed-json": {
      const cut = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
      res.writeHead(200, { "content-type": contentType, "content-length": String(Buffer.byteLength(cut)) });
      res.end(cut);
      return Promise.resolve();
    }
  }
}
