// Writes a workload as our app's config file (modules/config/schema.ts), in YAML as a user would: accounts
// with a deployer role, the clusters, one target role per association, and associations that take the
// default (a dedicated Pod Identity role each, session tags on).
import { writeFileSync } from "node:fs";
import { dump as stringify } from "js-yaml";
import type { PodIdentityConfig } from "../../modules/config/schema";
import type { Workload, WorkloadAccount } from "../workload";

export const OUR_CONFIG_MODULE = "modules/config/schema.ts";

/** The config as the user would write it (the schema's input, before defaults). */
type ConfigInput = Pick<PodIdentityConfig, "accounts" | "clusters" | "targetRoles"> & {
  readonly associations: ReadonlyArray<{ cluster: string; namespace: string; serviceAccount: string; targetRole: string }>;
};

function account(a: WorkloadAccount): PodIdentityConfig["accounts"][string] {
  return {
    accountId: a.id,
    region: a.region,
    assumeRole: { roleArn: `arn:aws:iam::${a.id}:role/deployer`, sessionName: "cdktf" },
  };
}

export function ourConfig(w: Workload): ConfigInput {
  return {
    accounts: Object.fromEntries([...w.clusterAccounts, ...w.targetAccounts].map((a) => [a.key, account(a)])),
    clusters: Object.fromEntries(w.clusters.map((c) => [c.name, { account: c.accountKey }])),
    targetRoles: Object.fromEntries(w.associations.map((a) => [`t-${a.key}`, { account: a.targetAccountKey, name: a.targetRoleName }])),
    associations: w.associations.map((a) => ({
      cluster: a.cluster,
      namespace: a.namespace,
      serviceAccount: a.serviceAccount,
      targetRole: `t-${a.key}`,
    })),
  };
}

export function writeOurConfig(workload: Workload, path: string): void {
  writeFileSync(path, stringify(ourConfig(workload)));
}
