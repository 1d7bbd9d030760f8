// The CLI surface: help, the watch wiring, argument checks, a closed pipe.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseNow } from "../../../drift/cli";
import { BIN, REPO, runCli } from "../support/cli";

const dir = mkdtempSync(join(tmpdir(), "drift-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pod-identity-drift", () => {
  it("check --help lists every option; exit 0", async () => {
    const r = await runCli(["check", "--help"], { cwd: dir });
    expect(r.code).toBe(0);
    for (const o of ["--config <file>", "--state <uri>", "--format <format>", "--output <file>", "--fail-on <what>", "--now <iso8601>"])
      expect(r.stdout).toContain(o);
  });

  it("--version prints the package's version; exit 0", async () => {
    const r = await runCli(["--version"], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: `${(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version}\n` });
  });

  it("check --help lists the deadlines", async () => {
    const r = await runCli(["check", "--help"], { cwd: dir });
    for (const o of ["--request-timeout <seconds>", "--call-timeout <seconds>", "--cluster-timeout <seconds>"]) expect(r.stdout).toContain(o);
  });

  it("a bad deadline flag: a clear message, exit 1, nothing read", async () => {
    const r = await runCli(["check", "--cluster-timeout", "soon"], { cwd: dir });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toContain('pod-identity-drift: --cluster-timeout "soon": must be a number of seconds above 0; write it like --cluster-timeout 30');
  });

  it("--now with a date that does not exist: a clear message, exit 1, nothing read or recorded", async () => {
    const r = await runCli(["check", "--now", "2026-02-30T00:00:00Z"], { cwd: dir });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toContain('pod-identity-drift: --now "2026-02-30T00:00:00Z": not an ISO 8601 date-time that exists');
    expect(existsSync(join(dir, ".drift"))).toBe(false);
  });

  it("history.path naming a file that is not a history (here the state file): refused, exit 1, the file left as it is", async () => {
    const work = mkdtempSync(join(dir, "not-history-"));
    const state = '{"version":4,"terraform_version":"1.9.8","serial":1,"lineage":"x","outputs":{},"resources":[]}\n';
    writeFileSync(join(work, "terraform.platform.tfstate"), state);
    writeFileSync(join(work, "drift.yaml"), "history:\n  path: terraform.platform.tfstate\n");
    const r = await runCli(["check", "--now", "2026-03-01T09:00:00Z"], { cwd: work, env: { AWS_REGION: "eu-west-1" } });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toBe(
      `pod-identity-drift: history.path ${join(work, "terraform.platform.tfstate")} is not a drift history (SQLite) file; it was left as it is. Point history.path at a new file or an existing history.\n`,
    );
    expect(readdirSync(work).sort()).toEqual(["drift.yaml", "terraform.platform.tfstate"]);
    expect(readFileSync(join(work, "terraform.platform.tfstate"), "utf8")).toBe(state);
  });

  it("watch: a bad schedule is a clear error at start, exit 1", async () => {
    const r = await runCli(["watch", "--schedule", "every minute", "--listen", "127.0.0.1:0"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pod-identity-drift watch: .*every minute/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("an unknown command or option: exit 1 with usage hint", async () => {
    const r = await runCli(["chek"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command 'chek'/);
  });

  it("a closed pipe is not an error", async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile("sh", ["-c", `node ${BIN} check --help | head -c 1 >/dev/null`], { cwd: dir }, (e, _o, stderr) =>
        resolve({ code: e ? (e.code as number) : 0, stderr }),
      );
      child.stdin?.end();
    });
    expect(r.stderr).not.toMatch(/EPIPE/);
  });

  it.each([
    ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"],
    ["2026-01-01T01:30:00+01:00", "2026-01-01T00:30:00.000Z"],
    ["2026-01-01T00:00:00.250Z", "2026-01-01T00:00:00.250Z"],
  ])("--now %s", (text, iso) => expect(parseNow(text)?.toISOString()).toBe(iso));
  it.each([
    "2026-01-01",
    "2026-01-01T00:00:00",
    "yesterday",
    "2026-13-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-01-00T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:60:00Z",
    "2026-01-01T00:00:60Z",
    "2026-01-01T00:00:00+24:00",
  ])("--now %s is refused", (text) => expect(parseNow(text)).toBeUndefined());
  it("--now 2028-02-29 (a leap day) is taken", () => expect(parseNow("2028-02-29T12:00:00Z")?.toISOString()).toBe("2028-02-29T12:00:00.000Z"));
});
