// A drift scenario on the EKS emulator for the daemon's end-to-end tests: one cluster with associations
// "applied" (state file written the way Terraform writes it), a drift config with a daemon section, and
// the AWS SDK environment pointing at the emulator.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump as stringify } from "js-yaml";
import { startEksEmulator, type EksEmulator, type EmulatedAssociation } from "../support/eks-emulator";
import { AWS, associationAttributes, stateText } from "../drift/support/tfstate";

export const ACCOUNT = "111111111111";
export const REGION = "eu-west-1";
export const CLUSTER = { name: "prod", region: REGION, accountId: ACCOUNT };
export const role = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;

export interface Scenario {
  readonly emu: EksEmulator;
  readonly dir: string;
  readonly configPath: string;
  readonly historyPath: string;
  readonly associations: EmulatedAssociation[];
  /** The SDK environment for the check (also for a child process). */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export async function startScenario(daemon: Record<string, unknown>): Promise<Scenario> {
  const emu = await startEksEmulator({ defaultAccountId: null });
  emu.addCluster(CLUSTER);
  const associations = [
    emu.createAssociation(CLUSTER, {
      namespace: "shop",
      serviceAccount: "cart",
      roleArn: role("cart"),
      targetRoleArn: role("cart-target", "222222222222"),
      createdAt: new Date("2025-01-01T00:00:00Z"),
    }),
    emu.createAssociation(CLUSTER, { namespace: "shop", serviceAccount: "web", roleArn: role("web"), createdAt: new Date("2025-01-01T00:00:00Z") }),
  ];
  const dir = mkdtempSync(join(tmpdir(), "drift-daemon-"));
  writeFileSync(
    join(dir, "terraform.prod.tfstate"),
    stateText([
      {
        type: "aws_eks_pod_identity_association",
        name: "app",
        each: "map",
        provider: `${AWS}.cluster`,
        instances: associations.map((a) => ({ index_key: a.serviceAccount, attributes: associationAttributes(a, REGION) })),
      },
    ]),
  );
  const historyPath = join(dir, "history", "drift.db");
  const configPath = join(dir, "drift.yaml");
  writeFileSync(configPath, stringify({ state: ["terraform.prod.tfstate"], history: { path: historyPath }, daemon }));
  const creds = emu.credentialsFor(ACCOUNT);
  const env = {
    AWS_ENDPOINT_URL_EKS: emu.endpoint,
    AWS_ENDPOINT_URL_STS: emu.endpoint,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_REGION: REGION,
    AWS_MAX_ATTEMPTS: "2",
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
  };
  return { emu, dir, configPath, historyPath, associations, env, close: () => emu.close() };
}
