// Every chain the committed Terraform module makes, through the independent IAM oracle: the module is planned
// by Terraform for a configuration of its own (test/support/terraform-eval.ts), and the policies in the plan
// are what the oracle evaluates. Four calls: two cluster accounts sharing one target role (clusters in three
// regions, session tags on and off, a session policy), a GovCloud call, and a call with both roles owned
// elsewhere (their policies taken from the module's outputs). Every association is allowed for its own
// cluster, namespace and service account, and denied for any other, for another principal, for a wrong
// external id, and for the same cluster name in another region. Needs `terraform` on PATH.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyDocumentJson } from "../../modules/policy/json";
import { MODULE_DIR } from "../../modules/terraform-module";
import { describeCalls } from "../support/iam-oracle";
import { chainCases, runChainCase, type ChainCase, type SynthAssociation } from "../support/iam-synth-chains";
import { planModule, terraformVersion, TfExpression, type ModuleCall, type PlannedCall } from "../support/terraform-eval";

const TERRAFORM = terraformVersion();
const dir = join(__dirname, "..", "..", MODULE_DIR);
const files = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith(".tf.json"))
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), "utf8"))]),
);

const TARGET = "222222222222";
const facts = (cluster: string, region: string, partition = "aws", targetRegion = region) => ({
  cluster_account_id: cluster,
  cluster_partition: partition,
  cluster_region: region,
  target_account_id: TARGET,
  target_partition: partition,
  target_region: targetRegion,
});
const association = (cluster: string, namespace: string, serviceAccount: string, more: Record<string, unknown> = {}) => ({
  cluster_name: cluster,
  namespace,
  service_account: serviceAccount,
  ...more,
});
const SESSION_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger-exports/*" }],
});

const CALLS: Record<string, ModuleCall & { readonly clusterAccount: string; readonly targetCall: string }> = {
  eu: {
    clusterAccount: "111111111111",
    targetCall: "eu",
    facts: facts("111111111111", "eu-west-1"),
    variables: {
      name: "ledger-reader",
      associations: {
        api: association("prod", "payments", "api"),
        worker: association("prod", "payments", "worker"),
        us: association("prod", "payments", "api", { cluster_region: "us-east-1" }),
        export: association("prod", "payments", "export", { session_tags: false, session_policy: SESSION_POLICY }),
      },
      trusted_associations: new TfExpression("module.west.trusted_associations"),
      trust_policy_max_size: 4096, // seven statements: after AWS raised the quota
    },
  },
  west: {
    clusterAccount: "333333333333",
    targetCall: "eu",
    facts: facts("333333333333", "us-west-2"),
    variables: {
      name: "ledger-reader-west",
      pod_identity_role_path: "/pod-identity/",
      target_role_arn: new TfExpression("module.eu.target_role_arn"),
      associations: { sync: association("edge", "ledger", "sync", { session_tags: false }), api: association("edge", "ledger", "api") },
    },
  },
  gov: {
    clusterAccount: "111111111111",
    targetCall: "gov",
    facts: facts("111111111111", "us-gov-west-1", "aws-us-gov"),
    variables: {
      name: "gov-reader",
      associations: {
        east: association("gov", "payments", "api", { cluster_region: "us-gov-east-1" }),
        west: association("gov", "payments", "api", { session_tags: false }),
      },
    },
  },
  byo: {
    clusterAccount: "444444444444",
    targetCall: "byo",
    facts: facts("444444444444", "eu-central-1"),
    variables: {
      name: "unused",
      pod_identity_role_arn: "arn:aws:iam::444444444444:role/platform/shared-hub",
      target_role_arn: `arn:aws:iam::${TARGET}:role/data-team/ledger`,
      associations: { reports: association("central", "reports", "api"), archive: association("central", "archive", "writer", { session_tags: false }) },
    },
  },
};

const json = (text: string): PolicyDocumentJson => JSON.parse(text) as PolicyDocumentJson;

/** The oracle's view of every association of one call, with the target role of the call that owns it. */
function associationsOf(name: string, planned: Record<string, PlannedCall>): SynthAssociation[] {
  const call = planned[name]!;
  const owner = planned[CALLS[name]!.targetCall]!;
  const piRole = call.resources["aws_iam_role.pod_identity"]?.[0];
  const chainPolicy = call.resources["aws_iam_role_policy.pod_identity_chain"]?.[0];
  const targetRole = owner.resources["aws_iam_role.target"]?.[0];
  const podIdentityRole = {
    arn: call.outputs.pod_identity_role_arn as string,
    trustPolicy: json(piRole ? piRole.assume_role_policy : call.outputs.pod_identity_role_trust_policy_json),
    identityPolicies: [json(chainPolicy ? chainPolicy.policy : call.outputs.pod_identity_role_permission_policy_json)],
  };
  const target = {
    arn: owner.outputs.target_role_arn as string,
    trustPolicy: json(targetRole ? targetRole.assume_role_policy : owner.outputs.target_role_trust_policy_json),
  };
  return Object.entries(call.resources["aws_eks_pod_identity_association.this"] as Record<string, any>).map(([key, a]) => {
    expect(a.role_arn).toBe(podIdentityRole.arn);
    expect(a.target_role_arn).toBe(target.arn);
    return {
      id: `${name}/${key}`,
      partition: /^arn:([^:]+):/.exec(a.role_arn)![1]!,
      region: a.region,
      clusterAccountId: CALLS[name]!.clusterAccount,
      clusterName: a.cluster_name,
      namespace: a.namespace,
      serviceAccount: a.service_account,
      sessionTags: a.disable_session_tags !== true,
      roles: { podIdentityRole, targetRole: target },
      byo: { podIdentityRole: piRole === undefined, targetRole: targetRole === undefined },
    };
  });
}

