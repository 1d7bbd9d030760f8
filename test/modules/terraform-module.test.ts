// The Terraform JSON module without Terraform: its structure, its validation rules against the constructs',
// the add-on inputs against the add-on schemas, the committed copy against the generator, the script and the
// docs. What the module computes is planned by Terraform in terraform-module-plan.test.ts.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing, TerraformStack } from "../../modules/terraform-cdk";
import { afterAll, describe, expect, it } from "vitest";
import { ADDON_NAMES, addonPolicySchema } from "../../modules/policy/addons";
import { PodIdentityRole } from "../../modules/pod-identity-role";
import { createAccountProvider, SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT } from "../../modules/providers";
import {
  CONFIGURATION_ALIASES,
  interpolations,
  MODULE_DIR,
  moduleFileTexts,
  moduleProblems,
  ROLE_ARN_PARTS,
  ruleAccepts,
  RULES,
  synthTerraformModule,
  updateDocs,
  type ModuleFiles,
  type StringRule,
} from "../../modules/terraform-module";
import {
  clusterNameProblem,
  namespaceProblem,
  policyArnProblem,
  regionProblem,
  roleArnProblem,
  roleNameProblem,
  rolePathProblem,
  serviceAccountProblem,
  type Check,
} from "../../modules/validation/rules";

const ROOT = path.join(__dirname, "..", "..");
const files = synthTerraformModule();
/** All files merged into one configuration, as Terraform reads a directory. */
const tf: any = Object.assign({}, ...Object.values(files));
const text = JSON.stringify(files);

const scratch = mkdtempSync(path.join(os.tmpdir(), "terraform-module-test."));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The references (var.x, local.x, each.x, aws_x.y, data.aws_x.y) in the interpolations of a value. */
function references(value: unknown): string[] {
  const found: string[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      for (const body of interpolations(v))
        for (const m of body.matchAll(/(?<![\w.])((?:var|local|each|data)\.[A-Za-z_][\w-]*|aws_\w+\.[A-Za-z_][\w-]*)/g)) found.push(m[1]!);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(visit);
  };
  visit(value);
  return [...new Set(found)];
}

