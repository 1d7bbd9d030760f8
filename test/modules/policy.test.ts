import { describe, expect, it } from "vitest";
import { partitionForRegion, parseRoleArn, roleArn } from "../../modules/policy/arn";
import { PolicyDocument } from "../../modules/policy/document";
import { chainPermissionStatement } from "../../modules/policy/permission";
import { policySize } from "../../modules/policy/size";
import { PolicyStatement } from "../../modules/policy/statement";
import { podIdentityExternalId, podIdentityTrustStatements, targetTrustStatements, type TargetTrustGrant } from "../../modules/policy/trust";

const PI = "arn:aws:iam::111111111111:role/hub";
const grant = (over: Partial<TargetTrustGrant> = {}): TargetTrustGrant => ({
  partition: "aws",
  region: "eu-west-1",
  clusterAccountId: "111111111111",
  clusterName: "prod",
  namespace: "pay",
  serviceAccount: "api",
  podIdentityRoleArn: PI,
  sessionTags: true,
  ...over,
});
const doc = (...grants: TargetTrustGrant[]) => new PolicyDocument().addStatements(...grants.flatMap(targetTrustStatements)).toDocumentJson();

describe("ARNs and partitions", () => {
  it("derives the partition from the region", () => {
    expect([partitionForRegion("eu-west-1"), partitionForRegion("cn-north-1"), partitionForRegion("us-gov-west-1")]).toEqual(["aws", "aws-cn", "aws-us-gov"]);
  });
  it("builds and parses role ARNs with paths", () => {
    const arn = roleArn("aws-cn", "111111111111", "/a/b/", "r");
    expect(arn).toBe("arn:aws-cn:iam::111111111111:role/a/b/r");
    expect(parseRoleArn(arn)).toEqual({ partition: "aws-cn", account: "111111111111", path: "/a/b/", name: "r" });
  });
});

describe("trust forms", () => {
  it("session tags on: account root, aws:PrincipalARN and the three request tags", () => {
    expect(doc(grant()).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          ArnEquals: { "aws:PrincipalARN": PI },
          StringEquals: {
            "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:111111111111:cluster/prod",
            "aws:RequestTag/kubernetes-namespace": "pay",
            "aws:RequestTag/kubernetes-service-account": "api",
          },
        },
      },
    ]);
  });

  it("session tags off: AssumeRole with the external id, and a separate TagSession statement", () => {
    expect(podIdentityExternalId(grant())).toBe("eu-west-1/111111111111/prod/pay/api");
    expect(doc(grant({ sessionTags: false })).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Action: "sts:AssumeRole",
        Condition: { ArnEquals: { "aws:PrincipalARN": PI }, StringEquals: { "sts:ExternalId": "eu-west-1/111111111111/prod/pay/api" } },
      },
      { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "sts:TagSession", Condition: { ArnEquals: { "aws:PrincipalARN": PI } } },
    ]);
  });

  it("role-principal (older) form names the Pod Identity role as principal, without aws:PrincipalARN", () => {
    const [s] = doc(grant({ form: "role-principal" })).Statement;
    expect(s!.Principal).toEqual({ AWS: PI });
    expect(s!.Condition!.ArnEquals).toBeUndefined();
  });

  it("Pod Identity role trust: the pods service, optionally narrowed", () => {
    const plain = new PolicyDocument().addStatements(...podIdentityTrustStatements()).toDocumentJson();
    expect(plain.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }]);
    const narrowed = new PolicyDocument()
      .addStatements(
        ...podIdentityTrustStatements({
          sourceAccount: "111111111111",
          serviceAccounts: [
            { namespace: "a", serviceAccount: "x" },
            { namespace: "a", serviceAccount: "y" },
          ],
        }),
      )
      .toDocumentJson();
    expect(narrowed.Statement).toHaveLength(1);
    expect(narrowed.Statement[0]!.Condition).toEqual({
      StringEquals: {
        "aws:RequestTag/kubernetes-namespace": "a",
        "aws:RequestTag/kubernetes-service-account": ["x", "y"],
        "aws:SourceAccount": "111111111111",
      },
    });
  });
});

