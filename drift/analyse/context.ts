// What the phases of one analysis share: the input, indexes built once over it, what earlier phases
// concluded, and the drafts every phase appends to. Each field says which phase fills it; the phases run in
// the order analyse.ts lists, so a phase reads only what the phases before it filled.
import type { ClusterRef, ClusterScan, LiveAssociation, StateAssociation, StateRole } from "../model";
import type { Draft } from "./draft";
import { HistoryIndex } from "./history-index";
import { clusterKey, globMatch, parseArn, slotKey } from "./identity";
import type { AnalyseSettings, AnalysisInput, IgnoreRule } from "./types";

export type ReadScan = Extract<ClusterScan, { ok: true }>;

/** A live association the report may speak about (not left out by an ignore rule or addonOwned: ignore). */
export interface VisibleLive {
  readonly live: LiveAssociation;
  readonly region: string;
  readonly scan: ReadScan;
}

export class AnalysisContext {
  readonly settings: AnalyseSettings;
  readonly now: Date;
  readonly defaultRegion: string | undefined;
  readonly drafts: Draft[] = [];
  readonly history: HistoryIndex;

  /** Clusters read completely, and every live association in them by id and by slot. */
  readonly readScans: readonly ReadScan[];
  readonly liveById = new Map<string, { readonly live: LiveAssociation; readonly scan: ReadScan }>();
  readonly liveBySlot = new Map<string, LiveAssociation>();
  private readonly scansByCluster = new Map<string, ClusterScan[]>();

  // phases/state.ts
  /** State sources that could not be read. */
  readonly unreadSources: string[] = [];
  /** The state associations to compare with live, one per association id, none of them in conflict. */
  readonly stateAssociations: StateAssociation[] = [];
  /** Association ids that state sources record inconsistently: reported, never compared. */
  readonly conflicted = new Set<string>();
  /** Roles from state by ARN, one record per distinct trust and policies (more than one: the sources disagree). */
  readonly roles = new Map<string, readonly StateRole[]>();
  /** The Terraform address managing an association id (phases/managed.ts adds the successors of replaced ones). */
  readonly addressOf = new Map<string, string>();

  // phases/managed.ts (and phases/state.ts for the conflicting ones)
  /** State associations in scope (not left out by an ignore rule). */
  managed = 0;
  /** State association ids compared with a fully read cluster. */
  readonly verified = new Set<string>();
  /** Live association ids that state accounts for (by id, or as the successor of a replaced one). */
  readonly claimed = new Set<string>();

  // phases/unmanaged.ts
  readonly visible: VisibleLive[] = [];

  // phases/deleted.ts
  /** Association ids found gone from a fully read cluster for the first time. */
  readonly newlyGone: string[] = [];

  constructor(readonly input: AnalysisInput) {
    this.settings = input.settings;
    this.now = input.now;
    this.defaultRegion = input.defaultRegion;
    this.history = HistoryIndex.of(input.history.versions);
    this.readScans = input.scans.filter((x): x is ReadScan => x.ok);
    for (const scan of input.scans) {
      const k = clusterKey(scan.cluster);
      const list = this.scansByCluster.get(k);
      if (list) list.push(scan);
      else this.scansByCluster.set(k, [scan]);
    }
    for (const scan of this.readScans) {
      for (const live of scan.associations) {
        this.liveById.set(live.associationId, { live, scan });
        this.liveBySlot.set(slotKey(live, liveRegion(live, scan)), live);
      }
    }
  }

  push(d: Draft): void {
    this.drafts.push(d);
  }

  /** True when an ignore rule without kinds leaves this association out of the check entirely. */
  ignoredEntirely(cluster: string, namespace: string, serviceAccount: string): boolean {
    return this.settings.ignore.some((r) => r.kinds === undefined && ruleMatches(r, cluster, namespace, serviceAccount));
  }

  /** The region of a state association: its own, its ARN's, else the default region. */
  regionOf(a: StateAssociation): string | undefined {
    return a.region ?? parseArn(a.associationArn).region ?? this.defaultRegion;
  }

  /** The scan of a cluster (read or not), matched by name and region, and by account when both know it. */
  scanOf(c: { readonly clusterName: string; readonly region: string; readonly accountId?: string | undefined }): ClusterScan | undefined {
    return this.scansByCluster.get(clusterKey(c))?.find((x) => sameAccount(x.cluster.accountId, c.accountId));
  }

  /** Whether a cluster was read completely by this run. */
  wasRead(c: { readonly clusterName: string; readonly region: string; readonly accountId?: string | undefined }): boolean {
    return this.scansByCluster.get(clusterKey(c))?.some((x) => x.ok && sameAccount(x.cluster.accountId, c.accountId)) ?? false;
  }
}

export function liveRegion(live: LiveAssociation, scan: { readonly cluster: ClusterRef }): string {
  return live.region || scan.cluster.region;
}

export function sameAccount(x: string | undefined, y: string | undefined): boolean {
  return x === undefined || y === undefined || x === y;
}

export function ruleMatches(r: IgnoreRule, cluster: string, namespace: string, serviceAccount: string): boolean {
  return (
    (r.cluster === undefined || globMatch(r.cluster, cluster)) &&
    (r.namespace === undefined || globMatch(r.namespace, namespace)) &&
    (r.serviceAccount === undefined || globMatch(r.serviceAccount, serviceAccount))
  );
}
