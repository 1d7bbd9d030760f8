// What the baselines (the naive app, the direct app and the floor) write alike: each stack's associations,
// the aliased provider of each account, and the chain's three policy documents. One definition, so that the
// three write the same resources. An ARN may be a literal or a cdktf token.
import { indexWorkload, type Workload, type WorkloadAccount, type WorkloadAssociation, type WorkloadCluster } from "../workload";

/** One stack's associations (those whose cluster is in `clusterAccount`), with their cluster and target account. */
export function stackAssociations(
  w: Workload,
  clusterAccount: WorkloadAccount,
): { association: WorkloadAssociation; cluster: WorkloadCluster; target: WorkloadAccount }[] {
  const idx = indexWorkload(w);
  return w.associations
    .filter((association) => idx.cluster(association.cluster).accountKey === clusterAccount.key)
    .map((association) => ({ association, cluster: idx.cluster(association.cluster), target: idx.account(association.targetAccountKey) }));
}

/** `make(account)`, made on the first call for each account (a stack's aliased providers). */
export function perAccount<T>(make: (account: WorkloadAccount) => T): (account: WorkloadAccount) => T {
  const made = new Map<string, T>();
  return (account) => {
    if (!made.has(account.key)) made.set(account.key, make(account));
    return made.get(account.key)!;
  };
}

/** An account's aliased provider, as cdktf's binding takes it: the deployer role assumed in the account. */
export function providerConfig(account: WorkloadAccount): { alias: string; region: string; assumeRole: { roleArn: string; sessionName: string }[] } {
  return { alias: account.key, region: account.region, assumeRole: [{ roleArn: roleArn(account.id, "deployer"), sessionName: "cdktf" }] };
}

/** A role's ARN from its account and name (the baselines' roles have the default path). */
export function roleArn(accountId: string, name: string): string {
  return `arn:aws:iam::${accountId}:role/${name}`;
}

/** The Pod Identity role's trust: EKS Pod Identity may assume it and tag the session. */
export function podIdentityTrust(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
  });
}

/** The target role's trust: the cluster account, narrowed to the Pod Identity role and the pod's session tags. */
export function targetTrust(a: WorkloadAssociation, cluster: WorkloadCluster, clusterAccountId: string, podIdentityRoleArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${clusterAccountId}:root` },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          ArnEquals: { "aws:PrincipalARN": podIdentityRoleArn },
          StringEquals: {
            "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:${cluster.region}:${clusterAccountId}:cluster/${cluster.name}`,
            "aws:RequestTag/kubernetes-namespace": a.namespace,
            "aws:RequestTag/kubernetes-service-account": a.serviceAccount,
          },
        },
      },
    ],
  });
}

/** The Pod Identity role's permission to chain into the target role. */
export function chainPermission(targetRoleArn: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: targetRoleArn }] });
}
