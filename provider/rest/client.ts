// RsClient: the one way this package talks to a cluster's REST API.
//
// undici with a shared keep-alive Agent per (origin, trust settings) (agents.ts), Basic auth, JSON in and out,
// verified TLS by default (tls.ts), typed errors that never carry credentials (errors.ts), and retries only where
// they are safe (retry.ts states the policy).
import { inspect } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import type { Dispatcher } from "undici";
import { leaseAgent, type AgentLease } from "./agents";
import { noteWriteFinished, shareKey, sharedExchange, type ExchangeOutcome } from "./inflight";
import { describeErrorBody, excerpt, parseBody } from "./body";
import { CONNECTION_FIELDS, connectionFieldProblems } from "./connection-fields";
import {
  RsApiError,
  RsConnectionError,
  RsTlsError,
  formatSeconds,
  readablePath,
  redactSecrets,
  type RsError,
} from "./errors";
import {
  ATTEMPT_TIMEOUT_CODE,
  classifyTransportCode,
  describeFailure,
  isIdempotentMethod,
  isRetryableFailure,
  parseRetryAfterMs,
  planRetry,
  resolveRetryPolicy,
  transportErrorCode,
  type AttemptFailure,
  type RetryPolicy,
} from "./retry";
import {
  PinMismatchError,
  isCertificateVerificationCode,
  normalizeFingerprint,
  specificTlsAdvice,
  type TrustSettings,
} from "./tls";

/** How to reach and trust a cluster's REST API; the same shape the Cluster resource outputs. */
export interface Connection {
  /** The REST API of any node of the cluster, e.g. https://node1.example.com:9443. */
  url: string;
  username: string;
  /** Secret. Never logged, never put into an error. */
  password: string;
  /** Verify the API certificate against this CA (PEM, may hold several certificates), host name included. */
  caCertPem?: string;
  /** Or pin: hex SHA-256 of a certificate in the presented chain (colons and case ignored). */
  caFingerprintSha256?: string;
  /** Explicit opt-out of verification; a warning goes to stderr every time a client is made. */
  insecureSkipVerify?: boolean;
}

export interface ClientOptions {
  /** Overrides of DEFAULT_RETRY_POLICY for every call of this client. */
  retry?: Partial<RetryPolicy>;
  /** Time limit of one attempt, headers and body, in ms. Certificate calls pass 900 000 per call. @default 60000 */
  requestTimeoutMs?: number;
  /** Receives human lines about retries and warnings; never secrets. */
  onEvent?: (line: string) => void;
  /**
   * Receives the warnings (plain HTTP, verification off) INSTEAD of stderr and onEvent. A caller whose onEvent
   * prints to stderr passes its printer here too, so each warning is printed once, not twice.
   */
  onWarning?: (line: string) => void;
  /**
   * Epoch milliseconds: every request of this client ends its retries here, and no attempt is allowed to run
   * much past it. An operation's deadline: a client made for one operation passes it, so a lookup, an update and
   * the polls of a wait all stop at the same moment. Per call: RequestOptions.deadlineAt (the earlier wins).
   */
  deadlineAt?: number;
  /**
   * How long a connection that has been refused from the start (ECONNREFUSED, and this client never got an
   * answer) is retried before the client gives up and says what to check: a wrong port or a stopped cluster
   * should not take the whole retry deadline to report. @default 5000
   */
  refusedBudgetMs?: number;
  /** Test seam: send through this dispatcher instead of the shared Agent (it is not closed by close()). */
  dispatcher?: Dispatcher;
}

