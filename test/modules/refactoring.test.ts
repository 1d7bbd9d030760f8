// The constructs' `movedFrom`: a chain or a role whose construct path changed keeps its resources through
// Terraform moved blocks, chained oldest first (Terraform allows one source per destination).
import { Construct } from "constructs";
import { describe, expect, it } from "vitest";
import { PodIdentityChain } from "../../modules/chain";
import { TargetRole } from "../../modules/target-role";
import { logicalId } from "../../modules/refactoring/paths";
import { CLUSTER, fixture, synthJson } from "./helpers";

describe("movedFrom on the constructs", () => {
  it("a chain moved under another scope: its association and the roles it creates move, oldest path first", () => {
    const { stack, platform, data } = fixture();
    new PodIdentityChain(new Construct(stack, "prod"), "payments", {
      cluster: CLUSTER,
      namespace: "payments",
      serviceAccount: "api",
      podIdentityRole: {},
      targetRole: { accountId: data.accountId, name: "ledger" },
      providers: { cluster: platform.provider, target: data.provider },
      movedFrom: ["payments-api", "old/payments"],
    });
    const json = synthJson(stack);
    const declared = (type: string, rel: string[]) => `${type}.${logicalId(["prod", "payments", ...rel])}`;
    const chainOf = (type: string, rel: string[]) => [
      { from: `${type}.${logicalId(["payments-api", ...rel])}`, to: `${type}.${logicalId(["old", "payments", ...rel])}` },
      { from: `${type}.${logicalId(["old", "payments", ...rel])}`, to: declared(type, rel) },
    ];
    expect(json.moved).toEqual([
      ...chainOf("aws_iam_role", ["pod_identity_role", "role"]),
      ...chainOf("aws_iam_role_policy", ["pod_identity_role", "policy_pod-identity-chain"]),
      ...chainOf("aws_iam_role", ["target_role", "role"]),
      ...chainOf("aws_eks_pod_identity_association", ["association"]),
    ]);
    const froms = new Set(json.moved.map((m: { from: string }) => m.from));
    for (const m of json.moved.filter((x: { to: string }) => !froms.has(x.to))) {
      const [type, name] = m.to.split(".");
      expect(json.resource[type][name], `${m.to}, the end of a chain, is declared`).toBeDefined();
    }
  });

  it("a role moved: its role, inline policies and attachments move", () => {
    const { stack, data } = fixture();
    const role = new TargetRole(stack, "ledger", {
      account: data,
      name: "ledger-reader",
      managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
      inlinePolicies: { read: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } },
      movedFrom: ["reader"],
    });
    role.addGrant({
      label: "a",
      partition: "aws",
      region: "eu-west-1",
      clusterAccountId: CLUSTER.accountId,
      clusterName: CLUSTER.name,
      namespace: "n",
      serviceAccount: "s",
      podIdentityRoleArn: "arn:aws:iam::111111111111:role/p",
      sessionTags: true,
    });
    expect(synthJson(stack).moved.map((m: { from: string }) => m.from)).toEqual([
      `aws_iam_role.${logicalId(["reader", "role"])}`,
      `aws_iam_role_policy.${logicalId(["reader", "policy_read"])}`,
      `aws_iam_role_policy_attachment.${logicalId(["reader", "managed_0"])}`,
    ]);
  });

  it("refuses movedFrom on a bring-your-own role, on a construct inside another that declares one, and its own path", () => {
    const { stack, platform, data } = fixture();
    expect(() => new TargetRole(stack, "byo", { account: data, existingRoleArn: "arn:aws:iam::222222222222:role/x", movedFrom: ["old"] })).toThrow(
      'target role "byo": existingRoleArn ("arn:aws:iam::222222222222:role/x") names a role owned elsewhere, so movedFrom cannot be set',
    );
    expect(
      () =>
        new PodIdentityChain(stack, "c", {
          cluster: CLUSTER,
          namespace: "n",
          serviceAccount: "s",
          podIdentityRole: { movedFrom: ["x"] },
          providers: { cluster: platform.provider },
          movedFrom: ["y"],
        }),
    ).toThrow("[test/c] movedFrom is already declared for test/c/pod_identity_role; declare it on one of them");
    expect(() => new TargetRole(stack, "here", { account: data, name: "here", movedFrom: ["here"] })).toThrow(
      '[test/here] movedFrom "here" is where it is now',
    );
  });
});
