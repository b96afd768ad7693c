// The waiter: polls asynchronous work to a deadline, in the shape of the AWS CDK provider framework's
// isComplete loop (start the change elsewhere; here, ask "is it done?" with growing intervals until it is, it
// failed, or time is up). The deadline is the provider's own: `customTimeouts` never reaches a dynamic provider.
import { setTimeout as sleep } from "node:timers/promises";
import type { RsClient } from "./client";
import { describeErrorValue, excerpt } from "./body";
import { RsOperationError, RsTimeoutError, formatSeconds, isRsApiError, isRsConnectionError, isRsError } from "./errors";
import { classifyBdbStatus, describeAction, failedActionIn, newestActionIn, parseAction, type ActionState } from "./status";

/** What one probe saw. */
export interface ProbeResult<T> {
  done: boolean;
  /** Returned by pollUntil when done. */
  value?: T;
  /** The state in words ("status active-change-pending"); a change of it is reported through onProgress. */
  observed?: string;
}

/** Time source of the waiter; a test seam. */
export interface WaiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: WaiterClock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await sleep(ms, undefined, { signal });
  },
};

export interface PollOptions {
  /** Give up with RsTimeoutError once this many ms have passed since the first probe. */
  deadlineMs: number;
  /** Wait after the first probe, doubling after each. @default 200 */
  initialIntervalMs?: number;
  /** Longest wait between two probes. @default 400 (DEFAULT_MAX_INTERVAL_MS) */
  maxIntervalMs?: number;
  /** What is awaited, as a phrase: "database 7 to become active". */
  description: string;
  /** Carried by RsTimeoutError so the caller can keep track of what it created. */
  objectId?: string;
  /** Receives a line each time the observed state changes. */
  onProgress?: (line: string) => void;
  /** Stops waiting (with the signal's reason). */
  signal?: AbortSignal;
  clock?: WaiterClock;
  /**
   * Probe errors to ride out: for these, the wait goes on with its usual intervals (the state observed is the
   * error, in words), as the client's retry policy does for a request. If the probe at the deadline still
   * fails, that error is thrown. Every other error ends the wait as it is.
   */
  transientError?: (error: unknown) => string | undefined;
  /** What the probes' requests rode out by retrying, in words, for the error at the deadline (RsTimeoutError.retried). */
  retried?: () => string | undefined;
}

export const DEFAULT_INITIAL_INTERVAL_MS = 200;
/**
 * The cap of the interval between two probes. It bounds how late a wait notices that the cluster has finished
 * (the overshoot): with 5 s, an operation of 10 s or 60 s was noticed up to 1.2 s late (a poll of the doubling
 * schedule lands at 11.2 s, 61.2 s); with 400 ms, never more than 400 ms plus one request, within the 0.5 s goal
 * at every duration (bench/waiter.ts, docs/benchmarks.md "Waiting"). The price: a long wait polls 2.5 times a
 * second instead of every 5 s (about 150 probes for a minute-long operation instead of 16).
 */
export const DEFAULT_MAX_INTERVAL_MS = 400;

/** The wait after probe number `pollNumber` (1-based): initial * 2^(n-1), capped at max. */
export function pollIntervalMs(pollNumber: number, initialIntervalMs: number, maxIntervalMs: number): number {
  return Math.min(maxIntervalMs, initialIntervalMs * 2 ** Math.max(0, pollNumber - 1));
}

function checkPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds; got ${String(value)}`);
  }
}

/**
 * Calls `probe` until it reports done and returns its value. Intervals between the starts of two probes grow from
 * initialIntervalMs to maxIntervalMs (the time a probe takes is part of its interval); the last wait is shortened
 * so one probe happens at the deadline. Errors thrown by the probe end the wait as they are. At the deadline: RsTimeoutError with the last observed state and the object id.
 */
export async function pollUntil<T>(probe: () => Promise<ProbeResult<T>>, options: PollOptions): Promise<T | undefined> {
  const initial = options.initialIntervalMs ?? DEFAULT_INITIAL_INTERVAL_MS;
  const max = options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS;
  checkPositive("deadlineMs", options.deadlineMs);
  checkPositive("initialIntervalMs", initial);
  checkPositive("maxIntervalMs", max);
  if (initial > max) throw new RangeError(`initialIntervalMs (${initial}) must not exceed maxIntervalMs (${max})`);
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  let lastObserved: string | undefined;
  for (let poll = 1; ; poll++) {
    options.signal?.throwIfAborted();
    let result: ProbeResult<T>;
    let failure: { error: unknown } | undefined;
    const probeStarted = clock.now();
    try {
      result = await probe();
    } catch (error) {
      const observed = options.signal?.aborted ? undefined : options.transientError?.(error);
      if (observed === undefined) throw error;
      result = { done: false, observed };
      failure = { error };
    }
    const elapsed = clock.now() - started;
    if (result.observed !== undefined && result.observed !== lastObserved) {
      lastObserved = result.observed;
      options.onProgress?.(`waiting for ${options.description}: ${result.observed} (${formatSeconds(elapsed)})`);
    }
    if (result.done) return result.value;
    const remaining = options.deadlineMs - elapsed;
    if (remaining <= 0) {
      if (failure !== undefined) throw failure.error;
      throw new RsTimeoutError({
        description: options.description,
        waitedMs: elapsed,
        lastObserved,
        objectId: options.objectId,
        retried: options.retried?.(),
      });
    }
    // The interval runs from the start of a probe, not its end: a probe that took 150 ms (two requests on a busy
    // cluster) must not push every later probe, and with it the moment the wait notices the finish, 150 ms back.
    const probeMs = clock.now() - probeStarted;
    await clock.sleep(Math.max(0, Math.min(pollIntervalMs(poll, initial, max) - probeMs, remaining)), options.signal);
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** The fields of a bdb the waiter reads; the rest is passed through. */
export interface BdbObject {
  uid?: number;
  name?: string;
  status?: string;
  [field: string]: unknown;
}

export interface WaitForDatabaseOptions {
  /** "active": the change is done; "gone": the database was deleted (GET answers 404). */
  until: "active" | "gone";
  /** The action_uid the create/update/delete answered with, if any; polled along with the database. */
  actionUid?: string;
  deadlineMs: number;
  onProgress?: (line: string) => void;
  /** @default 200 */
  initialIntervalMs?: number;
  /** @default 400 (DEFAULT_MAX_INTERVAL_MS) */
  maxIntervalMs?: number;
  signal?: AbortSignal;
  clock?: WaiterClock;
}

/**
 * A poll's error worth riding out, in words: a 5xx answer (the client tries a GET answered 500 only twice more,
 * but a poll can simply be repeated), or no answer once the client's own retries ran out. Undefined for
 * anything else (401, 404 of another path, TLS), which ends the wait.
 */
export function transientPollError(error: unknown): string | undefined {
  if (isRsApiError(error) && error.status >= 500) {
    return `${error.method} ${error.path} answered ${error.status}${error.errorCode ? ` ${error.errorCode}` : ""}, polling on`;
  }
  if (isRsConnectionError(error)) return `${error.method} ${error.path}: no answer (${error.causeCode}), polling on`;
  return undefined;
}

/** The part of RsClient the waiter uses (so a test can hand in a stub). */
export type RestRequester = Pick<RsClient, "request">;

/**
 * Polls GET /v1/bdbs/{uid} (and GET /v1/actions/{actionUid} when given) until the database is `active` and the
 * action has finished, or until the database is gone (404). Returns the final bdb object (undefined when gone).
 * An action that ends failed / aborted / cancelled, or a database in `creation-failed`, throws RsOperationError
 * with the server's text; the deadline throws RsTimeoutError carrying the uid. A 404 of the action is normal:
 * the server forgets finished actions.
 */
export async function waitForDatabase<B extends BdbObject = BdbObject>(
  client: RestRequester,
  uid: number,
  options: WaitForDatabaseOptions,
): Promise<B | undefined> {
  const label = `database ${uid}`;
  const objectId = String(uid);
  const { actionUid, until, signal } = options;
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  // The client's own retries (409, 503, resets) must not carry a probe past the waiter's deadline. What they rode
  // out is counted: a wait that spent its time on 409 busy says so at its deadline, not only the state it saw last.
  const retried = new Map<string, number>();
  const requestOptions = (path: string) => ({
    acceptStatuses: [404],
    signal,
    retry: { deadlineMs: Math.max(0, options.deadlineMs - (clock.now() - started)) },
    onRetry: (failure: string) => {
      const key = `GET ${path} answered ${failure}`;
      retried.set(key, (retried.get(key) ?? 0) + 1);
    },
  });
  const retriedSummary = (): string | undefined =>
    retried.size === 0 ? undefined : [...retried].map(([what, times]) => `${what} ${times === 1 ? "once" : `${times} times`}`).join(", ");
  let actionDone = actionUid === undefined;
  // Deleting: the delete's action (a DELETE answers with no body; the bdb names it while delete-pending), and
  // whether the delete was seen under way, so a database back to `active` means it failed.
  let deleteActionUid = actionUid;
  let deleteSeen = false;
  // When the database was first seen active with no sign of the delete: a delete that failed before the first
  // poll looks exactly like one not started yet, so after a grace the database's newest state machine decides.
  let activeWithoutDeleteSince: number | undefined;

  const operationFailed = (action: ActionState, advice: string): RsOperationError =>
    new RsOperationError({
      operation: action.name ?? "action",
      objectId,
      objectLabel: label,
      actionUid: action.actionUid ?? actionUid,
      errorCode: action.errorCode,
      serverMessage: action.errorMessage ?? (action.status !== "failed" ? `the action was ${action.status}` : undefined),
      advice,
    });
  const failureAdvice =
    until === "active"
      ? "The change was not applied completely: look at the database (pulumi refresh), fix the cause, then apply again"
      : "The database may still exist: look at it (pulumi refresh), fix the cause, then delete it again";

  const probe = async (): Promise<ProbeResult<B>> => {
    const seen: string[] = [];
    const bdbPath = `/v1/bdbs/${uid}`;
    const answer = await client.request<B>("GET", bdbPath, requestOptions(bdbPath));
    if (answer.status === 404 && until === "gone") return { done: true, observed: "gone" };
    // The action is read after the database, so its state is never older than the database's: a database read
    // that the client retried for seconds (409 busy) must not be judged with an action state from before it.
    if (!actionDone && actionUid !== undefined) {
      const actionPath = `/v1/actions/${encodeURIComponent(actionUid)}`;
      const action = await client.request<unknown>("GET", actionPath, requestOptions(actionPath));
      if (action.status === 404) {
        actionDone = true;
      } else {
        const state = parseAction(action.body);
        if (state.phase === "failed") throw operationFailed(state, failureAdvice);
        if (state.phase === "completed") actionDone = true;
        seen.push(describeAction(state));
      }
    }
    if (answer.status === 404) {
      // The answer's own code and words (db_not_exist from a cluster, whatever a proxy in between said), so the
      // message shows what answered 404, not only that something did.
      const { errorCode, description } = describeErrorValue(answer.body, 404);
      throw new RsOperationError({
        operation: "waiting for the database to become active",
        objectId,
        objectLabel: label,
        actionUid,
        errorCode,
        serverMessage: `the database no longer exists (GET /v1/bdbs/${uid} answered 404: ${excerpt(description)})`,
        advice: "Something deleted it meanwhile: run pulumi refresh, then apply again to create it",
      });
    }
    const status = typeof answer.body?.status === "string" ? answer.body.status : "unknown";
    const phase = classifyBdbStatus(status);
    if (until === "gone") {
      if (phase !== "ready") {
        deleteSeen = true;
        if (typeof answer.body?.action_uid === "string") deleteActionUid = answer.body.action_uid;
      } else {
        // Active before the delete was seen under way may only mean it has not started: that needs the action.
        let failed: ActionState | undefined;
        if (deleteSeen || deleteActionUid !== undefined) {
          failed = await deleteFailure(client, uid, deleteActionUid, deleteSeen ? "any" : "none", signal);
        } else {
          activeWithoutDeleteSince ??= clock.now();
          if (clock.now() - activeWithoutDeleteSince >= DELETE_START_GRACE_MS) failed = await deleteFailure(client, uid, undefined, "newest", signal);
        }
        if (failed !== undefined || deleteSeen) {
          throw new RsOperationError({
            operation: failed?.name ?? "database deletion",
            objectId,
            objectLabel: label,
            actionUid: failed?.actionUid ?? deleteActionUid,
            errorCode: failed?.errorCode,
            serverMessage: failed?.errorMessage ?? "the database is active again: the cluster did not delete it",
            advice: "The database still exists and is active: fix the cause, then delete it again (pulumi destroy, or pulumi up)",
          });
        }
      }
    }
    if (phase === "failed" && until === "active") {
      const reason = await creationFailureReason(client, uid, signal);
      throw new RsOperationError({
        operation: reason?.name ?? "database creation",
        objectId,
        objectLabel: label,
        actionUid: reason?.actionUid ?? actionUid,
        errorCode: reason?.errorCode,
        serverMessage: reason?.errorMessage ?? "the database is in status creation-failed",
        advice:
          `The database exists in status creation-failed: delete it (pulumi destroy, or DELETE /v1/bdbs/${uid}) ` +
          "before creating it again",
      });
    }
    return {
      done: until === "active" && phase === "ready" && actionDone,
      value: answer.body,
      observed: [`status ${status}`, ...seen].join(", "),
    };
  };

  return pollUntil(probe, {
    deadlineMs: options.deadlineMs,
    initialIntervalMs: options.initialIntervalMs,
    maxIntervalMs: options.maxIntervalMs,
    description: until === "active" ? `${label} to become active` : `${label} to be deleted`,
    objectId,
    onProgress: options.onProgress,
    signal,
    clock,
    transientError: transientPollError,
    retried: retriedSummary,
  });
}

/**
 * How long a database may stay active, never seen deleting, after the cluster accepted its DELETE, before the
 * waiter looks for a delete that failed at once. A real cluster shows delete-pending within a poll or two.
 */
export const DELETE_START_GRACE_MS = 2_000;

/**
 * The failed delete of a database that is active while a delete was awaited; best effort, like
 * creationFailureReason: undefined when nothing says the delete failed. Its action when the waiter knows its uid
 * (GET /v1/actions/{uid}); else the database's state machines (GET /v1/actions/bdb/{uid}), as `machines` says:
 * "any" failed delete once the delete was seen under way; only the "newest" state machine for a delete never seen
 * under way (after the grace, a failed delete that is still the newest is this one; an older one followed by other
 * work is not); "none" when neither holds (an older failed delete would mislead).
 */
async function deleteFailure(
  client: RestRequester,
  uid: number,
  actionUid: string | undefined,
  machines: "any" | "newest" | "none",
  signal: AbortSignal | undefined,
): Promise<ActionState | undefined> {
  try {
    if (actionUid !== undefined) {
      const answer = await client.request<unknown>("GET", `/v1/actions/${encodeURIComponent(actionUid)}`, {
        acceptStatuses: [404],
        retry: false,
        signal,
      });
      if (answer.status !== 404) {
        const action = parseAction(answer.body);
        return action.phase === "failed" ? action : undefined;
      }
    }
    if (machines === "none") return undefined;
    const answer = await client.request<unknown>("GET", `/v1/actions/bdb/${uid}`, { acceptStatuses: [404], retry: false, signal });
    if (answer.status === 404) return undefined;
    const found = machines === "newest" ? newestActionIn(answer.body) : failedActionIn(answer.body);
    return found?.phase === "failed" && /delete/i.test(found.name ?? "") ? found : undefined;
  } catch (error) {
    if (isRsError(error)) return undefined;
    throw error;
  }
}

/**
 * Why a database is in creation-failed, from its state machines (GET /v1/actions/bdb/{uid}, RS 7.4.2+).
 * Best effort: an older server (404) or any error here must not hide the failure being reported.
 */
async function creationFailureReason(
  client: RestRequester,
  uid: number,
  signal: AbortSignal | undefined,
): Promise<ActionState | undefined> {
  try {
    const answer = await client.request<unknown>("GET", `/v1/actions/bdb/${uid}`, {
      acceptStatuses: [404],
      retry: false,
      signal,
    });
    return answer.status === 404 ? undefined : failedActionIn(answer.body);
  } catch (error) {
    if (isRsError(error)) return undefined;
    throw error;
  }
}
