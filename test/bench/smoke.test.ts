// The CI smoke run of the benchmarks (issue 5): the smallest sizes, one repetition, in a child process.
// It checks that every benchmark still runs and reports what it should; it asserts nothing about time.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchResults } from "../../bench/run";

const REPO = resolve(__dirname, "..", "..");
const run = promisify(execFile);

describe("npm run bench -- --quick --reps 1", () => {
  let dir: string;
  let results: BenchResults;
  let stdout: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bench-smoke-"));
    const out = await run(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick", "--reps", "1", "--out-dir", dir], {
      cwd: REPO,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
    stdout = out.stdout;
    results = JSON.parse(readFileSync(join(dir, "latest.json"), "utf8")) as BenchResults;
  }, 240_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the tables and writes the versioned JSON", () => {
    expect(stdout).toContain("Synth (median of reps");
    expect(stdout).toContain("Scan (median of reps");
    expect(stdout).toContain("History (median of reps");
    expect(stdout).toContain("Targets (issues 5, 10, 12 and 13)");
    expect(results.schemaVersion).toBe(1);
    expect(results.options).toMatchObject({ quick: true, reps: 1, sizes: [1] });
    expect(results.synth?.runner).toBe("compiled");
  });

  it("synthesizes N=1 with our app, the naive app, the direct app and the floor, each to the same resources", () => {
    const rows = results.synth?.rows ?? [];
    expect(rows.map((r) => `${r.variant}@${r.size}`)).toEqual(["ours@1", "naive@1", "direct@1", "floor@1"]);
    for (const r of rows) {
      expect(r.error, `${r.variant}: ${r.error}`).toBeUndefined();
      expect(r.failures).toBe(0);
      expect(r.wallMs.all).toHaveLength(1);
      expect(r.peakRssMb.median).toBeGreaterThan(0);
      expect(r.output?.resources["aws_eks_pod_identity_association"]).toBe(1);
    }
    const floor = rows.find((r) => r.variant === "floor")?.output?.resources;
    expect(rows.find((r) => r.variant === "naive")?.output?.resources).toEqual(floor);
    expect(rows.find((r) => r.variant === "direct")?.output?.resources).toEqual(floor);
    const ratios = results.synth?.ratios.find((r) => r.size === 1);
    expect(Number.isFinite(ratios?.oursOverNaiveWall)).toBe(true);
    expect(Number.isFinite(ratios?.oursOverFloorWall)).toBe(true);
    expect(Number.isFinite(ratios?.oursOverDirectWall)).toBe(true);
    expect(Number.isFinite(ratios?.directOverFloorWall)).toBe(true);
  });

  it("runs npx cdktf synth of the shipped example end to end", () => {
    const e = results.synth?.example;
    expect(e?.error, e?.error).toBeUndefined();
    expect(e?.failures).toBe(0);
    expect(e?.output?.resources["aws_eks_pod_identity_association"]).toBeGreaterThan(0);
  });

  it("scans both scenarios under throttling with zero failed scans and every association seen", () => {
    const rows = results.scan?.rows ?? [];
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.error, `${r.scenario}: ${r.error}`).toBeUndefined();
      expect(r.workerFailures).toBe(0);
      expect(r.failedScans).toBe(0);
      expect(r.associationsSeen).toBe(r.associations);
      expect(r.calls).toBeGreaterThanOrEqual(r.minCalls);
      // The chain roles: each distinct one read once, none failed, whatever IAM throttled.
      expect(r.iamRoles).toBeGreaterThan(0);
      expect(r.failedRoles).toBe(0);
      expect(r.iamOkCalls).toBe(r.iamMinCalls);
      expect(r.peakRssMb).toBeGreaterThan(0);
    }
  });

  it("runs the history scenario: the same check twice, the second with the first's history and its changes", () => {
    const rows = results.history?.rows ?? [];
    expect(rows).toHaveLength(1);
    const r = rows[0]!;
    expect(r.error, r.error).toBeUndefined();
    expect(r.workerFailures).toBe(0);
    expect(r.firstMsAll).toHaveLength(1);
    expect(r.secondPeakRssMb).toBeGreaterThan(0);
    expect(r.secondSummary).toMatchObject({ managed: r.associations, changed: r.changed, cachePending: r.changed, missing: r.deleted, errors: 0 });
  });

  it("states every target with its measured figure", () => {
    expect(results.targets.length).toBeGreaterThan(0);
    for (const t of results.targets.filter((x) => x.name.includes("failed scans"))) expect(t.met).toBe(true);
  });
});
