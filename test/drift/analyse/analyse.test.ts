import { describe, expect, it } from "vitest";
import { analyse } from "../../../drift/analyse/analyse";
import { configHash } from "../../../drift/analyse/identity";
import type { HistoryView, SeenAssociation } from "../../../drift/analyse/types";
import type { StateRole } from "../../../drift/model";
import {
  ACCOUNT,
  CLUSTER,
  HOUR,
  MIN,
  REGION,
  SETTINGS,
  T0,
  TARGET_ACCOUNT,
  input,
  liveOf,
  locationOf,
  role,
  scanFailed,
  scanOk,
  stateAssoc,
  stateOk,
  trustWithExternalId,
} from "../support/fixtures";

const kinds = (a: ReturnType<typeof analyse>) => a.findings.filter((f) => f.counts).map((f) => f.finding.kind);
const ago = (ms: number) => new Date(T0.getTime() - ms);

function seen(over: Partial<SeenAssociation> & Pick<SeenAssociation, "associationId">): SeenAssociation {
  const base = {
    accountId: ACCOUNT,
    region: REGION,
    clusterName: CLUSTER.name,
    namespace: "payments",
    serviceAccount: `sa-${over.associationId}`,
    roleArn: role("pod-identity"),
    targetRoleArn: role("target", TARGET_ACCOUNT) as string | undefined,
    disableSessionTags: false,
    modifiedAt: ago(48 * HOUR),
    firstSeenAt: ago(47 * HOUR),
    lastSeenAt: ago(15 * MIN),
    ...over,
  };
  const { targetRoleArn, ...rest } = base;
  const v = { ...rest, ...(targetRoleArn !== undefined ? { targetRoleArn } : {}) };
  return { ...v, configHash: configHash(v) };
}

const history = (versions: SeenAssociation[], openSince: [string, string][] = []): HistoryView => ({
  versions,
  openSince: new Map(openSince),
  available: true,
});

describe("analyse: state against live", () => {
  it("reports nothing for an association that matches and was changed long ago", () => {
    const a = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a)])]));
    expect(r.findings).toEqual([]);
    expect(r).toMatchObject({ managed: 1, inSync: 1, complete: true });
  });

  it.each([
    ["role_arn", { roleArn: role("other") }, { name: "role_arn", expected: role("pod-identity"), actual: role("other") }],
    [
      "target_role_arn",
      { targetRoleArn: role("evil", "333333333333") },
      { name: "target_role_arn", expected: role("target", TARGET_ACCOUNT), actual: role("evil", "333333333333") },
    ],
    ["disable_session_tags", { disableSessionTags: true }, { name: "disable_session_tags", expected: false, actual: true }],
    ["tags", { tags: { team: "payments", extra: "x" } }, { name: "tags", expected: { team: "payments" }, actual: { extra: "x", team: "payments" } }],
  ])("changed: %s, expected from state and actual from live", (_name, over, field) => {
    const a = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a, over)])]));
    expect(kinds(r)).toEqual(["changed"]);
    const f = r.findings.find((x) => x.finding.kind === "changed")!.finding;
    expect(f.fields).toEqual([field]);
    expect(f).toMatchObject(locationOf(a));
    expect(r.inSync).toBe(0);
  });

  it("a target role removed live is changed with null actual", () => {
    const a = stateAssoc("a-1");
    const { targetRoleArn: _t, ...live } = liveOf(a);
    const r = analyse(input([stateOk([a])], [scanOk([live])]));
    expect(r.findings[0]!.finding.fields).toEqual([{ name: "target_role_arn", expected: role("target", TARGET_ACCOUNT), actual: null }]);
  });

  it("missing: in state, not live", () => {
    const a = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], [scanOk([])]));
    expect(kinds(r)).toEqual(["missing"]);
    expect(r.findings[0]!.finding.advice).toMatch(/restart/);
  });

  it("replaced: reported once, not also as unmanaged; association_id and differing fields listed", () => {
    const a = stateAssoc("a-old");
    const live = liveOf(a, {
      associationId: "a-new",
      associationArn: "arn:aws:eks:eu-west-1:111111111111:podidentityassociation/prod/a-new",
      roleArn: role("other"),
    });
    const r = analyse(input([stateOk([a])], [scanOk([live])]));
    expect(kinds(r)).toEqual(["replaced"]);
    expect(r.findings[0]!.finding.fields).toEqual([
      { name: "association_id", expected: "a-old", actual: "a-new" },
      { name: "role_arn", expected: role("pod-identity"), actual: role("other") },
    ]);
    expect(r.findings[0]!.finding.advice).toContain("terraform import 'aws_eks_pod_identity_association.a_old' prod,a-new");
  });

  it("unmanaged: live, in no state", () => {
    const a = stateAssoc("a-x");
    const r = analyse(input([stateOk([])], [scanOk([liveOf(a)])]));
    expect(kinds(r)).toEqual(["unmanaged"]);
    expect(r.findings[0]).toMatchObject({ counts: true, finding: { address: null, associationId: "a-x" } });
  });

  it.each([
    ["report", [], false],
    ["drift", ["unmanaged"], true],
    ["ignore", [], undefined],
  ] as const)("add-on-owned unmanaged with addonOwned=%s", (mode, expected, counts) => {
    const a = stateAssoc("a-addon");
    const owner = "arn:aws:eks:eu-west-1:111111111111:addon/prod/aws-ebs-csi-driver/abcd";
    const r = analyse(input([stateOk([])], [scanOk([liveOf(a, { ownerArn: owner })])], { settings: { ...SETTINGS, addonOwned: mode } }));
    expect(kinds(r)).toEqual(expected);
    expect(r.findings.length).toBe(mode === "ignore" ? 0 : 1);
    if (counts !== undefined) {
      expect(r.findings[0]!.counts).toBe(counts);
      expect(r.findings[0]!.finding.ownerArn).toBe(owner);
      expect(r.findings[0]!.finding.informational).toBe(counts ? undefined : true);
    }
  });
});

