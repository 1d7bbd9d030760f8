// Terraform state v4 for the scan benchmark: what Terraform would have recorded after applying the
// associations now in the emulator, one state file per cluster account (one cdktf stack each), so the drift
// check finds every association managed and in sync.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { associationAttributes } from "../../test/drift/support/tfstate";
import type { EmulatedAssociation } from "../../test/support/eks-emulator";

const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';

/** Writes terraform.<account>.tfstate into `dir`; returns its path. */
export function writeState(dir: string, accountId: string, region: string, associations: readonly EmulatedAssociation[]): string {
  const alias = `cluster_${accountId}`;
  const state = {
    version: 4,
    terraform_version: "1.9.8",
    serial: 1,
    lineage: `bench-${accountId}`,
    outputs: {},
    resources: associations.map((a, i) => ({
      mode: "managed",
      type: "aws_eks_pod_identity_association",
      name: `${a.clusterName}_${i}`.replace(/[^A-Za-z0-9_-]/g, "_"),
      provider: `${AWS}.${alias}`,
      instances: [{ schema_version: 0, attributes: associationAttributes(a, region), sensitive_attributes: [], dependencies: [] }],
    })),
    check_results: null,
  };
  const path = join(dir, `terraform.${accountId}.tfstate`);
  writeFileSync(path, JSON.stringify(state));
  return path;
}
