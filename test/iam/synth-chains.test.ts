// The reader of synthesized output, on a hand-written cdk.tf.json in the shape the app synthesizes, and
// the chain cases run over it: so that example-chain.test.ts can be trusted on whatever the app produces.
import { describe, expect, it } from "vitest";
import type { PolicyDocumentJson } from "../../modules/policy/json";
import { describeCalls } from "../support/iam-oracle";
import { associationsOfStack, chainCases, runChainCase } from "../support/iam-synth-chains";

const CLUSTER = "111111111111";
const DATA = "222222222222";
const OTHER_TEAM = "333333333333";
const REGION = "eu-west-1";
const PI_ARN = `arn:aws:iam::${CLUSTER}:role/pod-identity/prod-hub`;
const REPORTS_ARN = `arn:aws:iam::${DATA}:role/reports-reader`;
const ARCHIVE_ARN = `arn:aws:iam::${DATA}:role/archive-writer`;
const BYO_ARN = `arn:aws:iam::${OTHER_TEAM}:role/ledger`;
const clusterArn = (name: string) => `arn:aws:eks:${REGION}:${CLUSTER}:cluster/${name}`;

const piTrust: PolicyDocumentJson = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: { StringEquals: { "aws:SourceAccount": CLUSTER } },
    },
  ],
};
const taggedTrust = (cluster: string, ns: string, sa: string): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${CLUSTER}:root` },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        ArnEquals: { "aws:PrincipalARN": PI_ARN },
        StringEquals: {
          "aws:RequestTag/eks-cluster-arn": clusterArn(cluster),
          "aws:RequestTag/kubernetes-namespace": ns,
          "aws:RequestTag/kubernetes-service-account": sa,
        },
      },
    },
  ],
});
const untaggedTrust = (externalId: string): PolicyDocumentJson => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${CLUSTER}:root` },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "sts:ExternalId": externalId }, ArnEquals: { "aws:PrincipalARN": PI_ARN } },
    },
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${CLUSTER}:root` }, Action: "sts:TagSession", Condition: { ArnEquals: { "aws:PrincipalARN": PI_ARN } } },
  ],
});

function stack(overrides: { reportsTrust?: PolicyDocumentJson; permissionTargets?: string[]; outputs?: Record<string, unknown> } = {}) {
  return {
    provider: {
      aws: [
        { alias: "cluster", region: REGION, allowed_account_ids: [CLUSTER] },
        { alias: "data", region: REGION, allowed_account_ids: [DATA] },
      ],
    },
    resource: {
      aws_iam_role: {
        hub: { provider: "aws.cluster", name: "prod-hub", path: "/pod-identity/", assume_role_policy: JSON.stringify(piTrust) },
        reports: {
          provider: "aws.data",
          name: "reports-reader",
          path: "/",
          assume_role_policy: JSON.stringify(overrides.reportsTrust ?? taggedTrust("prod", "reports", "api")),
        },
        archive: {
          provider: "aws.data",
          name: "archive-writer",
          path: "/",
          assume_role_policy: JSON.stringify(untaggedTrust(`${REGION}/${CLUSTER}/prod/archive/writer`)),
        },
      },
      aws_iam_role_policy: {
        hub_chain: {
          provider: "aws.cluster",
          name: "chain",
          role: "${aws_iam_role.hub.name}",
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: overrides.permissionTargets ?? [ARCHIVE_ARN, BYO_ARN, REPORTS_ARN] },
            ],
          }),
        },
      },
      aws_eks_pod_identity_association: {
        reports: {
          provider: "aws.cluster",
          cluster_name: "prod",
          namespace: "reports",
          service_account: "api",
          role_arn: "${aws_iam_role.hub.arn}",
          target_role_arn: REPORTS_ARN,
          disable_session_tags: false,
        },
        archive: {
          provider: "aws.cluster",
          cluster_name: "prod",
          namespace: "archive",
          service_account: "writer",
          role_arn: PI_ARN,
          target_role_arn: "${aws_iam_role.archive.arn}",
          disable_session_tags: true,
        },
        ledger: {
          provider: "aws.cluster",
          cluster_name: "prod",
          namespace: "ledger",
          service_account: "sync",
          role_arn: PI_ARN,
          target_role_arn: BYO_ARN,
        },
      },
    },
    output: overrides.outputs ?? {
      ledger_required_trust_policy: {
        description: `Trust policy the owners of ${BYO_ARN} must apply`,
        value: JSON.stringify(taggedTrust("prod", "ledger", "sync")),
      },
    },
  };
}

describe("reading synthesized associations", () => {
  it("finds every association, resolving references, inline policies and bring-your-own outputs", () => {
    const found = associationsOfStack("cluster-account", stack());
    expect(
      found.map((a) => [a.id, a.namespace, a.serviceAccount, a.sessionTags, a.roles.podIdentityRole.arn, a.roles.targetRole.arn, a.byo.targetRole]),
    ).toEqual([
      ["cluster-account/reports", "reports", "api", true, PI_ARN, REPORTS_ARN, false],
      ["cluster-account/archive", "archive", "writer", false, PI_ARN, ARCHIVE_ARN, false],
      ["cluster-account/ledger", "ledger", "sync", true, PI_ARN, BYO_ARN, true],
    ]);
    expect(found[0]!.roles.podIdentityRole.identityPolicies).toHaveLength(1);
    expect(found[0]).toMatchObject({ partition: "aws", region: REGION, clusterAccountId: CLUSTER, clusterName: "prod" });
  });

  it.each([
    [
      "an unresolvable reference",
      (s: ReturnType<typeof stack>) => void (s.resource.aws_eks_pod_identity_association.reports.role_arn = "${data.aws_iam_role.x.arn}"),
      /cannot resolve/,
    ],
    [
      "a bring-your-own role without its output",
      (s: ReturnType<typeof stack>) => void (s.output = {}),
      /neither created in a stack read nor described by an output/,
    ],
    [
      "a provider without allowed_account_ids",
      (s: ReturnType<typeof stack>) => void ((s.provider.aws[1] as { allowed_account_ids?: string[] }).allowed_account_ids = undefined),
      /allowed_account_ids/,
    ],
  ])("throws on %s", (_label, mutate, message) => {
    const s = stack();
    mutate(s);
    expect(() => associationsOfStack("cluster-account", s)).toThrow(message);
  });
});

describe("roles created by another stack", () => {
  it("are found by ARN when the whole output directory is read", () => {
    const s = stack();
    const { reports, ...rest } = s.resource.aws_iam_role;
    const elsewhere = associationsOfStack("cluster-account", stack());
    const other = { ...s, resource: { ...s.resource, aws_iam_role: rest } };
    expect(() => associationsOfStack("cluster-account", other)).toThrow(
      /target role arn:aws:iam::222222222222:role\/reports-reader is neither created in a stack read/,
    );
    const roles = new Map([
      [REPORTS_ARN, { key: "reports", name: "reports-reader", arn: REPORTS_ARN, trust: JSON.parse(reports.assume_role_policy), inline: [] }],
    ]);
    expect(associationsOfStack("cluster-account", other, roles)[0]!.roles.targetRole).toEqual(elsewhere[0]!.roles.targetRole);
  });
});

describe("chain cases over a correct stack", () => {
  const all = associationsOfStack("cluster-account", stack());
  for (const a of all) {
    describe(a.id, () => {
      it.each(chainCases(a, all).map((c) => [c.label, c]))("%s", async (_label, c) => {
        const verdict = await runChainCase(a, c);
        expect(verdict.allowed, describeCalls(verdict.calls)).toBe(c.allowed);
        if (!c.allowed)
          expect(
            verdict.calls.some((x) => x.action === "sts:AssumeRole" && x.decision !== "Allowed"),
            describeCalls(verdict.calls),
          ).toBe(true);
      });
    });
  }
});

describe("chain cases catch broken stacks", () => {
  const allowedCase = async (s: ReturnType<typeof stack>, id: string) => {
    const all = associationsOfStack("cluster-account", s);
    const a = all.find((x) => x.id === id)!;
    return (await runChainCase(a, chainCases(a, all)[0]!)).allowed;
  };

  it("a target trust for the wrong service account", async () => {
    expect(await allowedCase(stack({ reportsTrust: taggedTrust("prod", "reports", "apl") }), "cluster-account/reports")).toBe(false);
  });

  it("a Pod Identity role permission that misses the target", async () => {
    expect(await allowedCase(stack({ permissionTargets: [ARCHIVE_ARN, BYO_ARN] }), "cluster-account/reports")).toBe(false);
  });

  it("a target trust that ignores the principal lets another principal of the cluster account in", async () => {
    const loose = taggedTrust("prod", "reports", "api");
    delete loose.Statement[0]!.Condition!.ArnEquals;
    const all = associationsOfStack("cluster-account", stack({ reportsTrust: loose }));
    const a = all[0]!;
    const intruder = chainCases(a, all).find((c) => c.label.includes("another principal"))!;
    expect((await runChainCase(a, intruder)).allowed).toBe(true);
  });
});
