// --format table: for a terminal. Colour only when asked (the CLI asks on a TTY without NO_COLOR). Nothing
// is cut away: a cell wider than its column wraps onto more lines (at spaces where it can), and each changed
// field has a line of its own, so the differing end of a long ARN is always there.
import { clusterLabel, findingSummary, isSecurity, where } from "./fields";
import type { Finding, FindingKind } from "../model";
import type { Report } from "./report";
import { IAM_OFF, NOTHING_CHECKED, verdictOf } from "./verdict";

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
  "role-missing": "yellow",
  "trust-changed": "yellow",
  "permission-changed": "yellow",
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
      `role-missing ${s.roleMissing ?? 0}`,
      `trust-changed ${s.trustChanged ?? 0}`,
      `permission-changed ${s.permissionChanged ?? 0}`,
      `errors ${s.errors}`,
    ].join("  "),
  );
  if (report.scope?.iam?.checked === false) lines.push(paint("yellow", IAM_OFF));
  if (report.findings.length === 0) return `${lines.join("\n")}\n`;

  const header = ["#", "KIND", "CLUSTER", "NAMESPACE/SA", "WHAT", "EFFECTIVE AFTER", "SINCE"];
  const rows = report.findings.map((f, i) => [
    [String(i + 1)],
    [kindLabel(f)],
    [clusterLabel(f)],
    [where(f)],
    findingSummary(f),
    [f.effectiveAfter ?? ""],
    [f.since ?? ""],
  ]);
  // As wide as the longest line up to the column's maximum, and never narrower than its longest word.
  const widths = header.map((h, c) => {
    const lines = rows.flatMap((r) => r[c]!);
    const longestWord = Math.max(0, ...lines.flatMap((l) => l.split(/\s+/).map((w) => w.length)));
    return Math.max(longestWord, Math.min(MAX_WIDTH[c] ?? Infinity, Math.max(h.length, ...lines.map((l) => l.length))));
  });
  lines.push("");
  lines.push(
    paint(
      "bold",
      layout(
        header.map((h) => [h]),
        widths,
      )[0]!,
    ),
  );
  report.findings.forEach((f, i) => {
    lines.push(...layout(rows[i]!, widths, (c, text) => (c === 1 ? paint(f.informational ? "dim" : isSecurity(f) ? "red" : KIND_STYLE[f.kind], text) : text)));
  });
  lines.push("");
  lines.push(paint("bold", "What to do"));
  const width = opts.width ?? 120;
  report.findings.forEach((f, i) => {
    const prefix = `${String(i + 1).padStart(String(report.findings.length).length)}. `;
    const body = f.kind === "error" ? `${asSentence(f.detail ?? "")} ${f.advice}` : `${f.advice}${f.detail ? ` (${f.detail})` : ""}`;
    lines.push(...wrap(prefix, body, width));
  });
  return `${lines.join("\n")}\n`;
}

/** `text` ending with a full stop: an error's detail is often a sentence already. */
function asSentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Widest a column gets before its cells wrap (CLUSTER, NAMESPACE/SA, WHAT); the others never need to. */
const MAX_WIDTH: Readonly<Record<number, number>> = { 2: 48, 3: 48, 4: 80 };

/** One row: each cell's lines wrapped to its column's width, then laid side by side, as many lines as the tallest cell. */
function layout(cells: readonly (readonly string[])[], widths: readonly number[], style?: (c: number, text: string) => string): string[] {
  const wrapped = cells.map((lines, c) => lines.flatMap((l) => fold(l, widths[c]!)));
  const height = Math.max(...wrapped.map((w) => w.length));
  const out: string[] = [];
  for (let i = 0; i < height; i++) {
    const parts = wrapped.map((w, c) => {
      const text = (w[i] ?? "").padEnd(widths[c]!);
      return style && w[i] !== undefined ? style(c, text) : text;
    });
    out.push(parts.join("  ").trimEnd());
  }
  return out;
}

/**
 * Lines of at most `width` characters, broken at spaces; a longer word (an ARN) gets a line of its own, whole.
 * A line's indentation (a statement under its policy) is kept on every line it folds into.
 */
function fold(text: string, width: number): string[] {
  const indent = /^ */.exec(text)![0];
  if (indent !== "") return fold(text.slice(indent.length), Math.max(1, width - indent.length)).map((l) => `${indent}${l}`);
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      out.push(line);
      line = "";
    }
    line = line === "" ? word : `${line} ${word}`;
  }
  out.push(line);
  return out;
}

function kindLabel(f: Finding): string {
  return f.informational ? `${f.kind} (info)` : f.kind;
}

function wrap(prefix: string, text: string, width: number): string[] {
  const indent = " ".repeat(prefix.length);
  return fold(text, width - prefix.length).map((line, i) => `${i === 0 ? prefix : indent}${line}`);
}
