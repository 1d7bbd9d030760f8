// The chain's three policy documents as the baselines write them (the naive app, the direct app and the floor):
// one definition, so that the three write the same resources. An ARN may be a literal or a cdktf token.
import type { WorkloadAssociation, WorkloadCluster } from "../workload";

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
