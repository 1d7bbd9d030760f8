// Loaded first by the app (main.ts), before the CDK for Terraform library and zod: puts stand-ins for a few
// modules in the CommonJS module cache, so that loading and writing cost less and nothing else changes.
// - `archiver` (CDKTF) or `fflate` (CDK Terrain), for zip assets, and `semver`, for version checks, are
//   loaded when the library starts (~0.08 s of every synth on 2 cores) and mostly never called: this app has
//   no assets, and CDKTF checks versions only when it validates (synth validates itself, see ./app.ts).
//   Their stand-ins load the real package the first time anything uses them.
// - `json-stable-stringify`, with which the library writes every stack: ./stable-json.ts for the calls that
//   set no option but `space` (all of cdktf's), the package for any other.
// - zod's `locales` (~0.03 s): every language's messages, loaded with zod for `z.locales`; zod's English
//   messages, the ones used, are a module of their own.
// Where a package is not installed, nothing is done.
import Module, { createRequire } from "node:module";
import * as path from "node:path";
import { stableStringify } from "./stable-json";

/** `file`'s module, loaded the first time it is needed. */
function loader(file: string): () => unknown {
  const requireReal = createRequire(file);
  let real: unknown;
  let loaded = false;
  return () => {
    if (!loaded) {
      delete require.cache[file];
      real = requireReal(file);
      loaded = true;
    }
    return real;
  };
}

/**
 * A stand-in for a module: any use (call, construct, property) loads the real one and goes to it. For an
 * ES module compiled to CommonJS (`esModule`), reading its `__esModule` mark does not load it: TypeScript's
 * `import * as` helper reads it at once and, seeing it, keeps the module object as it is.
 */
function deferred(file: string, esModule = false): unknown {
  const load = loader(file) as () => object;
  return new Proxy(function standIn() {}, {
    apply: (_target, self, args) => Reflect.apply(load() as (...a: unknown[]) => unknown, self, args),
    construct: (_target, args) => Reflect.construct(load() as new (...a: unknown[]) => object, args),
    get: (_target, key) => (esModule && key === "__esModule" ? true : Reflect.get(load(), key)),
    has: (_target, key) => Reflect.has(load(), key),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_target, key) => Reflect.getOwnPropertyDescriptor(load(), key),
  });
}

/** The indentation `json-stable-stringify` would use for `options`, if they set nothing else (else null). */
function spaceOnly(options: unknown): string | null {
  if (options === undefined) return "";
  if (typeof options !== "object" || options === null || Object.keys(options).some((k) => k !== "space")) return null;
  const space = (options as { space?: unknown }).space;
  if (space === undefined || typeof space === "string") return space || "";
  return Number.isSafeInteger(space) && (space as number) >= 0 ? " ".repeat(space as number) : null;
}

/** `json-stable-stringify`, by ./stable-json.ts where it covers the call. */
function fastStableStringify(file: string): unknown {
  const load = loader(file) as () => (value: unknown, options?: unknown) => string | undefined;
  return function stableStringifyStandIn(value: unknown, ...rest: unknown[]): string | undefined {
    const unit = rest.length <= 1 ? spaceOnly(rest[0]) : null;
    return unit === null ? load()(value, ...rest) : stableStringify(value, unit);
  };
}

/** Where each stand-in goes: the module `name` as `from` resolves it (a package, or "." for this one). */
const STAND_INS: ReadonlyArray<{ from: string; name: string; make: (file: string) => unknown }> = [
  ...["cdktf", "cdktn"].flatMap((library) => [
    { from: library, name: "archiver", make: (file: string) => deferred(file) },
    { from: library, name: "semver", make: (file: string) => deferred(file) },
    { from: library, name: "json-stable-stringify", make: fastStableStringify },
  ]),
  // CDK Terrain zips assets in process, with fflate.
  { from: "cdktn", name: "fflate", make: (file: string) => deferred(file) },
  { from: ".", name: "zod/v4/locales", make: (file: string) => deferred(file, true) },
];

/** Caches `make(file)` as the module `name` resolves to from `from` (nothing if either is not installed). */
function standIn(from: string, name: string, make: (file: string) => unknown): void {
  let file: string;
  try {
    file = require.resolve(name, { paths: [from === "." ? __dirname : path.dirname(require.resolve(from))] });
  } catch {
    return;
  }
  if (require.cache[file] !== undefined) return; // loaded already: its users hold the real one
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = make(file);
  require.cache[file] = stub;
}

for (const { from, name, make } of STAND_INS) standIn(from, name, make);
