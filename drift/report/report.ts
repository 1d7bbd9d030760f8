// The JSON report: the drift check's contract with its users (CLI --format json, the daemon's /report).
// Defined once, here, as a zod schema over the model's findings (../model.ts): the TypeScript types come from
// it, and so does report.schema.json (`npm run schema`). Stable and versioned: add optional fields freely;
// renaming or removing one bumps schemaVersion. Golden files of every output format pin it (test/drift/report).
import { z } from "zod";
import { findingSchema } from "../model";

export const REPORT_SCHEMA_VERSION = 1;
export const REPORT_SCHEMA_FILE = "report.schema.json";

const count = z.number().int().min(0);

export const summarySchema = z
  .object({
    managed: count.describe("Associations in state that the check covers (not left out by an ignore rule)."),
    inSync: count.describe("Of those, compared with live and without a finding."),
    changed: count,
    missing: count,
    replaced: count,
    unmanaged: count,
    cachePending: count,
    revocationPending: count,
    externalIdMismatch: count,
    roleMissing: count.optional().describe("Added after schemaVersion 1 was published, as the three below."),
    trustChanged: count.optional(),
    permissionChanged: count.optional(),
    broadening: count.optional().describe("trust-changed and permission-changed findings whose change broadens access (broadens: true)."),
    errors: count,
    informational: count.optional().describe("Informational findings (see Finding.informational), counted here and in none of the kinds above."),
  })
  .strict()
  .readonly()
  .describe("Managed associations, those in sync, and per kind the findings that count (informational ones apart).");
export type Summary = z.output<typeof summarySchema>;

export const scopeSchema = z
  .object({
    stateSources: z.array(z.object({ source: z.string(), ok: z.boolean(), associations: count }).strict().readonly()).readonly(),
    clusters: z
      .array(z.object({ name: z.string(), region: z.string(), accountId: z.string().nullable(), ok: z.boolean(), associations: count }).strict().readonly())
      .readonly(),
    iam: z
      .object({
        checked: z
          .boolean()
          .describe("False when the IAM half is off (iam: false in the drift config, or --no-iam): no role was read and no role finding can exist."),
        roles: z
          .array(
            z
              .object({
                arn: z.string(),
                ok: z.boolean().describe("Read completely (or found deleted)."),
                found: z.boolean().describe("False when IAM says the role does not exist."),
              })
              .strict()
              .readonly(),
          )
          .readonly()
          .describe("Every distinct chain role read, once each."),
      })
      .strict()
      .readonly()
      .optional()
      .describe("The IAM roles of the chains. Added after schemaVersion 1 was published."),
  })
  .strict()
  .readonly()
  .describe("What the run read: every state source (by name), cluster (by account, region, name) and chain role, and whether it was read completely.");
export type Scope = z.output<typeof scopeSchema>;

export const reportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    generatedAt: z.string().describe("ISO 8601: the check's clock (--now)."),
    complete: z.boolean().describe("False when any input could not be read or used: nothing is then claimed to be in sync there."),
    summary: summarySchema,
    findings: z.array(findingSchema).readonly(),
    scope: scopeSchema.optional().describe("What was read. Added after schemaVersion 1 was published."),
  })
  .strict()
  .readonly();
export type Report = z.output<typeof reportSchema>;

/** report.schema.json: the report's JSON Schema (draft 2020-12), as the file holds it. */
export function reportJsonSchemaText(): string {
  return contractSchemaText(reportSchema, "pod-identity-drift report");
}

/**
 * A contract's JSON Schema text (draft 2020-12). `readonly()` in the zod definitions is for the TypeScript
 * types only: the `readOnly` annotations it would add (an API-writing hint) are left out.
 */
export function contractSchemaText(schema: z.ZodType, title: string): string {
  const json = { ...z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }), title };
  return `${JSON.stringify(json, (k, v: unknown) => (k === "readOnly" ? undefined : v), 2)}\n`;
}
