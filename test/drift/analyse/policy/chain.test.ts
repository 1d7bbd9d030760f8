// Does a link of the chain still let an association's pods through? Checked against the IAM oracle, which
// evaluates the same two hops independently.
import { describe, expect, it } from "vitest";
import {
  parsePolicy,
  podIdentityPermissionAllows,
  podIdentityTrustAllows,
  targetTrustAllows,
  type ChainAssociation,
  type LinkVerdict,
  type PolicyDocument,
} from "../../../../drift/analyse/policy";
import type { PolicyDocumentJson } from "../../../../modules/policy/json";
import { clusterArn, describeCalls, evaluateChain, type ChainRoles, type PodRequest } from "../../../support/iam-oracle";

const CLUSTER = "111111111111";
const DATA = "222222222222";
const REGION = "eu-west-1";
const PI = `arn:aws:iam::${CLUSTER}:role/pod-identity/payments`;
const TARGET = `arn:aws:iam::${DATA}:role/ledger-reader`;
const LOCAL_TARGET = `arn:aws:iam::${CLUSTER}:role/local-reader`;

const pod: PodRequest = {
  partition: "aws",
  region: REGION,
  clusterAccountId: CLUSTER,
  clusterName: "prod",
  namespace: "payments",
  serviceAccount: "api",
  sessionTags: true,
};

const piTrust = (extra: Record<string, string> = {}): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: { StringEquals: { "aws:SourceAccount": CLUSTER, ...extra } },
    },
  ],
});
const permission = (target: string): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: target }],
});
const tagged = (ns = "payments", sa = "api", account = CLUSTER): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        ArnEquals: { "aws:PrincipalARN": PI },
        StringEquals: {
          "aws:RequestTag/eks-cluster-arn": clusterArn(pod),
          "aws:RequestTag/kubernetes-namespace": ns,
          "aws:RequestTag/kubernetes-service-account": sa,
        },
      },
    },
  ],
});
const untagged = (externalId: string): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${CLUSTER}:root` },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "sts:ExternalId": externalId }, ArnEquals: { "aws:PrincipalARN": PI } },
    },
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${CLUSTER}:root` }, Action: "sts:TagSession", Condition: { ArnEquals: { "aws:PrincipalARN": PI } } },
  ],
});

function parsed(doc: PolicyDocumentJson): PolicyDocument {
  const p = parsePolicy(JSON.stringify(doc));
  if (!p.ok) throw new Error(p.error);
  return p.policy;
}

/** The association through which the pod `p` would use the chain PI → TARGET. */
function chainAssociation(p: PodRequest, podIdentityRoleArn: string, targetRoleArn: string): ChainAssociation {
  return {
    partition: p.partition,
    region: p.region,
    clusterAccountId: p.clusterAccountId,
    clusterName: p.clusterName,
    namespace: p.namespace,
    serviceAccount: p.serviceAccount,
    podIdentityRoleArn,
    targetRoleArn,
    sessionTags: p.sessionTags,
    ...(typeof p.externalId === "string" ? { externalId: p.externalId } : {}),
  };
}

function verdict(roles: ChainRoles, p: PodRequest): LinkVerdict {
  const a = chainAssociation(p, roles.podIdentityRole.arn, roles.targetRole.arn);
  const hop1 = podIdentityTrustAllows(parsed(roles.podIdentityRole.trustPolicy), a);
  const perm = podIdentityPermissionAllows(roles.podIdentityRole.identityPolicies.map(parsed), false, a);
  const trust = targetTrustAllows(parsed(roles.targetRole.trustPolicy), a, perm);
  const all = [hop1, perm, trust];
  return all.includes("refuses") ? "refuses" : all.includes("unknown") ? "unknown" : "allows";
}

const roles = (target: string, trust: PolicyDocumentJson, pi: PolicyDocumentJson = piTrust(), perms = [permission(target)]): ChainRoles => ({
  podIdentityRole: { arn: PI, trustPolicy: pi, identityPolicies: perms },
  targetRole: { arn: target, trustPolicy: trust },
});

const EXTERNAL_ID = `${REGION}/${CLUSTER}/prod/payments/api`;
const CASES: Array<[string, ChainRoles, PodRequest]> = [
  ["tagged trust, own pod", roles(TARGET, tagged()), pod],
  ["tagged trust narrowed to another namespace", roles(TARGET, tagged("billing")), pod],
  ["tagged trust, another service account", roles(TARGET, tagged()), { ...pod, serviceAccount: "worker" }],
  ["tagged trust of another account's root", roles(TARGET, tagged("payments", "api", "444444444444")), pod],
  ["untagged trust, the documented external id", roles(TARGET, untagged(EXTERNAL_ID)), { ...pod, sessionTags: false }],
  ["untagged trust, a wrong external id", roles(TARGET, untagged(`${EXTERNAL_ID}x`)), { ...pod, sessionTags: false }],
  ["Pod Identity trust narrowed to another source account", roles(TARGET, tagged(), piTrust({ "aws:SourceAccount": "999999999999" })), pod],
  ["Pod Identity role lost its permission", roles(TARGET, tagged(), piTrust(), []), pod],
  ["permission on another target only", roles(TARGET, tagged(), piTrust(), [permission(`arn:aws:iam::${DATA}:role/other`)]), pod],
  ["same-account target: root trust plus the permission", roles(LOCAL_TARGET, tagged()), pod],
  ["same-account target: root trust without the permission", roles(LOCAL_TARGET, tagged(), piTrust(), []), pod],
];

describe("chain links against the IAM oracle", () => {
  it.each(CASES)("%s", async (_name, r, p) => {
    const oracle = await evaluateChain(r, p);
    expect(verdict(r, p), describeCalls(oracle.calls)).toBe(oracle.allowed ? "allows" : "refuses");
  });

  it("a condition on the pod's name (varies per pod) or on a key not modelled is unknown, not a guess", () => {
    const byPod = roles(TARGET, {
      ...tagged(),
      Statement: [{ ...tagged().Statement[0]!, Condition: { StringLike: { "aws:RequestTag/kubernetes-pod-name": "api-*" } } }],
    } as PolicyDocumentJson);
    expect(verdict(byPod, pod)).toBe("unknown");
    const bySourceArn = roles(TARGET, tagged(), piTrust({ "aws:SourceArn": "arn:aws:eks:eu-west-1:111111111111:podidentityassociation/prod/a-1" }));
    expect(verdict(bySourceArn, pod)).toBe("unknown");
  });

  it("managed policies it cannot read leave a missing inline permission unknown", () => {
    const a = chainAssociation(pod, PI, TARGET);
    expect(podIdentityPermissionAllows([], true, a)).toBe("unknown");
    expect(podIdentityPermissionAllows([], false, a)).toBe("refuses");
  });
});
