// Live enumeration of Pod Identity associations (see ./scan.ts).
export { scanClusters, LIST_PAGE_SIZE, type ScanOptions } from "./scan";
export { EksClientPool, retrySettings, DEFAULT_MAX_ATTEMPTS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SESSION_NAME, type EksClientPoolOptions } from "./clients";
export { apiCallCounterPlugin, outcomeOf, type ApiCallListener, type ApiCallScope } from "./api-call-counter";
