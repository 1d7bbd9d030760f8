// bin/run-ts.cjs, cdktf.json's app launcher: the app compiled by esbuild synthesizes what it synthesizes
// under tsx; the bundle is reused while its sources are unchanged, rebuilt after an edit, and a compile
// error is reported as tsx reports it.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const REPO = resolve(__dirname, "..", "..");
const LAUNCHER = join(REPO, "bin", "run-ts.cjs");
const run = promisify(execFile);

/** Every file under `dir`, by relative path, with its content. */
function tree(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, e.name);
    if (e.isDirectory()) Object.assign(out, tree(dir, rel));
    else out[rel] = readFileSync(join(dir, rel), "utf8");
  }
  return out;
}

// The bundle requires its packages from where it sits, so test caches live inside the project's node_modules.
mkdirSync(join(REPO, "node_modules", ".cache"), { recursive: true }); // absent after a fresh `npm ci`
const scratch = mkdtempSync(join(REPO, "node_modules", ".cache", "run-ts-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("bin/run-ts.cjs", () => {
  it("synthesizes the example exactly as tsx does", async () => {
    const out = mkdtempSync(join(tmpdir(), "run-ts-synth-"));
    try {
      const env = {
        ...process.env,
        CHECKPOINT_DISABLE: "1",
        POD_IDENTITY_CONFIG: join(REPO, "pod-identity.yaml"),
        RUN_TS_CACHE_DIR: join(scratch, "cache-main"),
      };
      await run(process.execPath, ["--import", "tsx", "main.ts"], { cwd: REPO, env: { ...env, CDKTF_OUTDIR: join(out, "tsx") } });
      await run(process.execPath, [LAUNCHER, "main.ts"], { cwd: REPO, env: { ...env, CDKTF_OUTDIR: join(out, "compiled") } });
      const compiled = tree(join(out, "compiled"));
      expect(Object.keys(compiled).filter((f) => f.endsWith("cdk.tf.json")).length).toBeGreaterThan(0);
      expect(compiled).toEqual(tree(join(out, "tsx")));
      expect(readdirSync(join(scratch, "cache-main")).filter((f) => f.endsWith(".cjs"))).toHaveLength(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it("reuses the bundle while its sources are unchanged, rebuilds after an edit, passes arguments", async () => {
    const project = join(scratch, "project");
    const cache = join(scratch, "cache-project");
    mkdirSync(project);
    writeFileSync(
      join(project, "entry.ts"),
      'import { word } from "./word";\nconst n: number = 1;\nconsole.log(`${word} ${n} ${process.argv.slice(2).join(",")}`);\n',
    );
    writeFileSync(join(project, "word.ts"), 'export const word: string = "first";\n');
    // Saved a minute ago: a file saved while (or just before) a bundle is built makes the next run build again.
    const settle = () => {
      const past = new Date(Date.now() - 60_000);
      for (const f of ["entry.ts", "word.ts"]) utimesSync(join(project, f), past, past);
    };
    settle();
    const env = { ...process.env, RUN_TS_CACHE_DIR: cache };
    const start = async () => (await run(process.execPath, [LAUNCHER, join(project, "entry.ts"), "a", "b"], { env })).stdout.trim();
    const bundle = () =>
      join(
        cache,
        readdirSync(cache).find((f) => f.endsWith(".cjs"))!,
      );

    expect(await start()).toBe("first 1 a,b");
    const built = statSync(bundle()).mtimeMs;
    expect(await start()).toBe("first 1 a,b");
    expect(statSync(bundle()).mtimeMs).toBe(built);

    writeFileSync(join(project, "word.ts"), 'export const word: string = "second";\n');
    settle();
    expect(await start()).toBe("second 1 a,b");
    expect(readFileSync(bundle(), "utf8")).toContain('"second"');
  }, 60_000);

  it("reports a compile error with its file, as tsx does", async () => {
    const project = join(scratch, "broken");
    mkdirSync(project);
    writeFileSync(join(project, "entry.ts"), "const x: number = ;\n");
    const failed = await run(process.execPath, [LAUNCHER, join(project, "entry.ts")], {
      env: { ...process.env, RUN_TS_CACHE_DIR: join(scratch, "cache-broken") },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("entry.ts");
  }, 60_000);
});