/** The oracle's cases, and one more: the same cluster name in another region (another cluster). */
function cases(a: SynthAssociation, all: readonly SynthAssociation[]): ChainCase[] {
  const otherRegion = a.region === "us-west-2" ? "ap-south-1" : "us-west-2";
  return [
    ...chainCases(a, all),
    { label: "denied for a cluster of the same name in another region", pod: { ...chainCases(a, all)[0]!.pod, region: otherRegion }, allowed: false },
  ];
}

describe.skipIf(!TERRAFORM)("the Terraform module's chains through the IAM oracle", () => {
  let all: SynthAssociation[] = [];
  beforeAll(() => {
    const planned = planModule(files, Object.fromEntries(Object.entries(CALLS).map(([k, c]) => [k, { variables: c.variables, facts: c.facts }])));
    all = Object.keys(CALLS).flatMap((name) => associationsOf(name, planned));
  }, 180_000);

  it("finds every association of every call, each in its cluster's region", () => {
    expect(all.map((a) => `${a.id} ${a.partition} ${a.region} ${a.sessionTags ? "tags" : "external-id"}${a.byo.targetRole ? " byo" : ""}`)).toEqual([
      "eu/api aws eu-west-1 tags",
      "eu/export aws eu-west-1 external-id",
      "eu/us aws us-east-1 tags",
      "eu/worker aws eu-west-1 tags",
      "west/api aws us-west-2 tags",
      "west/sync aws us-west-2 external-id",
      "gov/east aws-us-gov us-gov-east-1 tags",
      "gov/west aws-us-gov us-gov-west-1 external-id",
      "byo/archive aws eu-central-1 external-id byo",
      "byo/reports aws eu-central-1 tags byo",
    ]);
  });

  it("every case of every association", async () => {
    const failures: string[] = [];
    let count = 0;
    for (const a of all) {
      for (const c of cases(a, all)) {
        count++;
        const verdict = await runChainCase(a, c);
        if (verdict.allowed !== c.allowed) failures.push(`${a.id}: ${c.label}: expected ${c.allowed ? "allowed" : "denied"}\n${describeCalls(verdict.calls)}`);
        if (!c.allowed && !verdict.calls.some((x) => x.action === "sts:AssumeRole" && x.decision !== "Allowed"))
          failures.push(`${a.id}: ${c.label}: denied, but not on sts:AssumeRole`);
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(80);
  }, 180_000);
});
