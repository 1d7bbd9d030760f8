// End to end, as a user runs it: synthesize the example app (pod-identity.yaml) into a temp dir, "apply" it to
// the EKS emulator and the IAM server (../support/example-world.ts), run `pod-identity-drift check` as a
// child process, change live associations out of band, and move --now across the TTLs. (IAM changes:
// ./iam.test.ts.)
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../../../drift/model";
import type { Report } from "../../../drift/report/report";
import type { EksEmulator, EmulatorClusterRef } from "../../support/eks-emulator";
import { REPO, runCli } from "../support/cli";
import { READER_ACCOUNTS, readerRole, startExampleWorld, type ExampleWorld } from "../support/example-world";

const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const PROD: EmulatorClusterRef = { name: "prod-eu", region: REGION, accountId: ACCOUNT };
const STAGING: EmulatorClusterRef = { name: "staging-eu", region: REGION, accountId: ACCOUNT };
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse("2026-03-01T00:00:00Z"); // apply
const T1 = T0 + 8 * HOUR; // out-of-band changes
const iso = (ms: number) => new Date(ms).toISOString();

let world: ExampleWorld;
let eks: EksEmulator;
let dir: string;
let clock = T0;
let env: Record<string, string>;
let ids: Record<string, string>;

async function check(now: number, ...args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await runCli(["check", "--format", "json", "--now", iso(now), ...args], { cwd: dir, env });
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/** Findings of a kind for "cluster:namespace/serviceAccount". */
const by = (report: Report, kind: Finding["kind"], where: string) =>
  report.findings.filter((f) => f.kind === kind && `${f.cluster}:${f.namespace}/${f.serviceAccount}` === where);
const one = (report: Report, kind: Finding["kind"], sa: string) => {
  const found = by(report, kind, sa);
  expect(found, `${kind} for ${sa}`).toHaveLength(1);
  return found[0]!;
};
const kindsOf = (report: Report) =>
  report.findings.map((f) => `${f.kind} ${f.cluster}:${f.namespace}/${f.serviceAccount}${f.informational ? " (info)" : ""}`).sort();

beforeAll(async () => {
  world = await startExampleWorld({
    now: () => new Date(clock),
    // The default drift config file, found in the working directory.
    driftYaml: "# defaults: state terraform.*.tfstate here, history .drift/history.db\ncache:\n  podIdentityRoleTtl: 6h\n  targetRoleTtl: 59m\n",
  });
  ({ dir, eks, ids, env } = world);
  expect(world.stack.statePath).toBe(join(dir, "terraform.platform.tfstate"));
  // An association an EKS add-on owns, there from the start: listed, never drift.
  eks.createAssociation(PROD, {
    namespace: "kube-system",
    serviceAccount: "ebs-csi-controller-sa",
    roleArn: `arn:aws:iam::${ACCOUNT}:role/ebs-csi`,
    ownerArn: `arn:aws:eks:${REGION}:${ACCOUNT}:addon/prod-eu/aws-ebs-csi-driver/1234`,
  });
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe("pod-identity-drift check, end to end", () => {
  it("right after apply: every association is new (cache-pending, assumed TTL); exit 0, or 2 with --fail-on cache-pending", async () => {
    const r = await check(T0 + 10 * MIN);
    expect(r.code).toBe(0);
    expect(r.report.complete).toBe(true);
    expect(r.report.summary).toMatchObject({ managed: 5, inSync: 0, cachePending: 6, unmanaged: 0, errors: 0, informational: 1 }); // the add-on's association is not counted
    const pending = one(r.report, "cache-pending", "prod-eu:payments/api");
    expect(pending.effectiveAfter).toBe(iso(T0 + 6 * HOUR));
    expect(pending.detail).toMatch(/assumed the longer cache TTL \(6h\)/);
    expect(pending.advice).toMatch(/New association.*restart them/);
    expect((await check(T0 + 10 * MIN, "--fail-on", "cache-pending")).code).toBe(2);
  });

  it("after the TTL: in sync, exit 0 (the add-on's association is informational)", async () => {
    const r = await check(T0 + 7 * HOUR);
    expect(r.code).toBe(0);
    expect(r.report.summary).toMatchObject({ managed: 5, inSync: 5, changed: 0, unmanaged: 0, informational: 1 });
    expect(kindsOf(r.report)).toEqual(["unmanaged prod-eu:kube-system/ebs-csi-controller-sa (info)"]);
  });

  it("out-of-band changes: every finding kind, its fields and exit 2", async () => {
    clock = T1;
    const target = (name: string, account = "222222222222") => `arn:aws:iam::${account}:role/pod-identity/${name}`;
    // target role changed
    eks.updateAssociation(PROD, ids["payments-api"]!, { targetRoleArn: target("ledger-reader-v2"), modifiedAt: new Date(T1) });
    // target role removed
    eks.updateAssociation(PROD, ids["payments-worker"]!, { targetRoleArn: "", modifiedAt: new Date(T1) });
    // deleted
    eks.deleteAssociation(STAGING, ids["payments-api-staging"]!);
    // EKS sends an external id the target role's trust does not allow
    eks.updateAssociation(PROD, ids["warehouse-etl"]!, { externalId: "eu-west-1/111111111111/prod-eu/analytics/etl-renamed" });
    // deleted and recreated out of band, with session tags off
    const old = eks.getAssociation(STAGING, ids["bi-exporter"]!)!;
    eks.deleteAssociation(STAGING, old.associationId);
    const recreated = eks.createAssociation(STAGING, {
      namespace: old.namespace,
      serviceAccount: old.serviceAccount,
      roleArn: old.roleArn,
      targetRoleArn: old.targetRoleArn!,
      disableSessionTags: true,
      tags: old.tags,
    });
    // unmanaged
    eks.createAssociation(PROD, { namespace: "tools", serviceAccount: "debug", roleArn: `arn:aws:iam::${ACCOUNT}:role/debug` });

    const r = await check(T1 + 10 * MIN);
    expect(r.code).toBe(2);
    expect(r.report.complete).toBe(true);
    expect(kindsOf(r.report)).toEqual([
      "cache-pending prod-eu:payments/api",
      "cache-pending prod-eu:tools/debug",
      "cache-pending staging-eu:analytics/exporter",
      "changed prod-eu:payments/api",
      "changed prod-eu:payments/worker",
      "external-id-mismatch prod-eu:analytics/etl",
      "external-id-mismatch staging-eu:analytics/exporter (info)",
      "missing staging-eu:payments/api",
      "replaced staging-eu:analytics/exporter",
      "revocation-pending prod-eu:payments/worker",
      "revocation-pending staging-eu:payments/api",
      "unmanaged prod-eu:kube-system/ebs-csi-controller-sa (info)",
      "unmanaged prod-eu:tools/debug",
    ]);
    expect(r.report.summary).toMatchObject({
      managed: 5,
      inSync: 0,
      changed: 2,
      missing: 1,
      replaced: 1,
      unmanaged: 1,
      cachePending: 3,
      revocationPending: 2,
      externalIdMismatch: 1,
      errors: 0,
      informational: 2,
    });

    const changed = one(r.report, "changed", "prod-eu:payments/api");
    expect(changed).toMatchObject({
      cluster: "prod-eu",
      region: REGION,
      accountId: ACCOUNT,
      associationId: ids["payments-api"],
      address: expect.stringMatching(/^aws_eks_pod_identity_association\.cluster_prod_payments_api_association_/),
    });
    expect(changed.fields).toEqual([{ name: "target_role_arn", expected: target("ledger-reader"), actual: target("ledger-reader-v2") }]);
    const pending = one(r.report, "cache-pending", "prod-eu:payments/api");
    expect(pending.effectiveAfter).toBe(iso(T1 + 59 * MIN)); // the previous configuration had a target role: 59m, from history
    expect(pending.detail).toMatch(/from history/);
    expect(pending.advice).toMatch(/rollout restart/);

    expect(one(r.report, "changed", "prod-eu:payments/worker").fields).toEqual([{ name: "target_role_arn", expected: target("ledger-reader"), actual: null }]);
    const lost = one(r.report, "revocation-pending", "prod-eu:payments/worker");
    expect(lost.effectiveAfter).toBe(iso(T1 + 59 * MIN));
    expect(lost.advice).toMatch(/^SECURITY/);

    expect(one(r.report, "missing", "staging-eu:payments/api").cluster).toBe("staging-eu");
    const revoked = one(r.report, "revocation-pending", "staging-eu:payments/api");
    expect(revoked.effectiveAfter).toBe(iso(T1 + 10 * MIN + 59 * MIN)); // from the run that found it gone
    expect(revoked.fields).toContainEqual({ name: "target_role_arn", expected: null, actual: target("ledger-staging-reader") });

    expect(one(r.report, "external-id-mismatch", "prod-eu:analytics/etl").fields).toEqual([
      { name: "external_id", expected: "eu-west-1/111111111111/prod-eu/analytics/etl", actual: "eu-west-1/111111111111/prod-eu/analytics/etl-renamed" },
    ]);
    const info = by(r.report, "external-id-mismatch", "staging-eu:analytics/exporter")[0]!;
    expect(info.detail).toMatch(/^check not possible: target role arn:aws:iam::333333333333:role\/team\/bi-export is in no state read/);

    const replaced = one(r.report, "replaced", "staging-eu:analytics/exporter");
    expect(replaced.fields).toEqual([
      { name: "association_id", expected: ids["bi-exporter"], actual: recreated.associationId },
      { name: "disable_session_tags", expected: false, actual: true },
    ]);
    expect(one(r.report, "cache-pending", "staging-eu:analytics/exporter").effectiveAfter).toBe(iso(T1 + 59 * MIN));

    const unmanaged = one(r.report, "unmanaged", "prod-eu:tools/debug");
    expect(unmanaged).toMatchObject({ address: null, associationId: expect.stringMatching(/^a-/) });
    expect(one(r.report, "cache-pending", "prod-eu:tools/debug")).toMatchObject({
      effectiveAfter: iso(T1 + 6 * HOUR),
      advice: expect.stringMatching(/^New association/),
    });
    expect(one(r.report, "unmanaged", "prod-eu:kube-system/ebs-csi-controller-sa")).toMatchObject({
      informational: true,
      ownerArn: expect.stringContaining(":addon/"),
    });

    for (const f of r.report.findings) if (f.namespace !== "kube-system") expect(f.since).toBe(iso(T1 + 10 * MIN));
    expect(one(r.report, "unmanaged", "prod-eu:kube-system/ebs-csi-controller-sa").since).toBe(iso(T0 + 10 * MIN));
    expect((await check(T1 + 10 * MIN, "--fail-on", "never")).code).toBe(0);
  });

  it("table and markdown formats; --output writes the file and says so", async () => {
    const table = await runCli(["check", "--now", iso(T1 + 10 * MIN)], { cwd: dir, env });
    expect(table.code).toBe(2);
    expect(table.stdout).not.toContain("\u001b["); // no colour when not a terminal
    expect(table.stdout).toMatch(/^Pod Identity drift {2}.* {2}findings\n/);
    expect(table.stdout).toMatch(/revocation-pending +prod-eu \(eu-west-1, 111111111111\) +payments\/worker/);
    const coloured = await runCli(["check", "--now", iso(T1 + 10 * MIN)], { cwd: dir, env: { ...env, FORCE_COLOR: "1" } });
    expect(coloured.stdout).toContain("\u001b[31mrevocation-pending");
    const md = await runCli(["check", "--format", "markdown", "--output", "report.md", "--now", iso(T1 + 10 * MIN)], { cwd: dir, env });
    expect(md.code).toBe(2);
    expect(md.stdout).toBe("");
    expect(md.stderr).toMatch(/report written to report\.md: complete, 13 finding\(s\), 0\/5 managed in sync; exit 2/);
    const text = readFileSync(join(dir, "report.md"), "utf8");
    expect(text).toMatch(/^## Pod Identity drift\n\n⚠️ \*\*11 findings\*\*/);
    expect(text).toContain("| 5 | 0 | 2 | 1 | 1 | 1 | 3 | 2 | 1 | 0 |");
  });

  it("moving --now across the TTLs: cache-pending and revocation-pending clear, drift stays", async () => {
    const at61 = await check(T1 + 61 * MIN);
    expect(at61.code).toBe(2);
    expect(by(at61.report, "cache-pending", "prod-eu:payments/api")).toEqual([]);
    expect(by(at61.report, "cache-pending", "staging-eu:analytics/exporter")).toEqual([]);
    expect(by(at61.report, "revocation-pending", "prod-eu:payments/worker")).toEqual([]);
    expect(by(at61.report, "revocation-pending", "staging-eu:payments/api")).toHaveLength(1); // found gone 10 min after the deletion
    expect(by(at61.report, "cache-pending", "prod-eu:tools/debug")).toHaveLength(1);
    expect(one(at61.report, "changed", "prod-eu:payments/api").since).toBe(iso(T1 + 10 * MIN));

    const at70 = await check(T1 + 70 * MIN);
    expect(at70.report.summary.revocationPending).toBe(0);

    const later = await check(T1 + 6 * HOUR + MIN);
    expect(later.code).toBe(2);
    expect(later.report.summary).toMatchObject({
      cachePending: 0,
      revocationPending: 0,
      changed: 2,
      missing: 1,
      replaced: 1,
      unmanaged: 1,
      externalIdMismatch: 1,
      informational: 2,
    });
  });

  it.each([
    ["npx pod-identity-drift check", "npx", ["pod-identity-drift"]],
    ["npm run --silent drift -- check", "npm", ["run", "--silent", "drift", "--"]],
  ])("%s --format json > r.json, from the repo root as the docs show: clean JSON", async (_name, command, prefix) => {
    // The target accounts' reader roles, as in the example's drift.yaml: without them their roles are not read.
    const accounts = READER_ACCOUNTS.map((a) => `  "${a}": { roleArn: ${readerRole(a)} }`).join("\n");
    writeFileSync(join(dir, "json.yaml"), `history:\n  path: json-history.db\naccounts:\n${accounts}\n`);
    const args = [
      ...prefix,
      "check",
      "--format",
      "json",
      "--config",
      join(dir, "json.yaml"),
      "--state",
      join(dir, "terraform.platform.tfstate"),
      "--now",
      iso(T1 + 7 * HOUR),
    ];
    const r = await promisify(execFile)(command, args, { cwd: REPO, env: { ...process.env, ...env } }).catch(
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ schemaVersion: 1, complete: true, summary: { managed: 5 } });
  });
});
