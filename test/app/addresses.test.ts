// The Terraform addresses of the shipped example are a released contract: a deployment made with any released
// version must keep every object when it upgrades. test/app/refactoring/released-addresses.json holds, per era,
// every address the example had and what it is in AWS; the example's output must still declare each one, or
// its stack's moved blocks must lead from it to a declared address of the same object. An address that changes
// without a moved block fails here. After a deliberate change of addresses (with its moved blocks), record the
// new era with RECORD_ADDRESSES=<era> npx vitest run test/app/addresses.test.ts; eras are never rewritten.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp, validateApp } from "../../modules/app";
import { loadConfig } from "../../modules/config/load";
import { readPreviousDeployment } from "../../modules/refactoring/previous";

const ROOT = path.join(__dirname, "..", "..");
const RELEASED = path.join(__dirname, "refactoring", "released-addresses.json");
const work = mkdtempSync(path.join(tmpdir(), "pod-identity-addresses-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Addresses = Record<string, Record<string, string>>; // stack → address → identity

/** The tracked addresses of a synthesized output directory, with what each one is. */
function addressesOf(outdir: string): Addresses {
  const empty = mkdtempSync(path.join(work, "root-"));
  const read = readPreviousDeployment({ projectRoot: empty, outdir, outputs: true, accountIds: {}, show: (f) => f });
  expect(read.warnings).toEqual([]);
  return Object.fromEntries(read.stacks.map((s) => [s.stack, Object.fromEntries(s.resources.map((r) => [r.address, r.identity ?? "(unknown)"]))]));
}

describe("the example's released addresses", () => {
  const outdir = path.join(work, "cdktf.out");
  const { app } = buildApp(loadConfig(path.join(ROOT, "pod-identity.yaml")), { projectRoot: work, outdir });
  expect(validateApp(app)).toEqual([]);
  app.synth();
  const current = addressesOf(outdir);
  const released = JSON.parse(readFileSync(RELEASED, "utf8")) as Record<string, Addresses>;

  it.each(Object.keys(released))("every address of %s is declared, or moved by a moved block to the same object", (era) => {
    for (const [stack, addresses] of Object.entries(released[era]!)) {
      const out = JSON.parse(readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
      const moves = new Map<string, string>((out.moved ?? []).map((m: { from: string; to: string }) => [m.from, m.to]));
      for (const [address, identity] of Object.entries(addresses)) {
        let at = address;
        for (let i = 0; i <= moves.size && moves.has(at); i++) at = moves.get(at)!;
        expect(current[stack]?.[at], `${era}: ${stack} ${address} (${identity}) is neither declared nor moved; add moved blocks for it`).toBe(identity);
      }
    }
  });

  it("the label era is what the version before addresses followed identity synthesized", () => {
    const old = path.join(work, "label-out");
    mkdirSync(path.join(old, "stacks", "platform"), { recursive: true });
    writeFileSync(
      path.join(old, "stacks", "platform", "cdk.tf.json"),
      readFileSync(path.join(__dirname, "refactoring", "label-addresses.platform.cdk.tf.json")),
    );
    writeFileSync(path.join(old, "manifest.json"), JSON.stringify({ stacks: { platform: { synthesizedStackPath: "stacks/platform/cdk.tf.json" } } }));
    expect(released["label-addresses"]).toEqual(addressesOf(old));
  });

  it("the example's addresses today are a released era", () => {
    const era = process.env.RECORD_ADDRESSES;
    if (era !== undefined && era !== "" && released[era] === undefined) {
      writeFileSync(RELEASED, `${JSON.stringify({ ...released, [era]: current }, null, 2)}\n`);
      return;
    }
    expect(
      Object.values(released),
      "the addresses changed: keep moved blocks from the old ones and record the new era (see the top of this file)",
    ).toContainEqual(current);
  });
});
