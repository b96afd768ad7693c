// Errors of the REST client and the waiter: a small hierarchy, each class with a stable string `code`.
//
// A Pulumi dynamic provider can end up with two copies of this module loaded (the serialized provider shim and
// the installed implementation), so `instanceof` cannot rely on class identity. As undici does, every instance
// carries a process-wide brand (Symbol.for) and each class answers `instanceof` through Symbol.hasInstance by
// checking that brand and its `code`. The `isRs...` predicates do the same and are the preferred way to branch.
//
// No error ever holds a password or an Authorization header: the client redacts every text it puts into one
// (see redactSecrets), and no error keeps a reference to request options or to the raw undici error.

/** Brand present (non-enumerable) on every error made by any copy of this module. */
const RS_ERROR_BRAND: unique symbol = Symbol.for("pulumi-redis-enterprise.rest.RsError");

/** The stable codes; branch on these rather than on classes. */
export type RsErrorCode = "RS_API_ERROR" | "RS_CONNECTION_ERROR" | "RS_TLS_ERROR" | "RS_TIMEOUT" | "RS_OPERATION_FAILED";

function hasRsCode(value: unknown, code?: RsErrorCode): boolean {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { [RS_ERROR_BRAND]?: unknown; code?: unknown };
  if (candidate[RS_ERROR_BRAND] !== true) return false;
  return code === undefined || candidate.code === code;
}

/** Names the class in `stack` and `util.inspect` without adding an enumerable own property. */
function nameClass(target: { prototype: object }, name: string): void {
  Object.defineProperty(target.prototype, "name", { value: name, writable: true, configurable: true, enumerable: false });
}

/** Base of every error of the REST layer. */
export abstract class RsError extends Error {
  abstract readonly code: RsErrorCode;

  protected constructor(message: string) {
    super(message);
    Object.defineProperty(this, RS_ERROR_BRAND, { value: true, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasRsCode(value);
  }
}

/** Seconds with one decimal, the unit every human-facing duration in this layer uses. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------------------------

export interface RsApiErrorInit {
  method: string;
  path: string;
  status: number;
  errorCode?: string;
  description: string;
  /** Scheme, host and port the request went to. */
  origin?: string;
  /** How many times the request was sent before this answer was final (1 when not retried). */
  attempts?: number;
  /**
   * An earlier attempt of this non-idempotent request (a POST) was retried after an answer that may hide an
   * applied request; see RsApiError.earlierAttemptMayHaveApplied.
   */
  earlierAttemptMayHaveApplied?: boolean;
}

/**
 * Decodes a request path for a person to read (`fields=uid%2Cname` -> `fields=uid,name`); unchanged if malformed.
 * Every message shows the path this way; the errors' `path` field keeps the exact request.
 */
export function readablePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * The message of an API error. A 401 says what it means (the credentials were refused) and which settings hold
 * them, before any path: the server's own words ("authentication required") read as if none had been sent.
 */
function apiErrorMessage(init: RsApiErrorInit): string {
  const status = `${init.status}${init.errorCode ? ` ${init.errorCode}` : ""}`;
  if (init.status === 401) {
    return (
      `the cluster${init.origin ? ` at ${init.origin}` : ""} refused the username or password (${status} on ` +
      `${init.method} ${readablePath(init.path)}): set connection.username and connection.password (or the stack ` +
      "config redisenterprise:username and redisenterprise:password) to a user of the cluster"
    );
  }
  return `${init.method} ${readablePath(init.path)}: ${status}: ${init.description}`;
}

/**
 * The cluster answered with an error status (or an unreadable success answer).
 * Message: `POST /v1/bdbs: 406 port_unavailable: port 12000 is in use`, or `GET /v1/bdbs/7: 404: ...` when the
 * answer carried no `error_code`.
 */
export class RsApiError extends RsError {
  static {
    nameClass(this, "RsApiError");
  }
  readonly code = "RS_API_ERROR" as const;
  readonly status: number;
  /** The server's `error_code`, e.g. `busy`, `port_unavailable`; undefined when the answer had none. */
  readonly errorCode: string | undefined;
  /** The server's `description` (or `message`), else a trimmed, capped excerpt of the raw answer. */
  readonly description: string;
  readonly method: string;
  readonly path: string;
  readonly origin: string | undefined;
  readonly attempts: number;
  /**
   * True when this is the answer to a resent POST whose earlier attempt was answered 409 busy: a cluster (or a
   * proxy, or a fault) may have applied that earlier attempt before answering, so this answer (typically 409
   * name_exists) may be about the caller's own object. The caller resolves it by looking the object up (by
   * name), as after a lost answer; isOutcomeUnknown() says so.
   */
  readonly earlierAttemptMayHaveApplied: boolean;