export interface RequestOptions {
  /** Query parameters, e.g. { fields: "uid,status" }. */
  query?: Record<string, string | number | boolean>;
  /** Time limit of one attempt for this call, in ms. @default ClientOptions.requestTimeoutMs */
  timeoutMs?: number;
  /** Overrides of the client's retry policy for this call, or false to send it exactly once. */
  retry?: Partial<RetryPolicy> | false;
  /** The endpoint answers 2xx with nothing worth reading: any body, even non-JSON, is ignored. */
  expectEmpty?: boolean;
  /** Whether the call may be sent twice; overrides the method's default (GET/PUT/DELETE yes, POST no). */
  idempotent?: boolean;
  /** Extra request headers, e.g. `cluster-state-id`. */
  headers?: Record<string, string>;
  /** Aborts the call (and its retries) with the signal's reason. */
  signal?: AbortSignal;
  /** Epoch milliseconds at which this call's retries end (an operation's deadline); see ClientOptions.deadlineAt. */
  deadlineAt?: number;
  /**
   * Told each failure this call rides out by retrying, in words ("409 busy", "ECONNRESET"): a caller that gives
   * up later (a wait at its deadline) can say what took the time, which the successful answer no longer shows.
   */
  onRetry?: (failure: string) => void;
}

export interface RawRequestOptions extends RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Non-2xx statuses returned instead of thrown (e.g. [404] for a lookup); their body is parsed the same way. */
  acceptStatuses?: readonly number[];
}

export interface RsResponse<T> {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON; undefined when the answer had no body (or expectEmpty was set). */
  body: T | undefined;
}

export type HttpMethod = "GET" | "PUT" | "POST" | "DELETE";

/** Default time limit of one attempt. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** Default of ClientOptions.refusedBudgetMs. */
export const DEFAULT_REFUSED_BUDGET_MS = 5_000;

/**
 * The shortest attempt the client sends when a deadline is near or past: a call made at the deadline still gets
 * one real try, whose failure then says what did not answer.
 */
const MIN_ATTEMPT_MS = 1_000;

/** Consecutive retry lines printed for the same failure before the rest are only counted. */
const RETRY_LINES_BEFORE_COUNTING = 2;

/**
 * Retry lines of one request, with repeats collapsed: the first RETRY_LINES_BEFORE_COUNTING retries after the
 * same failure get a line each, the rest are counted and reported in one line when the failure changes or the
 * request ends (a wrong port used to print about fifty identical lines).
 */
class RetryLog {
  #what: string | undefined;
  #run = 0;
  #counted = 0;
  #firstCounted = 0;
  #lastCounted = 0;

  constructor(
    private readonly call: string,
    private readonly emit: (line: string) => void,
  ) {}