describe("analyse: errors are never in sync", () => {
  it("an unread cluster: one error, its managed associations neither in sync nor missing", () => {
    const a = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], [scanFailed("AccessDeniedException")]));
    expect(kinds(r)).toEqual(["error"]);
    expect(r).toMatchObject({ managed: 1, inSync: 0, complete: false, clustersUnread: ["eu-west-1/prod"] });
    expect(r.findings[0]!.finding.detail).toMatch(/AccessDeniedException.*1 managed association\(s\) there not verified/);
    expect(r.findings[0]!.finding.advice).toMatch(/eks:ListPodIdentityAssociations/);
  });

  it("an unread state source: error, incomplete, and unmanaged ones say they may be managed there", () => {
    const a = stateAssoc("a-1");
    const r = analyse(input([{ ok: false, source: "s3://b/k", error: { code: "NoSuchKey", message: "s3://b/k: not found" } }], [scanOk([liveOf(a)])]));
    expect(kinds(r)).toEqual(["error", "unmanaged"]);
    expect(r.complete).toBe(false);
    expect(r.findings[1]!.finding.advice).toContain("not read: s3://b/k");
  });

  it("a state association with no region and no fallback is an error, not in sync", () => {
    const { region: _r, associationArn: _arn, ...a } = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], []));
    expect(kinds(r)).toEqual(["error"]);
    expect(r.inSync).toBe(0);
    expect(r.complete).toBe(false);
  });

  it("a state association with no region uses the default region", () => {
    const { region: _r, associationArn: _arn, ...a } = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], [scanOk([liveOf({ ...a, region: REGION })])], { defaultRegion: REGION }));
    expect(r.findings).toEqual([]);
    expect(r.inSync).toBe(1);
  });
});

