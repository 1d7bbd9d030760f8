// The shipped example, deployed: synthesize pod-identity.yaml as `cdktf synth` does, "apply" it to the EKS
// emulator and the IAM server (test/support/state-applier.ts writes the state Terraform would), and write
// the drift config a user would: the default state and history, a reader role per account the check reads
// IAM roles in besides the credentials' own. For end-to-end tests of the CLI.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../../modules/config/load";
import { startEksEmulator, type EksEmulator } from "../../support/eks-emulator";
import { startIamServer, type IamServer } from "../../support/iam-server";
import { applySynthesizedApp, type AppliedStack } from "../../support/state-applier";
import { REPO } from "./cli";

export const EXAMPLE_ACCOUNT = "111111111111";
export const EXAMPLE_REGION = "eu-west-1";
/** The example's target accounts: read through a reader role each. */
export const READER_ACCOUNTS = ["222222222222", "333333333333"] as const;
export const readerRole = (account: string) => `arn:aws:iam::${account}:role/pod-identity-drift-reader`;

export interface ExampleWorld {
  readonly dir: string;
  readonly eks: EksEmulator;
  readonly iam: IamServer;
  readonly stack: AppliedStack;
  /** Association id by the association's name in the example. */
  readonly ids: Readonly<Record<string, string>>;
  /** The CLI's environment: loopback endpoints (EKS, STS, IAM) and the cluster account's keys. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export async function startExampleWorld(opts: { now: () => Date; driftYaml?: string }): Promise<ExampleWorld> {
  const dir = mkdtempSync(join(tmpdir(), "drift-example-"));
  await promisify(execFile)(process.execPath, [join(REPO, "node_modules", "tsx", "dist", "cli.mjs"), "main.ts"], {
    cwd: REPO,
    env: { ...process.env, CDKTF_OUTDIR: join(dir, "cdktf.out") },
  });
  const eks = await startEksEmulator({ now: opts.now });
  // Keys the emulator's STS issues for the reader roles belong to the roles' accounts.
  const iam = await startIamServer({ defaultAccountId: null, accountOf: (k) => eks.accountOf(k), now: opts.now });
  const stacks = await applySynthesizedApp(join(dir, "cdktf.out"), { emulator: eks, iam, stateDir: dir });
  const example = loadConfig(join(REPO, "pod-identity.yaml"));
  const names = new Map(example.associations.map((a) => [`${example.clusters[a.cluster]!.name}/${a.namespace}/${a.serviceAccount}`, a.name!]));
  const ids = Object.fromEntries(stacks[0]!.associations.map((a) => [names.get(`${a.cluster.name}/${a.namespace}/${a.serviceAccount}`)!, a.associationId]));
  const keys = eks.credentialsFor(EXAMPLE_ACCOUNT);
  iam.addCredentials(keys.accessKeyId, EXAMPLE_ACCOUNT);
  const accounts = READER_ACCOUNTS.map((a) => `  "${a}": { roleArn: ${readerRole(a)} }`).join("\n");
  writeFileSync(
    join(dir, "drift.yaml"),
    `${opts.driftYaml ?? "# defaults: state terraform.*.tfstate here, history .drift/history.db\n"}accounts:\n${accounts}\n`,
  );
  return {
    dir,
    eks,
    iam,
    stack: stacks[0]!,
    ids,
    env: {
      AWS_ENDPOINT_URL_EKS: eks.endpoint,
      AWS_ENDPOINT_URL_STS: eks.endpoint,
      AWS_ENDPOINT_URL_IAM: iam.endpoint,
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      // The default credentials say their account: roles there are read with them (others through a reader role).
      AWS_ACCOUNT_ID: EXAMPLE_ACCOUNT,
      AWS_REGION: EXAMPLE_REGION,
      AWS_MAX_ATTEMPTS: "2",
    },
    async close() {
      await eks.close();
      await iam.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
