// Roles and their policies from Terraform state (parseState with drift/state/iam-roles.ts): which resources belong to which role, and which source
// wins when the provider also recorded them on the role.
import { describe, expect, it } from "vitest";
import type { StateRole } from "../../../drift/model";
import { parseState, StateReadError } from "../../../drift/state";

const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';
const CLUSTER = `${AWS}.cluster`;
const TARGET = `${AWS}.target`;
const TRUST =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}';
const READ = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ledger/*"}]}';
const ASSUME =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"arn:aws:iam::222222222222:role/ledger-reader"}]}';

interface R {
  readonly type: string;
  readonly name: string;
  readonly provider?: string;
  readonly module?: string;
  readonly mode?: "managed" | "data";
  readonly instances: readonly { readonly index_key?: string | number; readonly deposed?: string; readonly attributes: unknown }[];
}

const resource = (r: R) => ({
  mode: r.mode ?? "managed",
  type: r.type,
  name: r.name,
  provider: r.provider ?? CLUSTER,
  ...(r.module ? { module: r.module } : {}),
  instances: r.instances,
});
const one = (attributes: object) => [{ attributes }];

function role(name: string, account = "111111111111", extra: object = {}) {
  return {
    arn: `arn:aws:iam::${account}:role/pod-identity/${name}`,
    name,
    path: "/pod-identity/",
    unique_id: `AROA${name.toUpperCase().padEnd(17, "X")}`,
    assume_role_policy: TRUST,
    permissions_boundary: "",
    inline_policy: [],
    managed_policy_arns: [],
    ...extra,
  };
}

function read(...resources: R[]): StateRole[] {
  const text = JSON.stringify({ version: 4, terraform_version: "1.9.8", serial: 1, lineage: "x", outputs: {}, resources: resources.map(resource) });
  return [...parseState("terraform.platform.tfstate", text).roles];
}

describe("roles and their policies from state", () => {
  it("the project's shape: a role, its aws_iam_role_policy and aws_iam_role_policy_attachment resources", () => {
    const roles = read(
      { type: "aws_iam_role", name: "payments_role", instances: one(role("payments")) },
      {
        type: "aws_iam_role_policy",
        name: "payments_policy_assume",
        instances: one({ id: "payments:assume-target", name: "assume-target", role: "payments", policy: ASSUME }),
      },
      {
        type: "aws_iam_role_policy_attachment",
        name: "payments_managed_0",
        instances: one({ id: "payments-2026", role: "payments", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }),
      },
    );
    expect(roles).toEqual([
      {
        source: "terraform.platform.tfstate",
        address: "aws_iam_role.payments_role",
        provider: CLUSTER,
        providerAlias: "cluster",
        arn: "arn:aws:iam::111111111111:role/pod-identity/payments",
        name: "payments",
        accountId: "111111111111",
        partition: "aws",
        uniqueId: "AROAPAYMENTSXXXXXXXXX",
        assumeRolePolicy: TRUST,
        inlinePolicies: [{ name: "assume-target", policy: ASSUME, address: "aws_iam_role_policy.payments_policy_assume" }],
        attachments: [{ policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess", address: "aws_iam_role_policy_attachment.payments_managed_0" }],
      },
    ]);
  });

  it("without separate resources, the role's inline_policy blocks and managed_policy_arns; an empty block means none", () => {
    const [r] = read({
      type: "aws_iam_role",
      name: "legacy",
      instances: one(
        role("legacy", "111111111111", {
          permissions_boundary: "arn:aws:iam::111111111111:policy/boundary",
          inline_policy: [
            { name: "read", policy: READ },
            { name: "", policy: "" },
          ],
          managed_policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        }),
      ),
    });
    expect(r!.permissionsBoundary).toBe("arn:aws:iam::111111111111:policy/boundary");
    expect(r!.inlinePolicies).toEqual([{ name: "read", policy: READ, address: "aws_iam_role.legacy" }]);
    expect(r!.attachments).toEqual([{ policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess", address: "aws_iam_role.legacy" }]);
  });

  it("separate resources win over what the provider refreshed into the role's attributes (per kind)", () => {
    // A later apply refreshed an out-of-band policy and attachment into the role's computed attributes.
    const refreshed = role("payments", "111111111111", {
      inline_policy: [
        { name: "assume-target", policy: ASSUME },
        { name: "debug", policy: READ },
      ],
      managed_policy_arns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
    });
    const [r] = read(
      { type: "aws_iam_role", name: "r", instances: one(refreshed) },
      { type: "aws_iam_role_policy", name: "p", instances: one({ name: "assume-target", role: "payments", policy: ASSUME }) },
    );
    expect(r!.inlinePolicies.map((p) => p.name)).toEqual(["assume-target"]);
    // No attachment resource for this role: managed_policy_arns is what state says.
    expect(r!.attachments.map((a) => a.policyArn)).toEqual(["arn:aws:iam::aws:policy/AdministratorAccess"]);
  });

  it("policies belong to the role of the same name under the same provider (one provider = one account)", () => {
    const roles = read(
      { type: "aws_iam_role", name: "a", instances: one(role("reader", "111111111111")) },
      { type: "aws_iam_role", name: "b", provider: TARGET, instances: one(role("reader", "222222222222")) },
      { type: "aws_iam_role_policy", name: "pa", instances: one({ name: "in-cluster-account", role: "reader", policy: READ }) },
      {
        type: "aws_iam_role_policy",
        name: "pb",
        provider: TARGET,
        instances: one({ name: "in-target-account", role: "arn:aws:iam::222222222222:role/pod-identity/reader", policy: READ }),
      },
      { type: "aws_iam_role_policy", name: "orphan", instances: one({ name: "x", role: "not-in-this-state", policy: READ }) },
    );
    expect(roles.map((r) => [r.accountId, r.inlinePolicies.map((p) => p.name)])).toEqual([
      ["111111111111", ["in-cluster-account"]],
      ["222222222222", ["in-target-account"]],
    ]);
  });

  it("aws_iam_policy_attachment (several roles), modules, count and for_each; deposed objects and data sources skipped", () => {
    const roles = read(
      {
        type: "aws_iam_role",
        name: "this",
        module: "module.apps",
        instances: [
          { index_key: "web", attributes: role("web") },
          { index_key: "api", attributes: role("api") },
          { index_key: "api", deposed: "00000001", attributes: role("api") },
        ],
      },
      { type: "aws_iam_role", name: "lookup", mode: "data", instances: one(role("elsewhere")) },
      {
        type: "aws_iam_policy_attachment",
        name: "shared",
        instances: one({ name: "shared", roles: ["web", "api"], policy_arn: "arn:aws:iam::111111111111:policy/shared", users: [], groups: [] }),
      },
      { type: "aws_iam_role_policy", name: "named", instances: [{ index_key: 0, attributes: { id: "web:from-id", role: "web", policy: READ } }] },
    );
    expect(
      roles.map((r) => [r.address, r.name, r.attachments.map((a) => `${a.policyArn} ${a.address}`), r.inlinePolicies.map((p) => `${p.name} ${p.address}`)]),
    ).toEqual([
      [
        'module.apps.aws_iam_role.this["web"]',
        "web",
        ["arn:aws:iam::111111111111:policy/shared aws_iam_policy_attachment.shared"],
        ["from-id aws_iam_role_policy.named[0]"],
      ],
      ['module.apps.aws_iam_role.this["api"]', "api", ["arn:aws:iam::111111111111:policy/shared aws_iam_policy_attachment.shared"], []],
    ]);
  });

  it("a malformed instance is an error naming the resource and the attribute, never the value", () => {
    const secret = "super-secret-policy-text";
    const attempt = () => read({ type: "aws_iam_role_policy", name: "bad", instances: one({ name: "x", role: ["payments"], policy: secret }) });
    expect(attempt).toThrow(StateReadError);
    expect(attempt).toThrow(
      "terraform.platform.tfstate: malformed aws_iam_role_policy.bad: resources[0].instances[0].attributes.role: expected a non-empty string",
    );
    expect(() => read({ type: "aws_iam_role", name: "r", instances: one({ ...role("x"), arn: "arn:aws:iam::111111111111:user/x" }) })).toThrow(
      /attributes\.arn: not an IAM role ARN/,
    );
    expect(() => read({ type: "aws_iam_role", name: "r", instances: one({ ...role("x"), managed_policy_arns: [1] }) })).toThrow(
      /attributes\.managed_policy_arns: expected an array of strings/,
    );
    try {
      attempt();
    } catch (e) {
      expect(String(e)).not.toContain(secret);
    }
  });
});
