// The report contract pinned per output format: one sample report with every finding kind rendered as JSON,
// table, Markdown, the webhook's JSON payload and its Slack message, compared with golden files in ./golden
// (refresh them with UPDATE_GOLDEN=1 npx vitest run test/drift/report). A renamed or removed field changes a
// golden file, and the JSON ones must also parse with the contract's schemas, which are the committed
// report.schema.json and webhook.schema.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonPayload, slackPayload } from "../../../drift/daemon/notify";
import { WEBHOOK_SCHEMA_FILE, webhookJsonSchemaText, webhookPayloadSchema } from "../../../drift/daemon/payload";
import { FINDING_KINDS, type Finding } from "../../../drift/model";
import { buildReport } from "../../../drift/report/build";
import { render } from "../../../drift/report/render";
import { REPORT_SCHEMA_FILE, reportJsonSchemaText, reportSchema, type Report } from "../../../drift/report/report";

const GOLDEN = join(__dirname, "golden");
const REPO = join(__dirname, "..", "..", "..");
const NOW = "2026-03-01T08:10:00.000Z";
const ACCOUNT = "111111111111";
const LEDGER = "arn:aws:iam::222222222222:role/pod-identity/ledger-reader";

const at = (namespace: string, serviceAccount: string, cluster = "prod-eu") => ({
  cluster,
  region: "eu-west-1",
  accountId: ACCOUNT,
  namespace,
  serviceAccount,
  associationId: `a-${namespace}${serviceAccount}`.padEnd(19, "0"),
  address: `aws_eks_pod_identity_association.cluster_prod_${namespace}_${serviceAccount}_association_0A1B2C3D`,
});

const base = { fields: [], since: NOW, effectiveAfter: null } as const;
const role = (arn: string, address: string) => ({ arn, address, source: "terraform.platform.tfstate" });

