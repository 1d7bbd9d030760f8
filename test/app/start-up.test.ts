// modules/start-up.ts and modules/stable-json.ts: the app's stand-ins for modules of cdktf (or cdktn) and zod
// change how fast it synthesizes, never what it writes or what works.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { stableStringify } from "../../modules/stable-json";
import { TERRAFORM_CDK } from "../../modules/terraform-cdk";

const ROOT = path.join(__dirname, "..", "..");
const run = promisify(execFile);
const fromLibrary = createRequire(createRequire(path.join(ROOT, "package.json")).resolve(TERRAFORM_CDK));
/** json-stable-stringify, which CDKTF writes with (CDK Terrain uses safe-stable-stringify, which needs no stand-in). */
const realStableStringify = { cdktf: true, cdktn: false }[TERRAFORM_CDK]
  ? (fromLibrary("json-stable-stringify") as (value: unknown, options?: unknown) => string | undefined)
  : undefined;

/** A deterministic generator (mulberry32), so that a failure can be rerun. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ["a", "B", "_", "10", "9", "é", "\u2028", "key with space", '"quoted"', "Z", "aa", "", "toJSON"];
const LEAVES: unknown[] = [0, -1.5, 1e21, NaN, Infinity, true, false, null, undefined, "", "text", 'q"uo\\te', "\n\t\u0001", "日本", () => 1, Symbol("s")];

/** A random JSON-like value: nested objects and arrays (empty ones too), every kind of leaf, Dates and toJSON objects. */
function value(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 4 || pick < 0.35) return LEAVES[Math.floor(next() * LEAVES.length)];
  if (pick < 0.4) return new Date(Math.floor(next() * 2e12));
  if (pick < 0.43) {
    const n = Math.floor(next() * 10);
    return { toJSON: () => ({ from: "toJSON", n }) };
  }
  const size = Math.floor(next() * 5);
  if (pick < 0.7) return Array.from({ length: size }, () => value(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) object[KEYS[Math.floor(next() * KEYS.length)]!] = value(next, depth + 1);
  return object;
}

describe.runIf(realStableStringify !== undefined)("stableStringify, in place of CDKTF's json-stable-stringify", () => {
  const reference = realStableStringify!;

  it("writes what json-stable-stringify writes, with and without indentation", () => {
    const next = random(13);
    for (let i = 0; i < 3_000; i++) {
      const v = value(next, 0);
      expect(stableStringify(v, "  ")).toBe(reference(v, { space: 2 }));
      expect(stableStringify(v, "\t")).toBe(reference(v, { space: "\t" }));
      expect(stableStringify(v)).toBe(reference(v));
    }
  });

  it("rejects a cycle as json-stable-stringify does", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => reference(cyclic, { space: 2 })).toThrow(TypeError);
    expect(() => stableStringify(cyclic, "  ")).toThrow(new TypeError("Converting circular structure to JSON"));
    const shared = { x: 1 };
    expect(stableStringify({ a: shared, b: [shared, shared] }, "  ")).toBe(reference({ a: shared, b: [shared, shared] }, { space: 2 }));
  });
});

