// An IAM server on 127.0.0.1 speaking IAM's awsQuery protocol as @aws-sdk/client-iam sends and reads it, for
// tests and benchmarks driven by the real SDK through AWS_ENDPOINT_URL_IAM.
//
// Wire format (botocore iam/2010-05-08 service-2.json: protocol "query", xmlNamespace
// https://iam.amazonaws.com/doc/2010-05-08/):
//   request   POST /, application/x-www-form-urlencoded: Action=<Operation>&Version=2010-05-08&<members>
//   response  <OperationResponse xmlns=NS><OperationResult>…</OperationResult><ResponseMetadata><RequestId>…
//             lists as <Name><member>…</member></Name>; timestamps ISO 8601; IsTruncated + Marker pagination
//             (MaxItems 1..1000, default 100; IAM may return fewer items with IsTruncated true)
//   error     <ErrorResponse xmlns=NS><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>
//             <RequestId>…</RequestId></ErrorResponse>: NoSuchEntity 404, AccessDenied 403, Throttling 400,
//             ServiceFailure 500, DeleteConflict 409, MalformedPolicyDocument 400, EntityAlreadyExists 409
// Policy documents (a role's AssumeRolePolicyDocument, GetRolePolicy's and GetPolicyVersion's Document) are
// returned URL-encoded (RFC 3986), exactly as stored otherwise: whitespace and key order are kept.
//
// Read: GetRole, ListRolePolicies, GetRolePolicy, ListAttachedRolePolicies, GetPolicy, GetPolicyVersion.
// Write (to make out-of-band changes the way a user would): CreateRole, DeleteRole (refused while policies
// remain, as IAM does), UpdateAssumeRolePolicy, PutRolePolicy, DeleteRolePolicy, AttachRolePolicy,
// DetachRolePolicy, CreatePolicy.
//
// Who is calling: the SigV4 access key id selects the account (IAM is global per account: GetRole reads the
// caller's own account). Keys come from `credentialsFor`, or from `accountOf` for keys issued elsewhere (the
// STS AssumeRole of the EKS emulator). Signatures are not verified.
//
// Faults, matched by operation / account / access key / role name: an error (AccessDenied, Throttling,
// ServiceFailure, NoSuchEntity), a delay, a hang before the headers or after them (the body never ends),
// a pagination marker that never advances; each with a count. A token-bucket rate limit per account answers
// Throttling above it. Counters per operation, account and outcome.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import { listenOnLoopback } from "./loopback";
import { Faults, RateLimits, RequestCounts, type RateLimit } from "./request-control";

export const IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";
export const IAM_API_VERSION = "2010-05-08";
export const DEFAULT_IAM_ACCOUNT_ID = "000000000000";

export type IamOperation =
  | "GetRole"
  | "ListRolePolicies"
  | "GetRolePolicy"
  | "ListAttachedRolePolicies"
  | "GetPolicy"
  | "GetPolicyVersion"
  | "CreateRole"
  | "DeleteRole"
  | "UpdateAssumeRolePolicy"
  | "PutRolePolicy"
  | "DeleteRolePolicy"
  | "AttachRolePolicy"
  | "DetachRolePolicy"
  | "CreatePolicy";

const OPERATIONS = new Set<string>([
  "GetRole",
  "ListRolePolicies",
  "GetRolePolicy",
  "ListAttachedRolePolicies",
  "GetPolicy",
  "GetPolicyVersion",
  "CreateRole",
  "DeleteRole",
  "UpdateAssumeRolePolicy",
  "PutRolePolicy",
  "DeleteRolePolicy",
  "AttachRolePolicy",
  "DetachRolePolicy",
  "CreatePolicy",
]);

export type IamErrorCode =
  "NoSuchEntity" | "AccessDenied" | "Throttling" | "ServiceFailure" | "InvalidInput" | "DeleteConflict" | "MalformedPolicyDocument" | "EntityAlreadyExists";

const ERROR_STATUS: Record<IamErrorCode, number> = {
  NoSuchEntity: 404,
  AccessDenied: 403,
  Throttling: 400,
  ServiceFailure: 500,
  InvalidInput: 400,
  DeleteConflict: 409,
  MalformedPolicyDocument: 400,
  EntityAlreadyExists: 409,
};

