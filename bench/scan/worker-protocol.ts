// What bench/scan/suite.ts hands the scan worker, and what the worker prints back (one line, prefixed).

export const RESULT_PREFIX = "BENCH_SCAN_RESULT ";

export interface WorkerSpec {
  /** The drift config file: state sources, reader role per account, history path. */
  readonly driftConfig: string;
  readonly clusters: number;
}

export interface WorkerResult {
  /** Which entry point was measured, e.g. `drift/check runCheck`. */
  readonly scanner: string;
  /** Time of the check call alone (process start-up and module loading excluded). */
  readonly scanMs: number;
  readonly clusters: number;
  /** Clusters the check could not read (scope.clusters with ok: false). */
  readonly failedClusters: number;
  /** Chain roles read from IAM, and those that could not be (scope.iam.roles with ok: false). */
  readonly roles?: number;
  readonly failedRoles?: number;
  /** Live associations read, over all clusters. */
  readonly associations: number;
  /** The check's own count of API call attempts (EKS, STS and IAM). */
  readonly scannerApiCalls?: number;
  /** The report's summary, as a sanity check (everything should be managed and in sync). */
  readonly summary?: Readonly<Record<string, number>>;
  readonly complete?: boolean;
  readonly errors: readonly string[];
  readonly error?: string;
}
