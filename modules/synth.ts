// `npx cdktf synth` / `tsx main.ts` end to end, as a function: load the config, read what was there before
// (the stacks' state files at the project root; with S3, else the last synthesized output), build the stacks,
// validate, synthesize. Every problem is written (all of them, naming the file and the field) and 1 returned
// before anything is written; main.ts only wires it to the process.
import { existsSync, rmdirSync } from "node:fs";
import * as path from "node:path";
import { buildApp, validateApp, warningsOf } from "./app";
import { ConfigError, configPath, displayPath, loadConfig } from "./config/load";
import { withoutTokenCreationStacks } from "./late";
import { PreviousStateError, readPreviousDeployment } from "./refactoring/previous";

/** Set to 1 to synthesize even where a resource that only moved would be destroyed and created again. */
export const ALLOW_REPLACE_ENV = "POD_IDENTITY_ALLOW_REPLACE";

export interface SynthRun {
  /** The project root: the config and local state files are found relative to it. */
  readonly projectRoot: string;
  /** Where POD_IDENTITY_CONFIG, POD_IDENTITY_ALLOW_REPLACE, CDKTF_OUTDIR and CDKTF_CONTEXT_JSON are read. */
  readonly env: NodeJS.ProcessEnv;
  /** Receives what a user must read (problems, warnings), line by line. */
  readonly stderr: (text: string) => void;
}

/** Synthesizes the config's stacks; 0 when written, 1 (nothing written) when the config has a problem. */
export function runSynth(run: SynthRun): number {
  const file = configPath(run.projectRoot, run.env);
  const shown = displayPath(file, run.projectRoot);
  const fail = (message: string): number => {
    run.stderr(`${message}\nNothing was synthesized.\n`);
    return 1;
  };
  let config;
  try {
    config = loadConfig(file, shown);
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }
  const outdir = path.resolve(run.projectRoot, run.env.CDKTF_OUTDIR || "cdktf.out");
  let previous;
  try {
    const accountIds = Object.fromEntries(Object.entries(config.accounts).map(([k, a]) => [k, a.accountId]));
    previous = readPreviousDeployment({
      projectRoot: run.projectRoot,
      outdir,
      outputs: config.backend.type !== "local",
      accountIds,
      show: (f) => displayPath(f, run.projectRoot),
    });
  } catch (e) {
    if (e instanceof PreviousStateError)
      return fail(`${e.message}; synth reads it to keep resources that move, so fix it, or move it away if it is not this project's state`);
    throw e;
  }
  const created = [outdir, path.join(outdir, "stacks")].filter((d) => !existsSync(d));
  const { app } = withoutTokenCreationStacks(() =>
    buildApp(config, { outdir, projectRoot: run.projectRoot, validatedByCaller: true, previous, allowReplace: run.env[ALLOW_REPLACE_ENV] === "1" }),
  );
  const errors = validateApp(app);
  if (errors.length > 0) {
    // The App constructor creates (empty) output directories: remove the ones it created.
    for (const d of created.reverse()) if (existsSync(d)) rmdirSync(d);
    return fail(new ConfigError(shown, errors).message);
  }
  // The cdktf CLI prints every warning annotation itself (as `WARN [stack/path]: …`) and labels whatever the
  // app writes to stderr [ERROR]: under the CLI (which sets CDKTF_CONTEXT_JSON) the app leaves them to it.
  if (run.env.CDKTF_CONTEXT_JSON === undefined) for (const w of warningsOf(app)) run.stderr(`warning: ${w}\n`);
  app.synth();
  return 0;
}
