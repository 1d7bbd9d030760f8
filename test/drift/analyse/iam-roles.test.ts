// The analyser's chain-role phase on hand-made state, live and IAM reads: which findings, on which
// associations, and when they take effect.
import { describe, expect, it } from "vitest";
import { analyse } from "../../../drift/analyse/analyse";
import { findingKey } from "../../../drift/analyse/phases/finish";
import type { LiveRole, RoleRead, StateRole } from "../../../drift/model";
import { encodeRfc3986 } from "../../support/iam-server";
import { ACCOUNT, MIN, REGION, T0, TARGET_ACCOUNT, input, liveOf, locationOf, role, scanFailed, scanOk, stateAssoc, stateOk } from "../support/fixtures";

const PI = role("pod-identity");
const TARGET = role("target", TARGET_ACCOUNT);
const CLUSTER_ARN = `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/prod`;

const piTrust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
    },
  ],
};
const permission = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: TARGET }] };
const targetTrust = (ns = "payments") => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        ArnEquals: { "aws:PrincipalARN": PI },
        StringEquals: { "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN, "aws:RequestTag/kubernetes-namespace": ns },
      },
    },
  ],
});
const read = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/*" }] };

function stateRole(arn: string, trust: object, inline: Record<string, object> = {}, source = "terraform.app.tfstate"): StateRole {
  const [, , , , accountId, rest] = arn.split(":") as [string, string, string, string, string, string];
  return {
    source,
    address: `aws_iam_role.${rest.split("/").pop()}`,
    provider: "p",
    arn,
    name: rest.split("/").pop()!,
    accountId,
    partition: "aws",
    assumeRolePolicy: JSON.stringify(trust),
    inlinePolicies: Object.entries(inline).map(([name, doc]) => ({ name, policy: JSON.stringify(doc), address: `aws_iam_role_policy.${name}` })),
    attachments: [],
  };
}

function liveRole(s: StateRole, over: Partial<LiveRole> = {}): RoleRead {
  const role: LiveRole = {
    arn: s.arn,
    roleId: "AROAEXAMPLE",
    assumeRolePolicy: encodeRfc3986(s.assumeRolePolicy),
    inlinePolicies: s.inlinePolicies.map((p) => ({ name: p.name, document: encodeRfc3986(p.policy) })),
    attachments: [],
    managedPolicies: {},
    ...over,
  };
  return { arn: s.arn, ok: true, role, calls: 4 };
}

const PI_ROLE = stateRole(PI, piTrust, { "assume-target": permission });
const TARGET_ROLE = stateRole(TARGET, targetTrust(), { read });
const a1 = stateAssoc("a-1");
const a2 = stateAssoc("a-2");

function run(reads: RoleRead[], over: { roles?: StateRole[][]; history?: [string, string][]; ignore?: object[] } = {}) {
  const sources = over.roles ?? [[PI_ROLE, TARGET_ROLE]];
  return analyse(
    input(
      sources.map((roles, i) => stateOk(i === 0 ? [a1, a2] : [], roles, `s${i}.tfstate`)),
      [scanOk([liveOf(a1), liveOf(a2)])],
      {
        roles: reads,
        ...(over.history ? { history: { versions: [], openSince: new Map(over.history), available: true } } : {}),
        ...(over.ignore
          ? { settings: { podIdentityRoleTtlMs: 6 * 60 * MIN, targetRoleTtlMs: 59 * MIN, ignore: over.ignore as never, addonOwned: "report" } }
          : {}),
      },
    ),
  );
}

const roleFindings = (r: ReturnType<typeof analyse>) =>
  r.findings
    .filter((f) => f.finding.role !== undefined)
    .map((f) => [f.finding.kind, f.finding.associationId, f.finding.role!.arn === PI ? "pi" : "target", f.finding.broadens ?? "-", f.finding.effectiveAfter]);

describe("chain roles: what is reported, on which associations", () => {
  it("IAM as state says: nothing, both associations in sync", () => {
    const r = run([liveRole(PI_ROLE), liveRole(TARGET_ROLE)]);
    expect(r.findings).toEqual([]);
    expect(r.inSync).toBe(2);
  });

  it("a role shared by two associations: its change on each, naming the role", () => {
    const loose = {
      ...targetTrust(),
      Statement: [...targetTrust().Statement, { Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" }],
    };
    const r = run([liveRole(PI_ROLE), liveRole(TARGET_ROLE, { assumeRolePolicy: encodeRfc3986(JSON.stringify(loose)) })]);
    expect(roleFindings(r)).toEqual([
      ["trust-changed", "a-1", "target", true, null],
      ["trust-changed", "a-2", "target", true, null],
    ]);
    const f = r.findings[0]!.finding;
    expect(f.role).toEqual({ arn: TARGET, address: "aws_iam_role.target", source: "terraform.app.tfstate" });
    expect(f.address).toBe(a1.address);
    expect(f.advice).toMatch(/^SECURITY: /);
    expect(r.inSync).toBe(0);
  });

  it("IAM off (no reads): no role finding at all", () => {
    const r = analyse(input([stateOk([a1], [PI_ROLE, TARGET_ROLE])], [scanOk([liveOf(a1)])]));
    expect(r.findings).toEqual([]);
  });

  it("roles no state manages are not compared, and associations in a cluster not read are not either", () => {
    expect(run([liveRole(PI_ROLE), liveRole(TARGET_ROLE)], { roles: [[PI_ROLE]] }).findings).toEqual([]);
    const r = analyse(
      input([stateOk([a1], [PI_ROLE, TARGET_ROLE])], [scanFailed("AccessDeniedException")], { roles: [{ arn: TARGET, ok: true, role: null, calls: 1 }] }),
    );
    expect(r.findings.map((f) => f.finding.kind)).toEqual(["error"]); // the cluster's, not a role-missing
  });
});

describe("chain roles: when a change takes effect", () => {
  it("the target role's permissions (what pods hold): at once", () => {
    const r = run([
      liveRole(PI_ROLE),
      liveRole(TARGET_ROLE, {
        inlinePolicies: [{ name: "read", document: encodeRfc3986(JSON.stringify({ ...read, Statement: [{ ...read.Statement[0], Resource: "*" }] })) }],
      }),
    ]);
    expect(roleFindings(r)[0]).toEqual(["permission-changed", "a-1", "target", true, null]);
    expect(r.findings[0]!.finding.advice).toMatch(/It applies at once to pods of payments\/sa-a-1 in prod/);
  });

  it("a narrowed target trust that refuses the association: one target-role TTL after the first run that saw it", () => {
    const narrowed = encodeRfc3986(JSON.stringify(targetTrust("billing")));
    // In the first run that sees it: now + 59m.
    const first = run([liveRole(PI_ROLE), liveRole(TARGET_ROLE, { assumeRolePolicy: narrowed })]);
    const stops = new Date(T0.getTime() + 59 * MIN).toISOString();
    expect(roleFindings(first)).toEqual([
      ["trust-changed", "a-1", "target", true, stops],
      ["trust-changed", "a-2", "target", true, stops],
    ]);
    // broadens: another namespace is let in; and payments is refused: both said.
    expect(first.findings[0]!.finding.advice).toMatch(/EKS no longer gives pods of payments\/sa-a-1 in prod new credentials: cached ones keep working until/);
    // Later runs keep the deadline of the first sighting (from history).
    const seenAt = new Date(T0.getTime() - 20 * MIN).toISOString();
    const where = locationOf(a1);
    const later = run([liveRole(PI_ROLE), liveRole(TARGET_ROLE, { assumeRolePolicy: narrowed })], {
      history: [[findingKey("trust-changed", where, TARGET), seenAt]],
    });
    expect(later.findings[0]!.finding.effectiveAfter).toBe(new Date(T0.getTime() + 39 * MIN).toISOString());
    expect(later.findings[0]!.finding.since).toBe(seenAt);
  });

  it("a narrowed trust the association still passes: no deadline; one on a per-pod key: a deadline (it may stop)", () => {
    const extra = targetTrust();
    (extra.Statement[0]!.Condition.StringEquals as Record<string, string>)["aws:RequestTag/kubernetes-service-account"] = "sa-a-1";
    const r = run([liveRole(PI_ROLE), liveRole(TARGET_ROLE, { assumeRolePolicy: encodeRfc3986(JSON.stringify(extra)) })]);
    const stops = new Date(T0.getTime() + 59 * MIN).toISOString();
    expect(roleFindings(r)).toEqual([
      ["trust-changed", "a-1", "target", false, null],
      ["trust-changed", "a-2", "target", false, stops],
    ]);
    expect(r.findings[0]!.finding.advice).toMatch(/Pods of payments\/sa-a-1 in prod still pass it/);

    const byPod = targetTrust();
    (byPod.Statement[0]!.Condition.StringEquals as Record<string, string>)["aws:RequestTag/kubernetes-pod-name"] = "web-0";
    const maybe = run([liveRole(PI_ROLE), liveRole(TARGET_ROLE, { assumeRolePolicy: encodeRfc3986(JSON.stringify(byPod)) })]);
    expect(maybe.findings[0]!.finding).toMatchObject({ broadens: false, effectiveAfter: stops });
    expect(maybe.findings[0]!.finding.advice).toMatch(/EKS may no longer give/);
  });

  it("the Pod Identity role's permission to assume the target (it gates the target role's credentials): a deadline when it refuses", () => {
    const r = run([liveRole(PI_ROLE, { inlinePolicies: [] }), liveRole(TARGET_ROLE)]);
    expect(roleFindings(r)[0]).toEqual(["permission-changed", "a-1", "pi", false, new Date(T0.getTime() + 59 * MIN).toISOString()]);
  });

  it("a deleted Pod Identity role with a target role: a deadline; a deleted target role: at once", () => {
    const stops = new Date(T0.getTime() + 59 * MIN).toISOString();
    expect(roleFindings(run([{ arn: PI, ok: true, role: null, calls: 1 }, liveRole(TARGET_ROLE)]))[0]).toEqual(["role-missing", "a-1", "pi", "-", stops]);
    const gone = run([liveRole(PI_ROLE), { arn: TARGET, ok: true, role: null, calls: 1 }]);
    expect(roleFindings(gone)[0]).toEqual(["role-missing", "a-1", "target", "-", null]);
    expect(gone.findings[0]!.finding.advice).toMatch(/hold credentials of this role, and they lost its permissions at once/);
  });

  it("without a target role the Pod Identity role is held: its permissions apply at once, its trust gates after the 6 h TTL", () => {
    const solo = stateAssoc("a-3", { targetRoleArn: undefined });
    const { targetRoleArn: _t, ...soloState } = solo;
    const narrowed = { ...piTrust, Statement: [{ ...piTrust.Statement[0]!, Condition: { StringEquals: { "aws:SourceAccount": "999999999999" } } }] };
    const r = analyse(
      input([stateOk([soloState], [PI_ROLE])], [scanOk([liveOf(soloState)])], {
        roles: [liveRole(PI_ROLE, { assumeRolePolicy: encodeRfc3986(JSON.stringify(narrowed)), inlinePolicies: [] })],
      }),
    );
    expect(r.findings.map((f) => [f.finding.kind, f.finding.effectiveAfter])).toEqual([
      ["trust-changed", new Date(T0.getTime() + 6 * 60 * MIN).toISOString()],
      ["permission-changed", null],
    ]);
  });
});

describe("chain roles: errors and rules", () => {
  it("a role that could not be read: an error on each association using it, incomplete, never in sync", () => {
    const r = run([liveRole(PI_ROLE), { arn: TARGET, ok: false, error: { code: "AccessDenied", message: "no" }, calls: 1 }]);
    expect(r.findings.map((f) => [f.finding.kind, f.finding.associationId, f.finding.role?.arn])).toEqual([
      ["error", "a-1", TARGET],
      ["error", "a-2", TARGET],
    ]);
    expect(r.complete).toBe(false);
    expect(r.inSync).toBe(0);
  });

  it("state sources that record a role differently: an error naming both, not compared", () => {
    const other = stateRole(TARGET, targetTrust("billing"), { read }, "s1.tfstate");
    const r = run([liveRole(PI_ROLE), liveRole(TARGET_ROLE)], { roles: [[PI_ROLE, TARGET_ROLE], [other]] });
    expect(r.findings.map((f) => [f.finding.kind, f.finding.detail])).toEqual([
      ["error", `state sources disagree about target role ${TARGET}: s1.tfstate (aws_iam_role.target), terraform.app.tfstate (aws_iam_role.target)`],
      ["error", `state sources disagree about target role ${TARGET}: s1.tfstate (aws_iam_role.target), terraform.app.tfstate (aws_iam_role.target)`],
    ]);
  });

  it("ignore rules by kind drop role findings like any other", () => {
    const r = run([liveRole(PI_ROLE), liveRole(TARGET_ROLE, { inlinePolicies: [] })], {
      ignore: [{ namespace: "payments", serviceAccount: "sa-a-2", kinds: ["permission-changed"] }],
    });
    expect(roleFindings(r).map((f) => f[1])).toEqual(["a-1"]);
  });
});