describe("analyse: state sources that disagree", () => {
  const both = (
    a: Parameters<typeof stateOk>[0],
    b: Parameters<typeof stateOk>[0],
    scans: ReturnType<typeof scanOk>[],
    roles: [StateRole[], StateRole[]] = [[], []],
  ) => {
    const x = stateOk(
      a.map((r) => ({ ...r, source: "a.tfstate" })),
      roles[0],
      "a.tfstate",
    );
    const y = stateOk(
      b.map((r) => ({ ...r, source: "b.tfstate" })),
      roles[1],
      "b.tfstate",
    );
    const ab = analyse(input([x, y], scans));
    const ba = analyse(input([y, x], scans));
    expect(ba).toEqual(ab); // the same report whatever the order of --state
    return ab;
  };

  it("the same association with other values in two sources: an error naming both, never in sync, not compared with live", () => {
    const a = stateAssoc("a-1");
    const stale = { ...a, roleArn: role("old-pod-identity"), address: "aws_eks_pod_identity_association.old" };
    const r = both([a], [stale], [scanOk([liveOf(a)])]);
    expect(kinds(r)).toEqual(["error"]);
    expect(r).toMatchObject({ managed: 1, inSync: 0, complete: false });
    expect(r.findings[0]!.finding).toMatchObject({
      associationId: "a-1",
      namespace: "payments",
      serviceAccount: "sa-a-1",
      detail: `state sources disagree about association a-1: role_arn: ${role("pod-identity")} in a.tfstate (aws_eks_pod_identity_association.a_1), ${role("old-pod-identity")} in b.tfstate (aws_eks_pod_identity_association.old)`,
      advice: expect.stringMatching(/^The state sources a\.tfstate and b\.tfstate disagree about this association/),
    });
  });

  it("two associations for one service account in two sources: an error naming both ids, the live one not unmanaged", () => {
    const a = stateAssoc("a-1");
    const other = stateAssoc("a-2", { serviceAccount: a.serviceAccount });
    const r = both([a], [other], [scanOk([liveOf(a)])]);
    expect(kinds(r)).toEqual(["error"]);
    expect(r).toMatchObject({ managed: 2, inSync: 0, complete: false });
    expect(r.findings[0]!.finding.detail).toBe(
      "state sources record different associations for service account payments/sa-a-1 in prod: a-1 in a.tfstate (aws_eks_pod_identity_association.a_1), a-2 in b.tfstate (aws_eks_pod_identity_association.a_2)",
    );
  });

  it("the same association recorded alike twice (a glob and a path, a copy) is one association, in sync", () => {
    const a = stateAssoc("a-1");
    const r = both([a], [{ ...a, address: "module.copy.aws_eks_pod_identity_association.x" }], [scanOk([liveOf(a)])]);
    expect(r.findings).toEqual([]);
    expect(r).toMatchObject({ managed: 1, inSync: 1, complete: true });
  });

  it("a target role whose trust policies in two sources disagree about the external id: the check says so", () => {
    const id = `${REGION}/${ACCOUNT}/prod/payments/sa-a-1`;
    const a = stateAssoc("a-1", { disableSessionTags: true, externalId: id });
    const target = (policy: string, source: string) => ({
      source,
      address: "aws_iam_role.target",
      provider: "p",
      arn: role("target", TARGET_ACCOUNT),
      name: "target",
      accountId: TARGET_ACCOUNT,
      partition: "aws",
      assumeRolePolicy: policy,
      inlinePolicies: [],
      attachments: [],
    });
    const r = both([a], [], [scanOk([liveOf(a)])], [[target(trustWithExternalId(id), "a.tfstate")], [target(trustWithExternalId("other"), "b.tfstate")]]);
    expect(r.findings.map((f) => [f.finding.kind, f.counts])).toEqual([["external-id-mismatch", false]]);
    expect(r.findings[0]!.finding.detail).toMatch(
      /trust policies that disagree about this external id: a\.tfstate \(aws_iam_role\.target\), b\.tfstate \(aws_iam_role\.target\)$/,
    );
  });
});

