// What bench/scan/suite.ts hands the scan worker, and what the worker prints back (one line, prefixed).

export const RESULT_PREFIX = "BENCH_SCAN_RESULT ";

export interface WorkerSpec {
  readonly endpoint: string;
  readonly region: string;
  readonly clusters: ReadonlyArray<{ readonly name: string; readonly region: string; readonly accountId: string }>;
  /** Per cluster account: the role the scanner assumes to read it. */
  readonly readers: Readonly<Record<string, { readonly roleArn: string }>>;
}

export interface WorkerResult {
  /** Which entry point was measured, e.g. `drift/live scanClusters`. */
  readonly scanner: string;
  /** Time of the scan call alone (process start-up and module loading excluded). */
  readonly scanMs: number;
  readonly clusters: number;
  /** Clusters the scanner could not read (ok: false / error findings). */
  readonly failedClusters: number;
  /** Live associations returned, over all clusters. */
  readonly associations: number;
  /** The scanner's own API call count, if it reports one. */
  readonly scannerApiCalls?: number;
  readonly errors: readonly string[];
  readonly error?: string;
}
