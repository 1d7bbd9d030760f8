// A finding as the phases of the analyser write it: where it is, what it says, whether it counts. The
// last phase (phases/finish.ts) turns drafts into report findings with their history keys and `since`.
import type { LiveAssociation } from "../model";
import type { Finding } from "../model";
import { parseArn } from "./identity";

export type Where = Pick<Finding, "cluster" | "region" | "accountId" | "namespace" | "serviceAccount" | "associationId" | "address">;

export type Draft = Omit<Finding, "since" | keyof Where> & {
  readonly where: Where;
  /** Counts toward drift and the exit code. */
  readonly counts: boolean;
  /** Distinguishes findings at the same place in history's key (e.g. the source of a state error). */
  readonly keyExtra?: string;
};

/** A finding about no cluster or association (a state source, the history store). */
export function nowhere(): Where {
  return { cluster: null, region: null, accountId: null, namespace: null, serviceAccount: null, associationId: null, address: null };
}

/** Where a live association is; the address is filled in by phases that know the managing resource. */
export function liveWhere(live: LiveAssociation, region: string, accountId: string | undefined): Where {
  return {
    cluster: live.clusterName,
    region,
    accountId: live.accountId ?? parseArn(live.associationArn).accountId ?? accountId ?? null,
    namespace: live.namespace,
    serviceAccount: live.serviceAccount,
    associationId: live.associationId,
    address: null,
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
