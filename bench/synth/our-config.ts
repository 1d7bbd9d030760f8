// Writes the workload as our app's config file (the format defined in modules/config/).
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Workload } from "../workload";

export const OUR_CONFIG_MODULE = "modules/config/schema.ts";

export function writeOurConfig(workload: Workload, path: string): void {
  if (!existsSync(join(resolve(__dirname, "..", ".."), OUR_CONFIG_MODULE))) {
    throw new Error(`${OUR_CONFIG_MODULE} does not exist yet`);
  }
  writeFileSync(path, JSON.stringify({ workload: workload.size }));
}
