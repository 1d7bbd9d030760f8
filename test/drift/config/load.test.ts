import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../drift/config/duration";
import { driftConfigJsonSchemaText } from "../../../drift/config/json-schema";
import { ConfigError, loadDriftConfig } from "../../../drift/config/load";
import { REPO } from "../support/cli";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "drift-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const problems = (f: () => unknown): readonly string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("no ConfigError");
};

describe("loadDriftConfig", () => {
  it("no file: the defaults (6h / 59m, history .drift/history.db here, add-on-owned reported)", () => {
    const c = loadDriftConfig(undefined, dir);
    expect(c).toMatchObject({
      state: [],
      cache: { podIdentityRoleTtl: "6h", targetRoleTtl: "59m" },
      addonOwned: "report",
      history: { path: join(dir, ".drift/history.db") },
      baseDir: dir,
    });
    expect(c.file).toBeUndefined();
  });

  it("finds drift.yaml, then drift.yml, then drift.json in the working directory", () => {
    writeFileSync(join(dir, "drift.json"), JSON.stringify({ cache: { targetRoleTtl: "30m" } }));
    expect(loadDriftConfig(undefined, dir).cache.targetRoleTtl).toBe("30m");
    writeFileSync(join(dir, "drift.yaml"), "cache:\n  targetRoleTtl: 45m\n");
    expect(loadDriftConfig(undefined, dir)).toMatchObject({ file: join(dir, "drift.yaml"), cache: { targetRoleTtl: "45m" } });
  });

  it("the example config is valid", () => {
    const c = loadDriftConfig(join(REPO, "drift.example.yaml"));
    expect(c.ignore).toHaveLength(2);
    expect(c.accounts["111111111111"]!.roleArn).toMatch(/pod-identity-drift-reader$/);
  });

  it("reports every problem with its path and how to fix it", () => {
    writeFileSync(
      join(dir, "drift.yaml"),
      [
        "state: terraform.tfstate",
        "clusters: [{ name: prod, region: Ireland }]",
        "accounts: { '12345': { roleArn: arn:aws:iam::12345:role/x } }",
        "cache: { targetRoleTtl: 1 hour }",
        "ignore: [{ kinds: [drift] }]",
        "addonOwned: yes",
        "histroy: {}",
      ].join("\n"),
    );
    expect(problems(() => loadDriftConfig(undefined, dir))).toEqual([
      'state: expected array, got string "terraform.tfstate"',
      'clusters[0].region: "Ireland" is not an AWS region such as eu-west-1',
      'accounts["12345"]: "12345" is not a 12-digit AWS account id (quote it in YAML)',
      'cache.targetRoleTtl: "1 hour" is not a duration; write it like 59m, 6h or 1h30m',
      'ignore[0].kinds[0]: string "drift" is not one of "changed", "missing", "replaced", "unmanaged", "cache-pending", "revocation-pending", "external-id-mismatch", "role-missing", "trust-changed", "permission-changed", "error"',
      'addonOwned: string "yes" is not one of "report", "drift", "ignore"',
      "histroy: unknown field; remove it or check its spelling",
    ]);
  });

  it("YAML syntax errors name the line", () => {
    writeFileSync(join(dir, "d.yaml"), "state:\n  - a\n bad: [\n");
    expect(() => loadDriftConfig(join(dir, "d.yaml"))).toThrow(/d\.yaml: not valid YAML\/JSON at line 3, column 2: bad indentation of a mapping entry/);
  });

  it("a missing file given explicitly is an error, not the defaults", () => {
    expect(() => loadDriftConfig("nope.yaml", dir)).toThrow(/nope\.yaml: no such file; check --config/);
  });

  it("drift.schema.json is up to date (npm run schema)", () => {
    expect(readFileSync(join(REPO, "drift.schema.json"), "utf8")).toBe(driftConfigJsonSchemaText());
  });
});

describe("durations", () => {
  it.each([
    ["6h", 6 * 3600_000],
    ["59m", 59 * 60_000],
    ["1h30m", 90 * 60_000],
    ["90s", 90_000],
  ])("%s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(["", "6", "1 hour", "h", "-5m"])("rejects %j", (text) => expect(parseDuration(text)).toBeUndefined());
});
