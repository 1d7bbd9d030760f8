// Reads the config file (YAML or JSON), validates it against ./schema.ts and reports every problem at once,
// each as `<file>: <path>: <message>` (e.g. `pod-identity.yaml: associations[3].serviceAccount: …`).
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { load, YAMLException } from "js-yaml";
import type { z } from "zod";
import { configSchema, type PodIdentityConfig } from "./schema";

/** The environment variable naming the config file. */
export const CONFIG_ENV = "POD_IDENTITY_CONFIG";
/** The config file used when POD_IDENTITY_CONFIG is not set (relative to the project root). */
export const DEFAULT_CONFIG_FILE = "pod-identity.yaml";

/** Every problem found in a config file. Its message lists them all, one per line. */
export class ConfigError extends Error {
  public constructor(
    public readonly file: string,
    public readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The config file's path: $POD_IDENTITY_CONFIG, else pod-identity.yaml in `projectRoot`. */
export function configPath(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[CONFIG_ENV];
  return path.resolve(projectRoot, fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_CONFIG_FILE);
}

/** Reads and validates a config file; throws ConfigError listing every problem. */
export function loadConfig(file: string): PodIdentityConfig {
  const shown = path.relative(process.cwd(), file) || file;
  if (!existsSync(file)) {
    throw new ConfigError(shown, [`the file does not exist; create it (see docs/config.md) or point ${CONFIG_ENV} at your config`]);
  }
  return parseConfig(readFileSync(file, "utf8"), shown);
}

/** Parses and validates config text (YAML, which includes JSON); `file` is used in messages. */
export function parseConfig(text: string, file: string): PodIdentityConfig {
  let raw: unknown;
  if (file.endsWith(".json")) {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(file, [`not valid JSON: ${(e as Error).message}`]);
    }
  } else {
    try {
      raw = load(text);
    } catch (e) {
      if (!(e instanceof YAMLException)) throw e;
      const at = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : "";
      throw new ConfigError(file, [`not valid YAML${at}: ${e.reason}`]);
    }
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(file, formatIssues(result.error.issues));
  return result.data;
}

/** `associations[3].serviceAccount: message`, in document order, without duplicates. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines = issues.flatMap((issue) => {
    if (issue.code === "invalid_union" && "errors" in issue && Array.isArray(issue.errors)) {
      // Report the branch that got furthest rather than "Invalid input".
      const branches = (issue.errors as z.core.$ZodIssue[][]).filter((b) => b.length > 0);
      if (branches.length > 0) {
        const best = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
        return formatIssues(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
      }
    }
    if (issue.code === "invalid_type" && / received undefined$/.test(issue.message)) {
      return [`${formatPath(issue.path)}: required (${issue.expected === "record" ? "a map" : `a${/^[aeio]/.test(issue.expected) ? "n" : ""} ${issue.expected}`}); add it`];
    }
    return [`${formatPath(issue.path)}: ${issue.message}`];
  });
  return [...new Set(lines)];
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(...issues.map((i) => i.path.length));
}

/** `["associations", 3, "serviceAccount"]` → `associations[3].serviceAccount`; the root is `(top level)`. */
export function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return "(top level)";
  return p
    .map((k, i) => (typeof k === "number" ? `[${k}]` : /^[A-Za-z_$][\w$-]*$/.test(String(k)) ? `${i === 0 ? "" : "."}${String(k)}` : `[${JSON.stringify(String(k))}]`))
    .join("");
}
