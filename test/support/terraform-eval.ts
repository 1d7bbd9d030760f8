// Plans a Terraform JSON module for concrete inputs with Terraform itself, without providers: no AWS provider
// can be installed here, but everything of the module that is not a provider's is plain Terraform (variables
// and their validation, locals, for_each/count, depends_on, preconditions, outputs), and a `terraform_data`
// resource (built into Terraform) can stand in for each AWS resource.
//
// Each module call gets a copy of the module in which:
// - every variable, local and output is as written, except the locals that read a data source: the call gives
//   their values (a local that reads a data source and anything else is refused, so nothing is skipped), and
//   the outputs that read attributes only the AWS provider computes (they are left out and listed);
// - every resource is a `terraform_data` stand-in with the same count/for_each, depends_on and preconditions,
//   whose `input` is the resource's arguments: the plan shows what each instance would be sent.
// A root module calls the copies as a caller would (a call's input may be another call's output, or UNKNOWN:
// a value known only after apply, like the ARN of a policy created in the same apply), then `terraform plan`
// and `terraform show -json` report everything. An error (a validation, a precondition, "Invalid for_each
// argument", a cycle) is Terraform's own message. It knows Terraform, not how the module was generated.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";

type Json = Record<string, any>;

/** The module's files: name → parsed .tf.json content. */
export type ModuleJson = Readonly<Record<string, Json>>;

/** An input known only after apply. */
export const UNKNOWN = "\u0000(known after apply)";

/** An input that is a Terraform expression of the root module, e.g. another call's output. */
export class TfExpression {
  public constructor(public readonly expression: string) {}
}

/** One call of the module. */
export interface ModuleCall {
  /** Input values; any string may be UNKNOWN, any value a TfExpression. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Values of the locals that read data sources, by local name. */
  readonly facts: Readonly<Record<string, unknown>>;
}

/** What the plan shows for one call. */
export interface PlannedCall {
  readonly locals: Record<string, any>;
  /** The module's outputs that the plan can show (not those reading provider-computed attributes). */
  readonly outputs: Record<string, any>;
  /**
   * By resource address (`aws_iam_role.target`): the arguments sent (known ones) of a for_each resource's
   * instances by key, of a count resource's instances as a list, or of a single resource.
   */
  readonly resources: Record<string, any>;
}

/** The outcome: the planned calls, or Terraform's error output. */
export type PlanResult = { readonly ok: true; readonly calls: Record<string, PlannedCall> } | { readonly ok: false; readonly error: string };

export function terraformVersion(): string | undefined {
  const r = terraform(tmpdir(), ["version", "-json"]);
  return r.status === 0 ? (JSON.parse(r.stdout) as { terraform_version: string }).terraform_version : undefined;
}

/** Plans the calls; throws with Terraform's message when the plan fails. */
export function planModule(files: ModuleJson, calls: Readonly<Record<string, ModuleCall>>): Record<string, PlannedCall> {
  const result = tryPlanModule(files, calls);
  if (!result.ok) throw new Error(`terraform plan failed:\n${result.error}`);
  return result.calls;
}

export function tryPlanModule(files: ModuleJson, calls: Readonly<Record<string, ModuleCall>>): PlanResult {
  const dir = mkdtempSync(join(tmpdir(), "terraform-eval."));
  try {
    const root: Json = { resource: { terraform_data: { unknown: { input: "unknown" } } }, module: {}, output: {} };
    for (const [name, call] of Object.entries(calls)) {
      const { module, outputs } = standIn(files, call.facts);
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "module.tf.json"), JSON.stringify(module, null, 2));
      root.module[name] = { source: `./${name}`, ...Object.fromEntries(Object.entries(call.variables).map(([k, v]) => [k, argument(v)])) };
      for (const output of [...outputs, "__locals"]) root.output[`${name}__${output}`] = { value: `\${module.${name}.${output}}` };
    }
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(root, null, 2));
    for (const args of [
      ["init", "-backend=false", "-input=false"],
      ["plan", "-input=false", "-lock=false", "-out=plan"],
    ]) {
      const r = terraform(dir, args);
      if (r.status !== 0) return { ok: false, error: clean(`${r.stderr}${r.error ? String(r.error) : ""}`) || clean(r.stdout) };
    }
    const show = terraform(dir, ["show", "-json", "plan"]);
    if (show.status !== 0) return { ok: false, error: clean(show.stderr) };
    return { ok: true, calls: readPlan(JSON.parse(show.stdout) as Json, Object.keys(calls)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Plans calls that should each fail, and returns Terraform's error diagnostics by call (whitespace and box
 * drawing collapsed, so a message wrapped by Terraform reads as one line). Throws when the plan succeeds.
 */
export function planErrors(files: ModuleJson, calls: Readonly<Record<string, ModuleCall>>): Record<string, string[]> {
  const result = tryPlanModule(files, calls);
  if (result.ok) throw new Error("the plan succeeded");
  const byCall: Record<string, string[]> = Object.fromEntries(Object.keys(calls).map((c) => [c, []]));
  for (const block of result.error.split("\u2577").slice(1)) {
    const text = block
      .replace(/[\u2502\u2575\u251c\u2500]/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    const call = /\bin module\.([\w-]+)\b/.exec(text)?.[1] ?? /\bon ([\w-]+)\/module\.tf\.json\b/.exec(text)?.[1];
    if (call === undefined || !(call in byCall)) throw new Error(`a diagnostic of no call: ${text}`);
    byCall[call]!.push(text);
  }
  return byCall;
}

/** Runs the `terraform` on PATH in `cwd`, offline and without any CLI configuration. */
export function terraform(cwd: string, args: readonly string[]) {
  return spawnSync("terraform", [...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null", CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" },
    timeout: 180_000,
    maxBuffer: 256 * 1024 * 1024,
  });
}

function clean(text: string): string {
  return stripVTControlCharacters(text);
}

/** A JSON input as a .tf.json argument: strings are templates there, so they are escaped. */
function argument(value: unknown): unknown {
  if (value === UNKNOWN) return "${terraform_data.unknown.output}";
  if (value instanceof TfExpression) return `\${${value.expression}}`;
  if (typeof value === "string") return value.replace(/\$\{/g, "$${").replace(/%\{/g, "%%{");
  if (Array.isArray(value)) return value.map(argument);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, argument(v)]));
  return value;
}

