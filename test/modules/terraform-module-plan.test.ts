// The committed Terraform module, planned by Terraform itself for concrete inputs (test/support/terraform-eval.ts:
// `terraform_data` stands in for the AWS resources, the data sources' values are given). What it proves:
// the merged trust policy is the constructs' one, character for character, for any set of associations; the
// add-on sets are the project's; inputs known only after apply (ARNs created in the same apply) plan; two calls
// share one target role without a cycle; every association is made in its cluster's region; validations and
// preconditions stop a bad call with their own message. The chains themselves are proven by the IAM oracle
// in test/iam/terraform-module-chains.test.ts. Needs `terraform` (>= 1.3) on PATH, no provider and no network.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { TerraformStack, Testing } from "../../modules/terraform-cdk";
import { describe, expect, it } from "vitest";
import { ADDON_NAMES, addonPolicyDocument, addonPolicySchema, type AddonName } from "../../modules/policy/addons";
import type { TargetTrustGrant } from "../../modules/policy/trust";
import { createAccountProvider } from "../../modules/providers";
import { TargetRole } from "../../modules/target-role";
import { MODULE_DIR, SHARED_ROLE_HCL, USAGE_HCL, type ModuleFiles } from "../../modules/terraform-module";
import { planErrors, planModule, terraformVersion, TfExpression, tryPlanModule, UNKNOWN, type ModuleCall } from "../support/terraform-eval";

const TERRAFORM = terraformVersion();
/** The module as committed (terraform-module.test.ts checks that it is what the generator writes). */
const dir = join(__dirname, "..", "..", MODULE_DIR);
const files: ModuleFiles = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith(".tf.json"))
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), "utf8"))]),
);
const PLAN_TIMEOUT = 180_000;

const CLUSTER_ACCOUNT = "111111111111";
const TARGET_ACCOUNT = "222222222222";
const OTHER_CLUSTER_ACCOUNT = "333333333333";

/** The values the module's data sources would read through the caller's two providers. */
function facts(
  cluster: { account: string; region: string },
  target: { account: string; region: string } = { account: TARGET_ACCOUNT, region: "eu-west-1" },
  partition = "aws",
) {
  return {
    cluster_account_id: cluster.account,
    cluster_partition: partition,
    cluster_region: cluster.region,
    target_account_id: target.account,
    target_partition: partition,
    target_region: target.region,
  };
}
const EU = facts({ account: CLUSTER_ACCOUNT, region: "eu-west-1" });
const call = (variables: Record<string, unknown>, f: Record<string, unknown> = EU): ModuleCall => ({
  variables: { name: "ledger-reader", ...variables },
  facts: f,
});
const association = (cluster: string, namespace: string, serviceAccount: string, more: Record<string, unknown> = {}) => ({
  cluster_name: cluster,
  namespace,
  service_account: serviceAccount,
  ...more,
});

/** Deterministic pseudo-random numbers (a test must plan the same inputs every run). */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

type Grant = Omit<TargetTrustGrant, "form">;

/** Associations of several accounts, roles, clusters, regions, namespaces and service accounts, some without session tags. */
function randomGrants(seed: number): Grant[] {
  const pick = random(seed);
  const seen = new Set<string>();
  const grants: Grant[] = [];
  const count = 1 + pick(30);
  for (let i = 0; i < count; i++) {
    const account = ["111111111111", "333333333333"][pick(2)]!;
    const g: Grant = {
      partition: "aws",
      region: ["eu-west-1", "us-east-1"][pick(2)]!,
      clusterAccountId: account,
      clusterName: ["prod", "batch"][pick(2)]!,
      namespace: ["payments", "ledger", "reports"][pick(3)]!,
      serviceAccount: ["api", "worker", "export"][pick(3)]!,
      podIdentityRoleArn: `arn:aws:iam::${account}:role/${["hub", "pod-identity/edge"][pick(2)]}`,
      sessionTags: pick(4) !== 0,
    };
    const id = `${g.region}/${g.clusterAccountId}/${g.clusterName}/${g.namespace}/${g.serviceAccount}`;
    if (seen.has(id)) continue;
    seen.add(id);
    grants.push(g);
  }
  return grants;
}

