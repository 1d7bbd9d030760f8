import { describe, expect, it } from "vitest";
import { exitCode } from "../../../drift/report/exit-code";
import { render } from "../../../drift/report/render";
import type { Finding } from "../../../drift/model";
import { REPORT_SCHEMA_VERSION, type Report } from "../../../drift/report/report";
import { summarize } from "../../../drift/report/build";

function finding(kind: Finding["kind"], over: Partial<Finding> = {}): Finding {
  return {
    kind,
    cluster: "prod",
    region: "eu-west-1",
    accountId: "111111111111",
    namespace: "payments",
    serviceAccount: "api",
    associationId: "a-1",
    address: "aws_eks_pod_identity_association.x",
    fields: [],
    since: null,
    effectiveAfter: null,
    advice: "do it",
    ...over,
  };
}

function report(findings: Finding[], complete = true): Report {
  return { schemaVersion: REPORT_SCHEMA_VERSION, generatedAt: "2026-01-01T00:00:00.000Z", complete, summary: summarize(findings, 1, 0), findings };
}

describe("exit codes (like terraform plan -detailed-exitcode)", () => {
  it.each([
    ["nothing", [], "drift", 0],
    ["changed", [finding("changed")], "drift", 2],
    ["cache-pending only, --fail-on drift", [finding("cache-pending")], "drift", 0],
    ["cache-pending only, --fail-on cache-pending", [finding("cache-pending")], "cache-pending", 2],
    ["revocation-pending", [finding("revocation-pending")], "drift", 2],
    ["informational only", [finding("unmanaged", { informational: true })], "cache-pending", 0],
    ["drift, --fail-on never", [finding("missing")], "never", 0],
    ["an error, --fail-on never", [finding("error")], "never", 1],
    ["an error and drift", [finding("error"), finding("changed")], "drift", 1],
  ] as const)("%s → %i", (_n, findings, failOn, code) => {
    expect(exitCode(report([...findings], !findings.some((f) => f.kind === "error")), failOn)).toBe(code);
  });
  it("an incomplete report is 1 even without error findings", () => {
    expect(exitCode(report([], false))).toBe(1);
  });
});

describe("render", () => {
  const r = report([
    finding("changed", {
      fields: [
        { name: "tags", expected: { a: "1", b: "2" }, actual: { a: "1", b: "3", c: "x" } },
        { name: "target_role_arn", expected: "arn:x", actual: null },
      ],
    }),
  ]);

  it("json is the contract, parseable and complete", () => {
    expect(JSON.parse(render(r, "json"))).toEqual(r);
  });

  it("table: one line per changed field or tag, no colour unless asked", () => {
    const t = render(r, "table");
    const what = t
      .split("\n")
      .filter((l) => /tags\.|target_role_arn/.test(l))
      .map((l) =>
        l
          .slice(
            t
              .split("\n")
              .find((h) => h.includes("WHAT"))!
              .indexOf("WHAT"),
          )
          .trimEnd(),
      );
    expect(what).toEqual(["tags.b: 2 → 3", "tags.c: (none) → x", "target_role_arn: arn:x → (none)"]);
    expect(t).not.toContain("\u001b[");
    expect(render(r, "table", { color: true })).toContain("\u001b[33mchanged");
  });

  it("table: a long value wraps in its column, whole; nothing is cut away", () => {
    const arn = (name: string) => `arn:aws:iam::222222222222:role/pod-identity/team-with-a-long-name/${name}`;
    const long = report([
      finding("changed", { fields: [{ name: "target_role_arn", expected: arn("ledger-reader"), actual: arn("ledger-reader-v2") }] }),
      finding("error", {
        namespace: null,
        serviceAccount: null,
        detail: `cluster prod (eu-west-1, account 111111111111) not read: TimeoutError: ${"no response within 10 s (scan.requestTimeoutSeconds); ".repeat(3)}10 attempts`,
      }),
    ]);
    const t = render(long, "table");
    expect(t).not.toContain("…");
    const table = t.slice(0, t.indexOf("What to do"));
    expect(table).toContain(arn("ledger-reader"));
    expect(table).toContain(arn("ledger-reader-v2"));
    expect(table).toContain("10 attempts");
    const header = table.split("\n").find((l) => l.startsWith("#"))!;
    const what = header.indexOf("WHAT");
    // Every line of the WHAT column starts where its header does, and no line of the table exceeds the columns.
    const rows = table.split("\n").filter((l) => l.length > what && !l.startsWith("#") && !l.startsWith("Pod Identity") && !l.startsWith("managed"));
    for (const l of rows) expect(l[what - 1]).toBe(" ");
    expect(rows.length).toBeGreaterThan(2);
  });

  it("table: an error's detail and advice read as sentences, one full stop between them", () => {
    const errors = report(
      [
        finding("error", { detail: "history store: it was set aside. History was lost.", advice: "Nothing to do." }),
        finding("error", { detail: "cluster prod: AccessDenied", advice: "Grant it." }),
      ],
      false,
    );
    const t = render(errors, "table");
    expect(t).toContain("1. history store: it was set aside. History was lost. Nothing to do.");
    expect(t).toContain("2. cluster prod: AccessDenied. Grant it.");
    expect(t).not.toMatch(/\.\. /);
  });

  it("markdown: escapes table-breaking characters", () => {
    const md = render(
      report([finding("error", { cluster: null, namespace: null, serviceAccount: null, detail: "state source a|b: <boom>" })], false),
      "markdown",
    );
    expect(md).toContain("⛔ **Incomplete**");
    expect(md).toContain("state source a\\|b: &lt;boom>");
  });

  it('nothing in state and no cluster scanned: says nothing was checked, never "in sync"', () => {
    const empty: Report = {
      ...report([]),
      summary: summarize([], 0, 0),
      scope: { stateSources: [{ source: "terraform.a.tfstate", ok: true, associations: 0 }], clusters: [] },
    };
    const md = render(empty, "markdown");
    expect(md).toContain("❔ **Nothing checked**: the state read holds no aws_eks_pod_identity_association");
    expect(md).not.toContain("**In sync**");
    const table = render(empty, "table");
    expect(table.split("\n")[0]).toMatch(/nothing checked: the state read holds no aws_eks_pod_identity_association and no cluster was scanned/);
    expect(table.split("\n")[0]).not.toMatch(/in sync/);
  });
  it("markdown: in sync", () => {
    expect(render(report([]), "markdown")).toContain("✅ **In sync**");
  });
});
