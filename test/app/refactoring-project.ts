// A deployed project for the refactoring tests: a directory with a config, its synthesized output and its
// state files at the root, "applied" by test/support/state-applier.ts to an EKS emulator of its own (the
// associations are created through the real SDK, so the state holds real association ids). And the check
// every refactoring must pass: each resource of the state is kept by the new output.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { dump as yaml } from "js-yaml";
import { afterEach, expect } from "vitest";
import { loadConfig } from "../../modules/config/load";
import { readPreviousDeployment, type PreviousDeployment } from "../../modules/refactoring/previous";
import { runSynth } from "../../modules/synth";
import { startEksEmulator, type EksEmulator } from "../support/eks-emulator";
import { applySynthesizedApp, type AppliedStack } from "../support/state-applier";

const ROOT = path.join(__dirname, "..", "..");
export const example = (file = "pod-identity.yaml"): any => JSON.parse(JSON.stringify(loadConfig(path.join(ROOT, file))));
export type Json = Record<string, any>;

/** Renames the example's cluster key `prod`, in place, with `movedFrom` when given. */
export function renameProdCluster(config: Json, to: string, movedFrom?: string): void {
  config.clusters = { [to]: { ...config.clusters.prod, ...(movedFrom !== undefined ? { movedFrom } : {}) }, staging: config.clusters.staging };
  for (const a of config.associations) if (a.cluster === "prod") a.cluster = to;
}

/** Renames the example's target role key `ledger-reader` to `ledger`, in place, with `movedFrom` when given. */
export function renameLedgerRole(config: Json, movedFrom?: string): void {
  const { ["ledger-reader"]: role, ...others } = config.targetRoles;
  config.targetRoles = { ...others, ledger: { ...role, ...(movedFrom !== undefined ? { movedFrom } : {}) } };
  for (const a of config.associations) if (a.targetRole === "ledger-reader") a.targetRole = "ledger";
}

const open: { dir: string; eks: EksEmulator }[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) {
    await p.eks.close();
    rmSync(p.dir, { recursive: true, force: true });
  }
});

/** A project directory with a config, its synthesized output and its state files at the root. */
export class Project {
  public static async create(config: Json): Promise<Project> {
    const p = new Project(mkdtempSync(path.join(tmpdir(), "pod-identity-refactor-")), await startEksEmulator());
    open.push(p);
    p.write(config);
    return p;
  }

  private constructor(
    public readonly dir: string,
    public readonly eks: EksEmulator,
  ) {}

  public get outdir(): string {
    return path.join(this.dir, "cdktf.out");
  }

  public write(config: Json): void {
    writeFileSync(path.join(this.dir, "pod-identity.yaml"), yaml(config));
  }

  /** `tsx main.ts` in the project: exit code and what it printed. */
  public synth(env: Record<string, string> = {}): { code: number; stderr: string } {
    let stderr = "";
    const code = runSynth({ projectRoot: this.dir, env: { CDKTF_OUTDIR: this.outdir, ...env }, stderr: (t) => void (stderr += t) });
    return { code, stderr };
  }

  /** Applies the synthesized stacks: associations in the emulator, state files at the project root. */
  public async apply(stateDir = this.dir): Promise<AppliedStack[]> {
    return applySynthesizedApp(this.outdir, { emulator: this.eks, stateDir });
  }

  public stacks(): string[] {
    return Object.keys(JSON.parse(readFileSync(path.join(this.outdir, "manifest.json"), "utf8")).stacks).sort();
  }

