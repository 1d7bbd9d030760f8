// Each add-on permission set through the IAM simulator: the intended action on a resource inside the
// user's scope is allowed, the same action outside it (another zone, key, bucket, cluster's tag, region,
// account) is denied. Plus properties every add-on must have: deterministic, valid, within the inline
// policy size limit, and `Resource: "*"` only for actions IAM cannot scope.
import { isWildcardOnlyAction } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ADDON_NAMES, type AddonPolicy, addonPolicyDocument, addonPolicySchema } from "../../modules/policy/addons";
import type { PolicyDocumentJson } from "../../modules/policy/json";
import { type Decision, simulate } from "../support/iam-oracle";

const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "444455556666";
const REGION = "eu-west-1";
const ctx = { partition: "aws", accountId: ACCOUNT, region: REGION };
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/99999999-12ab-34cd-56ef-1234567890ab`;
const ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ";
const OTHER_ZONE = "arn:aws:route53:::hostedzone/Z9999999999OTHERZONE";
const FS = `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/fs-0123456789abcdef0`;
const OTHER_FS = `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/fs-0fedcba9876543210`;

/** One realistic configuration per add-on (every optional scope filled in). */
const EXAMPLES: Record<AddonPolicy["name"], AddonPolicy> = {
  "aws-load-balancer-controller": { name: "aws-load-balancer-controller", clusterName: "prod" },
  "ebs-csi": { name: "ebs-csi", kmsKeyArns: [KEY] },
  "efs-csi": { name: "efs-csi", fileSystemArns: [FS] },
  "external-dns": { name: "external-dns", hostedZoneArns: [ZONE] },
  "cert-manager": { name: "cert-manager", hostedZoneArns: [ZONE] },
  "cluster-autoscaler": { name: "cluster-autoscaler", clusterNames: ["prod", "stage"] },
  "external-secrets": {
    name: "external-secrets",
    secretArns: [`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:team/app-*`],
    parameterArns: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/team/app/*`],
    kmsKeyArns: [KEY],
  },
  velero: { name: "velero", bucketArns: ["arn:aws:s3:::acme-velero-backups"], kmsKeyArns: [KEY] },
};

interface Case {
  readonly what: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  readonly expect: Decision;
}

/**
 * The default key policy AWS gives a new KMS key: it delegates to the account's IAM policies. Without a
 * key policy that trusts the account, IAM policies grant nothing on a key, so KMS cases carry this one.
 */
