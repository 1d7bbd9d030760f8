// `npm run synth:module [-- --out DIR] [-- --no-docs]`: writes the Terraform JSON module for HCL teams
// (../modules/terraform-module/) to terraform/pod-identity-chain/, where it is committed, with a README whose
// input and output tables are generated from the module, and refreshes the same tables in
// docs/terraform-module.md. `--check` writes nothing and exits 1 when either is out of date.
//
// Nothing is left half-written: the module is written to a temporary directory beside the destination and
// renamed into place; on any failure the temporary directory is removed, the previous module (if any) stays,
// a message goes to stderr and the exit code is 1.
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { MODULE_DIR, moduleFileTexts, moduleProblems, synthTerraformModule, updateDocs, type ModuleFiles } from "../modules/terraform-module";

const ROOT = path.join(__dirname, "..");
const DOCS = path.join(ROOT, "docs", "terraform-module.md");

interface Options {
  readonly out: string;
  readonly docs: boolean;
  readonly check: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Options {
  let out = path.join(ROOT, MODULE_DIR);
  let docs = true;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--out") {
      const value = argv[++i];
      if (!value) throw new UsageError("--out needs a directory");
      out = path.resolve(value);
    } else if (arg.startsWith("--out=")) out = path.resolve(arg.slice("--out=".length));
    else if (arg === "--no-docs") docs = false;
    else if (arg === "--check") check = true;
    else throw new UsageError(`unknown argument "${arg}" (usage: synth-module [--out DIR] [--no-docs] [--check])`);
  }
  return { out, docs, check };
}

/** Writes the module's files (+ README.md) to `out`, replacing what was there, through a temporary sibling directory. */
function writeModule(out: string, files: ModuleFiles): void {
  const parent = path.dirname(out);
  mkdirSync(parent, { recursive: true });
  if (existsSync(out) && !lstatSync(out).isDirectory()) {
    throw new Error(`${out} exists and is not a directory; move it away or choose another --out`);
  }
  const tmp = mkdtempSync(path.join(parent, `.${path.basename(out)}.tmp-`));
  const old = `${tmp}.old`;
  try {
    chmodSync(tmp, 0o755);
    for (const [name, text] of Object.entries(moduleFileTexts(files))) writeFileSync(path.join(tmp, name), text);
    if (existsSync(out)) renameSync(out, old);
    try {
      renameSync(tmp, out);
    } catch (e) {
      if (existsSync(old)) renameSync(old, out);
      throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}

/** The refreshed docs/terraform-module.md, or undefined when it is missing or already current. */
function refreshedDocs(files: ModuleFiles): string | undefined {
  if (!existsSync(DOCS)) return undefined;
  const before = readFileSync(DOCS, "utf8");
  const after = updateDocs(before, files);
  return after === before ? undefined : after;
}

function writeDocs(content: string): void {
  const tmp = `${DOCS}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, DOCS);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function main(argv: readonly string[]): number {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (e) {
    return fail((e as Error).message);
  }
  try {
    const files = synthTerraformModule();
    const problems = moduleProblems(files);
    if (problems.length > 0) return fail(`the module is not valid:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    const docs = options.docs ? refreshedDocs(files) : undefined;
    if (options.check) return check(options.out, files, docs);
    writeModule(options.out, files);
    process.stdout.write(`wrote ${path.relative(process.cwd(), options.out) || "."}/ (${[...Object.keys(files), "README.md"].join(", ")})\n`);
    if (docs !== undefined) {
      try {
        writeDocs(docs);
      } catch (e) {
        process.stderr.write(`synth:module: the module was written, but ${DOCS} could not be updated: ${(e as Error).message}\n`);
        return 1;
      }
      process.stdout.write(`updated ${path.relative(process.cwd(), DOCS)}\n`);
    }
    return 0;
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}

/** Compares instead of writing: 0 when the committed module (and the docs) are what would be written. */
function check(out: string, files: ModuleFiles, docs: string | undefined): number {
  const stale = Object.entries(moduleFileTexts(files))
    .filter(([name, text]) => !existsSync(path.join(out, name)) || readFileSync(path.join(out, name), "utf8") !== text)
    .map(([name]) => path.join(path.relative(process.cwd(), out) || ".", name));
  const extra = existsSync(out)
    ? readdirSync(out)
        .filter((name) => !(name in moduleFileTexts(files)))
        .map((name) => path.join(path.relative(process.cwd(), out) || ".", name))
    : [];
  if (docs !== undefined) stale.push(path.relative(process.cwd(), DOCS));
  if (stale.length === 0 && extra.length === 0) {
    process.stdout.write(`${path.relative(process.cwd(), out) || "."}/ is up to date\n`);
    return 0;
  }
  const lines = [...stale.map((f) => `  ${f}: out of date`), ...extra.map((f) => `  ${f}: not generated`)];
  process.stderr.write(
    `synth:module: the committed module is not what the generator writes:\n${lines.join("\n")}\nRun npm run synth:module and commit the result.\n`,
  );
  return 1;
}

function fail(message: string): number {
  process.stderr.write(`synth:module: ${message}\nNothing was written.\n`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
