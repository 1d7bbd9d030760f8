// The scan benchmark: the loopback EKS emulator (test/support/eks-emulator.ts) runs in this process with a
// per-account token bucket of R requests/s, and the IAM server (test/support/iam-server.ts) with one of
// IAM_RPS per account for the chain roles; the drift check runs in a child process (bench/scan/worker.ts), so
// the peak RSS measured is the scanner's own. Calls and throttles are counted by the servers.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEksEmulator, type EksEmulator } from "../../test/support/eks-emulator";
import { startIamServer, type IamServer } from "../../test/support/iam-server";
import { emulatorEnv } from "../lib/emulator-env";
import { measure, tsxArgs } from "../lib/measure";
import { median, ratio } from "../lib/stats";
import {
  IAM_CALLS_PER_ROLE,
  IAM_RPS,
  iamBoundMs,
  minimumCallsByAccount,
  piRoleArn,
  planClusters,
  planRoles,
  rateBoundMs,
  targetRoleArn,
  type PlannedCluster,
  type ScanScenario,
} from "./scenarios";
import { writeState, type BenchRole } from "./state";
import { RESULT_PREFIX, type WorkerResult, type WorkerSpec } from "./worker-protocol";

const WORKER = resolve(__dirname, "worker.ts");
const REPO = resolve(__dirname, "..", "..");
/** The account the scanner's own credentials belong to; it assumes a reader role in each cluster account. */
export const SCANNER_ACCOUNT = "399999999999";

export interface ScanRow {
  readonly scenario: string;
  /** `configured`: the drift config sets scan.requestsPerSecond = R; `adaptive`: no rate (the default). */
  readonly pacing: "configured" | "adaptive";
  readonly clusters: number;
  readonly associations: number;
  readonly accounts: number;
  readonly rps: number;
  readonly reps: number;
  /** Least EKS calls (list pages + one describe per association), all accounts. */
  readonly minCalls: number;
  /** The rate bound: EKS's (max over accounts of that account's least calls / R) plus IAM's (`iamBoundMs`),
   * as the check reads the chain roles of the associations it found once the clusters are read. */
  readonly boundMs: number;
  /** EKS's part of the bound alone. */
  readonly eksBoundMs: number;
  /** Scan time inside the worker (the scan call only), median. */
  readonly scanMs: number;
  readonly scanMsAll: readonly number[];
  /** The worker process from spawn to exit, median. */
  readonly processWallMs: number;
  readonly wallOverBound: number;
  /** EKS calls answered by the emulator (throttled ones included), median. */
  readonly calls: number;
  readonly callsOverMin: number;
  readonly throttles: number;
  /** STS AssumeRole calls (credentials per account), median; not counted in calls. */
  readonly assumeRoleCalls: number;
  readonly callsByOperation: Readonly<Record<string, number>>;
  /** Throttled calls per operation, last repetition. */
  readonly throttledByOperation: Readonly<Record<string, number>>;
  readonly peakRssMb: number;
  readonly peakRssMbAll: readonly number[];
  /** Clusters the scanner reported as not scanned, summed over all reps. Must be 0. */
  readonly failedScans: number;
  /** Associations the scanner returned, median; must equal `associations`. */
  readonly associationsSeen: number;
  /** Worker runs that crashed or printed no result. */
  readonly workerFailures: number;
  readonly scanner?: string;
  /** The check's own count of call attempts (EKS + STS), median. */
  readonly scannerApiCalls: number;
  /** Distinct chain roles, IAM's requests per second per account, and the IAM rate bound (max over accounts). */
  readonly iamRoles: number;
  readonly iamRps: number;
  readonly iamBoundMs: number;
  /** Least IAM calls: IAM_CALLS_PER_ROLE per distinct role. */
  readonly iamMinCalls: number;
  /** IAM calls answered by the server (throttled ones included), median. */
  readonly iamCalls: number;
  readonly iamCallsOverMin: number;
  /** IAM calls answered with a result (not throttled, not an error), median: the minimum when each role is read once. */
  readonly iamOkCalls: number;
  readonly iamThrottles: number;
  /** Roles the check could not read, summed over all reps. Must be 0. */
  readonly failedRoles: number;
  /** The report summary of the last repetition (all managed associations should be in sync). */
  readonly summary?: Readonly<Record<string, number>>;
  readonly error?: string;
  readonly errors?: readonly string[];
}

export interface ScanOptions {
  readonly scenarios: readonly ScanScenario[];
  /** Overrides every scenario's R. */
  readonly rps?: number;
  /** Set scan.requestsPerSecond = R in the drift config. @default false (adaptive pacing) */
  readonly paced?: boolean;
  readonly reps: number;
  readonly nodeArgs?: readonly string[];
  readonly log: (line: string) => void;
}