describe("merge rule", () => {
  it("merges associations that differ in one condition key only", () => {
    const s = doc(grant({ serviceAccount: "api" }), grant({ serviceAccount: "worker" })).Statement;
    expect(s).toHaveLength(1);
    expect(s[0]!.Condition!.StringEquals!["aws:RequestTag/kubernetes-service-account"]).toEqual(["api", "worker"]);
  });

  it("does not merge (namespace A, sa X) with (namespace B, sa Y): that would also allow (A, Y)", () => {
    const s = doc(grant({ namespace: "a", serviceAccount: "x" }), grant({ namespace: "b", serviceAccount: "y" })).Statement;
    expect(s).toHaveLength(2);
    const pairs = s.map((st) => [
      st.Condition!.StringEquals!["aws:RequestTag/kubernetes-namespace"],
      st.Condition!.StringEquals!["aws:RequestTag/kubernetes-service-account"],
    ]);
    expect(pairs).toEqual([
      ["a", "x"],
      ["b", "y"],
    ]);
  });

  it("merges external ids for one Pod Identity role and deduplicates the TagSession statement", () => {
    const s = doc(grant({ sessionTags: false, serviceAccount: "x" }), grant({ sessionTags: false, serviceAccount: "y" })).Statement;
    expect(s).toHaveLength(2);
    expect(s[0]!.Condition!.StringEquals!["sts:ExternalId"]).toEqual(["eu-west-1/111111111111/prod/pay/x", "eu-west-1/111111111111/prod/pay/y"]);
  });

  it("keeps different clusters' Pod Identity roles apart when two keys differ", () => {
    const other = grant({ clusterName: "staging", podIdentityRoleArn: "arn:aws:iam::111111111111:role/other" });
    expect(doc(grant(), other).Statement).toHaveLength(2);
  });

  it("renders the same JSON whatever the order statements were added in", () => {
    const gs = [grant({ serviceAccount: "c" }), grant({ namespace: "z" }), grant({ sessionTags: false }), grant({ serviceAccount: "a" })];
    expect(JSON.stringify(doc(...gs))).toBe(JSON.stringify(doc(...[...gs].reverse())));
  });

  it("never merges negated operators or statements with a Sid", () => {
    const a = new PolicyStatement({ actions: ["s3:GetObject"], resources: ["*"] }).addCondition("StringNotEquals", "aws:PrincipalTag/t", "a");
    const b = new PolicyStatement({ actions: ["s3:GetObject"], resources: ["*"] }).addCondition("StringNotEquals", "aws:PrincipalTag/t", "b");
    const c = new PolicyStatement({ sid: "One", actions: ["s3:PutObject"], resources: ["*"] });
    const d = new PolicyStatement({ sid: "Two", actions: ["s3:PutObject"], resources: ["arn:aws:s3:::b/*"] });
    expect(new PolicyDocument().addStatements(a, b, c, d).toDocumentJson().Statement).toHaveLength(4);
  });
});

describe("statements and documents", () => {
  it("freezes statements when rendered", () => {
    const s = new PolicyStatement({ actions: ["sts:AssumeRole"] });
    new PolicyDocument().addStatements(s).toDocumentJson();
    expect(() => s.addActions("sts:TagSession")).toThrow(/frozen/);
  });

  it("the chain permission is exactly AssumeRole + TagSession on the exact target ARNs", () => {
    const json = new PolicyDocument()
      .addStatements(chainPermissionStatement(["arn:aws:iam::2:role/b", "arn:aws:iam::2:role/a"]), chainPermissionStatement(["arn:aws:iam::2:role/a"]))
      .toDocumentJson();
    expect(json).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: ["arn:aws:iam::2:role/a", "arn:aws:iam::2:role/b"] }],
    });
  });

  it("measures the minified size", () => {
    const d = new PolicyDocument().addStatements(chainPermissionStatement(["arn:aws:iam::222222222222:role/x"])).toDocumentJson();
    expect(policySize(d)).toBe(JSON.stringify(d).length);
    expect(JSON.stringify(d)).not.toMatch(/\s/);
  });
});
