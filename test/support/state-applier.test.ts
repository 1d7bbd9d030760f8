// The state applier on a small hand-written stack: live (emulator, through the real EKS client) and the
// written state agree, and the drift check's own readers read both back the same.
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanClusters } from "../../drift/live";
import { readStateSources } from "../../drift/state";
import { startEksEmulator, type EksEmulator } from "./eks-emulator";
import { AWS_PROVIDER, applyStack, applySynthesizedApp } from "./state-applier";

const CLUSTER_ACCT = "111111111111";
const TARGET_ACCT = "222222222222";
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
});

const stackJson = {
  "//": { metadata: { stackName: "platform", backend: "local" } },
  provider: {
    aws: [
      { alias: "cluster", region: "eu-west-1", allowed_account_ids: [CLUSTER_ACCT], default_tags: [{ tags: { "managed-by": "cdktf" } }] },
      { alias: "target", region: "eu-west-1", allowed_account_ids: [TARGET_ACCT] },
    ],
  },
  resource: {
    aws_eks_pod_identity_association: {
      web: {
        provider: "aws.cluster",
        cluster_name: "prod",
        namespace: "apps",
        service_account: "web",
        role_arn: "${aws_iam_role.pod.arn}",
        target_role_arn: "arn:aws:iam::222222222222:role/team/target",
        disable_session_tags: true,
        tags: { team: "web" },
      },
      workers: {
        provider: "aws.cluster",
        for_each: { a: { sa: "worker-a" }, b: { sa: "worker-b" } },
        cluster_name: "prod",
        namespace: "jobs",
        service_account: "${each.value.sa}",
        role_arn: "${aws_iam_role.pod.arn}",
      },
      counted: {
        provider: "aws.cluster",
        count: 2,
        cluster_name: "staging",
        namespace: "ns-${count.index}",
        service_account: "sa",
        role_arn: "arn:aws:iam::111111111111:role/literal",
      },
    },
    aws_iam_role: {
      pod: { provider: "aws.cluster", name: "pod-identity", path: "/pi/", assume_role_policy: TRUST, tags: { tier: "pod" } },
      target: { provider: "aws.target", name: "target", path: "/team/", assume_role_policy: TRUST },
    },
    aws_iam_role_policy: {
      chain: { provider: "aws.cluster", role: "${aws_iam_role.pod.name}", name: "chain", policy: "{}", depends_on: ["aws_iam_role.pod"] },
    },
  },
  output: { pod_role: { value: "${aws_iam_role.pod.arn}" } },
  terraform: { backend: { local: { path: "terraform.platform.tfstate" } } },
};

