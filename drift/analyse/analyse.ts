// The analyser: Terraform state against live, plus what history remembers, at one instant. Pure and
// synchronous; every rule of what a finding means is here, in this order:
//   errors (unread state, unread clusters, other problems) → managed associations (changed / missing /
//   replaced) → live associations no state claims (unmanaged) → pending changes (cache-pending,
//   revocation-pending) → external ids → ignore rules by kind → `since` from history.
// A cluster or state source that was not read is never reported in sync, and nothing in it is reported gone.
import type { ClusterScan, LiveAssociation, StateAssociation, StateRole } from "../model";
import type { FieldDiff, Finding, FindingKind } from "../report/report";
import { findPrevious, ttlFor, ttlText } from "./cache";
import { checkExternalId } from "./external-id";
import { clusterKey, configHash, globMatch, parseArn, slotKey } from "./identity";
import type { Analysis, AnalysisInput, AnalyseSettings, IgnoreRule, KeyedFinding, SeenAssociation, SeenLive } from "./types";

const KIND_ORDER: readonly FindingKind[] = ["error", "revocation-pending", "external-id-mismatch", "missing", "replaced", "changed", "unmanaged", "cache-pending"];

type Where = Pick<Finding, "cluster" | "region" | "accountId" | "namespace" | "serviceAccount" | "associationId" | "address">;

type Draft = Omit<Finding, "since" | keyof Where> & { readonly where: Where; readonly counts: boolean; readonly keyExtra?: string };