describe("analyse: cache-pending", () => {
  it("without history: the longer TTL, and says it assumed", () => {
    const a = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a, { modifiedAt: ago(10 * MIN) })])]));
    expect(kinds(r)).toEqual(["cache-pending"]);
    const f = r.findings[0]!.finding;
    expect(f.effectiveAfter).toBe(new Date(T0.getTime() - 10 * MIN + 6 * HOUR).toISOString());
    expect(f.detail).toMatch(/assumed the longer cache TTL \(6h\)/);
    expect(f.advice).toMatch(/Restart them/);
    expect(r.inSync).toBe(0);
  });

  it("with history of the previous configuration: its TTL (59m with a target role)", () => {
    const a = stateAssoc("a-1", { roleArn: role("new-pod-identity") });
    const prev = seen({ associationId: "a-1" });
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a, { modifiedAt: ago(10 * MIN) })])], { history: history([prev]) }));
    const f = r.findings[0]!.finding;
    expect(f.kind).toBe("cache-pending");
    expect(f.effectiveAfter).toBe(new Date(T0.getTime() + 49 * MIN).toISOString());
    expect(f.detail).toMatch(/59m of the previous configuration \(with a target role\), from history/);
    expect(f.fields).toEqual([{ name: "role_arn", expected: role("pod-identity"), actual: role("new-pod-identity") }]);
  });

  it("previous configuration with only a Pod Identity role: 6h", () => {
    const a = stateAssoc("a-1");
    const prev = seen({ associationId: "a-1", targetRoleArn: undefined });
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a, { modifiedAt: ago(2 * HOUR) })])], { history: history([prev]) }));
    expect(r.findings[0]!.finding.effectiveAfter).toBe(new Date(T0.getTime() + 4 * HOUR).toISOString());
  });

  it("clears once the TTL has passed", () => {
    const a = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a, { modifiedAt: ago(6 * HOUR + 1) })])]));
    expect(r.findings).toEqual([]);
  });

  it("no credential change (same configuration as history knows): nothing pending", () => {
    const a = stateAssoc("a-1");
    const prev = seen({ associationId: "a-1" });
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a, { modifiedAt: ago(5 * MIN) })])], { history: history([prev]) }));
    expect(r.findings).toEqual([]);
  });

  it("a new association: running pods must be restarted to get credentials at all", () => {
    const a = stateAssoc("a-1");
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a, { createdAt: ago(5 * MIN), modifiedAt: ago(5 * MIN) })])]));
    expect(r.findings[0]!.finding.advice).toMatch(/New association.*get no credentials from it at all.*restart them/);
  });

  it("a recreated association takes the TTL of the deleted one on the same service account", () => {
    const a = stateAssoc("a-old");
    const prev = seen({ associationId: "a-old", lastSeenAt: ago(20 * MIN) });
    const live = liveOf(a, { associationId: "a-new", createdAt: ago(10 * MIN), modifiedAt: ago(10 * MIN), targetRoleArn: role("target-2", TARGET_ACCOUNT) });
    const r = analyse(input([stateOk([a])], [scanOk([live])], { history: history([prev]) }));
    expect(kinds(r)).toEqual(["replaced", "cache-pending"]);
    const pending = r.findings[1]!.finding;
    expect(pending.effectiveAfter).toBe(new Date(T0.getTime() + 49 * MIN).toISOString());
    expect(pending.fields).toEqual([
      { name: "target_role_arn", expected: role("target", TARGET_ACCOUNT), actual: role("target-2", TARGET_ACCOUNT) },
      { name: "association_id", expected: "a-old", actual: "a-new" },
    ]);
  });

  it("recreated with the configuration history knows: nothing pending (pods get the same credentials)", () => {
    const a = stateAssoc("a-old");
    const prev = seen({ associationId: "a-old", lastSeenAt: ago(20 * MIN) });
    const live = liveOf(a, { associationId: "a-new", createdAt: ago(10 * MIN), modifiedAt: ago(10 * MIN) });
    const r = analyse(input([stateOk([a])], [scanOk([live])], { history: history([prev]) }));
    expect(kinds(r)).toEqual(["replaced"]);
  });
});

describe("analyse: revocation-pending", () => {
  it("an association history saw, now gone from a read cluster: security finding until found-gone + TTL", () => {
    const prev = seen({ associationId: "a-del" });
    const r = analyse(input([stateOk([])], [scanOk([])], { history: history([prev]) }));
    expect(kinds(r)).toEqual(["revocation-pending"]);
    const f = r.findings[0]!.finding;
    expect(f.effectiveAfter).toBe(new Date(T0.getTime() + 59 * MIN).toISOString());
    expect(f.advice).toMatch(/^SECURITY/);
    expect(f.fields).toContainEqual({ name: "target_role_arn", expected: null, actual: role("target", TARGET_ACCOUNT) });
    expect(r.newlyGone).toEqual(["a-del"]);
  });

  it("counts from when a run first found it gone, and clears after the TTL", () => {
    const prev = seen({ associationId: "a-del", goneAt: ago(30 * MIN) });
    const r1 = analyse(input([stateOk([])], [scanOk([])], { history: history([prev]) }));
    expect(r1.findings[0]!.finding.effectiveAfter).toBe(new Date(T0.getTime() + 29 * MIN).toISOString());
    expect(r1.newlyGone).toEqual([]);
    const r2 = analyse(input([stateOk([])], [scanOk([])], { history: history([prev]), now: new Date(T0.getTime() + 30 * MIN) }));
    expect(r2.findings).toEqual([]);
  });

  it("nothing is reported gone from a cluster that was not read", () => {
    const prev = seen({ associationId: "a-del" });
    const r = analyse(input([stateOk([])], [scanFailed("ThrottlingException")], { history: history([prev]) }));
    expect(kinds(r)).toEqual(["error"]);
    expect(r.newlyGone).toEqual([]);
  });

  it("a target role removed: revocation-pending (not cache-pending) until modified + 59m", () => {
    const a = stateAssoc("a-1");
    const prev = seen({ associationId: "a-1" });
    const { targetRoleArn: _t, ...live } = liveOf(a, { modifiedAt: ago(5 * MIN) });
    const r = analyse(input([stateOk([a])], [scanOk([live])], { history: history([prev]) }));
    expect(kinds(r)).toEqual(["revocation-pending", "changed"]);
    expect(r.findings[0]!.finding.effectiveAfter).toBe(new Date(T0.getTime() + 54 * MIN).toISOString());
  });

  it("deleted and recreated with the same target role: no revocation", () => {
    const prev = seen({ associationId: "a-old" });
    const live = liveOf(stateAssoc("a-old"), { associationId: "a-new", createdAt: ago(1 * MIN), modifiedAt: ago(1 * MIN) });
    const r = analyse(input([stateOk([])], [scanOk([live])], { history: history([prev]) }));
    expect(kinds(r)).toEqual(["unmanaged"]);
  });
});

