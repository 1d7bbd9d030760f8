// The oracle on hand-written policies (written from the AWS documentation, not by the project's
// constructs), so that it can be trusted on its own before it judges anything the project generates.
import { describe, expect, it } from "vitest";
import type { PolicyDocumentJson } from "../../modules/policy/json";
import {
  type ChainRoles,
  type PodRequest,
  type RolePolicies,
  clusterArn,
  describeCalls,
  evaluateChain,
  evaluateHop1,
  evaluateHop2,
  expectedExternalId,
  simulate,
} from "../support/iam-oracle";

const CLUSTER_ACCOUNT = "111111111111";
const TARGET_ACCOUNT = "222222222222";
const REGION = "eu-west-1";
const PI_ROLE = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/pod-identity/payments-pi`;
const TARGET_ROLE = `arn:aws:iam::${TARGET_ACCOUNT}:role/payments-target`;
const SAME_ACCOUNT_TARGET = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/payments-local-target`;

const pod: PodRequest = {
  partition: "aws",
  region: REGION,
  clusterAccountId: CLUSTER_ACCOUNT,
  clusterName: "prod",
  namespace: "payments",
  serviceAccount: "api",
  sessionTags: true,
};
const untaggedPod: PodRequest = { ...pod, sessionTags: false };

const piTrust = (extraStringEquals: Record<string, string> = {}): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: { StringEquals: { "aws:SourceAccount": CLUSTER_ACCOUNT, ...extraStringEquals } },
    },
  ],
});

const chainPermission = (target: string): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: target }],
});

const taggedTargetTrust = (account = CLUSTER_ACCOUNT): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        ArnEquals: { "aws:PrincipalARN": PI_ROLE },
        StringEquals: {
          "aws:RequestTag/eks-cluster-arn": clusterArn(pod),
          "aws:RequestTag/kubernetes-namespace": "payments",
          "aws:RequestTag/kubernetes-service-account": "api",
        },
      },
    },
  ],
});

const untaggedTargetTrust: PolicyDocumentJson = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${CLUSTER_ACCOUNT}:root` },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "sts:ExternalId": `${REGION}/${CLUSTER_ACCOUNT}/prod/payments/api` },
        ArnEquals: { "aws:PrincipalARN": PI_ROLE },
      },
    },
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${CLUSTER_ACCOUNT}:root` },
      Action: "sts:TagSession",
      Condition: { ArnEquals: { "aws:PrincipalARN": PI_ROLE } },
    },
  ],
};

const piRole = (identityPolicies: PolicyDocumentJson[], trust = piTrust()): RolePolicies => ({ arn: PI_ROLE, trustPolicy: trust, identityPolicies });

const tagged: ChainRoles = {
  podIdentityRole: piRole([chainPermission(TARGET_ROLE)]),
  targetRole: { arn: TARGET_ROLE, trustPolicy: taggedTargetTrust() },
};
const untagged: ChainRoles = {
  podIdentityRole: piRole([chainPermission(TARGET_ROLE)]),
  targetRole: { arn: TARGET_ROLE, trustPolicy: untaggedTargetTrust },
};

async function expectChain(roles: ChainRoles, request: PodRequest, allowed: boolean) {
  const verdict = await evaluateChain(roles, request);
  expect(verdict.allowed, describeCalls(verdict.calls)).toBe(allowed);
  return verdict;
}

