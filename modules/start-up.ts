// Loaded first by the app (main.ts), before the CDK for Terraform library: puts stand-ins for three of the
// library's own dependencies in the CommonJS module cache, so that its load and its output cost less and
// nothing else changes.
// - `archiver` (zip assets) and `semver` (binary version checks) are loaded when the library starts (~0.08 s
//   of every synth on 2 cores) and never called here: cdktf zips assets in a child process of its own (and
//   this app has none), and the version checks run only when cdktf validates (synth validates itself, see
//   ./app.ts). Their stand-ins load the real package the first time anything uses them.
// - `json-stable-stringify`, with which the library writes every stack: ./stable-json.ts for the calls that
//   set no option but `space` (all of cdktf's), the package for any other.
// Where the library or a package is not installed, nothing is done.
import Module, { createRequire } from "node:module";
import * as path from "node:path";
import { stableStringify } from "./stable-json";

/** CDKTF, and CDK Terrain (its continuation, same dependencies). */
const LIBRARIES = ["cdktf", "cdktn"];

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

/** A stand-in for a module: any use (call, construct, property) loads the real one and goes to it. */
function deferred(file: string): unknown {
  const load = loader(file) as () => object;
  return new Proxy(function standIn() {}, {
    apply: (_target, self, args) => Reflect.apply(load() as (...a: unknown[]) => unknown, self, args),
    construct: (_target, args) => Reflect.construct(load() as new (...a: unknown[]) => object, args),
    get: (_target, key) => Reflect.get(load(), key),
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

const STAND_INS: Record<string, (file: string) => unknown> = {
  archiver: deferred,
  semver: deferred,
  "json-stable-stringify": fastStableStringify,
};

/** Caches `makeStandIn(file)` as the module `name` resolves to from `library`. */
function standIn(library: string, name: string, makeStandIn: (file: string) => unknown): void {
  let file: string;
  try {
    file = require.resolve(name, { paths: [path.dirname(require.resolve(library))] });
  } catch {
    return;
  }
  if (require.cache[file] !== undefined) return; // loaded already: the library has its own reference
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = makeStandIn(file);
  require.cache[file] = stub;
}

for (const library of LIBRARIES) for (const [name, make] of Object.entries(STAND_INS)) standIn(library, name, make);
