// --format markdown: for pull request comments and CI step summaries (GitHub-flavoured tables).
import { clusterLabel, findingSummary, isSecurity, where } from "./fields";
import type { Finding } from "../model";
import type { Report } from "./report";
import { IAM_OFF, NOTHING_CHECKED, verdictOf } from "./verdict";

export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const drift = report.findings.filter((f) => f.informational !== true);
  const out: string[] = [];
  const verdict = {
    incomplete: "⛔ **Incomplete**: some inputs could not be read or used (see the errors); nothing there is reported in sync.",
    findings: `⚠️ **${drift.length} finding${drift.length === 1 ? "" : "s"}**`,
    "nothing-checked": `❔ **Nothing checked**: ${NOTHING_CHECKED.replace(/^nothing checked: /, "")}.`,
    "in-sync": "✅ **In sync**: live Pod Identity associations match Terraform state and no change is pending.",
  }[verdictOf(report)];
  out.push("## Pod Identity drift", "", verdict, "", `Generated ${report.generatedAt}.`, "");
  out.push(
    "| Managed | In sync | Changed | Missing | Replaced | Unmanaged | Cache-pending | Revocation-pending | External-id mismatch | Role missing | Trust changed | Permission changed | Errors |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${s.managed} | ${s.inSync} | ${s.changed} | ${s.missing} | ${s.replaced} | ${s.unmanaged} | ${s.cachePending} | ${s.revocationPending} | ${s.externalIdMismatch} | ${s.roleMissing ?? 0} | ${s.trustChanged ?? 0} | ${s.permissionChanged ?? 0} | ${s.errors} |`,
    "",
  );
  if (report.scope?.iam?.checked === false) out.push(`${IAM_OFF}.`, "");
  if (report.findings.length === 0) return `${out.join("\n")}\n`;
  out.push("| # | Kind | Cluster | Namespace / service account | What | Effective after | Since |", "|---:|---|---|---|---|---|---|");
  report.findings.forEach((f, i) => {
    out.push(
      `| ${i + 1} | ${kind(f)} | ${cell(clusterLabel(f))} | ${cell(where(f), true)} | ${cell(what(f))} | ${cell(f.effectiveAfter ?? "")} | ${cell(f.since ?? "")} |`,
    );
  });
  out.push("", "<details><summary>What to do</summary>", "");
  report.findings.forEach((f, i) => {
    out.push(
      `${i + 1}. ${escapeText(f.advice)}${f.detail ? ` _(${escapeText(f.detail)})_` : ""}${f.address ? ` Terraform: \`${f.address.replace(/`/g, "'")}\`.` : ""}`,
    );
  });
  out.push("", "</details>", "");
  return out.join("\n");
}

function kind(f: Finding): string {
  const k = isSecurity(f) ? `**${f.kind}**` : f.kind;
  return f.informational ? `${k} (info)` : k;
}

/** One line per changed field; statement diffs keep their indentation (non-breaking spaces). */
function what(f: Finding): string {
  return findingSummary(f)
    .map((l) => l.replace(/^ +/, (m) => "\u00a0".repeat(m.length * 2)))
    .join("\n");
}

function cell(text: string, code = false): string {
  if (text === "") return "";
  if (code) return `\`${text.replace(/`/g, "'").replace(/\|/g, "\\|")}\``;
  return escapeText(text).replace(/\n/g, "<br>");
}

function escapeText(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/</g, "&lt;")
    .replace(/([*_~[\]])/g, "\\$1");
}
