// Reading the state of asynchronous work, as pure functions: database status, v1 tasks, v1 state machines and
// v2 actions (reference rs-rest-api.md sections 2.4 and 6). The server mixes types (progress "100" or 50.0),
// so everything here accepts what real clusters send and never throws on an unexpected shape.

/** What a database status means to someone waiting on it. */
export type BdbPhase = "ready" | "in-progress" | "failed";

/**
 * `active` is ready; `creation-failed` is final. `pending`, `active-change-pending`, `delete-pending`,
 * `import-pending` and `recovery` are in progress, and so is any status this code does not know yet: waiting to
 * the deadline is safer than failing a change that a newer server reports in its own words.
 */
export function classifyBdbStatus(status: unknown): BdbPhase {
  if (status === "active") return "ready";
  if (status === "creation-failed") return "failed";
  return "in-progress";
}

export type ActionPhase = "in-progress" | "completed" | "failed";

/** One action (task, state machine or v2 action) reduced to what a waiter needs. */
export interface ActionState {
  actionUid: string | undefined;
  /** `SMCreateBDB`, `retry_bdb`, ... */
  name: string | undefined;
  /** As the server said it, or "unknown". */
  status: string;
  phase: ActionPhase;
  /** 0-100, whether the server sent a number or a string. */
  progressPercent: number | undefined;
  /** A state machine's current step (`state`), e.g. `proxy_policy`. */
  step: string | undefined;
  errorCode: string | undefined;
  /** `error_message` (task), `error` (state machine) or `additional_info.error` (v2). */
  errorMessage: string | undefined;
  /** A state machine's last `heartbeat` (epoch seconds), which orders a database's state machines in time. */
  heartbeatSeconds: number | undefined;
}

/** Terminal statuses that mean the work did not happen: tasks can also be aborted or cancelled. */
const FAILED_ACTION_STATUSES: ReadonlySet<string> = new Set(["failed", "aborted", "cancelled"]);

/** Progress as a number: 50, 50.0, "100", "50.0" and "50%" are all understood; anything else is undefined. */
export function parseProgress(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(value);
  return match ? Number(match[1]) : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Parses a GET /v1/actions/{uid} (or /v2/actions/{uid}, or one element of /v1/actions/bdb/{uid}) answer. */
export function parseAction(body: unknown): ActionState {
  const fields = record(body);
  const additional = record(fields.additional_info);
  const status = text(fields.status) ?? "unknown";
  const phase: ActionPhase =
    status === "completed" ? "completed" : FAILED_ACTION_STATUSES.has(status) ? "failed" : "in-progress";
  return {
    actionUid: text(fields.action_uid) ?? text(fields.task_id),
    name: text(fields.name),
    status,
    phase,
    progressPercent: parseProgress(fields.progress),
    step: text(fields.state),
    errorCode: text(fields.error_code),
    errorMessage: text(fields.error_message) ?? text(fields.error) ?? text(additional.error),
    heartbeatSeconds: typeof fields.heartbeat === "number" && Number.isFinite(fields.heartbeat) ? fields.heartbeat : undefined,
  };
}

/** One line for progress output: "SMUpdateBDB running (proxy_policy, 50%)". */
export function describeAction(action: ActionState): string {
  const details: string[] = [];
  if (action.step !== undefined) details.push(action.step);
  if (action.progressPercent !== undefined) details.push(`${Math.round(action.progressPercent)}%`);
  return `${action.name ?? "action"} ${action.status}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
}

/**
 * The failed state machine in a GET /v1/actions/bdb/{uid} answer (an array), the last one when several: that is
 * where a database in `creation-failed` keeps its reason. Undefined when there is none or the shape is unknown.
 */
export function failedActionIn(body: unknown): ActionState | undefined {
  if (!Array.isArray(body)) return undefined;
  const failed = body.map(parseAction).filter((action) => action.phase === "failed");
  return failed.length > 0 ? failed[failed.length - 1] : undefined;
}

/**
 * The most recent state machine in a GET /v1/actions/bdb/{uid} answer: the highest heartbeat, else the last
 * listed. Undefined when the answer is not a non-empty array.
 */
export function newestActionIn(body: unknown): ActionState | undefined {
  if (!Array.isArray(body) || body.length === 0) return undefined;
  const actions = body.map(parseAction);
  return actions.reduce((newest, action) =>
    (action.heartbeatSeconds ?? -Infinity) >= (newest.heartbeatSeconds ?? -Infinity) ? action : newest,
  );
}
