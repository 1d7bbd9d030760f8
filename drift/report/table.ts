// --format table: for a terminal. Colour only when asked (the CLI asks on a TTY without NO_COLOR).
import { clusterLabel, findingSummary, where } from "./fields";
import type { Finding, FindingKind, Report } from "./report";
import { NOTHING_CHECKED, verdictOf } from "./verdict";

export interface TableOptions {
  /** ANSI colour. @default false */
  readonly color?: boolean;
  /** Wrap width for the advice lines. @default 120 */
  readonly width?: number;
}

const ANSI = { red: [31, 39], yellow: [33, 39], cyan: [36, 39], green: [32, 39], dim: [2, 22], bold: [1, 22] } as const;
type Style = keyof typeof ANSI;

const KIND_STYLE: Record<FindingKind, Style> = {
  error: "red",
  "revocation-pending": "red",
  "external-id-mismatch": "red",
  changed: "yellow",
  missing: "yellow",
  replaced: "yellow",
  unmanaged: "yellow",
  "cache-pending": "cyan",
};

export function renderTable(report: Report, opts: TableOptions = {}): string {
  const paint = (style: Style, text: string) => (opts.color ? `\u001b[${ANSI[style][0]}m${text}\u001b[${ANSI[style][1]}m` : text);
  const s = report.summary;
  const lines: string[] = [];
  const status = {
    incomplete: paint("red", "INCOMPLETE: some inputs could not be read or used (see the errors); nothing there is reported in sync"),
    findings: paint("yellow", "findings"),
    "nothing-checked": paint("yellow", NOTHING_CHECKED),
    "in-sync": paint("green", "in sync"),
  }[verdictOf(report)];
  lines.push(`${paint("bold", "Pod Identity drift")}  ${report.generatedAt}  ${status}`);
  lines.push(
    [
      `managed ${s.managed}`,
      `in sync ${s.inSync}`,
      `changed ${s.changed}`,
      `missing ${s.missing}`,
      `replaced ${s.replaced}`,
      `unmanaged ${s.unmanaged}`,
      `cache-pending ${s.cachePending}`,
      `revocation-pending ${s.revocationPending}`,
      `external-id-mismatch ${s.externalIdMismatch}`,
      `errors ${s.errors}`,
    ].join("  "),
  );
  if (report.findings.length === 0) return `${lines.join("\n")}\n`;

  const header = ["#", "KIND", "CLUSTER", "NAMESPACE/SA", "WHAT", "EFFECTIVE AFTER", "SINCE"];
  const rows = report.findings.map((f, i) => [String(i + 1), kindLabel(f), clusterLabel(f), where(f), findingSummary(f), f.effectiveAfter ?? "", f.since ?? ""]);
  const widths = header.map((h, c) => Math.min(c === 4 ? 80 : 60, Math.max(h.length, ...rows.map((r) => r[c]!.length))));
  const fmt = (cells: string[], style?: (c: number, text: string) => string) =>
    cells
      .map((cell, c) => {
        const text = cell.length > widths[c]! ? `${cell.slice(0, widths[c]! - 1)}…` : cell.padEnd(widths[c]!);
        return style ? style(c, text) : text;
      })
      .join("  ")
      .trimEnd();
  lines.push("");
  lines.push(paint("bold", fmt(header)));
  report.findings.forEach((f, i) => {
    lines.push(fmt(rows[i]!, (c, text) => (c === 1 ? paint(f.informational ? "dim" : KIND_STYLE[f.kind], text) : text)));
  });
  lines.push("");
  lines.push(paint("bold", "What to do"));
  const width = opts.width ?? 120;
  report.findings.forEach((f, i) => {
    const prefix = `${String(i + 1).padStart(String(report.findings.length).length)}. `;
    const body = f.kind === "error" ? `${f.detail ?? ""}. ${f.advice}` : `${f.advice}${f.detail ? ` (${f.detail})` : ""}`;
    lines.push(...wrap(prefix, body, width));
  });
  return `${lines.join("\n")}\n`;
}

function kindLabel(f: Finding): string {
  return f.informational ? `${f.kind} (info)` : f.kind;
}

function wrap(prefix: string, text: string, width: number): string[] {
  const indent = " ".repeat(prefix.length);
  const out: string[] = [];
  let line = prefix;
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length + 1 > width && line.trim() !== prefix.trim()) {
      out.push(line.trimEnd());
      line = indent;
    }
    line += (line === prefix || line === indent ? "" : " ") + word;
  }
  out.push(line.trimEnd());
  return out;
}
