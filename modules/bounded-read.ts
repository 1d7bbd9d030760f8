// Reads a file that may hold anything, in bounded time and memory: only a regular file is read (a FIFO is
// opened without blocking and refused, as are directories and devices), and at most `maxBytes` + 1 bytes,
// so a file that grows while it is read is still caught. Callers turn the problem into their own message.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export type ReadProblem =
  | { readonly kind: "open"; readonly error: NodeJS.ErrnoException }
  | { readonly kind: "directory" }
  | { readonly kind: "not-a-file" }
  | { readonly kind: "too-large"; readonly size: number };

export class BoundedReadError extends Error {
  public constructor(public readonly problem: ReadProblem) {
    super(problem.kind === "open" ? String(problem.error.message) : problem.kind);
    this.name = "BoundedReadError";
  }
}

/** The bytes of `file`, at most `maxBytes` of them; throws BoundedReadError. */
export function readBoundedFile(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below refuses anything but a file.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new BoundedReadError({ kind: "open", error: e as NodeJS.ErrnoException });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new BoundedReadError({ kind: "directory" });
    if (!stat.isFile()) throw new BoundedReadError({ kind: "not-a-file" });
    if (stat.size > maxBytes) throw new BoundedReadError({ kind: "too-large", size: stat.size });
    const bytes = readAtMost(fd, maxBytes + 1);
    if (bytes.length > maxBytes) throw new BoundedReadError({ kind: "too-large", size: bytes.length });
    return bytes;
  } catch (e) {
    if (e instanceof BoundedReadError) throw e;
    throw new BoundedReadError({ kind: "open", error: e as NodeJS.ErrnoException });
  } finally {
    closeSync(fd);
  }
}

function readAtMost(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.alloc(Math.min(1 << 20, limit - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}
