// Injected faults, each through the CLI as a user runs it, against loopback servers that misbehave: every
// run ends within its documented deadline, with the documented result (an `error` finding that says what
// and what to do, complete: false, exit 1), the rest still judged, and nothing claimed in sync that was not
// read. Deadlines are configured short (docs/drift-inputs.md, "Deadlines") so the suite stays fast; the
// bounds asserted on the wall time are generous (a loaded machine), the point being that runs end.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Finding } from "../../../drift/model";
import type { Report } from "../../../drift/report/report";
import { runCli } from "../support/cli";
import { PROD, STAGING, checkIn, role, stateFor, useSeededWorld, writeFile } from "../support/world";

const T = new Date("2026-03-01T12:00:00Z");
const NOW = "2026-03-02T12:00:00Z";
/** Short deadlines: 0.3 s an attempt, 2 s a call, 5 s a cluster. */
const SHORT = { requestTimeoutSeconds: 0.3, callTimeoutSeconds: 2, clusterTimeoutSeconds: 5 };
/** What a run may take at most with SHORT deadlines, start-up of the CLI on a loaded machine included. */
const ENDS_WITHIN_MS = 30_000;

const t = useSeededWorld(T);

const good = join("..", "good.tfstate");
const check = (config: Record<string, unknown>, extraArgs: string[] = [], env: Record<string, string> = {}) =>
  checkIn(t.world, { state: [good], scan: SHORT, ...config }, ["--now", NOW, ...extraArgs], env);
const errors = (r: Report) => r.findings.filter((f) => f.kind === "error");

/** The documented result of a fault: exit 1, incomplete, one error finding matching, the others judged. */
function expectError(r: Awaited<ReturnType<typeof check>>, match: Partial<Record<keyof Finding, unknown>>): Finding {
  expect(r.ms).toBeLessThan(ENDS_WITHIN_MS);
  expect(r.code).toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.report?.complete).toBe(false);
  const errs = errors(r.report!);
  expect(errs).toHaveLength(1);
  expect(errs[0]).toMatchObject(match);
  return errs[0]!;
}

