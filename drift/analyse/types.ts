// What the analyser takes and gives. It is pure: state, live scans, what history remembers and a clock in;
// findings and what to remember out. The history store and the check do the I/O around it.
import type { ClusterScan, RoleRead, StateReadResult } from "../model";
import type { Finding, FindingKind } from "../model";

/** The analyser's share of the drift config. */
export interface AnalyseSettings {
  /** Cache lifetime of credentials from an association with only a Pod Identity role, ms. @default 6h */
  readonly podIdentityRoleTtlMs: number;
  /** Cache lifetime of credentials from an association with a target role, ms. @default 59m */
  readonly targetRoleTtlMs: number;
  readonly ignore: readonly IgnoreRule[];
  /** report: listed but not drift; drift: counted; ignore: left out. @default "report" */
  readonly addonOwned: "report" | "drift" | "ignore";
}

export interface IgnoreRule {
  readonly cluster?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly kinds?: readonly FindingKind[];
}

/** The credential-relevant configuration of an association, as history remembers it. */
export interface SeenAssociation extends SeenLive {
  /** When a run first and last saw this version live. */
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  /** When a run first found the association gone from its (fully read) cluster. */
  readonly goneAt?: Date;
}

/** What the history store knows before this run. Empty when there is no history (first run, or no store). */
export interface HistoryView {
  /** Every remembered version of every association, any order. */
  readonly versions: readonly SeenAssociation[];
  /** Open findings by key (findingKey): when each was first seen, ISO 8601. */
  readonly openSince: ReadonlyMap<string, string>;
  /** False when no store could be used: the report then says so where it matters. */
  readonly available: boolean;
}

export const EMPTY_HISTORY: HistoryView = { versions: [], openSince: new Map(), available: false };

/** A failure outside state and clusters that still makes the run incomplete (e.g. the history store). */
export interface RunProblem {
  readonly what: string;
  readonly message: string;
  readonly advice: string;
}

export interface AnalysisInput {
  readonly states: readonly StateReadResult[];
  readonly scans: readonly ClusterScan[];
  /** The chain roles read from IAM, one per distinct ARN; undefined when the IAM half is off. */
  readonly roles?: readonly RoleRead[];
  readonly history: HistoryView;
  readonly settings: AnalyseSettings;
  readonly now: Date;
  /** Region to assume for state associations that record none. */
  readonly defaultRegion?: string;
  readonly problems?: readonly RunProblem[];
}

/** A finding with the key history tracks it under. */
export interface KeyedFinding {
  readonly key: string;
  readonly finding: Finding;
  /** Counts toward drift and the exit code (false for add-on-owned unmanaged ones, unverifiable checks). */
  readonly counts: boolean;
}

export interface Analysis {
  readonly findings: readonly KeyedFinding[];
  readonly managed: number;
  readonly inSync: number;
  readonly complete: boolean;
  /** Live associations seen in fully read clusters: history records them. */
  readonly seen: readonly SeenLive[];
  /** Association ids found gone in fully read clusters for the first time: history marks them. */
  readonly newlyGone: readonly string[];
  /** Clusters read completely ("region/name" keys): history closes their findings that are no longer there. */
  readonly clustersRead: readonly string[];
  /** Clusters that could not be read: their open findings stay open. */
  readonly clustersUnread: readonly string[];
}

/** A live association as a run saw it: its credential-relevant configuration. */
export interface SeenLive {
  readonly associationId: string;
  readonly accountId?: string;
  readonly region: string;
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly roleArn: string;
  readonly targetRoleArn?: string;
  readonly disableSessionTags: boolean;
  readonly modifiedAt: Date;
  readonly configHash: string;
}