describe("analyse: external ids (session tags off)", () => {
  const target = role("target", TARGET_ACCOUNT);
  const expectedId = `${REGION}/${ACCOUNT}/prod/payments/sa-a-1`;
  const roleInState = (policy: string) => ({
    source: "target.tfstate",
    address: "aws_iam_role.target",
    provider: "p",
    arn: target,
    name: target.split("/").pop()!,
    accountId: target.split(":")[4]!,
    partition: "aws",
    assumeRolePolicy: policy,
    inlinePolicies: [],
    attachments: [],
  });

  it.each([
    ["allowed", [expectedId], []],
    ["allowed by StringLike", null, []],
    ["mismatch", ["eu-west-1/111111111111/prod/payments/other"], ["external-id-mismatch"]],
  ])("%s", (_n, ids, expected) => {
    const a = stateAssoc("a-1", { disableSessionTags: true, externalId: expectedId });
    const policy =
      ids === null
        ? JSON.stringify({ Statement: { Effect: "Allow", Action: ["sts:AssumeRole"], Condition: { StringLike: { "sts:externalid": "eu-west-1/*/prod/*" } } } })
        : trustWithExternalId(ids);
    const r = analyse(input([stateOk([a], [roleInState(policy)])], [scanOk([liveOf(a)])]));
    expect(kinds(r)).toEqual(expected);
    if (expected.length > 0) {
      expect(r.findings[0]!.finding.fields).toEqual([{ name: "external_id", expected: ids![0], actual: expectedId }]);
      expect(r.findings[0]!.counts).toBe(true);
    }
  });

  it("target role in no state: says the check was not possible (informational)", () => {
    const a = stateAssoc("a-1", { disableSessionTags: true, externalId: expectedId });
    const r = analyse(input([stateOk([a])], [scanOk([liveOf(a)])]));
    expect(r.findings.map((f) => f.finding.kind)).toEqual(["external-id-mismatch"]);
    expect(r.findings[0]).toMatchObject({
      counts: false,
      finding: { informational: true, detail: expect.stringMatching(/^check not possible: target role .* is in no state read/) },
    });
    expect(r.inSync).toBe(1);
  });
});

describe("analyse: ignore rules and since", () => {
  it("a rule without kinds leaves the association out entirely", () => {
    const a = stateAssoc("a-1", { namespace: "kube-system" });
    const r = analyse(input([stateOk([a])], [scanOk([])], { settings: { ...SETTINGS, ignore: [{ namespace: "kube-*" }] } }));
    expect(r.findings).toEqual([]);
    expect(r.managed).toBe(0);
  });

  it("a rule with kinds drops only those kinds", () => {
    const a = stateAssoc("a-1");
    const live = liveOf(a, { roleArn: role("x"), modifiedAt: ago(MIN) });
    const r = analyse(
      input([stateOk([a])], [scanOk([live])], { settings: { ...SETTINGS, ignore: [{ cluster: "pr?d", serviceAccount: "sa-*", kinds: ["cache-pending"] }] } }),
    );
    expect(kinds(r)).toEqual(["changed"]);
  });

  it("since: from history's open findings, else now; null without history", () => {
    const a = stateAssoc("a-1");
    const scans = [scanOk([liveOf(a, { roleArn: role("x") })])];
    expect(analyse(input([stateOk([a])], scans)).findings[0]!.finding.since).toBeNull();
    const fresh = analyse(input([stateOk([a])], scans, { history: history([]) }));
    expect(fresh.findings[0]!.finding.since).toBe(T0.toISOString());
    const key = fresh.findings[0]!.key;
    const known = analyse(input([stateOk([a])], scans, { history: history([], [[key, "2025-12-31T00:00:00.000Z"]]) }));
    expect(known.findings[0]!.finding.since).toBe("2025-12-31T00:00:00.000Z");
  });
});
