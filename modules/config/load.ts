// Loads the config file: read it (./read.ts), parse it (./parse.ts), validate it against the schema and the
// checks across fields (./check.ts), and report every problem at once, each as `<path>: <message>` under the
// file's name (e.g. `pod-identity.yaml: … associations[3].serviceAccount: …`). Nothing here throws anything
// but ConfigError for what a user wrote.
import * as path from "node:path";
import type { z } from "zod";
import { validatedConfigSchema } from "./check";
import { ConfigError } from "./errors";
import { parseConfigText } from "./parse";
import { CONFIG_ENV, readConfigText } from "./read";
import type { PodIdentityConfig } from "./schema";

export { ConfigError } from "./errors";
export { CONFIG_ENV } from "./read";

/** The config file used when POD_IDENTITY_CONFIG is not set (relative to the project root). */
export const DEFAULT_CONFIG_FILE = "pod-identity.yaml";

/** The config file's path: $POD_IDENTITY_CONFIG, else pod-identity.yaml in `projectRoot`. */
export function configPath(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[CONFIG_ENV];
  return path.resolve(projectRoot, fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_CONFIG_FILE);
}

/** How messages name a file: relative to the working directory when it is inside it, else absolute. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : path.resolve(file);
}

/** Reads and validates a config file; throws ConfigError listing every problem (`shown` names the file). */
export function loadConfig(file: string, shown: string = displayPath(file)): PodIdentityConfig {
  return parseConfig(readConfigText(file, shown), shown);
}

/** Parses and validates config text (YAML, or JSON when `file` ends in .json); `file` is used in messages. */
export function parseConfig(text: string, file: string): PodIdentityConfig {
  const { data, reservedKeys } = parseConfigText(text, file);
  const result = validatedConfigSchema.safeParse(data, { reportInput: true });
  const problems = [...reservedKeys.map((k) => `${formatPath(k.path)}: ${k.message}`), ...(result.success ? [] : formatIssues(result.error.issues))];
  if (problems.length > 0 || !result.success) throw new ConfigError(file, [...new Set(problems)]);
  return result.data;
}

/** `associations[3].serviceAccount: message`, in document order, without duplicates. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines = issues.flatMap((issue): string[] => {
    const at = formatPath(issue.path);
    switch (issue.code) {
      case "invalid_union": {
        if ("discriminator" in issue && "options" in issue) {
          // A discriminated union (backend.type, addonPolicies[i].name): the discriminator's value is the problem.
          const value = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator as string];
          const options = (issue.options as unknown[]).map((o) => JSON.stringify(o)).join(", ");
          return [`${at}: ${value === undefined ? "required" : `${describe(value)} is not allowed here`}: use ${options}`];
        }
        // Report the branch that got furthest rather than "Invalid input".
        const branches = (issue.errors as z.core.$ZodIssue[][]).filter((b) => b.length > 0);
        if (branches.length === 0) break;
        const best = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
        return formatIssues(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
      }
      case "invalid_type":
        // A message set by the field itself (e.g. the account id's "quote it") is kept.
        return [`${at}: ${issue.message.startsWith("Invalid input") ? typeProblem(issue.expected, issue.input) : issue.message}`];
      case "invalid_key":
        return issue.issues.map((i) => `${at}: ${i.message}`);
      case "unrecognized_keys":
        return issue.keys.map((k) => `${at}: unknown field "${k}" (field names are case-sensitive; see docs/config.md)`);
      case "invalid_value":
        return [`${at}: ${describe(issue.input)} is not allowed here: use ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`];
      case "too_small":
      case "too_big": {
        if (!issue.message.startsWith("Too ")) break; // a message set by the field itself
        const limit = Number(issue.code === "too_small" ? issue.minimum : issue.maximum);
        return [`${at}: ${sizeProblem(issue.code === "too_small", issue.origin, limit, issue.input)}`];
      }
    }
    return [`${at}: ${issue.message}`];
  });
  return [...new Set(lines)];
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a map",
  record: "a map",
  array: "a list",
};

/** What a field of the wrong type needs, said in YAML's terms. */
function typeProblem(expected: string, input: unknown): string {
  const wanted = EXPECTED[expected] ?? expected;
  if (input === undefined) return `required (${wanted}); add it`;
  if (input === null) return `is empty; give ${wanted}, or remove the field if it is optional`;
  if (expected === "string" && (typeof input === "number" || typeof input === "boolean")) {
    return `expected a string, but YAML read ${String(input)} as a ${typeof input} because it is not quoted; quote it: "${String(input)}"`;
  }
  return `expected ${wanted}, got ${describe(input)}`;
}

/** A value out of its bounds, said in the user's terms. */
function sizeProblem(tooSmall: boolean, origin: string, limit: number, input: unknown): string {
  switch (origin) {
    case "array":
      return tooSmall
        ? limit === 1
          ? "is empty; add at least one"
          : `needs at least ${limit} entries`
        : `has ${(input as unknown[]).length} entries, more than ${limit}`;
    case "string":
      return `${describe(input)} is ${tooSmall ? "shorter" : "longer"} than ${tooSmall ? "the minimum" : "the maximum"} of ${limit} characters`;
    default:
      return `${describe(input)} is ${tooSmall ? "less" : "more"} than ${tooSmall ? "the minimum" : "the maximum"}, ${limit}`;
  }
}

function describe(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  switch (typeof input) {
    case "string":
      return JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input);
    case "number":
    case "boolean":
      return String(input);
    case "object":
      return "a map";
    default:
      return typeof input;
  }
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(...issues.map((i) => i.path.length));
}

/** `["associations", 3, "serviceAccount"]` → `associations[3].serviceAccount`; the root is `(top level)`. */
export function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return "(top level)";
  return p
    .map((k, i) =>
      typeof k === "number" ? `[${k}]` : /^[A-Za-z_$][\w$-]*$/.test(String(k)) ? `${i === 0 ? "" : "."}${String(k)}` : `[${JSON.stringify(String(k))}]`,
    )
    .join("");
}
