import { TERRAFORM_CDK, TerraformVariable } from "../../modules/terraform-cdk";
import { describe, expect, it } from "vitest";
import { PodIdentityChain } from "../../modules/chain";
import { PodIdentityRole } from "../../modules/pod-identity-role";
import { TargetRole } from "../../modules/target-role";
import { ValidationError } from "../../modules/errors";
import { CLUSTER, errorsOf, fixture, resource, synthJson } from "./helpers";

describe("providers", () => {
  it("one aliased provider per account, pinned to its account", () => {
    const { stack } = fixture();
    expect(synthJson(stack).provider.aws).toEqual([
      { alias: "platform", allowed_account_ids: ["111111111111"], region: "eu-west-1" },
      { alias: "data", allowed_account_ids: ["222222222222"], region: "eu-west-1" },
    ]);
  });
});

describe("PodIdentityChain", () => {
  it("creates role → permission → target → association with literal ARNs and explicit depends_on", () => {
    const { stack, platform, data } = fixture();
    new PodIdentityChain(stack, "payments", {
      cluster: CLUSTER,
      namespace: "payments",
      serviceAccount: "api",
      podIdentityRole: { name: "payments-pi", path: "/pi/" },
      targetRole: { accountId: data.accountId, name: "ledger" },
      tags: { team: "payments" },
      providers: { cluster: platform.provider, target: data.provider },
    });
    const json = synthJson(stack);
    const pi = resource(json, "aws_iam_role", "pod_identity_role");
    expect(pi).toMatchObject({ name: "payments-pi", path: "/pi/", provider: "aws.platform" });
    const target = resource(json, "aws_iam_role", "target_role");
    expect(target).toMatchObject({ name: "ledger", path: "/", provider: "aws.data" });
    expect(JSON.parse(target.assume_role_policy).Statement[0].Condition.ArnEquals["aws:PrincipalARN"]).toBe("arn:aws:iam::111111111111:role/pi/payments-pi");
    const permission = resource(json, "aws_iam_role_policy", "pod-identity-chain");
    expect(permission).toMatchObject({ name: "pod-identity-chain", role: "payments-pi", provider: "aws.platform" });
    expect(JSON.parse(permission.policy).Statement).toEqual([
      { Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: "arn:aws:iam::222222222222:role/ledger" },
    ]);
    const association = resource(json, "aws_eks_pod_identity_association", "association");
    expect(association).toMatchObject({
      cluster_name: "prod-eu",
      namespace: "payments",
      service_account: "api",
      role_arn: "arn:aws:iam::111111111111:role/pi/payments-pi",
      target_role_arn: "arn:aws:iam::222222222222:role/ledger",
      disable_session_tags: false,
      tags: { team: "payments" },
      provider: "aws.platform",
    });
    expect(association.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_iam_role\.payments_pod_identity_role/),
        expect.stringMatching(/^aws_iam_role_policy\./),
        expect.stringMatching(/^aws_iam_role\.payments_target_role/),
      ]),
    );
    expect(association.external_id).toBeUndefined();
    expect(errorsOf(stack)).toEqual([]);
  });

  it("merges the trust of a target role shared by several associations, and the hub role's permission", () => {
    const { stack, platform, data } = fixture();
    const hub = new PodIdentityRole(stack, "hub", { account: platform, name: "hub" });
    const target = new TargetRole(stack, "reader", { account: data, name: "reader" });
    const target2 = new TargetRole(stack, "writer", { account: data, name: "writer" });
    for (const [sa, t] of [
      ["a", target],
      ["b", target],
      ["c", target2],
    ] as const) {
      new PodIdentityChain(stack, sa, {
        cluster: CLUSTER,
        namespace: "ns",
        serviceAccount: sa,
        podIdentityRole: hub,
        targetRole: t,
        providers: { cluster: platform.provider },
      });
    }
    const json = synthJson(stack);
    const trust = JSON.parse(resource(json, "aws_iam_role", "reader").assume_role_policy);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Condition.StringEquals["aws:RequestTag/kubernetes-service-account"]).toEqual(["a", "b"]);
    const permission = JSON.parse(resource(json, "aws_iam_role_policy", "hub").policy);
    expect(permission.Statement[0].Resource).toEqual(["arn:aws:iam::222222222222:role/reader", "arn:aws:iam::222222222222:role/writer"]);
    expect(Object.keys(json.resource.aws_iam_role_policy)).toHaveLength(1);
  });

  it("session tags off: disable_session_tags and the external-id trust", () => {
    const { stack, platform, data } = fixture();
    const chain = new PodIdentityChain(stack, "etl", {
      cluster: CLUSTER,
      namespace: "analytics",
      serviceAccount: "etl",
      podIdentityRole: {},
      targetRole: { accountId: data.accountId },
      sessionTags: false,
      providers: { cluster: platform.provider, target: data.provider },
    });
    expect(chain.externalId).toBe("eu-west-1/111111111111/prod-eu/analytics/etl");
    const json = synthJson(stack);
    expect(resource(json, "aws_eks_pod_identity_association", "etl").disable_session_tags).toBe(true);
    const trust = JSON.parse(resource(json, "aws_iam_role", "target").assume_role_policy);
    expect(trust.Statement.map((s: any) => s.Action)).toEqual(["sts:AssumeRole", "sts:TagSession"]);
    expect(resource(json, "aws_iam_role", "pod_identity").name).toBe("prod-eu-analytics-etl");
  });

  it("bring your own target role: creates nothing for it and outputs the exact trust to apply", () => {
    const { stack, platform, data } = fixture();
    const byo = new TargetRole(stack, "bi", { account: data, existingRoleArn: "arn:aws:iam::222222222222:role/team/bi" });
    new PodIdentityChain(stack, "x", {
      cluster: CLUSTER,
      namespace: "bi",
      serviceAccount: "exp",
      podIdentityRole: { name: "bi-pi" },
      targetRole: byo,
      providers: { cluster: platform.provider },
    });
    const json = synthJson(stack);
    expect(Object.keys(json.resource.aws_iam_role)).toHaveLength(1);
    const trust = JSON.parse(json.output.bi_required_trust_policy.value);
    expect(trust.Statement[0].Condition.ArnEquals["aws:PrincipalARN"]).toBe("arn:aws:iam::111111111111:role/bi-pi");
    expect(resource(json, "aws_eks_pod_identity_association", "x").target_role_arn).toBe("arn:aws:iam::222222222222:role/team/bi");
  });

  it("bring your own Pod Identity role: outputs its trust and the permission it must get", () => {
    const { stack, platform, data } = fixture();
    const pi = new PodIdentityRole(stack, "legacy", { account: platform, existingRoleArn: "arn:aws:iam::111111111111:role/legacy" });
    new PodIdentityChain(stack, "x", {
      cluster: CLUSTER,
      namespace: "a",
      serviceAccount: "b",
      podIdentityRole: pi,
      targetRole: { accountId: data.accountId, name: "t" },
      providers: { cluster: platform.provider, target: data.provider },
    });
    const json = synthJson(stack);
    expect(json.resource.aws_iam_role_policy).toBeUndefined();
    expect(JSON.parse(json.output.legacy_required_permission_policy.value).Statement[0].Resource).toBe("arn:aws:iam::222222222222:role/t");
    expect(JSON.parse(json.output.legacy_required_trust_policy.value).Statement[0].Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
  });

  it("session policy: the binding's own argument on CDK Terrain, an escape hatch on CDKTF; the provider pinned to >= 6.57.1", () => {
    const { stack, platform, data } = fixture();
    const sessionPolicy = { Version: "2012-10-17" as const, Statement: [{ Effect: "Allow" as const, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] };
    const chain = new PodIdentityChain(stack, "x", {
      cluster: CLUSTER,
      namespace: "a",
      serviceAccount: "b",
      podIdentityRole: {},
      targetRole: { accountId: data.accountId },
      sessionTags: false,
      sessionPolicy,
      providers: { cluster: platform.provider, target: data.provider },
    });
    const json = synthJson(stack);
    expect(resource(json, "aws_eks_pod_identity_association", "x").policy).toBe(JSON.stringify(sessionPolicy));
    expect(json.terraform.required_providers.aws).toEqual({ source: "hashicorp/aws", version: ">= 6.57.1, < 7.0.0" });
    // CDK Terrain's binding (AWS provider 6.66.0) has the argument; CDKTF's (6.25.0) has not: an override.
    if (TERRAFORM_CDK === "cdktn") expect((chain.association as unknown as { policyInput: string }).policyInput).toBe(JSON.stringify(sessionPolicy));
    else expect("policy" in chain.association).toBe(false);
  });

  it("accepts unresolved tokens and skips their validation", () => {
    const { stack, platform, data } = fixture();
    const ns = new TerraformVariable(stack, "namespace", { type: "string" });
    const sa = new TerraformVariable(stack, "service_account", { type: "string" });
    new PodIdentityChain(stack, "x", {
      cluster: CLUSTER,
      namespace: ns.stringValue,
      serviceAccount: sa.stringValue,
      podIdentityRole: { name: "pi" },
      targetRole: { accountId: data.accountId, name: "t" },
      providers: { cluster: platform.provider, target: data.provider },
    });
    expect(errorsOf(stack)).toEqual([]);
    const json = synthJson(stack);
    expect(resource(json, "aws_eks_pod_identity_association", "x").namespace).toBe("${var.namespace}");
    expect(resource(json, "aws_iam_role", "target").assume_role_policy).toContain("${var.service_account}");
  });

  it("with a name prefix the ARN is a reference", () => {
    const { stack, platform, data } = fixture();
    new PodIdentityChain(stack, "x", {
      cluster: CLUSTER,
      namespace: "a",
      serviceAccount: "b",
      podIdentityRole: { namePrefix: "pi-" },
      targetRole: { accountId: data.accountId, name: "t" },
      providers: { cluster: platform.provider, target: data.provider },
    });
    const json = synthJson(stack);
    expect(resource(json, "aws_eks_pod_identity_association", "x").role_arn).toMatch(/^\$\{aws_iam_role\..*\.arn\}$/);
    expect(resource(json, "aws_iam_role", "pod_identity").name_prefix).toBe("pi-");
    expect(errorsOf(stack)).toEqual([]);
  });

  it("warns when the target role is in the cluster's own account", () => {
    const { stack, platform } = fixture();
    new PodIdentityChain(stack, "x", {
      cluster: CLUSTER,
      namespace: "a",
      serviceAccount: "b",
      podIdentityRole: {},
      targetRole: { accountId: CLUSTER.accountId },
      providers: { cluster: platform.provider, target: platform.provider },
    });
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => m.data));
    expect(warnings).toEqual([
      'association "x": target role "x-target" is in the cluster\'s own account 111111111111; it works, but needs no chaining: the Pod Identity role could carry the permissions itself',
    ]);
    expect(errorsOf(stack)).toEqual([]);
  });
});