export function analyse(input: AnalysisInput): Analysis {
  const { settings: s, now } = input;
  const drafts: Draft[] = [];
  const push = (d: Omit<Draft, "since">) => drafts.push(d);
  const ignored = (cluster: string, namespace: string, serviceAccount: string) => isIgnored(s.ignore, cluster, namespace, serviceAccount);

  // --- errors: state sources --------------------------------------------------------------------------
  const stateAssociations: StateAssociation[] = [];
  const roles = new Map<string, StateRole>();
  const unreadSources: string[] = [];
  const seenIds = new Set<string>();
  for (const r of input.states) {
    if (!r.ok) {
      unreadSources.push(r.source);
      push({
        kind: "error",
        where: nowhere(),
        fields: [],
        effectiveAfter: null,
        advice: adviceForStateError(r.error.code),
        detail: `state source ${r.source}: ${r.error.code}: ${r.error.message}`,
        counts: true,
        keyExtra: r.source,
      });
      continue;
    }
    for (const a of r.snapshot.associations) {
      if (seenIds.has(a.associationId)) continue; // the same state read twice (e.g. a glob and a path)
      seenIds.add(a.associationId);
      stateAssociations.push(a);
    }
    for (const role of r.snapshot.roles) if (!roles.has(role.arn)) roles.set(role.arn, role);
  }

  // --- errors: clusters -------------------------------------------------------------------------------
  const scans = input.scans;
  const okScans = scans.filter((x): x is Extract<ClusterScan, { ok: true }> => x.ok);
  for (const scan of scans) {
    if (scan.ok) continue;
    const c = scan.cluster;
    const inState = stateAssociations.filter((a) => a.clusterName === c.name && regionOf(a, input.defaultRegion) === c.region).length;
    push({
      kind: "error",
      where: { ...nowhere(), cluster: c.name, region: c.region, accountId: c.accountId ?? null },
      fields: [],
      effectiveAfter: null,
      advice: adviceForScanError(scan.error.code),
      detail: `cluster ${c.name} (${c.region}${c.accountId ? `, account ${c.accountId}` : ""}) not read: ${scan.error.code}: ${scan.error.message}${inState ? `; ${inState} managed association(s) there not verified` : ""}`,
      counts: true,
    });
  }
  for (const p of input.problems ?? []) {
    push({ kind: "error", where: nowhere(), fields: [], effectiveAfter: null, advice: p.advice, detail: `${p.what}: ${p.message}`, counts: true, keyExtra: p.what });
  }

  // --- managed associations -----------------------------------------------------------------------------
  const liveById = new Map<string, { live: LiveAssociation; scan: Extract<ClusterScan, { ok: true }> }>();
  const liveBySlot = new Map<string, LiveAssociation>();
  for (const scan of okScans) {
    for (const live of scan.associations) {
      const region = live.region || scan.cluster.region;
      liveById.set(live.associationId, { live, scan });
      liveBySlot.set(slotKey({ ...live, region }), live);
    }
  }
  const claimed = new Set<string>(); // live association ids that state accounts for
  const verified = new Set<string>(); // state association ids compared with a fully read cluster
  let managed = 0;
  for (const a of stateAssociations) {
    const region = regionOf(a, input.defaultRegion);
    if (ignored(a.clusterName, a.namespace, a.serviceAccount) === "all") continue;
    managed++;
    const where: Where = {
      cluster: a.clusterName,
      region: region ?? null,
      accountId: a.accountId ?? null,
      namespace: a.namespace,
      serviceAccount: a.serviceAccount,
      associationId: a.associationId,
      address: a.address,
    };
    if (region === undefined) {
      push({
        kind: "error",
        where,
        fields: [],
        effectiveAfter: null,
        advice: "Set `region` in the drift config (or AWS_REGION) so the cluster can be read.",
        detail: `state source ${a.source}: ${a.address} records neither an association ARN nor a region`,
        counts: true,
      });
      continue;
    }
    const scan = scans.find((x) => x.cluster.name === a.clusterName && x.cluster.region === region && sameAccount(x.cluster.accountId, a.accountId));
    if (scan === undefined || !scan.ok) continue; // reported as a cluster error; never in sync
    verified.add(a.associationId);
    const byId = liveById.get(a.associationId);
    if (byId !== undefined) {
      claimed.add(a.associationId);
      const fields = diffFields(a, byId.live);
      if (fields.length > 0) {
        push({
          kind: "changed",
          where: { ...where, accountId: a.accountId ?? byId.live.accountId ?? null },
          fields,
          effectiveAfter: null,
          advice: `Live differs from Terraform state in ${fields.map((f) => f.name).join(", ")}. Either make the change in code and deploy it, or deploy as is (cdktf deploy) to put state's values back.`,
          counts: true,
        });
      }
      continue;
    }
    const occupant = liveBySlot.get(slotKey({ ...a, region }));
    if (occupant !== undefined && !claimed.has(occupant.associationId)) {
      claimed.add(occupant.associationId);
      const fields: FieldDiff[] = [{ name: "association_id", expected: a.associationId, actual: occupant.associationId }, ...diffFields(a, occupant)];
      push({
        kind: "replaced",
        where: { ...where, accountId: a.accountId ?? occupant.accountId ?? null },
        fields,
        effectiveAfter: null,
        advice: `The association was deleted and recreated outside Terraform; a deploy would fail (one association per service account). Adopt the new one: terraform state rm '${a.address}' then terraform import '${a.address}' ${a.clusterName},${occupant.associationId} (in the stack's directory under cdktf.out); or delete it and deploy.`,
        detail: `live association ${occupant.associationArn}`,
        counts: true,
      });
      continue;
    }
    push({
      kind: "missing",
      where,
      fields: [],
      effectiveAfter: null,
      advice: "In Terraform state but not live (deleted out of band). Deploy (cdktf deploy) to recreate it; then restart the pods of this service account: running pods get no credentials from a new association.",
      counts: true,
    });
  }

  // --- unmanaged ------------------------------------------------------------------------------------------
  const visible: { live: LiveAssociation; region: string }[] = [];
  for (const scan of okScans) {
    for (const live of scan.associations) {
      const region = live.region || scan.cluster.region;
      if (ignored(live.clusterName, live.namespace, live.serviceAccount) === "all") continue;
      if (live.ownerArn && s.addonOwned === "ignore" && !claimed.has(live.associationId)) continue;
      visible.push({ live, region });
      if (claimed.has(live.associationId)) continue;
      const addon = live.ownerArn !== undefined;
      const unread = unreadSources.length > 0 ? ` State source(s) not read: ${unreadSources.join(", ")}; it may be managed there.` : "";
      push({
        kind: "unmanaged",
        where: liveWhere(live, region, scan.cluster.accountId),
        fields: [],
        effectiveAfter: null,
        advice: addon
          ? `Owned by an EKS add-on and managed through it, not Terraform: not counted as drift (set addonOwned: drift to count it).`
          : `Live but in no Terraform state read. Import it (terraform import ADDRESS ${live.clusterName},${live.associationId}), delete it, or add an ignore rule.${unread}`,
        detail: addon ? `owned by ${live.ownerArn}` : `live association ${live.associationArn}`,
        ...(addon ? { ownerArn: live.ownerArn } : {}),
        counts: !addon || s.addonOwned === "drift",
      });
    }
  }

  // --- pending changes: cache-pending, revocation-pending ---------------------------------------------------
  const versions = input.history.versions;
  // The Terraform address that manages a live association: by id, or the state association it replaced.
  const addressOf = new Map<string, string>();
  for (const a of stateAssociations) addressOf.set(a.associationId, a.address);
  for (const d of drafts) if (d.kind === "replaced") addressOf.set(String(d.fields[0]!.actual), d.where.address!);
  const liveWhereManaged = (live: LiveAssociation, region: string): Where => ({ ...liveWhere(live, region, undefined), address: addressOf.get(live.associationId) ?? null });
  for (const { live, region } of visible) {
    const hash = configHash(live);
    const prev = findPrevious(live, versions, s, region);
    if (prev.previous !== undefined && prev.previous.configHash === hash) continue; // no credential change
    const { ttlMs, assumed } = ttlFor(prev.previous, s);
    const effective = live.modifiedAt.getTime() + ttlMs;
    if (effective <= now.getTime()) continue;
    const where = liveWhereManaged(live, region);
    const until = iso(effective);
    const workload = `pods using service account ${live.namespace}/${live.serviceAccount} in ${live.clusterName}`;
    const lostTarget = prev.previous?.targetRoleArn !== undefined && live.targetRoleArn === undefined;
    if (lostTarget) {
      push({
        kind: "revocation-pending",
        where,
        fields: [{ name: "target_role_arn", expected: null, actual: prev.previous!.targetRoleArn }],
        effectiveAfter: until,
        advice: `SECURITY: the target role was removed at ${iso(live.modifiedAt.getTime())}, but ${workload} may keep assuming it with cached credentials until ${until}. To revoke now: restart those pods, or revoke the target role's active sessions (IAM console: Revoke active sessions).`,
        detail: `cache TTL ${ttlText(ttlMs)} of the previous configuration (with a target role), from history`,
        counts: true,
      });
      continue;
    }
    const assumption = assumed
      ? `assumed the longer cache TTL (${ttlText(ttlMs)}): history does not know the previous configuration`
      : `cache TTL ${ttlText(ttlMs)} of the previous configuration (${prev.previous!.targetRoleArn ? "with a target role" : "Pod Identity role only"}), from history`;
    const fields: FieldDiff[] = prev.previous !== undefined ? diffSeen(prev.previous, live) : [];
    const created = live.modifiedAt.getTime() - live.createdAt.getTime() < 1000;
    push({
      kind: "cache-pending",
      where,
      fields,
      effectiveAfter: until,
      advice: prev.isNew
        ? `New association (created ${iso(live.createdAt.getTime())}): ${workload} that were already running get no credentials from it at all (the credential variables are injected at pod creation); restart them. If it replaced a deleted association, running pods keep the old credentials until ${until}.`
        : `${created ? "Recreated" : "Changed"} at ${iso(live.modifiedAt.getTime())}: ${workload} may keep credentials of the previous configuration until ${until}. Restart them (e.g. kubectl -n ${live.namespace} rollout restart deployment/NAME) to apply it now.`,
      detail: assumption,
      counts: true,
    });
  }

  const liveIds = new Set([...liveById.keys()]);
  const readClusters = okScans.map((x) => x.cluster);
  const newlyGone: string[] = [];
  for (const v of latestVersions(versions)) {
    if (liveIds.has(v.associationId)) continue;
    if (!readClusters.some((c) => c.name === v.clusterName && c.region === v.region && sameAccount(c.accountId, v.accountId))) continue;
    if (ignored(v.clusterName, v.namespace, v.serviceAccount) === "all") continue;
    const goneAt = v.goneAt ?? now;
    if (v.goneAt === undefined) newlyGone.push(v.associationId);
    const { ttlMs } = ttlFor(v, s);
    const effective = goneAt.getTime() + ttlMs;
    if (effective <= now.getTime()) continue;
    // Recreated on the same service account: the pending change is the successor's (cache-pending, or
    // revocation-pending there when it lost the target role).
    if (liveBySlot.has(slotKey(v))) continue;
    const until = iso(effective);
    push({
      kind: "revocation-pending",
      where: {
        cluster: v.clusterName,
        region: v.region,
        accountId: v.accountId ?? null,
        namespace: v.namespace,
        serviceAccount: v.serviceAccount,
        associationId: v.associationId,
        address: stateAssociations.find((a) => a.associationId === v.associationId)?.address ?? null,
      },
      fields: [
        { name: "role_arn", expected: null, actual: v.roleArn },
        ...(v.targetRoleArn ? [{ name: "target_role_arn", expected: null, actual: v.targetRoleArn }] : []),
      ],
      effectiveAfter: until,
      advice: `SECURITY: the association was deleted (last seen ${iso(v.lastSeenAt.getTime())}, found gone ${iso(goneAt.getTime())}); pods using service account ${v.namespace}/${v.serviceAccount} in ${v.clusterName} may keep its access with cached credentials until ${until}. To revoke now: restart or delete those pods, or revoke the role's active sessions (IAM console: Revoke active sessions).`,
      detail: `cache TTL ${ttlText(ttlMs)} (${v.targetRoleArn ? "with a target role" : "Pod Identity role only"}) counted from when a run first found it gone`,
      counts: true,
    });
  }

  // --- external ids ------------------------------------------------------------------------------------------
  const managedIds = new Set(stateAssociations.map((a) => a.associationId));
  for (const { live, region } of visible) {
    if (!live.disableSessionTags || !live.targetRoleArn) continue;
    const isManaged = managedIds.has(live.associationId) || claimed.has(live.associationId);
    const where = liveWhereManaged(live, region);
    const role = roles.get(live.targetRoleArn);
    const notPossible = (why: string, advice: string) => {
      if (!isManaged) return;
      push({ kind: "external-id-mismatch", where, fields: [], effectiveAfter: null, advice, detail: `check not possible: ${why}`, counts: false });
    };
    if (role === undefined) {
      notPossible(`target role ${live.targetRoleArn} is in no state read`, "Add the state that manages the target role (--state) to check its trust policy against the external id.");
      continue;
    }
    if (live.externalId === undefined) {
      notPossible("EKS returned no externalId for this association", "Describe the association to confirm; nothing to compare the trust policy with.");
      continue;
    }
    const verdict = checkExternalId(role.assumeRolePolicy, live.externalId);
    if (verdict.result === "unreadable") {
      notPossible(`${verdict.reason} (${role.address})`, "Check the target role's trust policy.");
    } else if (verdict.result === "mismatch") {
      push({
        kind: "external-id-mismatch",
        where,
        fields: [{ name: "external_id", expected: verdict.allowed.length === 1 ? verdict.allowed[0] : verdict.allowed, actual: live.externalId }],
        effectiveAfter: null,
        advice: `The trust policy of ${live.targetRoleArn} (${role.address}) does not allow the sts:ExternalId EKS sends, so pods of ${live.namespace}/${live.serviceAccount} cannot assume it. Allow ${JSON.stringify(live.externalId)} (REGION/CLUSTER_ACCOUNT/CLUSTER/NAMESPACE/SERVICE_ACCOUNT) in its trust and deploy.`,
        detail: `target role from state source ${role.source}`,
        counts: true,
      });
    }
  }

  // --- ignore rules by kind, keys, since ----------------------------------------------------------------------
  const out: KeyedFinding[] = [];
  for (const d of drafts) {
    const w = d.where;
    if (w.cluster !== null && w.namespace !== null && w.serviceAccount !== null && isIgnoredKind(s.ignore, w.cluster, w.namespace, w.serviceAccount, d.kind)) continue;
    const key = findingKey(d.kind, w, d.keyExtra);
    const since = input.history.available ? (input.history.openSince.get(key) ?? now.toISOString()) : null;
    const { where, counts, keyExtra: _keyExtra, ...rest } = d;
    const finding: Finding = {
      kind: rest.kind,
      cluster: where.cluster,
      region: where.region,
      accountId: where.accountId,
      namespace: where.namespace,
      serviceAccount: where.serviceAccount,
      associationId: where.associationId,
      address: where.address,
      fields: rest.fields,
      since,
      effectiveAfter: rest.effectiveAfter,
      advice: rest.advice,
      ...(rest.detail !== undefined ? { detail: rest.detail } : {}),
      ...(rest.ownerArn !== undefined ? { ownerArn: rest.ownerArn } : {}),
      ...(counts ? {} : { informational: true }),
    };
    out.push({ key, finding, counts });
  }
  out.sort(compareFindings);

  const withFindings = new Set(out.filter((f) => f.counts && f.finding.associationId !== null).map((f) => f.finding.associationId!));
  // A managed association replaced by another is tracked under the state's id: the live one carries no separate finding.
  const inSync = [...verified].filter((id) => !withFindings.has(id)).length;

  const seen: SeenLive[] = okScans.flatMap((scan) =>
    scan.associations.map((live) => ({
      associationId: live.associationId,
      ...(live.accountId ?? parseArn(live.associationArn).accountId ? { accountId: live.accountId ?? parseArn(live.associationArn).accountId } : {}),
      region: live.region || scan.cluster.region,
      clusterName: live.clusterName,
      namespace: live.namespace,
      serviceAccount: live.serviceAccount,
      roleArn: live.roleArn,
      ...(live.targetRoleArn ? { targetRoleArn: live.targetRoleArn } : {}),
      disableSessionTags: live.disableSessionTags,
      modifiedAt: live.modifiedAt,
      configHash: configHash(live),
    })),
  );

  return {
    findings: out,
    managed,
    inSync,
    complete: !out.some((f) => f.finding.kind === "error"),
    seen,
    newlyGone,
    clustersRead: okScans.map((x) => clusterKey(x.cluster)),
    clustersUnread: scans.filter((x) => !x.ok).map((x) => clusterKey(x.cluster)),
  };
}

