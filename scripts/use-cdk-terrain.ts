// Switches a checkout of this project from CDKTF to CDK Terrain (cdktn), the community continuation with the
// same API: the package names in the two files that import the CDK library and the provider bindings, the
// benchmark's naive and direct apps, and the dependencies. `npm run test:cdktn` applies it to a temporary copy; run it on
// your own checkout (`npx tsx scripts/use-cdk-terrain.ts`, then `npm install`) to move to CDK Terrain.
// Usage: tsx scripts/use-cdk-terrain.ts [DIR]   (default: the current directory)
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The versions of the CDK Terrain lane: cdktn-cli pins constructs 10.6.0, and cdktn allows < 10.8. */
export const CDK_TERRAIN = {
  cdktn: "0.24.0",
  "cdktn-cli": "0.24.0",
  "@cdktn/provider-aws": "25.7.0",
  constructs: "10.6.0",
} as const;

/**
 * Source files naming the CDK library or the bindings' package: the library and the app import through the
 * first two; the benchmark's naive app imports the package roots, as a user's app would, and its direct app
 * the binding classes by their deep paths.
 */
const SOURCES: readonly string[] = ["modules/terraform-cdk.ts", "modules/aws.ts", "bench/naive-app.ts", "bench/direct-app.ts"];
const RENAMES: readonly [RegExp, string][] = [
  [/"cdktf(?=["/])/g, `"cdktn`],
  [/"@cdktf\/provider-aws(?=["/])/g, `"@cdktn/provider-aws`],
];

type Manifest = Record<string, unknown> & { [k in "dependencies" | "devDependencies" | "peerDependencies"]?: Record<string, string> };

/** The same dependency table with each CDKTF package replaced by its CDK Terrain counterpart at `version`. */
function swap(deps: Record<string, string> | undefined, version: (name: keyof typeof CDK_TERRAIN) => string): Record<string, string> | undefined {
  if (deps === undefined) return undefined;
  const renamed: Record<string, string> = { cdktf: "cdktn", "cdktf-cli": "cdktn-cli", "@cdktf/provider-aws": "@cdktn/provider-aws", constructs: "constructs" };
  const out: Record<string, string> = {};
  for (const [name, range] of Object.entries(deps)) {
    const to = renamed[name] as keyof typeof CDK_TERRAIN | undefined;
    out[to ?? name] = to === undefined ? range : version(to);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function editJson(path: string, edit: (m: Manifest) => Manifest): void {
  writeFileSync(path, `${JSON.stringify(edit(JSON.parse(readFileSync(path, "utf8")) as Manifest), null, 2)}\n`);
}

export function useCdkTerrain(dir: string): void {
  for (const file of SOURCES) {
    const path = join(dir, file);
    const text = readFileSync(path, "utf8");
    const switched = RENAMES.reduce((t, [from, to]) => t.replace(from, to), text);
    if (switched === text) throw new Error(`${file}: nothing to switch (already on CDK Terrain, or the imports moved: update ${__filename})`);
    writeFileSync(path, switched);
  }
  // The project: exact versions, as everywhere in it.
  editJson(join(dir, "package.json"), (m) => ({
    ...m,
    dependencies: swap(m.dependencies, (n) => CDK_TERRAIN[n]),
    devDependencies: swap(m.devDependencies, (n) => CDK_TERRAIN[n]),
  }));
  // The library: peer ranges.
  editJson(join(dir, "modules", "package.json"), (m) => ({ ...m, peerDependencies: swap(m.peerDependencies, (n) => `^${CDK_TERRAIN[n]}`) }));
}

if (require.main === module) {
  const dir = resolve(process.argv[2] ?? ".");
  useCdkTerrain(dir);
  console.log(`${dir}: switched to CDK Terrain (cdktn ${CDK_TERRAIN.cdktn}, @cdktn/provider-aws ${CDK_TERRAIN["@cdktn/provider-aws"]}); run npm install there`);
}
