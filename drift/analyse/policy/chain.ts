// Would a policy still let one association's pods through? The requests EKS Pod Identity makes for an
// association (shared/domain facts, section 1), evaluated against one link of its chain:
//   hop 1   pods.eks.amazonaws.com calls sts:AssumeRole and sts:TagSession on the Pod Identity role:
//           its trust, with aws:SourceAccount = the cluster's account and, with session tags on, the six
//           request tags EKS attaches.
//   hop 2   a session of the Pod Identity role calls sts:AssumeRole (+ sts:TagSession with session tags on)
//           on the target role: the Pod Identity role's permission policies and the target role's trust,
//           with aws:PrincipalArn, the session's tags (transitive) and, with session tags off, the external id.
// A condition on anything else (the pod's name or uid, which vary per pod, or keys this does not model) makes
// the answer `unknown`, never a guess.
import type { PolicyDocument } from "./document";
import { UNKNOWN_VALUE, type RequestContext } from "./condition";
import { decide, type PolicyRequest } from "./evaluate";

export interface ChainAssociation {
  readonly partition: string;
  readonly region: string;
  readonly clusterAccountId: string;
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podIdentityRoleArn: string;
  readonly targetRoleArn?: string;
  /** Session tags on (the default) or off (`disable_session_tags`). */
  readonly sessionTags: boolean;
  /** What EKS passes as sts:ExternalId with session tags off. @default - the documented REGION/ACCOUNT/CLUSTER/NAMESPACE/SA */
  readonly externalId?: string;
}

export type LinkVerdict = "allows" | "refuses" | "unknown";

const PODS = "pods.eks.amazonaws.com";
const PER_POD_TAGS = ["kubernetes-pod-name", "kubernetes-pod-uid"];

/** Hop 1 against the Pod Identity role's trust. */
export function podIdentityTrustAllows(trust: PolicyDocument, a: ChainAssociation): LinkVerdict {
  const context = new Map<string, readonly string[]>([["aws:sourceaccount", [a.clusterAccountId]]]);
  if (a.sessionTags) addTags(context, a, "aws:requesttag/");
  const requests = ["sts:AssumeRole", "sts:TagSession"].map((action): PolicyRequest => ({
    principal: { type: "Service", id: PODS },
    action,
    context: withUnknown(context, trust),
  }));
  return all(requests.map((r) => trustVerdict(decide(trust, r, { resourceAccount: accountOf(a.podIdentityRoleArn) }), "unknown")));
}

/**
 * Hop 2 against the Pod Identity role's permission policies (its inline ones: `otherPolicies` says whether
 * it has others this cannot read, such as managed policies, that might allow it too).
 */
export function podIdentityPermissionAllows(policies: readonly PolicyDocument[], otherPolicies: boolean, a: ChainAssociation): LinkVerdict {
  if (a.targetRoleArn === undefined) return "allows";
  const verdicts = hop2Actions(a).map((action) => {
    let allowed = false;
    let unknown = false;
    for (const p of policies) {
      const d = decide(p, { action, resource: a.targetRoleArn!, context: withUnknown(hop2Context(a), p) });
      if (d === "deny") return "refuses";
      if (d === "allow") allowed = true;
      if (d === "unknown") unknown = true;
    }
    return allowed && !unknown ? "allows" : unknown || otherPolicies ? "unknown" : "refuses";
  });
  return all(verdicts);
}

/**
 * Hop 2 against the target role's trust. A trust that names the Pod Identity role's account (its root) in
 * the same account also needs the Pod Identity role's own permission: pass that link's verdict.
 */
export function targetTrustAllows(trust: PolicyDocument, a: ChainAssociation, permission: LinkVerdict = "unknown"): LinkVerdict {
  if (a.targetRoleArn === undefined) return "allows";
  const principal = { type: "AWS", id: a.podIdentityRoleArn, account: accountOf(a.podIdentityRoleArn) };
  const requests = hop2Actions(a).map((action): PolicyRequest => ({ principal, action, context: withUnknown(hop2Context(a), trust) }));
  return all(requests.map((r) => trustVerdict(decide(trust, r, { resourceAccount: accountOf(a.targetRoleArn!) }), permission)));
}

function hop2Actions(a: ChainAssociation): string[] {
  return a.sessionTags ? ["sts:AssumeRole", "sts:TagSession"] : ["sts:AssumeRole"];
}

function hop2Context(a: ChainAssociation): Map<string, readonly string[]> {
  const context = new Map<string, readonly string[]>([
    ["aws:principalarn", [a.podIdentityRoleArn]],
    ["aws:principalaccount", [accountOf(a.podIdentityRoleArn)!]],
    ["aws:principaltype", ["AssumedRole"]],
  ]);
  if (a.sessionTags) {
    addTags(context, a, "aws:principaltag/");
    addTags(context, a, "aws:requesttag/");
  } else {
    context.set("sts:externalid", [a.externalId ?? `${a.region}/${a.clusterAccountId}/${a.clusterName}/${a.namespace}/${a.serviceAccount}`]);
  }
  return context;
}

function addTags(context: Map<string, readonly string[]>, a: ChainAssociation, prefix: string): void {
  const tags: Record<string, string> = {
    "eks-cluster-arn": `arn:${a.partition}:eks:${a.region}:${a.clusterAccountId}:cluster/${a.clusterName}`,
    "eks-cluster-name": a.clusterName,
    "kubernetes-namespace": a.namespace,
    "kubernetes-service-account": a.serviceAccount,
  };
  for (const [k, v] of Object.entries(tags)) context.set(`${prefix}${k}`, [v]);
  for (const k of PER_POD_TAGS) context.set(`${prefix}${k}`, UNKNOWN_VALUE);
  if (prefix === "aws:requesttag/") context.set("aws:tagkeys", [...Object.keys(tags), ...PER_POD_TAGS]);
}

/** Every condition key the document tests that the context does not model is unknown, not absent. */
function withUnknown(context: ReadonlyMap<string, readonly string[]>, doc: PolicyDocument): RequestContext {
  const out = new Map(context);
  for (const s of doc.statements) for (const c of s.conditions) if (!out.has(c.keyLower) && !modelledAbsent(c.keyLower)) out.set(c.keyLower, UNKNOWN_VALUE);
  return out;
}

/** Keys this models even when absent: the request tags and the external id, present only in one mode. */
function modelledAbsent(key: string): boolean {
  return key.startsWith("aws:requesttag/") || key.startsWith("aws:principaltag/") || key === "sts:externalid" || key === "aws:tagkeys";
}

function trustVerdict(d: ReturnType<typeof decide>, permission: LinkVerdict): LinkVerdict {
  if (d === "allow") return "allows";
  if (d === "account") return permission;
  if (d === "unknown") return "unknown";
  return "refuses";
}

function all(verdicts: readonly LinkVerdict[]): LinkVerdict {
  return verdicts.includes("refuses") ? "refuses" : verdicts.includes("unknown") ? "unknown" : "allows";
}

function accountOf(arn: string): string | undefined {
  return arn.split(":")[4] || undefined;
}
