import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { dump as stringify } from "js-yaml";
import { ConfigError, configPath, loadConfig, parseConfig } from "../../modules/config/load";

const ROOT = path.join(__dirname, "..", "..");
const example = (): any => JSON.parse(JSON.stringify(loadConfig(path.join(ROOT, "pod-identity.yaml"))));
function problems(cfg: unknown, file = "pod-identity.yaml"): string[] {
  try {
    parseConfig(file.endsWith(".json") ? JSON.stringify(cfg) : stringify(cfg), file);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe("config file", () => {
  it("the shipped example is valid", () => {
    const cfg = loadConfig(path.join(ROOT, "pod-identity.yaml"));
    expect(cfg.associations.length).toBe(5);
    expect(cfg.stacks.groupBy).toBe("clusterAccount");
  });

  it("reads the path from POD_IDENTITY_CONFIG, else pod-identity.yaml", () => {
    expect(configPath("/p", {})).toBe(path.resolve("/p/pod-identity.yaml"));
    expect(configPath("/p", { POD_IDENTITY_CONFIG: "conf/x.json" })).toBe(path.resolve("/p/conf/x.json"));
  });

  it("reports every problem at once, each with its path", () => {
    const cfg = example();
    cfg.accounts.data.accountId = "22222222222";
    cfg.associations[3].serviceAccount = "ETL_Job";
    cfg.associations[1].namespace = "Payments";
    cfg.associations[0].cluster = "nope";
    expect(problems(cfg)).toEqual([
      'accounts.data.accountId: "22222222222" is not an AWS account id: it must be exactly 12 digits (quote it in YAML so leading zeros are kept)',
      `associations[1].namespace: "Payments" is not a valid Kubernetes namespace: it must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)`,
      `associations[3].serviceAccount: "ETL_Job" is not a valid Kubernetes service account name: it must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit)`,
      'associations[0].cluster: unknown cluster "nope": declare it under clusters (known: prod, staging)',
    ]);
    const cfg2 = example();
    cfg2.associations[0].cluster = "nope";
    cfg2.associations[1].serviceAccount = "api";
    cfg2.associations[2].sessionPolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
    expect(problems(cfg2)).toEqual([
      'associations[0].cluster: unknown cluster "nope": declare it under clusters (known: prod, staging)',
      "associations[2].sessionPolicy: a session policy requires session tags off (EKS rejects the combination); set sessionTags: false or remove the session policy",
    ]);
  });

  it("duplicate service accounts and association names", () => {
    const cfg = example();
    cfg.associations[1].serviceAccount = "api";
    cfg.associations[1].name = "payments-api";
    expect(problems(cfg)).toEqual([
      'associations[1].name: "payments-api" is already the name of associations[0]; give each association a unique name',
      'associations[1].serviceAccount: "payments/api" in cluster "prod" already has an association (associations[0]); EKS allows one association per service account: remove one or use another service account',
    ]);
  });

  it("a Pod Identity role outside the cluster's account", () => {
    const cfg = example();
    cfg.podIdentityRoles.payments.account = "data";
    expect(problems(cfg)).toContain(
      'associations[0].podIdentityRole: Pod Identity role "payments" is in account 222222222222, but cluster "prod" is in account 111111111111; a Pod Identity role must be in its cluster\'s account (EKS checks iam:PassRole there): use a Pod Identity role of account 111111111111',
    );
  });

  it("unknown fields, wrong types and out-of-range limits", () => {
    const cfg = example();
    cfg.associations[2].serviceacount = "x";
    cfg.defaults.trustPolicyMaxSize = 9000;
    cfg.targetRoles["ledger-reader"].maxSessionDuration = 60;
    expect(problems(cfg)).toEqual([
      "defaults.trustPolicyMaxSize: 9000 is more than the maximum, 4096",
      "targetRoles.ledger-reader.maxSessionDuration: 60 is not a valid max session duration: it must be a whole number of seconds from 3600 (1 hour) to 43200 (12 hours)",
      'associations[2]: unknown field "serviceacount" (field names are case-sensitive; see docs/config.md)',
    ]);
  });

  it("unused roles and bring-your-own roles with owned options", () => {
    const cfg = example();
    cfg.targetRoles.spare = { account: "data", name: "spare" };
    cfg.targetRoles["bi-export"].managedPolicyArns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"];
    expect(problems(cfg)).toEqual([
      "targetRoles.bi-export.existingArn: names a role owned elsewhere, so managedPolicyArns cannot be set; remove them, or drop existingArn to create the role",
      "targetRoles.spare: no association uses this role, so it would trust nobody (IAM rejects an empty trust policy); use it in an association or remove it",
    ]);
  });

  it("shared roles placed so that stacks would depend on each other, and the placement that fixes it", () => {
    // Default grouping (a stack per cluster account): each target role lives in its first user's stack,
    // and each is then used from the other cluster account's stack.
    const cfg = {
      accounts: {
        prod: { accountId: "111111111111", region: "eu-west-1" },
        dev: { accountId: "444444444444", region: "eu-west-1" },
        data: { accountId: "222222222222", region: "eu-west-1" },
      },
      clusters: { p: { account: "prod" }, d: { account: "dev" } },
      targetRoles: { ledger: { account: "data" }, reports: { account: "data" } },
      associations: [
        { cluster: "p", namespace: "a", serviceAccount: "a", targetRole: "ledger" },
        { cluster: "d", namespace: "b", serviceAccount: "b", targetRole: "reports" },
        { cluster: "d", namespace: "c", serviceAccount: "c", targetRole: "ledger" },
        { cluster: "p", namespace: "d", serviceAccount: "d", targetRole: "reports" },
      ],
    } as any;
    expect(problems(cfg)).toEqual([
      'associations[3].targetRole: stacks "dev" → "prod" → "dev" depend on each other in a cycle, so no deploy order exists: ' +
        'associations[2] in stack "dev" uses target role "ledger", placed in stack "prod"; ' +
        'associations[3] in stack "prod" uses target role "reports", placed in stack "dev". ' +
        "Place shared roles so that no cycle forms, e.g. set targetRoles.reports.stack: prod",
    ]);
    cfg.targetRoles.reports.stack = "prod";
    expect(problems(cfg)).toEqual([]);

    // Per-cluster stacks: a shared Pod Identity role can close a cycle too, and takes a stack as well.
    cfg.stacks = { groupBy: "cluster" };
    cfg.clusters.p2 = { account: "prod" };
    delete cfg.targetRoles.reports.stack;
    cfg.podIdentityRoles = { hub: { account: "prod" } };
    cfg.associations = [
      { cluster: "p", namespace: "a", serviceAccount: "a", podIdentityRole: "hub" },
      { cluster: "p2", namespace: "b", serviceAccount: "b", targetRole: "ledger" },
      { cluster: "p", namespace: "c", serviceAccount: "c", targetRole: "ledger" },
      { cluster: "p2", namespace: "d", serviceAccount: "d", podIdentityRole: "hub" },
      { cluster: "d", namespace: "e", serviceAccount: "e", targetRole: "reports" },
    ];
    expect(problems(cfg)).toEqual([
      'associations[3].podIdentityRole: stacks "p" → "p2" → "p" depend on each other in a cycle, so no deploy order exists: ' +
        'associations[2] in stack "p" uses target role "ledger", placed in stack "p2"; ' +
        'associations[3] in stack "p2" uses Pod Identity role "hub", placed in stack "p". ' +
        "Place shared roles so that no cycle forms, e.g. set podIdentityRoles.hub.stack: p2",
    ]);
    cfg.podIdentityRoles.hub.stack = "p2";
    expect(problems(cfg)).toEqual([]);
  });

  it("JSON configs, and syntax errors", () => {
    expect(problems(example(), "pod-identity.json")).toEqual([]);
    expect(() => parseConfig("{", "c.json")).toThrow(/^c\.json: not valid JSON at line 1, column 2: /);
    expect(() => parseConfig("a: [", "c.yaml")).toThrow(/^c\.yaml: not valid YAML at line 1, column 5: /);
  });

  it("missing required fields", () => {
    expect(problems({ accounts: {} })).toEqual(["clusters: required (a map); add it", "associations: required (a list); add it"]);
  });

  it("a missing file", () => {
    expect(() => loadConfig(path.join(ROOT, "does-not-exist.yaml"))).toThrow(
      /^does-not-exist\.yaml: does not exist; create it \(see docs\/config\.md\) or point POD_IDENTITY_CONFIG at your config$/,
    );
  });
});

describe("renamed keys (movedFrom) and dedicated role names", () => {
  const renameCluster = (cfg: any, from: string, to: string, movedFrom?: unknown) => {
    cfg.clusters = Object.fromEntries(
      Object.entries(cfg.clusters).map(([k, v]) => [k === from ? to : k, k === from && movedFrom !== undefined ? { ...(v as object), movedFrom } : v]),
    );
    for (const a of cfg.associations) if (a.cluster === from) a.cluster = to;
  };

  it("takes one earlier key or a list, oldest first", () => {
    const one = example();
    renameCluster(one, "prod", "prod-eu", "prod");
    expect(problems(one)).toEqual([]);
    expect(parseConfig(stringify(one), "x.yaml").clusters["prod-eu"]!.movedFrom).toEqual(["prod"]);
    const list = example();
    renameCluster(list, "prod", "eu-prod", ["prod", "prod-eu"]);
    expect(parseConfig(stringify(list), "x.yaml").clusters["eu-prod"]!.movedFrom).toEqual(["prod", "prod-eu"]);
  });

  it("refuses an earlier key still in use, its own key, or one claimed twice", () => {
    const cfg = example();
    cfg.clusters.staging.movedFrom = "prod";
    cfg.clusters.prod.movedFrom = ["prod"];
    cfg.targetRoles["ledger-staging"].movedFrom = "old";
    cfg.targetRoles["warehouse-loader"].movedFrom = ["old", "new"];
    expect(problems(cfg)).toEqual([
      'clusters.prod.movedFrom: "prod" is this entry\'s own key; list only keys it had before',
      'clusters.staging.movedFrom: "prod" is still a key of clusters: an address cannot move while it is in use; remove movedFrom, or rename that entry first',
      'targetRoles.warehouse-loader.movedFrom[0]: "old" is already an earlier key of targetRoles.ledger-staging: one key can move to one place only',
    ]);
  });

  it("a role named after its key cannot keep its name through a rename: name is required with movedFrom", () => {
    const cfg = example();
    const { ["ledger-staging"]: role, ...others } = cfg.targetRoles;
    delete role.name;
    cfg.targetRoles = { ...others, staging: { ...role, movedFrom: "ledger-staging" } };
    cfg.associations[2].targetRole = "staging";
    expect(problems(cfg)).toEqual([
      'targetRoles.staging.movedFrom: the role is named after its key, so renaming "ledger-staging" to "staging" also renames the role, and IAM cannot rename a role: Terraform would replace it even with movedFrom; keep its name with name: ledger-staging',
    ]);
    cfg.targetRoles.staging.name = "ledger-staging";
    expect(problems(cfg)).toEqual([]);
  });

  it("a dedicated role named after a default association name that holds a renamed cluster key", () => {
    const cfg = example();
    delete cfg.associations[4].name; // staging / analytics / exporter, a dedicated Pod Identity role
    renameCluster(cfg, "staging", "staging-eu", "staging");
    expect(problems(cfg)).toEqual([
      'associations[4]: its dedicated Pod Identity role is named after the association\'s default name, which holds the cluster key: with the cluster renamed from "staging", the role would be renamed from "staging-analytics-exporter" to "staging-eu-analytics-exporter", and IAM cannot rename a role (Terraform would replace it); keep it with podIdentityRoleName: staging-analytics-exporter',
    ]);
    cfg.associations[4].podIdentityRoleName = "staging-analytics-exporter";
    expect(problems(cfg)).toEqual([]);
  });

  it("podIdentityRoleName names the dedicated role: checked like a role name, unique per account, not with a shared role", () => {
    const cfg = example();
    cfg.associations[3].podIdentityRoleName = "payments-pod-identity";
    cfg.associations[4].podIdentityRoleName = "x".repeat(65);
    cfg.associations[0].podIdentityRoleName = "api";
    expect(problems(cfg)).toEqual([
      `associations[4].podIdentityRoleName: "${"x".repeat(65)}" is not a valid IAM role name: it must be 1 to 64 characters (got 65); choose a shorter name`,
      'associations[0].podIdentityRoleName: names a dedicated Pod Identity role, but podIdentityRole "payments" is a shared one with its own name; remove one of them',
      'associations[3].podIdentityRoleName: role name "payments-pod-identity" is already used by podIdentityRoles.payments in account 111111111111; IAM role names are unique per account: give one of them another name',
    ]);
  });

  it("a bring-your-own role has nothing to move", () => {
    const cfg = example();
    cfg.targetRoles["bi-export"].movedFrom = "bi";
    expect(problems(cfg)).toEqual([
      "targetRoles.bi-export.existingArn: names a role owned elsewhere, so movedFrom cannot be set; remove them, or drop existingArn to create the role",
    ]);
  });
});
