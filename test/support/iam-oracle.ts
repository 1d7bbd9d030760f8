// An independent IAM oracle for the EKS Pod Identity chain, built on @cloud-copilot/iam-simulate (AGPL:
// test code only, never imported from modules/ or drift/).
//
// It evaluates the two hops the way AWS does when a pod asks for credentials:
//   1. EKS (service principal pods.eks.amazonaws.com) calls sts:AssumeRole and sts:TagSession on the
//      Pod Identity role: only the role's trust policy is consulted (a service principal has no identity
//      policies). Context: aws:SourceAccount = the cluster account, and, with session tags on, the six
//      request tags EKS attaches.
//   2. The Pod Identity role's session calls sts:AssumeRole on the target role (+ sts:TagSession with the
//      same tags when session tags are on; with sts:ExternalId REGION/ACCOUNT/CLUSTER/NAMESPACE/SA when they
//      are off). The simulator applies IAM's rules: cross-account, the caller's identity policies and the
//      target's trust policy must both allow; same account, a trust policy that names the account (root)
//      also needs the identity policy, one that names the role or session itself does not.
// Nothing here knows how the project's constructs build policies: it is given policy JSON and a request.
import { runSimulation, type RunSimulationResults } from "@cloud-copilot/iam-simulate";
import type { PolicyDocumentJson } from "../../modules/policy/json";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** The one request the simulator evaluates, and its decision. */
export interface SimulatedCall {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
  /** Context keys the simulator dropped as not applicable to the action (kept for debugging). */
  readonly ignoredContextKeys: readonly string[];
}

export interface SimulateInput {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly identityPolicies?: readonly PolicyDocumentJson[];
  readonly resourcePolicy?: PolicyDocumentJson;
  readonly context?: Readonly<Record<string, string | string[]>>;
}

/**
 * One request through the simulator, in strict mode. A validation error (an invalid policy, an unknown
 * action, a resource ARN the action does not take, a malformed context value) throws: a broken input must
 * never pass for a denial.
 */