describe("constructor errors (impossible combinations)", () => {
  it("name and namePrefix together", () => {
    const { stack, platform } = fixture();
    expect(() => new PodIdentityRole(stack, "r", { account: platform, name: "a", namePrefix: "b" })).toThrow(
      'Pod Identity role "r": set either name ("a") or namePrefix ("b"), not both',
    );
  });
  it("options on a role owned elsewhere", () => {
    const { stack, data } = fixture();
    expect(() => new TargetRole(stack, "r", { account: data, existingRoleArn: "arn:aws:iam::222222222222:role/x", managedPolicyArns: [] })).toThrow(
      /existingRoleArn .* so managedPolicyArns cannot be set/,
    );
  });
  it("an inline policy named like one the role renders itself", () => {
    const { stack, platform, data } = fixture();
    const policy = { Version: "2012-10-17" as const, Statement: [{ Effect: "Allow" as const, Action: "s3:ListBucket", Resource: "*" }] };
    const target = () =>
      new TargetRole(fixture().stack, "t", {
        account: data,
        inlinePolicies: { "addon-external-dns": policy },
        addonPolicies: [{ name: "external-dns", hostedZoneArns: ["arn:aws:route53:::hostedzone/Z1"] }],
      });
    expect(target).toThrow(ValidationError);
    expect(target).toThrow(
      '[test/t] target role "t": inlinePolicies.addon-external-dns: the name is reserved for the policy of the role\'s add-on "external-dns" (addonPolicies); rename it',
    );
    expect(() => new PodIdentityRole(stack, "p", { account: platform, inlinePolicies: { "pod-identity-chain": policy } })).toThrow(
      '[test/p] Pod Identity role "p": inlinePolicies.pod-identity-chain: the name is reserved for the policy that lets the role chain into its target roles; rename it',
    );
    expect(() => new TargetRole(stack, "u", { account: data, inlinePolicies: { "read.all": policy, read_all: policy } })).toThrow(
      '[test/u] inline policy "read_all" would have the construct id of inline policy "read.all" (policy_read_all); rename one',
    );
  });
  it("creating a target role without its provider", () => {
    const { stack, platform } = fixture();
    expect(
      () =>
        new PodIdentityChain(stack, "c", {
          cluster: CLUSTER,
          namespace: "a",
          serviceAccount: "b",
          podIdentityRole: {},
          targetRole: { accountId: "222222222222" },
          providers: { cluster: platform.provider },
        }),
    ).toThrow('association "c": providers.target is required to create the target role in account 222222222222');
  });
});