let emu: EksEmulator;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  emu = await startEksEmulator({ defaultAccountId: null });
  dir = await mkdtemp(join(tmpdir(), "applier-"));
});
afterAll(async () => {
  process.env = saved;
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

describe("state applier", () => {
  it("creates the associations live and writes the state Terraform would", async () => {
    const applied = await applyStack("platform", stackJson, { emulator: emu, stateDir: dir });
    expect(applied.statePath).toBe(join(dir, "terraform.platform.tfstate"));
    expect(applied.associations.map((a) => a.address).sort()).toEqual([
      "aws_eks_pod_identity_association.counted[0]",
      "aws_eks_pod_identity_association.counted[1]",
      "aws_eks_pod_identity_association.web",
      'aws_eks_pod_identity_association.workers["a"]',
      'aws_eks_pod_identity_association.workers["b"]',
    ]);
    expect(emu.count({ operation: "CreatePodIdentityAssociation", accountId: CLUSTER_ACCT })).toBe(5);
    expect(applied.roles).toEqual({
      "aws_iam_role.pod": `arn:aws:iam::${CLUSTER_ACCT}:role/pi/pod-identity`,
      "aws_iam_role.target": `arn:aws:iam::${TARGET_ACCT}:role/team/target`,
    });

    const state = JSON.parse(await readFile(applied.statePath, "utf8"));
    expect(state).toMatchObject({
      version: 4,
      serial: 1,
      outputs: { pod_role: { value: `arn:aws:iam::${CLUSTER_ACCT}:role/pi/pod-identity`, type: "string" } },
    });
    const web = state.resources.find((r: { name: string }) => r.name === "web");
    const webId = applied.associations.find((a) => a.address.endsWith(".web"))!.associationId;
    expect(web).toEqual({
      mode: "managed",
      type: "aws_eks_pod_identity_association",
      name: "web",
      provider: `${AWS_PROVIDER}.cluster`,
      instances: [
        {
          schema_version: 0,
          sensitive_attributes: [],
          dependencies: ["aws_iam_role.pod"],
          attributes: {
            association_arn: `arn:aws:eks:eu-west-1:${CLUSTER_ACCT}:podidentityassociation/prod/${webId}`,
            association_id: webId,
            cluster_name: "prod",
            disable_session_tags: true,
            external_id: `eu-west-1/${CLUSTER_ACCT}/prod/apps/web`,
            id: webId,
            namespace: "apps",
            region: "eu-west-1",
            role_arn: `arn:aws:iam::${CLUSTER_ACCT}:role/pi/pod-identity`,
            service_account: "web",
            tags: { team: "web" },
            tags_all: { "managed-by": "cdktf", team: "web" },
            target_role_arn: "arn:aws:iam::222222222222:role/team/target",
          },
        },
      ],
    });
    const workers = state.resources.find((r: { name: string }) => r.name === "workers");
    expect(workers.each).toBe("map");
    expect(workers.instances.map((i: { index_key: string }) => i.index_key)).toEqual(["a", "b"]);
    const counted = state.resources.find((r: { name: string }) => r.name === "counted");
    expect(counted.each).toBe("list");
    expect(counted.instances.map((i: { attributes: { namespace: string } }) => i.attributes.namespace)).toEqual(["ns-0", "ns-1"]);
    const pod = state.resources.find((r: { name: string }) => r.name === "pod");
    expect(pod.instances[0].attributes).toMatchObject({
      name: "pod-identity",
      path: "/pi/",
      id: "pod-identity",
      assume_role_policy: TRUST,
      tags_all: { "managed-by": "cdktf", tier: "pod" },
    });
    expect(pod.instances[0].attributes.unique_id).toMatch(/^AROA[0-9A-F]{17}$/);
    const chain = state.resources.find((r: { type: string }) => r.type === "aws_iam_role_policy");
    expect(chain.instances[0].attributes).toMatchObject({ id: "pod-identity:chain", role: "pod-identity" });

    // The drift check's readers see the same associations in state and live.
    const [read] = await readStateSources([applied.statePath]);
    if (!read?.ok) throw new Error(JSON.stringify(read));
    const fromState = read.snapshot.associations;
    expect(fromState).toHaveLength(5);
    expect(read.snapshot.roles.map((r) => r.arn).sort()).toEqual(Object.values(applied.roles).sort());

    const keys = emu.credentialsFor(CLUSTER_ACCT);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EKS: emu.endpoint,
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      AWS_REGION: "eu-west-1",
    });
    const scans = await scanClusters([
      { name: "prod", region: "eu-west-1", accountId: CLUSTER_ACCT },
      { name: "staging", region: "eu-west-1", accountId: CLUSTER_ACCT },
    ]);
    const live = scans.flatMap((s) => (s.ok ? s.associations : []));
    const norm = (a: {
      associationId: string;
      clusterName: string;
      namespace: string;
      serviceAccount: string;
      roleArn: string;
      targetRoleArn?: string;
      disableSessionTags: boolean;
      externalId?: string;
      tags: Readonly<Record<string, string>>;
      region?: string;
      accountId?: string;
    }) => ({
      id: a.associationId,
      cluster: a.clusterName,
      ns: a.namespace,
      sa: a.serviceAccount,
      role: a.roleArn,
      target: a.targetRoleArn,
      dst: a.disableSessionTags,
      ext: a.externalId,
      tags: a.tags,
      region: a.region,
      account: a.accountId,
    });
    const byId = <T extends { id: string }>(xs: T[]) => xs.sort((x, y) => x.id.localeCompare(y.id));
    expect(byId(live.map(norm))).toEqual(byId(fromState.map(norm)));
  });

  it("applies every stack of a synthesized app directory, writing to the stack's local backend path", async () => {
    const outdir = join(dir, "cdktf.out");
    await mkdir(join(outdir, "stacks", "second"), { recursive: true });
    const second = {
      ...stackJson,
      "//": { metadata: { stackName: "second" } },
      resource: {
        aws_eks_pod_identity_association: {
          only: { provider: "aws.cluster", cluster_name: "other", namespace: "n", service_account: "s", role_arn: "arn:aws:iam::111111111111:role/r" },
        },
      },
      output: {},
      terraform: { backend: { local: { path: "../../../terraform.second.tfstate" } } },
    };
    await writeFile(join(outdir, "stacks", "second", "cdk.tf.json"), JSON.stringify(second));
    const applied = await applySynthesizedApp(outdir, { emulator: emu });
    expect(applied.map((s) => [s.stack, s.statePath])).toEqual([["second", join(dir, "terraform.second.tfstate")]]);
  });

  it("refuses expressions it cannot evaluate, and unknown references", async () => {
    const bad = (resource: object) => applyStack("bad", { provider: stackJson.provider, resource }, { emulator: emu, stateDir: dir });
    await expect(bad({ aws_iam_role: { r: { provider: "aws.cluster", name: "x", assume_role_policy: "${jsonencode({})}" } } })).rejects.toThrow(
      /unresolvable references|unsupported expression/,
    );
    await expect(bad({ aws_iam_role: { r: { provider: "aws.cluster", name: "${aws_iam_role.missing.name}", assume_role_policy: "{}" } } })).rejects.toThrow(
      /aws_iam_role\.r → aws_iam_role\.missing/,
    );
    await expect(bad({ aws_iam_role: { r: { provider: "aws.nope", name: "x", assume_role_policy: "{}" } } })).rejects.toThrow(/provider aws\.nope/);
  });
});
