// Live enumeration of Pod Identity associations (see ./scan.ts).
export { scanClusters, LIST_PAGE_SIZE, type ScanOptions } from "./scan";
export { EksClientPool, DEFAULT_SESSION_NAME, type EksClientPoolOptions } from "./clients";
export { awsClientConfig, retrySettings, DEFAULT_MAX_ATTEMPTS } from "./client-config";
export {
  AttemptDeadlineHandler,
  DeadlineError,
  startDeadline,
  withDeadline,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CLUSTER_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "./deadline";
export { apiCallCounterPlugin, outcomeOf, type ApiCallListener, type ApiCallScope } from "./api-call-counter";
export { readRoles, iamRegion, IAM_MAX_PAGES, DEFAULT_IAM_CONCURRENCY, type IamReadOptions, type RoleRequest } from "./iam";
