// The `broadens` judgement, checked against the independent IAM policy simulator (test/support/iam-oracle):
// - every `true` comes with an example request; the simulator must allow it under live and not under state;
// - every `false` is sampled: over a grid of requests, nothing the simulator allows under live is refused
//   under state.
import { describe, expect, it } from "vitest";
import { comparePolicyTexts, type Broadening, type ExampleRequest } from "../../../../drift/analyse/policy";
import type { PolicyDocumentJson } from "../../../../modules/policy/json";
import { assumedRoleArn, simulate, type Decision } from "../../../support/iam-oracle";
import { encodeRfc3986 } from "../../../support/iam-server";

const CLUSTER = "111111111111";
const TARGET = "222222222222";
const PI = `arn:aws:iam::${CLUSTER}:role/pod-identity/payments`;
const TARGET_ROLE = `arn:aws:iam::${TARGET}:role/ledger-reader`;
const CLUSTER_ARN = `arn:aws:eks:eu-west-1:${CLUSTER}:cluster/prod`;

type Doc = PolicyDocumentJson;
const doc = (...Statement: object[]): Doc => ({ Version: "2012-10-17", Statement }) as Doc;

// The target role's trust as the project writes it (session tags on).
const targetTrust = (over: { principal?: unknown; condition?: object; action?: unknown } = {}) =>
  doc({
    Effect: "Allow",
    Principal: over.principal ?? { AWS: `arn:aws:iam::${CLUSTER}:root` },
    Action: over.action ?? ["sts:AssumeRole", "sts:TagSession"],
    Condition: over.condition ?? {
      ArnEquals: { "aws:PrincipalARN": PI },
      StringEquals: {
        "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN,
        "aws:RequestTag/kubernetes-namespace": "payments",
        "aws:RequestTag/kubernetes-service-account": "api",
      },
    },
  });

const piTrust = (condition: object | null = { StringEquals: { "aws:SourceAccount": CLUSTER } }) =>
  doc({
    Effect: "Allow",
    Principal: { Service: "pods.eks.amazonaws.com" },
    Action: ["sts:AssumeRole", "sts:TagSession"],
    ...(condition ? { Condition: condition } : {}),
  });

const inline = (Action: unknown, Resource: unknown, extra: object = {}) => doc({ Effect: "Allow", Action, Resource, ...extra });

interface Case {
  readonly name: string;
  readonly kind: "trust" | "identity";
  readonly state: Doc | undefined;
  readonly live: Doc | undefined;
  readonly broadens: boolean | null;
  /** A phrase the reason must contain. */
  readonly reason?: RegExp;
}

