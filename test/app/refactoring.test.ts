// Changing the config of a deployed app, as a platform team would a week after the first deploy: the example
// is synthesized and "applied" (test/support/state-applier.ts creates its associations in the EKS emulator
// through the real SDK and writes the state Terraform would, association ids included), then a refactored
// copy is synthesized through the app's entry point in the same project directory. For every resource of the
// state, the new output must keep it: declared at its address or at the end of its stack's moved blocks, or
// forgotten by its old stack (removed, destroy = false) and imported by the new one with the id from the state;
// otherwise synth must refuse, naming the config lines that fix it, and write nothing.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { tmpdir } from "node:os";
import { Testing } from "../../modules/terraform-cdk";
import { dump as yaml } from "js-yaml";
import { describe, expect, it } from "vitest";
import { buildApp, validateApp } from "../../modules/app";
import { parseConfig } from "../../modules/config/load";
import { logicalId } from "../../modules/refactoring/paths";
import { countOf, deployedExample, example, expectNothingReplaced, Project, renameLedgerRole, renameProdCluster, type Json } from "./refactoring-project";

describe("refactoring a deployed config", () => {
  it("renaming associations changes no address; a dedicated role named after the old name is refused with podIdentityRoleName, then kept", async () => {
    const { p, config, before } = await deployedExample();
    const resourcesBefore = p.output("platform").resource;
    for (const a of config.associations) a.name = `${a.name}-v2`;
    p.write(config);
    const refused = p.synth();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("pod-identity.yaml: 2 problems:");
    // warehouse-etl and bi-exporter have dedicated Pod Identity roles, named after the association.
    for (const [i, was] of [
      [3, "warehouse-etl"],
      [4, "bi-exporter"],
    ] as const) {
      expect(refused.stderr).toContain(`  associations[${i}]: the role aws_iam_role.`);
      expect(refused.stderr).toContain(`is named "${was}", and would be replaced by a role named "${was}-v2"`);
      expect(refused.stderr).toContain(`Keep the role with:\n    podIdentityRoleName: ${was}\n`);
    }
    expect(refused.stderr).toMatch(/Nothing was synthesized.\n$/);
    expect(p.output("platform").resource).toEqual(resourcesBefore); // nothing written

    config.associations[3].podIdentityRoleName = "warehouse-etl";
    config.associations[4].podIdentityRoleName = "bi-exporter";
    p.write(config);
    expect(p.synth()).toEqual({ code: 0, stderr: "" });
    expect(p.output("platform").resource).toEqual(resourcesBefore);
    expect(expectNothingReplaced(p, before)).toEqual({ moved: 0, kept: countOf(before), imported: [] });
  });

  it("a target role key renamed with movedFrom moves the role, its inline policy and its attachment", async () => {
    const { p, config, before } = await deployedExample();
    const without = JSON.parse(JSON.stringify(config));
    renameLedgerRole(without);
    p.write(without);
    const refused = p.synth();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      '  targetRoles.ledger: 3 resources of stack "platform" (aws_iam_role.target_role_ledger-reader_role_8BA9A1D5, aws_iam_role_policy.target_role_ledger-reader_policy_ledger-table_259F2B1A and 1 more) would be destroyed and created again, because they were at the addresses of key "ledger-reader". Terraform moves them with:\n    targetRoles:\n      ledger:\n        movedFrom: ledger-reader\n',
    );

    renameLedgerRole(config, "ledger-reader");
    p.write(config);
    expect(p.synth()).toEqual({ code: 0, stderr: "" });
    const moved = p.output("platform").moved.filter((m: Json) => m.from.includes("ledger-reader_"));
    expect(moved.map((m: Json) => m.from.split(".")[0]).sort()).toEqual(["aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment"]);
    expect(expectNothingReplaced(p, before)).toEqual({ moved: 3, kept: countOf(before) - 3, imported: [] });
  });

  it("a cluster key renamed with movedFrom moves its associations and dedicated roles", async () => {
    const { p, config, before } = await deployedExample();
    const renamed = JSON.parse(JSON.stringify(config));
    renameProdCluster(renamed, "prod-eu");
    p.write(renamed);
    const refused = p.synth();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('  clusters.prod-eu: 5 resources of stack "platform"');
    expect(refused.stderr).toContain(
      'they were at the addresses of cluster key "prod". Terraform moves them with:\n    clusters:\n      prod-eu:\n        movedFrom: prod\n',
    );

    renamed.clusters["prod-eu"].movedFrom = "prod";
    p.write(renamed);
    expect(p.synth()).toEqual({ code: 0, stderr: "" });
    // payments-api, payments-worker, warehouse-etl and its dedicated role and chain policy
    expect(expectNothingReplaced(p, before)).toEqual({ moved: 5, kept: countOf(before) - 5, imported: [] });
  });

  it("regrouping the stacks forgets every resource in the old stack and imports it in the new ones, with the ids of the state", async () => {
    const { p, config, applied, before } = await deployedExample();
    config.stacks = { groupBy: "cluster" };
    p.write(config);
    const r = p.synth();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `warning: stack "platform": ${countOf(before)} resources move to stack "prod", "staging": a removed block (destroy = false) here and an import block there, with the ids of terraform.platform.tfstate; deploy both stacks, in either order, with Terraform >= 1.7 (docs/config.md, Changing the config safely)\n`,
    );
    // The old stack stays, with its backend and providers and nothing but removed blocks.
    expect(p.stacks()).toEqual(["platform", "prod", "staging"]);
    const platform = p.output("platform");
    expect(platform.resource).toBeUndefined();
    expect(platform.removed).toHaveLength(countOf(before));
    expect(platform.terraform.required_version).toBe(">= 1.7.0");
    expect(platform.terraform.backend.local.path).toBe("../../../terraform.platform.tfstate");
    expect(platform.provider.aws.map((x: Json) => x.alias).sort()).toEqual(["analytics", "data", "platform"]);
    const kept = expectNothingReplaced(p, before);
    expect(kept.imported).toHaveLength(countOf(before));
    // Association ids come from the state the apply wrote: CLUSTER_NAME,ASSOCIATION_ID.
    for (const a of applied[0]!.associations)
      expect(kept.imported).toContainEqual(expect.stringMatching(new RegExp(`^platform → (prod|staging): ${a.cluster.name},${a.associationId}$`)));
    expect(kept.imported).toContainEqual("platform → prod: ledger-reader:ledger-table");
    expect(kept.imported).toContainEqual("platform → prod: ledger-reader/arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");

    // Once both are applied, the old stack's state is empty: it is no longer synthesized, and nothing is imported again.
    p.applyMovesBetweenStacks();
    expect(p.synth()).toEqual({ code: 0, stderr: "" });
    expect(p.stacks()).toEqual(["prod", "staging"]);
    for (const s of ["prod", "staging"]) expect(p.output(s).import).toBeUndefined();
  });

  it("regrouping imports an association in another region than its provider's with the id suffix @<region>", async () => {
    const { p, config, before } = await deployedExample(undefined, "test/app/configs/multi-region.yaml");
    config.stacks = { groupBy: "cluster" };
    p.write(config);
    expect(p.synth().code).toBe(0);
    const imports = p.stacks().flatMap((s) => p.output(s).import ?? []);
    const associations = imports.filter((b: Json) => b.to.startsWith("aws_eks_pod_identity_association."));
    // eu-west-1 is the platform provider's region (us-east-1 retail's): no suffix there; the other regions are named.
    expect(associations.map((b: Json) => `${b.provider} ${b.id.replace(/,a-[0-9a-z]+/, ",ID")}`).sort()).toEqual([
      "aws.platform prod-eu,ID",
      "aws.platform prod-eu,ID",
      "aws.platform prod-sydney,ID@ap-southeast-2",
      "aws.platform prod-us,ID@us-east-1",
      "aws.platform prod-us,ID@us-east-1",
      "aws.platform prod-us,ID@us-east-1",
      "aws.retail shop-us,ID@us-west-2",
      "aws.retail shop-us,ID@us-west-2",
    ]);
    expectNothingReplaced(p, before);
  });

  it("a shared role moved to another stack with stack: is forgotten by its old stack and imported by the new one", async () => {
    const { p, config, before } = await deployedExample();
    config.targetRoles["warehouse-loader"].stack = "shared-roles";
    p.write(config);
    const r = p.synth();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: stack "platform": 2 resources move to stack "shared-roles"');
    expect(
      p
        .output("platform")
        .removed.map((b: Json) => b.from)
        .sort(),
    ).toEqual([
      "aws_iam_role.target_role_warehouse-loader_role_3ECEED5C",
      "aws_iam_role_policy.target_role_warehouse-loader_policy_addon-external-secrets_C8DB3990",
    ]);
    expect(p.output("shared-roles").import).toEqual([
      { to: "aws_iam_role.target_role_warehouse-loader_role_3ECEED5C", id: "warehouse-loader", provider: "aws.analytics" },
      {
        to: "aws_iam_role_policy.target_role_warehouse-loader_policy_addon-external-secrets_C8DB3990",
        id: "warehouse-loader:addon-external-secrets",
        provider: "aws.analytics",
      },
    ]);
    expect(expectNothingReplaced(p, before).imported).toHaveLength(2);
  });

  it("with an S3 backend, a regrouping known only from the last output is refused with the command that downloads the state", async () => {
    const { p, config } = await deployedExample((c) => void (c.backend = { type: "s3", bucket: "tf-state", region: "eu-west-1", keyPrefix: "pod-identity" }));
    // With S3, the state lives in the bucket: what the project root holds is only the last output.
    const inBucket = readFileSync(path.join(p.dir, "terraform.platform.tfstate"), "utf8");
    rmSync(path.join(p.dir, "terraform.platform.tfstate"));
    config.stacks = { groupBy: "cluster" };
    p.write(config);
    const before = readFileSync(path.join(p.outdir, "stacks", "platform", "cdk.tf.json"), "utf8");
    const refused = p.synth();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('  stacks.groupBy: 18 resources of stack "platform"');
    expect(refused.stderr).toContain(
      "Download it to the project root and synthesize again:\n    aws s3 cp s3://tf-state/pod-identity/platform.tfstate terraform.platform.tfstate\n",
    );
    expect(readFileSync(path.join(p.outdir, "stacks", "platform", "cdk.tf.json"), "utf8")).toBe(before);
    expect(existsSync(path.join(p.outdir, "stacks", "prod"))).toBe(false);

    // The downloaded copy makes the move possible, and synth says it read a copy.
    writeFileSync(path.join(p.dir, "terraform.platform.tfstate"), inBucket);
    const moved = p.synth();
    expect(moved.code).toBe(0);
    expect(moved.stderr).toContain(
      'warning: terraform.platform.tfstate was read as the state of stack "platform" (the backend is S3, so it is a downloaded copy)',
    );
    expect(p.output("platform").removed).toHaveLength(18);
  });

  it("with an S3 backend, a cluster key renamed without movedFrom is refused from the last output alone", async () => {
    const { p, config } = await deployedExample((c) => void (c.backend = { type: "s3", bucket: "tf-state", region: "eu-west-1" }));
    rmSync(path.join(p.dir, "terraform.platform.tfstate"));
    renameProdCluster(config, "prod-eu");
    p.write(config);
    const refused = p.synth();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('  clusters.prod-eu: 5 resources of stack "platform"');
    expect(refused.stderr).toContain("        movedFrom: prod\n");
  });

  it("with the local backend and no state file, nothing was deployed: nothing to keep", async () => {
    const config = example();
    const p = await Project.create(config);
    expect(p.synth().code).toBe(0);
    renameProdCluster(config, "prod-eu");
    p.write(config);
    expect(p.synth()).toEqual({ code: 0, stderr: "" });
  });

  it("a deployment still at the addresses of association names, renamed in the same change: refused with the name to keep for one deploy", async () => {
    const config = example();
    const p = await Project.create(config);
    // The output of the version before addresses followed identity, applied.
    mkdirSync(path.join(p.outdir, "stacks", "platform"), { recursive: true });
    copyFileSync(path.join(__dirname, "refactoring", "label-addresses.platform.cdk.tf.json"), path.join(p.outdir, "stacks", "platform", "cdk.tf.json"));
    await p.apply();
    const before = p.deployed();
    expect(p.synth()).toEqual({ code: 0, stderr: "" });
    expect(expectNothingReplaced(p, before)).toMatchObject({ moved: 9 });

    config.associations[0].name = "payments-api-v2";
    p.write(config);
    const refused = p.synth();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      '  associations[0].name: resource of stack "platform" (aws_eks_pod_identity_association.payments-api_association_C6D6206B) would be destroyed and created again, because it was at the addresses that association names gave before addresses followed identity, of the name "payments-api": set name: payments-api again until a plan made with this version has been applied, then rename it (the name no longer changes addresses)\n',
    );

    config.associations[0].name = "payments-api";
    config.stacks.labelAddressMoves = false;
    p.write(config);
    const off = p.synth();
    expect(off.code).toBe(1);
    expect(off.stderr).toContain("set stacks.labelAddressMoves: true (it was turned off, but this deployment still has the addresses of before)");
    expect(off.stderr.match(/^ {2}associations\[\d\]\.name: /gm)).toHaveLength(5);

    // On purpose: POD_IDENTITY_ALLOW_REPLACE=1 synthesizes the replacement.
    expect(p.synth({ POD_IDENTITY_ALLOW_REPLACE: "1" })).toEqual({ code: 0, stderr: "" });
    expect(p.output("platform").moved).toBeUndefined();
  });

  it("a state file that is not a state stops synth with one line; an unreadable last output is a warning", async () => {
    const p = await Project.create(example());
    writeFileSync(path.join(p.dir, "terraform.platform.tfstate"), "{ not json");
    const bad = p.synth();
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^terraform\.platform\.tfstate is not valid JSON \(.*\); synth reads it to keep resources that move, so fix it, or move it away if it is not this project's state\nNothing was synthesized\.\n$/,
    );
    writeFileSync(path.join(p.dir, "terraform.platform.tfstate"), JSON.stringify({ version: 3, modules: [] }));
    expect(p.synth().stderr).toBe(
      "terraform.platform.tfstate is not a Terraform state (version 4, with a resources list); synth reads it to keep resources that move, so fix it, or move it away if it is not this project's state\nNothing was synthesized.\n",
    );
    rmSync(path.join(p.dir, "terraform.platform.tfstate"));
    mkdirSync(path.join(p.dir, "terraform.staging.tfstate"));
    expect(p.synth().stderr).toBe(
      "terraform.staging.tfstate is not a regular file; synth reads it to keep resources that move, so fix it, or move it away if it is not this project's state\nNothing was synthesized.\n",
    );
    rmSync(path.join(p.dir, "terraform.staging.tfstate"), { recursive: true });

    const s3 = example();
    s3.backend = { type: "s3", bucket: "tf-state", region: "eu-west-1" };
    p.write(s3);
    expect(p.synth().code).toBe(0);
    writeFileSync(path.join(p.outdir, "stacks", "platform", "cdk.tf.json"), "{");
    const r = p.synth();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: cdktf\.out\/stacks\/platform\/cdk\.tf\.json is not valid JSON \(.*\); stack "platform" is not compared with its last synthesized output\n$/,
    );
  });

  it("an earlier default name that another association has now is not moved from twice (Terraform refuses two moves from one address)", () => {
    const config = example();
    renameProdCluster(config, "eu", "prod");
    delete config.associations[0].name; // eu/payments/api: "eu-payments-api", before the rename "prod-payments-api"
    config.associations[2].name = "prod-payments-api"; // staging/payments/api
    const { app, stacks } = buildApp(parseConfig(yaml(config), "x.yaml"), { projectRoot: tmpdir(), outdir: path.join(tmpdir(), "unused") });
    expect(validateApp(app)).toEqual([]);
    const moved = JSON.parse(Testing.synth(stacks.get("platform")!)).moved as Json[];
    const froms = moved.map((m) => m.from);
    expect(new Set(froms).size).toBe(froms.length);
    const label = (name: string) => `aws_eks_pod_identity_association.${logicalId([name, "association"])}`;
    expect(moved.find((m) => m.from === label("prod-payments-api"))!.to).toContain("cluster_staging_payments_api_association_");
    expect(moved.find((m) => m.from === label("eu-payments-api"))!.to).toContain("cluster_prod_payments_api_association_");
  });
});
