// The drift config: what `pod-identity-drift check` and `watch` read. One schema, three uses: validation
// (load.ts), the TypeScript type (DriftConfig), and the published JSON Schema (drift.schema.json).
import { z } from "zod";
import { daemonSettingsSchema } from "../daemon/settings";
import { FINDING_KINDS } from "../model";
import { DURATION_PATTERN, parseDuration } from "./duration";

const duration = (fallback: string, what: string) =>
  z
    .string()
    .regex(new RegExp(DURATION_PATTERN), { error: (i) => `${JSON.stringify(i.input)} is not a duration; write it like 59m, 6h or 1h30m`, abort: true })
    .refine((s) => (parseDuration(s) ?? 0) > 0, { error: "must be longer than zero" })
    .default(fallback)
    .describe(what);

const accountId = z.string().regex(/^\d{12}$/, { error: (i) => `${JSON.stringify(i.input)} is not a 12-digit AWS account id (quote it in YAML)` });

export const clusterSchema = z
  .object({
    name: z.string().min(1).describe("EKS cluster name."),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: (i) => `${JSON.stringify(i.input)} is not an AWS region such as eu-west-1` })
      .describe("The cluster's region."),
    accountId: accountId.optional().describe("The cluster's account: selects the reader role in `accounts`. Default: the credentials' own account."),
  })
  .strict()
  .describe("A cluster to scan in addition to those that appear in Terraform state.");

export const accountReaderSchema = z
  .object({
    roleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { error: (i) => `${JSON.stringify(i.input)} is not an IAM role ARN` })
      .describe("Role the check assumes to read this account's clusters."),
    externalId: z.string().min(2).max(1224).optional().describe("sts:ExternalId to pass when assuming the reader role."),
    sessionName: z
      .string()
      .regex(/^[\w+=,.@-]{2,64}$/)
      .optional()
      .describe("Role session name. Default: pod-identity-drift."),
  })
  .strict();

export const ignoreRuleSchema = z
  .object({
    cluster: z.string().min(1).optional().describe("Cluster name glob (`*` any run of characters, `?` one character)."),
    namespace: z.string().min(1).optional().describe("Kubernetes namespace glob."),
    serviceAccount: z.string().min(1).optional().describe("Service account name glob."),
    kinds: z
      .array(z.enum(FINDING_KINDS))
      .min(1)
      .optional()
      .describe("Ignore only these finding kinds. Default: the association is left out of the check entirely."),
    reason: z.string().optional().describe("Why: for the reader of this file."),
  })
  .strict()
  .refine((r) => r.cluster !== undefined || r.namespace !== undefined || r.serviceAccount !== undefined, {
    error: "an ignore rule needs at least one of cluster, namespace, serviceAccount",
  });

