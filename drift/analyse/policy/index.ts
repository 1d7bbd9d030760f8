// Comparing one policy of a role as Terraform state records it with the same policy live in IAM: equal up to
// normalisation, or a statement-level diff and a judgement of whether live grants more (./broadens.ts).
// Pure: no I/O.
import { judgeBroadening, type Broadening, type JudgeOptions } from "./broadens";
import { diffLines, diffPolicies, type PolicyDiff } from "./diff";
import { parsePolicy, policyJson, samePolicy, type PolicyDocument } from "./document";

export { judgeBroadening, SEARCH_LIMIT, type Broadening, type ExampleRequest, type JudgeOptions } from "./broadens";
export { diffLines, diffPolicies, type PolicyDiff, type StatementChange } from "./diff";
export {
  decodeIamDocument,
  describeStatement,
  parsePolicy,
  policyHash,
  policyJson,
  samePolicy,
  type ParsedPolicy,
  type PolicyDocument,
  type PolicyStatement,
} from "./document";

export type PolicyComparison =
  | { readonly same: true }
  | {
      readonly same: false;
      /** The normal forms (null for a side that has no such policy, or that could not be parsed). */
      readonly state: Record<string, unknown> | null;
      readonly live: Record<string, unknown> | null;
      readonly diff: PolicyDiff;
      /** `diff` as readable lines. */
      readonly lines: readonly string[];
      readonly judgement: Broadening;
    };

export interface CompareOptions extends JudgeOptions {
  /** The live text comes from IAM's API (URL-encoded). @default true */
  readonly liveUrlEncoded?: boolean;
}

const EMPTY = (version: string): PolicyDocument => ({ version, statements: [] });

/**
 * Compares state's text with live's; `undefined` on a side means the policy does not exist there (an inline
 * policy added or removed live). Never throws: a document that cannot be parsed gives `broadens: null`.
 */
export function comparePolicyTexts(stateText: string | undefined, liveText: string | undefined, opts: CompareOptions = {}): PolicyComparison {
  const partition = opts.partition ?? "aws";
  const state = stateText === undefined ? undefined : parsePolicy(stateText, { partition });
  const live = liveText === undefined ? undefined : parsePolicy(liveText, { partition, urlEncoded: opts.liveUrlEncoded ?? true });
  if (state !== undefined && !state.ok) {
    if (live !== undefined && !live.ok && stateText === liveText) return { same: true };
    return unreadable(`state's document is not a valid policy (${state.error})`, live?.ok ? live.policy : undefined);
  }
  if (live !== undefined && !live.ok) return unreadable(`live document is not a valid policy (${live.error})`, undefined, state?.policy);
  const s = state?.policy ?? EMPTY(live!.policy!.version);
  const l = live?.policy ?? EMPTY(s.version);
  if (state !== undefined && live !== undefined && samePolicy(s, l)) return { same: true };
  const diff = diffPolicies(s, l);
  return {
    same: false,
    state: state === undefined ? null : policyJson(s),
    live: live === undefined ? null : policyJson(l),
    diff,
    lines: diffLines(diff),
    judgement: judgeBroadening(s, l, opts),
  };
}

function unreadable(reason: string, live?: PolicyDocument, state?: PolicyDocument): PolicyComparison {
  return {
    same: false,
    state: state ? policyJson(state) : null,
    live: live ? policyJson(live) : null,
    diff: { statements: [] },
    lines: [],
    judgement: { broadens: null, reason },
  };
}
export { podIdentityPermissionAllows, podIdentityTrustAllows, targetTrustAllows, type ChainAssociation, type LinkVerdict } from "./chain";
