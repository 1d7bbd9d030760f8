// Live IAM roles of the chain: each distinct role once per scan, with its trust, inline policies and
// attachments, through @aws-sdk/client-iam with the SDK's standard configuration (AWS_ENDPOINT_URL_IAM).
//
// Calls per role, the minimum: GetRole (trust, permissions boundary), ListRolePolicies (page by page),
// GetRolePolicy per inline policy, ListAttachedRolePolicies (page by page). For a managed policy attached
// live but not in state, or in state but no longer attached, its document is read too (GetPolicy for the
// default version, GetPolicyVersion), once per policy per account and scan: only when attachments differ.
// IAM is global per account: GetRole reads the caller's account, so each role is read with its account's
// credentials (the account's reader role when the drift config names one, else the default chain), in the
// partition's global region. The default chain is used for an account only when it is of that account: when
// the credentials say their account (AWS_ACCOUNT_ID, an SSO profile, credential_process), another account's
// role is not read at all; when they do not, a role it reads is that account's only if GetRole returns the
// role's own ARN, and its NoSuchEntity proves nothing (the role may be in another account). Those cases are
// errors asking for a reader role. Every GetRole answer must carry the role's ARN (account, partition, path).
// One IAMClient and one pacer per account (IAM's request quotas are low and per account); roles of different
// accounts are read in parallel, at most `perAccountConcurrency` requests in
// flight per account. Deadlines as for EKS (./deadline.ts): every attempt, and every call with its retries.
// Never partial: a role is read completely, found gone (NoSuchEntity), or an error (AccessDenied, throttled
// past retries, a timeout, a listing that does not end, a malformed response). A managed policy that cannot
// be read is recorded as such on the role: it only leaves the judgement of that change undecided.
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { setMaxListeners } from "node:events";
import type { AccountReader, ApiCallEvent, LiveRole, ManagedPolicyRead, RoleRead } from "../model";
import { apiCallCounterPlugin, type ApiCallListener } from "./api-call-counter";
import { awsClientConfig } from "./client-config";
import { readerCredentials } from "./clients";
import { DEFAULT_CALL_TIMEOUT_MS, withDeadline } from "./deadline";
import { Limiter } from "./limit";
import { Pacer, pacerPlugin } from "./pacer";
import { scanError } from "./scan-error";

/** Items per list page asked for (IAM's maximum). */
export const IAM_PAGE_SIZE = 1000;
/** Pages of one listing at most: a role holds at most a few hundred inline policies (10,240 characters in all). */
export const IAM_MAX_PAGES = 50;
export const DEFAULT_IAM_CONCURRENCY = 4;

/** A role to read, and what state expects attached to it (to know which managed policies to read). */
export interface RoleRequest {
  readonly arn: string;
  readonly expectedAttachments?: readonly string[];
}

export interface IamReadOptions {
  /** Reader role per account id; accounts not listed use the default credential chain, for roles of its own account only. */
  readonly accountReaders?: Readonly<Record<string, AccountReader>>;
  /** IAM requests per second per account, retries included. @default adaptive (see ./pacer.ts) */
  readonly requestsPerSecond?: number;
  /** Requests in flight at once per account. @default DEFAULT_IAM_CONCURRENCY */
  readonly perAccountConcurrency?: number;
  /** Per attempt: connection, headers and body. @default DEFAULT_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Per call, all its attempts and the backoff between them. @default DEFAULT_CALL_TIMEOUT_MS */
  readonly callTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Every attempt (retries included) of every IAM and STS call. */
  readonly onApiCall?: (e: ApiCallEvent) => void;
}

const ROLE_ARN = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;

/** IAM's global endpoint signs in one region per partition. */
export function iamRegion(partition: string): string {
  return partition === "aws-cn" ? "cn-north-1" : partition === "aws-us-gov" ? "us-gov-west-1" : "us-east-1";
}

/** A role of an account with no reader role, that the default credentials are not known to read. */
function noReaderFor(accountId: string, what: string): Error {
  return Object.assign(
    new Error(`${what}; no reader role is configured for account ${accountId}: add one under accounts in the drift config (see docs/drift.md)`),
    { name: "NoReaderForAccount" },
  );
}

/** The account the credentials say they are of (AWS_ACCOUNT_ID, an SSO profile, credential_process), if they say it. */
async function credentialsAccount(client: IAMClient): Promise<string | undefined> {
  try {
    return (await client.config.credentials()).accountId;
  } catch {
    return undefined; // no credentials: GetRole fails with the provider's error, told apart in the advice
  }
}

/** A listing that would never end. */
class PaginationLoop extends Error {
  override readonly name = "PaginationLoop";
}

