import { describe, expect, it } from "vitest";
import { createAccountProvider } from "../../modules/providers";
import { DRIFT_READ_POLICY_NAME, DriftAccountReaderRole, DriftReaderRole } from "../../modules/drift-reader-role";
import type { PolicyDocumentJson, StatementJson } from "../../modules/policy/json";
import { evaluateHop1, simulate, type PodRequest } from "../support/iam-oracle";
import { CLUSTER_ACCOUNT, DATA_ACCOUNT, errorsOf, fixture, synthJson } from "./helpers";

const REGION = "eu-west-1";
const THIRD_ACCOUNT = "333333333333";
const HOME = `arn:aws:eks:${REGION}:${CLUSTER_ACCOUNT}:cluster/ops`;
const PROD = `arn:aws:eks:${REGION}:${CLUSTER_ACCOUNT}:cluster/prod`;
const DATA_CLUSTER = `arn:aws:eks:${REGION}:${DATA_ACCOUNT}:cluster/data`;
const DAEMON_ROLE = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/pod-identity-drift`;
const READER_ROLE = `arn:aws:iam::${DATA_ACCOUNT}:role/pod-identity-drift-reader`;

function build() {
  const f = fixture();
  const daemon = new DriftReaderRole(f.stack, "drift", {
    account: f.platform,
    clusterName: "ops",
    clusterArns: [HOME, PROD],
    state: { bucket: "acme-tfstate", keys: ["platform/terraform.tfstate"], workspaces: ["prod"] },
  });
  const reader = daemon.addAccountReader(f.stack, "drift_data", { account: f.data, clusterArns: [DATA_CLUSTER] });
  const json = synthJson(f.stack);
  const roles = Object.values(json.resource.aws_iam_role) as any[];
  const policies = Object.values(json.resource.aws_iam_role_policy) as any[];
  const roleNamed = (n: string) => roles.find((r) => r.name === n)!;
  const policyOf = (n: string) => JSON.parse(policies.find((p) => p.role === n)!.policy) as PolicyDocumentJson;
  return { f, daemon, reader, json, roleNamed, policyOf };
}

function resourcesOf(doc: PolicyDocumentJson): string[] {
  return doc.Statement.flatMap((s: StatementJson) => (s.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
}

describe("DriftReaderRole", () => {
  it("synthesizes the role, exactly scoped permissions, and the daemon's Pod Identity association", () => {
    const { json, roleNamed, policyOf, daemon, reader, f } = build();
    expect(errorsOf(f.stack)).toEqual([]);
    expect(daemon.arn).toBe(DAEMON_ROLE);
    expect(reader.arn).toBe(READER_ROLE);

    const role = roleNamed("pod-identity-drift");
    expect(role.provider).toBe("aws.platform");
    expect(JSON.parse(role.assume_role_policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "pods.eks.amazonaws.com" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Condition: {
            StringEquals: {
              "aws:SourceAccount": CLUSTER_ACCOUNT,
              "aws:RequestTag/eks-cluster-arn": HOME,
              "aws:RequestTag/kubernetes-namespace": "pod-identity-drift",
              "aws:RequestTag/kubernetes-service-account": "pod-identity-drift",
            },
          },
        },
      ],
    });
    expect(policyOf("pod-identity-drift")).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "AssumeAccountReaders", Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: READER_ROLE },
        {
          Sid: "DescribePodIdentityAssociations",
          Effect: "Allow",
          Action: "eks:DescribePodIdentityAssociation",
          Resource: [
            `arn:aws:eks:${REGION}:${CLUSTER_ACCOUNT}:podidentityassociation/ops/*`,
            `arn:aws:eks:${REGION}:${CLUSTER_ACCOUNT}:podidentityassociation/prod/*`,
          ],
        },
        { Sid: "ListPodIdentityAssociations", Effect: "Allow", Action: "eks:ListPodIdentityAssociations", Resource: [HOME, PROD] },
        {
          Sid: "ListStateWorkspaces",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::acme-tfstate",
          Condition: { StringLike: { "s3:prefix": "env:/prod/platform/terraform.tfstate" } },
        },
        {
          Sid: "ReadTerraformState",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: ["arn:aws:s3:::acme-tfstate/env:/prod/platform/terraform.tfstate", "arn:aws:s3:::acme-tfstate/platform/terraform.tfstate"],
        },
      ],
    });
    expect(Object.keys(json.resource.aws_iam_role_policy).length).toBe(2);
    expect(Object.values(json.resource.aws_iam_role_policy).every((p: any) => p.name === DRIFT_READ_POLICY_NAME)).toBe(true);

    const assoc = Object.values(json.resource.aws_eks_pod_identity_association) as any[];
    expect(assoc).toHaveLength(1);
    expect(assoc[0]).toMatchObject({
      cluster_name: "ops",
      namespace: "pod-identity-drift",
      service_account: "pod-identity-drift",
      role_arn: DAEMON_ROLE,
      provider: "aws.platform",
    });
    expect(assoc[0].target_role_arn).toBeUndefined();
    expect(assoc[0].depends_on.length).toBeGreaterThanOrEqual(2);
  });

  it("the reader role in the other account trusts only the daemon role (principal-root + aws:PrincipalARN) and reads only its clusters", () => {
    const { roleNamed, policyOf } = build();
    const role = roleNamed("pod-identity-drift-reader");
    expect(role.provider).toBe("aws.data");
    expect(JSON.parse(role.assume_role_policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${CLUSTER_ACCOUNT}:root` },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Condition: { ArnEquals: { "aws:PrincipalARN": DAEMON_ROLE } },
        },
      ],
    });
    expect(policyOf("pod-identity-drift-reader").Statement.map((s) => [s.Action, s.Resource])).toEqual([
      ["eks:DescribePodIdentityAssociation", `arn:aws:eks:${REGION}:${DATA_ACCOUNT}:podidentityassociation/data/*`],
      ["eks:ListPodIdentityAssociations", DATA_CLUSTER],
    ]);
  });

  it("never grants on `*`, and only the read actions", () => {
    const { policyOf } = build();
    for (const n of ["pod-identity-drift", "pod-identity-drift-reader"]) {
      const doc = policyOf(n);
      expect(resourcesOf(doc).filter((r) => r === "*" || r.endsWith(":*") || /:cluster\/\*$/.test(r) || /:role\/\*$/.test(r))).toEqual([]);
      const actions = doc.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action!]));
      expect(new Set(actions)).toEqual(
        new Set(
          n === "pod-identity-drift"
            ? ["eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation", "s3:GetObject", "s3:ListBucket", "sts:AssumeRole", "sts:TagSession"]
            : ["eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation"],
        ),
      );
      expect(actions.some((a) => a.includes("*"))).toBe(false);
    }
  });

  it("an external id on the reader role goes on sts:AssumeRole only", () => {
    const f = fixture();
    const r = new DriftAccountReaderRole(f.stack, "r", { account: f.data, daemonRoleArn: DAEMON_ROLE, clusterArns: [DATA_CLUSTER], externalId: "drift-7f3a" });
    expect(r.trustDocument().toDocumentJson().Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${CLUSTER_ACCOUNT}:root` },
        Action: "sts:AssumeRole",
        Condition: { ArnEquals: { "aws:PrincipalARN": DAEMON_ROLE }, StringEquals: { "sts:ExternalId": "drift-7f3a" } },
      },
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${CLUSTER_ACCOUNT}:root` },
        Action: "sts:TagSession",
        Condition: { ArnEquals: { "aws:PrincipalARN": DAEMON_ROLE } },
      },
    ]);
  });

  it("KMS decrypt only when keys are named", () => {
    const f = fixture();
    const key = `arn:aws:kms:${REGION}:${CLUSTER_ACCOUNT}:key/0b5a7c1e-0000-4000-8000-000000000000`;
    const d = new DriftReaderRole(f.stack, "d", {
      account: f.platform,
      clusterName: "ops",
      state: { bucket: "acme-tfstate", keys: ["a.tfstate"], kmsKeyArns: [key] },
    });
    expect(d.permissionDocument().toDocumentJson().Statement).toContainEqual({
      Sid: "DecryptTerraformState",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: key,
    });
    const { policyOf } = build();
    expect(JSON.stringify(policyOf("pod-identity-drift"))).not.toContain("kms:");
  });
});

describe("DriftReaderRole errors", () => {
  it("throws at once on values that can never be right", () => {
    const f = fixture();
    expect(
      () => new DriftReaderRole(f.stack, "a", { account: f.platform, clusterName: "ops", clusterArns: ["arn:aws:eks:eu-west-1:111111111111:cluster/*"] }),
    ).toThrow(
      'drift reader role "a": clusterArns: "arn:aws:eks:eu-west-1:111111111111:cluster/*" is not an EKS cluster ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME)',
    );
    expect(() => new DriftReaderRole(f.stack, "b", { account: f.platform, clusterName: "ops", state: { bucket: "acme-tfstate", keys: ["states/*"] } })).toThrow(
      /state\.keys: "states\/\*" is not an object key/,
    );
    expect(() => new DriftReaderRole(f.stack, "c", { account: f.platform, clusterName: "ops", readerRoleArns: ["*"] })).toThrow(
      /drift reader role "c": readerRoleArns: /,
    );
    expect(() => new DriftAccountReaderRole(f.stack, "d", { account: f.data, daemonRoleArn: "pod-identity-drift", clusterArns: [DATA_CLUSTER] })).toThrow(
      /drift account reader role "d": daemonRoleArn: /,
    );
  });

  it("collects account mismatches and empty scopes at synth", () => {
    const f = fixture();
    const third = createAccountProvider(f.stack, "third", { accountId: THIRD_ACCOUNT, region: REGION });
    const d = new DriftReaderRole(f.stack, "d", {
      account: f.platform,
      clusterName: "ops",
      clusterArns: [DATA_CLUSTER],
      readerRoleArns: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/x`],
    });
    new DriftAccountReaderRole(f.stack, "empty", { account: third, daemonRoleArn: d.arn });
    expect(errorsOf(f.stack)).toEqual([
      `drift reader role "d" (account ${CLUSTER_ACCOUNT}): clusterArns: "${DATA_CLUSTER}" is in account ${DATA_ACCOUNT}; EKS is read with this role's own credentials, so list only clusters of account ${CLUSTER_ACCOUNT} and read the others through a reader role in their account`,
      `drift reader role "d" (account ${CLUSTER_ACCOUNT}): readerRoleArns: "arn:aws:iam::${CLUSTER_ACCOUNT}:role/x" is in the daemon's own account; read this account's clusters directly (clusterArns) instead of through a reader role`,
      `drift account reader role "empty" (account ${THIRD_ACCOUNT}): nothing to read: give clusterArns, state or roleArns`,
    ]);
  });
});

describe("DriftReaderRole trust under the IAM simulator (EKS Pod Identity, hop 1)", () => {
  const pod: PodRequest = {
    partition: "aws",
    region: REGION,
    clusterAccountId: CLUSTER_ACCOUNT,
    clusterName: "ops",
    namespace: "pod-identity-drift",
    serviceAccount: "pod-identity-drift",
    sessionTags: true,
  };
  const cases: [string, Partial<PodRequest>, boolean][] = [
    ["the daemon's pod (its cluster, namespace and service account)", {}, true],
    ["another service account in the daemon's namespace", { serviceAccount: "default" }, false],
    ["the same service account name in another namespace", { namespace: "payments" }, false],
    ["the daemon's namespace and service account in another cluster of the account", { clusterName: "prod" }, false],
    ["the daemon's names in a cluster of another account", { clusterAccountId: DATA_ACCOUNT }, false],
  ];
  it.each(cases)("%s: allowed = %s", async (_what, over, allowed) => {
    const { roleNamed, policyOf } = build();
    const calls = await evaluateHop1(
      {
        podIdentityRole: {
          arn: DAEMON_ROLE,
          trustPolicy: JSON.parse(roleNamed("pod-identity-drift").assume_role_policy),
          identityPolicies: [policyOf("pod-identity-drift")],
        },
        targetRole: { arn: READER_ROLE, trustPolicy: { Version: "2012-10-17", Statement: [] } },
      },
      { ...pod, ...over },
    );
    expect(calls.map((c) => c.decision)).toEqual(allowed ? ["Allowed", "Allowed"] : ["ImplicitlyDenied", "ImplicitlyDenied"]);
  });
});

describe("DriftReaderRole policies under the IAM simulator", () => {
  const SESSION = `arn:aws:sts::${CLUSTER_ACCOUNT}:assumed-role/pod-identity-drift/eks-ops-pod`;
  const ctx = { "aws:PrincipalArn": DAEMON_ROLE, "aws:PrincipalAccount": CLUSTER_ACCOUNT };
  const cases: { what: string; action: string; resource: string; account?: string; context?: Record<string, string>; expect: string }[] = [
    { what: "list associations of a listed cluster", action: "eks:ListPodIdentityAssociations", resource: PROD, expect: "Allowed" },
    {
      what: "list associations of another cluster",
      action: "eks:ListPodIdentityAssociations",
      resource: `arn:aws:eks:${REGION}:${CLUSTER_ACCOUNT}:cluster/other`,
      expect: "ImplicitlyDenied",
    },
    {
      what: "describe an association of a listed cluster",
      action: "eks:DescribePodIdentityAssociation",
      resource: `arn:aws:eks:${REGION}:${CLUSTER_ACCOUNT}:podidentityassociation/prod/a-0123456789abcdef0`,
      expect: "Allowed",
    },
    {
      what: "describe an association of another cluster",
      action: "eks:DescribePodIdentityAssociation",
      resource: `arn:aws:eks:${REGION}:${CLUSTER_ACCOUNT}:podidentityassociation/other/a-0123456789abcdef0`,
      expect: "ImplicitlyDenied",
    },
    {
      what: "update an association",
      action: "eks:UpdatePodIdentityAssociation",
      resource: `arn:aws:eks:${REGION}:${CLUSTER_ACCOUNT}:podidentityassociation/prod/a-0123456789abcdef0`,
      expect: "ImplicitlyDenied",
    },
    { what: "describe the cluster", action: "eks:DescribeCluster", resource: PROD, expect: "ImplicitlyDenied" },
    { what: "read the state object", action: "s3:GetObject", resource: "arn:aws:s3:::acme-tfstate/platform/terraform.tfstate", expect: "Allowed" },
    {
      what: "read the workspace's state object",
      action: "s3:GetObject",
      resource: "arn:aws:s3:::acme-tfstate/env:/prod/platform/terraform.tfstate",
      expect: "Allowed",
    },
    {
      what: "read another workspace",
      action: "s3:GetObject",
      resource: "arn:aws:s3:::acme-tfstate/env:/dev/platform/terraform.tfstate",
      expect: "ImplicitlyDenied",
    },
    { what: "read another object", action: "s3:GetObject", resource: "arn:aws:s3:::acme-tfstate/secrets.tfstate", expect: "ImplicitlyDenied" },
    { what: "write the state", action: "s3:PutObject", resource: "arn:aws:s3:::acme-tfstate/platform/terraform.tfstate", expect: "ImplicitlyDenied" },
    {
      what: "list the workspace key",
      action: "s3:ListBucket",
      resource: "arn:aws:s3:::acme-tfstate",
      context: { "s3:prefix": "env:/prod/platform/terraform.tfstate" },
      expect: "Allowed",
    },
    { what: "list the whole bucket", action: "s3:ListBucket", resource: "arn:aws:s3:::acme-tfstate", context: { "s3:prefix": "" }, expect: "ImplicitlyDenied" },
    { what: "assume the reader role", action: "sts:AssumeRole", resource: READER_ROLE, account: DATA_ACCOUNT, expect: "Allowed" },
    {
      what: "assume another role there",
      action: "sts:AssumeRole",
      resource: `arn:aws:iam::${DATA_ACCOUNT}:role/admin`,
      account: DATA_ACCOUNT,
      expect: "ImplicitlyDenied",
    },
  ];

  it.each(cases.map((c) => [c.expect, c.what, c] as const))("daemon role: %s: %s", async (_e, _w, c) => {
    const { policyOf, roleNamed } = build();
    const cross = c.account !== undefined && c.account !== CLUSTER_ACCOUNT;
    const call = await simulate({
      principal: SESSION,
      action: c.action,
      resource: c.resource,
      resourceAccount: c.account ?? CLUSTER_ACCOUNT,
      identityPolicies: [policyOf("pod-identity-drift")],
      resourcePolicy: cross ? (JSON.parse(roleNamed(c.resource.split("/").pop()!)?.assume_role_policy ?? "null") ?? undefined) : undefined,
      context: { ...ctx, ...(c.context ?? {}) },
    });
    expect(call.decision).toBe(c.expect);
  });

  it("the reader role's trust admits the daemon role and no other role of its account", async () => {
    const { roleNamed, policyOf } = build();
    const trust = JSON.parse(roleNamed("pod-identity-drift-reader").assume_role_policy);
    const other = `arn:aws:iam::${CLUSTER_ACCOUNT}:role/ci`;
    const as = (roleArn: string) =>
      simulate({
        principal: `arn:aws:sts::${CLUSTER_ACCOUNT}:assumed-role/${roleArn.split("/").pop()}/s`,
        action: "sts:AssumeRole",
        resource: READER_ROLE,
        resourceAccount: DATA_ACCOUNT,
        identityPolicies: [
          roleArn === DAEMON_ROLE
            ? policyOf("pod-identity-drift")
            : { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: READER_ROLE }] },
        ],
        resourcePolicy: trust,
        context: { "aws:PrincipalArn": roleArn, "aws:PrincipalAccount": CLUSTER_ACCOUNT },
      });
    expect((await as(DAEMON_ROLE)).decision).toBe("Allowed");
    expect((await as(other)).decision).toBe("ImplicitlyDenied");
  });
});

describe("DriftReaderRole: the chain's IAM roles, under the IAM simulator", () => {
  const HUB = `arn:aws:iam::${DATA_ACCOUNT}:role/pod-identity/ledger-reader`;
  const STAGING = `arn:aws:iam::${DATA_ACCOUNT}:role/pod-identity/ledger-staging-reader`;
  const OTHER = `arn:aws:iam::${DATA_ACCOUNT}:role/admin`;
  const READER_SESSION = `arn:aws:sts::${DATA_ACCOUNT}:assumed-role/pod-identity-drift-reader/pod-identity-drift`;

  function reader() {
    const f = fixture();
    const daemon = new DriftReaderRole(f.stack, "drift", { account: f.platform, clusterName: "ops", clusterArns: [HOME] });
    const r = daemon.addAccountReader(f.stack, "drift_data", { account: f.data, clusterArns: [DATA_CLUSTER], roleArns: [HUB, STAGING] });
    return { f, r, doc: r.permissionDocument().toDocumentJson() as PolicyDocumentJson };
  }

  it("grants exactly the IAM read actions on exactly the chain roles, and the managed policy reads", () => {
    const { f, doc } = reader();
    expect(errorsOf(f.stack)).toEqual([]);
    expect(doc.Statement.filter((s) => s.Sid === "ReadChainRoles" || s.Sid === "ReadAttachedPolicies")).toEqual([
      {
        Sid: "ReadAttachedPolicies",
        Effect: "Allow",
        Action: ["iam:GetPolicy", "iam:GetPolicyVersion"],
        Resource: [`arn:aws:iam::${DATA_ACCOUNT}:policy/*`, "arn:aws:iam::aws:policy/*"],
      },
      {
        Sid: "ReadChainRoles",
        Effect: "Allow",
        Action: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"],
        Resource: [HUB, STAGING],
      },
    ]);
  });

  const cases: { what: string; action: string; resource: string; expect: string }[] = [
    ...["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"].flatMap((action) => [
      { what: `${action} on a chain role`, action, resource: HUB, expect: "Allowed" },
      { what: `${action} on another role of the account`, action, resource: OTHER, expect: "ImplicitlyDenied" },
    ]),
    {
      what: "read an AWS managed policy's default version",
      action: "iam:GetPolicyVersion",
      resource: "arn:aws:iam::aws:policy/AdministratorAccess",
      expect: "Allowed",
    },
    { what: "read one of the account's managed policies", action: "iam:GetPolicy", resource: `arn:aws:iam::${DATA_ACCOUNT}:policy/ledger`, expect: "Allowed" },
    {
      what: "read another account's managed policy",
      action: "iam:GetPolicy",
      resource: `arn:aws:iam::${CLUSTER_ACCOUNT}:policy/ledger`,
      expect: "ImplicitlyDenied",
    },
    { what: "change a chain role's trust", action: "iam:UpdateAssumeRolePolicy", resource: HUB, expect: "ImplicitlyDenied" },
    { what: "put an inline policy on a chain role", action: "iam:PutRolePolicy", resource: HUB, expect: "ImplicitlyDenied" },
    { what: "attach a policy to a chain role", action: "iam:AttachRolePolicy", resource: HUB, expect: "ImplicitlyDenied" },
    { what: "list the account's roles", action: "iam:ListRoles", resource: "*", expect: "ImplicitlyDenied" },
    { what: "pass a chain role", action: "iam:PassRole", resource: HUB, expect: "ImplicitlyDenied" },
  ];

  it.each(cases.map((c) => [c.expect, c.what, c] as const))("reader role: %s: %s", async (_e, _w, c) => {
    const { doc } = reader();
    const call = await simulate({
      principal: READER_SESSION,
      action: c.action,
      resource: c.resource,
      resourceAccount: c.resource.startsWith("arn:aws:iam::aws:") || c.resource === "*" ? DATA_ACCOUNT : c.resource.split(":")[4]!,
      identityPolicies: [doc],
      context: { "aws:PrincipalArn": READER_ROLE, "aws:PrincipalAccount": DATA_ACCOUNT },
    });
    expect(call.decision).toBe(c.expect);
  });

  it("a chain role of another account is refused with the fix: read it through that account's reader role", () => {
    const f = fixture();
    new DriftReaderRole(f.stack, "drift", { account: f.platform, clusterName: "ops", clusterArns: [HOME], roleArns: [HUB] });
    expect(errorsOf(f.stack)).toEqual([
      `drift reader role "drift" (account ${CLUSTER_ACCOUNT}): roleArns: "${HUB}" is in account ${DATA_ACCOUNT}; IAM reads the caller's own account, so list only roles of account ${CLUSTER_ACCOUNT} and read the others through a reader role in their account`,
    ]);
    expect(
      () => new DriftReaderRole(fixture().stack, "x", { account: f.platform, clusterName: "ops", roleArns: ["arn:aws:iam::111111111111:user/someone"] }),
    ).toThrow(/roleArns/);
  });
});
