#!/usr/bin/env node
// Runs a TypeScript entry file (cdktf.json's app: `node bin/run-ts.cjs main.ts`) as JavaScript: the entry and
// the project files it imports are bundled by esbuild into one CommonJS file (packages stay external), cached
// under node_modules/.cache/run-ts and rebuilt when any file it was built from changes. tsx transpiles the
// same way but resolves and loads every module through its hooks, at each run: ~0.3 s more per synth for the
// ~500 modules of cdktf, the provider bindings and zod. Nothing to build by hand: the first run (and the first
// after an edit) builds, in well under a second. If the bundle cannot be built or cached, it runs under tsx.
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = process.env.RUN_TS_CACHE_DIR || path.join(ROOT, "node_modules", ".cache", "run-ts");
/** Read by esbuild for the compile settings, so a change rebuilds too. */
const SETTINGS = [path.join(ROOT, "tsconfig.json"), path.join(ROOT, "package.json")];

/** The size and modification time of a file, or null if it is gone. */
function stat(file) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

function stamp(file) {
  const s = stat(file);
  return s && `${s.size}:${s.mtimeMs}`;
}

/** The cached bundle of `entry` if every file it was built from is unchanged, else null. */
function fresh(bundle, inputsFile) {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(inputsFile, "utf8"));
  } catch {
    return null;
  }
  for (const [file, was] of Object.entries(inputs)) if (stamp(file) !== was) return null;
  return stamp(bundle) === null ? null : bundle;
}

/** Bundles `entry` into the cache (written beside, then renamed: concurrent runs never read half a file). */
function build(entry, bundle, inputsFile) {
  const esbuild = require("esbuild");
  const started = Date.now();
  const result = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    outfile: bundle,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = {};
  let settled = true;
  for (const file of [...Object.keys(result.metafile.inputs).map((f) => path.resolve(ROOT, f)), ...SETTINGS]) {
    const s = stat(file);
    inputs[file] = s && `${s.size}:${s.mtimeMs}`;
    // Saved while esbuild read it: the bundle may hold the older text, so the next run builds again.
    if (s && s.mtimeMs >= started - 1000) settled = false;
  }
  mkdirSync(CACHE, { recursive: true });
  const temp = `${bundle}.${process.pid}`;
  writeFileSync(temp, result.outputFiles[0].contents);
  renameSync(temp, bundle);
  if (settled) {
    writeFileSync(`${inputsFile}.${process.pid}`, JSON.stringify(inputs));
    renameSync(`${inputsFile}.${process.pid}`, inputsFile);
  }
  return bundle;
}

function compiled(entry) {
  const esbuildVersion = require("esbuild/package.json").version;
  const key = createHash("sha256").update(`${entry}\0${esbuildVersion}\0${process.versions.node}`).digest("hex").slice(0, 16);
  const bundle = path.join(CACHE, `${path.basename(entry, path.extname(entry))}-${key}.cjs`);
  const inputsFile = `${bundle}.inputs.json`;
  return fresh(bundle, inputsFile) ?? build(entry, bundle, inputsFile);
}

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node bin/run-ts.cjs <entry.ts> [args...]\n");
  process.exit(2);
}
const entry = path.resolve(file);
process.argv = [process.argv[0], entry, ...args];
let bundle = null;
try {
  bundle = compiled(entry);
} catch {
  // A compile error (tsx reports it with its location) or an unwritable cache: run it as before.
}
if (bundle) {
  require(bundle);
} else {
  require("tsx/cjs");
  require(entry);
}
