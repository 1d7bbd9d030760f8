// Checks that need a user who lacks a permission (a config file they may not read, a directory they may not
// write). Root lacks none, and CI runs the tests as root: there the check runs in a child process as the
// system user `nobody`; as any other user, in a child process as that user. Either way the same code runs
// the same way, so the test never depends on who runs it.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const REPO = resolve(__dirname, "..", "..");
const IS_ROOT = process.getuid?.() === 0;

/** The uid and gid of `name` from /etc/passwd, or undefined. */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(":") ?? [];
  return uid !== undefined && gid !== undefined ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

/**
 * As root, `user` must be able to enter every directory from `dir` up to the root (a checkout under a 0700
 * directory such as `mktemp -d` or /root is not): say so at once, with the fix, rather than fail obscurely.
 */
export function assertReachableByOtherUsers(dir: string, user: string, why: string): void {
  if (!IS_ROOT) return;
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `${why} runs as the ${user} user, which cannot enter ${d}. Run the tests from a checkout other users can reach (chmod o+x ${d}), or as a user other than root.`,
      );
    }
  }
}

/** Makes `dirs` enterable by the user the check runs as (only needed, and only done, as root). */
export function openToUnprivileged(...dirs: string[]): void {
  if (IS_ROOT) for (const d of dirs) chmodSync(d, 0o755);
}

/**
 * Runs `source` (a TypeScript module; `@repo/` in an import names this repository's root) in a child process,
 * as `nobody` when the tests run as root, and returns what it wrote to stdout as JSON.
 */
export function runUnprivileged<T>(source: string): T {
  const user = IS_ROOT ? systemUser("nobody") : undefined;
  if (IS_ROOT && user === undefined) throw new Error("tests run as root need the system user nobody (in /etc/passwd) for this check");
  assertReachableByOtherUsers(join(REPO, "node_modules"), "nobody", "this check");
  for (const d of [dirname(process.execPath), tmpdir()]) assertReachableByOtherUsers(d, "nobody", "this check");
  const dir = mkdtempSync(join(tmpdir(), "unprivileged-"));
  try {
    // The check's own directory (its script, tsx's cache) belongs to the user it runs as.
    if (user) chownSync(dir, user.uid, user.gid);
    const script = join(dir, "check.ts");
    writeFileSync(script, source.replaceAll("@repo/", `${REPO}/`), { mode: 0o644 });
    const r = spawnSync(process.execPath, ["--import", "tsx", script], {
      cwd: REPO, // where `--import tsx` is resolved
      encoding: "utf8",
      timeout: 60_000,
      // tsx keeps its cache under the temp dir, per user; HOME may not exist for nobody.
      env: { PATH: process.env.PATH, HOME: dir, TMPDIR: dir },
      ...(user ?? {}),
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`the unprivileged check exited with ${r.status ?? r.signal}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
