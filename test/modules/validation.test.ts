// One test per validation rule, each asserting the message a user sees.
import { describe, expect, it } from "vitest";
import { PodIdentityChain, type PodIdentityChainProps } from "../../modules/chain";
import { PodIdentityRole } from "../../modules/pod-identity-role";
import { createAccountProvider } from "../../modules/providers";
import { TargetRole } from "../../modules/target-role";
import { CLUSTER, errorsOf, fixture } from "./helpers";

function chainErrors(over: Partial<PodIdentityChainProps>): string[] {
  const { stack, platform, data } = fixture();
  new PodIdentityChain(stack, "app", {
    cluster: CLUSTER,
    namespace: "payments",
    serviceAccount: "api",
    podIdentityRole: { name: "pi" },
    targetRole: { accountId: data.accountId, name: "t" },
    providers: { cluster: platform.provider, target: data.provider },
    ...over,
  });
  return errorsOf(stack);
}

const AT = 'association "app" (cluster "prod-eu", account 111111111111)';

describe("validation rules", () => {
  it("12-digit account ids", () => {
    const { stack } = fixture();
    createAccountProvider(stack, "bad", { accountId: "12345", region: "eu-west-1" });
    expect(errorsOf(stack)).toEqual([
      'account "bad": accountId: "12345" is not an AWS account id: it must be exactly 12 digits (quote it in YAML so leading zeros are kept)',
    ]);
  });

  it("ARNs in the aws, aws-cn and aws-us-gov partitions", () => {
    const { stack, data } = fixture();
    new TargetRole(stack, "t", {
      account: data,
      name: "t",
      permissionsBoundary: "arn:aws-foo:iam::222222222222:policy/b",
      managedPolicyArns: ["arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"],
    });
    expect(errorsOf(stack)).toContain(
      'target role "t" (account 222222222222): permissionsBoundary: "arn:aws-foo:iam::222222222222:policy/b" has partition "aws-foo": use one of aws, aws-cn, aws-us-gov',
    );
    // A well-formed ARN of another partition than the role's account is refused too: ARNs never cross partitions.
    expect(errorsOf(stack).filter((e) => e.includes("managedPolicyArns"))).toEqual([
      'target role "t" (account 222222222222): managedPolicyArns[0]: "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess" is in the aws-us-gov partition, but account 222222222222 is in aws; ARNs never cross partitions: use the ARN in aws (arn:aws:…)',
    ]);
  });

  it("bring-your-own role ARN in another account than declared", () => {
    const { stack, data } = fixture();
    new TargetRole(stack, "t", { account: data, existingRoleArn: "arn:aws:iam::333333333333:role/x" });
    expect(errorsOf(stack)).toContain(
      'target role "t" (account 222222222222): existingRoleArn: "arn:aws:iam::333333333333:role/x" is in account 333333333333, but it is used with account 222222222222; fix the ARN or the account',
    );
  });

  it("Kubernetes namespace (DNS-1123 label)", () => {
    expect(chainErrors({ namespace: "Payments_NS" })).toEqual([
      `${AT}: namespace: "Payments_NS" is not a valid Kubernetes namespace: it must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)`,
    ]);
    expect(chainErrors({ namespace: "a".repeat(64) })).toEqual([
      `${AT}: namespace: "${"a".repeat(64)}" is not a valid Kubernetes namespace: it must be 1 to 63 characters (got 64)`,
    ]);
  });

  it("Kubernetes service account (DNS-1123 subdomain)", () => {
    expect(chainErrors({ serviceAccount: "api..v2" })).toEqual([
      `${AT}: serviceAccount: "api..v2" is not a valid Kubernetes service account name: it must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit)`,
    ]);
  });

  it("cluster names", () => {
    const errors = chainErrors({
      cluster: { ...CLUSTER, name: "-prod" },
      podIdentityRole: { name: "pi" },
      targetRole: { accountId: "222222222222", name: "t" },
    });
    expect(errors).toContain(
      `association "app" (cluster "-prod", account 111111111111): cluster.name: "-prod" is not a valid EKS cluster name: it must start with a letter or digit and contain only letters, digits, '-' and '_'`,
    );
  });

  it("IAM role names (at most 64 characters), including derived ones", () => {
    const long = "n".repeat(65);
    expect(chainErrors({ podIdentityRole: { name: long } })).toEqual([
      `Pod Identity role "app-pod-identity" (account 111111111111): name: "${long}" is not a valid IAM role name: it must be 1 to 64 characters (got 65); choose a shorter name`,
    ]);
    const errors = chainErrors({ namespace: "a".repeat(40), serviceAccount: "b".repeat(30), podIdentityRole: {} });
    expect(errors[0]).toMatch(
      /^Pod Identity role "app-pod-identity" \(account 111111111111\): name: ".*" is not a valid IAM role name: it must be 1 to 64 characters \(got 79\); choose a shorter name \(this name was derived; set name explicitly, at most 64 characters\)$/,
    );
  });

  it("IAM role paths", () => {
    expect(chainErrors({ podIdentityRole: { name: "pi", path: "pi/" } })).toEqual([
      'Pod Identity role "app-pod-identity" (account 111111111111): path: "pi/" is not a valid IAM path: it must be "/" or start and end with "/" (for example /pod-identity/), printable ASCII, no "//"',
    ]);
  });

  it("duplicate (cluster, namespace, service account)", () => {
    const { stack, platform } = fixture();
    for (const id of ["first", "second"]) {
      new PodIdentityChain(stack, id, {
        cluster: CLUSTER,
        namespace: "a",
        serviceAccount: "b",
        podIdentityRole: { name: id },
        providers: { cluster: platform.provider },
      });
    }
    expect(errorsOf(stack)).toEqual([
      'association "second" (cluster "prod-eu", account 111111111111): serviceAccount: "a/b" in cluster "prod-eu" already has an association (association "first"); EKS allows one association per service account: remove one or use another service account',
    ]);
  });

  it("more than 5,000 associations on one cluster", () => {
    const { stack, platform } = fixture();
    const hub = new PodIdentityRole(stack, "hub", { account: platform, name: "hub" });
    for (let i = 0; i <= 5000; i++) {
      new PodIdentityChain(stack, `c${i}`, {
        cluster: CLUSTER,
        namespace: "ns",
        serviceAccount: `sa-${i}`,
        podIdentityRole: hub,
        providers: { cluster: platform.provider },
      });
    }
    expect(errorsOf(stack)).toEqual([
      'cluster "prod-eu" (account 111111111111): associations: 5001 associations, more than EKS\'s limit of 5000 per cluster (not adjustable); spread the workloads over more clusters or share service accounts',
    ]);
  });

  it("a session policy with session tags on", () => {
    const sessionPolicy = { Version: "2012-10-17" as const, Statement: [{ Effect: "Allow" as const, Action: "s3:ListBucket", Resource: "*" }] };
    expect(chainErrors({ sessionPolicy })).toEqual([
      `${AT}: sessionPolicy: a session policy requires session tags off (EKS rejects the combination); set sessionTags: false or remove the session policy`,
    ]);
  });

  it("a trust policy over the 2,048-character default, and the raised limit", () => {
    const build = (limit?: number) => {
      const { stack, platform, data } = fixture();
      const target = new TargetRole(stack, "shared", { account: data, name: "shared", trustPolicyMaxSize: limit });
      for (let i = 0; i < 6; i++) {
        new PodIdentityChain(stack, `c${i}`, {
          cluster: CLUSTER,
          namespace: `ns-${i}`,
          serviceAccount: `sa-${i}`,
          podIdentityRole: { name: `pi-${i}` },
          targetRole: target,
          providers: { cluster: platform.provider },
        });
      }
      return errorsOf(stack);
    };
    const errors = build();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^target role "shared" \(account 222222222222\): trust policy: \d{4} characters \(minified\), more than the limit of 2048; split the associations across more target roles, or raise trustPolicyMaxSize \(up to 4096\) after AWS raised your account's quota$/,
    );
    expect(build(4096)).toEqual([]);
    expect(build(5000)).toContain(
      "target role \"shared\" (account 222222222222): trustPolicyMaxSize: 5000 is not a valid trust policy size limit: use 2048 (IAM's default) up to 4096, and raise it only after AWS has raised your account's quota",
    );
  });

  it("more than 10 managed policies", () => {
    const managedPolicyArns = Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`);
    expect(chainErrors({ targetRole: { accountId: "222222222222", name: "t", managedPolicyArns } })).toEqual([
      'target role "app-target" (account 222222222222): managedPolicyArns: 11 managed policies are attached, more than IAM\'s default quota of 10 per role; merge some into an inline policy or ask AWS to raise the quota',
    ]);
  });

  it("inline policies over 10,240 characters per role", () => {
    const big = (n: number) => ({
      Version: "2012-10-17" as const,
      Statement: [{ Effect: "Allow" as const, Action: "s3:GetObject", Resource: Array.from({ length: n }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) }],
    });
    const errors = chainErrors({ targetRole: { accountId: "222222222222", name: "t", inlinePolicies: { a: big(200), b: big(200) } } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^target role "app-target" \(account 222222222222\): inlinePolicies: the inline policies total \d+ characters \(minified; a: \d+, b: \d+\), more than IAM's 10240 per role; move permissions into managed policies or split the role$/,
    );
  });

  it("a Pod Identity role outside the cluster's account", () => {
    const { stack, data } = fixture();
    const pi = new PodIdentityRole(stack, "wrong", { account: data, name: "wrong" });
    new PodIdentityChain(stack, "app", { cluster: CLUSTER, namespace: "a", serviceAccount: "b", podIdentityRole: pi, providers: { cluster: data.provider } });
    expect(errorsOf(stack)).toEqual([
      `association "app" (cluster "prod-eu", account 111111111111): podIdentityRole: Pod Identity role "wrong" is in account 222222222222, but cluster "prod-eu" is in account 111111111111; a Pod Identity role must be in its cluster's account (EKS checks iam:PassRole there): use a Pod Identity role of account 111111111111`,
    ]);
  });

  it("request-tag narrowing with session tags off", () => {
    const { stack, platform } = fixture();
    const pi = new PodIdentityRole(stack, "hub", { account: platform, name: "hub", restrictToServiceAccounts: true });
    new PodIdentityChain(stack, "app", {
      cluster: CLUSTER,
      namespace: "a",
      serviceAccount: "b",
      podIdentityRole: pi,
      sessionTags: false,
      providers: { cluster: platform.provider },
    });
    expect(errorsOf(stack)).toEqual([
      'association "app": sessionTags: Pod Identity role "hub" has restrictToServiceAccounts, which needs the kubernetes-namespace and kubernetes-service-account session tags EKS sends; keep session tags on, use another Pod Identity role, or turn restrictToServiceAccounts off',
    ]);
  });

  it("a target role no association uses", () => {
    const { stack, data } = fixture();
    new TargetRole(stack, "orphan", { account: data, name: "orphan" });
    expect(errorsOf(stack)).toEqual([
      'target role "orphan" (account 222222222222): trust policy: no association uses this role, so it would trust nobody (IAM rejects an empty trust policy); use it in an association or remove it',
    ]);
  });

  it("reports every problem together", () => {
    expect(chainErrors({ namespace: "Bad", serviceAccount: "Also_Bad", podIdentityRole: { name: "pi", path: "x" } })).toHaveLength(3);
  });
});