/** Associations created a week ago: older than any credential cache TTL, so nothing is cache-pending. */
export function populate(emu: EksEmulator, clusters: readonly PlannedCluster[]): void {
  const createdAt = new Date(Date.now() - 7 * 24 * 3600_000);
  for (const c of clusters) {
    const ref = { name: c.name, region: c.region, accountId: c.accountId };
    emu.addCluster(ref);
    for (let i = 0; i < c.associations; i++) {
      emu.createAssociation(ref, {
        namespace: `team-${i % 40}`,
        serviceAccount: `app-${i}`,
        roleArn: piRoleArn(c.accountId, i),
        targetRoleArn: targetRoleArn(i),
        tags: { team: `team-${i % 40}`, "managed-by": "cdktf" },
        createdAt,
      });
    }
  }
}

/** Each chain role in IAM as its stack applied it: a trust and one inline policy. */
export function populateIam(iam: IamServer, roles: ReadonlyMap<string, ReadonlySet<string>>): BenchRole[] {
  const out: BenchRole[] = [];
  for (const [account, arns] of roles) {
    for (const arn of arns) {
      const pi = arn.includes(":role/pi-");
      const trust = JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          pi
            ? {
                Effect: "Allow",
                Principal: { Service: "pods.eks.amazonaws.com" },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: { StringEquals: { "aws:SourceAccount": account } },
              }
            : { Effect: "Allow", Principal: { AWS: "arn:aws:iam::300000000001:root" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
        ],
      });
      const policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: pi ? ["sts:AssumeRole", "sts:TagSession"] : "s3:GetObject", Resource: pi ? "*" : "arn:aws:s3:::bench/*" }],
      });
      const name = arn.split("/").pop()!;
      iam.putRole({ accountId: account, name, assumeRolePolicy: trust, inlinePolicies: { access: policy } });
      out.push({ arn, trust, policyName: "access", policy });
    }
  }
  return out;
}

export async function runScan(opts: ScanOptions): Promise<ScanRow[]> {
  const rows: ScanRow[] = [];
  for (const scenario of opts.scenarios) {
    rows.push(await runScenario(scenario, opts));
  }
  return rows;
}

