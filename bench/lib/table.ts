// Plain-text tables for the terminal.

export type Cell = string | number | null | undefined;

function show(c: Cell): string {
  if (c === null || c === undefined) return "–";
  if (typeof c === "number") {
    if (!Number.isFinite(c)) return "–";
    if (Number.isInteger(c)) return c.toLocaleString("en-US");
    return c.toLocaleString("en-US", { maximumFractionDigits: Math.abs(c) < 10 ? 3 : 1 });
  }
  return c;
}

export function renderTable(title: string, header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((r) => r.map(show));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [title, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}
