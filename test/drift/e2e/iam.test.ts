// The whole chain, end to end: the shipped example deployed to the EKS emulator and the IAM server, then
// changed out of band in IAM the way a user would (the real @aws-sdk/client-iam): a loosened trust, a narrowed
// trust, an inline policy widened to *, an administrator policy attached, a role deleted, a role re-saved with
// only its formatting changed, an account whose IAM refuses the reader, and a target account with no reader role. `pod-identity-drift check` (a
// child process) must give exactly the right findings, broadens values, effectiveAfter, exit codes and
// complete flags.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttachRolePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import type { Finding, StateRole } from "../../../drift/model";
import type { Report } from "../../../drift/report/report";
import { parseState } from "../../../drift/state";
import { runCli } from "../support/cli";
import { startExampleWorld, type ExampleWorld } from "../support/example-world";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse("2026-03-01T00:00:00Z"); // apply
const T1 = T0 + 8 * HOUR; // out-of-band IAM changes, long after the associations' own cache TTLs
const iso = (ms: number) => new Date(ms).toISOString();
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const ADMIN_DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
const S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

let world: ExampleWorld;
let clock = T0;
/** The state's roles by the association that uses them. */
let chain: Record<string, { readonly pi: StateRole; readonly target?: StateRole }>;

async function check(now: number, ...args: string[]): Promise<{ code: number; report: Report; stdout: string }> {
  const json = !args.includes("--format");
  const r = await runCli(["check", "--now", iso(now), ...(json ? ["--format", "json"] : []), ...args], { cwd: world.dir, env: world.env });
  return { code: r.code, report: json ? (JSON.parse(r.stdout) as Report) : (undefined as unknown as Report), stdout: r.stdout };
}

/** An IAM client of the role's account, as an administrator of that account would use it. */
function admin(role: StateRole): IAMClient {
  return new IAMClient({ region: "us-east-1", endpoint: world.iam.endpoint, credentials: world.iam.credentialsFor(role.accountId), maxAttempts: 1 });
}

const roleFindings = (r: Report) =>
  r.findings
    .filter((f) => f.role !== undefined)
    .map((f) => [f.kind, `${f.cluster}:${f.namespace}/${f.serviceAccount}`, f.role!.arn.split("/").pop(), f.broadens ?? "-", f.effectiveAfter])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const one = (r: Report, kind: Finding["kind"], where: string, role: string) => {
  const found = r.findings.filter((f) => f.kind === kind && `${f.cluster}:${f.namespace}/${f.serviceAccount}` === where && f.role?.arn.endsWith(`/${role}`));
  expect(found, `${kind} ${where} ${role}`).toHaveLength(1);
  return found[0]!;
};

