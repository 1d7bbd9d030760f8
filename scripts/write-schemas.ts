// `npm run schema`: writes pod-identity.schema.json, the JSON Schema of the config file, generated from the
// same zod definition that validates it. A test fails when the committed file is out of date.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { configJsonSchemaText } from "../modules/config/json-schema";
import { DRIFT_SCHEMA_FILE, driftConfigJsonSchemaText } from "../drift/config/json-schema";

const file = path.join(__dirname, "..", "pod-identity.schema.json");
writeFileSync(file, configJsonSchemaText());
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);

const driftFile = path.join(__dirname, "..", DRIFT_SCHEMA_FILE);
writeFileSync(driftFile, driftConfigJsonSchemaText());
process.stdout.write(`wrote ${path.relative(process.cwd(), driftFile)}\n`);
