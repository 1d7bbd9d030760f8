// Baseline (d), direct: the same resources as the naive app, through cdktf with nothing in the way: deep
// imports of the four binding classes (as modules/aws.ts does), literal names and ARNs (no references, so no
// tokens of its own), `depends_on` written as the literal address. What cdktf itself costs for this estate, as
// it ships: the gap between it and ours is what this project's workarounds save, the gap between it and the
// floor is cdktf's. Run: BENCH_WORKLOAD=… CDKTF_OUTDIR=… node bin/run-ts.cjs bench/direct-app.ts
import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { chainPermission, perAccount, podIdentityTrust, providerConfig, roleArn, stackAssociations, targetTrust } from "./lib/baseline-parts";
import { readWorkloadFromEnv } from "./lib/workload-file";
import type { Workload, WorkloadAccount } from "./workload";

class PodIdentityStack extends TerraformStack {
  constructor(scope: Construct, id: string, workload: Workload, clusterAccount: WorkloadAccount) {
    super(scope, id);
    const providerFor = perAccount((account) => new AwsProvider(this, `aws-${account.key}`, providerConfig(account)));
    const clusterProvider = providerFor(clusterAccount);

    for (const { association: a, cluster, target } of stackAssociations(workload, clusterAccount)) {
      const podRoleArn = roleArn(clusterAccount.id, a.podIdentityRoleName);
      const targetRoleArn = roleArn(target.id, a.targetRoleName);

      new IamRole(this, `${a.key}-pod-identity-role`, { provider: clusterProvider, name: a.podIdentityRoleName, assumeRolePolicy: podIdentityTrust() });
      new IamRole(this, `${a.key}-target-role`, {
        provider: providerFor(target),
        name: a.targetRoleName,
        assumeRolePolicy: targetTrust(a, cluster, clusterAccount.id, podRoleArn),
      });
      const permission = new IamRolePolicy(this, `${a.key}-assume-target`, {
        provider: clusterProvider,
        role: a.podIdentityRoleName,
        name: "assume-target-role",
        policy: chainPermission(targetRoleArn),
      });
      const association = new EksPodIdentityAssociation(this, `${a.key}-association`, {
        provider: clusterProvider,
        clusterName: cluster.name,
        namespace: a.namespace,
        serviceAccount: a.serviceAccount,
        roleArn: podRoleArn,
        targetRoleArn,
      });
      association.addOverride("depends_on", [`aws_iam_role_policy.${permission.friendlyUniqueId}`]);
    }
  }
}

const workload = readWorkloadFromEnv();
const app = new App();
for (const account of workload.clusterAccounts) {
  new PodIdentityStack(app, account.key, workload, account);
}
app.synth();
