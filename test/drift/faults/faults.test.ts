// Faults, each through the CLI as a user runs it: a clear message, complete: false, exit 1, and never a
// claim of "in sync" for what was not read.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../../../drift/report/report";
import { runCli } from "../support/cli";
import { PROD, STAGING, checkIn, useSeededWorld, writeFile } from "../support/world";

const T = new Date("2026-03-01T12:00:00Z");
const NOW = "2026-03-02T12:00:00Z";

const t = useSeededWorld(T);

let n = 0;
/** A fresh directory with a drift config, then `check --format json`. */
const check = (config: Record<string, unknown>, extraArgs: string[] = [], env: Record<string, string> = {}) =>
  checkIn(t.world, config, ["--now", NOW, ...extraArgs], env);

const good = join("..", "good.tfstate");
const errorsOf = (r: Report) => r.findings.filter((f) => f.kind === "error");

function expectIncomplete(r: { code: number; stderr: string; report?: Report }, detail: RegExp) {
  expect(r.code).toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.report).toBeDefined();
  expect(r.report!.complete).toBe(false);
  expect(
    errorsOf(r.report!)
      .map((f) => f.detail)
      .join("\n"),
  ).toMatch(detail);
}

describe("faults", () => {
  it("sanity: the good state, no faults, is complete and in sync (exit 0)", async () => {
    const r = await check({ state: [good] });
    expect(r.stderr).not.toMatch(/pod-identity-drift:/); // the SDK may warn about the Node version, nothing else
    expect(r.code).toBe(0);
    expect(r.report!.summary).toMatchObject({ managed: 3, inSync: 3, errors: 0 });
  });

  it("a short throttling burst is ridden out by retries", async () => {
    t.world.eks.throttle(1, { operation: "ListPodIdentityAssociations", cluster: PROD.name });
    const r = await check({ state: [good] }, [], { AWS_MAX_ATTEMPTS: "3" });
    expect(r.code).toBe(0);
    expect(r.report!.complete).toBe(true);
  });

  it("a throttling storm past the retries: error for that cluster, its associations not in sync", async () => {
    t.world.eks.throttle(1000, { cluster: PROD.name });
    const r = await check({ state: [good] });
    expectIncomplete(r, /cluster prod-eu .*not read: ThrottlingException.*2 managed association\(s\) there not verified/);
    expect(r.report!.summary).toMatchObject({ managed: 3, inSync: 1, errors: 1 });
    expect(errorsOf(r.report!)[0]!.advice).toMatch(/throttled/);
  });

  it("server errors (500)", async () => {
    t.world.eks.serverErrors(1000, { operation: "DescribePodIdentityAssociation" });
    const r = await check({ state: [good] });
    expectIncomplete(r, /ServerException/);
    expect(r.report!.summary.inSync).toBe(0);
  });

  it("responses slower than the request timeout", async () => {
    t.world.eks.delay(3000, { cluster: STAGING.name, operation: "ListPodIdentityAssociations" });
    const r = await check({ state: [good], scan: { requestTimeoutSeconds: 0.3 } });
    expectIncomplete(r, /cluster staging-eu .*not read: .*Timeout/i);
    expect(r.report!.summary.inSync).toBe(2);
  });

  it("access denied on one cluster: the other is still checked", async () => {
    t.world.eks.denyCluster(STAGING);
    const r = await check({ state: [good] });
    expectIncomplete(r, /cluster staging-eu .*AccessDeniedException/);
    expect(errorsOf(r.report!)[0]!.advice).toMatch(/eks:ListPodIdentityAssociations/);
    expect(r.report!.summary).toMatchObject({ managed: 3, inSync: 2, missing: 0 });
    const table = await runCli(["check", "--state", join(t.world.dir, "good.tfstate"), "--now", NOW], {
      cwd: r.dir,
      env: { ...t.world.env, AWS_MAX_ATTEMPTS: "2" },
    });
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/INCOMPLETE/);
  });

  it.each([
    ["corrupt JSON", '{"version": 4, "resources": [', /StateCorrupt: .*not valid JSON/],
    ["state format version 3", JSON.stringify({ version: 3, serial: 1, modules: [] }), /StateVersionUnsupported: .*version 3/],
    ["an empty file", "", /StateEmpty: .*empty/],
  ])("state: %s", async (_name, text, detail) => {
    const bad = `bad-${n++}.tfstate`;
    writeFile(t.world.dir, bad, text);
    const r = await check({ state: [good, join("..", bad)] });
    expectIncomplete(r, detail);
    // The good state is still compared; live associations are not called unmanaged without saying why.
    expect(r.report!.summary.managed).toBe(3);
  });

  it("an S3 key that does not exist", async () => {
    const r = await check({ state: ["s3://tf-state/no/such/key.tfstate"] });
    expectIncomplete(r, /NoSuchKey/);
    expect(r.report!.summary).toMatchObject({ managed: 0, inSync: 0 });
  });

  it("no state at all (no terraform.*.tfstate here, none configured)", async () => {
    const r = await check({});
    expectIncomplete(r, /NoStateFiles/);
    expect(errorsOf(r.report!)[0]!.advice).toMatch(/--state/);
  });

  it("an unwritable history path: the report is still produced, incomplete", async () => {
    writeFile(t.world.dir, "a-file", "x");
    const r = await check({ state: [good], history: { path: join(t.world.dir, "a-file", "history.db") } });
    expectIncomplete(r, /history store .*a-file\/history\.db: cannot create its directory/);
    expect(r.report!.summary.inSync).toBe(3);
  });

  it("a config mistake: every problem with its path, no stack trace, exit 1", async () => {
    const dir = join(t.world.dir, "bad-config");
    mkdirSync(dir);
    writeFileSync(join(dir, "drift.yaml"), "state: terraform.app.tfstate\ncache:\n  targetRoleTtl: 59 minutes\nignore:\n  - {}\n");
    const r = await runCli(["check"], { cwd: dir, env: t.world.env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("drift.yaml has 3 problems:");
    expect(r.stderr).toContain('state: expected array, got string "terraform.app.tfstate"');
    expect(r.stderr).toContain('cache.targetRoleTtl: "59 minutes" is not a duration; write it like 59m, 6h or 1h30m');
    expect(r.stderr).toContain("ignore[0]: an ignore rule needs at least one of cluster, namespace, serviceAccount");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a missing --config file, a bad --now, a bad --format: clear messages, exit 1", async () => {
    const a = await runCli(["check", "--config", "nope.yaml"], { cwd: t.world.dir, env: t.world.env });
    expect(a).toMatchObject({ code: 1, stdout: "" });
    expect(a.stderr).toMatch(/nope\.yaml: no such file; check --config/);
    const b = await runCli(["check", "--now", "yesterday"], { cwd: t.world.dir, env: t.world.env });
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/--now "yesterday": not an ISO 8601 date-time/);
    const c = await runCli(["check", "--format", "xml"], { cwd: t.world.dir, env: t.world.env });
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/Allowed choices are table, json, markdown/);
  });
});