const DEFAULT_KEY_POLICY: PolicyDocumentJson = {
  Version: "2012-10-17",
  Statement: [{ Sid: "EnableIamUserPermissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }],
};

const ec2 = (resource: string, region = REGION, account = ACCOUNT) => `arn:aws:ec2:${region}:${account}:${resource}`;
const elb = (resource: string, region = REGION, account = ACCOUNT) => `arn:aws:elasticloadbalancing:${region}:${account}:${resource}`;
const ALB = "loadbalancer/app/k8s-web-0123456789/50dc6c495c0c9188";
const SG = "security-group/sg-0123456789abcdef0";
const VOL = "volume/vol-0123456789abcdef0";
const ASG = (account = ACCOUNT) =>
  `arn:aws:autoscaling:${REGION}:${account}:autoScalingGroup:6d4e9a3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b:autoScalingGroupName/eks-prod-ng1`;

const CASES: Record<AddonPolicy["name"], Case[]> = {
  "aws-load-balancer-controller": [
    { what: "describe load balancers (no resource-level permission)", action: "elasticloadbalancing:DescribeLoadBalancers", resource: "*", expect: "Allowed" },
    {
      what: "create an ALB tagged for this cluster",
      action: "elasticloadbalancing:CreateLoadBalancer",
      resource: elb(ALB),
      context: { "aws:RequestTag/elbv2.k8s.aws/cluster": "prod" },
      expect: "Allowed",
    },
    {
      what: "create an ALB tagged for another cluster",
      action: "elasticloadbalancing:CreateLoadBalancer",
      resource: elb(ALB),
      context: { "aws:RequestTag/elbv2.k8s.aws/cluster": "staging" },
      expect: "ImplicitlyDenied",
    },
    { what: "create an untagged ALB", action: "elasticloadbalancing:CreateLoadBalancer", resource: elb(ALB), expect: "ImplicitlyDenied" },
    {
      what: "delete this cluster's ALB",
      action: "elasticloadbalancing:DeleteLoadBalancer",
      resource: elb(ALB),
      context: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "prod" },
      expect: "Allowed",
    },
    {
      what: "delete another cluster's ALB",
      action: "elasticloadbalancing:DeleteLoadBalancer",
      resource: elb(ALB),
      context: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "staging" },
      expect: "ImplicitlyDenied",
    },
    {
      what: "delete an ALB in another region",
      action: "elasticloadbalancing:DeleteLoadBalancer",
      resource: elb(ALB, "us-east-1"),
      context: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "prod" },
      expect: "ImplicitlyDenied",
    },
    {
      what: "delete an ALB in another account",
      action: "elasticloadbalancing:DeleteLoadBalancer",
      resource: elb(ALB, REGION, OTHER_ACCOUNT),
      context: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "prod" },
      expect: "ImplicitlyDenied",
    },
    {
      what: "tag a new security group at creation",
      action: "ec2:CreateTags",
      resource: ec2(SG),
      context: { "ec2:CreateAction": "CreateSecurityGroup", "aws:RequestTag/elbv2.k8s.aws/cluster": "prod" },
      expect: "Allowed",
    },
    {
      what: "tag an existing security group it does not own",
      action: "ec2:CreateTags",
      resource: ec2(SG),
      context: { "aws:RequestTag/elbv2.k8s.aws/cluster": "prod" },
      expect: "ImplicitlyDenied",
    },
    {
      what: "delete this cluster's security group",
      action: "ec2:DeleteSecurityGroup",
      resource: ec2(SG),
      context: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "prod" },
      expect: "Allowed",
    },
    {
      what: "delete another cluster's security group",
      action: "ec2:DeleteSecurityGroup",
      resource: ec2(SG),
      context: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "staging" },
      expect: "ImplicitlyDenied",
    },
    {
      what: "register targets in this account's target group",
      action: "elasticloadbalancing:RegisterTargets",
      resource: elb("targetgroup/k8s-web/73e2d6bc24d8a067"),
      expect: "Allowed",
    },
    {
      what: "register targets in another account's target group",
      action: "elasticloadbalancing:RegisterTargets",
      resource: elb("targetgroup/k8s-web/73e2d6bc24d8a067", REGION, OTHER_ACCOUNT),
      expect: "ImplicitlyDenied",
    },
  ],
  "ebs-csi": [
    { what: "describe volumes (no resource-level permission)", action: "ec2:DescribeVolumes", resource: "*", expect: "Allowed" },
    {
      what: "create a driver-tagged volume",
      action: "ec2:CreateVolume",
      resource: ec2(VOL),
      context: { "aws:RequestTag/ebs.csi.aws.com/cluster": "true" },
      expect: "Allowed",
    },
    { what: "create an untagged volume", action: "ec2:CreateVolume", resource: ec2(VOL), expect: "ImplicitlyDenied" },
    {
      what: "create a driver-tagged volume in another region",
      action: "ec2:CreateVolume",
      resource: ec2(VOL, "us-east-1"),
      context: { "aws:RequestTag/ebs.csi.aws.com/cluster": "true" },
      expect: "ImplicitlyDenied",
    },
    {
      what: "delete a driver-tagged volume",
      action: "ec2:DeleteVolume",
      resource: ec2(VOL),
      context: { "ec2:ResourceTag/ebs.csi.aws.com/cluster": "true" },
      expect: "Allowed",
    },
    {
      what: "delete a volume the driver did not create",
      action: "ec2:DeleteVolume",
      resource: ec2(VOL),
      context: { "ec2:ResourceTag/Name": "database" },
      expect: "ImplicitlyDenied",
    },
    { what: "attach a volume in this account", action: "ec2:AttachVolume", resource: ec2(VOL), expect: "Allowed" },
    { what: "attach a volume in another account", action: "ec2:AttachVolume", resource: ec2(VOL, REGION, OTHER_ACCOUNT), expect: "ImplicitlyDenied" },
    { what: "tag a volume at creation", action: "ec2:CreateTags", resource: ec2(VOL), context: { "ec2:CreateAction": "CreateVolume" }, expect: "Allowed" },
    {
      what: "tag a security group at creation",
      action: "ec2:CreateTags",
      resource: ec2(SG),
      context: { "ec2:CreateAction": "CreateSecurityGroup" },
      expect: "ImplicitlyDenied",
    },
    { what: "grant its KMS key to EBS", action: "kms:CreateGrant", resource: KEY, context: { "kms:GrantIsForAWSResource": "true" }, expect: "Allowed" },
    {
      what: "grant its KMS key to a principal, not a service",
      action: "kms:CreateGrant",
      resource: KEY,
      context: { "kms:GrantIsForAWSResource": "false" },
      expect: "ImplicitlyDenied",
    },
    { what: "decrypt with another KMS key", action: "kms:Decrypt", resource: OTHER_KEY, expect: "ImplicitlyDenied" },
  ],
  "efs-csi": [
    {
      what: "create a tagged access point on its file system",
      action: "elasticfilesystem:CreateAccessPoint",
      resource: FS,
      context: { "aws:RequestTag/efs.csi.aws.com/cluster": "true" },
      expect: "Allowed",
    },
    {
      what: "create a tagged access point on another file system",
      action: "elasticfilesystem:CreateAccessPoint",
      resource: OTHER_FS,
      context: { "aws:RequestTag/efs.csi.aws.com/cluster": "true" },
      expect: "ImplicitlyDenied",
    },
    { what: "create an untagged access point", action: "elasticfilesystem:CreateAccessPoint", resource: FS, expect: "ImplicitlyDenied" },
    { what: "describe its file system", action: "elasticfilesystem:DescribeFileSystems", resource: FS, expect: "Allowed" },
    { what: "describe another file system", action: "elasticfilesystem:DescribeFileSystems", resource: OTHER_FS, expect: "ImplicitlyDenied" },
    {
      what: "delete a driver-tagged access point",
      action: "elasticfilesystem:DeleteAccessPoint",
      resource: `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:access-point/fsap-0123456789abcdef0`,
      context: { "aws:ResourceTag/efs.csi.aws.com/cluster": "true" },
      expect: "Allowed",
    },
    {
      what: "delete an access point the driver did not create",
      action: "elasticfilesystem:DeleteAccessPoint",
      resource: `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:access-point/fsap-0123456789abcdef0`,
      expect: "ImplicitlyDenied",
    },
  ],
  "external-dns": [
    { what: "change records in its zone", action: "route53:ChangeResourceRecordSets", resource: ZONE, expect: "Allowed" },
    { what: "change records in another zone", action: "route53:ChangeResourceRecordSets", resource: OTHER_ZONE, expect: "ImplicitlyDenied" },
    { what: "list hosted zones (no resource-level permission)", action: "route53:ListHostedZones", resource: "*", expect: "Allowed" },
  ],
  "cert-manager": [
    {
      what: "write a TXT challenge in its zone",
      action: "route53:ChangeResourceRecordSets",
      resource: ZONE,
      context: { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
      expect: "Allowed",
    },
    {
      what: "write an A record in its zone",
      action: "route53:ChangeResourceRecordSets",
      resource: ZONE,
      context: { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT", "A"] },
      expect: "ImplicitlyDenied",
    },
    {
      what: "write a TXT challenge in another zone",
      action: "route53:ChangeResourceRecordSets",
      resource: OTHER_ZONE,
      context: { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
      expect: "ImplicitlyDenied",
    },
    { what: "poll a change", action: "route53:GetChange", resource: "arn:aws:route53:::change/C2682N5HXP0BZ4", expect: "Allowed" },
  ],
  "cluster-autoscaler": [
    {
      what: "scale a group owned by the first cluster",
      action: "autoscaling:SetDesiredCapacity",
      resource: ASG(),
      context: { "autoscaling:ResourceTag/k8s.io/cluster-autoscaler/prod": "owned" },
      expect: "Allowed",
    },
    {
      what: "scale a group owned by the second cluster",
      action: "autoscaling:SetDesiredCapacity",
      resource: ASG(),
      context: { "autoscaling:ResourceTag/k8s.io/cluster-autoscaler/stage": "owned" },
      expect: "Allowed",
    },
    {
      what: "scale a group owned by another cluster",
      action: "autoscaling:SetDesiredCapacity",
      resource: ASG(),
      context: { "autoscaling:ResourceTag/k8s.io/cluster-autoscaler/other": "owned" },
      expect: "ImplicitlyDenied",
    },
    { what: "terminate in an untagged group", action: "autoscaling:TerminateInstanceInAutoScalingGroup", resource: ASG(), expect: "ImplicitlyDenied" },
    {
      what: "scale an owned group in another account",
      action: "autoscaling:SetDesiredCapacity",
      resource: ASG(OTHER_ACCOUNT),
      context: { "autoscaling:ResourceTag/k8s.io/cluster-autoscaler/prod": "owned" },
      expect: "ImplicitlyDenied",
    },
    {
      what: "describe a node group of its cluster",
      action: "eks:DescribeNodegroup",
      resource: `arn:aws:eks:${REGION}:${ACCOUNT}:nodegroup/prod/ng1/a1b2c3d4-0000-1111-2222-333344445555`,
      expect: "Allowed",
    },
    {
      what: "describe a node group of another cluster",
      action: "eks:DescribeNodegroup",
      resource: `arn:aws:eks:${REGION}:${ACCOUNT}:nodegroup/other/ng1/a1b2c3d4-0000-1111-2222-333344445555`,
      expect: "ImplicitlyDenied",
    },
  ],
  "external-secrets": [
    {
      what: "read its secret",
      action: "secretsmanager:GetSecretValue",
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:team/app-AbCdEf`,
      expect: "Allowed",
    },
    {
      what: "read another secret",
      action: "secretsmanager:GetSecretValue",
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:team/other-AbCdEf`,
      expect: "ImplicitlyDenied",
    },
    { what: "read its parameter", action: "ssm:GetParameter", resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/team/app/db-password`, expect: "Allowed" },
    {
      what: "read another parameter",
      action: "ssm:GetParameter",
      resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/team/billing/db-password`,
      expect: "ImplicitlyDenied",
    },
    {
      what: "decrypt through Secrets Manager",
      action: "kms:Decrypt",
      resource: KEY,
      context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` },
      expect: "Allowed",
    },
    { what: "decrypt directly", action: "kms:Decrypt", resource: KEY, expect: "ImplicitlyDenied" },
    {
      what: "decrypt through Secrets Manager with another key",
      action: "kms:Decrypt",
      resource: OTHER_KEY,
      context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` },
      expect: "ImplicitlyDenied",
    },
    {
      what: "batch-get secrets (no resource-level permission; each value still needs GetSecretValue)",
      action: "secretsmanager:BatchGetSecretValue",
      resource: "*",
      expect: "Allowed",
    },
    {
      what: "write a secret",
      action: "secretsmanager:PutSecretValue",
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:team/app-AbCdEf`,
      expect: "ImplicitlyDenied",
    },
  ],
  velero: [
    { what: "write a backup object", action: "s3:PutObject", resource: "arn:aws:s3:::acme-velero-backups/backups/daily/velero-backup.json", expect: "Allowed" },
    {
      what: "write to another bucket",
      action: "s3:PutObject",
      resource: "arn:aws:s3:::acme-data/backups/daily/velero-backup.json",
      expect: "ImplicitlyDenied",
    },
    { what: "list its bucket", action: "s3:ListBucket", resource: "arn:aws:s3:::acme-velero-backups", expect: "Allowed" },
    { what: "list another bucket", action: "s3:ListBucket", resource: "arn:aws:s3:::acme-data", expect: "ImplicitlyDenied" },
    { what: "snapshot a volume in its region", action: "ec2:CreateSnapshot", resource: ec2(VOL), expect: "Allowed" },
    { what: "snapshot a volume in another region", action: "ec2:CreateSnapshot", resource: ec2(VOL, "us-east-1"), expect: "ImplicitlyDenied" },
    {
      what: "delete a snapshot in its region",
      action: "ec2:DeleteSnapshot",
      resource: `arn:aws:ec2:${REGION}::snapshot/snap-0123456789abcdef0`,
      expect: "Allowed",
    },
  ],
};

const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/addon-role/eks-prod-pod`;

function render(name: AddonPolicy["name"]) {
  return addonPolicyDocument(addonPolicySchema.parse(EXAMPLES[name]), ctx);
}

describe.each(ADDON_NAMES.map((name) => [name]))("add-on %s", (name) => {
  it.each(CASES[name].map((c) => [c.expect, c.what, c]))("%s: %s", async (_e, _w, c) => {
    const call = await simulate({
      principal: SESSION,
      action: c.action,
      resource: c.resource,
      resourceAccount: ACCOUNT,
      identityPolicies: [render(name)],
      resourcePolicy: c.action.startsWith("kms:") ? DEFAULT_KEY_POLICY : undefined,
      context: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/addon-role`, "aws:PrincipalAccount": ACCOUNT, ...(c.context ?? {}) },
    });
    expect(call.ignoredContextKeys.filter((k) => !k.startsWith("aws:Principal"))).toEqual([]);
    expect(call.decision).toBe(c.expect);
  });

  it("has both allowed and denied cases", () => {
    const decisions = new Set(CASES[name].map((c) => c.expect));
    expect(decisions.has("Allowed") && decisions.has("ImplicitlyDenied")).toBe(true);
  });

  it("renders deterministically, as valid JSON", () => {
    const a = JSON.stringify(render(name));
    const b = JSON.stringify(addonPolicyDocument(addonPolicySchema.parse(structuredClone(EXAMPLES[name])), ctx));
    expect(a).toBe(b);
    expect(JSON.parse(a)).toEqual(render(name));
    const sids = render(name).Statement.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
  });

  const size = JSON.stringify(render(name)).length;
  it(`fits the 10,240-character inline policy limit (${size} characters minified)`, () => {
    expect(size).toBeLessThan(10_240);
  });

  it('uses Resource "*" only for actions IAM cannot scope, and scopes every action it can', async () => {
    for (const statement of render(name).Statement) {
      const actions = [statement.Action].flat() as string[];
      for (const action of actions) {
        const [service, verb] = action.split(":") as [string, string];
        if (verb.includes("*")) continue; // wildcard verbs (kms:ReEncrypt*) are on scoped key ARNs
        const wildcardOnly = await isWildcardOnlyAction(service, verb);
        expect(wildcardOnly, `${statement.Sid} ${action}`).toBe(statement.Resource === "*");
      }
      expect(statement.Resource === "*", String(statement.Sid)).toBe(String(statement.Sid).endsWith("NoResourceLevel"));
    }
  });
});

describe("add-on schema", () => {
  it("lists every add-on of the union", () => {
    expect([...ADDON_NAMES].sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it("rejects unknown fields, bad ARNs, duplicates and missing scopes, with the path", () => {
    const issues = (input: unknown) => {
      const r = addonPolicySchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(issues({ name: "external-dns", hostedZoneArns: [ZONE], zones: [] })).toEqual([': Unrecognized key: "zones"']);
    expect(issues({ name: "external-dns", hostedZoneArns: ["Z0123456789ABCDEFGHIJ"] })).toEqual([
      "hostedZoneArns.0: must be an ARN like arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
    ]);
    expect(issues({ name: "cert-manager", hostedZoneArns: [ZONE, ZONE] })).toEqual(["hostedZoneArns: must not contain duplicates"]);
    expect(issues({ name: "cert-manager", hostedZoneArns: [] })).toHaveLength(1);
    expect(issues({ name: "external-secrets", kmsKeyArns: [KEY] })).toEqual([": external-secrets needs secretArns or parameterArns (or both)"]);
    expect(issues({ name: "cluster-autoscaler", clusterNames: ["-bad"] })[0]).toMatch(/^clusterNames\.0: must be an EKS cluster name/);
    expect(issues({ name: "karpenter" })).toHaveLength(1);
    expect(issues({ name: "velero", bucketArns: ["arn:aws-cn:s3:::acme-velero-backups"] })).toEqual([]);
  });

  it("produces a JSON Schema with a description on every field", () => {
    const schema = z.toJSONSchema(addonPolicySchema) as { oneOf: { properties: Record<string, { description?: string; const?: string }> }[] };
    expect(schema.oneOf).toHaveLength(ADDON_NAMES.length);
    for (const option of schema.oneOf) {
      for (const [field, property] of Object.entries(option.properties)) {
        if (field === "name") expect(ADDON_NAMES).toContain(property.const);
        else expect(property.description, field).toBeTruthy();
      }
    }
  });

  it("with several regions (a role serving clusters in each), allows each of them and no other", async () => {
    const doc = addonPolicyDocument(addonPolicySchema.parse(EXAMPLES.velero), { ...ctx, regions: [REGION, "us-east-1"] });
    expect(doc.Statement.map((s) => s.Sid)).toEqual(render("velero").Statement.map((s) => s.Sid));
    const decide = async (region: string) =>
      (
        await simulate({
          principal: SESSION,
          action: "ec2:CreateSnapshot",
          resource: ec2(VOL, region),
          resourceAccount: ACCOUNT,
          identityPolicies: [doc],
          context: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/addon-role`, "aws:PrincipalAccount": ACCOUNT },
        })
      ).decision;
    expect([await decide(REGION), await decide("us-east-1"), await decide("eu-central-1")]).toEqual(["Allowed", "Allowed", "ImplicitlyDenied"]);
    expect(addonPolicyDocument(addonPolicySchema.parse(EXAMPLES.velero), { ...ctx, regions: [REGION] })).toEqual(render("velero"));
  });

  it("scopes created resources to the context's partition, region and account", () => {
    const gov = addonPolicyDocument({ name: "ebs-csi" }, { partition: "aws-us-gov", accountId: "123456789012", region: "us-gov-west-1" });
    const resources = gov.Statement.flatMap((s) => [s.Resource ?? []].flat());
    expect(resources.filter((r) => r !== "*").every((r) => r.startsWith("arn:aws-us-gov:ec2:us-gov-west-1:"))).toBe(true);
    expect(resources).toContain("arn:aws-us-gov:ec2:us-gov-west-1:123456789012:volume/*");
  });
});