/** The identity history tracks a finding under: kind, where, and for errors the source. */
export function findingKey(kind: FindingKind, w: Where, extra?: string): string {
  const loc = w.cluster !== null ? `${w.region ?? "?"}/${w.cluster}` : "-";
  const slot = w.namespace !== null ? `${w.namespace}/${w.serviceAccount}` : "-";
  return [kind, loc, slot, w.associationId ?? "-", extra ?? ""].join("|");
}

/** "all": leave the association out; otherwise the kinds to drop, or undefined. */
function isIgnored(rules: readonly IgnoreRule[], cluster: string, namespace: string, serviceAccount: string): "all" | undefined {
  return rules.some((r) => r.kinds === undefined && matches(r, cluster, namespace, serviceAccount)) ? "all" : undefined;
}

function isIgnoredKind(rules: readonly IgnoreRule[], cluster: string, namespace: string, serviceAccount: string, kind: FindingKind): boolean {
  return kind !== "error" && rules.some((r) => r.kinds?.includes(kind) === true && matches(r, cluster, namespace, serviceAccount));
}

function matches(r: IgnoreRule, cluster: string, namespace: string, serviceAccount: string): boolean {
  return (
    (r.cluster === undefined || globMatch(r.cluster, cluster)) &&
    (r.namespace === undefined || globMatch(r.namespace, namespace)) &&
    (r.serviceAccount === undefined || globMatch(r.serviceAccount, serviceAccount))
  );
}

