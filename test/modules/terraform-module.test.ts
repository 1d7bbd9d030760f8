import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { AWS_PROVIDER_VERSION_CONSTRAINT } from "../../modules/aws";
import { PodIdentityChain } from "../../modules/chain";
import { createAccountProvider } from "../../modules/providers";
import {
  CONFIGURATION_ALIASES,
  interpolations,
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
  roleArnProblem,
  roleNameProblem,
  rolePathProblem,
  serviceAccountProblem,
  type Check,
} from "../../modules/validation/rules";

const ROOT = path.join(__dirname, "..", "..");
const built = synthTerraformModule();
const files = built.files;
/** All files merged into one configuration, as Terraform reads a directory. */
const tf: any = Object.assign({}, ...Object.values(files));
const text = JSON.stringify(files);

const scratch = mkdtempSync(path.join(os.tmpdir(), "terraform-module-test."));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the generated module's structure", () => {
  it("is valid for the constructs and for the module checks", () => {
    expect(built.errors).toEqual([]);
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

  it("requires the AWS provider with both configuration aliases", () => {
    expect(tf.terraform.required_providers).toEqual({
      aws: { source: "hashicorp/aws", version: AWS_PROVIDER_VERSION_CONSTRAINT, configuration_aliases: ["aws.cluster", "aws.target"] },
    });
    expect(tf.terraform.required_version).toMatch(/^>= 1\.\d+\.\d+$/);
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
    });
    for (const p of Object.values(providers)) expect(CONFIGURATION_ALIASES).toContain(p);
  });

  it("declares every var. reference and uses every variable", () => {
    const declared = Object.keys(tf.variable).sort();
    const referenced = [...new Set([...text.matchAll(/\bvar\.([A-Za-z_][\w-]*)/g)].map((m) => m[1]!))].sort();
    expect(referenced).toEqual(declared);
  });

  it("declares every local. reference and uses every local", () => {
    const declared = Object.keys(tf.locals).sort();
    const referenced = [...new Set([...text.matchAll(/\blocal\.([A-Za-z_][\w-]*)/g)].map((m) => m[1]!))].sort();
    expect(referenced).toEqual(declared);
  });

  it("has no absolute paths of this machine", () => {
    for (const p of [ROOT, process.cwd(), os.tmpdir(), os.homedir()]) expect(text).not.toContain(p);
  });

  it("types, describes and validates every input", () => {
    for (const [name, v] of Object.entries(tf.variable as Record<string, any>)) {
      expect(v.type, name).toMatch(/^(string|number|bool|list\(string\)|map\(string\))$/);
      expect(v.description, name).toMatch(/^[A-Z].+\.$/s);
      if (v.type !== "bool") expect(v.validation?.length, name).toBeGreaterThan(0);
      for (const rule of v.validation ?? []) {
        expect(rule.condition, name).toMatch(/^\$\{.*\}$/s);
        // A validation may only read its own variable before Terraform 1.9.
        const vars = new Set(interpolations(rule.condition).flatMap((b) => [...b.matchAll(/\bvar\.(\w+)/g)].map((m) => m[1])));
        expect([...vars], name).toEqual([name]);
        expect(rule.error_message, name).toMatch(/^[A-Z].*\.$/s);
      }
    }
  });

  it("offers the inputs and outputs of one cross-account association", () => {
    expect(Object.keys(tf.variable)).toEqual(
      expect.arrayContaining(["cluster_name", "namespace", "service_account", "session_tags", "pod_identity_role_name", "pod_identity_role_arn", "target_role_name", "target_role_arn", "target_role_policy_arns", "target_role_inline_policies", "target_role_permissions_boundary", "tags", "trust_policy_max_size"]),
    );
    const required = Object.entries(tf.variable as Record<string, any>).filter(([, v]) => !("default" in v)).map(([n]) => n);
    expect(required).toEqual(["cluster_name", "namespace", "service_account"]);
    expect(Object.keys(tf.output)).toEqual(
      expect.arrayContaining(["pod_identity_role_arn", "target_role_arn", "association_id", "association_arn", "external_id", "target_role_trust_policy_json", "pod_identity_role_permission_policy_json"]),
    );
  });

  it("never reads the association's computed external_id (that would be a dependency cycle)", () => {
    expect(text).not.toMatch(/aws_eks_pod_identity_association\.this\.external_id/);
    expect(tf.output.external_id.value).toBe("${var.session_tags ? null : local.external_id}");
    expect(tf.resource.aws_eks_pod_identity_association.this.disable_session_tags).toBe("${!var.session_tags}");
  });

  it("creates a role only when no existing ARN is given", () => {
    expect(tf.resource.aws_iam_role.pod_identity.count).toBe("${local.create_pod_identity_role ? 1 : 0}");
    expect(tf.resource.aws_iam_role_policy.pod_identity_chain.count).toBe("${local.create_pod_identity_role ? 1 : 0}");
    expect(tf.resource.aws_iam_role.target.count).toBe("${local.create_target_role ? 1 : 0}");
    expect(tf.locals.create_target_role).toBe("${var.target_role_arn == null}");
    expect(tf.resource.aws_iam_role_policy_attachment.target.for_each).toContain("toset(var.target_role_policy_arns)");
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
    expect(broken((m) => (m["main.tf.json"].resource.aws_iam_role.target["//"] = { metadata: {} }))).toEqual([expect.stringContaining('cdktf metadata ("//")')]);
    expect(broken((m) => (m["main.tf.json"].locals.cluster_region = `${process.cwd()}/x`))).toEqual(expect.arrayContaining([expect.stringContaining("an absolute path")]));
  });
  it("reports undeclared and unused variables and locals", () => {
    expect(broken((m) => (m["main.tf.json"].resource.aws_iam_role.target.name = "${var.nope}"))).toEqual(expect.arrayContaining(["resource.aws_iam_role.target.name: var.nope is not declared"]));
    expect(broken((m) => (m["variables.tf.json"].variable.extra = { type: "string", description: "Extra." }))).toEqual(["var.extra is declared but never used"]);
    expect(broken((m) => (m["main.tf.json"].locals.extra = "x"))).toEqual(["local.extra is declared but never used"]);
    expect(broken((m) => (m["main.tf.json"].resource.aws_iam_role.target.depends_on = ["aws_iam_role.nope"]))).toEqual(["resource.aws_iam_role.target.depends_on.0: aws_iam_role.nope is not declared"]);
  });
  it("reports a resource without an aliased provider and missing configuration aliases", () => {
    expect(broken((m) => delete m["main.tf.json"].resource.aws_iam_role.target.provider)).toEqual(["aws_iam_role.target: provider is undefined, not one of aws.cluster, aws.target"]);
    expect(broken((m) => (m["main.tf.json"].data.aws_region.cluster.provider = "aws"))).toEqual(['data.aws_region.cluster: provider is "aws", not one of aws.cluster, aws.target']);
    expect(broken((m) => delete m["versions.tf.json"].terraform.required_providers.aws.configuration_aliases)).toEqual([
      'terraform.required_providers.aws.configuration_aliases must be ["aws.cluster","aws.target"]',
    ]);
  });
});

