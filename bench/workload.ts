// The synthetic estate every synth variant is generated from: N associations spread over 10 clusters (two per
// cluster account, so five cluster accounts) and 20 target accounts. Deterministic: the same N always gives
// the same associations, so our app, the naive and direct apps and the floor describe exactly the same resources.

export const CLUSTER_COUNT = 10;
export const CLUSTERS_PER_ACCOUNT = 2;
export const TARGET_ACCOUNT_COUNT = 20;
export const REGIONS = ["eu-west-1", "us-east-1"] as const;
export const PARTITION = "aws";

export interface WorkloadAccount {
  /** Config key, also the provider alias. */
  readonly key: string;
  readonly id: string;
  readonly region: string;
}

export interface WorkloadCluster {
  readonly name: string;
  readonly accountKey: string;
  readonly region: string;
}

export interface WorkloadAssociation {
  /** Stable key, unique in the workload: used for construct ids and resource names. */
  readonly key: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The account that owns the target role. */
  readonly targetAccountKey: string;
  /** Name of the Pod Identity role (cluster account) and of the target role (target account). */
  readonly podIdentityRoleName: string;
  readonly targetRoleName: string;
  /** What the target role may do: one S3 read statement on a bucket in its account. */
  readonly bucket: string;
}

export interface Workload {
  readonly size: number;
  readonly clusterAccounts: readonly WorkloadAccount[];
  readonly targetAccounts: readonly WorkloadAccount[];
  readonly clusters: readonly WorkloadCluster[];
  readonly associations: readonly WorkloadAssociation[];
}

function accountId(prefix: number, n: number): string {
  return `${prefix}${String(n).padStart(11, "0")}`.slice(0, 12);
}

/** The estate for `size` associations. Association i goes to cluster i mod 10 and target account ⌊i/10⌋ mod 20. */
export function makeWorkload(size: number): Workload {
  if (!Number.isInteger(size) || size < 1) throw new Error(`workload size must be a positive integer, got ${size}`);
  const clusterAccounts: WorkloadAccount[] = [];
  const clusters: WorkloadCluster[] = [];
  for (let c = 0; c < CLUSTER_COUNT; c++) {
    const a = Math.floor(c / CLUSTERS_PER_ACCOUNT);
    if (c % CLUSTERS_PER_ACCOUNT === 0) {
      clusterAccounts.push({ key: `cluster${a}`, id: accountId(1, a + 1), region: REGIONS[a % REGIONS.length]! });
    }
    clusters.push({ name: `bench-c${c}`, accountKey: `cluster${a}`, region: REGIONS[a % REGIONS.length]! });
  }
  const targetAccounts: WorkloadAccount[] = [];
  for (let t = 0; t < TARGET_ACCOUNT_COUNT; t++) {
    targetAccounts.push({ key: `target${t}`, id: accountId(2, t + 1), region: REGIONS[t % REGIONS.length]! });
  }
  const associations: WorkloadAssociation[] = [];
  for (let i = 0; i < size; i++) {
    const cluster = clusters[i % CLUSTER_COUNT]!;
    const target = targetAccounts[Math.floor(i / CLUSTER_COUNT) % TARGET_ACCOUNT_COUNT]!;
    const key = `a${i}`;
    associations.push({
      key,
      cluster: cluster.name,
      namespace: `team-${i % 50}`,
      serviceAccount: `app-${i}`,
      targetAccountKey: target.key,
      podIdentityRoleName: `${cluster.name}-team-${i % 50}-app-${i}`,
      targetRoleName: `bench-target-${key}`,
      bucket: `bench-data-${target.id}-${i % 7}`,
    });
  }
  // Only what is used: at N=1 that is one cluster account and one target account.
  const usedClusters = new Set(associations.map((a) => a.cluster));
  const usedClusterList = clusters.filter((c) => usedClusters.has(c.name));
  const usedClusterAccounts = new Set(usedClusterList.map((c) => c.accountKey));
  const usedTargets = new Set(associations.map((a) => a.targetAccountKey));
  return {
    size,
    clusterAccounts: clusterAccounts.filter((a) => usedClusterAccounts.has(a.key)),
    targetAccounts: targetAccounts.filter((a) => usedTargets.has(a.key)),
    clusters: usedClusterList,
    associations,
  };
}

/** Lookup helpers shared by the generators. */
export function indexWorkload(w: Workload): {
  account: (key: string) => WorkloadAccount;
  cluster: (name: string) => WorkloadCluster;
} {
  const accounts = new Map([...w.clusterAccounts, ...w.targetAccounts].map((a) => [a.key, a]));
  const clusters = new Map(w.clusters.map((c) => [c.name, c]));
  return {
    account: (key) => {
      const a = accounts.get(key);
      if (!a) throw new Error(`unknown account key ${key}`);
      return a;
    },
    cluster: (name) => {
      const c = clusters.get(name);
      if (!c) throw new Error(`unknown cluster ${name}`);
      return c;
    },
  };
}

export function clusterArn(w: ReturnType<typeof indexWorkload>, cluster: string): string {
  const c = w.cluster(cluster);
  return `arn:${PARTITION}:eks:${c.region}:${w.account(c.accountKey).id}:cluster/${c.name}`;
}
