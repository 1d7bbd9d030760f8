// The example config's synthesized output, compared with committed golden files. Refresh them after an
// intended change with: UPDATE_GOLDEN=1 npx vitest run test/app/golden.test.ts
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp, validateApp } from "../../modules/app";
import { loadConfig } from "../../modules/config/load";
import { TERRAFORM_CDK } from "../../modules/terraform-cdk";

const ROOT = path.join(__dirname, "..", "..");
const GOLDEN = path.join(__dirname, "golden");
// The golden files are CDKTF 0.21's output. CDK Terrain writes the same Terraform with its own version in
// the metadata: each library's expected version line.
const GOLDEN_VERSION_LINE = `"version": "0.21.0"`;
const VERSION_LINE = { cdktf: GOLDEN_VERSION_LINE, cdktn: `"version": "0.24.0"` }[TERRAFORM_CDK];
const work = mkdtempSync(path.join(tmpdir(), "pod-identity-golden-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function synthExample(): Record<string, string> {
  const { app } = buildApp(loadConfig(path.join(ROOT, "pod-identity.yaml")), { projectRoot: work, outdir: path.join(work, "cdktf.out") });
  expect(validateApp(app)).toEqual([]);
  app.synth();
  const stacksDir = path.join(work, "cdktf.out", "stacks");
  return Object.fromEntries(
    readdirSync(stacksDir)
      .sort()
      .map((s) => [s, readFileSync(path.join(stacksDir, s, "cdk.tf.json"), "utf8")]),
  );
}

describe("golden: the example config", () => {
  const out = synthExample();

  it("matches the committed Terraform JSON", () => {
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(GOLDEN, { recursive: true, force: true });
      mkdirSync(GOLDEN, { recursive: true });
      for (const [stack, text] of Object.entries(out))
        writeFileSync(path.join(GOLDEN, `${stack}.cdk.tf.json`), text.replace(VERSION_LINE, GOLDEN_VERSION_LINE));
    }
    expect(existsSync(GOLDEN)).toBe(true);
    const golden = readdirSync(GOLDEN).sort();
    expect(golden).toEqual(Object.keys(out).map((s) => `${s}.cdk.tf.json`));
    for (const [stack, text] of Object.entries(out)) {
      expect(text, `stack ${stack} differs from test/app/golden; if intended, rerun with UPDATE_GOLDEN=1`).toBe(
        readFileSync(path.join(GOLDEN, `${stack}.cdk.tf.json`), "utf8").replace(GOLDEN_VERSION_LINE, VERSION_LINE),
      );
    }
  });

  it("contains no absolute path and no timestamp", () => {
    for (const text of Object.values(out)) {
      expect(text).not.toContain(work);
      expect(text).not.toContain(ROOT);
      expect(text).not.toMatch(/"\/(?:tmp|home|work|Users|var)\//);
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    }
  });

  it("keeps local state at the project root, relative to the stack's working directory", () => {
    for (const [stack, text] of Object.entries(out)) {
      const statePath = JSON.parse(text).terraform.backend.local.path;
      expect(statePath).toBe(`../../../terraform.${stack}.tfstate`);
      expect(path.resolve(work, "cdktf.out", "stacks", stack, statePath)).toBe(path.join(work, `terraform.${stack}.tfstate`));
    }
  });

  it("is stable: a second synthesis gives the same bytes", () => {
    rmSync(path.join(work, "cdktf.out"), { recursive: true, force: true });
    expect(synthExample()).toEqual(out);
  });
});