describe("the generated module's structure", () => {
  it("has no problem a reusable module must not have", () => {
    expect(moduleProblems(files)).toEqual([]);
  });

  it("is split into versions, variables, main and outputs", () => {
    expect(Object.keys(files).sort()).toEqual(["main.tf.json", "outputs.tf.json", "variables.tf.json", "versions.tf.json"]);
    expect(Object.keys(files["versions.tf.json"]!)).toEqual(["terraform"]);
    expect(Object.keys(files["variables.tf.json"]!)).toEqual(["variable"]);
    expect(Object.keys(files["outputs.tf.json"]!)).toEqual(["output"]);
    expect(Object.keys(files["main.tf.json"]!).sort()).toEqual(["data", "locals", "resource"]);
  });

  it("has no provider block, no backend and no cdktf metadata", () => {
    expect(tf.provider).toBeUndefined();
    expect(tf.terraform.backend).toBeUndefined();
    expect(tf.terraform.cloud).toBeUndefined();
    expect(text).not.toContain('"//"');
    expect(text).not.toMatch(/cdktf/i);
  });

  it("requires the AWS provider release with the association's policy argument, and both configuration aliases", () => {
    expect(tf.terraform.required_providers).toEqual({
      aws: { source: "hashicorp/aws", version: SESSION_POLICY_PROVIDER_VERSION_CONSTRAINT, configuration_aliases: ["aws.cluster", "aws.target"] },
    });
    expect(tf.terraform.required_version).toBe(">= 1.3.0");
  });

  it("puts every resource and data source on one of the configuration aliases", () => {
    const providers: Record<string, string> = {};
    for (const mode of ["resource", "data"]) {
      for (const [type, byName] of Object.entries(tf[mode] as Record<string, Record<string, any>>)) {
        for (const [name, body] of Object.entries(byName)) providers[`${mode === "data" ? "data." : ""}${type}.${name}`] = body.provider;
      }
    }
    expect(providers).toEqual({
      "aws_iam_role.pod_identity": "aws.cluster",
      "aws_iam_role_policy.pod_identity_chain": "aws.cluster",
      "aws_eks_pod_identity_association.this": "aws.cluster",
      "aws_iam_role.target": "aws.target",
      "aws_iam_role_policy.target": "aws.target",
      "aws_iam_role_policy_attachment.target": "aws.target",
      "data.aws_caller_identity.cluster": "aws.cluster",
      "data.aws_caller_identity.target": "aws.target",
      "data.aws_partition.cluster": "aws.cluster",
      "data.aws_partition.target": "aws.target",
      "data.aws_region.cluster": "aws.cluster",
      "data.aws_region.target": "aws.target",
    });
    for (const p of Object.values(providers)) expect(CONFIGURATION_ALIASES).toContain(p);
  });

  it("declares every var. and local. reference and uses every variable and local", () => {
    for (const kind of ["var", "local"] as const) {
      const declared = Object.keys(kind === "var" ? tf.variable : tf.locals).sort();
      const referenced = [...new Set([...text.matchAll(new RegExp(`(?<![\\w.])${kind}\\.([A-Za-z_][\\w-]*)`, "g"))].map((m) => m[1]!))].sort();
      expect(referenced, kind).toEqual(declared);
    }
  });

  it("reads each data source in one local, and no local reads a resource", () => {
    const readers = Object.entries(tf.locals as Record<string, string>).filter(([, v]) => references(v).some((r) => r.startsWith("data.")));
    expect(Object.fromEntries(readers)).toEqual({
      cluster_account_id: "${data.aws_caller_identity.cluster.account_id}",
      cluster_partition: "${data.aws_partition.cluster.partition}",
      cluster_region: "${data.aws_region.cluster.region}",
      target_account_id: "${data.aws_caller_identity.target.account_id}",
      target_partition: "${data.aws_partition.target.partition}",
      target_region: "${data.aws_region.target.region}",
    });
    for (const [name, value] of Object.entries(tf.locals))
      expect(
        references(value).filter((r) => r.startsWith("aws_")),
        name,
      ).toEqual([]);
  });

  it("gives resources only variables, locals and each.* (so that their arguments are what the plan test evaluates)", () => {
    for (const [type, byName] of Object.entries(tf.resource as Record<string, Record<string, any>>)) {
      for (const [name, body] of Object.entries(byName)) {
        const { depends_on: _d, provider: _p, ...rest } = body;
        expect(
          references(rest).filter((r) => !/^(var|local|each)\./.test(r)),
          `${type}.${name}`,
        ).toEqual([]);
      }
    }
  });

  it("keys every for_each by the caller's names, never by values (ARNs may be unknown until apply)", () => {
    const r = tf.resource;
    expect(r.aws_eks_pod_identity_association.this.for_each).toBe("${local.associations}");
    expect(tf.locals.associations).toMatch(/^\$\{\{ for key, a in var\.associations : key => /);
    expect(r.aws_iam_role_policy_attachment.target.for_each).toBe("${local.create_target_role ? var.target_role_policy_arns : {}}");
    expect(tf.variable.target_role_policy_arns.type).toBe("map(string)");
    expect(r.aws_iam_role_policy.target.for_each).toBe("${local.create_target_role ? local.target_role_inline_policies : {}}");
    expect(tf.locals.target_role_inline_policies).toBe("${merge(var.target_role_inline_policies, local.target_role_addon_inline_policies)}");
    expect(tf.locals.target_role_addon_inline_policies).toMatch(/ : name => addon\.policy if addon\.enabled \}\}$/);
    expect(text).not.toMatch(/toset\(/);
  });

  it("has no absolute paths of this machine", () => {
    for (const p of [ROOT, process.cwd(), os.tmpdir(), os.homedir()]) expect(text).not.toContain(p);
  });

  it("types, describes and validates every input; a validation reads only its own variable", () => {
    for (const [name, v] of Object.entries(tf.variable as Record<string, any>)) {
      expect(v.type, name).toMatch(/^(string|number|bool|list\(string\)|map\(string\)|map\(object\(\{.*\}\)\)|object\(\{.*\}\))$/);
      expect(v.description, name).toMatch(/^[A-Z].+\.$/s);
      expect(v.validation?.length, name).toBeGreaterThan(0);
      for (const rule of v.validation ?? []) {
        expect(rule.condition, name).toMatch(/^\$\{.*\}$/s);
        const vars = new Set(interpolations(rule.condition).flatMap((b) => [...b.matchAll(/\bvar\.(\w+)/g)].map((m) => m[1])));
        expect([...vars], name).toEqual([name]);
        expect(rule.error_message, name).toMatch(/^[A-Z].*\.$/s);
      }
    }
  });

  it("offers the inputs and outputs of associations sharing a target role", () => {
    expect(Object.keys(tf.variable)).toEqual(
      expect.arrayContaining([
        "name",
        "associations",
        "trusted_associations",
        "pod_identity_role_arn",
        "target_role_arn",
        "target_role_policy_arns",
        "target_role_inline_policies",
        "target_role_addon_policies",
        "tags",
        "trust_policy_max_size",
      ]),
    );
    const required = Object.entries(tf.variable as Record<string, any>)
      .filter(([, v]) => !("default" in v))
      .map(([n]) => n);
    expect(required).toEqual(["name"]);
    expect(tf.variable.associations.type).toBe(
      "map(object({ cluster_name = string, namespace = string, service_account = string, cluster_region = optional(string), session_tags = optional(bool, true), session_policy = optional(string), tags = optional(map(string), {}) }))",
    );
    expect(Object.keys(tf.output)).toEqual(
      expect.arrayContaining([
        "pod_identity_role_arn",
        "target_role_arn",
        "associations",
        "trusted_associations",
        "target_role_trust_policy_json",
        "pod_identity_role_permission_policy_json",
      ]),
    );
  });

  it("makes each association in its cluster's region, with its session policy, and never reads the computed external_id", () => {
    const a = tf.resource.aws_eks_pod_identity_association.this;
    expect(a).toMatchObject({ region: "${each.value.region}", policy: "${each.value.session_policy}", disable_session_tags: "${!each.value.session_tags}" });
    expect(tf.locals.association_regions).toBe("${{ for key, a in var.associations : key => coalesce(a.cluster_region, local.cluster_region) }}");
    expect(text).not.toMatch(/\ba\.external_id\b|this\.external_id/);
    expect(tf.output.associations.value).toContain("external_id = local.associations[key].external_id");
  });

  it("orders another call's associations after the target role and its policies (target_role_arn's depends_on)", () => {
    expect(tf.output.target_role_arn.depends_on).toEqual(["aws_iam_role.target", "aws_iam_role_policy.target", "aws_iam_role_policy_attachment.target"]);
  });

  it("writes the Pod Identity role's trust and permission as the constructs do", () => {
    const stack = new TerraformStack(Testing.app(), "reference");
    const account = createAccountProvider(stack, "platform", { accountId: "111111111111", region: "eu-west-1" });
    const role = new PodIdentityRole(stack, "pi", { account, name: "hub" });
    const targetArn = "arn:aws:iam::222222222222:role/ledger";
    role.addUse({ label: "a", namespace: "payments", serviceAccount: "api", sessionTags: true, targetRoleArn: targetArn });
    expect(tf.locals.pod_identity_role_trust_policy).toBe(role.trustJson());
    expect(tf.locals.pod_identity_role_permission_policy.replace("${local.target_role_arn}", targetArn)).toBe(role.permissionDocument().toJsonString());
  });
});

describe("moduleProblems", () => {
  const broken = (mutate: (m: any) => void): string[] => {
    const copy = JSON.parse(JSON.stringify(files));
    mutate(copy);
    return moduleProblems(copy as ModuleFiles);
  };
  it("reports a provider block and a backend", () => {
    expect(broken((m) => (m["main.tf.json"].provider = { aws: [{ alias: "cluster" }] }))).toEqual([expect.stringContaining("a provider block")]);
    expect(broken((m) => (m["versions.tf.json"].terraform.backend = { local: {} }))).toEqual([expect.stringContaining("a backend")]);
  });
  it("reports cdktf metadata and absolute paths", () => {
    expect(broken((m) => (m["main.tf.json"].resource.aws_iam_role.target["//"] = { metadata: {} }))).toEqual([
      expect.stringContaining('cdktf metadata ("//")'),
    ]);
    expect(broken((m) => (m["main.tf.json"].locals.cluster_region = `${process.cwd()}/x`))).toEqual(
      expect.arrayContaining([expect.stringContaining("an absolute path")]),
    );
  });
  it("reports undeclared and unused variables and locals, and interpolated depends_on", () => {
    expect(broken((m) => (m["main.tf.json"].resource.aws_iam_role.target.name = "${var.nope}"))).toEqual(
      expect.arrayContaining(["resource.aws_iam_role.target.name: var.nope is not declared"]),
    );
    expect(broken((m) => (m["variables.tf.json"].variable.extra = { type: "string", description: "Extra." }))).toEqual([
      "var.extra is declared but never used",
    ]);
    expect(broken((m) => (m["main.tf.json"].locals.extra = "x"))).toEqual(["local.extra is declared but never used"]);
    expect(broken((m) => (m["main.tf.json"].resource.aws_iam_role.target.depends_on = ["aws_iam_role.nope"]))).toEqual([
      "resource.aws_iam_role.target.depends_on.0: aws_iam_role.nope is not declared",
    ]);
    expect(broken((m) => (m["outputs.tf.json"].output.target_role_arn.depends_on = ["${aws_iam_role.target}"]))).toEqual([
      'output.target_role_arn.depends_on.0: depends_on takes a plain address, not "${aws_iam_role.target}" (Terraform refuses the interpolation form)',
    ]);
  });
  it("reports a resource without an aliased provider and missing configuration aliases", () => {
    expect(broken((m) => delete m["main.tf.json"].resource.aws_iam_role.target.provider)).toEqual([
      "aws_iam_role.target: provider is undefined, not one of aws.cluster, aws.target",
    ]);
    expect(broken((m) => (m["main.tf.json"].data.aws_region.cluster.provider = "aws"))).toEqual([
      'data.aws_region.cluster: provider is "aws", not one of aws.cluster, aws.target',
    ]);
    expect(broken((m) => delete m["versions.tf.json"].terraform.required_providers.aws.configuration_aliases)).toEqual([
      'terraform.required_providers.aws.configuration_aliases must be ["aws.cluster","aws.target"]',
    ]);
  });
});

describe("validation blocks mirror the construct rules", () => {
  const cases: [string, StringRule, Check, string[]][] = [
    [
      "cluster name",
      RULES.clusterName,
      clusterNameProblem,
      ["prod-eu", "a", "A_b-1", "9x", "", "-x", "_x", "a.b", "prod eu", "x".repeat(100), "x".repeat(101)],
    ],
    [
      "region",
      RULES.region,
      regionProblem,
      ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-3", "europe", "eu-west", "EU-WEST-1", "eu_west_1", "e-west-1", ""],
    ],
    ["namespace", RULES.namespace, namespaceProblem, ["payments", "a", "a-b", "1abc", "-a", "a-", "A", "a.b", "a_b", "", "x".repeat(63), "x".repeat(64)]],
    [
      "service account",
      RULES.serviceAccount,
      serviceAccountProblem,
      ["api", "a.b", "a-b.c-d", "a..b", ".a", "a.", "A", "a_b", "", "x".repeat(253), "x".repeat(254)],
    ],
    ["role name", RULES.roleName, roleNameProblem, ["pi", "a+b=c,d.e@f_g-h", "x".repeat(64), "x".repeat(65), "", "a b", "a/b", "a:b", "é"]],
    [
      "role path",
      RULES.rolePath,
      rolePathProblem,
      ["/", "/a/", "/a/b/", "/a:b/", "a/", "/a", "//", "/a//b/", "", "/a b/", "/é/", `/${"x".repeat(510)}/`, `/${"x".repeat(511)}/`],
    ],
    [
      "role ARN",
      RULES.roleArn,
      roleArnProblem,
      [
        "arn:aws:iam::123456789012:role/name",
        "arn:aws-cn:iam::123456789012:role/a/b/name",
        "arn:aws-us-gov:iam::123456789012:role/n@x",
        "arn:aws:iam::12345678901:role/n",
        "arn:aws:iam:eu-west-1:123456789012:role/n",
        "arn:aws:iam::123456789012:user/n",
        "arn:aws:iam::aws:role/n",
        "arn:aws:s3:::bucket",
        "arn:azure:iam::123456789012:role/n",
        "arn:aws:iam::123456789012:role/",
        `arn:aws:iam::123456789012:role/${"x".repeat(64)}`,
        `arn:aws:iam::123456789012:role/${"x".repeat(65)}`,
        "arn:aws:iam::123456789012:role//n",
        "not-an-arn",
      ],
    ],
    [
      "policy ARN",
      RULES.policyArn,
      policyArnProblem,
      [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::123456789012:policy/a/b",
        "arn:aws-cn:iam::aws:policy/x",
        "arn:aws:iam:us-east-1:123456789012:policy/x",
        "arn:aws:iam::123456789012:role/x",
        "arn:aws:s3:::b",
        "arn:foo:iam::aws:policy/x",
        "arn:aws:iam::12:policy/x",
        "arn:aws::123456789012:policy/x",
        "policy/x",
      ],
    ],
  ];
  for (const [what, rule, check, samples] of cases) {
    it(`${what}: the module accepts exactly what the constructs accept`, () => {
      const disagreements = samples.filter((s) => ruleAccepts(rule, s) !== (check(s) === undefined));
      expect(disagreements).toEqual([]);
      expect(samples.some((s) => check(s) === undefined)).toBe(true);
      expect(samples.some((s) => check(s) !== undefined)).toBe(true);
    });
  }

  it("role paths: the module alone refuses a double quote or a backslash (they would need escaping in policy JSON)", () => {
    for (const p of ['/a"b/', "/a\\b/"]) {
      expect(rolePathProblem(p)).toBeUndefined();
      expect(ruleAccepts(RULES.rolePath, p)).toBe(false);
    }
  });

  it("an existing role's ARN is split into parts that concatenate back to the same ARN", () => {
    const re = new RegExp(ROLE_ARN_PARTS.replace(/\(\?P</g, "(?<"));
    for (const arn of ["arn:aws:iam::123456789012:role/name", "arn:aws-cn:iam::123456789012:role/a/b/c.d", "arn:aws-us-gov:iam::210987654321:role/x/n+1"]) {
      const g = re.exec(arn)!.groups!;
      expect(`arn:${g.partition}:iam::${g.account_id}:role${g.path}${g.name}`).toBe(arn);
    }
    expect(re.exec("arn:aws:iam::123456789012:role/a/b/c.d")!.groups).toEqual({ partition: "aws", account_id: "123456789012", path: "/a/b/", name: "c.d" });
  });
});

describe("the add-on sets as inputs", () => {
  const addonType: string = tf.variable.target_role_addon_policies.type;
  const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/-/g, "_");

  it("offers every set of the project, with every field of its schema", () => {
    for (const name of ADDON_NAMES) {
      const option = addonPolicySchema.options.find((o) => (o.shape.name as any).value === name)!;
      const fields = Object.keys(option.shape).filter((f) => f !== "name");
      const attribute = new RegExp(`${snake(name)} = optional\\(object\\(\\{ ([^}]*) \\}\\)\\)`).exec(addonType);
      expect(attribute, name).not.toBeNull();
      expect(
        attribute![1]!
          .split(", ")
          .map((f) => f.split(" = ")[0])
          .sort(),
        name,
      ).toEqual(fields.map(snake).sort());
    }
  });

  it("refuses what the schemas refuse: duplicates in every list, and external-secrets without secrets or parameters", () => {
    const messages = (tf.variable.target_role_addon_policies.validation as { error_message: string }[]).map((v) => v.error_message);
    const lists: [string, string, unknown][] = [
      ["ebs-csi", "kmsKeyArns", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
      ["efs-csi", "fileSystemArns", "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-0123456789abcdef0"],
      ["external-dns", "hostedZoneArns", "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"],
      ["cert-manager", "hostedZoneArns", "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"],
      ["cluster-autoscaler", "clusterNames", "prod"],
      ["velero", "bucketArns", "arn:aws:s3:::acme-velero-backups"],
      ["external-secrets", "secretArns", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/app-*"],
    ];
    for (const [name, field, value] of lists) {
      expect(addonPolicySchema.safeParse({ name, [field]: [value] }).success, `${name}.${field} once`).toBe(true);
      expect(addonPolicySchema.safeParse({ name, [field]: [value, value] }).success, `${name}.${field} twice`).toBe(false);
      expect(messages, name).toContainEqual(
        expect.stringMatching(new RegExp(`^In target_role_addon_policies\\.${snake(name)}, ${snake(field)} must be a list of at least 1, distinct values`)),
      );
    }
    expect(
      addonPolicySchema.safeParse({ name: "external-secrets", kmsKeyArns: ["arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"] })
        .success,
    ).toBe(false);
    expect(messages).toContain("In target_role_addon_policies.external_secrets, set at least one of secret_arns, parameter_arns.");
  });
});

describe(`the committed module (${MODULE_DIR})`, () => {
  const dir = path.join(ROOT, MODULE_DIR);
  it("is what npm run synth:module writes (run it and commit the result after a change)", () => {
    const expected = moduleFileTexts(files);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, content] of Object.entries(expected)) expect(readFileSync(path.join(dir, name), "utf8"), name).toBe(content);
  });
  it("has a README with the usage examples and a row per input and output", () => {
    const readme = readFileSync(path.join(dir, "README.md"), "utf8");
    expect(readme).toContain(`source = "git::https://`);
    expect(readme).toContain(`//${MODULE_DIR}?ref=v`);
    for (const name of [...Object.keys(tf.variable), ...Object.keys(tf.output)]) expect(readme).toContain(`| \`${name}\` |`);
  });
});

describe("npm run synth:module", () => {
  const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
  const run = (...args: string[]) => spawnSync(tsx, [path.join(ROOT, "scripts", "synth-module.ts"), ...args], { cwd: scratch, encoding: "utf8" });

  it("writes the module and its README, replacing a previous one", () => {
    const out = path.join(scratch, "ok", "pod-identity-chain");
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "stale.tf.json"), "{}");
    const r = run("--out", out, "--no-docs");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["README.md", "main.tf.json", "outputs.tf.json", "variables.tf.json", "versions.tf.json"]);
    for (const [name, content] of Object.entries(moduleFileTexts(files))) expect(readFileSync(path.join(out, name), "utf8")).toBe(content);
    expect(readdirSync(path.dirname(out))).toEqual(["pod-identity-chain"]);
  }, 60_000);

  it("--check: 0 for an up-to-date copy, 1 naming each stale or extra file, and writes nothing", () => {
    const out = path.join(scratch, "check", "pod-identity-chain");
    mkdirSync(path.dirname(out), { recursive: true });
    cpSync(path.join(ROOT, MODULE_DIR), out, { recursive: true });
    const ok = run("--out", out, "--no-docs", "--check");
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    writeFileSync(path.join(out, "main.tf.json"), "{}\n");
    writeFileSync(path.join(out, "extra.tf.json"), "{}\n");
    const stale = run("--out", out, "--no-docs", "--check");
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain("main.tf.json: out of date");
    expect(stale.stderr).toContain("extra.tf.json: not generated");
    expect(stale.stderr).toContain("Run npm run synth:module and commit the result.");
    expect(readFileSync(path.join(out, "main.tf.json"), "utf8")).toBe("{}\n");
  }, 60_000);

  it("exits 1 with a clear message and leaves nothing behind when the destination is a file", () => {
    const dir = path.join(scratch, "file-in-the-way");
    mkdirSync(dir);
    const out = path.join(dir, "pod-identity-chain");
    writeFileSync(out, "keep me");
    const r = run("--out", out, "--no-docs");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`synth:module: ${out} exists and is not a directory; move it away or choose another --out\nNothing was written.\n`);
    expect(readdirSync(dir)).toEqual(["pod-identity-chain"]);
    expect(readFileSync(out, "utf8")).toBe("keep me");
  }, 60_000);

  it("exits 1 when the destination cannot be created, and on an unknown argument", () => {
    const blocker = path.join(scratch, "blocker");
    writeFileSync(blocker, "");
    const r = run("--out", path.join(blocker, "pod-identity-chain"), "--no-docs");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^synth:module: .*blocker.*\nNothing was written\.\n$/s);
    const u = run("--bogus");
    expect(u.status).toBe(1);
    expect(u.stderr).toBe('synth:module: unknown argument "--bogus" (usage: synth-module [--out DIR] [--no-docs] [--check])\nNothing was written.\n');
    expect(existsSync(path.join(scratch, "terraform"))).toBe(false);
  }, 60_000);
});

describe("docs/terraform-module.md", () => {
  const doc = readFileSync(path.join(ROOT, "docs", "terraform-module.md"), "utf8");
  it("has the generated usage and tables of the current module (run npm run synth:module after a change)", () => {
    expect(doc).toBe(updateDocs(doc, files));
  });
  it("shows both aliased providers, a row per input and output, and how to pin by tag", () => {
    expect(doc).toMatch(/providers = \{\s+aws\.cluster = aws\.\w+\s+aws\.target\s+= aws\.\w+/);
    for (const name of Object.keys(tf.variable)) expect(doc).toContain(`| \`${name}\` |`);
    for (const name of Object.keys(tf.output)) expect(doc).toContain(`| \`${name}\` |`);
    expect(doc).toContain(`//${MODULE_DIR}?ref=`);
    expect(doc).not.toMatch(/merge (their|the) .*trust.* yourself/i);
  });
});
