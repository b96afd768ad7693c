// The retry policy of the REST client, as pure functions (no I/O, no clock, no randomness of their own).
//
// What is retried, and why it is safe:
// - GET, PUT and DELETE are idempotent against this API (a PUT sends the whole desired value; a repeated DELETE
//   of a database that is already going answers 409 or 404, never a second deletion). They are retried on
//   409 (busy with another change / not active yet), 503 (node not responding or not a cluster member), 502 and
//   504 (a proxy in front of the API could not reach it), and on transient transport failures (reset, socket
//   closed, refused, timeouts). A GET is also tried again after a 500, at most READ_500_RETRIES times. A 409
//   that names something existing (FINAL_CONFLICT_CODES: a name in use) is final: waiting changes nothing.
// - POST creates things, so it is never sent twice when it may have reached the server. It is retried only when
//   the failure proves it was not applied: a connect-phase failure (refused, DNS, connect timeout), or a 409
//   whose error_code is `busy` (the cluster refused to start it). Anything else is thrown, and the caller
//   resolves it by looking the object up (the Database provider looks a database up by name).
// - Every other 4xx, and certificate failures, are final.
//
// Delays: exponential backoff with full jitter (a random delay between 0 and min(max, initial * 2^(n-1))), at
// least the server's Retry-After when it sends one, until `deadlineMs` after the first attempt. A Retry-After
// that points past the deadline ends the retries at once (the server said it will not be ready in time).

import { formatSeconds } from "./errors";

/** How long and how often to retry. */
export interface RetryPolicy {
  /** Give up once this many milliseconds have passed since the first attempt. @default 120000 */
  deadlineMs: number;
  /** Upper bound of the first backoff delay, in milliseconds; doubles on each retry. @default 250 */
  initialDelayMs: number;
  /** Cap of the upper bound of any one backoff delay, in milliseconds. @default 5000 */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  deadlineMs: 120_000,
  initialDelayMs: 250,
  maxDelayMs: 5_000,
});

/** Merges partial policies over the defaults (later wins) and rejects values that make no sense. */
export function resolveRetryPolicy(...layers: Array<Partial<RetryPolicy> | undefined>): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of ["deadlineMs", "initialDelayMs", "maxDelayMs"] as const) {
      const value = layer[key];
      if (value !== undefined) policy[key] = value;
    }
  }
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`retry.${key} must be a finite number of milliseconds >= 0; got ${String(value)}`);
    }
  }
  if (policy.initialDelayMs > policy.maxDelayMs) {
    throw new RangeError(
      `retry.initialDelayMs (${policy.initialDelayMs}) must not exceed retry.maxDelayMs (${policy.maxDelayMs})`,
    );
  }
  return policy;
}

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Whether a method may be sent twice without changing the outcome (see the policy above). */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

// ---------------------------------------------------------------------------------------------------------------
// Transport failures

/** The cause code the client uses when one attempt exceeds its own time limit (ClientOptions.requestTimeoutMs). */
export const ATTEMPT_TIMEOUT_CODE = "RS_ATTEMPT_TIMEOUT";

/** Failures that provably happened before any byte of the request was sent. */
const CONNECT_PHASE_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED", // nothing listening: the TCP handshake was refused
  "ENOTFOUND", // DNS: no such host
  "EAI_AGAIN", // DNS: temporary resolver failure
  "UND_ERR_CONNECT_TIMEOUT", // undici's connect timeout: no connection was made
]);

/** Transport failures worth another attempt (on a request that may be retried). ENOTFOUND is not: a typo. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "EAI_AGAIN",
  "UND_ERR_SOCKET", // the other side closed the connection
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  ATTEMPT_TIMEOUT_CODE,
]);

/** Failures where no answer came in time: a request held, not a connection that broke. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", ATTEMPT_TIMEOUT_CODE]);

/** Whether a transport failure code says the answer did not come in time (rather than the connection breaking). */
export function isTimeoutCode(code: string): boolean {
  return TIMEOUT_CODES.has(code);
}

/** How a transport failure code bears on retries. */
export function classifyTransportCode(code: string): { mayHaveReachedServer: boolean; transient: boolean } {
  return { mayHaveReachedServer: !CONNECT_PHASE_CODES.has(code), transient: TRANSIENT_CODES.has(code) };
}

/**
 * The code of an error thrown by undici or Node's net/tls layer: its own `code`, else that of its `cause`, else
 * that of the first error of an AggregateError (Node's happy-eyeballs connect), else "UNKNOWN".
 */