describe("oracle: session tags on (principal root + aws:PrincipalARN + request tags)", () => {
  it("allows the chain for the right cluster, namespace and service account", async () => {
    const verdict = await expectChain(tagged, pod, true);
    expect(verdict.calls.map((c) => c.action)).toEqual(["sts:AssumeRole", "sts:TagSession", "sts:AssumeRole", "sts:TagSession"]);
  });

  it.each([
    ["another namespace", { namespace: "billing" }],
    ["another service account", { serviceAccount: "worker" }],
    ["another cluster (same account)", { clusterName: "staging" }],
    ["another cluster account", { clusterAccountId: "333333333333" }],
  ])("denies %s", async (_label, change) => {
    const verdict = await expectChain(tagged, { ...pod, ...change }, false);
    // The denial comes from the target trust (hop 2), except for the source-account change on hop 1.
    expect(verdict.calls.some((c) => c.decision !== "Allowed")).toBe(true);
  });

  it("denies another principal in the cluster account, even one allowed to assume anything", async () => {
    const other: RolePolicies = {
      arn: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/ci-deployer`,
      trustPolicy: piTrust(),
      identityPolicies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:*", Resource: "*" }] }],
    };
    const calls = await evaluateHop2(tagged, pod, other);
    expect(calls.map((c) => c.decision)).toEqual(["ImplicitlyDenied", "ImplicitlyDenied"]);
  });

  it("denies a role with the same name under another path (aws:PrincipalARN includes the path)", async () => {
    const impostor: RolePolicies = { ...tagged.podIdentityRole, arn: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/payments-pi` };
    const calls = await evaluateHop2(tagged, pod, impostor);
    expect(calls[0]!.decision).toBe("ImplicitlyDenied");
  });

  it("cross-account needs the Pod Identity role's permission too", async () => {
    const noPermission: ChainRoles = { ...tagged, podIdentityRole: piRole([]) };
    const verdict = await expectChain(noPermission, pod, false);
    expect(verdict.calls.slice(0, 2).map((c) => c.decision)).toEqual(["Allowed", "Allowed"]);
  });

  it("a permission on another target role does not help", async () => {
    const wrong: ChainRoles = { ...tagged, podIdentityRole: piRole([chainPermission(`arn:aws:iam::${TARGET_ACCOUNT}:role/other`)]) };
    await expectChain(wrong, pod, false);
  });

  it("a target trust that trusts another account denies", async () => {
    await expectChain({ ...tagged, targetRole: { arn: TARGET_ROLE, trustPolicy: taggedTargetTrust("444444444444") } }, pod, false);
  });
});

