// Configs this project does not ship, end to end through the IAM oracle: a commercial config with clusters in
// three regions and four accounts, GovCloud with both regions, and China with both regions. Each is
// synthesized by main.ts as a process (a temporary CDKTF_OUTDIR), read back generically from
// stacks/*/cdk.tf.json, and EVERY association's chain is checked: allowed for its own cluster, namespace and
// service account in its cluster's region and partition, denied for the negative cases (another namespace,
// service account, cluster, account, principal, external id).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeCalls } from "../support/iam-oracle";
import { type SynthAssociation, associationsOfOutdir, chainCases, runChainCase } from "../support/iam-synth-chains";

const ROOT = resolve(__dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "regions-chain-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Cluster name → the region and partition the config puts it in (read from the config by hand, not by the app). */
const EXPECTED: Record<string, Record<string, { region: string; partition: string }>> = {
  "multi-region": {
    "prod-eu": { region: "eu-west-1", partition: "aws" },
    "prod-us": { region: "us-east-1", partition: "aws" },
    "prod-sydney": { region: "ap-southeast-2", partition: "aws" },
    "shop-us": { region: "us-west-2", partition: "aws" },
  },
  govcloud: {
    "gov-west": { region: "us-gov-west-1", partition: "aws-us-gov" },
    "gov-east": { region: "us-gov-east-1", partition: "aws-us-gov" },
    mission: { region: "us-gov-east-1", partition: "aws-us-gov" },
    "mission-west": { region: "us-gov-west-1", partition: "aws-us-gov" },
  },
  china: {
    beijing: { region: "cn-north-1", partition: "aws-cn" },
    ningxia: { region: "cn-northwest-1", partition: "aws-cn" },
    ops: { region: "cn-northwest-1", partition: "aws-cn" },
  },
};

function synthesize(config: string): SynthAssociation[] {
  const outdir = join(work, config);
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir, POD_IDENTITY_CONFIG: join(ROOT, "test", "app", "configs", `${config}.yaml`) };
  delete env.CDKTF_CONTEXT_JSON;
  execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), ["main.ts"], { cwd: ROOT, env, stdio: "pipe", timeout: 180_000 });
  return associationsOfOutdir(outdir);
}

for (const [config, clusters] of Object.entries(EXPECTED)) {
  let associations: SynthAssociation[] = [];
  let failure: string | undefined;
  try {
    associations = synthesize(config);
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    failure = `${err.message}${err.stderr ? `\n${err.stderr.toString()}` : ""}`;
  }

  describe(`${config}.yaml`, () => {
    it("synthesizes every association in its cluster's region and partition", () => {
      expect(failure).toBeUndefined();
      expect(associations.length).toBeGreaterThan(4);
      for (const a of associations) {
        expect({ cluster: a.clusterName, region: a.region, partition: a.partition }).toEqual({ cluster: a.clusterName, ...clusters[a.clusterName] });
        expect(a.roles.targetRole.arn.startsWith(`arn:${clusters[a.clusterName]!.partition}:iam::`)).toBe(true);
      }
      // Every cluster, so every region, is exercised; and both trust forms.
      expect(new Set(associations.map((a) => a.clusterName))).toEqual(new Set(Object.keys(clusters)));
      expect(associations.some((a) => !a.sessionTags) && associations.some((a) => a.sessionTags)).toBe(true);
    });

    for (const a of associations) {
      describe(`${a.id} (${a.clusterName} in ${a.region}, ${a.namespace}/${a.serviceAccount}, session tags ${a.sessionTags ? "on" : "off"})`, () => {
        it.each(chainCases(a, associations).map((c) => [c.label, c]))("%s", async (_label, c) => {
          const verdict = await runChainCase(a, c);
          expect(verdict.allowed, describeCalls(verdict.calls)).toBe(c.allowed);
          if (!c.allowed)
            expect(
              verdict.calls.some((x) => x.action === "sts:AssumeRole" && x.decision !== "Allowed"),
              describeCalls(verdict.calls),
            ).toBe(true);
        });
        it("is denied when EKS presents the pod from the account provider's region instead", async () => {
          // What the association on the provider's region would have meant: the eks-cluster-arn tag or the
          // external id carries another region, and the target role's trust must refuse it.
          const wrong = a.region.startsWith("cn-")
            ? a.region === "cn-north-1"
              ? "cn-northwest-1"
              : "cn-north-1"
            : a.region.startsWith("us-gov-")
              ? a.region === "us-gov-west-1"
                ? "us-gov-east-1"
                : "us-gov-west-1"
              : a.region === "eu-west-1"
                ? "us-east-1"
                : "eu-west-1";
          const own = chainCases(a, associations)[0]!;
          const verdict = await runChainCase(a, { ...own, pod: { ...own.pod, region: wrong }, allowed: false });
          expect(verdict.allowed, describeCalls(verdict.calls)).toBe(false);
        });
      });
    }
  });
}
