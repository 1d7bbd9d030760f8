// Checks on the generated module (run by the script before anything is written, and by the tests).
import * as os from "node:os";

import { CONFIGURATION_ALIASES, type ModuleFiles, type ModuleJson } from "./constants";

// A reference: var.x, local.x, data.aws_x.y or aws_x.y (not an attribute such as config.aws_x.y).
const REFERENCE = /(?<![\w.])(var|local)\.([A-Za-z_][\w-]*)|(?<![\w.])(data\.)?(aws_\w+)\.([A-Za-z_][\w-]*)/g;

/** Everything wrong with a generated module, as a reusable module for HCL callers; empty when it is fine. */
export function moduleProblems(files: ModuleFiles): string[] {
  const problems: string[] = [];
  const blocks: Record<string, unknown> = {};
  for (const [file, content] of Object.entries(files)) {
    if (!file.endsWith(".tf.json")) problems.push(`${file}: not a .tf.json file`);
    for (const [block, body] of Object.entries(content)) {
      if (blocks[block] !== undefined && block !== "resource" && block !== "data") problems.push(`${file}: block "${block}" is also in another file`);
      blocks[block] = block === "resource" || block === "data" ? { ...(blocks[block] as object), ...(body as object) } : body;
    }
  }
  const tf = blocks as ModuleJson;
  if (tf.provider !== undefined) problems.push("a provider block: the caller passes the providers in (providers = { aws.cluster = …, aws.target = … })");
  if (tf.terraform?.backend !== undefined || tf.terraform?.cloud !== undefined) problems.push("a backend: the caller's root module chooses where state lives");
  const aws = tf.terraform?.required_providers?.aws;
  if (!aws || aws.source !== "hashicorp/aws" || typeof aws.version !== "string")
    problems.push('terraform.required_providers.aws needs source "hashicorp/aws" and a version constraint');
  if (JSON.stringify([...(aws?.configuration_aliases ?? [])].sort()) !== JSON.stringify([...CONFIGURATION_ALIASES].sort())) {
    problems.push(`terraform.required_providers.aws.configuration_aliases must be ${JSON.stringify(CONFIGURATION_ALIASES)}`);
  }

  const forbidden = [process.cwd(), os.tmpdir(), os.homedir()].filter((p) => p.length > 1);
  walk(tf, [], (value, at) => {
    if (at[at.length - 1] === "//") problems.push(`${at.join(".")}: cdktf metadata ("//")`);
    if (typeof value === "string" && forbidden.some((p) => value.includes(p))) problems.push(`${at.join(".")}: an absolute path of this machine ("${value}")`);
  });

  const declared = {
    var: new Set(Object.keys(tf.variable ?? {})),
    local: new Set(Object.keys(tf.locals ?? {})),
    resource: new Set(Object.entries(tf.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName as object).map((n) => `${type}.${n}`))),
    data: new Set(Object.entries(tf.data ?? {}).flatMap(([type, byName]) => Object.keys(byName as object).map((n) => `data.${type}.${n}`))),
  };
  const used = { var: new Set<string>(), local: new Set<string>() };
  const reference = (text: string, where: string): void => {
    for (const m of text.matchAll(REFERENCE)) {
      if (m[1] === "var" || m[1] === "local") {
        const kind = m[1];
        used[kind].add(m[2]!);
        if (!declared[kind].has(m[2]!)) problems.push(`${where}: ${kind}.${m[2]} is not declared`);
      } else {
        const address = `${m[3] ?? ""}${m[4]}.${m[5]}`;
        if (!(m[3] ? declared.data : declared.resource).has(address)) problems.push(`${where}: ${address} is not declared`);
      }
    }
  };
  walk({ resource: tf.resource, data: tf.data, locals: tf.locals, output: tf.output, variable: tf.variable }, [], (value, at) => {
    if (typeof value !== "string") return;
    const where = at.join(".");
    const key = at[at.length - 1];
    if (key === "description" || key === "error_message" || key === "provider") return;
    if (at.includes("depends_on")) {
      if (value.includes("${")) problems.push(`${where}: depends_on takes a plain address, not "${value}" (Terraform refuses the interpolation form)`);
      return reference(value, where);
    }
    for (const body of interpolations(value)) reference(body, where);
  });
  for (const kind of ["var", "local"] as const) {
    for (const name of declared[kind]) if (!used[kind].has(name)) problems.push(`${kind}.${name} is declared but never used`);
  }

  for (const mode of ["resource", "data"] as const) {
    for (const [type, byName] of Object.entries(tf[mode] ?? {})) {
      for (const [name, body] of Object.entries(byName)) {
        if (!(CONFIGURATION_ALIASES as readonly unknown[]).includes(body.provider)) {
          problems.push(
            `${mode === "data" ? "data." : ""}${type}.${name}: provider is ${JSON.stringify(body.provider)}, not one of ${CONFIGURATION_ALIASES.join(", ")}`,
          );
        }
      }
    }
  }
  for (const [name, v] of Object.entries(tf.variable ?? {})) {
    if (typeof v.type !== "string" || typeof v.description !== "string" || v.description === "")
      problems.push(`variable ${name}: needs a type and a description`);
    for (const rule of v.validation ?? []) {
      if (!/^[A-Z].*[.?]$/s.test(rule.error_message ?? ""))
        problems.push(`variable ${name}: validation error_message must be a sentence (capital first, "." or "?" last)`);
      if (!/^\$\{.*\}$/s.test(rule.condition ?? "")) problems.push(`variable ${name}: validation condition must be one interpolation`);
    }
  }
  for (const [name, o] of Object.entries(tf.output ?? {})) {
    if (o.value === undefined || typeof o.description !== "string" || o.description === "") problems.push(`output ${name}: needs a value and a description`);
  }
  return problems;
}

function walk(value: unknown, at: string[], visit: (value: unknown, at: string[]) => void): void {
  visit(value, at);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, String(i)], visit));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...at, k], visit);
}

/** The bodies of the `${…}` sequences of a Terraform template (nested braces counted, `$${` skipped). */
export function interpolations(template: string): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < template.length; i++) {
    if (template.startsWith("$${", i)) {
      i += 2;
      continue;
    }
    if (!template.startsWith("${", i)) continue;
    let depth = 1;
    let j = i + 2;
    for (; j < template.length && depth > 0; j++) {
      if (template[j] === "{") depth++;
      else if (template[j] === "}") depth--;
    }
    bodies.push(template.slice(i + 2, j - 1));
    i = j - 1;
  }
  return bodies;
}