beforeAll(async () => {
  world = await startExampleWorld({ now: () => new Date(clock) });
  world.iam.putManagedPolicy(ADMIN, ADMIN_DOC);
  world.iam.putManagedPolicy(S3_READ_ONLY, '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}');
  const state = parseState("platform", readFileSync(world.stack.statePath, "utf8"));
  const roles = new Map(state.roles.map((r) => [r.arn, r]));
  chain = {};
  for (const [name, id] of Object.entries(world.ids)) {
    const a = state.associations.find((x) => x.associationId === id)!;
    chain[name] = { pi: roles.get(a.roleArn)!, ...(a.targetRoleArn && roles.has(a.targetRoleArn) ? { target: roles.get(a.targetRoleArn)! } : {}) };
  }
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe("the chain's IAM roles, end to end", () => {
  it("right after apply (and after the cache TTLs) IAM agrees with state: no role finding, and the minimum calls", async () => {
    world.iam.resetCounts();
    const r = await check(T0 + 7 * HOUR);
    expect(r.code).toBe(0);
    expect(r.report.complete).toBe(true);
    expect(roleFindings(r.report)).toEqual([]);
    // Every distinct chain role state manages, read once: the bring-your-own target role (bi-export) is not.
    const scoped = r.report.scope!.iam!;
    expect(scoped.checked).toBe(true);
    const expected = new Set(Object.values(chain).flatMap((c) => [c.pi.arn, ...(c.target ? [c.target.arn] : [])]));
    expect(scoped.roles.map((x) => x.arn).sort()).toEqual([...expected].sort());
    expect(scoped.roles.every((x) => x.ok && x.found)).toBe(true);
    const inline = [...expected].reduce((n, arn) => n + Object.keys(world.iam.role(arn)!.inlinePolicies).length, 0);
    expect(world.iam.countsByOperation()).toEqual({
      GetRole: expected.size,
      ListRolePolicies: expected.size,
      GetRolePolicy: inline,
      ListAttachedRolePolicies: expected.size,
    });
  });

  it("out-of-band IAM changes: exactly the right findings, broadens and effectiveAfter; exit 2", async () => {
    clock = T1;
    const ledger = chain["payments-api"]!.target!;
    const staging = chain["payments-api-staging"]!.target!;
    const warehouse = chain["warehouse-etl"]!.target!;
    const etlHub = chain["warehouse-etl"]!.pi;
    const exporterHub = chain["bi-exporter"]!.pi;
    const payments = chain["payments-api"]!.pi;

    // 1. A trust loosened: another account trusted in a statement of its own.
    const loose = JSON.parse(ledger.assumeRolePolicy) as { Statement: object[] };
    loose.Statement.push({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" });
    await admin(ledger).send(new UpdateAssumeRolePolicyCommand({ RoleName: ledger.name, PolicyDocument: JSON.stringify(loose) }));
    // 2. A trust narrowed: one more condition, which this association's requests fail (another cluster name).
    const narrow = JSON.parse(staging.assumeRolePolicy) as { Statement: Array<{ Condition: { StringEquals: Record<string, string> } }> };
    narrow.Statement[0]!.Condition.StringEquals["aws:RequestTag/eks-cluster-name"] = "another-cluster";
    await admin(staging).send(new UpdateAssumeRolePolicyCommand({ RoleName: staging.name, PolicyDocument: JSON.stringify(narrow) }));
    // 3. An inline policy widened to *.
    const [inlineName] = warehouse.inlinePolicies.map((p) => p.name);
    await admin(warehouse).send(new PutRolePolicyCommand({ RoleName: warehouse.name, PolicyName: inlineName!, PolicyDocument: ADMIN_DOC }));
    // 4. An administrator policy attached to a Pod Identity role.
    await admin(etlHub).send(new AttachRolePolicyCommand({ RoleName: etlHub.name, PolicyArn: ADMIN }));
    // 5. A role deleted (its policies first, as IAM requires).
    const c = admin(exporterHub);
    for (const name of (await c.send(new ListRolePoliciesCommand({ RoleName: exporterHub.name }))).PolicyNames ?? [])
      await c.send(new DeleteRolePolicyCommand({ RoleName: exporterHub.name, PolicyName: name }));
    for (const p of (await c.send(new ListAttachedRolePoliciesCommand({ RoleName: exporterHub.name }))).AttachedPolicies ?? [])
      await c.send(new DetachRolePolicyCommand({ RoleName: exporterHub.name, PolicyArn: p.PolicyArn! }));
    await c.send(new DeleteRoleCommand({ RoleName: exporterHub.name }));
    // 6. A trust saved again with only its formatting changed: indentation, key order, one-element arrays.
    const same = JSON.parse(payments.assumeRolePolicy) as { Version: string; Statement: Array<Record<string, unknown>> };
    const flip = (v: unknown) => (typeof v === "string" ? [v] : Array.isArray(v) && v.length === 1 ? v[0] : v);
    const reformatted = {
      Statement: same.Statement.map((s) =>
        Object.fromEntries(
          Object.entries(s)
            .reverse()
            .map(([k, v]) => [k, k === "Action" ? flip(v) : v]),
        ),
      ),
      Version: same.Version,
    };
    await admin(payments).send(new UpdateAssumeRolePolicyCommand({ RoleName: payments.name, PolicyDocument: JSON.stringify(reformatted, null, 4) }));
    expect(world.iam.role(payments.arn)!.assumeRolePolicy).not.toBe(payments.assumeRolePolicy);

    world.iam.resetCounts();
    const at = T1 + 10 * MIN;
    const r = await check(at);
    expect(r.code).toBe(2);
    expect(r.report.complete).toBe(true);
    const stops = iso(at + 59 * MIN); // the target-role TTL from this first sighting
    const name = (role: StateRole) => role.name;
    expect(roleFindings(r.report)).toEqual(
      [
        ["permission-changed", "prod-eu:analytics/etl", name(etlHub), true, null],
        ["permission-changed", "prod-eu:analytics/etl", name(warehouse), true, null],
        ["role-missing", "staging-eu:analytics/exporter", name(exporterHub), "-", stops],
        ["trust-changed", "prod-eu:payments/api", name(ledger), true, null],
        ["trust-changed", "prod-eu:payments/worker", name(ledger), true, null],
        ["trust-changed", "staging-eu:payments/api", name(staging), false, stops],
      ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(r.report.findings.filter((f) => f.role === undefined)).toEqual([]); // the associations themselves are in sync
    // Every association's chain has a changed role now: none is in sync.
    expect(r.report.summary).toMatchObject({ managed: 5, inSync: 0, roleMissing: 1, trustChanged: 3, permissionChanged: 2, broadening: 4, errors: 0 });

    const loosened = one(r.report, "trust-changed", "prod-eu:payments/api", name(ledger));
    expect(loosened.role).toEqual({ arn: ledger.arn, address: ledger.address, source: "terraform.platform.tfstate" });
    expect(loosened.fields.map((f) => [f.name, f.statements])).toEqual([
      ["assume_role_policy", [{ change: "added", statement: "#2", lines: ["Allow sts:AssumeRole · Principal AWS arn:aws:iam::999999999999:root"] }]],
    ]);
    expect(loosened.advice).toMatch(/^SECURITY: the trust policy of the target role .* was changed outside Terraform and now grants more than state's/);
    expect(loosened.detail).toMatch(/live allows sts:AssumeRole to arn:aws:iam::999999999999:role\/example/);
    const narrowed = one(r.report, "trust-changed", "staging-eu:payments/api", name(staging));
    expect(narrowed.fields[0]!.statements).toEqual([
      { change: "changed", statement: "#1", lines: ["Condition + StringEquals aws:RequestTag/eks-cluster-name another-cluster"] },
    ]);
    expect(narrowed.advice).toMatch(
      /narrowed outside Terraform\. EKS no longer gives pods of payments\/api in staging-eu new credentials: cached ones keep working until/,
    );
    const widened = one(r.report, "permission-changed", "prod-eu:analytics/etl", name(warehouse));
    expect(widened.fields.map((f) => f.name)).toEqual([`inline_policy.${inlineName}`]);
    expect(widened.advice).toMatch(/It applies at once to pods of analytics\/etl in prod-eu: their credentials are of this role/);
    const attached = one(r.report, "permission-changed", "prod-eu:analytics/etl", name(etlHub));
    expect(attached.fields).toEqual([{ name: "managed_policy_arns", expected: [], actual: [ADMIN] }]);
    expect(attached.detail).toMatch(/\+ arn:aws:iam::aws:policy\/AdministratorAccess: live allows/);

    // The reads: each distinct role once (the deleted one: GetRole only), the administrator policy's document once.
    const read = r.report.scope!.iam!.roles;
    expect(read.filter((x) => !x.found).map((x) => x.arn)).toEqual([exporterHub.arn]);
    const present = read.filter((x) => x.found).map((x) => x.arn);
    const inline = present.reduce((n, arn) => n + Object.keys(world.iam.role(arn)!.inlinePolicies).length, 0);
    expect(world.iam.countsByOperation()).toEqual({
      GetRole: read.length,
      ListRolePolicies: present.length,
      GetRolePolicy: inline,
      ListAttachedRolePolicies: present.length,
      GetPolicy: 1,
      GetPolicyVersion: 1,
    });
  });

  it("table and Markdown show statement-level diffs, and SECURITY for a broadening change", async () => {
    const table = (await check(T1 + 12 * MIN, "--format", "table")).stdout;
    expect(table).toContain("trust-changed");
    expect(table).toMatch(/assume_role_policy:\n.*\+ statement #2: Allow sts:AssumeRole · Principal AWS/);
    expect(table).toMatch(/BROADENS access/);
    expect(table).toMatch(/SECURITY: the trust policy of the target role/);
    const md = (await check(T1 + 12 * MIN, "--format", "markdown")).stdout;
    expect(md).toMatch(/\| \*\*trust-changed\*\* \|/);
    expect(md).toContain("assume\\_role\\_policy:<br>");
  });

  it("an account whose IAM refuses the reader: an error for the associations using its roles, complete false, exit 1; the rest still judged", async () => {
    const undo = world.iam.deny({ accountId: "333333333333" });
    try {
      const r = await check(T1 + 20 * MIN);
      expect(r.code).toBe(1);
      expect(r.report.complete).toBe(false);
      const errors = r.report.findings.filter((f) => f.kind === "error");
      expect(errors.map((f) => [`${f.cluster}:${f.namespace}/${f.serviceAccount}`, f.role?.arn])).toEqual([
        ["prod-eu:analytics/etl", chain["warehouse-etl"]!.target!.arn],
      ]);
      expect(errors[0]!.detail).toMatch(/not read from IAM: AccessDenied: .*is not authorized to perform: iam:GetRole/);
      expect(errors[0]!.advice).toMatch(/Grant the reader iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy and iam:ListAttachedRolePolicies/);
      // Never in sync on what was not read; the other findings stand, the narrowed trust's deadline unchanged (from history).
      expect(r.report.findings.some((f) => f.kind === "permission-changed" && f.role?.arn === chain["warehouse-etl"]!.target!.arn)).toBe(false);
      expect(one(r.report, "trust-changed", "staging-eu:payments/api", chain["payments-api-staging"]!.target!.name).effectiveAfter).toBe(
        iso(T1 + 10 * MIN + 59 * MIN),
      );
      expect(r.report.scope!.iam!.roles.filter((x) => !x.ok).map((x) => x.arn)).toEqual([chain["warehouse-etl"]!.target!.arn]);
    } finally {
      undo();
    }
  });

  it("--no-iam (or iam: false): the IAM half is off and the report says so", async () => {
    world.iam.resetCounts();
    const r = await check(T1 + 30 * MIN, "--no-iam");
    expect(r.code).toBe(0);
    expect(r.report.complete).toBe(true);
    expect(roleFindings(r.report)).toEqual([]);
    expect(r.report.scope!.iam).toEqual({ checked: false, roles: [] });
    expect(world.iam.count()).toBe(0);
    expect((await check(T1 + 30 * MIN, "--no-iam", "--format", "table")).stdout).toContain(
      "IAM roles not checked (iam: false in the drift config, or --no-iam)",
    );
  });

  it("a target account with no reader role: its roles are errors, never compared with a same-named role of the caller's account", async () => {
    const target = chain["payments-api"]!.target!;
    const live = world.iam.role(target.arn)!;
    // The caller's account has a role of the same name and path, as state records the target; the real one now trusts a foreign account.
    world.iam.putRole({ ...live, accountId: "111111111111", managedPolicyArns: [...live.managedPolicyArns] });
    const trust = JSON.parse(live.assumeRolePolicy) as { Statement: unknown[] };
    trust.Statement.push({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" });
    world.iam.setTrustPolicy(target.arn, JSON.stringify(trust));
    writeFileSync(join(world.dir, "no-readers.yaml"), "iam: true\n");
    const { AWS_ACCOUNT_ID: _, ...unsaid } = world.env;
    try {
      // Whether or not the default credentials say their account (AWS_ACCOUNT_ID).
      for (const env of [unsaid, world.env]) {
        const r = await runCli(["check", "--now", iso(T1 + 40 * MIN), "--format", "json", "--config", "no-readers.yaml"], { cwd: world.dir, env });
        const report = JSON.parse(r.stdout) as Report;
        expect(r.code).toBe(1);
        expect(report.complete).toBe(false);
        const forTarget = report.findings.filter((f) => f.role?.arn === target.arn);
        expect(forTarget.map((f) => [f.kind, `${f.namespace}/${f.serviceAccount}`])).toContainEqual(["error", "payments/api"]);
        expect(forTarget.every((f) => f.kind === "error")).toBe(true);
        expect(forTarget[0]!.detail).toContain(`NoReaderForAccount: `);
        expect(forTarget[0]!.detail).toContain(`no reader role is configured for account 222222222222: add one under accounts in the drift config`);
        expect(forTarget[0]!.advice).toMatch(/^Add a reader role for the role's account under accounts in the drift config/);
        // No role of an account without a reader role is judged, in sync or otherwise.
        const otherAccounts = report.findings.filter((f) => f.role && !f.role.arn.includes(":111111111111:"));
        expect(otherAccounts.every((f) => f.kind === "error")).toBe(true);
      }
    } finally {
      world.iam.deleteRole(`arn:aws:iam::111111111111:role${live.path}${live.name}`);
      world.iam.setTrustPolicy(target.arn, live.assumeRolePolicy);
    }
  });
});