const CASES: Case[] = [
  // Target role trust
  {
    name: "trust: another account trusted in a new statement",
    kind: "trust",
    state: targetTrust(),
    live: {
      ...targetTrust(),
      Statement: [...targetTrust().Statement, { Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }],
    } as Doc,
    broadens: true,
    reason: /999999999999/,
  },
  {
    name: "trust: the aws:PrincipalARN condition dropped (any principal of the cluster account)",
    kind: "trust",
    state: targetTrust(),
    live: targetTrust({
      condition: {
        StringEquals: {
          "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN,
          "aws:RequestTag/kubernetes-namespace": "payments",
          "aws:RequestTag/kubernetes-service-account": "api",
        },
      },
    }),
    broadens: true,
  },
  {
    name: "trust: a namespace condition loosened with a wildcard",
    kind: "trust",
    state: targetTrust(),
    live: targetTrust({
      condition: {
        ArnEquals: { "aws:PrincipalARN": PI },
        StringEquals: { "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN, "aws:RequestTag/kubernetes-service-account": "api" },
        StringLike: { "aws:RequestTag/kubernetes-namespace": "pay*" },
      },
    }),
    broadens: true,
    reason: /kubernetes-namespace=pay/,
  },
  {
    name: "trust: principal widened to * but still pinned by aws:PrincipalARN (no wider access)",
    kind: "trust",
    state: targetTrust(),
    live: targetTrust({ principal: "*" }),
    broadens: false,
  },
  {
    name: "trust: narrowed to one more condition",
    kind: "trust",
    state: targetTrust(),
    live: targetTrust({
      condition: {
        ArnEquals: { "aws:PrincipalARN": PI },
        StringEquals: {
          "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN,
          "aws:RequestTag/kubernetes-namespace": "payments",
          "aws:RequestTag/kubernetes-service-account": "api",
          "aws:RequestTag/eks-cluster-name": "prod",
        },
      },
    }),
    broadens: false,
  },
  {
    name: "trust: sts:TagSession removed (narrower)",
    kind: "trust",
    state: targetTrust(),
    live: targetTrust({ action: "sts:AssumeRole" }),
    broadens: false,
  },
  {
    name: "trust: the principal rewritten by IAM to a deleted role's unique id (matches nobody)",
    kind: "trust",
    state: doc({ Effect: "Allow", Principal: { AWS: PI }, Action: "sts:AssumeRole" }),
    live: doc({ Effect: "Allow", Principal: { AWS: "AROAQ7SSZBKHRKPWRZUN6" }, Action: "sts:AssumeRole" }),
    broadens: false,
  },
  {
    name: "trust: a Deny on a namespace removed",
    kind: "trust",
    state: {
      ...targetTrust({ condition: { ArnEquals: { "aws:PrincipalARN": PI } } }),
      Statement: [
        ...targetTrust({ condition: { ArnEquals: { "aws:PrincipalARN": PI } } }).Statement,
        {
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:RequestTag/kubernetes-namespace": "kube-system" } },
        },
      ],
    } as Doc,
    live: targetTrust({ condition: { ArnEquals: { "aws:PrincipalARN": PI } } }),
    broadens: true,
    reason: /kube-system/,
  },
  {
    name: "trust: a condition made IfExists (holds when the key is absent)",
    kind: "trust",
    state: piTrust(),
    live: piTrust({ StringEqualsIfExists: { "aws:SourceAccount": CLUSTER } }),
    broadens: true,
    reason: /without aws:SourceAccount/,
  },
  {
    name: "Pod Identity trust: aws:SourceAccount condition dropped",
    kind: "trust",
    state: piTrust(),
    live: piTrust(null),
    broadens: true,
    reason: /pods\.eks\.amazonaws\.com/,
  },
  {
    name: "Pod Identity trust: narrowed with a request-tag condition",
    kind: "trust",
    state: piTrust(),
    live: piTrust({ StringEquals: { "aws:SourceAccount": CLUSTER, "aws:RequestTag/kubernetes-namespace": "payments" } }),
    broadens: false,
  },
  // Permission policies
  {
    name: "inline: widened to * on *",
    kind: "identity",
    state: inline("s3:GetObject", "arn:aws:s3:::ledger/*"),
    live: inline("*", "*"),
    broadens: true,
  },
  {
    name: "inline: narrowed to fewer actions and a sub-path",
    kind: "identity",
    state: inline(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::ledger/*"),
    live: inline("s3:GetObject", "arn:aws:s3:::ledger/reports/*"),
    broadens: false,
  },
  {
    name: "inline: a service wildcard (s3:*) for one action",
    kind: "identity",
    state: inline("s3:GetObject", "arn:aws:s3:::ledger/*"),
    live: inline("s3:*", "arn:aws:s3:::ledger/*"),
    broadens: true,
    reason: /s3:(PutObject|DeleteObject)/,
  },
  {
    name: "inline: NotAction (everything but IAM)",
    kind: "identity",
    state: inline("s3:GetObject", "*"),
    live: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }),
    broadens: true,
  },
  {
    name: "inline: a Deny removed",
    kind: "identity",
    state: doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::ledger/*" }, { Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" }),
    live: inline("s3:*", "arn:aws:s3:::ledger/*"),
    broadens: true,
    reason: /s3:DeleteObject/,
  },
  {
    name: "inline: a Deny added",
    kind: "identity",
    state: inline("s3:*", "arn:aws:s3:::ledger/*"),
    live: doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::ledger/*" }, { Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" }),
    broadens: false,
  },
  {
    name: "inline: a Deny-only policy removed",
    kind: "identity",
    state: doc({ Effect: "Deny", Action: "s3:DeleteObject", Resource: "*" }),
    live: undefined,
    broadens: true,
    reason: /no longer denies s3:DeleteObject/,
  },
  {
    name: "inline: policy added",
    kind: "identity",
    state: undefined,
    live: inline("s3:GetObject", "arn:aws:s3:::ledger/*"),
    broadens: true,
  },
  {
    name: "inline: policy removed",
    kind: "identity",
    state: inline("s3:GetObject", "arn:aws:s3:::ledger/*"),
    live: undefined,
    broadens: false,
  },
  {
    name: "inline: split into two statements (same access)",
    kind: "identity",
    state: inline(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::ledger/*"),
    live: doc(
      { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/*" },
      { Sid: "Put", Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::ledger/*" },
    ),
    broadens: false,
  },
  {
    name: "inline: a policy variable changed (cannot be decided)",
    kind: "identity",
    state: inline("s3:GetObject", "arn:aws:s3:::ledger/${aws:username}/*"),
    live: inline("s3:GetObject", "arn:aws:s3:::ledger/${aws:userid}/*"),
    broadens: null,
    reason: /could not decide/,
  },
];

describe("broadens: decided per case, with the reason", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const j = judge(c);
    expect({ broadens: j.broadens }, j.reason).toEqual({ broadens: c.broadens });
    if (c.reason) expect(j.reason).toMatch(c.reason);
  });
});

describe("broadens: checked by the IAM policy simulator", () => {
  it.each(CASES.filter((c) => c.broadens === true).map((c) => [c.name, c] as const))(
    "true: %s — the example is allowed live and was not under state",
    async (_name, c) => {
      const j = judge(c);
      if (j.broadens !== true || j.example === undefined) throw new Error(`expected an example request: ${j.reason}`);
      const dropsDeny = /no longer denies/.test(j.reason);
      // For a dropped Deny the role's other policies are what allow it: simulate with an allow-all beside it.
      const underLive = await simulateExample(c.kind, c.live, j.example, dropsDeny);
      const underState = await simulateExample(c.kind, c.state, j.example, dropsDeny);
      expect({ live: underLive, state: underState }).toEqual({ live: "Allowed", state: expect.not.stringMatching(/^Allowed$/) });
    },
  );

  it.each(CASES.filter((c) => c.broadens === false).map((c) => [c.name, c] as const))(
    "false: %s — nothing on the grid is allowed live and refused under state",
    async (_name, c) => {
      const wider: string[] = [];
      for (const request of grid(c.kind)) {
        const live = await simulateExample(c.kind, c.live, request, false);
        if (live !== "Allowed") continue;
        const state = await simulateExample(c.kind, c.state, request, false);
        if (state !== "Allowed") wider.push(JSON.stringify(request));
      }
      expect(wider).toEqual([]);
    },
  );
});

describe("broadens: trust policies in the role's own account", () => {
  const SAME = `arn:aws:iam::${CLUSTER}:role/local-target`;
  const rootTrust = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${CLUSTER}:root` }, Action: "sts:AssumeRole" });
  const roleTrust = doc({ Effect: "Allow", Principal: { AWS: PI }, Action: "sts:AssumeRole" });

  it("naming a principal directly where state trusted the account broadens: it no longer needs its own permission", async () => {
    const j = comparePolicyTexts(JSON.stringify(rootTrust), encodeRfc3986(JSON.stringify(roleTrust)), { resourceAccount: CLUSTER });
    expect(!j.same && j.judgement.broadens).toBe(true);
    expect(!j.same && j.judgement.reason).toMatch(/trusted it only through the principal's own permission/);
    // The simulator agrees: without an identity policy, only the direct trust lets the role in.
    const request = {
      principal: assumedRoleArn(PI, "s"),
      action: "sts:AssumeRole",
      resource: SAME,
      resourceAccount: CLUSTER,
      context: { "aws:PrincipalArn": PI, "aws:PrincipalAccount": CLUSTER },
    };
    expect((await simulate({ ...request, resourcePolicy: roleTrust })).decision).toBe("Allowed");
    expect((await simulate({ ...request, resourcePolicy: rootTrust })).decision).not.toBe("Allowed");
  });

  it("trusting the account where state named the principal is not shown to narrow", () => {
    const j = comparePolicyTexts(JSON.stringify(roleTrust), encodeRfc3986(JSON.stringify(rootTrust)), { resourceAccount: CLUSTER });
    expect(!j.same && j.judgement.broadens).toBe(true);
    expect(!j.same && j.judgement.reason).toMatch(/trusts every principal of its own account/);
  });

  it("across accounts the account's root covers its roles: naming one is narrower", () => {
    const j = comparePolicyTexts(JSON.stringify(rootTrust), encodeRfc3986(JSON.stringify(roleTrust)), { resourceAccount: TARGET });
    expect(!j.same && j.judgement.broadens).toBe(false);
  });
});

describe("broadens: bounded", () => {
  it("a hostile document (many statements, keys and values) is judged within the search bound", () => {
    const many = (n: number, v: string) =>
      doc(
        ...Array.from({ length: n }, (_, i) => ({
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${String(100000000000 + i)}:root` },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`aws:RequestTag/k${k}`, `${v}${k}`])) },
        })),
      );
    const j = comparePolicyTexts(JSON.stringify(many(40, "a")), encodeRfc3986(JSON.stringify(many(40, "b"))), { resourceAccount: TARGET });
    expect(j.same).toBe(false);
    expect(!j.same && j.judgement.broadens).toBe(true);
  });
});

function judge(c: Case): Broadening {
  const r = comparePolicyTexts(c.state && JSON.stringify(c.state), c.live && encodeRfc3986(JSON.stringify(c.live)), {
    resourceAccount: c.kind === "trust" ? TARGET : CLUSTER,
  });
  if (r.same) throw new Error(`${c.name}: compared equal`);
  return r.judgement;
}

const APP_ROLE = `arn:aws:iam::${CLUSTER}:role/app`;
const ALLOW_ALL = doc({ Effect: "Allow", Action: "*", Resource: "*" });

/**
 * The simulator's decision on one request. Trust: the request assumes TARGET_ROLE (account TARGET), the
 * caller's own identity policy allowing it (cross-account needs both). Identity: a session of APP_ROLE
 * calls the action with the document as one of its identity policies.
 */
async function simulateExample(kind: Case["kind"], policy: Doc | undefined, r: ExampleRequest, withAllowAll: boolean): Promise<Decision> {
  const context: Record<string, string | string[]> = { ...r.context };
  const tagKeys = Object.keys(context)
    .filter((k) => /^aws:RequestTag\//i.test(k))
    .map((k) => k.slice("aws:RequestTag/".length));
  if (tagKeys.length > 0) context["aws:TagKeys"] = tagKeys;
  if (kind === "trust") {
    const p = r.principal!;
    let principal = p.id;
    if (p.type === "AWS") {
      principal = assumedRoleArn(p.id, "session");
      const account = p.id.split(":")[4]!;
      Object.assign(context, { "aws:PrincipalArn": p.id, "aws:PrincipalAccount": account });
    }
    const empty = doc({ Effect: "Deny", Action: "sts:AssumeRole", Principal: { AWS: "arn:aws:iam::000000000001:root" } });
    const out = await simulate({
      principal,
      action: r.action,
      resource: TARGET_ROLE,
      resourceAccount: TARGET,
      ...(p.type === "AWS" ? { identityPolicies: [doc({ Effect: "Allow", Action: "sts:*", Resource: "*" })] } : {}),
      resourcePolicy: policy ?? empty,
      context,
    });
    return out.decision;
  }
  const policies = [...(policy ? [policy] : []), ...(withAllowAll ? [ALLOW_ALL] : [])];
  const out = await simulate({
    principal: assumedRoleArn(APP_ROLE, "session"),
    action: r.action,
    resource: r.resource!,
    resourceAccount: CLUSTER,
    identityPolicies: policies,
    context,
  });
  return out.decision;
}

/** Requests to sample a `false` judgement with. */
function grid(kind: Case["kind"]): ExampleRequest[] {
  const out: ExampleRequest[] = [];
  if (kind === "trust") {
    const principals = [
      { type: "AWS", id: PI },
      { type: "AWS", id: `arn:aws:iam::${CLUSTER}:role/other` },
      { type: "AWS", id: "arn:aws:iam::999999999999:role/outsider" },
      { type: "Service", id: "pods.eks.amazonaws.com" },
    ];
    const namespaces = ["payments", "billing", undefined];
    const accounts = [CLUSTER, "999999999999", undefined];
    for (const principal of principals) {
      for (const action of ["sts:AssumeRole", "sts:TagSession"]) {
        for (const ns of namespaces) {
          for (const sa of ["api", "worker"]) {
            for (const source of accounts) {
              const context: Record<string, string> = {
                "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN,
                "aws:RequestTag/kubernetes-service-account": sa,
                "aws:RequestTag/eks-cluster-name": "prod",
              };
              if (ns !== undefined) context["aws:RequestTag/kubernetes-namespace"] = ns;
              if (source !== undefined && principal.type === "Service") context["aws:SourceAccount"] = source;
              out.push({ principal, action, context });
            }
          }
        }
      }
    }
    return out;
  }
  for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
    for (const resource of ["arn:aws:s3:::ledger/reports/q1", "arn:aws:s3:::ledger/raw/q1", "arn:aws:s3:::other/x"])
      out.push({ action, resource, context: {} });
  }
  out.push({ action: "iam:CreateUser", resource: `arn:aws:iam::${CLUSTER}:user/x`, context: {} });
  return out;
}
