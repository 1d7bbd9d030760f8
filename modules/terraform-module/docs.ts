// Documentation, generated from the module itself: the usage examples and the input/output tables, for the
// module's README.md and for docs/terraform-module.md.
import { MODULE_DIR, type ModuleFiles, type ModuleJson, type ModuleVariableJson } from "./constants";

/** How a caller pins the committed module by tag (a release of this repository). */
export const MODULE_SOURCE = `git::https://github.com/your-org/eks-pod-identity-cross-account.git//${MODULE_DIR}?ref=v0.2.0`;

/** One call: two associations in two regions of one cluster account, one shared target role. */
export const USAGE_HCL = `provider "aws" {
  alias  = "platform" # the EKS clusters' account
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/terraform-deployer"
  }
}

provider "aws" {
  alias  = "data" # the target role's account
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform-deployer"
  }
}

# A policy created in the same apply: its ARN is unknown at plan time, which the module's keyed inputs allow.
resource "aws_iam_policy" "ledger_read" {
  provider = aws.data
  name     = "ledger-read"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["dynamodb:GetItem", "dynamodb:Query"], Resource = ["arn:aws:dynamodb:eu-west-1:222222222222:table/ledger"] }]
  })
}

module "ledger_reader" {
  source = "${MODULE_SOURCE}"

  providers = {
    aws.cluster = aws.platform
    aws.target  = aws.data
  }

  name = "payments-ledger-reader" # the Pod Identity role (account 111111111111) and the target role (222222222222)

  associations = {
    api    = { cluster_name = "prod-eu", namespace = "payments", service_account = "api" }
    worker = { cluster_name = "prod-us", cluster_region = "us-east-1", namespace = "payments", service_account = "worker" }
    export = {
      cluster_name    = "prod-eu"
      namespace       = "payments"
      service_account = "export"
      session_tags    = false # the target role then trusts the external id eu-west-1/111111111111/prod-eu/payments/export
      session_policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Action = ["dynamodb:Query"], Resource = ["arn:aws:dynamodb:eu-west-1:222222222222:table/ledger"] }]
      })
    }
  }

  target_role_policy_arns = { ledger = aws_iam_policy.ledger_read.arn }
  target_role_addon_policies = {
    external_secrets = { secret_arns = ["arn:aws:secretsmanager:eu-west-1:222222222222:secret:payments/*"] }
  }

  tags = { team = "payments" }
}`;

/** Two cluster accounts sharing one target role: each call's associations are trusted by the role's call. */
export const SHARED_ROLE_HCL = `module "ledger_reader_eu" { # creates the target role
  source    = "${MODULE_SOURCE}"
  providers = { aws.cluster = aws.platform_eu, aws.target = aws.data }

  name                 = "payments-ledger-reader"
  associations         = { api = { cluster_name = "prod-eu", namespace = "payments", service_account = "api" } }
  trusted_associations = module.ledger_reader_us.trusted_associations # merge() several calls' outputs

  target_role_policy_arns = { ledger = aws_iam_policy.ledger_read.arn }
}

module "ledger_reader_us" { # another cluster account: its own Pod Identity role, the same target role
  source    = "${MODULE_SOURCE}"
  providers = { aws.cluster = aws.platform_us, aws.target = aws.data }

  name            = "payments-ledger-reader"
  target_role_arn = module.ledger_reader_eu.target_role_arn
  associations    = { api = { cluster_name = "prod-us", cluster_region = "us-east-1", namespace = "payments", service_account = "api" } }
}`;

/** The inputs and outputs tables of the module, in Markdown, under `heading` ("##" or "###"). */
export function renderTables(files: ModuleFiles, heading = "##"): string {
  const variables = ((files["variables.tf.json"] as ModuleJson | undefined)?.variable ?? {}) as Readonly<
    Record<string, ModuleVariableJson & { description: string; type: string }>
  >;
  const outputs = ((files["outputs.tf.json"] as ModuleJson | undefined)?.output ?? {}) as Readonly<Record<string, { description: string }>>;
  const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [`${heading} Inputs`, "", "| Name | Description | Type | Default | Required |", "| --- | --- | --- | --- | :---: |"];
  for (const [name, v] of Object.entries(variables)) {
    const required = !("default" in v);
    lines.push(
      `| \`${name}\` | ${cell(v.description)} | \`${cell(v.type)}\` | ${required ? "n/a" : `\`${cell(JSON.stringify(v.default))}\``} | ${required ? "yes" : "no"} |`,
    );
  }
  lines.push("", `${heading} Outputs`, "", "| Name | Description |", "| --- | --- |");
  for (const [name, o] of Object.entries(outputs)) lines.push(`| \`${name}\` | ${cell(o.description)} |`);
  return lines.join("\n");
}

function usage(heading: string): string[] {
  return [
    `${heading} Usage`,
    "",
    "```hcl",
    USAGE_HCL,
    "```",
    "",
    `${heading} Sharing one target role between cluster accounts`,
    "",
    "The call that creates the target role trusts its own associations and the `trusted_associations` outputs of the",
    "calls that use the role through `target_role_arn`; the role's trust policy is merged over all of them.",
    "",
    "```hcl",
    SHARED_ROLE_HCL,
    "```",
  ];
}

/** The README written next to the module. */
export function renderReadme(files: ModuleFiles): string {
  return [
    "# Cross-account EKS Pod Identity: associations, a Pod Identity role and a shared target role",
    "",
    "Generated by `npm run synth:module` from the project's policies; do not edit. One module call makes Pod Identity",
    "associations in one cluster account (clusters in any of its regions) that chain, through one Pod Identity role in",
    "that account, into one target role in another account, whose trust policy is merged over the call's associations",
    "and those of other calls (`trusted_associations`). The caller passes two AWS provider configurations: `aws.cluster`",
    "(the clusters' account) and `aws.target` (the target role's account). Requires Terraform >= 1.3 and AWS provider",
    ">= 6.57.1 (the association's `policy` argument). Pin it by tag:",
    "",
    "```hcl",
    `source = "${MODULE_SOURCE}"`,
    "```",
    "",
    ...usage("##"),
    "",
    renderTables(files, "##"),
    "",
  ].join("\n");
}

/** Markers around the generated part of docs/terraform-module.md. */
export const DOCS_BEGIN = "<!-- BEGIN GENERATED: npm run synth:module -->";
export const DOCS_END = "<!-- END GENERATED -->";

/** `doc` with the part between the markers replaced by the module's usage examples and tables. */
export function updateDocs(doc: string, files: ModuleFiles): string {
  const begin = doc.indexOf(DOCS_BEGIN);
  const end = doc.indexOf(DOCS_END);
  if (begin < 0 || end < begin) throw new Error(`the markers ${DOCS_BEGIN} … ${DOCS_END} are missing`);
  const generated = ["", ...usage("###"), "", renderTables(files, "###"), ""].join("\n");
  return doc.slice(0, begin + DOCS_BEGIN.length) + "\n" + generated + doc.slice(end);
}

/** Every file of the module directory as written: the .tf.json files (indented, so that Terraform can quote a line) and the README. */
export function moduleFileTexts(files: ModuleFiles): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) texts[name] = `${JSON.stringify(content, null, 2)}\n`;
  texts["README.md"] = renderReadme(files);
  return texts;
}
