// Two accounts each with a cluster of the same name and region ("main" in every account): two clusters, each
// judged against its own state and live associations, through the CLI as a user runs it, with history.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Report } from "../../../drift/report/report";
import { startEksEmulator, type EksEmulator, type EmulatedAssociation } from "../../support/eks-emulator";
import { runCli } from "../support/cli";
import { AWS, associationAttributes, stateText } from "../support/tfstate";

const A = "111111111111";
const B = "444444444444";
const REGION = "eu-west-1";
const mainA = { name: "main", region: REGION, accountId: A };
const mainB = { name: "main", region: REGION, accountId: B };

let eks: EksEmulator | undefined;
afterEach(async () => {
  await eks?.close();
  eks = undefined;
});

const stateOf = (a: EmulatedAssociation) =>
  stateText([{ type: "aws_eks_pod_identity_association", name: "api", provider: AWS, instances: [{ attributes: associationAttributes(a, REGION) }] }]);

/** Both clusters with payments/api; A's in a state of its own, B's in one of its own or in none (config lists B's cluster then). */
async function twoAccounts(bManaged: boolean) {
  eks = await startEksEmulator({ now: () => new Date("2026-03-01T00:00:00Z") });
  eks.addCluster(mainA);
  eks.addCluster(mainB);
  const a = eks.createAssociation(mainA, { namespace: "payments", serviceAccount: "api", roleArn: `arn:aws:iam::${A}:role/payments` });
  const b = eks.createAssociation(mainB, { namespace: "payments", serviceAccount: "api", roleArn: `arn:aws:iam::${B}:role/payments` });
  const dir = mkdtempSync(join(tmpdir(), "drift-accounts-"));
  writeFileSync(join(dir, "terraform.a.tfstate"), stateOf(a));
  if (bManaged) writeFileSync(join(dir, "terraform.b.tfstate"), stateOf(b));
  const clusters = bManaged ? "" : `clusters:\n  - { name: main, region: ${REGION}, accountId: "${B}" }\n`;
  writeFileSync(join(dir, "drift.yaml"), `${clusters}accounts:\n  "${B}": { roleArn: arn:aws:iam::${B}:role/reader }\n`);
  const keys = eks.credentialsFor(A);
  const env = {
    AWS_ENDPOINT_URL_EKS: eks.endpoint,
    AWS_ENDPOINT_URL_STS: eks.endpoint,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_REGION: REGION,
    AWS_MAX_ATTEMPTS: "2",
  };
  const check = async (now: string) => {
    const r = await runCli(["check", "--format", "json", "--no-iam", "--now", now], { cwd: dir, env });
    return { code: r.code, stderr: r.stderr, report: JSON.parse(r.stdout) as Report };
  };
  return { a, b, check };
}

const kinds = (r: Report) => r.findings.map((f) => `${f.kind} ${f.accountId}/${f.region}/${f.cluster}:${f.namespace}/${f.serviceAccount} ${f.associationId}`);

describe("clusters of the same name and region in two accounts", () => {
  it("each with its own state: in sync; one deleted is missing and revocation-pending there, the other account stays in sync", async () => {
    const w = await twoAccounts(true);
    const first = await w.check("2026-03-01T07:00:00Z");
    expect(first.stderr).not.toMatch(/state sources record different associations/);
    expect(first.code).toBe(0);
    expect(first.report.summary).toMatchObject({ managed: 2, inSync: 2, errors: 0 });
    expect(first.report.findings).toEqual([]);

    eks!.deleteAssociation(mainA, w.a.associationId);
    const after = await w.check("2026-03-01T08:00:00Z");
    expect(after.code).toBe(2);
    expect(after.report.complete).toBe(true);
    expect(after.report.summary).toMatchObject({ managed: 2, inSync: 1, missing: 1, replaced: 0, revocationPending: 1, errors: 0 });
    expect(kinds(after.report).sort()).toEqual([
      `missing ${A}/${REGION}/main:payments/api ${w.a.associationId}`,
      `revocation-pending ${A}/${REGION}/main:payments/api ${w.a.associationId}`,
    ]);
  });

  it("one managed, the other not: the unmanaged one is never taken for the managed one's successor", async () => {
    const w = await twoAccounts(false);
    const first = await w.check("2026-03-01T07:00:00Z");
    expect(kinds(first.report)).toEqual([`unmanaged ${B}/${REGION}/main:payments/api ${w.b.associationId}`]);

    eks!.deleteAssociation(mainA, w.a.associationId);
    const after = await w.check("2026-03-01T08:00:00Z");
    expect(after.report.summary).toMatchObject({ managed: 1, missing: 1, replaced: 0, unmanaged: 1, revocationPending: 1 });
    expect(kinds(after.report).sort()).toEqual([
      `missing ${A}/${REGION}/main:payments/api ${w.a.associationId}`,
      `revocation-pending ${A}/${REGION}/main:payments/api ${w.a.associationId}`,
      `unmanaged ${B}/${REGION}/main:payments/api ${w.b.associationId}`,
    ]);
  });
});