export function transportErrorCode(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    const candidate = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof candidate.code === "string" && candidate.code !== "") return candidate.code;
    if (Array.isArray(candidate.errors) && candidate.errors.length > 0) current = candidate.errors[0];
    else current = candidate.cause;
  }
  return "UNKNOWN";
}

// ---------------------------------------------------------------------------------------------------------------
// Decisions

/** One failed attempt, reduced to what the policy needs. */
export type AttemptFailure =
  | { kind: "status"; status: number; errorCode: string | undefined }
  | { kind: "transport"; causeCode: string; mayHaveReachedServer: boolean; transient: boolean }
  | { kind: "tls"; causeCode: string };

const RETRIED_STATUSES: ReadonlySet<number> = new Set([409, 502, 503, 504]);

/**
 * 409 answers that name something that exists, which no wait changes: a database name or uid in use, a node
 * already in a cluster. Final for every method; any other 409 (busy, not active yet, a bootstrap in progress,
 * certificates not on every node yet) is a state that passes.
 */
export const FINAL_CONFLICT_CODES: ReadonlySet<string> = new Set(["name_exists", "uid_exists", "already_bootstrapped"]);

/**
 * How many times a read (GET) answered 500 is tried again, at most. No read this provider makes documents a 500
 * (../shared/reference/rs-rest-api.md: none for bdb or cluster CRUD), so one is an internal fault of the
 * cluster, which may pass, and a read is safe to repeat; one that lasts is reported after about a second, not
 * after the whole deadline. Writes answered 500 are not resent: their callers read back what was applied.
 */
export const READ_500_RETRIES = 2;

/**
 * Whether this failure may be retried at all (deadline aside). `read`: the request is a GET; `answered500`: how
 * many 500s this request has had, this one included, which bounds the retries of a read answered 500. Only the
 * 500s count: a read that rode out a busy window or a node down (409, 503) still has its two tries after a 500.
 */
export function isRetryableFailure(failure: AttemptFailure, idempotent: boolean, read = false, answered500 = 1): boolean {
  switch (failure.kind) {
    case "tls":
      return false;
    case "status":
      if (read && failure.status === 500) return answered500 <= READ_500_RETRIES;
      if (failure.status === 409 && failure.errorCode !== undefined && FINAL_CONFLICT_CODES.has(failure.errorCode)) return false;
      return idempotent ? RETRIED_STATUSES.has(failure.status) : failure.status === 409 && failure.errorCode === "busy";
    case "transport":
      return failure.transient && (idempotent || !failure.mayHaveReachedServer);
  }
}

/** Short words for a failure in an event line: "409 busy", "503", "ECONNRESET". */
export function describeFailure(failure: AttemptFailure): string {
  switch (failure.kind) {
    case "status":
      return failure.errorCode ? `${failure.status} ${failure.errorCode}` : String(failure.status);
    case "transport":
    case "tls":
      return failure.causeCode;
  }
}

/**
 * The backoff before retry number `retryNumber` (1 for the first retry): full jitter, a uniformly random delay in
 * [0, min(maxDelayMs, initialDelayMs * 2^(retryNumber-1))). `random` returns a number in [0, 1).
 */
export function backoffDelayMs(retryNumber: number, policy: RetryPolicy, random: () => number): number {
  const exponent = Math.max(0, retryNumber - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * The wait a Retry-After header asks for, in milliseconds: delta-seconds ("3") or an HTTP date. Undefined when
 * absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names a month; without one, Date.parse would read "-1" or "1.5" as years.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export type RetryPlan = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * Whether to retry after a retryable failure, and how long to wait first. A backoff that would cross the
 * deadline is shortened so one last attempt happens at the deadline.
 */
export function planRetry(input: {
  retryNumber: number;
  policy: RetryPolicy;
  elapsedMs: number;
  retryAfterMs: number | undefined;
  random: () => number;
}): RetryPlan {
  const remaining = input.policy.deadlineMs - input.elapsedMs;
  if (remaining <= 0) {
    return { retry: false, reason: `retry deadline of ${formatSeconds(input.policy.deadlineMs)} reached` };
  }
  if (input.retryAfterMs !== undefined && input.retryAfterMs > remaining) {
    return {
      retry: false,
      reason: `the server asked to wait ${formatSeconds(input.retryAfterMs)}, past the retry deadline`,
    };
  }
  const backoff = backoffDelayMs(input.retryNumber, input.policy, input.random);
  const delay = Math.max(backoff, input.retryAfterMs ?? 0);
  return { retry: true, delayMs: Math.min(delay, remaining) };
}
