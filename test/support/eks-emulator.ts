// A protocol-level emulator of the EKS Pod Identity API (REST-JSON) and of STS AssumeRole (query/XML), on
// 127.0.0.1, for tests and benchmarks driven by the real AWS SDK through AWS_ENDPOINT_URL_EKS /
// AWS_ENDPOINT_URL_STS.
//
// Wire format as in the EKS API model (botocore eks/2017-11-01 service-2.json, @aws-sdk/client-eks):
//   POST   /clusters/{clusterName}/pod-identity-associations                   CreatePodIdentityAssociation
//   GET    /clusters/{clusterName}/pod-identity-associations?namespace&serviceAccount&maxResults&nextToken
//                                                                             ListPodIdentityAssociations
//   GET    /clusters/{clusterName}/pod-identity-associations/{associationId}   DescribePodIdentityAssociation
//   POST   /clusters/{clusterName}/pod-identity-associations/{associationId}   UpdatePodIdentityAssociation
//   DELETE /clusters/{clusterName}/pod-identity-associations/{associationId}   DeletePodIdentityAssociation
//   POST/DELETE/GET /tags/{resourceArn}                                        Tag/Untag/ListTagsForResource
// Errors: the HTTP status of the modelled error, an `x-amzn-ErrorType: <Code>` header and a JSON body with
// `message` (REST-JSON convention). Timestamps are epoch seconds (JSON numbers, millisecond fraction).
//
// Who is calling: requests carry a SigV4 `Authorization` header; its access key id selects the account and
// its credential scope the region (signatures themselves are not verified). A cluster is identified by
// (account, region, name), so several accounts and regions live in one emulator.
//
// Fault injection: per-request faults matched by operation/account/region/cluster, with a count: errors,
// delays, misbehaviour at the HTTP level (a hang, a body that stalls, a reset, a cut-short JSON body: see
// http-faults.ts), a body of our choice, and list pages whose nextToken never ends (the same token again,
// two tokens in turn, or a fresh one every page). Plus a token-bucket rate limit per account answering
// ThrottlingException above it.
//
// Assumptions (not confirmed against the live service, see shared/domain/pod-identity.md §1-2):
// - externalId is returned only when a target role is set and session tags are disabled, and its value is
//   REGION/ACCOUNT/CLUSTER/NAMESPACE/SERVICE_ACCOUNT (the form AWS documents for the trust policy).
// - UpdatePodIdentityAssociation with `targetRoleArn: ""` removes the target role.
// - Error messages are close to the real ones, not verbatim.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import { misbehave, type HttpFault } from "./http-faults";
import { listenOnLoopback } from "./loopback";
import { Faults, RateLimits, RequestCounts, type RateLimit } from "./request-control";

export type { RateLimit } from "./request-control";

export const DEFAULT_ACCOUNT_ID = "000000000000";
export const DEFAULT_REGION = "us-east-1";

export type EksOperation =
  | "CreatePodIdentityAssociation"
  | "ListPodIdentityAssociations"
  | "DescribePodIdentityAssociation"
  | "UpdatePodIdentityAssociation"
  | "DeletePodIdentityAssociation"
  | "TagResource"
  | "UntagResource"
  | "ListTagsForResource"
  | "AssumeRole";

export type ErrorCode =
  | "ResourceNotFoundException"
  | "AccessDeniedException"
  | "ThrottlingException"
  | "ServerException"
  | "InvalidParameterException"
  | "InvalidRequestException"
  | "ResourceInUseException"
  | "ExpiredTokenException"
  | "UnrecognizedClientException";

const ERROR_STATUS: Record<ErrorCode, number> = {
  ResourceNotFoundException: 404,
  AccessDeniedException: 403,
  ThrottlingException: 429,
  ServerException: 500,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  ResourceInUseException: 409,
  ExpiredTokenException: 403,
  UnrecognizedClientException: 403,
};

export interface EmulatorClusterRef {
  readonly name: string;
  /** @default DEFAULT_REGION */
  readonly region?: string;
  /** @default the emulator's default account */
  readonly accountId?: string;
}

/** An association as the emulator holds it (and as DescribePodIdentityAssociation returns it). */
export interface EmulatedAssociation {
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  associationArn: string;
  associationId: string;
  tags: Record<string, string>;
  createdAt: Date;
  modifiedAt: Date;
  ownerArn?: string;
  disableSessionTags: boolean;
  targetRoleArn?: string;
  externalId?: string;
  policy?: string;
}

export interface AssociationInput {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly roleArn: string;
  readonly targetRoleArn?: string;
  readonly disableSessionTags?: boolean;
  readonly policy?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly ownerArn?: string;
  /** @default the emulator clock */
  readonly createdAt?: Date;
  /** @default createdAt */
  readonly modifiedAt?: Date;
  /** @default computed (see the file comment) */
  readonly externalId?: string;
  /** @default generated */
  readonly associationId?: string;
}

