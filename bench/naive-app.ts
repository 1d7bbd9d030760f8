// Baseline (b): the cdktf app a user would write from the cdktf documentation for the same estate: the
// package-root import, one stack per cluster account with an aliased provider per account, and per service
// account a Pod Identity role, its inline permission policy, a target role and the association, wired with
// resource references (tokens) and JSON.stringify'd policies. Run: BENCH_WORKLOAD=… CDKTF_OUTDIR=… tsx bench/naive-app.ts
import * as aws from "@cdktf/provider-aws";
import { App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { chainPermission, perAccount, podIdentityTrust, providerConfig, stackAssociations, targetTrust } from "./lib/baseline-parts";
import { readWorkloadFromEnv } from "./lib/workload-file";
import type { Workload, WorkloadAccount } from "./workload";

class PodIdentityStack extends TerraformStack {
  constructor(scope: Construct, id: string, workload: Workload, clusterAccount: WorkloadAccount) {
    super(scope, id);
    const providerFor = perAccount((account) => new aws.provider.AwsProvider(this, `aws-${account.key}`, providerConfig(account)));
    const clusterProvider = providerFor(clusterAccount);

    for (const { association: a, cluster, target } of stackAssociations(workload, clusterAccount)) {
      const targetProvider = providerFor(target);

      const podRole = new aws.iamRole.IamRole(this, `${a.key}-pod-identity-role`, {
        provider: clusterProvider,
        name: a.podIdentityRoleName,
        assumeRolePolicy: podIdentityTrust(),
      });

      const targetRole = new aws.iamRole.IamRole(this, `${a.key}-target-role`, {
        provider: targetProvider,
        name: a.targetRoleName,
        assumeRolePolicy: targetTrust(a, cluster, clusterAccount.id, podRole.arn),
      });

      const permission = new aws.iamRolePolicy.IamRolePolicy(this, `${a.key}-assume-target`, {
        provider: clusterProvider,
        role: podRole.name,
        name: "assume-target-role",
        policy: chainPermission(targetRole.arn),
      });

      new aws.eksPodIdentityAssociation.EksPodIdentityAssociation(this, `${a.key}-association`, {
        provider: clusterProvider,
        clusterName: cluster.name,
        namespace: a.namespace,
        serviceAccount: a.serviceAccount,
        roleArn: podRole.arn,
        targetRoleArn: targetRole.arn,
        dependsOn: [permission],
      });
    }
  }
}

const workload = readWorkloadFromEnv();
const app = new App();
for (const account of workload.clusterAccounts) {
  new PodIdentityStack(app, account.key, workload, account);
}
app.synth();
