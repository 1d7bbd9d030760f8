// Hand-made state and live values for unit tests of the analyser, the history store and the outputs.
import type { AnalyseSettings, AnalysisInput, HistoryView } from "../../../drift/analyse/types";
import { EMPTY_HISTORY } from "../../../drift/analyse/types";
import type { ClusterRef, ClusterScan, LiveAssociation, StateAssociation, StateReadResult, StateRole } from "../../../drift/model";

export const ACCOUNT = "111111111111";
export const TARGET_ACCOUNT = "222222222222";
export const REGION = "eu-west-1";
export const CLUSTER: ClusterRef = { name: "prod", region: REGION, accountId: ACCOUNT };
export const T0 = new Date("2026-01-01T00:00:00Z");
export const HOUR = 3_600_000;
export const MIN = 60_000;

export const SETTINGS: AnalyseSettings = { podIdentityRoleTtlMs: 6 * HOUR, targetRoleTtlMs: 59 * MIN, ignore: [], addonOwned: "report" };

export const role = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;
export const assocArn = (id: string, cluster = CLUSTER) =>
  `arn:aws:eks:${cluster.region}:${cluster.accountId ?? ACCOUNT}:podidentityassociation/${cluster.name}/${id}`;

export function stateAssoc(id: string, over: Partial<StateAssociation> = {}): StateAssociation {
  return {
    source: "terraform.app.tfstate",
    address: `aws_eks_pod_identity_association.${id.replace(/-/g, "_")}`,
    provider: 'provider["registry.terraform.io/hashicorp/aws"].cluster',
    providerAlias: "cluster",
    clusterName: CLUSTER.name,
    namespace: "payments",
    serviceAccount: `sa-${id}`,
    associationId: id,
    associationArn: assocArn(id),
    region: REGION,
    accountId: ACCOUNT,
    roleArn: role("pod-identity"),
    targetRoleArn: role("target", TARGET_ACCOUNT),
    disableSessionTags: false,
    tags: { team: "payments" },
    ...over,
  };
}

/** Where a finding about `a` says it is (the fields every association finding carries). */
export function locationOf(a: StateAssociation) {
  return {
    cluster: a.clusterName,
    region: a.region ?? null,
    accountId: a.accountId ?? null,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    associationId: a.associationId,
    address: a.address,
  };
}

/** The live twin of a state association, modified well before T0 unless told otherwise. */
export function liveOf(a: StateAssociation, over: Partial<LiveAssociation> = {}): LiveAssociation {
  const created = new Date(T0.getTime() - 48 * HOUR);
  return {
    clusterName: a.clusterName,
    region: a.region ?? REGION,
    accountId: a.accountId ?? ACCOUNT,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    associationId: a.associationId,
    associationArn: a.associationArn ?? assocArn(a.associationId),
    roleArn: a.roleArn,
    ...(a.targetRoleArn !== undefined ? { targetRoleArn: a.targetRoleArn } : {}),
    disableSessionTags: a.disableSessionTags,
    ...(a.externalId !== undefined ? { externalId: a.externalId } : {}),
    tags: { ...a.tags },
    createdAt: created,
    modifiedAt: created,
    ...over,
  };
}

export function stateOk(associations: StateAssociation[], roles: StateRole[] = [], source = "terraform.app.tfstate"): StateReadResult {
  return { ok: true, snapshot: { source, associations, roles } };
}

export function scanOk(associations: LiveAssociation[], cluster: ClusterRef = CLUSTER): ClusterScan {
  return { cluster, ok: true, associations, apiCalls: 1 + associations.length };
}

export function scanFailed(code: string, cluster: ClusterRef = CLUSTER): ClusterScan {
  return { cluster, ok: false, error: { code, message: `${code} on ${cluster.name}` }, apiCalls: 1 };
}

export function input(states: StateReadResult[], scans: ClusterScan[], over: Partial<AnalysisInput> = {}): AnalysisInput {
  return { states, scans, history: EMPTY_HISTORY as HistoryView, settings: SETTINGS, now: T0, ...over };
}

export function trustWithExternalId(externalIds: string[] | string, principal = role("pod-identity")): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": externalIds }, ArnEquals: { "aws:PrincipalARN": principal } },
      },
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "sts:TagSession",
        Condition: { ArnEquals: { "aws:PrincipalARN": principal } },
      },
    ],
  });
}
