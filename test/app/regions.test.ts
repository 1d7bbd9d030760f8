// Where each association is created, in every stack grouping: AWS provider 6's per-resource `region` is set
// to its cluster's region, whatever the region of its account's provider, and the association keeps its
// account's provider (the alias IAM and the account check use). Expected regions are read from the config
// files by hand here, not computed by the app.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "../../modules/terraform-cdk";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp, validateApp } from "../../modules/app";
import { parseConfig } from "../../modules/config/load";
import { DriftReaderRole } from "../../modules/drift-reader-role";
import { fixture, resource, synthJson } from "../modules/helpers";

const work = mkdtempSync(path.join(tmpdir(), "pod-identity-regions-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Per config: cluster name → [region, the account key whose provider the association uses, partition]. */
const CLUSTERS: Record<string, Record<string, [region: string, account: string, partition: string]>> = {
  "multi-region": {
    "prod-eu": ["eu-west-1", "platform", "aws"],
    "prod-us": ["us-east-1", "platform", "aws"],
    "prod-sydney": ["ap-southeast-2", "platform", "aws"],
    "shop-us": ["us-west-2", "retail", "aws"],
  },
  govcloud: {
    "gov-west": ["us-gov-west-1", "gov-platform", "aws-us-gov"],
    "gov-east": ["us-gov-east-1", "gov-platform", "aws-us-gov"],
    mission: ["us-gov-east-1", "gov-mission", "aws-us-gov"],
    "mission-west": ["us-gov-west-1", "gov-mission", "aws-us-gov"],
  },
  china: {
    beijing: ["cn-north-1", "cn-platform", "aws-cn"],
    ningxia: ["cn-northwest-1", "cn-platform", "aws-cn"],
    ops: ["cn-northwest-1", "cn-ops", "aws-cn"],
  },
};

function synth(config: string, groupBy: string): Record<string, any> {
  const file = path.join(__dirname, "configs", `${config}.yaml`);
  const text = `${readFileSync(file, "utf8")}\nstacks: { groupBy: ${groupBy} }\n`;
  const { app, stacks } = buildApp(parseConfig(text, `${config}.yaml`), { projectRoot: work, outdir: path.join(work, `${config}-${groupBy}`) });
  expect(validateApp(app)).toEqual([]);
  return Object.fromEntries([...stacks].map(([id, stack]) => [id, JSON.parse(Testing.synth(stack))]));
}

describe.each(Object.keys(CLUSTERS))("%s.yaml", (config) => {
  const addresses = new Map<string, string[]>();

  it.each(["clusterAccount", "cluster", "single"])("groupBy %s: every association in its cluster's region, on its account's provider", (groupBy) => {
    const stacks = synth(config, groupBy);
    const seen: string[] = [];
    for (const [stackId, json] of Object.entries(stacks)) {
      const regionOf = new Map((json.provider.aws as any[]).map((p) => [p.alias, p.region]));
      for (const [address, a] of Object.entries<any>(json.resource?.aws_eks_pod_identity_association ?? {})) {
        const [region, account, partition] = CLUSTERS[config]![a.cluster_name]!;
        expect({ address, region: a.region, provider: a.provider }).toEqual({ address, region, provider: `aws.${account}` });
        expect(a.role_arn.startsWith(`arn:${partition}:iam::`) && a.target_role_arn.startsWith(`arn:${partition}:iam::`)).toBe(true);
        expect(regionOf.has(account)).toBe(true);
        seen.push(`${stackId}/${address}`);
      }
    }
    expect(new Set(seen.map((s) => s.split("/")[1])).size).toBe(seen.length);
    addresses.set(groupBy, seen.map((s) => s.split("/")[1]!).sort());
  });

  it("some association is in another region than its account's provider (so the test can fail)", () => {
    const json = Object.values(synth(config, "single"))[0];
    const regionOf = new Map((json.provider.aws as any[]).map((p) => [`aws.${p.alias}`, p.region]));
    const elsewhere = Object.values<any>(json.resource.aws_eks_pod_identity_association).filter((a) => a.region !== regionOf.get(a.provider));
    expect(elsewhere.length).toBeGreaterThan(0);
  });

  it("resource addresses do not depend on the grouping", () => {
    expect(addresses.get("cluster")).toEqual(addresses.get("clusterAccount"));
    expect(addresses.get("single")).toEqual(addresses.get("clusterAccount"));
  });
});

describe("regional add-on permissions", () => {
  it("cover the region of every cluster the role serves, not its account's", () => {
    const json = Object.values(synth("multi-region", "single"))[0];
    const velero = Object.values<any>(json.resource.aws_iam_role_policy).find((p) => p.name === "addon-velero");
    const resources = JSON.parse(velero.policy).Statement.flatMap((s: any) => (typeof s.Resource === "string" ? [s.Resource] : s.Resource));
    const regions = new Set(resources.filter((r: string) => r.startsWith("arn:aws:ec2:")).map((r: string) => r.split(":")[3]));
    // The backups role lives in "data" (provider eu-central-1) and serves prod-eu and prod-us.
    expect([...regions].sort()).toEqual(["eu-west-1", "us-east-1"]);
  });
});

describe("the drift daemon's association", () => {
  it("is created in its cluster's region", () => {
    const { stack, platform } = fixture();
    new DriftReaderRole(stack, "drift", {
      account: platform,
      clusterName: "tools",
      clusterRegion: "us-east-1",
      clusterArns: ["arn:aws:eks:us-east-1:111111111111:cluster/tools"],
    });
    expect(resource(synthJson(stack), "aws_eks_pod_identity_association", "drift").region).toBe("us-east-1");
  });
});