export type AssociationPatch = Partial<
  Pick<EmulatedAssociation, "roleArn" | "targetRoleArn" | "disableSessionTags" | "policy" | "externalId" | "tags" | "ownerArn" | "createdAt" | "modifiedAt">
>;

/** Which requests a fault applies to; every given field must match. */
export interface RequestMatch {
  readonly operation?: EksOperation;
  readonly accountId?: string;
  readonly region?: string;
  readonly cluster?: string;
}

export interface FaultSpec extends RequestMatch {
  /** Answer with this error (after any delay). */
  readonly error?: ErrorCode;
  readonly message?: string;
  /** Hold the response this long first. */
  readonly delayMs?: number;
  /** Misbehave at the HTTP level instead of answering (see http-faults.ts). */
  readonly http?: HttpFault;
  /** Answer 200 with this body instead (e.g. "{}": valid JSON without what the operation returns). */
  readonly body?: string;
  /**
   * ListPodIdentityAssociations pages that never end: `repeat` returns the same nextToken on every page,
   * `cycle` two tokens in turn (A, B, A, …), `endless` a new token on every page (the pages after the first
   * empty).
   */
  readonly nextToken?: "repeat" | "cycle" | "endless";
  /** How many matching requests it applies to. @default Infinity */
  readonly times?: number;
}

/** What the faults matching one request ask for, besides errors and delays (which applyFaults performs). */
interface Misbehaviour {
  readonly http?: HttpFault;
  readonly body?: string;
  readonly nextToken?: FaultSpec["nextToken"];
}

export interface RequestRecordFilter extends RequestMatch {
  readonly outcome?: "ok" | "error" | "throttled";
}

export interface EksEmulatorOptions {
  /** Access key id → account id. More can be added with `addCredentials` / `credentialsFor`. */
  readonly credentials?: Readonly<Record<string, string>>;
  /** Account for an access key id nobody registered; `null` rejects such requests (UnrecognizedClientException). @default DEFAULT_ACCOUNT_ID */
  readonly defaultAccountId?: string | null;
  /** Rate limits per account (`"*"`: every account not listed, each with its own bucket). */
  readonly rateLimits?: Readonly<Record<string, RateLimit>>;
  /** The clock for createdAt/modifiedAt. @default () => new Date() */
  readonly now?: () => Date;
  /** @default "aws" */
  readonly partition?: string;
}

export interface EksEmulator {
  /** `http://127.0.0.1:<port>`: set AWS_ENDPOINT_URL_EKS (and AWS_ENDPOINT_URL_STS) to it. */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;

  // Credentials / accounts
  addCredentials(accessKeyId: string, accountId: string): void;
  /** A key pair registered for the account (stable per account). */
  credentialsFor(accountId: string): { accessKeyId: string; secretAccessKey: string };
  /** The account of a key this emulator knows (registered, or issued by its STS AssumeRole): for other servers of a test. */
  accountOf(accessKeyId: string): string | undefined;

  // State, directly (no requests counted)
  addCluster(ref: EmulatorClusterRef): void;
  removeCluster(ref: EmulatorClusterRef): void;
  hasCluster(ref: EmulatorClusterRef): boolean;
  createAssociation(cluster: EmulatorClusterRef, input: AssociationInput): EmulatedAssociation;
  updateAssociation(cluster: EmulatorClusterRef, associationId: string, patch: AssociationPatch): EmulatedAssociation;
  deleteAssociation(cluster: EmulatorClusterRef, associationId: string): boolean;
  getAssociation(cluster: EmulatorClusterRef, associationId: string): EmulatedAssociation | undefined;
  /** Copies, in creation order. */
  associations(cluster: EmulatorClusterRef): EmulatedAssociation[];

  // Faults
  /** Adds a fault; returns a function removing it. */
  inject(fault: FaultSpec): () => void;
  denyCluster(cluster: EmulatorClusterRef, operation?: EksOperation): () => void;
  throttle(times: number, match?: RequestMatch): () => void;
  serverErrors(times: number, match?: RequestMatch): () => void;
  delay(delayMs: number, match?: RequestMatch & { times?: number }): () => void;
  clearFaults(): void;
  /** `null` removes the limit. */
  setRateLimit(accountId: string | "*", limit: RateLimit | null): void;
  /** Make AssumeRole on this role fail with AccessDenied unless the given external id is passed (or always, with `deny`). */
  setRoleTrust(roleArn: string, trust: { externalId?: string; deny?: boolean }): void;