  retry(what: string, nextAttempt: number, delayMs: number): void {
    if (what !== this.#what) {
      this.flush();
      this.#what = what;
      this.#run = 0;
    }
    this.#run += 1;
    if (this.#run <= RETRY_LINES_BEFORE_COUNTING) {
      this.emit(`retrying ${this.call} after ${what} (attempt ${nextAttempt}, next in ${formatSeconds(delayMs)})`);
      return;
    }
    if (this.#counted === 0) this.#firstCounted = nextAttempt;
    this.#counted += 1;
    this.#lastCounted = nextAttempt;
  }

  /** The line for the counted retries, if any. */
  flush(): void {
    if (this.#counted === 0) return;
    const times = this.#counted === 1 ? "1 more time" : `${this.#counted} more times`;
    const attempts = this.#counted === 1 ? `attempt ${this.#firstCounted}` : `attempts ${this.#firstCounted} to ${this.#lastCounted}`;
    this.emit(`retried ${this.call} ${times} after ${this.#what ?? "a failure"} (${attempts})`);
    this.#counted = 0;
  }
}

type AttemptResult<T> =
  | { ok: true; response: RsResponse<T> }
  | { ok: false; failure: AttemptFailure; error: RsError; retryAfterMs: number | undefined };

/**
 * Checks a connection and returns its parsed URL and trust settings; a TypeError naming the first bad field
 * otherwise. The rules are connection-fields.ts's, the same check reports at preview.
 */
function validateConnection(connection: Connection): { url: URL; trust: TrustSettings } {
  // Fields outside the Connection type are check's business (it reports them); the client ignores them.
  const problem = connectionFieldProblems(connection as unknown as Record<string, unknown>).find((p) => (CONNECTION_FIELDS as readonly string[]).includes(p.field));
  if (problem) throw new TypeError(problem.reason);
  const url = new URL(connection.url);
  const pinSha256 = connection.caFingerprintSha256 === undefined ? undefined : normalizeFingerprint(connection.caFingerprintSha256);
  return {
    url,
    trust: {
      caCertPem: connection.caCertPem,
      pinSha256,
      insecureSkipVerify: connection.insecureSkipVerify === true,
    },
  };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/**
 * RS 6.2.4 answers API calls made to a node other than the master with a redirect to an internal address
 * (RS40641). Following it blindly would send the credentials to an address nobody configured, so say what to do.
 */
function redirectDescription(location: string | undefined): string {
  return (
    `the API redirected to ${location ?? "(no Location header)"}: put the master node's address in connection.url, ` +
    "or turn on the cluster setting handle_redirects so any node answers"
  );
}

/** A deadline given in epoch milliseconds, checked. */
function checkDeadline(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a time in epoch milliseconds; got ${String(value)}`);
  }
  return value;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A client of one cluster's REST API. Create one per connection; close() when done. */
export class RsClient {
  /** The API base URL (no credentials). */
  readonly url: string;
  /** Scheme, host and port. */
  readonly origin: string;

  readonly #basePath: string;
  readonly #authorization: string;
  /** Every form of the credentials that could show up in text: redacted from all errors and events. */
  readonly #secrets: readonly string[];
  readonly #dispatcher: Dispatcher;
  readonly #lease: AgentLease | undefined;
  readonly #retry: RetryPolicy;
  readonly #requestTimeoutMs: number;
  readonly #onEvent: ((line: string) => void) | undefined;
  readonly #onWarning: ((line: string) => void) | undefined;
  readonly #deadlineAt: number | undefined;
  readonly #refusedBudgetMs: number;
  /** Whether any request of this client got an answer (any status): a refusal after that is not "from the start". */
  #answered = false;
  #closed = false;

  constructor(connection: Connection, options: ClientOptions = {}) {
    const { url, trust } = validateConnection(connection);
    this.origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.url = `${this.origin}${this.#basePath}`;
    const token = Buffer.from(`${connection.username}:${connection.password}`, "utf8").toString("base64");
    this.#authorization = `Basic ${token}`;
    this.#secrets = [connection.password, token];
    this.#retry = resolveRetryPolicy(options.retry);
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!Number.isFinite(this.#requestTimeoutMs) || this.#requestTimeoutMs <= 0) {
      throw new RangeError(`requestTimeoutMs must be a positive number of milliseconds; got ${this.#requestTimeoutMs}`);
    }
    this.#onEvent = options.onEvent;
    this.#onWarning = options.onWarning;
    this.#deadlineAt = checkDeadline("deadlineAt", options.deadlineAt);
    this.#refusedBudgetMs = options.refusedBudgetMs ?? DEFAULT_REFUSED_BUDGET_MS;
    if (!Number.isFinite(this.#refusedBudgetMs) || this.#refusedBudgetMs < 0) {
      throw new RangeError(`refusedBudgetMs must be a number of milliseconds >= 0; got ${this.#refusedBudgetMs}`);
    }

    if (url.protocol === "http:") {
      this.#warn(
        `WARNING: ${this.origin} is plain HTTP: the password and every answer travel unencrypted; ` +
          "use the https:// API port (9443 by default)",
      );
    } else if (trust.insecureSkipVerify) {
      this.#warn(`WARNING: TLS certificate verification is disabled for ${this.origin} (connection.insecureSkipVerify)`);
      if (trust.caCertPem !== undefined || trust.pinSha256 !== undefined) {
        this.#warn(
          `WARNING: connection.caCertPem and connection.caFingerprintSha256 are ignored for ${this.origin} ` +
            "because connection.insecureSkipVerify is true",
        );
      }
    }

    if (options.dispatcher !== undefined) {
      this.#dispatcher = options.dispatcher;
    } else {
      this.#lease = leaseAgent(this.origin, trust);
      this.#dispatcher = this.#lease.dispatcher;
    }
  }

  /**
   * Where GETs of `path` by this client may be shared with other clients' (coalesce.ts): the dispatcher (origin
   * and trust) and a key of the URL and a SHA-256 of the credentials, never the credentials themselves.
   */
  shareScope(path: string): { dispatcher: Dispatcher; key: string } {
    return { dispatcher: this.#dispatcher, key: shareKey(`${this.origin}${this.#basePath}${path}`, this.#authorization, {}) };
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.#bodyOf<T>("GET", path, options, undefined);
  }

  put<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.#bodyOf<T>("PUT", path, options, body);
  }

  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.#bodyOf<T>("POST", path, options, body);
  }

  delete<T = void>(path: string, options?: RequestOptions): Promise<T> {
    return this.#bodyOf<T>("DELETE", path, options, undefined);
  }

  /**
   * Sends one call, with retries per the policy, and returns status, headers and parsed body. Throws RsApiError
   * for a status that is neither 2xx nor in `acceptStatuses`, RsConnectionError / RsTlsError when no answer came.
   */
  async request<T>(method: HttpMethod, path: string, options: RawRequestOptions = {}): Promise<RsResponse<T>> {
    if (this.#closed) throw new Error(`RsClient for ${this.url} is closed; create a new RsClient`);
    if (!path.startsWith("/")) throw new TypeError(`request path must start with "/"; got "${path}"`);
    const target = this.#target(path, options.query);
    let policy = options.retry === false ? undefined : resolveRetryPolicy(this.#retry, options.retry);
    const idempotent = options.idempotent ?? isIdempotentMethod(method);
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be a positive number of milliseconds; got ${timeoutMs}`);
    }
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const started = Date.now();
    const deadlineAt = earliest(this.#deadlineAt, checkDeadline("deadlineAt", options.deadlineAt));
    // The operation's deadline shortens the policy's own when it comes first.
    const boundByOperation = policy !== undefined && deadlineAt !== undefined && deadlineAt - started < policy.deadlineMs;
    if (policy !== undefined && boundByOperation) policy = { ...policy, deadlineMs: Math.max(0, deadlineAt! - started) };
    // Lines name the call as errors do: its path decoded for a person (`fields=uid,name`).
    const call = `${method} ${readablePath(target)}`;
    const log = new RetryLog(call, (line) => this.#event(line));
    // A POST resent after 409 busy: that earlier attempt may have been applied (see RsApiError).
    let resentAfterBusy = false;
    let refusedFromStart = !this.#answered;
    let answered500 = 0;
    for (let attempt = 1; ; attempt++) {
      const attemptMs = deadlineAt === undefined ? timeoutMs : Math.min(timeoutMs, Math.max(MIN_ATTEMPT_MS, deadlineAt - Date.now()));
      const result = await this.#attempt<T>(method, target, payload, attemptMs, options, attempt);
      if (result.ok) {
        log.flush();
        return result.response;
      }
      if (resentAfterBusy && result.error instanceof RsApiError) result.error = this.#possiblyApplied(result.error);
      refusedFromStart &&= !this.#answered && result.failure.kind === "transport" && result.failure.causeCode === "ECONNREFUSED";
      if (result.failure.kind === "status" && result.failure.status === 500) answered500 += 1;
      if (policy === undefined || !isRetryableFailure(result.failure, idempotent, method === "GET", answered500)) {
        log.flush();
        throw result.error;
      }
      const elapsedMs = Date.now() - started;
      let plan = planRetry({ retryNumber: attempt, policy, elapsedMs, retryAfterMs: result.retryAfterMs, random: Math.random });
      if (!plan.retry && boundByOperation && elapsedMs >= policy.deadlineMs) {
        plan = { retry: false, reason: `the operation's deadline was reached` };
      }
      if (plan.retry && refusedFromStart && elapsedMs >= this.#refusedBudgetMs) {
        plan = { retry: false, reason: `connection refused for ${formatSeconds(elapsedMs)} from the start` };
        result.error = this.#refusedAdvice(result.error, elapsedMs);
      }
      if (!plan.retry) {
        log.flush();
        const attempts = attempt === 1 ? "1 attempt" : `${attempt} attempts`;
        this.#event(`giving up on ${call} after ${attempts} in ${formatSeconds(elapsedMs)}: ${plan.reason}`);
        throw result.error;
      }
      if (method === "POST" && result.failure.kind === "status") resentAfterBusy = true;
      const failure = this.#redact(describeFailure(result.failure));
      options.onRetry?.(failure);
      log.retry(failure, attempt + 1, plan.delayMs);
      try {
        await sleep(plan.delayMs, undefined, { signal: options.signal });
      } catch (error) {
        throw options.signal?.aborted ? options.signal.reason : error;
      }
    }
  }

  /** Releases this client's hold on the shared connection pool (closing it when it was the last). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#lease?.release();
  }

  [inspect.custom](): string {
    return `RsClient { url: '${this.url}' }`;
  }

  async #bodyOf<T>(method: HttpMethod, path: string, options: RequestOptions | undefined, body: unknown): Promise<T> {
    const response = await this.request<T>(method, path, { ...options, body });
    return response.body as T;
  }

  /** Path and query as sent (relative to the base URL); also how errors and events name the call. */
  #target(path: string, query: RequestOptions["query"]): string {
    if (query === undefined) return path;
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) params.append(name, String(value));
    const text = params.toString();
    return text === "" ? path : `${path}${path.includes("?") ? "&" : "?"}${text}`;
  }

  async #attempt<T>(
    method: HttpMethod,
    target: string,
    payload: string | undefined,
    timeoutMs: number,
    options: RawRequestOptions,
    attempt: number,
  ): Promise<AttemptResult<T>> {
    const headers: Record<string, string> = { ...options.headers, accept: "application/json" };
    // RS requires Content-Type on every PUT and POST, with or without a body.
    if (payload !== undefined || method === "PUT" || method === "POST") headers["content-type"] = "application/json";
    headers.authorization = this.#authorization;
    const send = () => this.#exchange(method, target, payload, headers, timeoutMs, options.signal);
    let outcome: ExchangeOutcome;
    if (method === "GET" && options.signal === undefined) {
      // Concurrent identical GETs share one request (inflight.ts). A call with its own signal may be abandoned
      // by its caller alone, so it is sent by itself.
      outcome = await sharedExchange(this.#dispatcher, shareKey(`${this.origin}${this.#basePath}${target}`, this.#authorization, headers), timeoutMs, send);
    } else {
      try {
        outcome = await send();
      } finally {
        if (method !== "GET") noteWriteFinished();
      }
    }
    if (!outcome.ok) {
      if (outcome.answered) this.#answered = true;
      return this.#transportFailure(
        method,
        target,
        outcome.timedOut ? ATTEMPT_TIMEOUT_CODE : transportErrorCode(outcome.error),
        outcome.timedOut ? `no complete answer within ${formatSeconds(timeoutMs)}` : messageOf(outcome.error),
        outcome.error,
        attempt,
      );
    }
    this.#answered = true;
    const { status, text } = outcome;
    const responseHeaders = { ...outcome.headers };

    const accepted = (status >= 200 && status < 300) || (options.acceptStatuses ?? []).includes(status);
    // Parsed per caller, even from a shared answer: each caller gets its own objects.
    const parsed = parseBody(text);
    if (accepted) {
      if (options.expectEmpty || parsed.kind === "empty") {
        return { ok: true, response: { status, headers: responseHeaders, body: undefined } };
      }
      if (parsed.kind === "json") {
        return { ok: true, response: { status, headers: responseHeaders, body: parsed.value as T } };
      }
      if (status < 200 || status >= 300) {
        // An accepted error status with a non-JSON body: the status is what the caller asked for.
        return { ok: true, response: { status, headers: responseHeaders, body: undefined } };
      }
      const error = new RsApiError({
        method,
        path: target,
        status,
        description: this.#redact(`the answer is not JSON: ${excerpt(text)}`),
        origin: this.origin,
        attempts: attempt,
      });
      return { ok: false, failure: { kind: "status", status, errorCode: undefined }, error, retryAfterMs: undefined };
    }
    const { errorCode, description } =
      status >= 300 && status < 400
        ? { errorCode: undefined, description: redirectDescription(responseHeaders.location) }
        : describeErrorBody(parsed, text, status);
    const error = new RsApiError({
      method,
      path: target,
      status,
      errorCode: errorCode === undefined ? undefined : this.#redact(errorCode),
      description: this.#redact(description),
      origin: this.origin,
      attempts: attempt,
    });
    return {
      ok: false,
      failure: { kind: "status", status, errorCode },
      error,
      retryAfterMs: parseRetryAfterMs(responseHeaders["retry-after"], Date.now()),
    };
  }

  /** One HTTP exchange: the answer's status, headers and text, or the failure (an abort by `signal` is thrown). */
  async #exchange(
    method: HttpMethod,
    target: string,
    payload: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<ExchangeOutcome> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout.signal]) : timeout.signal;
    let answered = false;
    try {
      const response = await this.#dispatcher.request({
        origin: this.origin,
        path: `${this.#basePath}${target}`,
        method,
        headers,
        body: payload,
        signal,
        // Our own timer covers headers and body together; these only keep undici's 300 s defaults out of the way.
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      answered = true;
      const responseHeaders = flattenHeaders(response.headers);
      const text = await response.body.text();
      return { ok: true, status: response.statusCode, headers: responseHeaders, text };
    } catch (error) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      return { ok: false, error, timedOut: timeout.signal.aborted, answered };
    } finally {
      clearTimeout(timer);
    }
  }

  #transportFailure<T>(
    method: HttpMethod,
    target: string,
    causeCode: string,
    causeMessage: string,
    error: unknown,
    attempt: number,
  ): AttemptResult<T> {
    if (isCertificateVerificationCode(causeCode)) {
      const tlsError = new RsTlsError({
        method,
        path: target,
        origin: this.origin,
        causeCode,
        // The pin check's reason is this package's own text (fingerprints, subjects); Node's is redacted.
        reason: error instanceof PinMismatchError ? causeMessage : this.#redact(causeMessage),
        advice: specificTlsAdvice(causeCode, this.origin),
        presentedFingerprintsSha256: error instanceof PinMismatchError ? error.presentedFingerprintsSha256 : undefined,
      });
      return { ok: false, failure: { kind: "tls", causeCode }, error: tlsError, retryAfterMs: undefined };
    }
    const { mayHaveReachedServer, transient } = classifyTransportCode(causeCode);
    const connectionError = new RsConnectionError({
      method,
      path: target,
      origin: this.origin,
      causeCode,
      causeMessage: this.#redact(causeMessage),
      mayHaveReachedServer,
      attempts: attempt,
    });
    return {
      ok: false,
      failure: { kind: "transport", causeCode, mayHaveReachedServer, transient },
      error: connectionError,
      retryAfterMs: undefined,
    };
  }

  /** The same answer, marked as one that may be about an earlier attempt the cluster applied. */
  #possiblyApplied(error: RsApiError): RsApiError {
    return new RsApiError({
      method: error.method,
      path: error.path,
      status: error.status,
      errorCode: error.errorCode,
      description: error.description,
      origin: error.origin,
      attempts: error.attempts,
      earlierAttemptMayHaveApplied: true,
    });
  }

  /** A connection refused from the start, with what to check: a wrong address or port, or a stopped cluster. */
  #refusedAdvice(error: RsError, elapsedMs: number): RsError {
    if (!(error instanceof RsConnectionError)) return error;
    const url = new URL(this.origin);
    const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
    return new RsConnectionError({
      method: error.method,
      path: error.path,
      origin: error.origin,
      causeCode: error.causeCode,
      causeMessage: error.causeMessage,
      mayHaveReachedServer: error.mayHaveReachedServer,
      attempts: error.attempts,
      advice:
        `nothing accepted a connection on ${url.hostname} port ${port} for ${formatSeconds(elapsedMs)} (connection refused). ` +
        "Check the host and port in connection.url (or the stack config redisenterprise:url): the REST API " +
        "listens on 9443 (HTTPS) by default; and check that the cluster is running",
    });
  }

  /** For text that came from outside (server answers, transport messages); this package's own text has no secrets. */
  #redact(text: string): string {
    return redactSecrets(text, this.#secrets);
  }

  #event(line: string): void {
    this.#onEvent?.(line);
  }

  #warn(line: string): void {
    if (this.#onWarning !== undefined) {
      this.#onWarning(line);
      return;
    }
    process.stderr.write(`${line}\n`);
    this.#event(line);
  }
}
