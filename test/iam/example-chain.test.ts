// The shipped example, end to end through the IAM oracle: synthesize it (`tsx main.ts` into a temporary
// CDKTF_OUTDIR, with the default config), read every stacks/*/cdk.tf.json generically, and for EVERY
// aws_eks_pod_identity_association check that the chain is allowed for its own cluster, namespace and
// service account (with the session tags or external id EKS sends) and denied for the negative cases.
// Finding no association is a failure, never a pass.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeCalls } from "../support/iam-oracle";
import { type SynthAssociation, associationsOfOutdir, chainCases, runChainCase } from "../support/iam-synth-chains";

const ROOT = resolve(__dirname, "../..");
const outdir = mkdtempSync(join(tmpdir(), "example-chain-"));

function synthesize(): SynthAssociation[] {
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir };
  delete env.POD_IDENTITY_CONFIG; // the shipped example: pod-identity.yaml in the repo root
  execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), ["main.ts"], { cwd: ROOT, env, stdio: "pipe", timeout: 180_000 });
  return associationsOfOutdir(outdir);
}

let associations: SynthAssociation[] = [];
let failure: string | undefined;
try {
  associations = synthesize();
} catch (e) {
  const err = e as Error & { stderr?: Buffer };
  failure = `${err.message}${err.stderr ? `\n${err.stderr.toString()}` : ""}`;
}

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("shipped example", () => {
  it("synthesizes and has associations to check", () => {
    expect(failure).toBeUndefined();
    expect(associations.length).toBeGreaterThan(0);
  });

  it("exercises every trust form: session tags on and off, a shared target role, a bring-your-own target role", () => {
    expect(associations.some((a) => a.sessionTags)).toBe(true);
    expect(associations.some((a) => !a.sessionTags)).toBe(true);
    expect(associations.some((a) => a.byo.targetRole)).toBe(true);
    const perTarget = new Map<string, number>();
    for (const a of associations) perTarget.set(a.roles.targetRole.arn, (perTarget.get(a.roles.targetRole.arn) ?? 0) + 1);
    expect(Math.max(0, ...perTarget.values())).toBeGreaterThan(1);
  });

  for (const a of associations) {
    describe(`${a.id} (${a.clusterName} ${a.namespace}/${a.serviceAccount}, session tags ${a.sessionTags ? "on" : "off"})`, () => {
      it.each(chainCases(a, associations).map((c) => [c.label, c]))("%s", async (_label, c) => {
        const verdict = await runChainCase(a, c);
        expect(verdict.allowed, describeCalls(verdict.calls)).toBe(c.allowed);
        if (!c.allowed) {
          // Denied means no credentials: an AssumeRole is refused, not merely the tagging.
          expect(
            verdict.calls.some((x) => x.action === "sts:AssumeRole" && x.decision !== "Allowed"),
            describeCalls(verdict.calls),
          ).toBe(true);
        }
      });
    });
  }
});
