// `npx cdktf synth` / `tsx main.ts` end to end, as a function: load the config, read what was there before
// (the stacks' state files at the project root; with S3, else the last synthesized output), build the stacks,
// validate, synthesize. Every problem is written (all of them, naming the file and the field) and 1 returned
// before anything is written; an error while building or writing removes what the run created in the output
// directory and is reported (a file system error as such, anything else as an internal error). main.ts only
// wires it to the process.
import { existsSync, readdirSync, rmSync } from "node:fs";
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
  // The App constructor creates (empty) output directories, and synth writes files: a run that stops removes
  // what it created.
  const before = pathsUnder(outdir);
  try {
    const { app } = withoutTokenCreationStacks(() =>
      buildApp(config, { outdir, projectRoot: run.projectRoot, validatedByCaller: true, previous, allowReplace: run.env[ALLOW_REPLACE_ENV] === "1" }),
    );
    const errors = validateApp(app);
    if (errors.length > 0) {
      removeCreated(outdir, before);
      return fail(new ConfigError(shown, errors).message);
    }
    // The cdktf CLI prints every warning annotation itself (as `WARN [stack/path]: …`) and labels whatever the
    // app writes to stderr [ERROR]: under the CLI (which sets CDKTF_CONTEXT_JSON) the app leaves them to it.
    if (run.env.CDKTF_CONTEXT_JSON === undefined) for (const w of warningsOf(app)) run.stderr(`warning: ${w}\n`);
    app.synth();
    return 0;
  } catch (e) {
    removeCreated(outdir, before);
    // A file system error (permissions, a full disk) is the user's to fix; anything else is a bug, with its stack for the report.
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code))
      return fail(`${displayPath(outdir, run.projectRoot)}: cannot write the output: ${(e as Error).message}`);
    return fail(`internal error, please report it with the config that causes it:\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

/**
 * The paths a synth writes (`dir`, its manifest, `stacks/<stack>/<file>`): `dir` and three levels below it,
 * not deeper, so that a deployed project's `.terraform` directories are not listed on every synth.
 */
function pathsUnder(dir: string, depth = 3): Set<string> {
  const paths = new Set<string>();
  if (!existsSync(dir)) return paths;
  paths.add(dir);
  const list = (d: string, level: number): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      paths.add(p);
      if (entry.isDirectory() && level < depth) list(p, level + 1);
    }
  };
  list(dir, 1);
  return paths;
}

/** Removes the paths under `dir` (and `dir`) that were not there `before`, deepest first. */
function removeCreated(dir: string, before: ReadonlySet<string>): void {
  const created = [...pathsUnder(dir)].filter((p) => !before.has(p)).sort((a, b) => b.length - a.length);
  for (const p of created) rmSync(p, { recursive: true, force: true });
}
