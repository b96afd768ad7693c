// The REST layer: a client of the Redis Enterprise Software REST API and a waiter for its asynchronous work.
export { RsClient, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_REFUSED_BUDGET_MS } from "./client";
export type { Connection, ClientOptions, RequestOptions, RawRequestOptions, RsResponse, HttpMethod } from "./client";
export {
  RsError,
  RsApiError,
  RsConnectionError,
  RsTlsError,
  RsTimeoutError,
  RsOperationError,
  TLS_TRUST_ADVICE,
  isRsError,
  isRsApiError,
  isRsApiStatus,
  isRsConnectionError,
  isRsTlsError,
  isRsTimeoutError,
  isRsOperationError,
  isOutcomeUnknown,
  redactSecrets,
} from "./errors";
export type {
  RsErrorCode,
  RsApiErrorInit,
  RsConnectionErrorInit,
  RsTlsErrorInit,
  RsTimeoutErrorInit,
  RsOperationErrorInit,
} from "./errors";
export {
  DEFAULT_RETRY_POLICY,
  resolveRetryPolicy,
  isIdempotentMethod,
  isRetryableFailure,
  READ_500_RETRIES,
  FINAL_CONFLICT_CODES,
  backoffDelayMs,
  parseRetryAfterMs,
  planRetry,
  isTimeoutCode,
} from "./retry";
export type { RetryPolicy, AttemptFailure, RetryPlan } from "./retry";
export { describeErrorValue, excerpt } from "./body";
export { coalescedRead, coalescingCounters, listPaysFrom, GATHER_MS, PEAK_IDLE_RESET_MS, STREAM_PROBES, SIZE_REQUEST_FROM, STREAM_GAP_MS, PROBE_AT_PEAK_GAP_MS } from "./coalesce";
export type { CoalescedAnswer, ReadQuery } from "./coalesce";
export { normalizeFingerprint, checkPinnedChain } from "./tls";
export { classifyBdbStatus, parseAction, parseProgress, describeAction } from "./status";
export type { BdbPhase, ActionPhase, ActionState } from "./status";
export {
  pollUntil,
  pollIntervalMs,
  waitForDatabase,
  transientPollError,
  systemClock,
  DEFAULT_INITIAL_INTERVAL_MS,
  DEFAULT_MAX_INTERVAL_MS,
} from "./waiter";
export type { ProbeResult, PollOptions, WaiterClock, BdbObject, WaitForDatabaseOptions, RestRequester } from "./waiter";