  // Counters
  /** Requests answered, filtered. */
  count(filter?: RequestRecordFilter): number;
  /** Requests per operation. */
  countsByOperation(filter?: RequestRecordFilter): Record<string, number>;
  resetCounts(): void;
  /** Largest number of requests in flight at once, per account (since the last reset). */
  maxInFlight(accountId?: string): number;
}

interface Cluster {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  readonly arn: string;
  /** Insertion-ordered; seq gives the stable list order used by pagination cursors. */
  readonly associations: Map<string, { seq: number; a: EmulatedAssociation }>;
  readonly clientTokens: Map<string, string>;
  nextSeq: number;
}

interface Caller {
  readonly accessKeyId: string;
  readonly accountId: string;
  readonly region: string;
  readonly service: string;
  readonly principalArn: string;
}

class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | "UnrecognizedClientException" | "MissingAuthenticationTokenException" | "UnknownOperationException",
    message: string,
    readonly status: number = ERROR_STATUS[code as ErrorCode] ?? 400,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

const ASSOC_BASE = "/pod-identity-associations";
const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

function newAssociationId(): string {
  const bytes = randomBytes(17);
  let s = "a-";
  for (const b of bytes) s += ID_ALPHABET[b % ID_ALPHABET.length];
  return s;
}

function epochSeconds(d: Date): number {
  return d.getTime() / 1000;
}

function copy(a: EmulatedAssociation): EmulatedAssociation {
  return { ...a, tags: { ...a.tags }, createdAt: new Date(a.createdAt), modifiedAt: new Date(a.modifiedAt) };
}

function toWire(a: EmulatedAssociation): Record<string, unknown> {
  const out: Record<string, unknown> = {
    clusterName: a.clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    roleArn: a.roleArn,
    associationArn: a.associationArn,
    associationId: a.associationId,
    tags: a.tags,
    createdAt: epochSeconds(a.createdAt),
    modifiedAt: epochSeconds(a.modifiedAt),
    disableSessionTags: a.disableSessionTags,
  };
  if (a.ownerArn !== undefined) out.ownerArn = a.ownerArn;
  if (a.targetRoleArn !== undefined) out.targetRoleArn = a.targetRoleArn;
  if (a.externalId !== undefined) out.externalId = a.externalId;
  if (a.policy !== undefined) out.policy = a.policy;
  return out;
}

function toSummary(a: EmulatedAssociation): Record<string, unknown> {
  const out: Record<string, unknown> = {
    clusterName: a.clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    associationArn: a.associationArn,
    associationId: a.associationId,
  };
  if (a.ownerArn !== undefined) out.ownerArn = a.ownerArn;
  return out;
}

/** Assumption (see file comment): the documented external id form, only with a target role and session tags off. */
function computeExternalId(
  region: string,
  accountId: string,
  a: Pick<EmulatedAssociation, "clusterName" | "namespace" | "serviceAccount" | "targetRoleArn" | "disableSessionTags">,
): string | undefined {
  if (!a.targetRoleArn || !a.disableSessionTags) return undefined;
  return `${region}/${accountId}/${a.clusterName}/${a.namespace}/${a.serviceAccount}`;
}

