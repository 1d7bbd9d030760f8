// Terraform state v4 for the scan benchmark: what Terraform would have recorded after applying the
// associations now in the emulator, one state file per cluster account (one cdktf stack each), so the drift
// check finds every association managed and in sync; with the chain roles that stack manages (an
// aws_iam_role and its aws_iam_role_policy, on the provider of the role's account), as IAM has them.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { associationAttributes } from "../../test/drift/support/tfstate";
import type { EmulatedAssociation } from "../../test/support/eks-emulator";

const AWS = 'provider["registry.terraform.io/hashicorp/aws"]';

/** A chain role as the stack applied it. */
export interface BenchRole {
  readonly arn: string;
  readonly trust: string;
  /** The inline policy's name and document. */
  readonly policyName: string;
  readonly policy: string;
}

/** Writes terraform.<account>.tfstate into `dir`; returns its path. */
export function writeState(
  dir: string,
  accountId: string,
  region: string,
  associations: readonly EmulatedAssociation[],
  roles: readonly BenchRole[] = [],
): string {
  const alias = `cluster_${accountId}`;
  const name = (arn: string) => arn.split("/").pop()!;
  const provider = (arn: string) => `${AWS}.account_${arn.split(":")[4]}`;
  const state = {
    version: 4,
    terraform_version: "1.9.8",
    serial: 1,
    lineage: `bench-${accountId}`,
    outputs: {},
    resources: [
      ...associations.map((a, i) => ({
        mode: "managed",
        type: "aws_eks_pod_identity_association",
        name: `${a.clusterName}_${i}`.replace(/[^A-Za-z0-9_-]/g, "_"),
        provider: `${AWS}.${alias}`,
        instances: [{ schema_version: 0, attributes: associationAttributes(a, region), sensitive_attributes: [], dependencies: [] }],
      })),
      ...roles.flatMap((r, i) => [
        {
          mode: "managed",
          type: "aws_iam_role",
          name: `role_${i}`,
          provider: provider(r.arn),
          instances: [
            {
              schema_version: 0,
              attributes: { arn: r.arn, name: name(r.arn), path: "/", assume_role_policy: r.trust, inline_policy: [], managed_policy_arns: [] },
              sensitive_attributes: [],
            },
          ],
        },
        {
          mode: "managed",
          type: "aws_iam_role_policy",
          name: `role_${i}_policy`,
          provider: provider(r.arn),
          instances: [
            {
              schema_version: 0,
              attributes: { id: `${name(r.arn)}:${r.policyName}`, name: r.policyName, role: name(r.arn), policy: r.policy },
              sensitive_attributes: [],
            },
          ],
        },
      ]),
    ],
    check_results: null,
  };
  const path = join(dir, `terraform.${accountId}.tfstate`);
  writeFileSync(path, JSON.stringify(state));
  return path;
}
