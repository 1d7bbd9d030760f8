// --format json: the Report contract itself (report.ts), stable and versioned.
import type { Report } from "./report";

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
