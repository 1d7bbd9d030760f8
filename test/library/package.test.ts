// The library as a consumer gets it: `npm pack ./modules` (its prepack builds dist/), the tarball installed
// into a fresh app next to the CDK library, constructs and the AWS provider bindings (from the npm cache
// this project's own install filled), the README's constructs example type-checked against the shipped
// declarations and run unchanged, and the synthesized cross-account chain checked.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERRAFORM_CDK } from "../../modules/terraform-cdk";

const REPO = resolve(__dirname, "..", "..");
const run = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const PACKAGE = "eks-pod-identity-cross-account";

/** The CDK library and the provider bindings of this build, at the versions the tests run against. */
const LIBRARY = { cdktf: { cdk: "cdktf", provider: "@cdktf/provider-aws" }, cdktn: { cdk: "cdktn", provider: "@cdktn/provider-aws" } }[TERRAFORM_CDK];

function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(REPO, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

/** The TypeScript block of the README's "The constructs" section. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## The constructs"));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("README.md: no ```ts block under '## The constructs'");
  return block[1]!;
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

describe(`the packed library in a fresh ${TERRAFORM_CDK} app`, () => {
  const dir = mkdtempSync(join(tmpdir(), "pod-identity-package-"));
  const app = join(dir, "app");
  let packed: PackResult;
  let synthesized: any;
  let example: string;

  beforeAll(async () => {
    const pack = await run(NPM, ["pack", "./modules", "--json", "--pack-destination", dir], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
    packed = (JSON.parse(pack.stdout) as PackResult[])[0]!;

    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true }));
    const deps = [LIBRARY.cdk, "constructs", LIBRARY.provider].map((name) => `${name}@${installedVersion(name)}`);
    await run(NPM, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", join(dir, packed.filename), ...deps], {
      cwd: app,
      maxBuffer: 16 * 1024 * 1024,
    });

    // The README's example, as written (a CDK Terrain app imports the same names from "cdktn").
    example = readmeExample();
    writeFileSync(join(app, "main.ts"), TERRAFORM_CDK === "cdktn" ? example.replace(`from "cdktf"`, `from "cdktn"`) : example);
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, types: [] },
        files: ["main.ts"],
      }),
    );
    // Type-checked against the shipped declarations (through the package's `exports`), then run as JavaScript.
    await run(process.execPath, [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: app });
    await run(process.execPath, ["main.js"], { cwd: app, env: { ...process.env, CDKTF_OUTDIR: join(app, "out") } });
    synthesized = JSON.parse(readFileSync(join(app, "out", "stacks", "platform", "cdk.tf.json"), "utf8"));
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("ships the built JavaScript and declarations, and no tests, benchmarks, CI, deploy files or sources", () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths).toContain("dist/index.js");
    expect(paths).toContain("dist/index.d.ts");
    expect(paths).toContain("README.md");
    for (const p of paths) expect(p).toMatch(/^(?:package\.json|README\.md|dist\/[a-z0-9/-]+\.(?:js|d\.ts))$/);
    for (const p of paths) expect(p).not.toMatch(/test|bench|\.ci|deploy|examples|drift\/|Dockerfile/);
  });

  it("imports the example from the package's name only", () => {
    const imports = [...example.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
    expect(imports.sort()).toEqual(["cdktf", PACKAGE]);
  });

  it("synthesizes the cross-account chain: roles on their accounts' providers, one merged trust, two associations", () => {
    expect(synthesized.terraform.required_providers.aws).toEqual({ source: "hashicorp/aws", version: ">= 6.2.0, < 7.0.0" });
    expect(synthesized.provider.aws.map((p: any) => [p.alias, p.allowed_account_ids])).toEqual([
      ["platform", ["111111111111"]],
      ["data", ["222222222222"]],
    ]);
    const roles = Object.values(synthesized.resource.aws_iam_role) as any[];
    const hub = roles.find((r) => r.name === "payments-pod-identity");
    const ledger = roles.find((r) => r.name === "ledger-reader");
    expect(hub.provider).toBe("aws.platform");
    expect(ledger.provider).toBe("aws.data");
    const trust = JSON.parse(ledger.assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          ArnEquals: { "aws:PrincipalARN": "arn:aws:iam::111111111111:role/payments-pod-identity" },
          StringEquals: {
            "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:111111111111:cluster/prod-eu",
            "aws:RequestTag/kubernetes-namespace": "payments",
            "aws:RequestTag/kubernetes-service-account": ["api", "worker"],
          },
        },
      },
    ]);
    const associations = Object.values(synthesized.resource.aws_eks_pod_identity_association) as any[];
    expect(associations.map((a) => [a.service_account, a.role_arn, a.target_role_arn, a.provider, a.region])).toEqual([
      ["api", "arn:aws:iam::111111111111:role/payments-pod-identity", "arn:aws:iam::222222222222:role/ledger-reader", "aws.platform", "eu-west-1"],
      ["worker", "arn:aws:iam::111111111111:role/payments-pod-identity", "arn:aws:iam::222222222222:role/ledger-reader", "aws.platform", "eu-west-1"],
    ]);
    const permission = Object.values(synthesized.resource.aws_iam_role_policy as Record<string, any>).find((p) => p.name === "pod-identity-chain");
    expect(JSON.parse(permission.policy).Statement).toEqual([
      { Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: "arn:aws:iam::222222222222:role/ledger-reader" },
    ]);
  });

  it("exposes only its entry point: private modules cannot be imported", async () => {
    const probe = `try { require("${PACKAGE}/dist/app"); console.log("loaded"); } catch (e) { console.log(e.code); }`;
    const { stdout } = await run(process.execPath, ["-e", probe], { cwd: app });
    expect(stdout.trim()).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    const { stdout: names } = await run(process.execPath, ["-e", `console.log(Object.keys(require("${PACKAGE}")).sort().join(","))`], { cwd: app });
    expect(names.trim().split(",")).toEqual(
      expect.arrayContaining([
        "PodIdentityChain",
        "PodIdentityRole",
        "TargetRole",
        "PolicyStatement",
        "PolicyDocument",
        "addonPolicyDocument",
        "ValidationError",
      ]),
    );
    expect(names).not.toMatch(/buildApp|runSynth|mergeStatements|loadConfig/);
  });
});