/** The trust policy the constructs write for these associations (a TargetRole with one grant each). */
function constructsTrust(grants: readonly Grant[]): string {
  const stack = new TerraformStack(Testing.app(), "reference");
  const account = createAccountProvider(stack, "data", { accountId: TARGET_ACCOUNT, region: "eu-west-1" });
  const role = new TargetRole(stack, "target", { account, name: "ledger-reader" });
  grants.forEach((g, i) => role.addGrant({ ...g, label: `grant-${i}` }));
  return role.trustJson();
}

/** A grant to payments/`serviceAccount` in `clusterName`. */
const grant = (
  region: string,
  clusterAccountId: string,
  clusterName: string,
  serviceAccount: string,
  podIdentityRoleArn: string,
  sessionTags = true,
): Grant => ({
  partition: "aws",
  region,
  clusterAccountId,
  clusterName,
  namespace: "payments",
  serviceAccount,
  podIdentityRoleArn,
  sessionTags,
});

const trusted = (grants: readonly Grant[]) =>
  Object.fromEntries(
    grants.map((g, i) => [
      `g${i}`,
      {
        pod_identity_role_arn: g.podIdentityRoleArn,
        cluster_name: g.clusterName,
        cluster_region: g.region,
        namespace: g.namespace,
        service_account: g.serviceAccount,
        session_tags: g.sessionTags,
      },
    ]),
  );