describe("the app's start-up", () => {
  /** The deferred packages' files (zod's English messages are loaded as they are, and used). */
  const DEFERRED = /[\\/]node_modules[\\/](?:archiver|semver|fflate|zod[\\/]v4[\\/]locales(?![\\/]en\.))[\\/]/;
  /** JavaScript listing the deferred packages' files loaded for real: a stand-in is a Proxy cached under the package's file. */
  /** JavaScript naming the function cached as json-stable-stringify (CDKTF writes with it; CDK Terrain has none). */
  const STRINGIFY_IN_USE = `stringify: Object.entries(require.cache).filter(([f]) => /json-stable-stringify[\\\\/]index\\.js$/.test(f)).map(([, m]) => m.exports.name)`;
  const REAL_LOADS = `Object.entries(require.cache).filter(([f, m]) => ${DEFERRED}.test(f) && !require("node:util").types.isProxy(m.exports)).map(([f]) => f)`;

  it("synthesizes exactly the golden files, without loading the deferred packages", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "start-up-"));
    try {
      // The launcher as cdktf.json runs it (in a project directory laid out as the golden test's), with a
      // preload that records the modules loaded.
      const loaded = path.join(out, "loaded.json");
      const preload = path.join(out, "preload.cjs");
      writeFileSync(
        preload,
        `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(loaded)}, JSON.stringify({ all: Object.keys(require.cache), real: ${REAL_LOADS}, ${STRINGIFY_IN_USE} })));`,
      );
      await run(process.execPath, ["--require", preload, path.join(ROOT, "bin", "run-ts.cjs"), path.join(ROOT, "main.ts")], {
        cwd: out,
        env: { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: path.join(out, "cdktf.out"), POD_IDENTITY_CONFIG: path.join(ROOT, "pod-identity.yaml") },
      });
      const stacks = readdirSync(path.join(out, "cdktf.out", "stacks"));
      expect(stacks.map((s) => `${s}.cdk.tf.json`).sort()).toEqual(readdirSync(path.join(__dirname, "golden")).sort());
      for (const stack of stacks) {
        const text = readFileSync(path.join(out, "cdktf.out", "stacks", stack, "cdk.tf.json"), "utf8");
        const golden = readFileSync(path.join(__dirname, "golden", `${stack}.cdk.tf.json`), "utf8");
        expect(text.replace(/"version": "[^"]+"/, ""), stack).toBe(golden.replace(/"version": "[^"]+"/, ""));
      }
      const modules = JSON.parse(readFileSync(loaded, "utf8")) as { all: string[]; real: string[]; stringify: string[] };
      expect(modules.all.some((m) => m.includes(`${path.sep}${TERRAFORM_CDK}${path.sep}`))).toBe(true);
      expect(modules.all.filter((m) => DEFERRED.test(m)).length).toBeGreaterThan(0);
      expect(modules.real).toEqual([]);
      // CDKTF wrote the stacks through ./stable-json.ts.
      expect(modules.stringify).toEqual({ cdktf: ["stableStringifyStandIn"], cdktn: [] }[TERRAFORM_CDK]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it("loads the deferred modules for real when they are used", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "start-up-"));
    try {
      const script = path.join(out, "use.cjs");
      writeFileSync(
        script,
        [
          `require(${JSON.stringify(path.join(ROOT, "modules", "start-up.ts"))});`,
          `const { createRequire } = require("node:module");`,
          `const fromLibrary = createRequire(require.resolve(${JSON.stringify(TERRAFORM_CDK)}, { paths: [${JSON.stringify(ROOT)}] }));`,
          `fromLibrary(${JSON.stringify(TERRAFORM_CDK)});`,
          `const before = ${REAL_LOADS}.length;`,
          `const semver = fromLibrary("semver");`,
          // CDKTF's zip package is called, and has properties; CDK Terrain's has functions.
          {
            cdktf: `const zips = typeof fromLibrary("archiver")("zip", { zlib: { level: 9 } }).pipe === "function" && fromLibrary("archiver").isRegisteredFormat("zip");`,
            cdktn: `const zips = fromLibrary("fflate").zipSync({ a: fromLibrary("fflate").strToU8("x") }).length > 0;`,
          }[TERRAFORM_CDK],
          `const { z } = createRequire(${JSON.stringify(path.join(ROOT, "package.json"))})("zod");`,
          `const french = z.string().safeParse(1, { error: z.locales.fr().localeError }).error.issues[0].message;`,
          `const after = ${REAL_LOADS}.length;`,
          `console.log(JSON.stringify({ before, satisfies: semver.satisfies("1.5.7", ">=1.5"), zips, french, after }));`,
        ].join("\n"),
      );
      const { stdout } = await run(process.execPath, ["--import", "tsx", script], { cwd: ROOT });
      const used = JSON.parse(stdout) as Record<string, unknown>;
      expect(used).toMatchObject({ before: 0, satisfies: true, zips: true });
      expect(used.french).toMatch(/attendu/i);
      expect(used.after).toBeGreaterThan(40);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
