import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformStack, Testing } from "../../modules/terraform-cdk";
import { afterAll, describe, expect, it, vi } from "vitest";
import { dump as stringify } from "js-yaml";
import { buildApp, validateApp, warningsOf } from "../../modules/app";
import { loadConfig, parseConfig } from "../../modules/config/load";
import { runSynth } from "../../modules/synth";

const ROOT = path.join(__dirname, "..", "..");
const work = mkdtempSync(path.join(tmpdir(), "pod-identity-app-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const example = (): any => JSON.parse(JSON.stringify(loadConfig(path.join(ROOT, "pod-identity.yaml"))));
const build = (cfg: any) => buildApp(parseConfig(stringify(cfg), "test.yaml"), { projectRoot: work, outdir: path.join(work, "out") });

describe("stacks and backends", () => {
  it("one stack per cluster with groupBy: cluster; shared roles live in their first user's stack", () => {
    const cfg = example();
    cfg.stacks = { groupBy: "cluster" };
    const { app, stacks } = build(cfg);
    expect([...stacks.keys()]).toEqual(["prod", "staging"]);
    expect(validateApp(app)).toEqual([]);
    const staging = JSON.parse(Testing.synth(stacks.get("staging")!));
    // The hub Pod Identity role is in "prod": staging references its literal ARN and depends on that stack.
    expect(Object.values(staging.resource.aws_iam_role).map((r: any) => r.name)).not.toContain("payments-pod-identity");
    const assoc = Object.values(staging.resource.aws_eks_pod_identity_association).find((a: any) => a.namespace === "payments") as any;
    expect(assoc.role_arn).toBe("arn:aws:iam::111111111111:role/pod-identity/payments-pod-identity");
    expect(stacks.get("staging")!.dependencies.map((s) => s.node.id)).toEqual(["prod"]);
    // Each stack has providers only for the accounts it uses.
    expect(staging.provider.aws.map((p: any) => p.alias).sort()).toEqual(["analytics", "data", "platform"]);
  });

  it("a shared role's stack: moves the role, and the dependency with it", () => {
    const cfg = example();
    cfg.stacks = { groupBy: "cluster" };
    cfg.podIdentityRoles.payments.stack = "staging";
    const { app, stacks } = build(cfg);
    expect(validateApp(app)).toEqual([]);
    const roleNames = (id: string) => Object.values(JSON.parse(Testing.synth(stacks.get(id)!)).resource.aws_iam_role).map((r: any) => r.name);
    expect(roleNames("staging")).toContain("payments-pod-identity");
    expect(roleNames("prod")).not.toContain("payments-pod-identity");
    expect(stacks.get("prod")!.dependencies.map((s) => s.node.id)).toEqual(["staging"]);
    expect(stacks.get("staging")!.dependencies).toEqual([]);
  });

  it("a role named by prefix, used from another stack, reaches it through an output and remote state", () => {
    // cdktf's cross-stack pass (TerraformStack.prepareStack) runs only where a role ARN is a token.
    const crossStackPass = vi.spyOn(TerraformStack.prototype, "prepareStack");
    const cfg = example();
    cfg.stacks = { groupBy: "cluster" };
    delete cfg.podIdentityRoles.payments.name;
    cfg.podIdentityRoles.payments.namePrefix = "payments-";
    const outdir = path.join(work, "prefix-out");
    const { app } = buildApp(parseConfig(stringify(cfg), "test.yaml"), { projectRoot: work, outdir });
    app.synth();
    expect(crossStackPass).toHaveBeenCalledTimes(2);
    const read = (id: string) => JSON.parse(readFileSync(path.join(outdir, "stacks", id, "cdk.tf.json"), "utf8"));
    const [prod, staging] = [read("prod"), read("staging")];
    const [output] = Object.keys(prod.output);
    expect(output).toMatch(/^cross-stack-output-aws_iam_role.*payments.*arn$/);
    const assoc = Object.values(staging.resource.aws_eks_pod_identity_association).find((a: any) => a.namespace === "payments") as any;
    expect(assoc.role_arn).toBe(`\${data.terraform_remote_state.cross-stack-reference-input-prod.outputs.${output}}`);
    // With the role's name known, its ARN is a literal: no stack needs another's outputs.
    const named = example();
    named.stacks = { groupBy: "cluster" };
    const literal = build(named);
    expect([...literal.stacks.keys()]).toEqual(["prod", "staging"]);
    crossStackPass.mockClear();
    literal.app.synth();
    expect(crossStackPass).not.toHaveBeenCalled();
    crossStackPass.mockRestore();
    for (const id of literal.stacks.keys()) {
      const json = JSON.parse(readFileSync(path.join(work, "out", "stacks", id, "cdk.tf.json"), "utf8"));
      expect(Object.keys(json.output ?? {}).filter((k) => k.startsWith("cross-stack"))).toEqual([]);
      expect(json.data?.terraform_remote_state).toBeUndefined();
    }
  });

  it("a role placed in a stack no association lives in is built there, with a warning", () => {
    const cfg = example();
    cfg.targetRoles["ledger-reader"].stack = "shared-roles";
    const { app, stacks } = build(cfg);
    expect(validateApp(app)).toEqual([]);
    expect([...stacks.keys()]).toEqual(["platform", "shared-roles"]);
    expect(stacks.get("platform")!.dependencies.map((s) => s.node.id)).toEqual(["shared-roles"]);
    expect(warningsOf(app)).toContain(
      'target role "ledger-reader" is placed in stack "shared-roles", which holds no association: it is deployed as a stack of its own, before the stacks that use it (association stacks: platform); if that was not the intent, check its stack:',
    );
    expect(warningsOf(build(example()).app).filter((w) => w.includes("holds no association"))).toEqual([]);
  });

  it("S3 backend: one key per stack and a lock file", () => {
    const cfg = example();
    cfg.backend = { type: "s3", bucket: "tf-state", region: "eu-west-1", keyPrefix: "pi" };
    const { stacks } = build(cfg);
    const json = JSON.parse(Testing.synth(stacks.get("platform")!));
    expect(json.terraform.backend).toEqual({ s3: { bucket: "tf-state", key: "pi/platform.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true } });
  });
});

describe("warnings", () => {
  // A target role in the cluster's own account works, with a warning.
  const sameAccount = (): any => {
    const cfg = example();
    cfg.targetRoles["ledger-reader"].account = "platform";
    cfg.targetRoles["ledger-reader"].inlinePolicies["ledger-table"].Statement[0].Resource = "arn:aws:dynamodb:eu-west-1:111111111111:table/ledger";
    return cfg;
  };
  const synthIn = (env: NodeJS.ProcessEnv) => {
    const dir = mkdtempSync(path.join(work, "warn-"));
    writeFileSync(path.join(dir, "pod-identity.yaml"), stringify(sameAccount()));
    let stderr = "";
    const status = runSynth({ projectRoot: dir, env, stderr: (t) => void (stderr += t) });
    const manifest = JSON.parse(readFileSync(path.join(dir, "cdktf.out", "manifest.json"), "utf8"));
    return { status, stderr, annotations: Object.values<any>(manifest.stacks).flatMap((st) => st.annotations ?? []) };
  };
  const message = (a: string) =>
    `association "${a}": target role "ledger-reader" is in the cluster's own account 111111111111; it works, but needs no chaining: the Pod Identity role could carry the permissions itself`;

  it("are printed once each, as warnings, by tsx main.ts", () => {
    const r = synthIn({});
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`warning: ${message("payments-api")}\nwarning: ${message("payments-worker")}\n`);
  });

  it("are left to the cdktf CLI, which prints the manifest's annotations as WARN and labels the app's stderr [ERROR]", () => {
    const r = synthIn({ CDKTF_CONTEXT_JSON: "{}" });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.annotations.map((a) => [a.level, a.message])).toEqual([
      ["@cdktf/warn", message("payments-api")],
      ["@cdktf/warn", message("payments-worker")],
    ]);
  });
});

describe("main.ts", () => {
  const run = (dir: string, config: string) =>
    spawnSync(process.execPath, [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), path.join(ROOT, "main.ts")], {
      cwd: dir,
      env: { ...process.env, POD_IDENTITY_CONFIG: config, CDKTF_OUTDIR: "", CHECKPOINT_DISABLE: "1" },
      encoding: "utf8",
    });

  it("prints every config problem, exits 1 and writes nothing", () => {
    const dir = mkdtempSync(path.join(work, "bad-"));
    const cfg = example();
    cfg.associations[0].namespace = "Bad";
    cfg.accounts.data.region = "nowhere";
    writeFileSync(path.join(dir, "bad.yaml"), stringify(cfg));
    const r = run(dir, "bad.yaml");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("bad.yaml: 2 problems:");
    expect(r.stderr).toContain('accounts.data.region: "nowhere" is not an AWS region name');
    expect(r.stderr).toContain('associations[0].namespace: "Bad" is not a valid Kubernetes namespace');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual(["bad.yaml"]);
  });

  it("prints every construct problem found at synth, exits 1 and writes nothing", () => {
    const dir = mkdtempSync(path.join(work, "big-"));
    const cfg = example();
    const resources = Array.from({ length: 450 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`);
    cfg.targetRoles["ledger-reader"].inlinePolicies.huge = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: resources }],
    };
    writeFileSync(path.join(dir, "big.yaml"), stringify(cfg));
    const r = run(dir, "big.yaml");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /big\.yaml: 1 problem:\n {2}target role "ledger-reader" \(account 222222222222\): inlinePolicies: the inline policies total \d+ characters/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual(["big.yaml"]);
  });

  it("an error while writing leaves the output directory as it was, and says what failed without a stack trace", () => {
    const dir = mkdtempSync(path.join(work, "unwritable-"));
    writeFileSync(path.join(dir, "pod-identity.yaml"), stringify(example()));
    const outdir = path.join(dir, "cdktf.out");
    // A file where the stack's directory goes: writing the stack fails, after the manifest and other files are started.
    mkdirSync(path.join(outdir, "stacks"), { recursive: true });
    writeFileSync(path.join(outdir, "stacks", "platform"), "not a directory");
    let stderr = "";
    expect(runSynth({ projectRoot: dir, env: {}, stderr: (t) => void (stderr += t) })).toBe(1);
    expect(stderr).toMatch(/^cdktf\.out: cannot write the output: E[A-Z]+: .*stacks\/platform.*\nNothing was synthesized\.\n$/);
    expect(readdirSync(outdir, { recursive: true }).sort()).toEqual(["stacks", path.join("stacks", "platform")]);
    expect(readFileSync(path.join(outdir, "stacks", "platform"), "utf8")).toBe("not a directory");
  });

  it("an unexpected error is reported as an internal error, and the output directory it created is removed", () => {
    const dir = mkdtempSync(path.join(work, "internal-"));
    writeFileSync(path.join(dir, "pod-identity.yaml"), stringify(example()));
    const toTerraform = vi.spyOn(TerraformStack.prototype, "toTerraform").mockImplementation(() => {
      throw new Error("boom");
    });
    let stderr = "";
    try {
      expect(runSynth({ projectRoot: dir, env: {}, stderr: (t) => void (stderr += t) })).toBe(1);
    } finally {
      toTerraform.mockRestore();
    }
    expect(stderr).toMatch(/^internal error, please report it with the config that causes it:\nError: boom\n\s+at /);
    expect(stderr.endsWith("\nNothing was synthesized.\n")).toBe(true);
    expect(readdirSync(dir)).toEqual(["pod-identity.yaml"]);
  });

  it("synthesizes the example", () => {
    const dir = mkdtempSync(path.join(work, "ok-"));
    const r = run(dir, path.join(ROOT, "pod-identity.yaml"));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(existsSync(path.join(dir, "cdktf.out", "stacks", "platform", "cdk.tf.json"))).toBe(true);
  });
});
