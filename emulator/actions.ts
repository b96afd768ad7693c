// Actions: the asynchronous work behind database changes (state machines SMCreateBDB, SMUpdateBDB,
// SMDeleteBDB) and cluster tasks, and their REST views (reference §6). The shapes follow REAL: a v1 task's
// progress and creation_time are strings ("100", "1760400087"), a state machine's heartbeat is a number and a
// finished state machine has no progress at all; v2 objects use numbers throughout.
import type { EmulatorCore } from "./core";
import { notFound } from "./errors";
import type { JsonObject } from "./json";
import type { Reply, RequestContext, Route } from "./router";
import type { ActionKind, ActionRecord } from "./state";

/**
 * How long a finished action stays visible to GET /v1/actions/{uid}: the docs only say 404 once there is "no
 * available status of last run" (UNCERTAIN). The emulator keeps finished actions for 10 virtual minutes, and
 * at most 1000 of them, so a client polling after the fact still sees the outcome.
 */
export const FINISHED_ACTION_RETENTION_MS = 10 * 60 * 1000;
export const MAX_FINISHED_ACTIONS = 1000;

export interface NewAction {
  kind: ActionKind;
  name: string;
  nodeUid: number;
  durationMs: number;
  objectType?: string;
  objectUid?: string;
  step?: string;
}

export function startAction(core: EmulatorCore, spec: NewAction): ActionRecord {
  pruneActions(core);
  const action: ActionRecord = {
    uid: core.newActionUid(),
    kind: spec.kind,
    name: spec.name,
    nodeUid: spec.nodeUid,
    status: spec.kind === "task" ? "running" : "active",
    step: spec.step ?? "started",
    startedAtMs: core.now(),
    durationMs: spec.durationMs,
  };
  if (spec.objectType !== undefined && spec.objectUid !== undefined) {
    action.objectType = spec.objectType;
    action.objectUid = spec.objectUid;
    action.objectName = `${spec.objectType}:${spec.objectUid}`;
  }
  core.data.actions.push(action);
  return action;
}

/** Mark an action finished; `failure` makes it failed with that error. */
export function finishAction(core: EmulatorCore, uid: string, failure?: { errorCode: string; message: string }): ActionRecord | undefined {
  const action = core.data.actions.find((a) => a.uid === uid);
  if (!action) return undefined;
  action.finishedAtMs = core.now();
  if (failure) {
    action.status = "failed";
    action.step = "failed";
    action.error = failure.message;
    action.errorCode = failure.errorCode;
  } else {
    action.status = "completed";
    action.step = "completed";
  }
  return action;
}

/** Forget finished actions older than the retention window (virtual time) or beyond the cap. */
export function pruneActions(core: EmulatorCore): void {
  const horizon = core.now() - FINISHED_ACTION_RETENTION_MS;
  let actions = core.data.actions.filter((a) => a.finishedAtMs === undefined || a.finishedAtMs >= horizon);
  const finished = actions.filter((a) => a.finishedAtMs !== undefined);
  if (finished.length > MAX_FINISHED_ACTIONS) {
    const drop = new Set(finished.slice(0, finished.length - MAX_FINISHED_ACTIONS).map((a) => a.uid));
    actions = actions.filter((a) => !drop.has(a.uid));
  }
  core.data.actions = actions;
}

function isFinished(action: ActionRecord): boolean {
  return action.status === "completed" || action.status === "failed";
}

/** Progress in percent: 100 when finished, else the share of the planned duration already spent (below 100). */
function progressOf(action: ActionRecord, nowMs: number): number {
  if (isFinished(action)) return 100;
  if (action.durationMs <= 0) return 0;
  const share = ((nowMs - action.startedAtMs) / action.durationMs) * 100;
  return Math.max(0, Math.min(99, Math.round(share * 10) / 10));
}

function seconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

/** GET /v1/actions task element (REAL: strings for progress, creation_time and node_uid). */
export function v1Task(action: ActionRecord, nowMs: number): JsonObject {
  const view: JsonObject = {
    action_uid: action.uid,
    creation_time: String(seconds(action.startedAtMs)),
    name: action.name,
    node_uid: String(action.nodeUid),
    progress: String(Math.floor(progressOf(action, nowMs))),
    status: action.status,
    task_id: action.uid,
  };
  if (action.status === "failed") {
    view.error_code = action.errorCode ?? "internal_error";
    view.error_message = action.error ?? "";
  }
  return view;
}

/**
 * GET /v1/actions state-machine element. A finished one has exactly the keys of the REAL capture
 * (actions_list.json: action_uid, heartbeat, name, object_name, status; a failed one adds `error`): the docs'
 * example adds `progress: 100` as an integer, but the capture wins, and clients written against real clusters
 * fail on that integer. A running one also has the documented optional `state` and `pending_ops`, and the
 * documented float `progress` (written "50.0", DOCUMENTED_FLOAT_FIELDS). UNCERTAIN: no running state machine
 * was captured, and clients that read the captured task expect a string; the documented float is kept.
 */