interface Account {
  readonly client: IAMClient;
  readonly limiter: Limiter;
  /** Managed policy documents read this scan. */
  readonly policies: Map<string, Promise<ManagedPolicyRead>>;
  /** The account the client's credentials are of: the reader role's, else what the default chain says, if anything. */
  readonly credentialsAccount: Promise<string | undefined>;
}

/** Reads every distinct role once; one RoleRead per distinct ARN, in first-seen order. */
export async function readRoles(requests: readonly RoleRequest[], opts: IamReadOptions = {}): Promise<RoleRead[]> {
  const byArn = new Map<string, Set<string>>();
  for (const r of requests) {
    const expected = byArn.get(r.arn) ?? new Set<string>();
    for (const a of r.expectedAttachments ?? []) expected.add(a);
    byArn.set(r.arn, expected);
  }
  const concurrency = opts.perAccountConcurrency ?? DEFAULT_IAM_CONCURRENCY;
  new Limiter(concurrency); // validates it up front
  if (opts.requestsPerSecond !== undefined) new Pacer({ requestsPerSecond: opts.requestsPerSecond });
  const callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const listener: ApiCallListener = (e) => opts.onApiCall?.(e);
  const accounts = new Map<string, Account>();
  const account = (partition: string, accountId: string): Account => {
    let a = accounts.get(accountId);
    if (a) return a;
    const region = iamRegion(partition);
    const scope = { region, accountId };
    const reader = opts.accountReaders?.[accountId];
    const client = new IAMClient({
      region,
      ...(reader ? { credentials: readerCredentials(reader, region, opts.requestTimeoutMs, apiCallCounterPlugin(scope, listener)) } : {}),
      ...awsClientConfig(opts.requestTimeoutMs),
    });
    client.middlewareStack.use(apiCallCounterPlugin(scope, listener));
    // After the counter, so it runs first (as for EKS: ./clients.ts).
    client.middlewareStack.use(
      pacerPlugin(
        new Pacer(
          opts.requestsPerSecond !== undefined ? { requestsPerSecond: opts.requestsPerSecond } : { adaptive: process.env.AWS_RETRY_MODE !== "adaptive" },
        ),
      ),
    );
    // Assumed-role credentials are of the role's account.
    const credentialsAccountId = reader ? Promise.resolve(ROLE_ARN.exec(reader.roleArn)?.[2]) : credentialsAccount(client);
    accounts.set(accountId, (a = { client, limiter: new Limiter(concurrency), policies: new Map(), credentialsAccount: credentialsAccountId }));
    return a;
  };

  async function readOne(arn: string, expected: ReadonlySet<string>): Promise<RoleRead> {
    const m = ROLE_ARN.exec(arn);
    if (!m) return { arn, ok: false, error: { code: "InvalidRoleArn", message: `${arn} is not an IAM role ARN` }, calls: 0 };
    const [, partition, accountId, roleName] = m as unknown as [string, string, string, string];
    const { client, limiter, policies, credentialsAccount: credentialsAccountId } = account(partition, accountId);
    const local = new AbortController();
    const roleSignal = opts.signal ? AbortSignal.any([opts.signal, local.signal]) : local.signal;
    setMaxListeners(0, local.signal, roleSignal);
    let calls = 0;
    /** One call: a slot of the account, and a deadline for all its attempts. */
    const send = <T>(operation: string, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> =>
      limiter.run(() => {
        calls++;
        return withDeadline("call", `${operation} did not complete, retries included,`, callTimeoutMs, (deadline) =>
          call(AbortSignal.any([deadline, roleSignal])),
        );
      });
    const policyOnce = (policyArn: string): Promise<ManagedPolicyRead> => {
      let p = policies.get(policyArn);
      if (p === undefined) {
        p = (async (): Promise<ManagedPolicyRead> => {
          try {
            const meta = await send("GetPolicy", (abortSignal) => client.send(new GetPolicyCommand({ PolicyArn: policyArn }), { abortSignal }));
            const versionId = meta.Policy?.DefaultVersionId ?? "";
            const version = await send("GetPolicyVersion", (abortSignal) =>
              client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }), { abortSignal }),
            );
            return { ok: true, document: version.PolicyVersion?.Document ?? "" };
          } catch (e) {
            if (opts.signal?.aborted) throw opts.signal.reason;
            return { ok: false, error: scanError(e) };
          }
        })();
        policies.set(policyArn, p);
      }
      return p;
    };

    const reader = opts.accountReaders?.[accountId];
    try {
      const known = await credentialsAccountId;
      if (known !== undefined && known !== accountId) {
        if (!reader) throw noReaderFor(accountId, `the default credentials are of account ${known}`);
        throw Object.assign(new Error(`the reader role configured for account ${accountId}, ${reader.roleArn}, is of account ${known}`), {
          name: "ReaderOfAnotherAccount",
        });
      }
      let role;
      try {
        role = (await send("GetRole", (abortSignal) => client.send(new GetRoleCommand({ RoleName: roleName }), { abortSignal }))).Role;
      } catch (e) {
        if ((e as Error).name !== "NoSuchEntityException") throw e;
        // Not found in the credentials' account says nothing of this role's unless that is its account.
        if (known === undefined)
          throw noReaderFor(accountId, `GetRole found no role named ${roleName} with the default credentials, which do not say their account (AWS_ACCOUNT_ID)`);
        return { arn, ok: true, role: null, calls };
      }
      if (role === undefined || role.AssumeRolePolicyDocument === undefined)
        throw Object.assign(new Error("GetRole returned no role, or a role without its trust policy"), { name: "MalformedResponse" });
      // GetRole finds a role by name in the credentials' account: one of another account, partition or path is not this role.
      if (role.Arn !== arn) {
        const answered = `GetRole returned ${role.Arn ?? "a role without an ARN"}, not this role`;
        if (ROLE_ARN.exec(role.Arn ?? "")?.[2] !== accountId && !reader)
          throw noReaderFor(accountId, `${answered}: the default credentials are of another account`);
        throw Object.assign(new Error(answered), { name: "RoleArnMismatch" });
      }
      const names = await list("ListRolePolicies", async (Marker) => {
        const out = await send("ListRolePolicies", (abortSignal) =>
          client.send(new ListRolePoliciesCommand({ RoleName: roleName, MaxItems: IAM_PAGE_SIZE, ...(Marker ? { Marker } : {}) }), { abortSignal }),
        );
        return { items: out.PolicyNames ?? [], more: out.IsTruncated === true, marker: out.Marker };
      });
      const inline = await Promise.all(
        names.map(async (name) => {
          try {
            const out = await send("GetRolePolicy", (abortSignal) =>
              client.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }), { abortSignal }),
            );
            return { name, document: out.PolicyDocument ?? "" };
          } catch (e) {
            if ((e as Error).name === "NoSuchEntityException") return undefined; // deleted between list and get: gone
            throw e;
          }
        }),
      );
      const attachments = await list("ListAttachedRolePolicies", async (Marker) => {
        const out = await send("ListAttachedRolePolicies", (abortSignal) =>
          client.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, MaxItems: IAM_PAGE_SIZE, ...(Marker ? { Marker } : {}) }), { abortSignal }),
        );
        return { items: (out.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])), more: out.IsTruncated === true, marker: out.Marker };
      });
      const differing = [...attachments.filter((p) => !expected.has(p)), ...[...expected].filter((p) => !attachments.includes(p))];
      const managed: Record<string, ManagedPolicyRead> = {};
      for (const [policyArn, read] of await Promise.all(differing.map(async (p) => [p, await policyOnce(p)] as const))) managed[policyArn] = read;
      const live: LiveRole = {
        arn,
        roleId: role.RoleId ?? "",
        assumeRolePolicy: role.AssumeRolePolicyDocument,
        ...(role.PermissionsBoundary?.PermissionsBoundaryArn ? { permissionsBoundary: role.PermissionsBoundary.PermissionsBoundaryArn } : {}),
        inlinePolicies: inline.filter((x): x is { name: string; document: string } => x !== undefined),
        attachments,
        managedPolicies: managed,
      };
      return { arn, ok: true, role: live, calls };
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      local.abort(e); // stops this role's other calls in flight
      return { arn, ok: false, error: scanError(e), calls };
    }
  }

  try {
    opts.signal?.throwIfAborted();
    return await Promise.all([...byArn].map(([arn, expected]) => readOne(arn, expected)));
  } finally {
    for (const a of accounts.values()) a.client.destroy();
  }
}

/** A paginated listing, bounded: a Marker seen before, or more than IAM_MAX_PAGES pages, ends it with an error. */
async function list<T>(
  operation: string,
  page: (marker: string | undefined) => Promise<{ items: T[]; more: boolean; marker: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (let pages = 1; ; pages++) {
    const p = await page(marker);
    out.push(...p.items);
    if (!p.more) return out;
    if (!p.marker) throw Object.assign(new Error(`${operation} said the listing is truncated but gave no Marker`), { name: "MalformedResponse" });
    if (seen.has(p.marker)) throw new PaginationLoop(`${operation} returned a Marker it had returned before (page ${pages}): the listing would never end`);
    if (pages >= IAM_MAX_PAGES)
      throw new PaginationLoop(`${operation} returned more than ${IAM_MAX_PAGES} pages, more than a role's policies can fill: the listing would never end`);
    seen.add(p.marker);
    marker = p.marker;
  }
}
