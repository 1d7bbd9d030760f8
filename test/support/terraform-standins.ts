// Synthesized stacks planned and applied by Terraform itself, without the AWS provider (none can be installed
// here): every resource becomes a `terraform_data` stand-in named `<type>__<name>`, and every `moved`,
// `removed` and `import` block is kept with its addresses renamed the same way. Terraform's own rules for
// those blocks (chains of moves, forgetting, importing, and its validation of all three) then decide what
// the plan does to the objects an earlier apply left in the state. Each stack has its own directory and
// local state, as each cdktf stack has its own state.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { terraform } from "./terraform-eval";

type Json = Record<string, any>;

/** One planned change, as `terraform show -json` reports it. */
export interface PlannedChange {
  readonly address: string;
  readonly previousAddress?: string;
  readonly actions: readonly string[];
  readonly importing: boolean;
}

const standInAddress = (address: string): string => {
  const dot = address.indexOf(".");
  return `terraform_data.${address.slice(0, dot)}__${address.slice(dot + 1)}`;
};

/** The stand-in configuration of one synthesized stack (cdk.tf.json). */
export function standInStack(stack: Json): Json {
  const resources: Json = {};
  for (const [type, byName] of Object.entries((stack.resource ?? {}) as Record<string, Json>)) {
    for (const name of Object.keys(byName)) resources[`${type}__${name}`] = { input: type };
  }
  const version = stack.terraform?.required_version;
  return {
    ...(version ? { terraform: { required_version: version } } : {}),
    ...(Object.keys(resources).length > 0 ? { resource: { terraform_data: resources } } : {}),
    ...(stack.moved ? { moved: stack.moved.map((m: Json) => ({ from: standInAddress(m.from), to: standInAddress(m.to) })) } : {}),
    ...(stack.removed ? { removed: stack.removed.map((r: Json) => ({ from: standInAddress(r.from), lifecycle: r.lifecycle })) } : {}),
    ...(stack.import ? { import: stack.import.map((i: Json) => ({ to: standInAddress(i.to), id: i.id })) } : {}),
  };
}

/** The stand-in address of a synthesized resource address (`aws_iam_role.x` → `terraform_data.aws_iam_role__x`). */
export { standInAddress };

/** A directory per stack, each with its own state, where stand-ins are applied and planned. */
export class StandInWorkspace {
  private readonly initialized = new Set<string>();

  public constructor(private readonly root: string) {}

  /** `terraform apply` of the stack's stand-ins: the objects a deploy leaves in its state. */
  public apply(stack: string, json: Json): void {
    const dir = this.write(stack, json);
    this.run(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
  }

  /** `terraform plan` of the stack's stand-ins against its state: every change Terraform would make. */
  public plan(stack: string, json: Json): PlannedChange[] {
    const dir = this.write(stack, json);
    this.run(dir, ["plan", "-input=false", "-no-color", "-out=plan.bin"]);
    const plan = JSON.parse(this.run(dir, ["show", "-json", "plan.bin"])) as Json;
    return ((plan.resource_changes ?? []) as Json[]).map((c) => ({
      address: c.address,
      ...(c.previous_address ? { previousAddress: c.previous_address } : {}),
      actions: c.change.actions,
      importing: c.change.importing !== undefined,
    }));
  }

  private write(stack: string, json: Json): string {
    const dir = join(this.root, stack);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(standInStack(json), null, 2));
    return dir;
  }

  private run(dir: string, args: string[]): string {
    if (!this.initialized.has(dir)) {
      const init = terraform(dir, ["init", "-input=false", "-no-color"]);
      if (init.status !== 0) throw new Error(`terraform init in ${dir} failed:\n${init.stderr}${init.stdout}`);
      this.initialized.add(dir);
    }
    const r = terraform(dir, args);
    if (r.status !== 0) throw new Error(`terraform ${args[0]} in ${dir} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }
}