export async function simulate(input: SimulateInput): Promise<SimulatedCall> {
  const response: RunSimulationResults = await runSimulation(
    {
      request: {
        principal: input.principal,
        action: input.action,
        resource: { resource: input.resource, accountId: input.resourceAccount },
        contextVariables: { ...(input.context ?? {}) },
      },
      identityPolicies: (input.identityPolicies ?? []).map((policy, i) => ({ name: `identity-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: input.resourcePolicy,
    },
    { simulationMode: "Strict" },
  );
  if (response.resultType === "error") {
    throw new Error(`iam-simulate rejected ${input.action} on ${input.resource}: ${JSON.stringify(response.errors)}`);
  }
  const ignored = response.resultType === "single" ? (response.result.ignoredContextKeys ?? []) : response.results.flatMap((r) => r.ignoredContextKeys ?? []);
  return {
    principal: input.principal,
    action: input.action,
    resource: input.resource,
    decision: response.overallResult,
    ignoredContextKeys: ignored,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The Pod Identity chain

export const EKS_PODS_PRINCIPAL = "pods.eks.amazonaws.com";

/** A role as the oracle sees it: its ARN, its trust policy and the identity policies attached to it. */
export interface RolePolicies {
  readonly arn: string;
  readonly trustPolicy: PolicyDocumentJson;
  readonly identityPolicies: readonly PolicyDocumentJson[];
}

/** The two roles of one association. */
export interface ChainRoles {
  readonly podIdentityRole: RolePolicies;
  /** The target role; only its trust policy matters for the chain. */
  readonly targetRole: Pick<RolePolicies, "arn" | "trustPolicy">;
}

/** Who asks: the pod, and how EKS presents it. */
export interface PodRequest {
  readonly partition: string;
  readonly region: string;
  /** The cluster's account: aws:SourceAccount of hop 1, the account in the external id and cluster ARN. */
  readonly clusterAccountId: string;
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Session tags on (the EKS default) or off (`disable_session_tags`). */
  readonly sessionTags: boolean;
  /** @default "web-0" */
  readonly podName?: string;
  /** @default a fixed UUID */
  readonly podUid?: string;
  /**
   * The external id hop 2 carries when session tags are off.
   * @default - the value EKS documents: REGION/ACCOUNT/CLUSTER/NAMESPACE/SA; `null` sends none
   */
  readonly externalId?: string | null;
}

export interface ChainVerdict {
  /** True only when every call of both hops is allowed. */
  readonly allowed: boolean;
  readonly calls: readonly SimulatedCall[];
}

export function clusterArn(r: Pick<PodRequest, "partition" | "region" | "clusterAccountId" | "clusterName">): string {
  return `arn:${r.partition}:eks:${r.region}:${r.clusterAccountId}:cluster/${r.clusterName}`;
}

/** The external id EKS documents for an association with session tags off. */
export function expectedExternalId(r: Pick<PodRequest, "region" | "clusterAccountId" | "clusterName" | "namespace" | "serviceAccount">): string {
  return `${r.region}/${r.clusterAccountId}/${r.clusterName}/${r.namespace}/${r.serviceAccount}`;
}

/** The session tags EKS attaches to the Pod Identity role session (all transitive). */
export function eksSessionTags(r: PodRequest): Record<string, string> {
  return {
    "eks-cluster-arn": clusterArn(r),
    "eks-cluster-name": r.clusterName,
    "kubernetes-namespace": r.namespace,
    "kubernetes-service-account": r.serviceAccount,
    "kubernetes-pod-name": r.podName ?? "web-0",
    "kubernetes-pod-uid": r.podUid ?? "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
  };
}

function requestTagContext(tags: Record<string, string>): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = { "aws:TagKeys": Object.keys(tags) };
  for (const [k, v] of Object.entries(tags)) context[`aws:RequestTag/${k}`] = v;
  return context;
}

function principalTagContext(tags: Record<string, string>): Record<string, string> {
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) context[`aws:PrincipalTag/${k}`] = v;
  return context;
}

export interface ParsedRoleArn {
  readonly partition: string;
  readonly accountId: string;
  readonly path: string;
  readonly name: string;
}

export function parseRoleArn(arn: string): ParsedRoleArn {
  const m = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(\/(?:[^/]+\/)*)([^/]+)$/.exec(arn);
  if (m === null) throw new Error(`not an IAM role ARN: ${arn}`);
  return { partition: m[1]!, accountId: m[2]!, path: m[3]!, name: m[4]! };
}

/** The assumed-role session ARN of a role (the path is not part of it). */
export function assumedRoleArn(roleArn: string, sessionName: string): string {
  const r = parseRoleArn(roleArn);
  return `arn:${r.partition}:sts::${r.accountId}:assumed-role/${r.name}/${sessionName}`;
}

/** Hop 1: EKS assumes the Pod Identity role. */
export async function evaluateHop1(roles: ChainRoles, pod: PodRequest): Promise<SimulatedCall[]> {
  const pi = parseRoleArn(roles.podIdentityRole.arn);
  const context: Record<string, string | string[]> = {
    "aws:SourceAccount": pod.clusterAccountId,
    ...(pod.sessionTags ? requestTagContext(eksSessionTags(pod)) : {}),
  };
  const calls: SimulatedCall[] = [];
  for (const action of ["sts:AssumeRole", "sts:TagSession"]) {
    calls.push(
      await simulate({
        principal: EKS_PODS_PRINCIPAL,
        action,
        resource: roles.podIdentityRole.arn,
        resourceAccount: pi.accountId,
        resourcePolicy: roles.podIdentityRole.trustPolicy,
        context,
      }),
    );
  }
  return calls;
}

/**
 * Hop 2: a session of `caller` (by default the Pod Identity role, as EKS uses it) assumes the target
 * role. Pass another role as `caller` to ask whether a different principal could do the same.
 */
export async function evaluateHop2(roles: ChainRoles, pod: PodRequest, caller: RolePolicies = roles.podIdentityRole): Promise<SimulatedCall[]> {
  const c = parseRoleArn(caller.arn);
  const target = parseRoleArn(roles.targetRole.arn);
  const sessionName = `eks-${pod.clusterName}-${pod.podName ?? "web-0"}`.slice(0, 64);
  const tags = eksSessionTags(pod);
  const context: Record<string, string | string[]> = {
    "aws:PrincipalArn": caller.arn,
    "aws:PrincipalAccount": c.accountId,
    "aws:PrincipalType": "AssumedRole",
    "sts:RoleSessionName": sessionName,
  };
  if (pod.sessionTags) {
    // The hop-1 session carries the tags; being transitive, they are passed again on hop 2.
    Object.assign(context, principalTagContext(tags), requestTagContext(tags));
  } else {
    const externalId = pod.externalId === undefined ? expectedExternalId(pod) : pod.externalId;
    if (externalId !== null) context["sts:ExternalId"] = externalId;
  }
  const actions = pod.sessionTags ? ["sts:AssumeRole", "sts:TagSession"] : ["sts:AssumeRole"];
  const calls: SimulatedCall[] = [];
  for (const action of actions) {
    calls.push(
      await simulate({
        principal: assumedRoleArn(caller.arn, sessionName),
        action,
        resource: roles.targetRole.arn,
        resourceAccount: target.accountId,
        identityPolicies: caller.identityPolicies,
        resourcePolicy: roles.targetRole.trustPolicy,
        context,
      }),
    );
  }
  return calls;
}

/** Both hops, as EKS runs them for `pod`. */
export async function evaluateChain(roles: ChainRoles, pod: PodRequest): Promise<ChainVerdict> {
  const calls = [...(await evaluateHop1(roles, pod)), ...(await evaluateHop2(roles, pod))];
  return { allowed: calls.every((c) => c.decision === "Allowed"), calls };
}

/** One line per call, for assertion messages. */
export function describeCalls(calls: readonly SimulatedCall[]): string {
  return calls.map((c) => `${c.decision.padEnd(16)} ${c.action} ${c.principal} -> ${c.resource}`).join("\n");
}