const STAND_IN_TYPE = "terraform_data";
const META_ARGUMENTS = new Set(["provider", "depends_on", "lifecycle", "count", "for_each"]);
const standInName = (address: string): string => address.replace(".", "__");

/** The module with stand-ins, as described above; `outputs` are the module outputs it keeps. */
export function standIn(files: ModuleJson, facts: Readonly<Record<string, unknown>>): { module: Json; outputs: string[] } {
  const tf: Json = {};
  for (const content of Object.values(files)) {
    for (const [block, body] of Object.entries(content)) {
      tf[block] = block === "resource" || block === "data" ? mergeTypes(tf[block], body) : { ...tf[block], ...body };
    }
  }
  const locals: Json = {};
  for (const [name, value] of Object.entries((tf.locals ?? {}) as Json)) {
    const text = JSON.stringify(value);
    if (!/\bdata\./.test(text)) locals[name] = value;
    else if (!/^"\$\{data\.[\w.-]+\}"$/.test(text)) throw new Error(`local.${name} reads a data source and more: ${text}`);
    else if (!(name in facts)) throw new Error(`local.${name} reads a data source: the call must give its value`);
    else locals[name] = facts[name];
  }
  const addresses = Object.entries((tf.resource ?? {}) as Json).flatMap(([type, byName]) => Object.keys(byName as Json).map((n) => `${type}.${n}`));
  const references = (text: string): boolean => addresses.some((a) => new RegExp(`(?<![\\w.])${a.replace(".", "\\.")}\\b`).test(text));
  const dependsOn = (list: unknown): string[] | undefined =>
    Array.isArray(list) ? list.map((d: string) => (addresses.includes(d) ? `${STAND_IN_TYPE}.${standInName(d)}` : d)) : undefined;

  const resources: Json = {};
  for (const address of addresses) {
    const [type, name] = address.split(".") as [string, string];
    const body = tf.resource[type][name] as Json;
    const args = Object.fromEntries(Object.entries(body).filter(([k]) => !META_ARGUMENTS.has(k)));
    if (references(JSON.stringify(args))) throw new Error(`${address}: an argument reads another resource; the stand-ins cannot compute it`);
    resources[standInName(address)] = {
      input: args,
      ...Object.fromEntries(Object.entries(body).filter(([k]) => k === "count" || k === "for_each" || k === "lifecycle")),
      ...(body.depends_on ? { depends_on: dependsOn(body.depends_on) } : {}),
    };
  }
  const outputs: Json = {};
  for (const [name, o] of Object.entries((tf.output ?? {}) as Json)) {
    if (references(JSON.stringify(o.value))) continue;
    outputs[name] = { ...o, ...(o.depends_on ? { depends_on: dependsOn(o.depends_on) } : {}) };
  }
  outputs.__locals = {
    value: `\${{ ${Object.keys(locals)
      .map((n) => `${JSON.stringify(n)} = local.${n}`)
      .join(", ")} }}`,
  };
  return {
    module: { variable: tf.variable ?? {}, locals, ...(addresses.length > 0 ? { resource: { [STAND_IN_TYPE]: resources } } : {}), output: outputs },
    outputs: Object.keys(outputs).filter((o) => o !== "__locals"),
  };
}

function mergeTypes(a: Json | undefined, b: Json): Json {
  const out: Json = { ...(a ?? {}) };
  for (const [type, byName] of Object.entries(b)) out[type] = { ...(out[type] ?? {}), ...(byName as Json) };
  return out;
}

function readPlan(plan: Json, calls: readonly string[]): Record<string, PlannedCall> {
  const result: Record<string, PlannedCall> = {};
  const outputs = (plan.planned_values?.outputs ?? {}) as Json;
  for (const call of calls) {
    const mine = Object.entries(outputs).filter(([k]) => k.startsWith(`${call}__`));
    const value = (k: string): unknown => outputs[`${call}__${k}`]?.value;
    const resources: Json = {};
    const module = ((plan.planned_values?.root_module?.child_modules ?? []) as Json[]).find((m) => m.address === `module.${call}`);
    for (const r of (module?.resources ?? []) as Json[]) {
      const address = (r.name as string).replace("__", ".");
      const input = r.values?.input ?? null;
      if (r.index === undefined) resources[address] = input;
      else if (typeof r.index === "number") (resources[address] ??= [])[r.index] = input;
      else (resources[address] ??= {})[r.index] = input;
    }
    result[call] = {
      locals: value("__locals") as Json,
      outputs: Object.fromEntries(
        mine
          .map(([k]) => k.slice(call.length + 2))
          .filter((k) => k !== "__locals")
          .map((k) => [k, value(k)]),
      ),
      resources,
    };
  }
  return result;
}
