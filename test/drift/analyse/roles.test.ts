// One role, state against live: which fields changed and whether each broadens.
import { describe, expect, it } from "vitest";
import { combinedBroadening, compareRole } from "../../../drift/analyse/roles";
import type { LiveRole, StateRole } from "../../../drift/model";
import { encodeRfc3986 } from "../../support/iam-server";

const ARN = "arn:aws:iam::222222222222:role/ledger-reader";
const TRUST = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::111111111111:root" },
      Action: "sts:AssumeRole",
      Condition: { ArnEquals: { "aws:PrincipalARN": "arn:aws:iam::111111111111:role/hub" } },
    },
  ],
};
const READ = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/*" }] };
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll";

const state: StateRole = {
  source: "terraform.data.tfstate",
  address: "aws_iam_role.ledger",
  provider: 'provider["registry.terraform.io/hashicorp/aws"].target',
  providerAlias: "target",
  arn: ARN,
  name: "ledger-reader",
  accountId: "222222222222",
  partition: "aws",
  assumeRolePolicy: JSON.stringify(TRUST),
  inlinePolicies: [{ name: "read", policy: JSON.stringify(READ), address: "aws_iam_role_policy.read" }],
  attachments: [{ policyArn: DENY_ALL, address: "aws_iam_role_policy_attachment.deny" }],
};

const enc = (doc: unknown) => encodeRfc3986(JSON.stringify(doc, null, 2));
const live = (over: Partial<LiveRole> = {}): LiveRole => ({
  arn: ARN,
  roleId: "AROAEXAMPLE",
  assumeRolePolicy: enc(TRUST),
  inlinePolicies: [{ name: "read", document: enc(READ) }],
  attachments: [DENY_ALL],
  managedPolicies: {},
  ...over,
});

describe("compareRole", () => {
  it("formatting and encoding alone are not changes", () => {
    expect(compareRole(state, live())).toEqual({ permissions: [] });
  });

  it("a loosened trust: the field, its statement diff and the judgement", () => {
    const loose = { ...TRUST, Statement: [{ ...TRUST.Statement[0], Condition: undefined }] };
    const c = compareRole(state, live({ assumeRolePolicy: enc(loose) }));
    expect(c.trust).toMatchObject({
      name: "assume_role_policy",
      lines: ["~ statement #1: Condition − ArnEquals aws:PrincipalARN arn:aws:iam::111111111111:role/hub"],
      judgement: { broadens: true },
    });
    expect(c.trust!.expected).toEqual(TRUST);
  });

  it("inline policies widened, added and removed, each its own field", () => {
    const c = compareRole(
      state,
      live({
        inlinePolicies: [
          { name: "read", document: enc({ ...READ, Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) },
          { name: "debug", document: enc(READ) },
        ],
      }),
    );
    expect(c.permissions.map((f) => [f.name, f.judgement.broadens])).toEqual([
      ["inline_policy.debug", true],
      ["inline_policy.read", true],
    ]);
    const removed = compareRole(state, live({ inlinePolicies: [] }));
    expect(removed.permissions.map((f) => [f.name, f.expected !== null, f.actual, f.judgement.broadens])).toEqual([["inline_policy.read", true, null, false]]);
  });

  it("attachments: an admin policy attached broadens (judged from its document); a deny-all detached broadens too", () => {
    const c = compareRole(
      state,
      live({
        attachments: [ADMIN],
        managedPolicies: {
          [ADMIN]: { ok: true, document: enc({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) },
          [DENY_ALL]: { ok: true, document: enc({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] }) },
        },
      }),
    );
    const f = c.permissions[0]!;
    expect(f).toMatchObject({ name: "managed_policy_arns", expected: [DENY_ALL], actual: [ADMIN], lines: [`+ ${ADMIN}`, `− ${DENY_ALL}`] });
    expect(f.judgement.broadens).toBe(true);
    expect(f.judgement.reason).toContain(`+ ${ADMIN}: live allows`);
    expect(f.judgement.reason).toContain(`− ${DENY_ALL}: live no longer denies`);
  });

  it("an attached policy whose document could not be read cannot be judged", () => {
    const c = compareRole(
      state,
      live({ attachments: [DENY_ALL, ADMIN], managedPolicies: { [ADMIN]: { ok: false, error: { code: "AccessDenied", message: "not authorized" } } } }),
    );
    expect(c.permissions[0]!.judgement).toEqual({
      broadens: null,
      reason: `+ ${ADMIN}: attached ${ADMIN}, whose document could not be read (AccessDenied: not authorized)`,
    });
  });

  it("the permissions boundary: removed broadens, added narrows, replaced is not judged", () => {
    const withBoundary: StateRole = { ...state, permissionsBoundary: "arn:aws:iam::222222222222:policy/cap" };
    expect(compareRole(withBoundary, live()).permissions.map((f) => [f.name, f.judgement.broadens])).toEqual([["permissions_boundary", true]]);
    expect(compareRole(state, live({ permissionsBoundary: "arn:aws:iam::222222222222:policy/cap" })).permissions[0]!.judgement.broadens).toBe(false);
    expect(compareRole(withBoundary, live({ permissionsBoundary: "arn:aws:iam::222222222222:policy/other" })).permissions[0]!.judgement.broadens).toBeNull();
  });

  it("combined: true wins, then null, then false", () => {
    const f = (broadens: boolean | null) => ({
      name: String(broadens),
      expected: 1,
      actual: 2,
      lines: [],
      judgement: broadens === true ? { broadens, reason: "wider" } : broadens === null ? { broadens, reason: "unknown" } : { broadens, reason: "narrower" },
    });
    expect(combinedBroadening([f(false), f(null), f(true)]).broadens).toBe(true);
    expect(combinedBroadening([f(false), f(null)])).toEqual({ broadens: null, reason: "null: unknown" });
    expect(combinedBroadening([f(false)]).broadens).toBe(false);
  });
});
