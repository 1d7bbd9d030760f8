// What to do about an input that could not be read, by its error (the SDK's or our own code, and its
// message). One place for the advice of every `error` finding about a state source or a cluster. Problems
// with the credentials themselves come first, told apart: none found, expired, not valid, or valid but not
// allowed.
import type { ScanError } from "../model";

export type CredentialProblem = "missing" | "expired" | "invalid" | "denied";

/** Whether an error is about the credentials, and how. */
export function credentialProblem(e: ScanError): CredentialProblem | undefined {
  // The SDK's credential chain found nothing usable (or an SSO session that has expired).
  if (e.code === "CredentialsProviderError") return /expired/i.test(e.message) ? "expired" : "missing";
  if (/^(ExpiredToken|ExpiredTokenException|RequestExpired|TokenRefreshRequired)$/.test(e.code)) return "expired";
  if (
    /^(UnrecognizedClientException|InvalidClientTokenId|InvalidAccessKeyId|SignatureDoesNotMatch|InvalidSignatureException|IncompleteSignature|MissingAuthenticationToken(Exception)?)$/.test(
      e.code,
    )
  )
    return "invalid";
  if (/AccessDenied|Forbidden/i.test(e.code)) return "denied";
  return undefined;
}

const CREDENTIALS: Record<Exclude<CredentialProblem, "denied">, string> = {
  missing:
    "No AWS credentials were found. Provide them the way the AWS CLI takes them, then run again: AWS_PROFILE=NAME (after aws sso login --profile NAME, or aws configure), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), a web identity token in CI (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE), or a container or instance role.",
  expired:
    "The AWS credentials have expired. Refresh them (aws sso login --profile NAME, or new session credentials from your identity provider or CI) and run again.",
  invalid:
    "The AWS credentials were not accepted: an unknown access key, a wrong secret, a session token missing or from another session, or credentials of another partition. Check AWS_PROFILE, or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and run again.",
};

export function adviceForStateError(e: ScanError): string {
  const { code } = e;
  const tail = " Until it is read, nothing it manages is reported in sync, and live associations it manages can show as unmanaged.";
  const credentials = credentialProblem(e);
  if (credentials !== undefined && credentials !== "denied") return `${CREDENTIALS[credentials]}${tail}`;
  if (/NoStateFiles|StateNotFound|NoSuchKey|NotFound/i.test(code))
    return `Name the state to check: --state PATH|GLOB|s3://BUCKET/KEY, or \`state:\` in the drift config (default: terraform.*.tfstate here, CDKTF's local state).${tail}`;
  if (/AccessDenied|Forbidden|Unreadable|permission/i.test(code))
    return `Grant read access to the state (s3:GetObject on the key, or file permissions) and run again.${tail}`;
  if (code === "TimeoutError" || code === "CallTimeout")
    return `S3 did not answer in time: check connectivity to S3 (a proxy, a VPC endpoint, AWS_ENDPOINT_URL_S3), or raise scan.requestTimeoutSeconds / scan.callTimeoutSeconds (--request-timeout, --call-timeout), and run again.${tail}`;
  return `Check that the source is Terraform state (format version 4) and run again.${tail}`;
}