describe("validation blocks mirror the construct rules", () => {
  const cases: [string, StringRule, Check, string[]][] = [
    ["cluster name", RULES.clusterName, clusterNameProblem, ["prod-eu", "a", "A_b-1", "9x", "", "-x", "_x", "a.b", "prod eu", "x".repeat(100), "x".repeat(101)]],
    ["namespace", RULES.namespace, namespaceProblem, ["payments", "a", "a-b", "1abc", "-a", "a-", "A", "a.b", "a_b", "", "x".repeat(63), "x".repeat(64)]],
    ["service account", RULES.serviceAccount, serviceAccountProblem, ["api", "a.b", "a-b.c-d", "a..b", ".a", "a.", "A", "a_b", "", "x".repeat(253), "x".repeat(254)]],
    ["role name", RULES.roleName, roleNameProblem, ["pi", "a+b=c,d.e@f_g-h", "x".repeat(64), "x".repeat(65), "", "a b", "a/b", "a:b", "é"]],
    ["role path", RULES.rolePath, rolePathProblem, ["/", "/a/", "/a/b/", "/a:b/", "a/", "/a", "//", "/a//b/", "", "/a b/", "/é/", `/${"x".repeat(510)}/`, `/${"x".repeat(511)}/`]],
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

describe("the module's policies are the constructs' policies", () => {
  const CLUSTER = { name: "prod-eu", accountId: "111111111111", region: "eu-west-1" } as const;
  const INPUT = { namespace: "payments", serviceAccount: "ledger.reader", piName: "payments-pi", piPath: "/pi/", targetAccount: "222222222222", targetName: "ledger", targetPath: "/" };

  /** The constructs with literal inputs: the reference. */
  function reference(sessionTags: boolean) {
    const app = Testing.app();
    const stack = new TerraformStack(app, "reference");
    const cluster = createAccountProvider(stack, "platform", { accountId: CLUSTER.accountId, region: CLUSTER.region });
    const data = createAccountProvider(stack, "data", { accountId: INPUT.targetAccount, region: CLUSTER.region });
    const chain = new PodIdentityChain(stack, "chain", {
      cluster: CLUSTER,
      namespace: INPUT.namespace,
      serviceAccount: INPUT.serviceAccount,
      podIdentityRole: { name: INPUT.piName, path: INPUT.piPath },
      targetRole: { accountId: INPUT.targetAccount, name: INPUT.targetName, path: INPUT.targetPath },
      sessionTags,
      providers: { cluster: cluster.provider, target: data.provider },
    });
    const json = JSON.parse(Testing.synth(stack));
    const one = (type: string, fragment: string): any => Object.entries(json.resource[type]).find(([id]) => id.includes(fragment))![1];
    return {
      chain,
      targetTrust: JSON.parse(one("aws_iam_role", "target_role").assume_role_policy),
      podTrust: JSON.parse(one("aws_iam_role", "pod_identity_role").assume_role_policy),
      permission: JSON.parse(one("aws_iam_role_policy", "pod-identity-chain").policy),
      association: one("aws_eks_pod_identity_association", "association"),
    };
  }

  /** The same inputs as Terraform would see them (data sources and the create-mode locals evaluated). */
  const values: Record<string, string> = {
    "var.cluster_name": CLUSTER.name,
    "var.namespace": INPUT.namespace,
    "var.service_account": INPUT.serviceAccount,
    "local.cluster_partition": "aws",
    "local.cluster_account_id": CLUSTER.accountId,
    "local.cluster_region": CLUSTER.region,
    "local.pod_identity_role_partition": "aws",
    "local.pod_identity_role_account_id": CLUSTER.accountId,
    "local.pod_identity_role_path": INPUT.piPath,
    "local.pod_identity_role_name": INPUT.piName,
    "local.target_role_partition": "aws",
    "local.target_role_account_id": INPUT.targetAccount,
    "local.target_role_path": INPUT.targetPath,
    "local.target_role_name": INPUT.targetName,
  };
  function render(template: string): string {
    return template.replace(/\$\{([^}]*)\}/g, (_, ref: string) => {
      if (!(ref in values)) throw new Error(`no sample value for \${${ref}} in ${template}`);
      return values[ref]!;
    });
  }

  it("the create-mode locals are the role inputs (so the sample values above are what Terraform computes)", () => {
    expect(tf.locals.pod_identity_role_name).toBe("${local.pod_identity_role_arn_parts == null ? coalesce(var.pod_identity_role_name, local.default_role_name) : local.pod_identity_role_arn_parts.name}");
    expect(tf.locals.target_role_path).toBe("${local.target_role_arn_parts == null ? var.target_role_path : local.target_role_arn_parts.path}");
    expect(tf.locals.target_role_account_id).toBe("${local.target_role_arn_parts == null ? data.aws_caller_identity.target.account_id : local.target_role_arn_parts.account_id}");
    expect(tf.locals.cluster_account_id).toBe("${data.aws_caller_identity.cluster.account_id}");
    expect(tf.locals.target_role_trust_policy).toBe("${var.session_tags ? local.target_role_trust_policy_session_tags : local.target_role_trust_policy_external_id}");
    expect(tf.resource.aws_iam_role.target.assume_role_policy).toBe("${local.target_role_trust_policy}");
  });

  it("session tags on: target trust, Pod Identity trust, permission and association ARNs", () => {
    const ref = reference(true);
    expect(JSON.parse(render(tf.locals.target_role_trust_policy_session_tags))).toEqual(ref.targetTrust);
    expect(JSON.parse(render(tf.resource.aws_iam_role.pod_identity.assume_role_policy))).toEqual(ref.podTrust);
    expect(JSON.parse(render(tf.resource.aws_iam_role_policy.pod_identity_chain.policy))).toEqual(ref.permission);
    expect(JSON.parse(render(tf.output.pod_identity_role_permission_policy_json.value))).toEqual(ref.permission);
    expect(JSON.parse(render(tf.output.pod_identity_role_trust_policy_json.value))).toEqual(ref.podTrust);
    const association = tf.resource.aws_eks_pod_identity_association.this;
    expect(render(association.role_arn)).toBe(ref.association.role_arn);
    expect(render(association.target_role_arn)).toBe(ref.association.target_role_arn);
    expect(render(tf.locals.pod_identity_role_arn)).toBe(ref.association.role_arn);
    expect(render(tf.locals.target_role_arn)).toBe(ref.association.target_role_arn);
    expect(ref.chain.externalId).toBeUndefined();
  });

  it("session tags off: the external-id trust and the external id", () => {
    const ref = reference(false);
    expect(JSON.parse(render(tf.locals.target_role_trust_policy_external_id))).toEqual(ref.targetTrust);
    expect(render(tf.locals.external_id)).toBe(ref.chain.externalId);
    expect(ref.association.disable_session_tags).toBe(true);
  });

  it("every interpolation in the policy templates is a plain reference (no expression inside the JSON)", () => {
    for (const t of [tf.locals.target_role_trust_policy_session_tags, tf.locals.target_role_trust_policy_external_id, tf.resource.aws_iam_role_policy.pod_identity_chain.policy]) {
      for (const body of interpolations(t)) expect(body).toMatch(/^(var|local)\.\w+$/);
    }
  });
});

describe("npm run synth:module", () => {
  const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
  const run = (...args: string[]) => spawnSync(tsx, [path.join(ROOT, "scripts", "synth-module.ts"), ...args], { cwd: scratch, encoding: "utf8" });

  it("writes the module and its README, replacing a previous one", () => {
    const out = path.join(scratch, "ok", "terraform-module");
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "stale.tf.json"), "{}");
    const r = run("--out", out, "--no-docs");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["README.md", "main.tf.json", "outputs.tf.json", "variables.tf.json", "versions.tf.json"]);
    for (const [name, content] of Object.entries(files)) expect(JSON.parse(readFileSync(path.join(out, name), "utf8"))).toEqual(content);
    const readme = readFileSync(path.join(out, "README.md"), "utf8");
    expect(readme).toContain("| `cluster_name` |");
    expect(readme).toContain("| `target_role_trust_policy_json` |");
    expect(readdirSync(path.dirname(out))).toEqual(["terraform-module"]);
  }, 60_000);

  it("exits 1 with a clear message and leaves nothing behind when the destination is a file", () => {
    const dir = path.join(scratch, "file-in-the-way");
    mkdirSync(dir);
    const out = path.join(dir, "terraform-module");
    writeFileSync(out, "keep me");
    const r = run("--out", out, "--no-docs");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`synth:module: ${out} exists and is not a directory; move it away or choose another --out\nNothing was written.\n`);
    expect(readdirSync(dir)).toEqual(["terraform-module"]);
    expect(readFileSync(out, "utf8")).toBe("keep me");
  }, 60_000);

  it("exits 1 when the destination cannot be created, and on an unknown argument", () => {
    const blocker = path.join(scratch, "blocker");
    writeFileSync(blocker, "");
    const r = run("--out", path.join(blocker, "terraform-module"), "--no-docs");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^synth:module: .*blocker.*\nNothing was written\.\n$/s);
    const u = run("--bogus");
    expect(u.status).toBe(1);
    expect(u.stderr).toBe('synth:module: unknown argument "--bogus" (usage: synth-module [--out DIR] [--no-docs])\nNothing was written.\n');
    expect(existsSync(path.join(scratch, "dist"))).toBe(false);
  }, 60_000);
});

describe("docs/terraform-module.md", () => {
  const doc = readFileSync(path.join(ROOT, "docs", "terraform-module.md"), "utf8");
  it("has the generated usage and tables of the current module (run npm run synth:module after a change)", () => {
    expect(doc).toBe(updateDocs(doc, files));
  });
  it("shows an HCL root module passing both aliased providers", () => {
    expect(doc).toMatch(/providers = \{\s+aws\.cluster = aws\.\w+[^\n]*\n\s+aws\.target\s+= aws\.\w+/);
    for (const name of Object.keys(tf.variable)) expect(doc).toContain(`| \`${name}\` |`);
    for (const name of Object.keys(tf.output)) expect(doc).toContain(`| \`${name}\` |`);
  });
});