async function runScenario(scenario: ScanScenario, opts: ScanOptions): Promise<ScanRow> {
  const rps = opts.rps ?? scenario.rps;
  const clusters = planClusters(scenario);
  const minByAccount = minimumCallsByAccount(clusters);
  const minCalls = [...minByAccount.values()].reduce((s, n) => s + n, 0);
  const eksBoundMs = rateBoundMs(clusters, rps);
  const associations = scenario.clusters * scenario.associationsPerCluster;
  const roleMap = planRoles(clusters);
  const iamBound = iamBoundMs(roleMap, IAM_RPS);
  const boundMs = eksBoundMs + iamBound;
  const iamRoles = [...roleMap.values()].reduce((n, r) => n + r.size, 0);
  const iamMinCalls = iamRoles * IAM_CALLS_PER_ROLE;
  const dir = mkdtempSync(join(tmpdir(), "bench-scan-"));
  const emu = await startEksEmulator({ defaultAccountId: null });
  // Keys the emulator's STS issues for the reader roles belong to the roles' accounts.
  const iam = await startIamServer({ defaultAccountId: null, accountOf: (k) => emu.accountOf(k) });
  const scanMs: number[] = [];
  const wallMs: number[] = [];
  const calls: number[] = [];
  const throttles: number[] = [];
  const assumes: number[] = [];
  const rss: number[] = [];
  const seen: number[] = [];
  let byOp: Record<string, number> = {};
  let summary: Readonly<Record<string, number>> | undefined;
  let throttledByOp: Record<string, number> = {};
  const scannerCalls: number[] = [];
  const iamCalls: number[] = [];
  const iamOkCalls: number[] = [];
  const iamThrottles: number[] = [];
  let failedRoles = 0;
  let failedScans = 0;
  let workerFailures = 0;
  let scanner: string | undefined;
  const errors = new Set<string>();
  try {
    populate(emu, clusters);
    const roles = populateIam(iam, roleMap);
    const base = emu.credentialsFor(SCANNER_ACCOUNT);
    const accounts = [...minByAccount.keys()];
    for (const a of accounts) {
      const mine = clusters.filter((c) => c.accountId === a);
      // Each stack manages its own Pod Identity roles; the first also the (shared) target roles.
      const managed = roles.filter((r) => r.arn.split(":")[4] === a || (a === accounts[0] && !minByAccount.has(r.arn.split(":")[4]!)));
      writeState(
        dir,
        a,
        mine[0]!.region,
        mine.flatMap((c) => emu.associations({ name: c.name, region: c.region, accountId: c.accountId })),
        managed,
      );
    }
    const readerAccounts = [...new Set([...accounts, ...roleMap.keys()])];
    const driftConfig = join(dir, "drift.json");
    const historyPath = join(dir, "history.db");
    writeFileSync(
      driftConfig,
      JSON.stringify({
        state: ["terraform.*.tfstate"],
        accounts: Object.fromEntries(readerAccounts.map((a) => [a, { roleArn: `arn:aws:iam::${a}:role/pod-identity-drift-reader` }])),
        history: { path: historyPath },
        ...(opts.paced ? { scan: { requestsPerSecond: rps }, iam: { requestsPerSecond: IAM_RPS } } : {}),
      }),
    );
    const spec: WorkerSpec = { driftConfig, clusters: clusters.length };
    const specFile = join(dir, "spec.json");
    writeFileSync(specFile, JSON.stringify(spec));
    const env = emulatorEnv(emu.endpoint, base, clusters[0]!.region, specFile, iam.endpoint);

    for (let rep = 0; rep < opts.reps; rep++) {
      emu.resetCounts();
      iam.resetCounts();
      // A fresh history store each time: every repetition is a first run.
      for (const f of [historyPath, `${historyPath}-wal`, `${historyPath}-shm`]) rmSync(f, { force: true });
      // A fresh, full bucket per account for every repetition (the scanner's own account is not limited:
      // its only calls are the AssumeRoles for credentials).
      for (const a of accounts) emu.setRateLimit(a, { rps });
      for (const a of roleMap.keys()) iam.setRateLimit(a, { rps: IAM_RPS });
      const m = await measure(process.execPath, tsxArgs(WORKER, opts.nodeArgs), { env, cwd: REPO });
      const line = m.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      const eksCalls = emu.count() - emu.count({ operation: "AssumeRole" });
      if (m.exitCode !== 0 || !line) {
        workerFailures++;
        errors.add(`worker ${m.signal ? `killed by ${m.signal}` : `exit ${m.exitCode}`}: ${m.stderr.trim().split("\n").slice(-6).join(" | ")}`);
        opts.log(`scan ${scenario.name} rep ${rep + 1}/${opts.reps}: worker failed`);
        continue;
      }
      const r = JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkerResult;
      scanner = r.scanner;
      if (r.error) {
        workerFailures++;
        errors.add(r.error);
        opts.log(`scan ${scenario.name} rep ${rep + 1}/${opts.reps}: ${r.error}`);
        continue;
      }
      failedScans += r.failedClusters;
      failedRoles += r.failedRoles ?? 0;
      if ((r.roles ?? 0) !== iamRoles) errors.add(`${r.roles ?? 0} chain roles read, ${iamRoles} expected`);
      iamCalls.push(iam.count());
      iamOkCalls.push(iam.count({ outcome: "ok" }));
      iamThrottles.push(iam.count({ outcome: "throttled" }));
      if (r.complete === false) errors.add("report not complete");
      summary = r.summary;
      scannerCalls.push(r.scannerApiCalls ?? Number.NaN);
      for (const e of r.errors) errors.add(e);
      scanMs.push(r.scanMs);
      wallMs.push(m.wallMs);
      calls.push(eksCalls);
      throttles.push(emu.count({ outcome: "throttled" }));
      throttledByOp = emu.countsByOperation({ outcome: "throttled" });
      assumes.push(emu.count({ operation: "AssumeRole" }));
      rss.push(m.peakRssKb / 1024);
      seen.push(r.associations);
      byOp = emu.countsByOperation();
      opts.log(
        `scan ${scenario.name} rep ${rep + 1}/${opts.reps}: ${r.scanMs.toFixed(0)} ms (bound ${boundMs.toFixed(0)} ms: EKS ${eksBoundMs.toFixed(0)}, IAM ${iamBound.toFixed(0)}), ` +
          `${eksCalls} calls (min ${minCalls}), ${throttles.at(-1)} throttled, ${r.failedClusters} failed; ` +
          `IAM ${iamCalls.at(-1)} calls (min ${iamMinCalls}), ${iamThrottles.at(-1)} throttled, ${r.failedRoles ?? 0} failed; ${(m.peakRssKb / 1024).toFixed(0)} MB`,
      );
    }
  } finally {
    await emu.close();
    await iam.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (xs: number[]) => median(xs);
  return {
    scenario: scenario.name,
    pacing: opts.paced ? "configured" : "adaptive",
    clusters: scenario.clusters,
    associations,
    accounts: scenario.accounts,
    rps,
    reps: opts.reps,
    minCalls,
    boundMs,
    eksBoundMs,
    scanMs: med(scanMs),
    scanMsAll: scanMs,
    processWallMs: med(wallMs),
    wallOverBound: ratio(med(scanMs), boundMs),
    calls: med(calls),
    callsOverMin: ratio(med(calls), minCalls),
    throttles: med(throttles),
    assumeRoleCalls: med(assumes),
    callsByOperation: byOp,
    throttledByOperation: throttledByOp,
    peakRssMb: med(rss),
    peakRssMbAll: rss,
    failedScans: failedScans + workerFailures * scenario.clusters,
    associationsSeen: med(seen),
    workerFailures,
    ...(scanner ? { scanner } : {}),
    scannerApiCalls: med(scannerCalls),
    iamRoles,
    iamRps: IAM_RPS,
    iamBoundMs: iamBound,
    iamMinCalls,
    iamCalls: med(iamCalls),
    iamCallsOverMin: ratio(med(iamCalls), iamMinCalls),
    iamOkCalls: med(iamOkCalls),
    iamThrottles: med(iamThrottles),
    failedRoles: failedRoles + workerFailures * iamRoles,
    ...(summary ? { summary } : {}),
    ...(errors.size ? { errors: [...errors].slice(0, 10) } : {}),
    ...(scanMs.length === 0 ? { error: [...errors][0] ?? "no successful run" } : {}),
  };
}