export function adviceForScanError(e: ScanError): string {
  const { code } = e;
  const credentials = credentialProblem(e);
  if (credentials !== undefined && credentials !== "denied") return CREDENTIALS[credentials];
  if (credentials === "denied")
    return e.message.startsWith("reader role ")
      ? "The credentials may not assume the account's reader role: allow them sts:AssumeRole on it in its trust policy (with the externalId the drift config passes, if any), or fix accounts in the drift config, and run again."
      : "Grant the reader eks:ListPodIdentityAssociations and eks:DescribePodIdentityAssociation on this cluster (or fix the account's reader role in the drift config) and run again.";
  if (/ResourceNotFound|NotFound/i.test(code))
    return "Check the cluster name, region and account (drift config `clusters`, or the state); a deleted cluster should leave state too.";
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(code))
    return "EKS throttled the scan past its retries: set scan.requestsPerSecond (per account and region) below the account's EKS quota, or raise AWS_MAX_ATTEMPTS, and run again.";
  if (code === "ClusterTimeout")
    return "The scan of this cluster took longer than its deadline: a cluster with thousands of associations at a low request rate may need more (raise scan.clusterTimeoutSeconds, or --cluster-timeout), or EKS is answering slowly; run again.";
  if (code === "CallTimeout")
    return "A call to EKS did not complete with its retries: the endpoint does not answer, or keeps timing out. Check connectivity to EKS (a proxy, a VPC endpoint, AWS_ENDPOINT_URL_EKS), or raise scan.callTimeoutSeconds (--call-timeout), and run again.";
  if (/Timeout|Abort/i.test(code))
    return "Every attempt timed out (no answer, or a response that stalled): check connectivity to EKS (a proxy, a VPC endpoint, AWS_ENDPOINT_URL_EKS), or raise scan.requestTimeoutSeconds (--request-timeout), and run again.";
  if (code === "PaginationLoop")
    return "EKS kept returning list pages (a nextToken it had returned before, or more pages than a cluster's 5,000 associations fill), so the listing was stopped to spare the account's API quota. Run again; if it persists, report it to AWS support with the cluster name.";
  if (code === "MalformedResponse")
    return "EKS answered with something its API does not return (a truncated or altered body). Check any proxy between the check and EKS (HTTPS_PROXY, AWS_ENDPOINT_URL_EKS) and run again.";
  return "Run again; if it persists, check connectivity and the EKS service health.";
}

/** What to do about a chain role that could not be read from IAM. */
export function adviceForRoleError(e: ScanError): string {
  const { code } = e;
  const tail = " Or turn the IAM half off (iam: false in the drift config, --no-iam) to check the associations alone.";
  const credentials = credentialProblem(e);
  if (credentials !== undefined && credentials !== "denied") return CREDENTIALS[credentials];
  if (credentials === "denied")
    return e.message.startsWith("reader role ")
      ? "The credentials may not assume the role's account's reader role: allow them sts:AssumeRole on it in its trust policy (with the externalId the drift config passes, if any), or fix accounts in the drift config, and run again."
      : `Grant the reader iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy and iam:ListAttachedRolePolicies on this role (DriftReaderRole: roleArns) in its account, and run again.${tail}`;
  if (code === "NoReaderForAccount")
    return "Add a reader role for the role's account under accounts in the drift config (its roleArn, e.g. a DriftReaderRole in that account; see docs/drift.md), or, if the default credentials are of that account, say so with AWS_ACCOUNT_ID. Run again.";
  if (code === "ReaderOfAnotherAccount")
    return "Fix accounts in the drift config: the reader role given for an account must be a role in that account. Run again.";
  if (code === "RoleArnMismatch")
    return "IAM has a role of this name at another ARN (another path, or the reader reads another account): the role state records does not exist as recorded. Check the role and the reader role of its account, and run again.";
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(code))
    return "IAM throttled the reads past their retries: set iam.requestsPerSecond (per account) lower, or raise AWS_MAX_ATTEMPTS, and run again.";
  if (code === "CallTimeout")
    return "A call to IAM did not complete with its retries: the endpoint does not answer, or keeps timing out. Check connectivity to IAM (a proxy, a VPC endpoint, AWS_ENDPOINT_URL_IAM), or raise scan.callTimeoutSeconds (--call-timeout), and run again.";
  if (/Timeout|Abort/i.test(code))
    return "Every attempt timed out (no answer, or a response that stalled): check connectivity to IAM (a proxy, a VPC endpoint, AWS_ENDPOINT_URL_IAM), or raise scan.requestTimeoutSeconds (--request-timeout), and run again.";
  if (code === "PaginationLoop")
    return "IAM kept returning list pages for this role, so the listing was stopped to spare the account's API quota. Run again; if it persists, report it to AWS support with the role's ARN.";
  if (code === "MalformedResponse" || code === "InvalidRoleArn")
    return "IAM answered with something its API does not return, or state records no valid role ARN. Check any proxy between the check and IAM (HTTPS_PROXY, AWS_ENDPOINT_URL_IAM) and the role in state, and run again.";
  return `Run again; if it persists, check connectivity and the IAM service health.${tail}`;
}