export function v1StateMachine(action: ActionRecord, nowMs: number): JsonObject {
  const view: JsonObject = {
    action_uid: action.uid,
    heartbeat: seconds(action.finishedAtMs ?? nowMs),
    name: action.name,
    object_name: action.objectName ?? "",
    status: action.status,
  };
  if (!isFinished(action)) {
    view.pending_ops = {};
    view.progress = progressOf(action, nowMs);
    view.state = action.step;
  }
  if (action.status === "failed") view.error = action.error ?? "";
  return view;
}

export function v1View(action: ActionRecord, nowMs: number): JsonObject {
  return action.kind === "task" ? v1Task(action, nowMs) : v1StateMachine(action, nowMs);
}

/**
 * GET /v2/actions element (reference §6: v2 object). UNCERTAIN: `creation_time` is an integer as the v2 table
 * documents, although v1 tasks carry it as a string (captured) and some clients expect the string here too.
 */
export function v2View(action: ActionRecord, nowMs: number): JsonObject {
  const status = isFinished(action) ? action.status : "running";
  const view: JsonObject = {
    action_type: action.kind,
    action_uid: action.uid,
    creation_time: seconds(action.startedAtMs),
    name: action.name,
    progress: progressOf(action, nowMs),
    status,
  };
  const info: JsonObject = {};
  if (action.objectType !== undefined) info.object_type = action.objectType;
  if (action.objectUid !== undefined) info.object_uid = action.objectUid;
  if (action.status === "failed") info.error = action.error ?? "";
  if (Object.keys(info).length > 0) view.additional_info = info;
  return view;
}

export function listActions(core: EmulatorCore): { actions: JsonObject[]; "state-machines": JsonObject[] } {
  pruneActions(core);
  const now = core.now();
  return {
    actions: core.data.actions.filter((a) => a.kind === "task").map((a) => v1Task(a, now)),
    "state-machines": core.data.actions.filter((a) => a.kind === "state-machine").map((a) => v1StateMachine(a, now)),
  };
}

export function findAction(core: EmulatorCore, uid: string): ActionRecord {
  pruneActions(core);
  const action = core.data.actions.find((a) => a.uid === uid);
  // UNCERTAIN: the error_code of an unknown action is not documented.
  if (!action) throw notFound("action_not_found", `action ${uid} does not exist (finished actions are kept for 10 minutes)`);
  return action;
}

/**
 * State machines of one database, oldest first. UNCERTAIN: an array, as the reference's example shows; some
 * clients expect a single object, and no capture settles it.
 */
export function actionsOfBdb(core: EmulatorCore, bdbUid: number): JsonObject[] {
  pruneActions(core);
  const now = core.now();
  return core.data.actions
    .filter((a) => a.kind === "state-machine" && a.objectType === "bdb" && a.objectUid === String(bdbUid))
    .map((a) => v1StateMachine(a, now));
}

function bdbExists(core: EmulatorCore, uidText: string): number {
  const uid = Number(uidText);
  if (!Number.isInteger(uid) || !core.data.bdbs.some((record) => record.object.uid === uid)) {
    throw notFound("bdb_not_exist", `database ${uidText} does not exist`);
  }
  return uid;
}

const viewCluster = { kind: "permission", permission: "view_cluster_info" } as const;

export const actionRoutes: Route[] = [
  { method: "GET", pattern: "/v1/actions", access: viewCluster, handler: (c: RequestContext): Reply => ({ status: 200, body: listActions(c.core) }) },
  {
    method: "GET",
    pattern: "/v1/actions/bdb/:uid",
    access: viewCluster,
    handler: (c: RequestContext): Reply => ({ status: 200, body: actionsOfBdb(c.core, bdbExists(c.core, c.params.uid ?? "")) }),
  },
  {
    method: "GET",
    pattern: "/v1/actions/:uid",
    access: viewCluster,
    handler: (c: RequestContext): Reply => ({ status: 200, body: v1View(findAction(c.core, c.params.uid ?? ""), c.core.now()) }),
  },
  {
    method: "GET",
    pattern: "/v2/actions",
    access: viewCluster,
    handler: (c: RequestContext): Reply => {
      pruneActions(c.core);
      const now = c.core.now();
      return { status: 200, body: c.core.data.actions.map((a) => v2View(a, now)) };
    },
  },
  {
    method: "GET",
    pattern: "/v2/actions/:uid",
    access: viewCluster,
    handler: (c: RequestContext): Reply => ({ status: 200, body: v2View(findAction(c.core, c.params.uid ?? ""), c.core.now()) }),
  },
];
