// One entry point for every output format: render(report, format). A new format is one file and one line here.
import { renderJson } from "./json";
import { renderMarkdown } from "./markdown";
import type { Report } from "./report";
import { renderTable } from "./table";

export type ReportFormat = "table" | "json" | "markdown";
export const REPORT_FORMATS: readonly ReportFormat[] = ["table", "json", "markdown"];

export interface RenderOptions {
  /** ANSI colour in the table. @default false */
  readonly color?: boolean;
}

const RENDERERS: Record<ReportFormat, (r: Report, o: RenderOptions) => string> = {
  table: (r, o) => renderTable(r, { color: o.color === true }),
  json: (r) => renderJson(r),
  markdown: (r) => renderMarkdown(r),
};

export function render(report: Report, format: ReportFormat, opts: RenderOptions = {}): string {
  return RENDERERS[format](report, opts);
}