function parseAuthorization(header: string | undefined): { accessKeyId: string; region: string; service: string } | undefined {
  if (!header) return undefined;
  const m = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(header);
  if (!m) return undefined;
  return { accessKeyId: m[1]!, region: m[2]!, service: m[3]! };
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export async function startEksEmulator(opts: EksEmulatorOptions = {}): Promise<EksEmulator> {
  const partition = opts.partition ?? "aws";
  const now = opts.now ?? (() => new Date());
  const defaultAccountId = opts.defaultAccountId === undefined ? DEFAULT_ACCOUNT_ID : opts.defaultAccountId;
  const keys = new Map<string, { accountId: string; principalArn: string }>();
  for (const [k, acct] of Object.entries(opts.credentials ?? {})) keys.set(k, { accountId: acct, principalArn: `arn:${partition}:iam::${acct}:user/emulator` });
  const clusters = new Map<string, Cluster>();
  const faults = new Faults<FaultSpec>();
  const limits = new RateLimits(opts.rateLimits);
  const roleTrust = new Map<string, { externalId?: string; deny?: boolean }>();
  const counts = new RequestCounts<RequestRecordFilter>();

  const clusterKey = (accountId: string, region: string, name: string) => `${accountId}/${region}/${name}`;
  const refKey = (ref: EmulatorClusterRef) => clusterKey(ref.accountId ?? defaultAccountId ?? DEFAULT_ACCOUNT_ID, ref.region ?? DEFAULT_REGION, ref.name);

  function getCluster(ref: EmulatorClusterRef): Cluster {
    const c = clusters.get(refKey(ref));
    if (!c) throw new Error(`emulator: no cluster ${refKey(ref)}; addCluster first`);
    return c;
  }

  function addCluster(ref: EmulatorClusterRef): void {
    const accountId = ref.accountId ?? defaultAccountId ?? DEFAULT_ACCOUNT_ID;
    const region = ref.region ?? DEFAULT_REGION;
    const key = clusterKey(accountId, region, ref.name);
    if (clusters.has(key)) return;
    clusters.set(key, {
      name: ref.name,
      region,
      accountId,
      arn: `arn:${partition}:eks:${region}:${accountId}:cluster/${ref.name}`,
      associations: new Map(),
      clientTokens: new Map(),
      nextSeq: 1,
    });
  }

  function insert(c: Cluster, input: AssociationInput): EmulatedAssociation {
    for (const { a } of c.associations.values()) {
      if (a.namespace === input.namespace && a.serviceAccount === input.serviceAccount) {
        throw new ApiError("ResourceInUseException", `Association already exists: ${a.associationId}`, 409, { clusterName: c.name });
      }
    }
    const id = input.associationId ?? newAssociationId();
    const createdAt = input.createdAt ?? now();
    const a: EmulatedAssociation = {
      clusterName: c.name,
      namespace: input.namespace,
      serviceAccount: input.serviceAccount,
      roleArn: input.roleArn,
      associationArn: `arn:${partition}:eks:${c.region}:${c.accountId}:podidentityassociation/${c.name}/${id}`,
      associationId: id,
      tags: { ...(input.tags ?? {}) },
      createdAt,
      modifiedAt: input.modifiedAt ?? createdAt,
      disableSessionTags: input.disableSessionTags ?? false,
    };
    if (input.ownerArn !== undefined) a.ownerArn = input.ownerArn;
    if (input.targetRoleArn) a.targetRoleArn = input.targetRoleArn;
    if (input.policy !== undefined) a.policy = input.policy;
    const ext = input.externalId ?? computeExternalId(c.region, c.accountId, a);
    if (ext !== undefined) a.externalId = ext;
    c.associations.set(id, { seq: c.nextSeq++, a });
    return a;
  }

  function patchAssociation(c: Cluster, a: EmulatedAssociation, patch: AssociationPatch, recomputeExternalId: boolean): void {
    for (const [k, v] of Object.entries(patch) as Array<[keyof AssociationPatch, unknown]>) {
      if (v === undefined) delete (a as unknown as Record<string, unknown>)[k];
      else (a as unknown as Record<string, unknown>)[k] = v;
    }
    if (a.targetRoleArn === "") delete a.targetRoleArn;
    if (a.disableSessionTags === undefined) a.disableSessionTags = false;
    if (recomputeExternalId && !("externalId" in patch)) {
      const ext = computeExternalId(c.region, c.accountId, a);
      if (ext === undefined) delete a.externalId;
      else a.externalId = ext;
    }
  }

  // ---- counting, rate limits, faults (./request-control.ts) ----
  function record(op: string, caller: Caller | undefined, cluster: string | undefined, outcome: "ok" | "error" | "throttled"): void {
    counts.record(op, { accountId: caller?.accountId ?? "", region: caller?.region ?? "", cluster: cluster ?? "" }, outcome);
  }

  async function applyFaults(op: string, caller: Caller, cluster: string | undefined): Promise<Misbehaviour> {
    if (!limits.take(caller.accountId)) throw new ApiError("ThrottlingException", "Rate exceeded");
    let out: Misbehaviour = {};
    const request = { operation: op, accountId: caller.accountId, region: caller.region, cluster };
    for (const f of faults.matching(request, ["operation", "accountId", "region", "cluster"])) {
      if (f.delayMs) await sleep(f.delayMs);
      if (f.error) {
        const code = f.error;
        const message =
          f.message ??
          (code === "AccessDeniedException"
            ? `User: ${caller.principalArn} is not authorized to perform: eks:${op} on resource: arn:${partition}:eks:${caller.region}:${caller.accountId}:cluster/${cluster ?? "*"}`
            : code === "ThrottlingException"
              ? "Rate exceeded"
              : code === "ServerException"
                ? "An internal error occurred. Try again later."
                : code === "ExpiredTokenException"
                  ? "The security token included in the request is expired"
                  : code === "UnrecognizedClientException"
                    ? "The security token included in the request is invalid."
                    : `${code} injected by the emulator`);
        throw new ApiError(code, message);
      }
      out = {
        ...out,
        ...(f.http ? { http: f.http } : {}),
        ...(f.body !== undefined ? { body: f.body } : {}),
        ...(f.nextToken ? { nextToken: f.nextToken } : {}),
      };
    }
    return out;
  }

  // ---- request handling ----
  function identify(req: IncomingMessage): Caller {
    const auth = parseAuthorization(req.headers.authorization);
    if (!auth) throw new ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
    const known = keys.get(auth.accessKeyId);
    if (!known && defaultAccountId === null) {
      throw new ApiError("UnrecognizedClientException", "The security token included in the request is invalid.", 403);
    }
    const accountId = known?.accountId ?? (defaultAccountId as string);
    return {
      accessKeyId: auth.accessKeyId,
      accountId,
      region: auth.region,
      service: auth.service,
      principalArn: known?.principalArn ?? `arn:${partition}:iam::${accountId}:user/emulator`,
    };
  }

  function requireCluster(caller: Caller, name: string): Cluster {
    const c = clusters.get(clusterKey(caller.accountId, caller.region, name));
    if (!c) throw new ApiError("ResourceNotFoundException", `No cluster found for name: ${name}.`, 404, { clusterName: name });
    return c;
  }

  function requireAssociation(c: Cluster, id: string): EmulatedAssociation {
    const entry = c.associations.get(id);
    if (!entry) throw new ApiError("ResourceNotFoundException", `No Pod Identity Association found for id: ${id}.`, 404, { clusterName: c.name });
    return entry.a;
  }

  function str(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
    const v = body[name];
    if (v === undefined || v === null) {
      if (required) throw new ApiError("InvalidParameterException", `${name} is required.`);
      return undefined;
    }
    if (typeof v !== "string") throw new ApiError("InvalidParameterException", `${name} must be a string.`);
    return v;
  }

  function validateRole(name: string, v: string | undefined): void {
    if (v !== undefined && v !== "" && !ROLE_ARN.test(v)) throw new ApiError("InvalidParameterException", `${name} is not a valid IAM role ARN: ${v}`);
  }

  function validateTags(tags: unknown): Record<string, string> | undefined {
    if (tags === undefined || tags === null) return undefined;
    if (typeof tags !== "object" || Array.isArray(tags)) throw new ApiError("InvalidParameterException", "tags must be a map.");
    const entries = Object.entries(tags as Record<string, unknown>);
    if (entries.length > 50) throw new ApiError("InvalidParameterException", "Number of tags exceeds the limit of 50.");
    for (const [, v] of entries) if (typeof v !== "string") throw new ApiError("InvalidParameterException", "Tag values must be strings.");
    return tags as Record<string, string>;
  }

  type Route = { op: EksOperation; cluster?: string; associationId?: string; resourceArn?: string };

  function route(method: string, pathname: string): Route {
    const parts = pathname
      .split("/")
      .filter((p) => p !== "")
      .map((p) => decodeURIComponent(p));
    if (parts[0] === "clusters" && parts.length >= 3 && `/${parts[2]}` === ASSOC_BASE) {
      const cluster = parts[1]!;
      if (parts.length === 3) {
        if (method === "POST") return { op: "CreatePodIdentityAssociation", cluster };
        if (method === "GET") return { op: "ListPodIdentityAssociations", cluster };
      } else if (parts.length === 4) {
        const associationId = parts[3]!;
        if (method === "GET") return { op: "DescribePodIdentityAssociation", cluster, associationId };
        if (method === "POST") return { op: "UpdatePodIdentityAssociation", cluster, associationId };
        if (method === "DELETE") return { op: "DeletePodIdentityAssociation", cluster, associationId };
      }
    } else if (parts[0] === "tags" && parts.length >= 2) {
      const resourceArn = parts.slice(1).join("/");
      if (method === "POST") return { op: "TagResource", resourceArn };
      if (method === "DELETE") return { op: "UntagResource", resourceArn };
      if (method === "GET") return { op: "ListTagsForResource", resourceArn };
    }
    throw new ApiError("UnknownOperationException", `Unknown operation ${method} ${pathname}`, 404);
  }

  function parseJson(raw: string): Record<string, unknown> {
    if (raw.trim() === "") return {};
    try {
      const v = JSON.parse(raw) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* fall through */
    }
    throw new ApiError("InvalidRequestException", "Request body is not a JSON object.");
  }

  /** A list page whose nextToken never ends (FaultSpec.nextToken): the first page's associations, then none. */
  function faultyPage(c: Cluster, token: string | null, mode: NonNullable<Misbehaviour["nextToken"]>, max: number): unknown {
    const first = token === null;
    const associations = first ? [...c.associations.values()].slice(0, max).map((e) => toSummary(e.a)) : [];
    const n = token?.startsWith("endless-") ? Number(token.slice("endless-".length)) : 0;
    const next = mode === "repeat" ? "loop-token" : mode === "cycle" ? (token === "cycle-a" ? "cycle-b" : "cycle-a") : `endless-${n + 1}`;
    return { associations, nextToken: next };
  }

  function encodeToken(seq: number): string {
    return Buffer.from(JSON.stringify({ after: seq })).toString("base64url");
  }

  function decodeToken(token: string): number {
    try {
      const v = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { after?: unknown };
      if (typeof v.after === "number" && Number.isInteger(v.after)) return v.after;
    } catch {
      /* fall through */
    }
    throw new ApiError("InvalidParameterException", "The nextToken is invalid.");
  }

  function findByArn(caller: Caller, arn: string): { kind: "cluster"; c: Cluster } | { kind: "association"; c: Cluster; a: EmulatedAssociation } {
    for (const c of clusters.values()) {
      if (c.accountId !== caller.accountId || c.region !== caller.region) continue;
      if (c.arn === arn) return { kind: "cluster", c };
      for (const { a } of c.associations.values()) if (a.associationArn === arn) return { kind: "association", c, a };
    }
    throw new ApiError("ResourceNotFoundException", `The specified resource does not exist: ${arn}`, 404);
  }

  const clusterTags = new Map<string, Record<string, string>>();

  function handleEks(r: Route, caller: Caller, url: URL, body: Record<string, unknown>, tokens?: Misbehaviour["nextToken"]): unknown {
    switch (r.op) {
      case "CreatePodIdentityAssociation": {
        const c = requireCluster(caller, r.cluster!);
        const namespace = str(body, "namespace", true)!;
        const serviceAccount = str(body, "serviceAccount", true)!;
        const roleArn = str(body, "roleArn", true)!;
        const targetRoleArn = str(body, "targetRoleArn", false);
        const policy = str(body, "policy", false);
        const token = str(body, "clientRequestToken", false);
        const dst = body.disableSessionTags;
        if (dst !== undefined && dst !== null && typeof dst !== "boolean")
          throw new ApiError("InvalidParameterException", "disableSessionTags must be a boolean.");
        validateRole("roleArn", roleArn);
        validateRole("targetRoleArn", targetRoleArn);
        if (policy !== undefined && dst !== true) throw new ApiError("InvalidParameterException", "A session policy requires disableSessionTags to be true.");
        const tags = validateTags(body.tags);
        if (token !== undefined) {
          const existing = c.clientTokens.get(token);
          const e = existing ? c.associations.get(existing) : undefined;
          if (e) return { association: toWire(e.a) };
        }
        const a = insert(c, {
          namespace,
          serviceAccount,
          roleArn,
          ...(targetRoleArn ? { targetRoleArn } : {}),
          disableSessionTags: dst === true,
          ...(policy !== undefined ? { policy } : {}),
          ...(tags ? { tags } : {}),
        });
        if (token !== undefined) c.clientTokens.set(token, a.associationId);
        return { association: toWire(a) };
      }
      case "ListPodIdentityAssociations": {
        const c = requireCluster(caller, r.cluster!);
        const q = url.searchParams;
        let max = 100;
        if (q.has("maxResults")) {
          max = Number(q.get("maxResults"));
          if (!Number.isInteger(max) || max < 1 || max > 100) {
            throw new ApiError("InvalidParameterException", "maxResults must be between 1 and 100.");
          }
        }
        const ns = q.get("namespace") ?? undefined;
        const sa = q.get("serviceAccount") ?? undefined;
        const token = q.get("nextToken");
        if (tokens !== undefined) return faultyPage(c, token, tokens, max);
        const after = token ? decodeToken(token) : 0;
        const page: Array<Record<string, unknown>> = [];
        let lastSeq = 0;
        let more = false;
        for (const { seq, a } of c.associations.values()) {
          if (seq <= after) continue;
          if (ns !== undefined && a.namespace !== ns) continue;
          if (sa !== undefined && a.serviceAccount !== sa) continue;
          if (page.length === max) {
            more = true;
            break;
          }
          page.push(toSummary(a));
          lastSeq = seq;
        }
        return { associations: page, nextToken: more ? encodeToken(lastSeq) : null };
      }
      case "DescribePodIdentityAssociation": {
        const c = requireCluster(caller, r.cluster!);
        return { association: toWire(requireAssociation(c, r.associationId!)) };
      }
      case "UpdatePodIdentityAssociation": {
        const c = requireCluster(caller, r.cluster!);
        const a = requireAssociation(c, r.associationId!);
        const roleArn = str(body, "roleArn", false);
        const targetRoleArn = str(body, "targetRoleArn", false);
        const policy = str(body, "policy", false);
        const dst = body.disableSessionTags;
        if (dst !== undefined && dst !== null && typeof dst !== "boolean")
          throw new ApiError("InvalidParameterException", "disableSessionTags must be a boolean.");
        validateRole("roleArn", roleArn);
        validateRole("targetRoleArn", targetRoleArn);
        const nextDst = typeof dst === "boolean" ? dst : a.disableSessionTags;
        const nextPolicy = policy !== undefined ? policy : a.policy;
        if (nextPolicy !== undefined && nextPolicy !== "" && !nextDst) {
          throw new ApiError("InvalidParameterException", "A session policy requires disableSessionTags to be true.");
        }
        const patch: AssociationPatch = { modifiedAt: now() };
        if (roleArn !== undefined) patch.roleArn = roleArn;
        if (targetRoleArn !== undefined) patch.targetRoleArn = targetRoleArn;
        if (typeof dst === "boolean") patch.disableSessionTags = dst;
        if (policy !== undefined) patch.policy = policy === "" ? undefined : policy;
        patchAssociation(c, a, patch, true);
        return { association: toWire(a) };
      }
      case "DeletePodIdentityAssociation": {
        const c = requireCluster(caller, r.cluster!);
        const a = requireAssociation(c, r.associationId!);
        c.associations.delete(a.associationId);
        return { association: toWire(a) };
      }
      case "TagResource": {
        const found = findByArn(caller, r.resourceArn!);
        const tags = validateTags(body.tags) ?? {};
        if (found.kind === "association") Object.assign(found.a.tags, tags);
        else clusterTags.set(found.c.arn, { ...(clusterTags.get(found.c.arn) ?? {}), ...tags });
        return {};
      }
      case "UntagResource": {
        const found = findByArn(caller, r.resourceArn!);
        const target = found.kind === "association" ? found.a.tags : (clusterTags.get(found.c.arn) ?? {});
        for (const k of url.searchParams.getAll("tagKeys")) delete target[k];
        return {};
      }
      case "ListTagsForResource": {
        const found = findByArn(caller, r.resourceArn!);
        return { tags: found.kind === "association" ? found.a.tags : (clusterTags.get(found.c.arn) ?? {}) };
      }
      default:
        throw new ApiError("UnknownOperationException", `Unknown operation ${r.op}`, 404);
    }
  }

  function handleStsAssumeRole(caller: Caller, form: URLSearchParams): string {
    const roleArn = form.get("RoleArn") ?? "";
    const sessionName = form.get("RoleSessionName") ?? "session";
    const m = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
    if (!m) throw new StsError("ValidationError", `RoleArn is not a valid role ARN: ${roleArn}`, 400);
    const trust = roleTrust.get(roleArn);
    const ext = form.get("ExternalId") ?? undefined;
    if (trust && (trust.deny || (trust.externalId !== undefined && trust.externalId !== ext))) {
      throw new StsError("AccessDenied", `User: ${caller.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    }
    const accountId = m[2]!;
    const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
    const assumedArn = `arn:${m[1]}:sts::${accountId}:assumed-role/${m[3]}/${sessionName}`;
    keys.set(accessKeyId, { accountId, principalArn: assumedArn });
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    return (
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
      `<AssumedRoleUser><AssumedRoleId>AROA${randomBytes(8).toString("hex").toUpperCase()}:${xmlEscape(sessionName)}</AssumedRoleId><Arn>${xmlEscape(assumedArn)}</Arn></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${randomBytes(20).toString("hex")}</SecretAccessKey>` +
      `<SessionToken>${randomBytes(32).toString("base64")}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  }

  class StsError extends Error {
    constructor(
      readonly code: string,
      message: string,
      readonly status: number,
    ) {
      super(message);
    }
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { "x-amzn-RequestId": randomUUID(), "content-length": Buffer.byteLength(body).toString(), ...headers });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    let caller: Caller | undefined;
    let op: string = "Unknown";
    let cluster: string | undefined;
    try {
      caller = identify(req);
      if (caller.service === "sts") {
        op = "AssumeRole";
        const form = new URLSearchParams(raw);
        if (form.get("Action") !== "AssumeRole") throw new StsError("InvalidAction", `Could not find operation ${form.get("Action")}`, 400);
        trackFlight(res, caller.accountId);
        const odd = await applyFaults(op, caller, undefined);
        const xml = handleStsAssumeRole(caller, form);
        if (odd.http !== undefined) {
          record(op, caller, undefined, "error");
          await misbehave(odd.http, req, res, xml, "text/xml");
          return;
        }
        record(op, caller, undefined, "ok");
        send(res, 200, { "content-type": "text/xml" }, xml);
        return;
      }
      const r = route(method, url.pathname);
      op = r.op;
      cluster = r.cluster;
      trackFlight(res, caller.accountId);
      const odd = await applyFaults(op, caller, cluster);
      const out = JSON.stringify(handleEks(r, caller, url, method === "GET" || method === "DELETE" ? {} : parseJson(raw), odd.nextToken));
      if (odd.http !== undefined) {
        record(op, caller, cluster, "error");
        await misbehave(odd.http, req, res, odd.body ?? out, "application/json");
        return;
      }
      record(op, caller, cluster, "ok");
      send(res, 200, { "content-type": "application/json" }, odd.body ?? out);
    } catch (err) {
      if (err instanceof StsError || (err instanceof ApiError && caller?.service === "sts")) {
        const code = err.code;
        const status = err instanceof StsError ? err.status : err.status;
        record(op, caller, cluster, code === "ThrottlingException" || code === "Throttling" ? "throttled" : "error");
        const xmlCode = code === "ThrottlingException" ? "Throttling" : code;
        send(
          res,
          status,
          { "content-type": "text/xml" },
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${xmlEscape(xmlCode)}</Code><Message>${xmlEscape(err.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
        return;
      }
      if (err instanceof ApiError) {
        record(op, caller, cluster, err.code === "ThrottlingException" ? "throttled" : "error");
        send(res, err.status, { "content-type": "application/json", "x-amzn-ErrorType": err.code }, JSON.stringify({ ...err.extra, message: err.message }));
        return;
      }
      record(op, caller, cluster, "error");
      send(res, 500, { "content-type": "application/json", "x-amzn-ErrorType": "ServerException" }, JSON.stringify({ message: String(err) }));
    }
  }

  /** In flight from the request until its response is sent or the client gives up (closes the connection). */
  function trackFlight(res: ServerResponse, accountId: string): void {
    counts.started(accountId, (done) => res.once("close", done));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { "content-type": "application/json" }, JSON.stringify({ message: String(err) })));
  });
  server.keepAliveTimeout = 5_000;
  const port = await listenOnLoopback(server);

  const addFault = (spec: FaultSpec): (() => void) => faults.add(spec);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    addCredentials(accessKeyId, accountId) {
      keys.set(accessKeyId, { accountId, principalArn: `arn:${partition}:iam::${accountId}:user/emulator` });
    },
    accountOf(accessKeyId) {
      return keys.get(accessKeyId)?.accountId;
    },
    credentialsFor(accountId) {
      const accessKeyId = `AKIAEMU${accountId}`.padEnd(20, "X");
      keys.set(accessKeyId, { accountId, principalArn: `arn:${partition}:iam::${accountId}:user/emulator` });
      return { accessKeyId, secretAccessKey: `emulator-secret-${accountId}` };
    },
    addCluster,
    removeCluster(ref) {
      clusters.delete(refKey(ref));
    },
    hasCluster(ref) {
      return clusters.has(refKey(ref));
    },
    createAssociation(ref, input) {
      const c = getCluster(ref);
      return copy(insert(c, input));
    },
    updateAssociation(ref, id, patch) {
      const c = getCluster(ref);
      const entry = c.associations.get(id);
      if (!entry) throw new Error(`emulator: no association ${id} in ${refKey(ref)}`);
      patchAssociation(c, entry.a, patch, true);
      return copy(entry.a);
    },
    deleteAssociation(ref, id) {
      return getCluster(ref).associations.delete(id);
    },
    getAssociation(ref, id) {
      const e = clusters.get(refKey(ref))?.associations.get(id);
      return e ? copy(e.a) : undefined;
    },
    associations(ref) {
      return [...getCluster(ref).associations.values()].map((e) => copy(e.a));
    },
    inject: addFault,
    denyCluster(ref, operation) {
      return addFault({
        error: "AccessDeniedException",
        cluster: ref.name,
        region: ref.region ?? DEFAULT_REGION,
        accountId: ref.accountId ?? defaultAccountId ?? DEFAULT_ACCOUNT_ID,
        ...(operation ? { operation } : {}),
      });
    },
    throttle(times, match = {}) {
      return addFault({ ...match, error: "ThrottlingException", times });
    },
    serverErrors(times, match = {}) {
      return addFault({ ...match, error: "ServerException", times });
    },
    delay(delayMs, match = {}) {
      return addFault({ ...match, delayMs });
    },
    clearFaults() {
      faults.clear();
    },
    setRateLimit(accountId, limit) {
      limits.set(accountId, limit ?? undefined);
    },
    setRoleTrust(roleArn, trust) {
      roleTrust.set(roleArn, trust);
    },
    count(filter = {}) {
      return counts.count(filter);
    },
    countsByOperation(filter = {}) {
      return counts.byOperation(filter);
    },
    resetCounts() {
      counts.reset();
    },
    maxInFlight(accountId) {
      return counts.maxInFlight(accountId);
    },
  };
}
