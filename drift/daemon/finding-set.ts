// What counts as "the set of findings changed". A finding's identity is its kind and where it is (account,
// region, cluster, namespace, service account, Terraform address, the chain role) plus effectiveAfter and
// broadens: a pending change that moves its deadline is a new finding, and so is a role change that comes to
// broaden access. Field values and advice text are not part of it, so re-wording or a changed error message
// does not notify.
//
// An incomplete scan cannot prove a finding resolved where it could not look: findings of a cluster that
// has an `error` finding now are carried over, and when a state source failed (an error without cluster)
// nothing is reported resolved at all.
import type { Finding } from "../model";
import type { Report } from "../report/report";

export function findingKey(f: Finding): string {
  return JSON.stringify([
    f.kind,
    f.accountId,
    f.region,
    f.cluster,
    f.namespace,
    f.serviceAccount,
    f.address,
    f.effectiveAfter,
    f.role?.arn ?? null,
    f.broadens ?? null,
  ]);
}

export interface FindingChange {
  readonly added: readonly Finding[];
  readonly resolved: readonly Finding[];
}

/** The findings a daemon remembers between scans, keyed. */
export class FindingSet {
  private constructor(private readonly byKey: ReadonlyMap<string, Finding>) {}

  static empty(): FindingSet {
    return new FindingSet(new Map());
  }

  /** The set holding exactly these findings (e.g. what the previous leader notified). */
  static of(findings: readonly Finding[]): FindingSet {
    return new FindingSet(new Map(findings.map((f) => [findingKey(f), f])));
  }

  get findings(): Finding[] {
    return [...this.byKey.values()];
  }

  get size(): number {
    return this.byKey.size;
  }

  /**
   * The set after `report`, and what changed from this one. Findings carried over from clusters the
   * report could not read stay in the returned set.
   */
  next(report: Report): { set: FindingSet; change: FindingChange } {
    const now = new Map<string, Finding>();
    for (const f of report.findings) now.set(findingKey(f), f);

    const stateSourceFailed = report.findings.some((f) => f.kind === "error" && f.cluster === null);
    const unreadable = new Set(report.findings.filter((f) => f.kind === "error" && f.cluster !== null).map((f) => clusterId(f)));

    const resolved: Finding[] = [];
    const set = new Map(now);
    for (const [key, f] of this.byKey) {
      if (now.has(key)) continue;
      const unseen = !report.complete && f.kind !== "error" && (stateSourceFailed || unreadable.has(clusterId(f)));
      if (unseen) set.set(key, f);
      else resolved.push(f);
    }
    const added = [...now].filter(([key]) => !this.byKey.has(key)).map(([, f]) => f);
    return { set: new FindingSet(set), change: { added, resolved } };
  }
}

// Region and name only: an error for a cluster may not know its account.
function clusterId(f: Finding): string {
  return JSON.stringify([f.region, f.cluster]);
}

export function isEmptyChange(c: FindingChange): boolean {
  return c.added.length === 0 && c.resolved.length === 0;
}