function diffFields(a: StateAssociation, live: LiveAssociation): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (a.roleArn !== live.roleArn) out.push({ name: "role_arn", expected: a.roleArn, actual: live.roleArn });
  if ((a.targetRoleArn ?? null) !== (live.targetRoleArn ?? null)) out.push({ name: "target_role_arn", expected: a.targetRoleArn ?? null, actual: live.targetRoleArn ?? null });
  if (a.disableSessionTags !== live.disableSessionTags) out.push({ name: "disable_session_tags", expected: a.disableSessionTags, actual: live.disableSessionTags });
  if (!sameTags(a.tags, live.tags)) out.push({ name: "tags", expected: sortTags(a.tags), actual: sortTags(live.tags) });
  return out;
}

/** What changed between the configuration pods may hold and live (credential-relevant fields only). */
function diffSeen(prev: SeenAssociation, live: LiveAssociation): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (prev.roleArn !== live.roleArn) out.push({ name: "role_arn", expected: prev.roleArn, actual: live.roleArn });
  if ((prev.targetRoleArn ?? null) !== (live.targetRoleArn ?? null)) out.push({ name: "target_role_arn", expected: prev.targetRoleArn ?? null, actual: live.targetRoleArn ?? null });
  if (prev.disableSessionTags !== live.disableSessionTags) out.push({ name: "disable_session_tags", expected: prev.disableSessionTags, actual: live.disableSessionTags });
  if (prev.associationId !== live.associationId) out.push({ name: "association_id", expected: prev.associationId, actual: live.associationId });
  return out;
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