/** Which requests a fault applies to; every given field must match. */
export interface IamRequestMatch {
  readonly operation?: IamOperation;
  /** The caller's account. */
  readonly accountId?: string;
  /** The caller's access key id. */
  readonly accessKeyId?: string;
  /** The RoleName parameter. */
  readonly roleName?: string;
}

export interface IamFault extends IamRequestMatch {
  readonly error?: Extract<IamErrorCode, "NoSuchEntity" | "AccessDenied" | "Throttling" | "ServiceFailure">;
  readonly message?: string;
  /** Hold the response this long first. */
  readonly delayMs?: number;
  /** Never answer: `"headers"` sends nothing, `"body"` sends the headers and part of the body, then stalls. */
  readonly hang?: "headers" | "body";
  /** List calls answer IsTruncated with the same Marker forever. */
  readonly loopMarker?: boolean;
  /** How many matching requests it applies to. @default Infinity */
  readonly times?: number;
}

export type IamRateLimit = RateLimit;

export interface IamServerOptions {
  /** Access key id → account id. */
  readonly credentials?: Readonly<Record<string, string>>;
  /** Account of a key this server did not issue (e.g. `(k) => eksEmulator.accountOf(k)`); undefined = unknown. */
  readonly accountOf?: (accessKeyId: string) => string | undefined;
  /** Account for an unknown key; `null` answers InvalidClientTokenId. @default DEFAULT_IAM_ACCOUNT_ID */
  readonly defaultAccountId?: string | null;
  readonly rateLimits?: Readonly<Record<string, IamRateLimit>>;
  /** Items per list page at most, whatever MaxItems asks (IAM may return fewer). @default 100 */
  readonly maxPageSize?: number;
  /** @default "aws" */
  readonly partition?: string;
  /** Clock for CreateDate. @default () => new Date() */
  readonly now?: () => Date;
}

export interface IamRoleInput {
  readonly accountId: string;
  readonly name: string;
  /** @default "/" */
  readonly path?: string;
  /** The trust policy as text (stored and returned exactly, URL-encoded on the wire). */
  readonly assumeRolePolicy: string;
  readonly description?: string;
  readonly permissionsBoundary?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Inline policies: name → document text. */
  readonly inlinePolicies?: Readonly<Record<string, string>>;
  readonly managedPolicyArns?: readonly string[];
}

export interface IamRoleSnapshot {
  readonly arn: string;
  readonly roleId: string;
  readonly name: string;
  readonly path: string;
  readonly accountId: string;
  readonly assumeRolePolicy: string;
  readonly permissionsBoundary?: string;
  readonly inlinePolicies: Readonly<Record<string, string>>;
  readonly managedPolicyArns: readonly string[];
}

export interface IamCountFilter extends Omit<IamRequestMatch, "accessKeyId" | "roleName"> {
  readonly outcome?: "ok" | "error" | "throttled";
}

export interface IamServer {
  /** `http://127.0.0.1:<port>`: set AWS_ENDPOINT_URL_IAM to it. */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;

  /** A key pair registered for the account (stable per account). */
  credentialsFor(accountId: string): { accessKeyId: string; secretAccessKey: string };
  addCredentials(accessKeyId: string, accountId: string): void;

  // State, directly (no requests counted)
  /** Creates or replaces a role; returns its ARN. */
  putRole(input: IamRoleInput): string;
  deleteRole(roleArn: string): boolean;
  setTrustPolicy(roleArn: string, document: string): void;
  putRolePolicy(roleArn: string, name: string, document: string): void;
  deleteRolePolicy(roleArn: string, name: string): boolean;
  attachRolePolicy(roleArn: string, policyArn: string): void;
  detachRolePolicy(roleArn: string, policyArn: string): boolean;
  /** Creates a managed policy, or a new default version of it. AWS managed ones: `arn:aws:iam::aws:policy/NAME`. */
  putManagedPolicy(policyArn: string, document: string): void;
  role(roleArn: string): IamRoleSnapshot | undefined;

  // Faults
  inject(fault: IamFault): () => void;
  deny(match?: IamRequestMatch): () => void;
  throttle(times: number, match?: IamRequestMatch): () => void;
  hang(match?: IamRequestMatch & { readonly stage?: "headers" | "body"; readonly times?: number }): () => void;
  clearFaults(): void;
  /** `null` removes the limit. */
  setRateLimit(accountId: string | "*", limit: IamRateLimit | null): void;

