// What to do about an input that could not be read, by its error code. One place for the advice of every
// `error` finding about a state source or a cluster.

export function adviceForStateError(code: string): string {
  const tail = " Until it is read, nothing it manages is reported in sync, and live associations it manages can show as unmanaged.";
  if (/NoStateFiles|StateNotFound|NoSuchKey|NotFound/i.test(code))
    return `Name the state to check: --state PATH|GLOB|s3://BUCKET/KEY, or \`state:\` in the drift config (default: terraform.*.tfstate here, CDKTF's local state).${tail}`;
  if (/AccessDenied|Forbidden|Unreadable|permission/i.test(code)) return `Grant read access to the state (s3:GetObject on the key, or file permissions) and run again.${tail}`;
  if (code === "TimeoutError" || code === "CallTimeout")
    return `S3 did not answer in time: check connectivity to S3 (a proxy, a VPC endpoint, AWS_ENDPOINT_URL_S3), or raise scan.requestTimeoutSeconds / scan.callTimeoutSeconds (--request-timeout, --call-timeout), and run again.${tail}`;
  return `Check that the source is Terraform state (format version 4) and run again.${tail}`;
}

export function adviceForScanError(code: string): string {
  if (/AccessDenied|UnrecognizedClient|ExpiredToken|InvalidClientTokenId|Forbidden/i.test(code))
    return "Grant the reader eks:ListPodIdentityAssociations and eks:DescribePodIdentityAssociation on this cluster (or fix the account's reader role in the drift config) and run again.";
  if (/ResourceNotFound|NotFound/i.test(code)) return "Check the cluster name, region and account (drift config `clusters`, or the state); a deleted cluster should leave state too.";
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(code)) return "EKS throttled the scan past its retries: set scan.requestsPerSecond (per account and region) below the account's EKS quota, or raise AWS_MAX_ATTEMPTS, and run again.";
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