  constructor(init: RsApiErrorInit) {
    super(apiErrorMessage(init));
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.description = init.description;
    this.method = init.method;
    this.path = init.path;
    this.origin = init.origin;
    this.attempts = init.attempts ?? 1;
    this.earlierAttemptMayHaveApplied = init.earlierAttemptMayHaveApplied === true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasRsCode(value, "RS_API_ERROR");
  }
}

// ---------------------------------------------------------------------------------------------------------------

export interface RsConnectionErrorInit {
  method: string;
  path: string;
  origin: string;
  /** The transport's code: ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, RS_ATTEMPT_TIMEOUT, ... */
  causeCode: string;
  /** The transport's own words (already redacted). */
  causeMessage: string;
  mayHaveReachedServer: boolean;
  attempts?: number;
  /** What to check, appended to the message (the client gives it for a connection refused from the start). */
  advice?: string;
}

/**
 * No usable answer: the connection could not be made, broke, or timed out. `mayHaveReachedServer` is false only
 * when the failure provably happened before the request was sent (refused, DNS, connect timeout); a POST that
 * fails with `true` may have been applied, so the caller must look the object up before trying again.
 */
export class RsConnectionError extends RsError {
  static {
    nameClass(this, "RsConnectionError");
  }
  readonly code = "RS_CONNECTION_ERROR" as const;
  readonly method: string;
  readonly path: string;
  readonly origin: string;
  readonly causeCode: string;
  readonly causeMessage: string;
  readonly mayHaveReachedServer: boolean;
  readonly attempts: number;

