// The JSON Schema of the config file, generated from ./schema.ts (editors use it for completion:
// `# yaml-language-server: $schema=./pod-identity.schema.json`). Refinements (rules checked in code) are
// not expressible in JSON Schema; the loader reports those.
import { z } from "zod";
import { configSchema } from "./schema";

/** The schema as the text committed to pod-identity.schema.json. */
export function configJsonSchemaText(): string {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  const doc = {
    $schema: schema.$schema,
    $id: "https://example.invalid/eks-pod-identity-cross-account/pod-identity.schema.json",
    title: "EKS Pod Identity cross-account config",
    description: "Accounts, clusters, Pod Identity roles, target roles and associations (see docs/config.md)",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
