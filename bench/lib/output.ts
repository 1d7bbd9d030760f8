// Reads a synthesized cdktf output directory: how many resources of which type, and how many bytes.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface OutputSummary {
  readonly stacks: number;
  readonly resources: Readonly<Record<string, number>>;
  readonly resourceCount: number;
  readonly bytes: number;
}

interface Manifest {
  stacks: Record<string, { synthesizedStackPath: string }>;
}

export function summarizeOutput(outdir: string): OutputSummary {
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as Manifest;
  const resources: Record<string, number> = {};
  let bytes = 0;
  let resourceCount = 0;
  const stacks = Object.values(manifest.stacks);
  for (const s of stacks) {
    const path = join(outdir, s.synthesizedStackPath);
    bytes += statSync(path).size;
    const doc = JSON.parse(readFileSync(path, "utf8")) as { resource?: Record<string, Record<string, unknown>> };
    for (const [type, byName] of Object.entries(doc.resource ?? {})) {
      const n = Object.keys(byName).length;
      resources[type] = (resources[type] ?? 0) + n;
      resourceCount += n;
    }
  }
  return { stacks: stacks.length, resources, resourceCount, bytes };
}
