// `npm run schema`: writes the JSON Schemas generated from the zod definitions that validate or produce
// each file: pod-identity.schema.json (the config), drift.schema.json (the drift config), report.schema.json
// (the drift report) and webhook.schema.json (the webhook payload). A test fails when a committed file is
// out of date.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { configJsonSchemaText } from "../modules/config/json-schema";
import { DRIFT_SCHEMA_FILE, driftConfigJsonSchemaText } from "../drift/config/json-schema";
import { REPORT_SCHEMA_FILE, reportJsonSchemaText } from "../drift/report/report";
import { WEBHOOK_SCHEMA_FILE, webhookJsonSchemaText } from "../drift/daemon/payload";

const files: ReadonlyArray<readonly [string, () => string]> = [
  ["pod-identity.schema.json", configJsonSchemaText],
  [DRIFT_SCHEMA_FILE, driftConfigJsonSchemaText],
  [REPORT_SCHEMA_FILE, reportJsonSchemaText],
  [WEBHOOK_SCHEMA_FILE, webhookJsonSchemaText],
];
for (const [name, text] of files) {
  const file = path.join(__dirname, "..", name);
  writeFileSync(file, text());
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
