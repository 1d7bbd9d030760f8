// External Secrets Operator, AWS Secrets Manager and SSM Parameter Store providers: read only the given
// secrets and parameters (and decrypt with the given keys).
// Upstream: https://external-secrets.io/latest/provider/aws-secrets-manager/ and
// https://external-secrets.io/latest/provider/aws-parameter-store/ (IAM policies)
import { z } from "zod";
import type { PolicyDocumentJson, StatementJson } from "../json";
import { type AddonContext, allow, allowWithoutResourceLevel, arnList, document } from "./common";

export const externalSecretsSchema = z
  .strictObject({
    name: z.literal("external-secrets"),
    secretArns: arnList(
      "secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@*?-]+",
      "arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/app-*",
      "Secrets Manager secrets that may be read (a trailing -* matches the random suffix AWS adds)",
    ).optional(),
    parameterArns: arnList(
      "ssm:[a-z0-9-]+:\\d{12}:parameter/[A-Za-z0-9/_.*?-]+",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/team/app/*",
      "SSM parameters that may be read",
    ).optional(),
    kmsKeyArns: arnList(
      "kms:[a-z0-9-]+:\\d{12}:key/[0-9a-f-]+",
      "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "Customer managed KMS keys that encrypt those secrets or SecureString parameters (not needed for AWS managed keys)",
    ).optional(),
  })
  .refine((a) => a.secretArns !== undefined || a.parameterArns !== undefined, {
    message: "external-secrets needs secretArns or parameterArns (or both)",
  })
  .describe("External Secrets Operator (Secrets Manager and/or Parameter Store)");

export type ExternalSecretsAddon = z.infer<typeof externalSecretsSchema>;

export function externalSecretsPolicy(addon: ExternalSecretsAddon, _ctx: AddonContext): PolicyDocumentJson {
  const statements: StatementJson[] = [];
  if (addon.secretArns !== undefined) {
    statements.push(
      allow(
        "ReadSecrets",
        ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds"],
        addon.secretArns,
      ),
    );
  }
  if (addon.parameterArns !== undefined) {
    statements.push(allow("ReadParameters", ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], addon.parameterArns));
  }
  if (addon.kmsKeyArns !== undefined) {
    // Decrypt only on behalf of the two services, never directly.
    statements.push(
      allow("DecryptViaServices", ["kms:Decrypt"], addon.kmsKeyArns, {
        StringLike: { "kms:ViaService": ["secretsmanager.*", "ssm.*"] },
      }),
    );
  }
  // secretsmanager:ListSecrets, secretsmanager:BatchGetSecretValue and ssm:DescribeParameters support no
  // resource-level permission (`find` and `dataFrom` use them). ListSecrets and DescribeParameters return
  // metadata only; BatchGetSecretValue returns only the secrets GetSecretValue above allows.
  const listing: string[] = [];
  if (addon.secretArns !== undefined) listing.push("secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets");
  if (addon.parameterArns !== undefined) listing.push("ssm:DescribeParameters");
  statements.push(allowWithoutResourceLevel("ListNoResourceLevel", listing));
  return document(statements);
}
