// Reading the drift config: YAML or JSON, validated against the schema; every problem is reported at once,
// each with its path in the file, so a user fixes them in one go.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { load, YAMLException } from "js-yaml";
import type { z } from "zod";
import { driftConfigSchema, type DriftConfig } from "./schema";

/** File names looked for in the working directory when no --config is given, in this order. */
export const DEFAULT_CONFIG_FILES = ["drift.yaml", "drift.yml", "drift.json"] as const;

/** A drift config that cannot be used. `message` lists every problem; `problems` has them one by one. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string | undefined,
    readonly problems: readonly string[],
  ) {
    const where = file ?? "drift config";
    super(problems.length === 1 ? `${where}: ${problems[0]}` : `${where} has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/**
 * Load the drift config from `path`, or from the first of DEFAULT_CONFIG_FILES in `cwd`; with neither,
 * the defaults (state: CDKTF's local state files). Throws ConfigError.
 */
export function loadDriftConfig(path?: string, cwd: string = process.cwd()): DriftConfig {
  const file = path !== undefined ? resolve(cwd, path) : DEFAULT_CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  if (file === undefined) return parseDriftConfig({}, undefined, cwd);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file; check --config"
        : code === "EISDIR"
          ? "is a directory, not a file"
          : code === "EACCES"
            ? "permission denied"
            : String((e as Error).message);
    throw new ConfigError(file, [why]);
  }
  let data: unknown;
  try {
    data = load(text) ?? {};
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    const at = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : "";
    throw new ConfigError(file, [`not valid YAML/JSON${at}: ${e.reason}`]);
  }
  return parseDriftConfig(data, file, dirname(file));
}

/** Validate already-parsed config data. `file` names it in errors; relative state paths resolve against `baseDir`. */
export function parseDriftConfig(data: unknown, file: string | undefined, baseDir: string): DriftConfig {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ConfigError(file, ["the top level must be a mapping (state:, clusters:, cache:, …)"]);
  }
  const result = driftConfigSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describeIssue));
  const config = result.data;
  return {
    ...config,
    history: { ...config.history, path: resolve(baseDir, config.history.path) },
    ...(file !== undefined ? { file } : {}),
    baseDir,
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  const at = path === "" ? "" : `${path}: `;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown field; remove it or check its spelling`).join("; ");
    case "invalid_type": {
      const input = (issue as { input?: unknown }).input;
      if (input === undefined) return `${at}required (${issue.expected})`;
      return `${at}expected ${issue.expected}, got ${describeValue(input)}`;
    }
    case "invalid_value":
      return `${at}${describeValue((issue as { input?: unknown }).input)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_key":
      return `${at}${issue.issues.map((i) => i.message).join("; ")}`;
    default:
      return `${at}${issue.message}`;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_$][\w$]*$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}
