// The generic webhook's payload (format: json): a contract like the report, defined once here as a zod
// schema over the report's summary and the model's findings; its type and webhook.schema.json
// (`npm run schema`) come from it. Stable: add fields freely, bump schemaVersion on removal.
import { z } from "zod";
import { findingSchema } from "../model";
import { contractSchemaText, summarySchema } from "../report/report";

export const NOTIFICATION_SCHEMA_VERSION = 1;
export const WEBHOOK_SCHEMA_FILE = "webhook.schema.json";

export const webhookPayloadSchema = z
  .object({
    schemaVersion: z.literal(NOTIFICATION_SCHEMA_VERSION),
    event: z.literal("findings-changed"),
    initial: z.boolean().describe("True for the findings of the first scan after start (there was nothing to compare with)."),
    generatedAt: z.string().describe("ISO 8601: the scan's clock."),
    complete: z.boolean().describe("False when the scan could not read everything: findings where it could not look are neither added nor resolved."),
    summary: summarySchema,
    added: z
      .array(findingSchema)
      .readonly()
      .describe("Findings new since the last notification (a broadening trust or permission change among them is sent even as the first scan's)."),
    resolved: z.array(findingSchema).readonly().describe("Findings gone since the last notification."),
  })
  .strict()
  .readonly();
export type WebhookPayload = z.output<typeof webhookPayloadSchema>;

/** webhook.schema.json: the JSON Schema (draft 2020-12) of what a `format: json` webhook receives, as the file holds it. */
export function webhookJsonSchemaText(): string {
  return contractSchemaText(webhookPayloadSchema, "pod-identity-drift webhook payload");
}