  constructor(init: RsConnectionErrorInit) {
    const consequence = init.mayHaveReachedServer
      ? "the request may have reached the cluster: check whether it took effect before sending it again"
      : "the request was not sent";
    super(
      `${init.method} ${readablePath(init.path)}: no answer from ${init.origin} (${init.causeCode}: ${init.causeMessage}); ` +
        `${consequence}. Check that the cluster's REST API is reachable at that address and port` +
        (init.advice ? `: ${init.advice}` : ""),
    );
    this.method = init.method;
    this.path = init.path;
    this.origin = init.origin;
    this.causeCode = init.causeCode;
    this.causeMessage = init.causeMessage;
    this.mayHaveReachedServer = init.mayHaveReachedServer;
    this.attempts = init.attempts ?? 1;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasRsCode(value, "RS_CONNECTION_ERROR");
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** What to do about an untrusted API certificate; the message of every RsTlsError ends with advice. */
export const TLS_TRUST_ADVICE =
  "provide connection.caCertPem (the cluster's CA certificate) or connection.caFingerprintSha256, " +
  "or set connection.insecureSkipVerify: true to skip verification (not recommended)";

export interface RsTlsErrorInit {
  method: string;
  path: string;
  origin: string;
  /** OpenSSL / Node code (SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID) or RS_TLS_PIN_MISMATCH. */
  causeCode: string;
  /** Why verification failed, in words. */
  reason: string;
  /** What the operator should do; defaults to TLS_TRUST_ADVICE. */
  advice?: string;
  /** SHA-256 fingerprints (hex, lower case) of the certificates the server presented, leaf first, when known. */
  presentedFingerprintsSha256?: string[];
}

/** The API's certificate could not be verified, or no presented certificate matched the pinned fingerprint. */
export class RsTlsError extends RsError {
  static {
    nameClass(this, "RsTlsError");
  }
  readonly code = "RS_TLS_ERROR" as const;
  readonly method: string;
  readonly path: string;
  readonly origin: string;
  readonly causeCode: string;
  readonly reason: string;
  readonly presentedFingerprintsSha256: string[] | undefined;

  constructor(init: RsTlsErrorInit) {
    super(
      `${init.method} ${readablePath(init.path)}: TLS verification of ${init.origin} failed (${init.causeCode}: ${init.reason}); ` +
        (init.advice ?? TLS_TRUST_ADVICE),
    );
    this.method = init.method;
    this.path = init.path;
    this.origin = init.origin;
    this.causeCode = init.causeCode;
    this.reason = init.reason;
    this.presentedFingerprintsSha256 = init.presentedFingerprintsSha256;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasRsCode(value, "RS_TLS_ERROR");
  }
}

// ---------------------------------------------------------------------------------------------------------------

export interface RsTimeoutErrorInit {
  /** What was awaited, as a phrase: "database 7 to become active". */
  description: string;
  waitedMs: number;
  /** The last state seen, e.g. "status active-change-pending"; undefined when nothing was observed. */
  lastObserved?: string;
  /** The id of the object concerned, so a create that timed out leaves nothing orphaned. */
  objectId?: string;
  /** Failures the wait's requests rode out by retrying, e.g. "GET /v1/bdbs/7 answered 409 busy 6 times". */
  retried?: string;
}

/** A wait reached its deadline. The operation may still complete on the cluster. */
export class RsTimeoutError extends RsError {
  static {
    nameClass(this, "RsTimeoutError");
  }
  readonly code = "RS_TIMEOUT" as const;
  readonly description: string;
  readonly waitedMs: number;
  readonly lastObserved: string | undefined;
  readonly objectId: string | undefined;
  readonly retried: string | undefined;

  constructor(init: RsTimeoutErrorInit) {
    super(
      `timed out after ${formatSeconds(init.waitedMs)} waiting for ${init.description}` +
        (init.lastObserved !== undefined ? ` (last observed: ${init.lastObserved})` : " (nothing observed yet)") +
        (init.retried !== undefined ? `; meanwhile ${init.retried}` : "") +
        (init.objectId !== undefined ? `; object id ${init.objectId}` : "") +
        "; it may still complete on the cluster: look at it again (pulumi refresh) before retrying, or allow more time",
    );
    this.description = init.description;
    this.waitedMs = init.waitedMs;
    this.lastObserved = init.lastObserved;
    this.objectId = init.objectId;
    this.retried = init.retried;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasRsCode(value, "RS_TIMEOUT");
  }
}

// ---------------------------------------------------------------------------------------------------------------

export interface RsOperationErrorInit {
  /** The failed action or state machine (`SMCreateBDB`, `retry_bdb`) or a phrase ("database creation"). */
  operation: string;
  /** The object concerned, as the API names it: a bdb uid. */
  objectId?: string;
  /** Label of the object in the message, e.g. "database 7"; defaults to "object <objectId>". */
  objectLabel?: string;
  actionUid?: string;
  /** The server's `error_code`, when it gave one. */
  errorCode?: string;
  /** The server's text (`error`, `error_message`, ...), when it gave one. */
  serverMessage?: string;
  /** What the operator should do next. */
  advice?: string;
}

/** An asynchronous action or state machine failed, or a database ended in `creation-failed`. */
export class RsOperationError extends RsError {
  static {
    nameClass(this, "RsOperationError");
  }
  readonly code = "RS_OPERATION_FAILED" as const;
  readonly operation: string;
  readonly objectId: string | undefined;
  readonly actionUid: string | undefined;
  readonly errorCode: string | undefined;
  readonly serverMessage: string | undefined;

  constructor(init: RsOperationErrorInit) {
    const label = init.objectLabel ?? (init.objectId !== undefined ? `object ${init.objectId}` : "cluster");
    const details = [init.errorCode, init.serverMessage].filter((part): part is string => !!part).join(": ");
    super(
      `${label}: ${init.operation} failed` +
        (init.actionUid !== undefined ? ` (action ${init.actionUid})` : "") +
        (details ? `: ${details}` : ": the cluster gave no reason") +
        (init.advice ? `. ${init.advice}` : ""),
    );
    this.operation = init.operation;
    this.objectId = init.objectId;
    this.actionUid = init.actionUid;
    this.errorCode = init.errorCode;
    this.serverMessage = init.serverMessage;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasRsCode(value, "RS_OPERATION_FAILED");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Predicates: branch on `code` (works across duplicate copies of this module).

export function isRsError(value: unknown): value is RsError {
  return hasRsCode(value);
}
export function isRsApiError(value: unknown): value is RsApiError {
  return hasRsCode(value, "RS_API_ERROR");
}
export function isRsConnectionError(value: unknown): value is RsConnectionError {
  return hasRsCode(value, "RS_CONNECTION_ERROR");
}
export function isRsTlsError(value: unknown): value is RsTlsError {
  return hasRsCode(value, "RS_TLS_ERROR");
}
export function isRsTimeoutError(value: unknown): value is RsTimeoutError {
  return hasRsCode(value, "RS_TIMEOUT");
}
export function isRsOperationError(value: unknown): value is RsOperationError {
  return hasRsCode(value, "RS_OPERATION_FAILED");
}

/**
 * True when a request that failed may nevertheless have been applied, so the caller must look the object up
 * before sending it again: no answer after the request may have reached the server, a 5xx answer, or the answer
 * to a POST resent after 409 busy (RsApiError.earlierAttemptMayHaveApplied).
 */
export function isOutcomeUnknown(value: unknown): boolean {
  if (isRsConnectionError(value)) return value.mayHaveReachedServer;
  return isRsApiError(value) && (value.status >= 500 || value.earlierAttemptMayHaveApplied);
}

/** True for an RsApiError with this HTTP status (and error_code, when given): `isRsApiStatus(e, 404)`. */
export function isRsApiStatus(value: unknown, status: number, errorCode?: string): value is RsApiError {
  return isRsApiError(value) && value.status === status && (errorCode === undefined || value.errorCode === errorCode);
}

// ---------------------------------------------------------------------------------------------------------------

const REDACTED = "[redacted]";

/**
 * Replaces every occurrence of each secret in `text` with "[redacted]". Used on all server text and transport
 * messages before they go into an error or an event line, so a server that echoes credentials cannot leak them.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join(REDACTED);
  }
  return result;
}
