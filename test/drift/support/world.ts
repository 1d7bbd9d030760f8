// A small world for check and fault tests: an EKS emulator with two clusters in one account, an S3 server,
// and state files written from what the emulator holds.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEksEmulator, type EksEmulator, type EmulatedAssociation, type EmulatorClusterRef } from "../../support/eks-emulator";
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from "../../support/s3-server";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { Report } from "../../../drift/report/report";
import { runCli, type CliResult } from "./cli";
import { AWS, associationAttributes, roleAttributes, stateText } from "./tfstate";

export const ACCOUNT = "111111111111";
export const TARGET_ACCOUNT = "222222222222";
export const REGION = "eu-west-1";
export const PROD: EmulatorClusterRef = { name: "prod-eu", region: REGION, accountId: ACCOUNT };
export const STAGING: EmulatorClusterRef = { name: "staging-eu", region: REGION, accountId: ACCOUNT };
export const role = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;

export interface World {
  readonly eks: EksEmulator;
  readonly s3: S3Server;
  readonly dir: string;
  /** Environment for the SDK: loopback endpoints, the S3 server's keys (mapped to ACCOUNT in the emulator). */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const eks = await startEksEmulator({ credentials: { [S3RVER_CREDENTIALS.accessKeyId]: ACCOUNT }, defaultAccountId: null });
  const s3 = await startS3Server({ buckets: ["tf-state"] });
  eks.addCluster(PROD);
  eks.addCluster(STAGING);
  const dir = mkdtempSync(join(tmpdir(), "drift-world-"));
  const env = {
    AWS_ENDPOINT_URL_EKS: eks.endpoint,
    AWS_ENDPOINT_URL_STS: eks.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
  };
  return {
    eks,
    s3,
    dir,
    env,
    async close() {
      await eks.close();
      await s3.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Seed three associations (two in prod, one in staging) and return them. */
export function seed(eks: EksEmulator, at: Date): EmulatedAssociation[] {
  return [
    eks.createAssociation(PROD, {
      namespace: "payments",
      serviceAccount: "api",
      roleArn: role("payments-pod-identity"),
      targetRoleArn: role("ledger-reader", TARGET_ACCOUNT),
      tags: { team: "payments" },
      createdAt: at,
    }),
    eks.createAssociation(PROD, {
      namespace: "analytics",
      serviceAccount: "etl",
      roleArn: role("etl-pod-identity"),
      targetRoleArn: role("warehouse-loader", TARGET_ACCOUNT),
      disableSessionTags: true,
      createdAt: at,
    }),
    eks.createAssociation(STAGING, { namespace: "payments", serviceAccount: "api", roleArn: role("payments-pod-identity"), createdAt: at }),
  ];
}

/** State text for these associations, as Terraform writes it (aliased provider, for_each keys). */
export function stateFor(associations: readonly EmulatedAssociation[], extraRoles: readonly { arn: string; trust: unknown }[] = []): string {
  return stateText([
    {
      type: "aws_eks_pod_identity_association",
      name: "this",
      module: "module.pod_identity",
      each: "map",
      provider: `${AWS}.cluster`,
      instances: associations.map((a) => ({ index_key: `${a.clusterName}/${a.namespace}/${a.serviceAccount}`, attributes: associationAttributes(a, REGION) })),
    },
    ...extraRoles.map((r, i) => ({
      type: "aws_iam_role" as const,
      name: `target_${i}`,
      provider: `${AWS}.target`,
      instances: [{ attributes: roleAttributes(r.arn, r.trust) }],
    })),
  ]);
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * The world for a test file, with hooks: started before its tests, three associations seeded at `at` and
 * written as `good.tfstate` in its directory; faults and counts cleared before each test; closed after.
 */
export function useSeededWorld(at: Date): { readonly world: World; readonly assocs: readonly EmulatedAssociation[] } {
  const t = {} as { world: World; assocs: EmulatedAssociation[] };
  beforeAll(async () => {
    t.world = await startWorld();
    t.assocs = seed(t.world.eks, at);
    writeFile(t.world.dir, "good.tfstate", stateFor(t.assocs));
  });
  afterAll(async () => {
    await t.world?.close();
  });
  beforeEach(() => {
    t.world.eks.clearFaults();
    t.world.eks.resetCounts();
  });
  return t;
}

let cases = 0;
/**
 * `check --format json` as a user runs it, in a fresh directory holding `drift.json` (`config`, with the
 * history in that directory unless the config says otherwise), against the world. Two attempts per call
 * unless `env` says otherwise. `report` is the parsed standard output when it is JSON.
 */
export async function checkIn(
  world: World,
  config: Record<string, unknown>,
  extraArgs: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<CliResult & { report: Report | undefined; dir: string; ms: number }> {
  const dir = join(world.dir, `case-${process.pid}-${++cases}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "drift.json"), JSON.stringify({ history: { path: "history.db" }, ...config }));
  const started = Date.now();
  const r = await runCli(["check", "--format", "json", ...extraArgs], { cwd: dir, env: { ...world.env, AWS_MAX_ATTEMPTS: "2", ...env } });
  const report = r.stdout.trim().startsWith("{") ? (JSON.parse(r.stdout) as Report) : undefined;
  return { ...r, report, dir, ms: Date.now() - started };
}