function sortTags(t: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(t).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function latestVersions(versions: readonly SeenAssociation[]): SeenAssociation[] {
  const latest = new Map<string, SeenAssociation>();
  for (const v of versions) {
    const cur = latest.get(v.associationId);
    if (cur === undefined || v.lastSeenAt.getTime() > cur.lastSeenAt.getTime()) latest.set(v.associationId, v);
  }
  return [...latest.values()];
}

function regionOf(a: StateAssociation, fallback: string | undefined): string | undefined {
  return a.region ?? parseArn(a.associationArn).region ?? fallback;
}

function sameAccount(x: string | undefined, y: string | undefined): boolean {
  return x === undefined || y === undefined || x === y;
}

function liveWhere(live: LiveAssociation, region: string, accountId: string | undefined): Where {
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

function nowhere(): Where {
  return { cluster: null, region: null, accountId: null, namespace: null, serviceAccount: null, associationId: null, address: null };
}

function adviceForStateError(code: string): string {
  const tail = " Until it is read, nothing it manages is reported in sync, and live associations it manages can show as unmanaged.";
  if (/NoStateFiles|StateNotFound|NoSuchKey|NotFound/i.test(code))
    return `Name the state to check: --state PATH|GLOB|s3://BUCKET/KEY, or \`state:\` in the drift config (default: terraform.*.tfstate here, CDKTF's local state).${tail}`;
  if (/AccessDenied|Forbidden|Unreadable|permission/i.test(code)) return `Grant read access to the state (s3:GetObject on the key, or file permissions) and run again.${tail}`;
  return `Check that the source is Terraform state (format version 4) and run again.${tail}`;
}

function adviceForScanError(code: string): string {
  if (/AccessDenied|UnrecognizedClient|ExpiredToken|InvalidClientTokenId|Forbidden/i.test(code))
    return "Grant the reader eks:ListPodIdentityAssociations and eks:DescribePodIdentityAssociation on this cluster (or fix the account's reader role in the drift config) and run again.";
  if (/ResourceNotFound|NotFound/i.test(code)) return "Check the cluster name, region and account (drift config `clusters`, or the state); a deleted cluster should leave state too.";
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(code)) return "EKS throttled the scan past its retries: set scan.requestsPerSecond (per account and region) below the account's EKS quota, or raise AWS_MAX_ATTEMPTS, and run again.";
  if (/Timeout|Abort/i.test(code)) return "Requests timed out: check connectivity to EKS, or raise scan.requestTimeoutSeconds, and run again.";
  return "Run again; if it persists, check connectivity and the EKS service health.";
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function compareFindings(a: KeyedFinding, b: KeyedFinding): number {
  const x = a.finding;
  const y = b.finding;
  const ek = Number(x.kind !== "error") - Number(y.kind !== "error");
  if (ek !== 0) return ek;
  for (const k of ["accountId", "region", "cluster", "namespace", "serviceAccount"] as const) {
    const c = (x[k] ?? "").localeCompare(y[k] ?? "");
    if (c !== 0) return c;
  }
  return KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind);
}

export type { AnalyseSettings };
