// Reads a config file's text, refusing at once (one line naming the file, no stack trace) what is not a
// config: a missing or unreadable path, a directory, a device or pipe, a file over MAX_CONFIG_BYTES, binary
// data or text that is not UTF-8. Memory stays bounded: at most MAX_CONFIG_BYTES + 1 bytes are read, and a
// pipe is never opened for a blocking read.
import { BoundedReadError, readBoundedFile } from "../bounded-read";
import { ConfigError } from "./errors";

/**
 * The largest config read: 16 MiB. A config of 5,000 associations (EKS's limit for one cluster), each with
 * its own target role, is about 1 MB of YAML.
 */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** The environment variable naming the config file. */
export const CONFIG_ENV = "POD_IDENTITY_CONFIG";

/** The text of `file` (a leading byte order mark removed); `shown` names it in messages. */
export function readConfigText(file: string, shown: string): string {
  const fail = (problem: string): ConfigError => ConfigError.ofFile(shown, problem);
  let bytes: Buffer;
  try {
    bytes = readBoundedFile(file, MAX_CONFIG_BYTES);
  } catch (e) {
    if (!(e instanceof BoundedReadError)) throw e;
    const p = e.problem;
    switch (p.kind) {
      case "directory":
        throw fail(`is a directory, not a file; point ${CONFIG_ENV} at the YAML or JSON config file`);
      case "not-a-file":
        throw fail(`is not a regular file (a device, pipe or socket); point ${CONFIG_ENV} at a YAML or JSON config file`);
      case "too-large":
        throw fail(tooLarge(p.size));
      case "open":
        throw fail(openProblem(p.error));
    }
  }
  return decode(bytes, fail);
}

function decode(bytes: Buffer, fail: (problem: string) => ConfigError): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw fail("is UTF-16 text; save it as UTF-8 (YAML and JSON configs are read as UTF-8)");
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) throw fail(`holds binary data (a NUL byte at offset ${nul}), not YAML or JSON text; is it the right file?`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw fail("is not valid UTF-8 text; save it as UTF-8 (YAML and JSON configs are read as UTF-8)");
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function tooLarge(size: number): string {
  return `is ${(size / (1024 * 1024)).toFixed(1)} MiB, more than the ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB a config may be (5,000 associations take about 1 MB); is it the right file?`;
}

function openProblem(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ENOENT":
      return `does not exist; create it (see docs/config.md) or point ${CONFIG_ENV} at your config`;
    case "ENOTDIR":
      return `does not exist: a part of its path is a file, not a directory; check ${CONFIG_ENV}`;
    case "EACCES":
    case "EPERM":
      return "cannot be read: permission denied; give the user running synth read access to it";
    case "ELOOP":
      return "cannot be read: its symbolic links form a loop";
    case "EISDIR":
      return `is a directory, not a file; point ${CONFIG_ENV} at the YAML or JSON config file`;
    case "ENAMETOOLONG":
      return `cannot be read: its path is too long; check ${CONFIG_ENV}`;
    default:
      return `cannot be read: ${e.code ?? "error"}: ${String(e.message).split("\n")[0]}`;
  }
}