/** One finding of every kind, as the analyser writes them. */
const FINDINGS: Finding[] = [
  {
    kind: "error",
    ...at("analytics", "etl"),
    ...base,
    advice:
      "Grant the reader iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy and iam:ListAttachedRolePolicies on this role (DriftReaderRole: roleArns) in its account, and run again.",
    detail:
      "target role arn:aws:iam::333333333333:role/pod-identity/warehouse-loader (aws_iam_role.warehouse) not read from IAM: AccessDenied: not authorized; its trust and permissions are not verified",
    role: role("arn:aws:iam::333333333333:role/pod-identity/warehouse-loader", "aws_iam_role.warehouse"),
  },
  {
    kind: "revocation-pending",
    ...at("payments", "api", "staging-eu"),
    ...base,
    fields: [{ name: "target_role_arn", expected: null, actual: "arn:aws:iam::222222222222:role/pod-identity/ledger-staging-reader" }],
    effectiveAfter: "2026-03-01T09:09:00.000Z",
    advice: "SECURITY: the association was deleted; pods may keep its access with cached credentials until 2026-03-01T09:09:00.000Z.",
    detail: "cache TTL 59m (with a target role) counted from when a run first found it gone",
  },
  {
    kind: "role-missing",
    ...at("analytics", "exporter", "staging-eu"),
    ...base,
    effectiveAfter: "2026-03-01T09:09:00.000Z",
    advice:
      "The Pod Identity role arn:aws:iam::111111111111:role/pod-identity/bi-exporter (aws_iam_role.exporter) no longer exists in IAM: the association cannot work.",
    detail: "GetRole said NoSuchEntity",
    role: role("arn:aws:iam::111111111111:role/pod-identity/bi-exporter", "aws_iam_role.exporter"),
  },
  {
    kind: "trust-changed",
    ...at("payments", "api"),
    ...base,
    fields: [
      {
        name: "assume_role_policy",
        expected: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] },
        actual: {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
            { Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole" },
          ],
        },
        statements: [{ change: "added", statement: "#2", lines: ["Allow sts:AssumeRole · Principal AWS arn:aws:iam::999999999999:root"] }],
      },
    ],
    advice: "SECURITY: the trust policy of the target role was changed outside Terraform and now grants more than state's.",
    detail: "live allows sts:AssumeRole to arn:aws:iam::999999999999:role/example (statement #2); state's did not allow it",
    role: role(LEDGER, "aws_iam_role.ledger"),
    broadens: true,
  },
  {
    kind: "permission-changed",
    ...at("payments", "worker"),
    ...base,
    fields: [
      { name: "managed_policy_arns", expected: [], actual: ["arn:aws:iam::aws:policy/AdministratorAccess"] },
      { name: "permissions_boundary", expected: "arn:aws:iam::222222222222:policy/cap", actual: null },
    ],
    advice: "SECURITY: the permissions of the target role were changed outside Terraform and now grant more than state's.",
    detail:
      "managed_policy_arns: + arn:aws:iam::aws:policy/AdministratorAccess: live allows s3:GetObject on arn:aws:s3:::example-bucket/example (statement #1); state's did not allow it",
    role: role(LEDGER, "aws_iam_role.ledger"),
    broadens: true,
  },
  {
    kind: "trust-changed",
    ...at("payments", "api", "staging-eu"),
    ...base,
    fields: [
      {
        name: "assume_role_policy",
        expected: {},
        actual: {},
        statements: [{ change: "changed", statement: "#1", lines: ["Condition + StringEquals aws:RequestTag/eks-cluster-name another-cluster"] }],
      },
    ],
    effectiveAfter: "2026-03-01T09:09:00.000Z",
    advice: "The trust policy of the target role was narrowed outside Terraform. EKS no longer gives pods of payments/api in staging-eu new credentials.",
    detail: "live allows nothing that state's did not and keeps every Deny state had",
    role: role("arn:aws:iam::222222222222:role/pod-identity/ledger-staging-reader", "aws_iam_role.staging"),
    broadens: false,
  },
  {
    kind: "external-id-mismatch",
    ...at("analytics", "etl"),
    ...base,
    fields: [{ name: "external_id", expected: "eu-west-1/111111111111/prod-eu/analytics/etl", actual: "eu-west-1/111111111111/prod-eu/analytics/etl-renamed" }],
    advice: "The trust policy of the target role does not allow the sts:ExternalId EKS sends.",
  },
  { kind: "missing", ...at("payments", "api", "staging-eu"), ...base, advice: "In Terraform state but not live (deleted out of band)." },
  {
    kind: "replaced",
    ...at("analytics", "exporter", "staging-eu"),
    ...base,
    fields: [{ name: "association_id", expected: "a-old0000000000000", actual: "a-new0000000000000" }],
    advice: "The association was deleted and recreated outside Terraform.",
  },
  {
    kind: "changed",
    ...at("payments", "api"),
    ...base,
    fields: [
      { name: "target_role_arn", expected: LEDGER, actual: `${LEDGER}-v2` },
      { name: "tags", expected: { team: "payments" }, actual: { team: "billing" } },
    ],
    advice: "Live differs from Terraform state in target_role_arn, tags.",
  },
  {
    kind: "unmanaged",
    ...at("tools", "debug"),
    address: null,
    ...base,
    advice: "Live but in no Terraform state read.",
    detail: "live association arn:aws:eks:eu-west-1:111111111111:podidentityassociation/prod-eu/a-debug",
  },
  {
    kind: "unmanaged",
    ...at("kube-system", "ebs-csi"),
    address: null,
    ...base,
    advice: "Owned by an EKS add-on and managed through it, not Terraform.",
    ownerArn: "arn:aws:eks:eu-west-1:111111111111:addon/prod-eu/aws-ebs-csi-driver/1234",
    informational: true,
  },
  {
    kind: "cache-pending",
    ...at("payments", "api"),
    ...base,
    fields: [{ name: "target_role_arn", expected: LEDGER, actual: `${LEDGER}-v2` }],
    effectiveAfter: "2026-03-01T08:59:00.000Z",
    advice: "Changed at 2026-03-01T08:00:00.000Z: pods may keep credentials of the previous configuration until 2026-03-01T08:59:00.000Z.",
    detail: "cache TTL 59m of the previous configuration (with a target role), from history",
  },
];