describe.skipIf(!TERRAFORM)(`the module planned by terraform ${TERRAFORM ?? "(not on PATH: skipped)"}`, () => {
  it(
    "writes the constructs' merged trust policy, character for character, for 20 sets of associations",
    () => {
      const sets = Array.from({ length: 20 }, (_, i) => randomGrants(i + 1));
      const planned = planModule(files, Object.fromEntries(sets.map((grants, i) => [`set${i}`, call({ trusted_associations: trusted(grants) })])));
      let merged = 0;
      sets.forEach((grants, i) => {
        const reference = constructsTrust(grants);
        expect(planned[`set${i}`]!.outputs.target_role_trust_policy_json, `set ${i}: ${JSON.stringify(grants)}`).toBe(reference);
        expect(planned[`set${i}`]!.resources["aws_iam_role.target"][0].assume_role_policy).toBe(reference);
        if (JSON.parse(reference).Statement.length < grants.length) merged++;
      });
      // The sets exercise merging (fewer statements than associations), not just one statement each.
      expect(merged).toBeGreaterThan(15);
    },
    PLAN_TIMEOUT,
  );

  it(
    "merges this call's associations with trusted ones, and hands its own on as trusted_associations",
    () => {
      const other = grant("us-west-2", OTHER_CLUSTER_ACCOUNT, "edge", "api", `arn:aws:iam::${OTHER_CLUSTER_ACCOUNT}:role/ledger-reader`);
      const planned = planModule(files, {
        one: call({
          associations: {
            api: association("prod-eu", "payments", "api"),
            worker: association("prod-eu", "payments", "worker"),
            us: association("prod-us", "payments", "api", { cluster_region: "us-east-1" }),
            export: association("prod-eu", "payments", "export", { session_tags: false }),
          },
          trusted_associations: trusted([other]),
        }),
      }).one!;
      const pi = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/ledger-reader`;
      const own: Grant[] = [
        grant("eu-west-1", CLUSTER_ACCOUNT, "prod-eu", "api", pi),
        grant("eu-west-1", CLUSTER_ACCOUNT, "prod-eu", "worker", pi),
        grant("us-east-1", CLUSTER_ACCOUNT, "prod-us", "api", pi),
        grant("eu-west-1", CLUSTER_ACCOUNT, "prod-eu", "export", pi, false),
      ];
      expect(planned.outputs.target_role_trust_policy_json).toBe(constructsTrust([...own, other]));
      expect(planned.outputs.trusted_associations).toEqual({
        "eu-west-1/111111111111/prod-eu/payments/api": {
          pod_identity_role_arn: pi,
          cluster_name: "prod-eu",
          cluster_region: "eu-west-1",
          namespace: "payments",
          service_account: "api",
          session_tags: true,
        },
        "eu-west-1/111111111111/prod-eu/payments/worker": {
          pod_identity_role_arn: pi,
          cluster_name: "prod-eu",
          cluster_region: "eu-west-1",
          namespace: "payments",
          service_account: "worker",
          session_tags: true,
        },
        "us-east-1/111111111111/prod-us/payments/api": {
          pod_identity_role_arn: pi,
          cluster_name: "prod-us",
          cluster_region: "us-east-1",
          namespace: "payments",
          service_account: "api",
          session_tags: true,
        },
        "eu-west-1/111111111111/prod-eu/payments/export": {
          pod_identity_role_arn: pi,
          cluster_name: "prod-eu",
          cluster_region: "eu-west-1",
          namespace: "payments",
          service_account: "export",
          session_tags: false,
        },
      });
      // Each association in its cluster's region; the session-tags-off one with disable_session_tags.
      const made = planned.resources["aws_eks_pod_identity_association.this"];
      expect(Object.fromEntries(Object.entries(made).map(([k, a]: [string, any]) => [k, [a.cluster_name, a.region, a.disable_session_tags]]))).toEqual({
        api: ["prod-eu", "eu-west-1", false],
        worker: ["prod-eu", "eu-west-1", false],
        us: ["prod-us", "us-east-1", false],
        export: ["prod-eu", "eu-west-1", true],
      });
      expect(made.api.target_role_arn).toBe(`arn:aws:iam::${TARGET_ACCOUNT}:role/ledger-reader`);
      expect(made.api.role_arn).toBe(pi);
      expect(planned.locals.associations.export.external_id).toBe("eu-west-1/111111111111/prod-eu/payments/export");
      expect(planned.locals.associations.api.external_id).toBeNull();
    },
    PLAN_TIMEOUT,
  );

  it(
    "shares one target role between two cluster accounts: no cycle, one trust for both, the second call uses the first's role",
    () => {
      const planned = planModule(files, {
        eu: call({
          associations: { api: association("prod-eu", "payments", "api") },
          trusted_associations: new TfExpression("module.us.trusted_associations"),
        }),
        us: call(
          {
            target_role_arn: new TfExpression("module.eu.target_role_arn"),
            associations: { api: association("prod-us", "payments", "api", { session_tags: false }) },
          },
          facts({ account: OTHER_CLUSTER_ACCOUNT, region: "us-east-1" }),
        ),
      });
      const { eu, us } = planned as Record<string, (typeof planned)[string]>;
      expect(us!.resources["aws_iam_role.target"]).toBeUndefined(); // count 0: the eu call creates it
      expect(us!.resources["aws_eks_pod_identity_association.this"].api.target_role_arn).toBe(`arn:aws:iam::${TARGET_ACCOUNT}:role/ledger-reader`);
      expect(us!.resources["aws_eks_pod_identity_association.this"].api.region).toBe("us-east-1");
      const trust = JSON.parse(eu!.outputs.target_role_trust_policy_json);
      expect(trust.Statement.map((s: any) => s.Principal.AWS)).toEqual([
        `arn:aws:iam::${CLUSTER_ACCOUNT}:root`,
        `arn:aws:iam::${OTHER_CLUSTER_ACCOUNT}:root`,
        `arn:aws:iam::${OTHER_CLUSTER_ACCOUNT}:root`,
      ]);
      expect(JSON.stringify(trust)).toContain('"sts:ExternalId":"us-east-1/333333333333/prod-us/payments/api"');
      // The us call's own (unapplied) trust output covers only its association: what its owners would apply.
      expect(JSON.parse(us!.outputs.target_role_trust_policy_json).Statement).toHaveLength(2);
    },
    PLAN_TIMEOUT,
  );

  it(
    "plans with inputs known only after apply: for_each keys are the caller's names, never ARNs",
    () => {
      const planned = planModule(files, {
        unknowns: call({
          associations: {
            api: association(UNKNOWN, "payments", "api"),
            batch: association("prod-eu", "batch", "job", { session_tags: false, session_policy: UNKNOWN }),
          },
          target_role_policy_arns: { ledger: UNKNOWN, readonly: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
          target_role_inline_policies: { own: UNKNOWN },
          target_role_addon_policies: { velero: { bucket_arns: [UNKNOWN] }, external_dns: { hosted_zone_arns: [UNKNOWN] } },
          trusted_associations: {
            other: { pod_identity_role_arn: UNKNOWN, cluster_name: "edge", cluster_region: "us-west-2", namespace: "payments", service_account: "api" },
          },
        }),
      }).unknowns!;
      expect(Object.keys(planned.resources["aws_eks_pod_identity_association.this"]).sort()).toEqual(["api", "batch"]);
      expect(Object.keys(planned.resources["aws_iam_role_policy_attachment.target"]).sort()).toEqual(["ledger", "readonly"]);
      expect(Object.keys(planned.resources["aws_iam_role_policy.target"]).sort()).toEqual(["addon-external-dns", "addon-velero", "own"]);
      expect(planned.resources["aws_iam_role_policy_attachment.target"].readonly.policy_arn).toBe("arn:aws:iam::aws:policy/ReadOnlyAccess");
      expect(planned.resources["aws_iam_role_policy_attachment.target"].ledger.policy_arn).toBeUndefined(); // known after apply
    },
    PLAN_TIMEOUT,
  );

  it(
    "the harness would catch the old failure: for_each over a set of ARNs known only after apply",
    () => {
      const old = {
        "main.tf.json": {
          variable: { arns: { type: "list(string)" } },
          resource: { aws_iam_role_policy_attachment: { target: { for_each: "${toset(var.arns)}", policy_arn: "${each.value}", role: "r" } } },
        },
      };
      const result = tryPlanModule(old, { old: { variables: { arns: [UNKNOWN] }, facts: {} } });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toContain("Invalid for_each argument");
    },
    PLAN_TIMEOUT,
  );

  it(
    "creates a role only when no existing ARN is given, and writes the given ARNs exactly",
    () => {
      const pi = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/platform/shared-pod-identity`;
      const targetArn = `arn:aws:iam::${TARGET_ACCOUNT}:role/data-team/ledger`;
      const planned = planModule(files, {
        byo: call({ pod_identity_role_arn: pi, target_role_arn: targetArn, associations: { api: association("prod-eu", "payments", "api") } }),
        none: call({ associations: {}, trusted_associations: trusted(randomGrants(7)) }),
      });
      const byo = planned.byo!;
      for (const address of [
        "aws_iam_role.pod_identity",
        "aws_iam_role_policy.pod_identity_chain",
        "aws_iam_role.target",
        "aws_iam_role_policy.target",
        "aws_iam_role_policy_attachment.target",
      ]) {
        expect(byo.resources[address], address).toBeUndefined();
      }
      expect(byo.resources["aws_eks_pod_identity_association.this"].api).toMatchObject({ role_arn: pi, target_role_arn: targetArn });
      expect(byo.outputs).toMatchObject({
        pod_identity_role_arn: pi,
        pod_identity_role_name: "shared-pod-identity",
        target_role_arn: targetArn,
        target_role_name: "ledger",
      });
      expect(JSON.parse(byo.outputs.pod_identity_role_permission_policy_json).Statement[0].Resource).toBe(targetArn);
      // A call without associations creates the target role only (trusting other calls' associations).
      const none = planned.none!;
      expect(none.resources["aws_iam_role.pod_identity"]).toBeUndefined();
      expect(none.resources["aws_iam_role.target"]).toHaveLength(1);
      expect(none.outputs.pod_identity_role_arn).toBeNull();
    },
    PLAN_TIMEOUT,
  );

  it(
    "attaches each add-on set as the project renders it, for every set and every combination of its optional fields",
    () => {
      const KEY = `arn:aws:kms:eu-west-1:${TARGET_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
      const samples: Record<AddonName, Record<string, unknown>> = {
        "aws-load-balancer-controller": { clusterName: "prod-eu" },
        "ebs-csi": { kmsKeyArns: [KEY, KEY.replace("1234abcd", "5678abcd")] },
        "efs-csi": {
          fileSystemArns: [
            `arn:aws:elasticfilesystem:eu-west-1:${TARGET_ACCOUNT}:file-system/fs-0123456789abcdef0`,
            `arn:aws:elasticfilesystem:eu-west-1:${TARGET_ACCOUNT}:file-system/fs-0fedcba9876543210`,
          ],
        },
        "external-dns": { hostedZoneArns: ["arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"] },
        "cert-manager": { hostedZoneArns: ["arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ", "arn:aws:route53:::hostedzone/Z9999999999OTHERZONE"] },
        "cluster-autoscaler": { clusterNames: ["prod-eu", "prod-us", "batch"] },
        "external-secrets": {
          secretArns: [`arn:aws:secretsmanager:eu-west-1:${TARGET_ACCOUNT}:secret:payments/*`],
          parameterArns: [`arn:aws:ssm:eu-west-1:${TARGET_ACCOUNT}:parameter/payments/*`, `arn:aws:ssm:eu-west-1:${TARGET_ACCOUNT}:parameter/shared/*`],
          kmsKeyArns: [KEY],
        },
        velero: { bucketArns: ["arn:aws:s3:::acme-velero-backups", "arn:aws:s3:::acme-velero-dr"], kmsKeyArns: [KEY] },
      };
      const optional: Record<AddonName, string[]> = {
        "aws-load-balancer-controller": [],
        "ebs-csi": ["kmsKeyArns"],
        "efs-csi": [],
        "external-dns": [],
        "cert-manager": [],
        "cluster-autoscaler": [],
        "external-secrets": ["secretArns", "parameterArns", "kmsKeyArns"],
        velero: ["kmsKeyArns"],
      };
      const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/-/g, "_");
      const cases: { call: string; name: AddonName; input: Record<string, unknown>; region: string; partition: string }[] = [];
      for (const name of ADDON_NAMES) {
        const opt = optional[name];
        for (let mask = 0; mask < 1 << opt.length; mask++) {
          const input = Object.fromEntries(Object.entries(samples[name]).filter(([f]) => !opt.includes(f) || (mask & (1 << opt.indexOf(f))) !== 0));
          if (!addonPolicySchema.safeParse({ name, ...input }).success) continue; // e.g. external-secrets with neither secrets nor parameters
          cases.push({ call: `${snake(name)}_${mask}`, name, input, region: "eu-west-1", partition: "aws" });
        }
      }
      cases.push({
        call: "gov_velero",
        name: "velero",
        input: { bucketArns: ["arn:aws-us-gov:s3:::gov-backups"] },
        region: "us-gov-east-1",
        partition: "aws-us-gov",
      });
      const planned = planModule(
        files,
        Object.fromEntries(
          cases.map((c) => [
            c.call,
            call(
              {
                associations: { api: association("prod", "payments", "api") },
                target_role_addon_policies: { [snake(c.name)]: Object.fromEntries(Object.entries(c.input).map(([k, v]) => [snake(k), v])) },
              },
              facts({ account: CLUSTER_ACCOUNT, region: c.region }, { account: TARGET_ACCOUNT, region: c.region }, c.partition),
            ),
          ]),
        ),
      );
      expect(cases.length).toBe(1 + 2 + 1 + 1 + 1 + 1 + 6 + 2 + 1);
      for (const c of cases) {
        const policies = planned[c.call]!.resources["aws_iam_role_policy.target"];
        expect(Object.keys(policies), c.call).toEqual([`addon-${c.name}`]);
        const expected = addonPolicyDocument(addonPolicySchema.parse({ name: c.name, ...c.input }), {
          partition: c.partition,
          accountId: TARGET_ACCOUNT,
          region: c.region,
        });
        expect(policies[`addon-${c.name}`].policy, c.call).toBe(JSON.stringify(expected));
      }
    },
    PLAN_TIMEOUT,
  );

  it(
    "GovCloud and China: every ARN in the caller's partition",
    () => {
      const planned = planModule(files, {
        gov: call(
          { associations: { api: association("gov-east", "payments", "api", { cluster_region: "us-gov-east-1" }) } },
          facts({ account: CLUSTER_ACCOUNT, region: "us-gov-west-1" }, { account: TARGET_ACCOUNT, region: "us-gov-west-1" }, "aws-us-gov"),
        ),
        cn: call(
          { associations: { api: association("bj", "payments", "api", { session_tags: false }) } },
          facts({ account: CLUSTER_ACCOUNT, region: "cn-north-1" }, { account: TARGET_ACCOUNT, region: "cn-north-1" }, "aws-cn"),
        ),
      });
      const gov = planned.gov!;
      expect(gov.resources["aws_eks_pod_identity_association.this"].api).toMatchObject({
        region: "us-gov-east-1",
        role_arn: `arn:aws-us-gov:iam::${CLUSTER_ACCOUNT}:role/ledger-reader`,
        target_role_arn: `arn:aws-us-gov:iam::${TARGET_ACCOUNT}:role/ledger-reader`,
      });
      expect(gov.outputs.target_role_trust_policy_json).toContain(`"arn:aws-us-gov:eks:us-gov-east-1:${CLUSTER_ACCOUNT}:cluster/gov-east"`);
      expect(planned.cn!.outputs.target_role_trust_policy_json).toContain(`"sts:ExternalId":"cn-north-1/${CLUSTER_ACCOUNT}/bj/payments/api"`);
      expect(planned.cn!.outputs.target_role_trust_policy_json).not.toMatch(/arn:aws:/);
    },
    PLAN_TIMEOUT,
  );

  const big = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`sa${i}`, association(`cluster-${i}`, `namespace-${i}`, `service-account-${i}`)]));
  /** Calls a validation refuses (Terraform checks every call's inputs before it plans any resource). */
  const invalid: Record<string, [ModuleCall, string]> = {
    namespace: [
      call({ associations: { a: association("prod", "Payments", "api") } }),
      "In associations, every namespace must be valid. A Kubernetes namespace is a DNS-1123 label",
    ],
    region: [
      call({ associations: { a: association("prod", "payments", "api", { cluster_region: "europe" }) } }),
      "In associations, every cluster_region must be valid.",
    ],
    session_policy: [
      call({ associations: { a: association("prod", "payments", "api", { session_policy: '{"Version":"2012-10-17","Statement":[]}' }) } }),
      "In associations, a session_policy needs session_tags = false",
    ],
    reserved_inline_name: [
      call({ associations: { a: association("prod", "payments", "api") }, target_role_inline_policies: { "addon-mine": "{}" } }),
      'Names starting with "addon-" are kept for the add-on sets',
    ],
    addon_arn: [
      call({
        associations: { a: association("prod", "payments", "api") },
        target_role_addon_policies: { external_dns: { hosted_zone_arns: ["arn:aws:s3:::bucket"] } },
      }),
      "In target_role_addon_policies.external_dns, hosted_zone_arns must be a list of at least 1, distinct values, each an ARN like arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ.",
    ],
    addon_duplicates: [
      call({
        associations: { a: association("prod", "payments", "api") },
        target_role_addon_policies: { cluster_autoscaler: { cluster_names: ["prod", "prod"] } },
      }),
      "In target_role_addon_policies.cluster_autoscaler, cluster_names must be a list of at least 1, distinct values",
    ],
    addon_one_of: [
      call({
        associations: { a: association("prod", "payments", "api") },
        target_role_addon_policies: { external_secrets: { kms_key_arns: [`arn:aws:kms:eu-west-1:${TARGET_ACCOUNT}:key/1234abcd-12ab`] } },
      }),
      "In target_role_addon_policies.external_secrets, set at least one of secret_arns, parameter_arns.",
    ],
    trusted_arn: [
      call({
        associations: {},
        trusted_associations: {
          x: {
            pod_identity_role_arn: "arn:aws:iam::123:role/x",
            cluster_name: "prod",
            cluster_region: "eu-west-1",
            namespace: "payments",
            service_account: "api",
          },
        },
      }),
      "In trusted_associations, every pod_identity_role_arn must be valid. An IAM role ARN looks like",
    ],
  };
  /** Calls with valid inputs that a precondition stops. */
  const refused: Record<string, [ModuleCall, string]> = {
    duplicate: [
      call({ associations: { a: association("prod", "payments", "api"), b: association("prod", "payments", "api", { cluster_region: "eu-west-1" }) } }),
      "Two associations are for the same service account of the same cluster",
    ],
    same_role: [
      call(
        { associations: { a: association("prod", "payments", "api") } },
        facts({ account: CLUSTER_ACCOUNT, region: "eu-west-1" }, { account: CLUSTER_ACCOUNT, region: "eu-west-1" }),
      ),
      "The target role and the Pod Identity role are the same role",
    ],
    foreign_pod_identity_role: [
      call({ pod_identity_role_arn: `arn:aws:iam::${OTHER_CLUSTER_ACCOUNT}:role/hub`, associations: { a: association("prod", "payments", "api") } }),
      "The Pod Identity role must be in the cluster's account",
    ],
    owned_elsewhere: [
      call({
        target_role_arn: `arn:aws:iam::${TARGET_ACCOUNT}:role/theirs`,
        target_role_addon_policies: { external_dns: { hosted_zone_arns: ["arn:aws:route53:::hostedzone/Z1"] } },
        associations: { a: association("prod", "payments", "api") },
      }),
      "The role named by target_role_arn is owned elsewhere",
    ],
    trusts_nobody: [call({ associations: {} }), "The target role would trust no association"],
    trust_too_large: [call({ associations: big }), "The target role's trust policy (minified) is longer than trust_policy_max_size"],
    inline_too_large: [
      call({
        associations: { a: association("prod", "payments", "api") },
        target_role_addon_policies: { aws_load_balancer_controller: { cluster_name: "prod" } },
        target_role_inline_policies: {
          extra: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: Array.from({ length: 120 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) }],
          }),
        },
      }),
      "The target role's inline policies and add-on sets total more than 10240 characters",
    ],
  };
  for (const [what, cases] of [
    ["a validation", invalid],
    ["a precondition", refused],
  ] as const) {
    it(
      `stops a bad call with ${what}'s own message (${Object.keys(cases).join(", ")})`,
      () => {
        const errors = planErrors(files, Object.fromEntries(Object.entries(cases).map(([k, [c]]) => [k, c])));
        for (const [name, [, message]] of Object.entries(cases)) expect(errors[name]!.join("\n"), name).toContain(message);
      },
      PLAN_TIMEOUT,
    );
  }

  it(
    "the usage examples are well-formed HCL, as terraform fmt writes it",
    () => {
      for (const hcl of [USAGE_HCL, SHARED_ROLE_HCL]) {
        const r = spawnSync("terraform", ["fmt", "-"], { input: `${hcl}\n`, encoding: "utf8", env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" } });
        expect(stripVTControlCharacters(r.stderr)).toBe("");
        expect(r.stdout).toBe(`${hcl}\n`);
      }
    },
    PLAN_TIMEOUT,
  );
});
