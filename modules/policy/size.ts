// IAM size limits this project checks, and how it measures policies against them.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
import { minifiedJson } from "./document";
import type { PolicyDocumentJson } from "./json";

/** Default quota for a role trust policy, in characters (whitespace not counted). */
export const TRUST_POLICY_DEFAULT_LIMIT = 2048;
/** The largest trust policy size this project lets a user configure (after a quota increase). */
export const TRUST_POLICY_MAX_LIMIT = 4096;
/** Total size of all inline policies of one role, in characters (whitespace not counted). */
export const INLINE_POLICIES_LIMIT = 10240;
/** Managed policies attached to one role (default quota). */
export const MANAGED_POLICIES_LIMIT = 10;
/** IAM role name length. */
export const ROLE_NAME_MAX = 64;
/** Terraform's `name_prefix` for a role: 64 minus the 26-character unique suffix it appends. */
export const ROLE_NAME_PREFIX_MAX = 38;
/** IAM path length. */
export const ROLE_PATH_MAX = 512;
/** Pod Identity associations per cluster (not adjustable). */
export const ASSOCIATIONS_PER_CLUSTER_LIMIT = 5000;

/**
 * The size IAM counts for a policy: the length of its minified JSON. IAM counts characters; for the
 * ASCII-only policies generated here that equals the byte length.
 */
export function policySize(doc: PolicyDocumentJson | string): number {
  return (typeof doc === "string" ? doc : minifiedJson(doc)).length;
}
