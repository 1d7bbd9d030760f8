// Terraform itself reads the refactoring blocks the app writes: each stack's output is applied as
// `terraform_data` stand-ins (test/support/terraform-standins.ts: same addresses, no AWS provider needed),
// then the refactored output is planned against the state that apply left. The plan must create and destroy
// nothing: moved objects show their previous address, objects leaving a stack are forgotten there and
// imported by the stack they join. Needs a `terraform` binary (>= 1.7) on PATH; skipped, saying so, without one.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { terraformVersion } from "../support/terraform-eval";
import { StandInWorkspace, standInAddress, type PlannedChange } from "../support/terraform-standins";
import { countOf, deployedExample, Project, renameLedgerRole, renameProdCluster, type Json } from "./refactoring-project";

const TERRAFORM = terraformVersion();
const work = mkdtempSync(path.join(tmpdir(), "pod-identity-standins-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const actionsOf = (plan: readonly PlannedChange[]): string[] => [...new Set(plan.flatMap((c) => c.actions))].sort();

/** Applies every stack of the project's output as stand-ins, in a workspace of its own. */
function applyStandIns(p: Project): StandInWorkspace {
  const ws = new StandInWorkspace(mkdtempSync(path.join(work, "ws-")));
  for (const s of p.stacks()) ws.apply(s, p.output(s));
  return ws;
}

describe.skipIf(!TERRAFORM)(`refactoring blocks planned by terraform ${TERRAFORM ?? "(not on PATH: skipped)"}`, () => {
  it("upgrading a deployment of the label addresses moves all 9 of them, and destroys nothing", async () => {
    const ws = new StandInWorkspace(mkdtempSync(path.join(work, "ws-")));
    const released = JSON.parse(readFileSync(path.join(__dirname, "refactoring", "label-addresses.platform.cdk.tf.json"), "utf8")) as Json;
    ws.apply("platform", released);
    const { p } = await deployedExample();
    const plan = ws.plan("platform", p.output("platform"));
    expect(actionsOf(plan)).toEqual(["no-op"]);
    const moved = plan.filter((c) => c.previousAddress !== undefined);
    expect(moved).toHaveLength(9);
    for (const c of moved)
      expect(Object.keys(released.resource[c.previousAddress!.split(".")[1]!.split("__")[0]!])).toContain(c.previousAddress!.split("__")[1]);
    expect(plan).toHaveLength(18);
  });

  it("renamed keys with movedFrom and renamed associations: every object stays, 8 of them at a new address", async () => {
    const { p, config } = await deployedExample();
    const ws = applyStandIns(p);
    renameProdCluster(config, "prod-eu", "prod");
    renameLedgerRole(config, "ledger-reader");
    for (const a of config.associations) {
      if (a.podIdentityRole === undefined) a.podIdentityRoleName = a.name;
      a.name = `${a.name}-v2`;
    }
    p.write(config);
    expect(p.synth()).toEqual({ code: 0, stderr: "" });
    const plan = ws.plan("platform", p.output("platform"));
    expect(actionsOf(plan)).toEqual(["no-op"]);
    // prod's three associations, warehouse-etl's role and chain policy; ledger's role, policy and attachment
    expect(plan.filter((c) => c.previousAddress !== undefined)).toHaveLength(8);
  });

  it("regrouping the stacks: the old stack forgets all 18 objects and the new ones import them, creating nothing", async () => {
    const { p, config, before } = await deployedExample();
    const ws = applyStandIns(p);
    config.stacks = { groupBy: "cluster" };
    p.write(config);
    expect(p.synth().code).toBe(0);
    const platform = ws.plan("platform", p.output("platform"));
    expect(actionsOf(platform)).toEqual(["forget"]);
    expect(platform.map((c) => c.address).sort()).toEqual(before.stacks[0]!.resources.map((r) => standInAddress(r.address)).sort());
    const imported = ["prod", "staging"].flatMap((s) => ws.plan(s, p.output(s)));
    expect(imported.filter((c) => !c.importing)).toEqual([]);
    expect(imported).toHaveLength(countOf(before));
    expect(actionsOf(imported)).not.toContain("create");
  });
});