  // Counters
  count(filter?: IamCountFilter): number;
  countsByOperation(filter?: IamCountFilter): Record<string, number>;
  resetCounts(): void;
  /** Largest number of requests in flight at once for the account (any account when omitted). */
  maxInFlight(accountId?: string): number;
}

/** RFC 3986 percent-encoding, as IAM returns policy documents (encodeURIComponent leaves !'()* alone). */
export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

interface StoredRole {
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly roleId: string;
  readonly createDate: Date;
  assumeRolePolicy: string;
  description?: string;
  permissionsBoundary?: string;
  tags: Record<string, string>;
  /** Insertion-ordered, like IAM's listing. */
  readonly inline: Map<string, string>;
  readonly attached: string[];
}

interface StoredPolicy {
  readonly arn: string;
  readonly name: string;
  readonly path: string;
  readonly policyId: string;
  readonly createDate: Date;
  updateDate: Date;
  readonly versions: Map<string, { document: string; createDate: Date }>;
  defaultVersion: string;
}

interface Caller {
  readonly accessKeyId: string;
  readonly accountId: string;
  readonly principalArn: string;
}

class IamError extends Error {
  constructor(
    readonly code: IamErrorCode | "InvalidClientTokenId" | "MissingAuthenticationToken" | "InvalidAction" | "ValidationError",
    message: string,
    readonly status: number = ERROR_STATUS[code as IamErrorCode] ?? 400,
  ) {
    super(message);
  }
}

const ROLE_ARN = /^arn:([a-z-]+):iam::(\d{12}):role(\/(?:[^/]+\/)*)([^/]+)$/;
const POLICY_ARN = /^arn:([a-z-]+):iam::(\d{12}|aws):policy(\/(?:[^/]+\/)*)([^/]+)$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function uniqueId(prefix: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let s = prefix;
  for (const b of randomBytes(17)) s += alphabet[b % alphabet.length];
  return s;
}