describe("a misbehaving EKS endpoint: the cluster is an error in time, the other cluster is judged", () => {
  it.each([
    [
      "a body that stalls after the headers",
      "stall-body",
      /not read: TimeoutError: the response body was not complete within 0\.3 s \(scan\.requestTimeoutSeconds\); 2 attempts/,
    ],
    ["a hang before the headers", "hang", /not read: TimeoutError: no response within 0\.3 s \(scan\.requestTimeoutSeconds\); 2 attempts/],
    ["a reset connection", "reset", /not read: TimeoutError: socket hang up; 2 attempts/],
  ] as const)("%s", async (_name, http, detail) => {
    t.world.eks.inject({ cluster: STAGING.name, operation: "DescribePodIdentityAssociation", http });
    const r = await check({});
    const e = expectError(r, { cluster: STAGING.name, detail: expect.stringMatching(detail) });
    expect(e.advice).toMatch(http === "reset" ? /timed out|connectivity/ : /raise scan\.requestTimeoutSeconds \(--request-timeout\)/);
    expect(r.report!.summary).toMatchObject({ managed: 3, inSync: 2, missing: 0 }); // prod read and in sync; staging's not claimed either way
    expect(t.world.eks.count({ cluster: STAGING.name, operation: "DescribePodIdentityAssociation" })).toBe(2);
  });

  it("an endpoint that never answers, with the SDK's default 10 attempts: the call deadline ends it", async () => {
    t.world.eks.inject({ cluster: STAGING.name, http: "hang" });
    const r = await check({}, [], { AWS_MAX_ATTEMPTS: "10" });
    const e = expectError(r, {
      cluster: STAGING.name,
      detail: expect.stringMatching(
        /not read: CallTimeout: ListPodIdentityAssociations did not complete, retries included, within 2 s \(scan\.callTimeoutSeconds\)/,
      ),
    });
    expect(e.advice).toMatch(/scan\.callTimeoutSeconds \(--call-timeout\)/);
    expect(t.world.eks.count({ cluster: STAGING.name })).toBeLessThan(10);
  });

  it("a cluster whose calls each answer in time but whose scan does not: the cluster deadline ends it", async () => {
    t.world.eks.delay(1_500, { cluster: STAGING.name });
    const r = await check({ scan: { ...SHORT, requestTimeoutSeconds: 10, clusterTimeoutSeconds: 2 } });
    const e = expectError(r, {
      cluster: STAGING.name,
      detail: expect.stringMatching(/not read: ClusterTimeout: the scan of the cluster did not complete within 2 s \(scan\.clusterTimeoutSeconds\)/),
    });
    expect(e.advice).toMatch(/--cluster-timeout/);
  });

  it.each([
    ["a body cut short", { http: "malformed-json" as const }, /MalformedResponse: the response body is not valid JSON/],
    ["valid JSON without the association", { body: "{}" }, /MalformedResponse: DescribePodIdentityAssociation returned no association/],
  ])("a malformed response (%s): not retried, never read as an empty cluster", async (_name, fault, detail) => {
    t.world.eks.inject({ cluster: PROD.name, operation: "DescribePodIdentityAssociation", ...fault });
    const r = await check({});
    const e = expectError(r, { cluster: PROD.name, detail: expect.stringMatching(detail) });
    expect(e.advice).toMatch(/proxy/);
    expect(r.report!.summary).toMatchObject({ managed: 3, inSync: 1, missing: 0 });
  });

  it.each([
    ["an empty object", "{}"],
    ["associations that are not a list", '{"associations":{"associationId":"a-1"}}'],
  ])("a list page without its associations (%s): an error, never read as an empty cluster", async (_name, body) => {
    t.world.eks.inject({ cluster: PROD.name, operation: "ListPodIdentityAssociations", body });
    const r = await check({});
    const e = expectError(r, {
      cluster: PROD.name,
      detail: expect.stringMatching(/MalformedResponse: ListPodIdentityAssociations returned no associations list/),
    });
    expect(e.advice).toMatch(/proxy/);
    expect(r.report!.summary).toMatchObject({ managed: 3, inSync: 1, missing: 0 });
    expect(r.report!.findings.filter((f) => f.kind !== "error")).toEqual([]);
  });

  it.each([
    ["the same nextToken again", "repeat" as const, 2],
    ["two nextTokens in turn (A, B, A)", "cycle" as const, 3],
  ])("a listing that would never end (%s): stopped after a bounded number of calls", async (_name, nextToken, lists) => {
    t.world.eks.inject({ cluster: PROD.name, operation: "ListPodIdentityAssociations", nextToken });
    const r = await check({});
    const e = expectError(r, {
      cluster: PROD.name,
      detail: expect.stringMatching(/PaginationLoop: ListPodIdentityAssociations returned a nextToken it had returned before/),
    });
    expect(e.advice).toMatch(/spare the account's API quota/);
    expect(t.world.eks.count({ cluster: PROD.name, operation: "ListPodIdentityAssociations" })).toBe(lists);
  });
});

describe("a misbehaving S3 state endpoint: that source is an error in time, the local state beside it is judged", () => {
  it.each([
    ["never answers", "hang" as const, /TimeoutError: no response within 0\.3 s/],
    ["stalls in the body", "stall-body" as const, /TimeoutError: the response body was not complete within 0\.3 s/],
  ])("S3 %s", async (_name, fault, detail) => {
    const undo = t.world.s3.fault("tf-state", fault);
    try {
      const r = await check({ state: ["s3://tf-state/pod-identity/terraform.tfstate", good] });
      const e = expectError(r, { cluster: null, detail: expect.stringMatching(detail) });
      expect(e.detail).toMatch(/^state source s3:\/\/tf-state\/pod-identity\/terraform\.tfstate:/);
      expect(e.advice).toMatch(/S3 did not answer in time/);
      expect(r.report!.summary).toMatchObject({ managed: 3, inSync: 3 });
    } finally {
      undo();
    }
  });
});

describe("state sources that disagree", () => {
  it("both orders of --state give the same report, naming both sources; never in sync", async () => {
    const stale = stateFor([{ ...t.assocs[0]!, roleArn: role("payments-old") }, ...t.assocs.slice(1)]);
    writeFile(t.world.dir, "a.tfstate", stateFor(t.assocs));
    writeFile(t.world.dir, "b.tfstate", stale);
    const a = join(t.world.dir, "a.tfstate");
    const b = join(t.world.dir, "b.tfstate");
    const ab = await check({}, ["--state", a, "--state", b]);
    const ba = await check({}, ["--state", b, "--state", a]);
    expect(ba.report).toEqual(ab.report);
    expect(ba.code).toBe(ab.code);
    const e = expectError(ab, { cluster: PROD.name, namespace: "payments", serviceAccount: "api", associationId: t.assocs[0]!.associationId });
    expect(e.detail).toContain(`role_arn: ${role("payments-pod-identity")} in ${a} (`);
    expect(e.detail).toContain(`${role("payments-old")} in ${b} (`);
    expect(e.advice).toContain(`The state sources ${a} and ${b} disagree`);
    expect(ab.report!.summary).toMatchObject({ managed: 3, inSync: 2, unmanaged: 0 });
  });
});

describe("the history store", () => {
  it.each([
    ["corrupt", `SQLite format 3\0${"this is not a database".repeat(200)}`, "corrupt", /was not a usable database \(SQLITE_(NOTADB|CORRUPT)\)/],
    ["empty (truncated)", "", "empty", /was empty \(truncated\?\)/],
  ])("%s: set aside (renamed, not deleted), a fresh store started, and the report says history was lost", async (_name, content, kind, why) => {
    const dir = join(t.world.dir, `history-${kind}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "h.db"), content);
    const r = await check({ history: { path: join(dir, "h.db") } });
    const e = expectError(r, { cluster: null, detail: expect.stringMatching(why) });
    expect(e.detail).toMatch(/History was lost: this run assumed cache TTLs, and deletions since the last run cannot be reported as revocation-pending/);
    const aside = readdirSync(dir).filter((f) => f.startsWith(`h.db.${kind}-`) && !f.endsWith("-wal") && !f.endsWith("-shm"));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), "utf8")).toBe(content);
    expect(r.report!.summary).toMatchObject({ managed: 3, inSync: 3 });
    // The next run has history again, and nothing to say about it.
    const next = await check({ history: { path: join(dir, "h.db") } }, ["--now", "2026-03-02T13:00:00Z"]);
    expect(next.code).toBe(0);
    expect(next.report!.complete).toBe(true);
  });

  it("a history.path that is not SQLite (the state file) is refused and left as it is; nothing is read", async () => {
    const dir = join(t.world.dir, "history-not-sqlite");
    mkdirSync(dir);
    const path = join(dir, "terraform.tfstate");
    const content = '{"version":4,"terraform_version":"1.9.8","serial":1,"lineage":"x","outputs":{},"resources":[]}\n';
    writeFileSync(path, content);
    t.world.eks.resetCounts();
    const r = await check({ history: { path } });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toContain(`pod-identity-drift: history.path ${path} is not a drift history (SQLite) file; it was left as it is.`);
    expect(readdirSync(dir)).toEqual(["terraform.tfstate"]);
    expect(readFileSync(path, "utf8")).toBe(content);
    expect(t.world.eks.count()).toBe(0);
  });

  it("a --now before the last recorded run is refused with a clear message; nothing is read", async () => {
    const history = join(t.world.dir, "history-clock.db");
    expect((await check({ history: { path: history } })).code).toBe(0);
    t.world.eks.resetCounts();
    const earlier = await checkIn(t.world, { state: [good], history: { path: history } }, ["--now", "2026-03-01T12:00:00Z"]);
    expect(earlier).toMatchObject({ code: 1, stdout: "" });
    expect(earlier.stderr).toContain(
      `pod-identity-drift: the check's time 2026-03-01T12:00:00.000Z is before the last run recorded in the history store ${history} (2026-03-02T12:00:00.000Z)`,
    );
    expect(earlier.stderr).toMatch(/Use a later --now/);
    expect(t.world.eks.count()).toBe(0);
  });
});

describe("output failures: the report is never lost", () => {
  it.each([
    ["a directory that does not exist", (dir: string) => join(dir, "no", "such", "dir", "r.json"), /ENOENT/],
    ["a path that is a directory", (dir: string) => dir, /EISDIR|ENOTEMPTY|EEXIST|EPERM/],
  ])("--output into %s: the report on standard output instead, the reason on standard error, exit 1", async (_name, target, reason) => {
    const dir = join(t.world.dir, `out-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    const out = target(dir);
    const r = await check({}, ["--output", out]);
    expect(r.code).toBe(1);
    expect(r.report).toMatchObject({ complete: true, summary: { managed: 3, inSync: 3 } });
    expect(r.stderr).toMatch(
      new RegExp(
        `pod-identity-drift: --output ${out.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: cannot write the report \\((${reason.source})\\); it follows on standard output instead`,
      ),
    );
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]); // no partial file left behind
  });

  it("--output writes the whole report, and says so on standard error", async () => {
    const dir = join(t.world.dir, "out-ok");
    mkdirSync(dir);
    const r = await check({}, ["--output", join(dir, "r.json")]);
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(JSON.parse(readFileSync(join(dir, "r.json"), "utf8"))).toMatchObject({ complete: true });
    expect(readdirSync(dir)).toEqual(["r.json"]);
  });
});

describe("credentials: missing, expired, not accepted and denied are told apart", () => {
  it("none at all: every cluster and the S3 source say how to provide them", async () => {
    const r = await runCli(
      ["check", "--format", "json", "--now", NOW, "--state", join(t.world.dir, "good.tfstate"), "--state", "s3://tf-state/pod-identity/terraform.tfstate"],
      {
        cwd: t.world.dir,
        env: { AWS_ENDPOINT_URL_EKS: t.world.eks.endpoint, AWS_ENDPOINT_URL_S3: t.world.s3.endpoint, AWS_REGION: "eu-west-1", AWS_MAX_ATTEMPTS: "2" },
      },
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    const errs = errors(report);
    expect(errs.map((f) => f.cluster ?? "state")).toEqual(["state", PROD.name, STAGING.name]);
    for (const f of errs) {
      expect(f.detail).toMatch(/CredentialsProviderError/);
      expect(f.advice).toMatch(/^No AWS credentials were found\. Provide them .*AWS_PROFILE=NAME .*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    }
  });

  it.each([
    ["expired", { error: "ExpiredTokenException" as const }, /^The AWS credentials have expired\. Refresh them/],
    ["not accepted", { error: "UnrecognizedClientException" as const }, /^The AWS credentials were not accepted/],
    ["denied", { error: "AccessDeniedException" as const }, /^Grant the reader eks:ListPodIdentityAssociations/],
  ])("%s", async (_name, fault, advice) => {
    t.world.eks.inject({ cluster: STAGING.name, ...fault });
    const r = await check({});
    expectError(r, { cluster: STAGING.name, advice: expect.stringMatching(advice) });
  });
});