export const driftConfigSchema = z
  .object({
    $schema: z.string().optional(),
    state: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Terraform state sources: a path, a glob, file://PATH or s3://BUCKET/KEY (a workspace: s3://BUCKET/KEY?workspace=NAME). Relative paths are relative to this file. Default: terraform.*.tfstate next to this file (CDKTF's local state). --state replaces this list.",
      ),
    clusters: z.array(clusterSchema).default([]).describe("Clusters to scan besides those named in state (to find unmanaged associations there)."),
    accounts: z
      .record(accountId, accountReaderSchema)
      .default({})
      .describe("Per-account reader role, keyed by account id. Accounts not listed use the default credential chain."),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/)
      .optional()
      .describe("Region for associations whose state records neither an association ARN nor a region. Default: AWS_REGION."),
    cache: z
      .object({
        podIdentityRoleTtl: duration("6h", "How long pods may keep credentials of an association with only a Pod Identity role (AWS documents 6h)."),
        targetRoleTtl: duration("59m", "How long pods may keep credentials of an association with a target role (AWS documents 59m)."),
      })
      .strict()
      .default({ podIdentityRoleTtl: "6h", targetRoleTtl: "59m" })
      .describe("Credential cache lifetimes of the Pod Identity Agent: when a change reaches running pods at the latest."),
    ignore: z
      .array(ignoreRuleSchema)
      .default([])
      .describe("Associations (or some of their finding kinds) to leave out. A rule matches when all the patterns it gives match."),
    addonOwned: z
      .enum(["report", "drift", "ignore"])
      .default("report")
      .describe("Unmanaged associations owned by an EKS add-on (ownerArn set): report (listed, not counted as drift), drift (counted), ignore (left out)."),
    history: z
      .object({
        path: z
          .string()
          .min(1)
          .default(".drift/history.db")
          .describe("SQLite file. A relative path is relative to this file (to the working directory when there is no file)."),
        busyTimeoutMs: z.number().int().min(0).max(600_000).default(5000).describe("How long to wait for another process holding the store."),
        retainDays: z.number().int().min(1).default(30).describe("Runs and their findings older than this are pruned."),
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, { message: "must be a postgres:// or postgresql:// URL" })
          .optional()
          .describe(
            "A PostgreSQL database shared by every replica of the daemon (instead of the SQLite file at path). It holds a password: prefer the environment variable POD_IDENTITY_DRIFT_HISTORY_URL, which wins over this field.",
          ),
      })
      .strict()
      .default({ path: ".drift/history.db", busyTimeoutMs: 5000, retainDays: 30 }),
    scan: z
      .object({
        clusterConcurrency: z
          .number()
          .int()
          .min(1)
          .max(64)
          .optional()
          .describe("Clusters scanned at once over all accounts. Default: no global cap (accounts run in parallel)."),
        perAccountRegionConcurrency: z
          .number()
          .int()
          .min(1)
          .max(64)
          .optional()
          .describe("Requests in flight at once per account and region (its clusters are scanned a few at a time, enough to fill them). Default: 8."),
        requestsPerSecond: z
          .number()
          .positive()
          .max(10_000)
          .optional()
          .describe(
            "EKS requests per second per account and region, retries included (the EKS API throttles per account and region). Default: unpaced until the first throttle, then paced at the rate that succeeded and probed upward slowly.",
          ),
        describeConcurrency: z.number().int().min(1).max(64).optional().describe("DescribePodIdentityAssociation calls in flight per cluster."),
        requestTimeoutSeconds: z
          .number()
          .positive()
          .max(300)
          .optional()
          .describe(
            "Deadline of one attempt of any AWS request (EKS, STS, S3): connecting, the response headers and the whole body. A timed-out attempt is retried. Default: 10.",
          ),
        callTimeoutSeconds: z
          .number()
          .positive()
          .max(3600)
          .optional()
          .describe(
            "Deadline of one AWS call, all its attempts and the backoff between them included: what turns an endpoint that never answers into an error. Default: 60.",
          ),
        clusterTimeoutSeconds: z
          .number()
          .positive()
          .max(86_400)
          .optional()
          .describe("Deadline of the scan of one cluster, every call included; past it the cluster is an error finding. Default: 600."),
      })
      .strict()
      .default({}),
    iam: z
      .union([
        z.boolean(),
        z
          .object({
            requestsPerSecond: z
              .number()
              .positive()
              .max(1000)
              .optional()
              .describe(
                "IAM requests per second per account, retries included (IAM throttles per account, at low rates). Default: unpaced until the first throttle, then paced at the rate that succeeded.",
              ),
            perAccountConcurrency: z.number().int().min(1).max(32).optional().describe("IAM requests in flight at once per account. Default: 4."),
          })
          .strict(),
      ])
      .default(true)
      .describe(
        "The IAM half: read the trust and permissions of every chain role that a state read manages (the Pod Identity role and target role of each association) and compare them with state. false (or --no-iam) turns it off; the report then says the roles were not checked. Default: on.",
      ),
    daemon: daemonSettingsSchema.optional().describe("Settings of `pod-identity-drift watch`."),
  })
  .strict();

export type DriftConfigInput = z.input<typeof driftConfigSchema>;

/** A loaded, validated drift config. */
export type DriftConfig = z.output<typeof driftConfigSchema> & {
  /** The file it was read from, absolute; absent when no file was found and defaults apply. */
  readonly file?: string;
  /** Directory that relative state paths in the file are resolved against. */
  readonly baseDir: string;
};

/** The drift config's JSON Schema (draft 2020-12), for editors and CI validation. */
export function driftConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(driftConfigSchema, { io: "input", unrepresentable: "any" }),
    title: "pod-identity-drift config",
  };
}
