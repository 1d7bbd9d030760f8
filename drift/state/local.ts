// Local state files: a path, a `file://` URL, or a glob of files.
import { readFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { glob } from "tinyglobby";
import { StateReadError } from "./errors";

/** Reads one state file's text; a missing or unreadable file is a StateReadError naming `source`. */
export async function readLocalState(source: string, path: string): Promise<string> {
  try {
    // Read whole, then decoded once: readFile(path, "utf8") decodes chunk by chunk into a rope that the parser
    // copies flat again (two copies of the file at once).
    return (await readFile(path)).toString("utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new StateReadError("StateNotFound", `${source}: no such state file (${path})`);
    if (code === "EISDIR") throw new StateReadError("StateUnreadable", `${source}: is a directory, not a state file`);
    if (code === "EACCES" || code === "EPERM") throw new StateReadError("StateUnreadable", `${source}: permission denied reading ${path}`);
    throw new StateReadError("StateUnreadable", `${source}: cannot read ${path} (${code ?? "error"})`);
  }
}

/**
 * The files a glob matches, sorted, as the user would name them: relative to `cwd` for a relative pattern,
 * absolute for an absolute one. Never empty: no match is a StateReadError.
 */
export async function expandGlob(pattern: string, cwd: string): Promise<Array<{ source: string; path: string }>> {
  const absolutePattern = isAbsolute(pattern);
  const matches = await glob(pattern, { cwd, absolute: true, onlyFiles: true, dot: false, expandDirectories: false });
  if (matches.length === 0) {
    throw new StateReadError("NoStateFiles", `${pattern}: no state file matches this pattern (in ${cwd})`);
  }
  return matches.sort().map((p) => ({ source: absolutePattern ? p : relative(cwd, p) || p, path: p }));
}

export function resolveLocalPath(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(join(cwd, path));
}
