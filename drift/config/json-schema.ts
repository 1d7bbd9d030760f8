// drift.schema.json, generated from the zod schema that validates the drift config (`npm run schema`).
import { driftConfigJsonSchema } from "./schema";

export const DRIFT_SCHEMA_FILE = "drift.schema.json";

export function driftConfigJsonSchemaText(): string {
  return `${JSON.stringify(driftConfigJsonSchema(), null, 2)}\n`;
}