  public output(stack: string): Json {
    return JSON.parse(readFileSync(path.join(this.outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
  }

  /**
   * What Terraform does when it applies the removed and import blocks of the output: each forgotten resource
   * leaves its stack's state file and appears, at the import's address, in the state of the stack importing it.
   */
  public applyMovesBetweenStacks(): void {
    const file = (s: string) => path.join(this.dir, `terraform.${s}.tfstate`);
    const states = new Map<string, Json>();
    const state = (s: string): Json => {
      if (!states.has(s))
        states.set(
          s,
          existsSync(file(s))
            ? JSON.parse(readFileSync(file(s), "utf8"))
            : { version: 4, terraform_version: "1.9.8", serial: 1, lineage: s, outputs: {}, resources: [], check_results: null },
        );
      return states.get(s)!;
    };
    const leaving = new Map<string, Json>();
    for (const s of this.stacks()) {
      for (const b of this.output(s).removed ?? []) {
        const st = state(s);
        const i = st.resources.findIndex((r: Json) => `${r.type}.${r.name}` === b.from);
        leaving.set(b.from, st.resources.splice(i, 1)[0]);
      }
    }
    for (const s of this.stacks()) for (const b of this.output(s).import ?? []) state(s).resources.push(leaving.get(b.to));
    for (const [s, st] of states) writeFileSync(file(s), JSON.stringify(st));
  }

  /** The stacks' states at the project root, as synth reads them. */
  public deployed(): PreviousDeployment {
    return readPreviousDeployment({
      projectRoot: this.dir,
      outdir: path.join(this.dir, "none"),
      outputs: false,
      accountIds: {},
      show: (f) => path.basename(f),
    });
  }

  /** The current output, read the same way (address → identity per stack). */
  public declared(): PreviousDeployment {
    const empty = mkdtempSync(path.join(tmpdir(), "pod-identity-empty-"));
    try {
      return readPreviousDeployment({ projectRoot: empty, outdir: this.outdir, outputs: true, accountIds: {}, show: (f) => path.basename(f) });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }
}

/** Where a stack's moved blocks take `address`. */
function follow(out: Json | undefined, address: string): string {
  const moves = new Map<string, string>((out?.moved ?? []).map((m: Json) => [m.from, m.to]));
  let at = address;
  for (let i = 0; i <= moves.size && moves.has(at); i++) at = moves.get(at)!;
  return at;
}

const declares = (out: Json | undefined, address: string): boolean => {
  const [type, name] = [address.slice(0, address.indexOf(".")), address.slice(address.indexOf(".") + 1)];
  return out?.resource?.[type]?.[name] !== undefined;
};

/**
 * Every resource of the project's state is kept by its new output: moved within its stack, or forgotten by its
 * stack and imported by another with the id from the state. Returns how each one was kept.
 */
export function expectNothingReplaced(p: Project, before: PreviousDeployment): { moved: number; kept: number; imported: string[] } {
  const stacks = p.stacks();
  const outputs = new Map(stacks.map((s) => [s, p.output(s)]));
  const identities = new Map<string, string>(); // "stack address" → identity, of the new output
  for (const s of p.declared().stacks) for (const r of s.resources) if (r.identity) identities.set(`${s.stack} ${r.address}`, r.identity);
  const imported: string[] = [];
  let moved = 0;
  let kept = 0;
  for (const s of before.stacks) {
    const out = outputs.get(s.stack);
    for (const r of s.resources) {
      const at = follow(out, r.address);
      if (declares(out, at)) {
        expect(identities.get(`${s.stack} ${at}`), `${s.stack} ${r.address} → ${at} is the same object`).toBe(r.identity);
        if (at === r.address) kept++;
        else moved++;
        continue;
      }
      const removed = (out?.removed ?? []).some((b: Json) => b.from === r.address && b.lifecycle?.destroy === false);
      expect(removed, `${s.stack}: ${r.address} is neither declared, moved nor forgotten (removed, destroy = false)`).toBe(true);
      const imports = stacks.flatMap((t) => (outputs.get(t)!.import ?? []).map((b: Json) => ({ stack: t, ...b })));
      const into = imports.find((b: Json) => identities.get(`${b.stack} ${b.to}`) === r.identity);
      expect(into, `${s.stack}: ${r.address} (${r.identity}) is imported by another stack`).toBeDefined();
      expect(into.id, `${s.stack}: ${r.address} is imported with the id of the state, in its region`).toBe(
        regionalImportId(r.importId!, outputs.get(into.stack)!, into.to),
      );
      expect(into.provider).toBe(`aws.${r.facts.alias}`);
      imported.push(`${s.stack} → ${into.stack}: ${into.id}`);
    }
  }
  return { moved, kept, imported };
}

/**
 * The id the AWS provider (>= 6) imports `to` with: `id@<region>` when the resource sets a region other than
 * its provider configuration's, else the provider would look for it in its own region.
 */
function regionalImportId(id: string, out: Json, to: string): string {
  const [type, name] = [to.slice(0, to.indexOf(".")), to.slice(to.indexOf(".") + 1)];
  const resource = out.resource[type][name];
  const alias = /^aws\.(.+)$/.exec(resource.provider ?? "")?.[1];
  const providers: Json[] = [out.provider.aws].flat();
  const provider = providers.find((p) => p.alias === alias);
  return resource.region !== undefined && resource.region !== provider?.region ? `${id}@${resource.region}` : id;
}

/** A deployed example, and its state as read back. */
export async function deployedExample(
  change: (c: Json) => void = () => {},
  file?: string,
): Promise<{ p: Project; config: Json; applied: AppliedStack[]; before: PreviousDeployment }> {
  const config = example(file);
  change(config);
  const p = await Project.create(config);
  expect(p.synth()).toMatchObject({ code: 0 });
  const applied = await p.apply();
  return { p, config, applied, before: p.deployed() };
}

export const countOf = (before: PreviousDeployment): number => before.stacks.reduce((n, s) => n + s.resources.length, 0);
