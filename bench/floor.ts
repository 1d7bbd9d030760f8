// Baseline (c), the floor: the same Terraform JSON the naive app synthesizes (same stacks, providers,
// resources and cdktf metadata), built as plain objects and written with JSON.stringify. No constructs,
// no tokens: ARNs are written literally, as they are known from the names.
// Run: BENCH_WORKLOAD=… CDKTF_OUTDIR=… tsx bench/floor.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chainPermission, perAccount, podIdentityTrust, providerConfig, roleArn, stackAssociations, targetTrust } from "./lib/baseline-parts";
import { readWorkloadFromEnv } from "./lib/workload-file";

const CDKTF_VERSION = "0.21.0";
const AWS_PROVIDER_VERSION = "6.25.0";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const workload = readWorkloadFromEnv();
const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
const manifest: { stacks: Record<string, Json>; version: string } = { stacks: {}, version: CDKTF_VERSION };

function meta(stack: string, id: string): Json {
  return { metadata: { path: `${stack}/${id}`, uniqueId: id } };
}

for (const clusterAccount of workload.clusterAccounts) {
  const stack = clusterAccount.key;
  const providers: Json[] = [];
  const provider = perAccount((account): string => {
    const { alias, region, assumeRole } = providerConfig(account);
    providers.push({ alias, assume_role: assumeRole.map((r) => ({ role_arn: r.roleArn, session_name: r.sessionName })), region });
    return `aws.${account.key}`;
  });
  const clusterProvider = provider(clusterAccount);
  const roles: Record<string, Json> = {};
  const policies: Record<string, Json> = {};
  const associations: Record<string, Json> = {};

  for (const { association: a, cluster, target } of stackAssociations(workload, clusterAccount)) {
    const targetProvider = provider(target);
    const podRoleArn = roleArn(clusterAccount.id, a.podIdentityRoleName);
    const targetRoleArn = roleArn(target.id, a.targetRoleName);
    const podId = `${a.key}-pod-identity-role`;
    const targetId = `${a.key}-target-role`;
    const permissionId = `${a.key}-assume-target`;
    const associationId = `${a.key}-association`;

    roles[podId] = {
      "//": meta(stack, podId),
      assume_role_policy: podIdentityTrust(),
      name: a.podIdentityRoleName,
      provider: clusterProvider,
    };
    roles[targetId] = {
      "//": meta(stack, targetId),
      assume_role_policy: targetTrust(a, cluster, clusterAccount.id, podRoleArn),
      name: a.targetRoleName,
      provider: targetProvider,
    };
    policies[permissionId] = {
      "//": meta(stack, permissionId),
      name: "assume-target-role",
      policy: chainPermission(targetRoleArn),
      provider: clusterProvider,
      role: a.podIdentityRoleName,
    };
    associations[associationId] = {
      "//": meta(stack, associationId),
      cluster_name: cluster.name,
      depends_on: [`aws_iam_role_policy.${permissionId}`],
      namespace: a.namespace,
      provider: clusterProvider,
      role_arn: podRoleArn,
      service_account: a.serviceAccount,
      target_role_arn: targetRoleArn,
    };
  }

  const doc: Json = {
    "//": { metadata: { backend: "local", stackName: stack, version: CDKTF_VERSION }, outputs: {} },
    provider: { aws: providers },
    resource: {
      aws_eks_pod_identity_association: associations,
      aws_iam_role: roles,
      aws_iam_role_policy: policies,
    },
    terraform: {
      backend: { local: { path: `terraform.${stack}.tfstate` } },
      required_providers: { aws: { source: "aws", version: AWS_PROVIDER_VERSION } },
    },
  };
  const dir = join(outdir, "stacks", stack);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(doc, null, 2));
  manifest.stacks[stack] = {
    annotations: [],
    constructPath: stack,
    dependencies: [],
    name: stack,
    stackMetadataPath: `stacks/${stack}/metadata.json`,
    synthesizedStackPath: `stacks/${stack}/cdk.tf.json`,
    workingDirectory: `stacks/${stack}`,
  };
}
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, "manifest.json"), JSON.stringify(manifest, null, 2));
