// The cdktf app: load the config, build the stacks, synthesize. Any problem is printed (all of them) and
// the process exits 1 before anything is written.
import { existsSync, rmdirSync } from "node:fs";
import * as path from "node:path";
import { buildApp, validateApp, warningsOf } from "./modules/app";
import { ConfigError, configPath, loadConfig } from "./modules/config/load";

function main(): number {
  // tsx maps every stack trace back to TypeScript, and cdktf's provider classes capture one for each computed
  // attribute they create: thousands per synth. Problems are reported as messages, never as stacks.
  process.setSourceMapsEnabled(false);
  const projectRoot = process.cwd();
  const file = configPath(projectRoot);
  let config;
  try {
    config = loadConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }
  const outdir = path.resolve(projectRoot, process.env.CDKTF_OUTDIR || "cdktf.out");
  const created = [outdir, path.join(outdir, "stacks")].filter((d) => !existsSync(d));
  const { app } = buildApp(config, { outdir, projectRoot, validatedByCaller: true });
  const errors = validateApp(app);
  if (errors.length > 0) {
    // The App constructor creates (empty) output directories: remove the ones it created.
    for (const d of created.reverse()) if (existsSync(d)) rmdirSync(d);
    return fail(`${path.relative(projectRoot, file)}: ${errors.length} problem${errors.length === 1 ? "" : "s"}:\n${errors.map((m) => `  ${m}`).join("\n")}`);
  }
  for (const w of warningsOf(app)) process.stderr.write(`warning: ${w}\n`);
  app.synth();
  return 0;
}

function fail(message: string): number {
  process.stderr.write(`${message}\nNothing was synthesized.\n`);
  return 1;
}

process.exitCode = main();
