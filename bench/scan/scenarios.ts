// The scan workloads: clusters and associations to put in the emulator, and the least work a scanner can do.

export const PAGE_SIZE = 100; // ListPodIdentityAssociations maxResults ceiling

export interface ScanScenario {
  readonly name: string;
  readonly clusters: number;
  readonly associationsPerCluster: number;
  /** Clusters are dealt round-robin over this many accounts. */
  readonly accounts: number;
  /** R: the emulator throttles each account above this many requests per second (`--rate` overrides). */
  readonly rps: number;
}

// R is per account. Both full scenarios get the same total budget (250 requests/s over all accounts), so
// the bound (~20 s each) sits well inside what the emulator and the SDK can serve on a small machine
// (≈ 500–1,000 requests/s on 2 shared cores): above that the figure measures the CPU, not the scanner's pacing.
export const FULL_SCENARIOS: readonly ScanScenario[] = [
  { name: "1 cluster × 5,000", clusters: 1, associationsPerCluster: 5000, accounts: 1, rps: 250 },
  { name: "200 clusters × 25, 10 accounts", clusters: 200, associationsPerCluster: 25, accounts: 10, rps: 25 },
];

export const QUICK_SCENARIOS: readonly ScanScenario[] = [
  { name: "1 cluster × 150", clusters: 1, associationsPerCluster: 150, accounts: 1, rps: 500 },
  { name: "10 clusters × 5, 2 accounts", clusters: 10, associationsPerCluster: 5, accounts: 2, rps: 250 },
];

export interface PlannedCluster {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  readonly associations: number;
}

export const SCAN_REGION = "eu-west-1";

// The chain roles of the workload: associations share roles as teams do (a Pod Identity role per team in each
// cluster account, a target role per team in one of the target accounts), each role with one inline policy.
// IAM throttles each account above IAM_RPS requests/s (its quotas are low).
export const TEAMS = 40;
export const TARGET_ACCOUNTS = 20;
export const IAM_RPS = 20;
/** GetRole, ListRolePolicies, GetRolePolicy (one inline policy), ListAttachedRolePolicies. */
export const IAM_CALLS_PER_ROLE = 4;

export const piRoleArn = (accountId: string, i: number) => `arn:aws:iam::${accountId}:role/pi-team-${i % TEAMS}`;
export const targetRoleArn = (i: number) => `arn:aws:iam::2000000000${String(i % TARGET_ACCOUNTS).padStart(2, "0")}:role/target-team-${i % TEAMS}`;

/** Every distinct chain role of the planned associations, by account. */
export function planRoles(clusters: readonly PlannedCluster[]): Map<string, Set<string>> {
  const byAccount = new Map<string, Set<string>>();
  const add = (arn: string) => {
    const account = arn.split(":")[4]!;
    byAccount.set(account, (byAccount.get(account) ?? new Set()).add(arn));
  };
  for (const c of clusters) {
    for (let i = 0; i < c.associations; i++) {
      add(piRoleArn(c.accountId, i));
      add(targetRoleArn(i));
    }
  }
  return byAccount;
}

/** The IAM rate bound: accounts read in parallel, each at IAM_RPS at best. */
export function iamBoundMs(roles: ReadonlyMap<string, ReadonlySet<string>>, rps: number): number {
  let worst = 0;
  for (const r of roles.values()) worst = Math.max(worst, r.size * IAM_CALLS_PER_ROLE);
  return (worst / rps) * 1000;
}

export function accountIdFor(i: number): string {
  return `3${String(i + 1).padStart(11, "0")}`;
}

export function planClusters(s: ScanScenario): PlannedCluster[] {
  const out: PlannedCluster[] = [];
  for (let c = 0; c < s.clusters; c++) {
    out.push({ name: `scan-c${c}`, region: SCAN_REGION, accountId: accountIdFor(c % s.accounts), associations: s.associationsPerCluster });
  }
  return out;
}

/** List pages one cluster needs: an empty cluster still takes one call. */
export function listPages(associations: number): number {
  return Math.max(1, Math.ceil(associations / PAGE_SIZE));
}

/** The fewest EKS calls per account: every list page plus one describe per association. */
export function minimumCallsByAccount(clusters: readonly PlannedCluster[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of clusters) m.set(c.accountId, (m.get(c.accountId) ?? 0) + listPages(c.associations) + c.associations);
  return m;
}

/** The rate bound: accounts are scanned in parallel, each at R calls per second at best. */
export function rateBoundMs(clusters: readonly PlannedCluster[], rps: number): number {
  let worst = 0;
  for (const calls of minimumCallsByAccount(clusters).values()) worst = Math.max(worst, calls);
  return (worst / rps) * 1000;
}