function parseAuthorization(header: string | undefined): { accessKeyId: string; service: string } | undefined {
  const m = /Credential=([^/,\s]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(header ?? "");
  return m ? { accessKeyId: m[1]!, service: m[2]! } : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function validJson(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

export async function startIamServer(opts: IamServerOptions = {}): Promise<IamServer> {
  const partition = opts.partition ?? "aws";
  const now = opts.now ?? (() => new Date());
  const defaultAccountId = opts.defaultAccountId === undefined ? DEFAULT_IAM_ACCOUNT_ID : opts.defaultAccountId;
  const maxPage = opts.maxPageSize ?? 100;
  const keys = new Map<string, string>(Object.entries(opts.credentials ?? {}));
  const roles = new Map<string, StoredRole>(); // by `${account}/${name}`
  const policies = new Map<string, StoredPolicy>(); // by ARN
  const faults = new Faults<IamFault>();
  const limits = new RateLimits(opts.rateLimits);
  const counts = new RequestCounts<IamCountFilter>();
  const hanging = new Set<ServerResponse>();

  const roleKey = (accountId: string, name: string) => `${accountId}/${name}`;

  function storeRole(input: IamRoleInput): StoredRole {
    const path = input.path ?? "/";
    if (!ROLE_NAME.test(input.name)) throw new Error(`iam-server: invalid role name ${input.name}`);
    const role: StoredRole = {
      accountId: input.accountId,
      name: input.name,
      path,
      arn: `arn:${partition}:iam::${input.accountId}:role${path}${input.name}`,
      roleId: uniqueId("AROA"),
      createDate: now(),
      assumeRolePolicy: input.assumeRolePolicy,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.permissionsBoundary !== undefined ? { permissionsBoundary: input.permissionsBoundary } : {}),
      tags: { ...(input.tags ?? {}) },
      inline: new Map(Object.entries(input.inlinePolicies ?? {})),
      attached: [...new Set(input.managedPolicyArns ?? [])],
    };
    roles.set(roleKey(role.accountId, role.name), role);
    return role;
  }

  function roleByArn(roleArn: string): StoredRole {
    const m = ROLE_ARN.exec(roleArn);
    const role = m ? roles.get(roleKey(m[2]!, m[4]!)) : undefined;
    if (!role) throw new Error(`iam-server: no role ${roleArn}`);
    return role;
  }

  function storePolicy(arn: string, document: string): StoredPolicy {
    const m = POLICY_ARN.exec(arn);
    if (!m) throw new Error(`iam-server: not a policy ARN: ${arn}`);
    let p = policies.get(arn);
    const at = now();
    if (!p) {
      p = { arn, name: m[4]!, path: m[3]!, policyId: uniqueId("ANPA"), createDate: at, updateDate: at, versions: new Map(), defaultVersion: "v1" };
      policies.set(arn, p);
    }
    const version = `v${p.versions.size + 1}`;
    p.versions.set(version, { document, createDate: at });
    p.defaultVersion = version;
    p.updateDate = at;
    return p;
  }

  // ---- counting, rate limits, faults (./request-control.ts) ----
  function record(op: string, caller: Caller | undefined, outcome: "ok" | "error" | "throttled"): void {
    counts.record(op, { accountId: caller?.accountId ?? "" }, outcome);
  }

  /** The faults that apply, in order; the first error or hang wins. */
  async function applyFaults(
    op: string,
    caller: Caller,
    roleName: string | undefined,
    res: ServerResponse,
  ): Promise<{ hang?: "headers" | "body"; loopMarker: boolean }> {
    if (!limits.take(caller.accountId)) throw new IamError("Throttling", "Rate exceeded");
    let loopMarker = false;
    const request = { operation: op, accountId: caller.accountId, accessKeyId: caller.accessKeyId, roleName };
    for (const f of faults.matching(request, ["operation", "accountId", "accessKeyId", "roleName"])) {
      if (f.delayMs) await sleep(f.delayMs);
      if (f.loopMarker) loopMarker = true;
      if (f.hang) {
        hanging.add(res);
        res.once("close", () => hanging.delete(res));
        return { hang: f.hang, loopMarker };
      }
      if (f.error) {
        const code = f.error;
        const resource = roleName ? `arn:${partition}:iam::${caller.accountId}:role/${roleName}` : "*";
        const message =
          f.message ??
          (code === "AccessDenied"
            ? `User: ${caller.principalArn} is not authorized to perform: iam:${op} on resource: ${resource} because no identity-based policy allows the iam:${op} action`
            : code === "Throttling"
              ? "Rate exceeded"
              : code === "NoSuchEntity"
                ? `The role with name ${roleName ?? "?"} cannot be found.`
                : "An internal error occurred. Try again later.");
        throw new IamError(code, message);
      }
    }
    return { loopMarker };
  }

  // ---- operations ----
  function param(form: URLSearchParams, name: string): string {
    const v = form.get(name);
    if (v === null || v === "")
      throw new IamError(
        "ValidationError",
        `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`,
        400,
      );
    return v;
  }

  function callerRole(caller: Caller, name: string): StoredRole {
    const r = roles.get(roleKey(caller.accountId, name));
    if (!r) throw new IamError("NoSuchEntity", `The role with name ${name} cannot be found.`);
    return r;
  }

  function callerPolicy(caller: Caller, arn: string): StoredPolicy {
    const m = POLICY_ARN.exec(arn);
    const p = policies.get(arn);
    // AWS managed policies are readable from every account; customer managed ones only from their own.
    if (!m || !p || (m[2] !== "aws" && m[2] !== caller.accountId)) throw new IamError("NoSuchEntity", `Policy ${arn} does not exist or is not attachable.`);
    return p;
  }

  function page<T>(items: readonly T[], form: URLSearchParams, loop: boolean): { items: T[]; marker?: string } {
    const requested = form.get("MaxItems");
    const max = Math.min(requested ? Number(requested) : 100, maxPage);
    if (!Number.isInteger(max) || max < 1 || max > 1000)
      throw new IamError(
        "ValidationError",
        `1 validation error detected: Value '${requested}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
        400,
      );
    const marker = form.get("Marker");
    let start = 0;
    if (marker) {
      const decoded = /^m(\d+)$/.exec(Buffer.from(marker, "base64url").toString("utf8"));
      if (!decoded) throw new IamError("InvalidInput", "Invalid Marker.", 400);
      start = Number(decoded[1]);
    }
    const end = Math.min(items.length, start + max);
    if (loop) return { items: items.slice(start, end), marker: marker ?? Buffer.from(`m${end}`).toString("base64url") };
    return { items: items.slice(start, end), ...(end < items.length ? { marker: Buffer.from(`m${end}`).toString("base64url") } : {}) };
  }

  function listXml(name: string, members: readonly string[]): string {
    return `<${name}>${members.map((m) => `<member>${m}</member>`).join("")}</${name}>`;
  }

  function pageXml(p: { marker?: string }): string {
    return p.marker !== undefined ? `<IsTruncated>true</IsTruncated><Marker>${xml(p.marker)}</Marker>` : `<IsTruncated>false</IsTruncated>`;
  }

  function roleXml(r: StoredRole): string {
    const tags = Object.entries(r.tags);
    return (
      `<Role><Path>${xml(r.path)}</Path><RoleName>${xml(r.name)}</RoleName><RoleId>${r.roleId}</RoleId><Arn>${xml(r.arn)}</Arn>` +
      `<CreateDate>${isoSeconds(r.createDate)}</CreateDate><AssumeRolePolicyDocument>${xml(encodeRfc3986(r.assumeRolePolicy))}</AssumeRolePolicyDocument>` +
      (r.description !== undefined ? `<Description>${xml(r.description)}</Description>` : "") +
      `<MaxSessionDuration>3600</MaxSessionDuration>` +
      (r.permissionsBoundary !== undefined
        ? `<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType><PermissionsBoundaryArn>${xml(r.permissionsBoundary)}</PermissionsBoundaryArn></PermissionsBoundary>`
        : "") +
      (tags.length > 0
        ? listXml(
            "Tags",
            tags.map(([k, v]) => `<Key>${xml(k)}</Key><Value>${xml(v)}</Value>`),
          )
        : "") +
      `<RoleLastUsed/></Role>`
    );
  }

  function policyXml(p: StoredPolicy): string {
    return (
      `<Policy><PolicyName>${xml(p.name)}</PolicyName><PolicyId>${p.policyId}</PolicyId><Arn>${xml(p.arn)}</Arn><Path>${xml(p.path)}</Path>` +
      `<DefaultVersionId>${p.defaultVersion}</DefaultVersionId><AttachmentCount>${attachmentCount(p.arn)}</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount>` +
      `<IsAttachable>true</IsAttachable><CreateDate>${isoSeconds(p.createDate)}</CreateDate><UpdateDate>${isoSeconds(p.updateDate)}</UpdateDate></Policy>`
    );
  }

  function attachmentCount(arn: string): number {
    let n = 0;
    for (const r of roles.values()) if (r.attached.includes(arn)) n++;
    return n;
  }

  function requireDocument(form: URLSearchParams, name: string): string {
    const doc = param(form, name);
    if (!validJson(doc)) throw new IamError("MalformedPolicyDocument", "Syntax errors in policy.");
    return doc;
  }

  /** The Result element's content for one operation. */
  function operate(op: IamOperation, caller: Caller, form: URLSearchParams, loop: boolean): string {
    switch (op) {
      case "GetRole":
        return roleXml(callerRole(caller, param(form, "RoleName")));
      case "ListRolePolicies": {
        const r = callerRole(caller, param(form, "RoleName"));
        const p = page([...r.inline.keys()], form, loop);
        return listXml("PolicyNames", p.items.map(xml)) + pageXml(p);
      }
      case "GetRolePolicy": {
        const r = callerRole(caller, param(form, "RoleName"));
        const name = param(form, "PolicyName");
        const doc = r.inline.get(name);
        if (doc === undefined) throw new IamError("NoSuchEntity", `The role policy with name ${name} cannot be found.`);
        return `<RoleName>${xml(r.name)}</RoleName><PolicyName>${xml(name)}</PolicyName><PolicyDocument>${xml(encodeRfc3986(doc))}</PolicyDocument>`;
      }
      case "ListAttachedRolePolicies": {
        const r = callerRole(caller, param(form, "RoleName"));
        const p = page(r.attached, form, loop);
        const members = p.items.map((arn) => `<PolicyName>${xml(POLICY_ARN.exec(arn)?.[4] ?? arn)}</PolicyName><PolicyArn>${xml(arn)}</PolicyArn>`);
        return listXml("AttachedPolicies", members) + pageXml(p);
      }
      case "GetPolicy":
        return policyXml(callerPolicy(caller, param(form, "PolicyArn")));
      case "GetPolicyVersion": {
        const p = callerPolicy(caller, param(form, "PolicyArn"));
        const id = param(form, "VersionId");
        const v = p.versions.get(id);
        if (!v) throw new IamError("NoSuchEntity", `Policy ${p.arn} version ${id} does not exist or is not attachable.`);
        return `<PolicyVersion><Document>${xml(encodeRfc3986(v.document))}</Document><VersionId>${id}</VersionId><IsDefaultVersion>${id === p.defaultVersion}</IsDefaultVersion><CreateDate>${isoSeconds(v.createDate)}</CreateDate></PolicyVersion>`;
      }
      case "CreateRole": {
        const name = param(form, "RoleName");
        if (roles.has(roleKey(caller.accountId, name))) throw new IamError("EntityAlreadyExists", `Role with name ${name} already exists.`);
        const boundary = form.get("PermissionsBoundary");
        return roleXml(
          storeRole({
            accountId: caller.accountId,
            name,
            ...(form.get("Path") ? { path: form.get("Path")! } : {}),
            assumeRolePolicy: requireDocument(form, "AssumeRolePolicyDocument"),
            ...(form.get("Description") !== null ? { description: form.get("Description")! } : {}),
            ...(boundary ? { permissionsBoundary: boundary } : {}),
          }),
        );
      }
      case "DeleteRole": {
        const r = callerRole(caller, param(form, "RoleName"));
        if (r.inline.size > 0 || r.attached.length > 0) throw new IamError("DeleteConflict", "Cannot delete entity, must delete policies first.");
        roles.delete(roleKey(r.accountId, r.name));
        return "";
      }
      case "UpdateAssumeRolePolicy":
        callerRole(caller, param(form, "RoleName")).assumeRolePolicy = requireDocument(form, "PolicyDocument");
        return "";
      case "PutRolePolicy":
        callerRole(caller, param(form, "RoleName")).inline.set(param(form, "PolicyName"), requireDocument(form, "PolicyDocument"));
        return "";
      case "DeleteRolePolicy": {
        const r = callerRole(caller, param(form, "RoleName"));
        const name = param(form, "PolicyName");
        if (!r.inline.delete(name)) throw new IamError("NoSuchEntity", `The role policy with name ${name} cannot be found.`);
        return "";
      }
      case "AttachRolePolicy": {
        const r = callerRole(caller, param(form, "RoleName"));
        const arn = callerPolicy(caller, param(form, "PolicyArn")).arn;
        if (!r.attached.includes(arn)) r.attached.push(arn);
        return "";
      }
      case "DetachRolePolicy": {
        const r = callerRole(caller, param(form, "RoleName"));
        const i = r.attached.indexOf(param(form, "PolicyArn"));
        if (i < 0) throw new IamError("NoSuchEntity", `Policy ${form.get("PolicyArn")} was not found.`);
        r.attached.splice(i, 1);
        return "";
      }
      case "CreatePolicy": {
        const name = param(form, "PolicyName");
        const arn = `arn:${partition}:iam::${caller.accountId}:policy${form.get("Path") || "/"}${name}`;
        if (policies.has(arn)) throw new IamError("EntityAlreadyExists", `A policy called ${name} already exists. Duplicate names are not allowed.`);
        return policyXml(storePolicy(arn, requireDocument(form, "PolicyDocument")));
      }
    }
  }

  function identify(req: IncomingMessage): Caller {
    const auth = parseAuthorization(req.headers.authorization);
    if (!auth) throw new IamError("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
    const accountId = keys.get(auth.accessKeyId) ?? opts.accountOf?.(auth.accessKeyId) ?? defaultAccountId;
    if (accountId === null) throw new IamError("InvalidClientTokenId", "The security token included in the request is invalid.", 403);
    return { accessKeyId: auth.accessKeyId, accountId, principalArn: `arn:${partition}:iam::${accountId}:user/iam-server` };
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  function send(res: ServerResponse, status: number, body: string): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { "content-type": "text/xml", "x-amzn-RequestId": randomUUID(), "content-length": Buffer.byteLength(body).toString() });
    res.end(body);
  }

  function trackFlight(res: ServerResponse, accountId: string): void {
    counts.started(accountId, (done) => res.once("close", done));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const op = form.get("Action") ?? "Unknown";
    let caller: Caller | undefined;
    try {
      caller = identify(req);
      if (req.method !== "POST" || !OPERATIONS.has(op))
        throw new IamError("InvalidAction", `Could not find operation ${op} for version ${form.get("Version") ?? "NO_VERSION_SPECIFIED"}`, 400);
      if (form.get("Version") !== IAM_API_VERSION)
        throw new IamError("InvalidAction", `Could not find operation ${op} for version ${form.get("Version") ?? "NO_VERSION_SPECIFIED"}`, 400);
      trackFlight(res, caller.accountId);
      const applied = await applyFaults(op, caller, form.get("RoleName") ?? undefined, res);
      const result = operate(op as IamOperation, caller, form, applied.loopMarker);
      const body =
        `<${op}Response xmlns="${IAM_NAMESPACE}">` +
        (result === "" ? "" : `<${op}Result>${result}</${op}Result>`) +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${op}Response>`;
      record(op, caller, "ok");
      if (applied.hang === "headers") return; // never answered; closed with the server
      if (applied.hang === "body") {
        res.writeHead(200, { "content-type": "text/xml", "content-length": Buffer.byteLength(body).toString() });
        res.write(body.slice(0, Math.floor(body.length / 2)));
        return;
      }
      send(res, 200, body);
    } catch (err) {
      const e = err instanceof IamError ? err : new IamError("ServiceFailure", String(err), 500);
      record(op, caller, e.code === "Throttling" ? "throttled" : "error");
      const type = e.status >= 500 ? "Receiver" : "Sender";
      send(
        res,
        e.status,
        `<ErrorResponse xmlns="${IAM_NAMESPACE}"><Error><Type>${type}</Type><Code>${e.code}</Code><Message>${xml(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, String(err)));
  });
  server.keepAliveTimeout = 5_000;
  const port = await listenOnLoopback(server);

  const addFault = (spec: IamFault): (() => void) => faults.add(spec);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    credentialsFor(accountId) {
      const accessKeyId = `AKIAIAM${accountId}`.padEnd(20, "X");
      keys.set(accessKeyId, accountId);
      return { accessKeyId, secretAccessKey: `iam-server-secret-${accountId}` };
    },
    addCredentials(accessKeyId, accountId) {
      keys.set(accessKeyId, accountId);
    },
    putRole(input) {
      return storeRole(input).arn;
    },
    deleteRole(roleArn) {
      const m = ROLE_ARN.exec(roleArn);
      return m ? roles.delete(roleKey(m[2]!, m[4]!)) : false;
    },
    setTrustPolicy(roleArn, document) {
      roleByArn(roleArn).assumeRolePolicy = document;
    },
    putRolePolicy(roleArn, name, document) {
      roleByArn(roleArn).inline.set(name, document);
    },
    deleteRolePolicy(roleArn, name) {
      return roleByArn(roleArn).inline.delete(name);
    },
    attachRolePolicy(roleArn, policyArn) {
      const r = roleByArn(roleArn);
      if (!r.attached.includes(policyArn)) r.attached.push(policyArn);
    },
    detachRolePolicy(roleArn, policyArn) {
      const r = roleByArn(roleArn);
      const i = r.attached.indexOf(policyArn);
      if (i >= 0) r.attached.splice(i, 1);
      return i >= 0;
    },
    putManagedPolicy(policyArn, document) {
      storePolicy(policyArn, document);
    },
    role(roleArn) {
      const m = ROLE_ARN.exec(roleArn);
      const r = m ? roles.get(roleKey(m[2]!, m[4]!)) : undefined;
      if (!r) return undefined;
      return {
        arn: r.arn,
        roleId: r.roleId,
        name: r.name,
        path: r.path,
        accountId: r.accountId,
        assumeRolePolicy: r.assumeRolePolicy,
        ...(r.permissionsBoundary !== undefined ? { permissionsBoundary: r.permissionsBoundary } : {}),
        inlinePolicies: Object.fromEntries(r.inline),
        managedPolicyArns: [...r.attached],
      };
    },
    inject: addFault,
    deny(match = {}) {
      return addFault({ ...match, error: "AccessDenied" });
    },
    throttle(times, match = {}) {
      return addFault({ ...match, error: "Throttling", times });
    },
    hang(match = {}) {
      const { stage, ...rest } = match;
      return addFault({ ...rest, hang: stage ?? "headers" });
    },
    clearFaults() {
      faults.clear();
    },
    setRateLimit(accountId, limit) {
      limits.set(accountId, limit ?? undefined);
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