describe("oracle: session tags off (sts:ExternalId)", () => {
  it("the documented external id is REGION/ACCOUNT/CLUSTER/NAMESPACE/SA", () => {
    expect(expectedExternalId(pod)).toBe("eu-west-1/111111111111/prod/payments/api");
  });

  it("allows the chain with the external id EKS sends", async () => {
    const verdict = await expectChain(untagged, untaggedPod, true);
    expect(verdict.calls.map((c) => c.action)).toEqual(["sts:AssumeRole", "sts:TagSession", "sts:AssumeRole"]);
  });

  it.each([
    ["another namespace", { namespace: "billing" }],
    ["another service account", { serviceAccount: "worker" }],
    ["another cluster", { clusterName: "staging" }],
    ["a missing external id", { externalId: null }],
    ["a wrong external id", { externalId: "eu-west-1/111111111111/prod/payments/apI" }],
    ["an external id for another region", { externalId: "us-east-1/111111111111/prod/payments/api" }],
  ])("denies %s", async (_label, change) => {
    const verdict = await expectChain(untagged, { ...untaggedPod, ...change }, false);
    expect(verdict.calls[2]!.decision).toBe("ImplicitlyDenied");
  });

  it("denies another principal in the cluster account that knows the external id", async () => {
    const other: RolePolicies = {
      arn: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/ci-deployer`,
      trustPolicy: piTrust(),
      identityPolicies: [chainPermission(TARGET_ROLE)],
    };
    const calls = await evaluateHop2(untagged, untaggedPod, other);
    expect(calls[0]!.decision).toBe("ImplicitlyDenied");
  });

  it("tagged trust does not accept an untagged request, and vice versa", async () => {
    await expectChain(tagged, untaggedPod, false);
    // The untagged trust has no request-tag conditions, but its AssumeRole statement demands an external id.
    await expectChain(untagged, pod, false);
  });
});

describe("oracle: hop 1 (EKS assumes the Pod Identity role)", () => {
  it("allows pods.eks.amazonaws.com from the cluster account", async () => {
    const calls = await evaluateHop1(tagged, pod);
    expect(calls.map((c) => c.decision)).toEqual(["Allowed", "Allowed"]);
  });

  it("denies when aws:SourceAccount is another account", async () => {
    const calls = await evaluateHop1(tagged, { ...pod, clusterAccountId: "333333333333" });
    expect(calls.map((c) => c.decision)).toEqual(["ImplicitlyDenied", "ImplicitlyDenied"]);
  });

  it("a trust narrowed by request tags denies another namespace, and denies untagged requests", async () => {
    const narrowed: ChainRoles = {
      ...tagged,
      podIdentityRole: piRole([chainPermission(TARGET_ROLE)], piTrust({ "aws:RequestTag/kubernetes-namespace": "payments" })),
    };
    expect((await evaluateHop1(narrowed, pod)).map((c) => c.decision)).toEqual(["Allowed", "Allowed"]);
    expect((await evaluateHop1(narrowed, { ...pod, namespace: "billing" })).map((c) => c.decision)).toEqual(["ImplicitlyDenied", "ImplicitlyDenied"]);
    expect((await evaluateHop1(narrowed, untaggedPod)).map((c) => c.decision)).toEqual(["ImplicitlyDenied", "ImplicitlyDenied"]);
  });

  it("a trust for another service principal denies", async () => {
    const trust = piTrust();
    trust.Statement[0]!.Principal = { Service: "ec2.amazonaws.com" };
    const calls = await evaluateHop1({ ...tagged, podIdentityRole: piRole([], trust) }, pod);
    expect(calls.map((c) => c.decision)).toEqual(["ImplicitlyDenied", "ImplicitlyDenied"]);
  });
});

describe("oracle: same-account target role follows IAM's same-account rules", () => {
  it("trust naming the account root also needs the identity policy", async () => {
    const withPermission: ChainRoles = {
      podIdentityRole: piRole([chainPermission(SAME_ACCOUNT_TARGET)]),
      targetRole: { arn: SAME_ACCOUNT_TARGET, trustPolicy: taggedTargetTrust() },
    };
    await expectChain(withPermission, pod, true);
    await expectChain({ ...withPermission, podIdentityRole: piRole([]) }, pod, false);
  });

  it("trust naming the role itself is enough without an identity policy", async () => {
    const roleTrust: PolicyDocumentJson = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: PI_ROLE }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
    };
    await expectChain({ podIdentityRole: piRole([]), targetRole: { arn: SAME_ACCOUNT_TARGET, trustPolicy: roleTrust } }, pod, true);
    // Cross-account, the same trust form still needs the caller's permission.
    await expectChain({ podIdentityRole: piRole([]), targetRole: { arn: TARGET_ROLE, trustPolicy: roleTrust } }, pod, false);
  });

  it("an identity policy alone, without a trust that allows, is denied", async () => {
    const noTrust: PolicyDocumentJson = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    };
    await expectChain(
      { podIdentityRole: piRole([chainPermission(SAME_ACCOUNT_TARGET)]), targetRole: { arn: SAME_ACCOUNT_TARGET, trustPolicy: noTrust } },
      pod,
      false,
    );
  });

  it("an explicit deny in the identity policy wins", async () => {
    const deny: PolicyDocumentJson = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "sts:AssumeRole", Resource: "*" }] };
    const verdict = await expectChain({ ...tagged, podIdentityRole: piRole([chainPermission(TARGET_ROLE), deny]) }, pod, false);
    expect(verdict.calls[2]!.decision).toBe("ExplicitlyDenied");
  });
});

describe("oracle: refuses broken input instead of calling it a denial", () => {
  it("throws on an invalid policy", async () => {
    const broken = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*", Condition: { StringEquals: "x" } }] };
    await expect(
      simulate({
        principal: "arn:aws:iam::111111111111:role/x",
        action: "sts:AssumeRole",
        resource: TARGET_ROLE,
        resourceAccount: TARGET_ACCOUNT,
        identityPolicies: [broken as unknown as PolicyDocumentJson],
      }),
    ).rejects.toThrow(/iam-simulate rejected/);
  });

  it("throws on an unknown action", async () => {
    await expect(
      simulate({ principal: "arn:aws:iam::111111111111:role/x", action: "sts:AssumeRoll", resource: TARGET_ROLE, resourceAccount: TARGET_ACCOUNT }),
    ).rejects.toThrow(/iam-simulate rejected/);
  });
});