const REPORT: Report = buildReport(
  {
    findings: FINDINGS.map((finding) => ({ key: "", finding, counts: finding.informational !== true })),
    managed: 5,
    inSync: 0,
    complete: false,
    seen: [],
    newlyGone: [],
    clustersRead: [],
    clustersUnread: [],
  },
  new Date(NOW),
  {
    stateSources: [{ source: "terraform.platform.tfstate", ok: true, associations: 5 }],
    clusters: [
      { name: "prod-eu", region: "eu-west-1", accountId: ACCOUNT, ok: true, associations: 5 },
      { name: "staging-eu", region: "eu-west-1", accountId: ACCOUNT, ok: true, associations: 2 },
    ],
    iam: {
      checked: true,
      roles: [
        { arn: "arn:aws:iam::111111111111:role/pod-identity/bi-exporter", ok: true, found: false },
        { arn: LEDGER, ok: true, found: true },
        { arn: "arn:aws:iam::333333333333:role/pod-identity/warehouse-loader", ok: false, found: false },
      ],
    },
  },
);

const notification = { initial: false, change: { added: FINDINGS.slice(2, 6), resolved: FINDINGS.slice(9, 10) }, report: REPORT };

const OUTPUTS: ReadonlyArray<readonly [string, () => string]> = [
  ["report.json", () => render(REPORT, "json")],
  ["report.txt", () => render(REPORT, "table")],
  ["report.md", () => render(REPORT, "markdown")],
  ["webhook.json", () => `${JSON.stringify(jsonPayload(notification), null, 2)}\n`],
  ["slack.json", () => `${JSON.stringify(slackPayload(notification), null, 2)}\n`],
];

describe("golden files per output format", () => {
  it.each(OUTPUTS.map(([file, make]) => [file, make] as const))("%s", (file, make) => {
    const path = join(GOLDEN, file);
    const text = make();
    if (process.env.UPDATE_GOLDEN) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(path, text);
    }
    expect(existsSync(path), `${path}: run UPDATE_GOLDEN=1 npx vitest run test/drift/report`).toBe(true);
    expect(text).toBe(readFileSync(path, "utf8"));
  });

  it("the sample has every finding kind, with and without broadening", () => {
    expect(new Set(FINDINGS.map((f) => f.kind))).toEqual(new Set(FINDING_KINDS));
    expect(FINDINGS.map((f) => f.broadens).filter((b) => b !== undefined)).toEqual([true, true, false]);
  });

  it("the JSON outputs are what the contracts describe (strict: an unknown or renamed field fails)", () => {
    expect(reportSchema.parse(JSON.parse(readFileSync(join(GOLDEN, "report.json"), "utf8")))).toEqual(REPORT);
    expect(webhookPayloadSchema.parse(JSON.parse(readFileSync(join(GOLDEN, "webhook.json"), "utf8")))).toEqual(jsonPayload(notification));
    expect(() => reportSchema.parse({ ...REPORT, findings: [{ ...FINDINGS[0], clusterName: "prod-eu" }] })).toThrow(/clusterName/);
  });

  it("report.schema.json and webhook.schema.json are up to date (npm run schema)", () => {
    expect(readFileSync(join(REPO, REPORT_SCHEMA_FILE), "utf8")).toBe(reportJsonSchemaText());
    expect(readFileSync(join(REPO, WEBHOOK_SCHEMA_FILE), "utf8")).toBe(webhookJsonSchemaText());
  });
});
