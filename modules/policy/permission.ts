// The Pod Identity role's permission to chain: exactly sts:AssumeRole and sts:TagSession on the exact target
// role ARNs. No wildcards.
import { ASSUME_ROLE, TAG_SESSION } from "./trust";
import { PolicyStatement } from "./statement";

/** One statement allowing the chain into `targetRoleArns` (merged with others by resource). */
export function chainPermissionStatement(targetRoleArns: readonly string[]): PolicyStatement {
  return new PolicyStatement({ actions: [ASSUME_ROLE, TAG_SESSION], resources: targetRoleArns });
}
