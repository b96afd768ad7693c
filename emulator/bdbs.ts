// Databases (bdbs): create, read, update, delete with the asynchronous life cycle of a real cluster
// (reference §2.4, §2.7): POST answers with the object in `pending` plus an action_uid, PUT with
// `active-change-pending`, DELETE with nothing while the database sits in `delete-pending`; each settles after
// the operation delay. action_uid is on the object only while an action runs (REAL shows it absent when idle).
import { finishAction, startAction } from "./actions";
import type { EmulatorCore } from "./core";
import { randomSecret, SYSTEM_RESERVED_PORTS } from "./defaults";
import { busy, invalidConfig, notFound, schemaError } from "./errors";
import { cloneJson, isJsonObject, pickFields, type JsonObject, type JsonValue } from "./json";
import { databaseChanged, type DatabaseChange } from "./reconcile";
import { queryFlag, type RequestContext, type Reply, type Route } from "./router";
import type { BdbRecord } from "./state";
import {
  MAX_DB_PORT,
  MIN_DB_PORT,
  portProblem,
  validateBdbCreate,
  validateBdbUpdate,
  type BdbValidationContext,
} from "./validation/bdb";

/** What validation needs, copied from the model. */
export function validationContext(core: EmulatorCore, ignoreUid?: number): BdbValidationContext {
  return {
    databases: core.data.bdbs.filter((record) => record.object.uid !== ignoreUid).map((record) => record.object),
    nodes: core.members().map((node) => ({
      uid: node.uid,
      softwareVersion: String(node.object.software_version),
      status: String(node.object.status),
    })),
    policy: core.data.policy,
    reservedPorts: Array.isArray(core.data.cluster.reserved_ports) ? core.data.cluster.reserved_ports : [],
    systemReservedPorts: SYSTEM_RESERVED_PORTS,
  };
}

export function findBdb(core: EmulatorCore, uidText: string): BdbRecord {
  const uid = Number(uidText);
  const record = Number.isInteger(uid) ? core.data.bdbs.find((r) => r.object.uid === uid) : undefined;
  // UNCERTAIN (reference §1.6): no real 404 body was captured; a client mock used bdb_not_exist.
  if (!record) throw notFound("bdb_not_exist", `database ${uidText} does not exist`);
  return record;
}

/**
 * The uid of a database created without one: one above every uid used so far. Should that pass 2^53 - 1 (a
 * client chose a huge uid), the lowest free uid instead, so that automatic uids stay exact and distinct.
 */
function nextFreeUid(core: EmulatorCore): number {
  const used = new Set(core.data.bdbs.map((r) => r.object.uid as number));
  const candidate = Math.max(core.data.nextBdbUid, ...[...used].map((u) => u + 1));
  if (Number.isSafeInteger(candidate)) return candidate;
  let uid = 1;
  while (used.has(uid)) uid += 1;
  return uid;
}

/** A random free port in 10000-19999, skipping 10050, reserved ports and ports in use (reference §2.6). */
function pickPort(context: BdbValidationContext): number {
  const span = MAX_DB_PORT - MIN_DB_PORT + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i += 1) {
    const port = MIN_DB_PORT + ((start + i) % span);
    if (portProblem(port, context) === undefined) return port;
  }
  throw invalidConfig("port_unavailable", "no free database port is left in 10000-19999");
}

/** Shard uids of a database: masters first (shards_count of them), then one replica per master. */
function splitShards(object: JsonObject): { masters: number[]; replicas: number[] } {
  const list = Array.isArray(object.shard_list) ? object.shard_list.filter((s): s is number => typeof s === "number") : [];
  const count = typeof object.shards_count === "number" ? object.shards_count : list.length;
  return { masters: list.slice(0, count), replicas: list.slice(count) };
}

function allocateShards(core: EmulatorCore, object: JsonObject, previous?: JsonObject): void {
  const old = previous ? splitShards(previous) : { masters: [], replicas: [] };
  const count = object.shards_count as number;
  const next = (): number => core.data.nextShardUid++;
  const masters = old.masters.slice(0, count);
  while (masters.length < count) masters.push(next());
  const replicas: number[] = [];
  if (object.replication === true) {
    replicas.push(...old.replicas.slice(0, count));
    while (replicas.length < count) replicas.push(next());
  }
  object.shard_list = [...masters, ...replicas];
}

/**
 * Where each shard lives: master i on member i mod n, its replica on the next member. The emulator does not
 * model placement policies beyond this; it only keeps the node and endpoint views consistent.
 */
export function shardPlacement(core: EmulatorCore, object: JsonObject): Array<{ shard: number; nodeUid: number; role: "master" | "slave" }> {
  const members = core.members();
  if (members.length === 0) return [];
  const { masters, replicas } = splitShards(object);
  const placed: Array<{ shard: number; nodeUid: number; role: "master" | "slave" }> = [];
  masters.forEach((shard, i) => placed.push({ shard, nodeUid: members[i % members.length]!.uid, role: "master" }));
  replicas.forEach((shard, i) => placed.push({ shard, nodeUid: members[(i + 1) % members.length]!.uid, role: "slave" }));
  return placed;
}

function endpointAddresses(core: EmulatorCore, object: JsonObject): string[] {
  const members = core.members();
  const addressOf = (uid: number): string => String(core.node(uid)?.object.addr ?? "");
  if (object.proxy_policy === "all-nodes") return members.map((node) => String(node.object.addr));
  const masterNodes = shardPlacement(core, object)
    .filter((p) => p.role === "master")
    .map((p) => p.nodeUid);
  const unique = [...new Set(masterNodes)];
  if (object.proxy_policy === "single") return unique.slice(0, 1).map(addressOf);
  return unique.map(addressOf);
}

function refreshEndpoints(core: EmulatorCore, object: JsonObject, port: number): void {
  const endpoint: JsonObject = {
    addr: endpointAddresses(core, object),
    addr_type: "external",
    dns_name: `redis-${port}.${String(core.data.cluster.name)}`,
    oss_cluster_api_preferred_endpoint_type: object.oss_cluster_api_preferred_endpoint_type ?? "ip",
    oss_cluster_api_preferred_ip_type: object.oss_cluster_api_preferred_ip_type ?? "internal",
    port,
    proxy_policy: object.proxy_policy ?? "single",
    uid: `${String(object.uid)}:1`,
  };
  object.endpoints = [endpoint];
}

function endpointPortOf(object: JsonObject): number {
  const endpoints = object.endpoints;
  if (Array.isArray(endpoints) && isJsonObject(endpoints[0]) && typeof endpoints[0].port === "number") return endpoints[0].port;
  return object.port as number;
}

/**
 * The object as the API shows it: keys sorted like the real answers. The values are shared with the stored
 * object, because answers are serialised at once and deep-copying ~140 keys per database on every list is
 * wasted work; callers that keep the result must copy it.
 */
export function renderBdb(record: BdbRecord): JsonObject {
  const sorted: JsonObject = {};
  for (const key of Object.keys(record.object).sort()) sorted[key] = record.object[key] as JsonValue;
  return sorted;
}

function fieldsQuery(query: URLSearchParams): string[] | undefined {
  const raw = query.get("fields");
  if (raw === null || raw.trim() === "") return undefined;
  return raw.split(",").map((f) => f.trim()).filter((f) => f !== "");
}

export interface OperationOptions {
  dryRun?: boolean;
  failAction?: boolean;
  /** The node that received the request (recorded on the action). */
  nodeUid?: number;
}

function failureText(kind: string): string {
  return `injected fault: the ${kind} action failed`;
}

/** POST /v1/bdbs: validate, store in `pending`, settle after the operation delay. Returns the answer body. */
export function createDatabase(core: EmulatorCore, body: JsonValue | undefined, options: OperationOptions = {}): JsonObject {
  const context = validationContext(core);
  const validated = validateBdbCreate(body, context);
  const uid = validated.uid ?? nextFreeUid(core);
  const port = validated.port ?? pickPort(context);
  const now = core.nowIso();
  const object: JsonObject = {
    ...validated.fields,
    authentication_admin_pass: typeof validated.fields.authentication_admin_pass === "string" ? validated.fields.authentication_admin_pass : randomSecret(),
    created_time: now,
    last_changed_time: now,
    // A database created without a port reports 0 and its real port in endpoints[0].port (REAL quirk).
    port: validated.port ?? 0,
    shard_list: [],
    status: "pending",
    uid,
  };
  if (options.dryRun) {
    // UNCERTAIN (reference §1.5): a dry run's answer body is not documented; the emulator shows the object that
    // would be created (without an action) and stores nothing, consuming no uid, port or shard.
    const saved = core.data.nextShardUid;
    allocateShards(core, object);
    core.data.nextShardUid = saved;
    refreshEndpoints(core, object, port);
    return renderBdb({ object });
  }
  allocateShards(core, object);
  refreshEndpoints(core, object, port);
  const action = startAction(core, {
    kind: "state-machine",
    name: "SMCreateBDB",
    nodeUid: options.nodeUid ?? core.master()?.uid ?? 1,
    durationMs: core.settings.operationDelayMs,
    objectType: "bdb",
    objectUid: String(uid),
  });
  object.action_uid = action.uid;
  const record: BdbRecord = { object, pending: { kind: "create", actionUid: action.uid, fail: options.failAction === true } };
  core.data.bdbs.push(record);
  core.data.bdbs.sort((a, b) => (a.object.uid as number) - (b.object.uid as number));
  core.data.nextBdbUid = Math.max(core.data.nextBdbUid, uid + 1);
  core.event("bdb_created", { bdbUid: uid, name: String(object.name), actionUid: action.uid });
  core.commit();
  core.schedule(core.settings.operationDelayMs, () => complete(core, record));
  return renderBdb(record);
}

/** PUT /v1/bdbs/{uid}: validate, apply in `active-change-pending`, settle (or roll back) after the delay. */
export function updateDatabase(core: EmulatorCore, uidText: string, body: JsonValue | undefined, options: OperationOptions = {}): JsonObject {
  const record = findBdb(core, uidText);
  const uid = record.object.uid as number;
  if (record.pending || record.object.status !== "active") {
    throw busy(`database ${uid} is busy (status '${String(record.object.status)}'); retry when it is active`);
  }
  const changes = validateBdbUpdate(body, record.object, validationContext(core, uid));
  const previous = cloneJson(record.object);
  const next: JsonObject = { ...cloneJson(record.object), ...changes };
  if (changes.shards_count !== undefined || changes.replication !== undefined) allocateShards(core, next, previous);
  refreshEndpoints(core, next, endpointPortOf(previous));
  if (options.dryRun) {
    // UNCERTAIN: as for create, the answer to a dry run shows the object as it would be, nothing is stored.
    return renderBdb({ object: next });
  }
  next.last_changed_time = core.nowIso();
  next.status = "active-change-pending";
  const action = startAction(core, {
    kind: "state-machine",
    name: "SMUpdateBDB",
    nodeUid: options.nodeUid ?? core.master()?.uid ?? 1,
    durationMs: core.settings.operationDelayMs,
    objectType: "bdb",
    objectUid: String(uid),
  });
  next.action_uid = action.uid;
  record.object = next;
  record.pending = {
    kind: "update",
    actionUid: action.uid,
    previous,
    changedFields: Object.keys(changes).sort(),
    fail: options.failAction === true,
  };
  core.event("bdb_updated", { bdbUid: uid, fields: Object.keys(changes).sort(), actionUid: action.uid });
  core.commit();
  core.schedule(core.settings.operationDelayMs, () => complete(core, record));
  return renderBdb(record);
}

/** DELETE /v1/bdbs/{uid}: `delete-pending`, then gone (404). */
export function deleteDatabase(core: EmulatorCore, uidText: string, options: OperationOptions = {}): void {
  const record = findBdb(core, uidText);
  const uid = record.object.uid as number;
  // A database whose creation failed can be deleted too, or it could never be cleaned up (the docs say DELETE
  // needs `active`; creation-failed is allowed as the one practical exception).
  if (record.pending || (record.object.status !== "active" && record.object.status !== "creation-failed")) {
    throw busy(`database ${uid} is busy (status '${String(record.object.status)}'); it can be deleted when it is active`);
  }
  const action = startAction(core, {
    kind: "state-machine",
    name: "SMDeleteBDB",
    nodeUid: options.nodeUid ?? core.master()?.uid ?? 1,
    durationMs: core.settings.operationDelayMs,
    objectType: "bdb",
    objectUid: String(uid),
  });
  const previous = cloneJson(record.object);
  record.object.status = "delete-pending";
  record.object.action_uid = action.uid;
  record.pending = { kind: "delete", actionUid: action.uid, previous, fail: options.failAction === true };
  core.event("bdb_deleted", { bdbUid: uid, name: String(record.object.name), actionUid: action.uid });
  core.commit();
  core.schedule(core.settings.operationDelayMs, () => complete(core, record));
}

/**
 * The operation delay is over: a change that succeeds goes through the reconcile hook (the data plane starts,
 * changes or stops what serves the database), then the object settles. A change that fails restores the old
 * object and the data plane never saw the new one.
 */
async function complete(core: EmulatorCore, record: BdbRecord): Promise<void> {
  const pending = record.pending;
  if (!pending || !core.data.bdbs.includes(record)) return;
  if (!pending.fail) {
    const change: DatabaseChange = { bdbUid: record.object.uid as number, source: "rest" };
    if (pending.previous) change.before = pending.previous;
    if (pending.kind !== "delete") change.after = record.object;
    await databaseChanged(core, change);
  }
  if (record.pending === pending) settle(core, record);
}

/** Finish the pending operation of a database (also used when a state file is loaded with one in flight). */
export function settle(core: EmulatorCore, record: BdbRecord): void {
  const pending = record.pending;
  if (!pending || !core.data.bdbs.includes(record)) return;
  const uid = record.object.uid as number;
  delete record.pending;
  delete record.object.action_uid;
  const failure = pending.fail ? { errorCode: "internal_error", message: failureText(pending.kind) } : undefined;
  finishAction(core, pending.actionUid, failure);
  if (failure) {
    core.event("action_failed", { actionUid: pending.actionUid, bdbUid: uid, operation: pending.kind, error: failure.message });
  }
  switch (pending.kind) {
    case "create":
      record.object.status = failure ? "creation-failed" : "active";
      break;
    case "update":
      if (failure && pending.previous) {
        // The change did not happen: the database keeps its previous configuration.
        record.object = { ...pending.previous, status: "active" };
        delete record.object.action_uid;
      } else {
        // The proxy restart a data internode encryption change causes was recorded by complete() (reconcile.ts).
        record.object.status = "active";
      }
      break;
    case "delete":
      if (failure) {
        record.object.status = pending.previous?.status ?? "active";
      } else {
        core.data.bdbs = core.data.bdbs.filter((r) => r !== record);
      }
      break;
  }
  core.commit();
}

/** Settle every operation in flight at once (a state file loaded after a stop mid-operation). */
export function settleAll(core: EmulatorCore): void {
  for (const record of [...core.data.bdbs]) if (record.pending) settle(core, record);
}

function checkStateId(context: RequestContext): void {
  const sent = context.headers["cluster-state-id"];
  if (typeof sent === "string" && sent.trim() !== "" && Number(sent) !== context.core.data.stateId) {
    // Documented for POST /v1/bdbs (reference §1.3); the status is not (406 like the other create errors).
    throw invalidConfig(
      "wrong_cluster_state_id",
      `the request's cluster-state-id ${sent} is stale (current ${context.core.data.stateId}); read the cluster again and retry`,
    );
  }
}

function operationOptions(context: RequestContext): OperationOptions {
  const options: OperationOptions = { dryRun: queryFlag(context.query, "dry_run"), nodeUid: context.node.uid };
  if (!options.dryRun && context.failNextAction) {
    options.failAction = true;
    context.failNextAction = false;
  }
  return options;
}

function listHandler(context: RequestContext): Reply {
  const fields = fieldsQuery(context.query);
  const list = context.core.data.bdbs.map((record) => {
    const view = renderBdb(record);
    return fields ? pickFields(view, fields) : view;
  });
  return { status: 200, body: list };
}

function getHandler(context: RequestContext): Reply {
  const view = renderBdb(findBdb(context.core, context.params.uid ?? ""));
  const fields = fieldsQuery(context.query);
  return { status: 200, body: fields ? pickFields(view, fields) : view };
}

function createV1(context: RequestContext): Reply {
  checkStateId(context);
  return { status: 200, body: createDatabase(context.core, context.body, operationOptions(context)) };
}

function createV2(context: RequestContext): Reply {
  checkStateId(context);
  const body = context.body;
  if (!isJsonObject(body) || !isJsonObject(body.bdb)) {
    throw schemaError("POST /v2/bdbs needs a body {\"bdb\": {...}, \"recovery_plan\": {...optional}}");
  }
  for (const key of Object.keys(body)) {
    if (key !== "bdb" && key !== "recovery_plan") throw schemaError(`POST /v2/bdbs: unknown field '${key}' (expected bdb, recovery_plan)`);
  }
  if (body.recovery_plan !== undefined && !isJsonObject(body.recovery_plan)) throw schemaError("POST /v2/bdbs: recovery_plan must be an object");
  return { status: 200, body: createDatabase(context.core, body.bdb, operationOptions(context)) };
}

function updateHandler(context: RequestContext): Reply {
  return { status: 200, body: updateDatabase(context.core, context.params.uid ?? "", context.body, operationOptions(context)) };
}

function deleteHandler(context: RequestContext): Reply {
  deleteDatabase(context.core, context.params.uid ?? "", operationOptions(context));
  return { status: 200 };
}

export const bdbRoutes: Route[] = [
  { method: "GET", pattern: "/v1/bdbs", access: { kind: "permission", permission: "view_all_bdbs_info" }, handler: listHandler },
  { method: "POST", pattern: "/v1/bdbs", access: { kind: "permission", permission: "create_bdb" }, handler: createV1 },
  { method: "POST", pattern: "/v2/bdbs", access: { kind: "permission", permission: "create_bdb" }, handler: createV2 },
  { method: "GET", pattern: "/v1/bdbs/:uid", access: { kind: "permission", permission: "view_all_bdbs_info" }, handler: getHandler },
  { method: "PUT", pattern: "/v1/bdbs/:uid", access: { kind: "permission", permission: "update_bdb" }, handler: updateHandler },
  { method: "DELETE", pattern: "/v1/bdbs/:uid", access: { kind: "permission", permission: "delete_bdb" }, handler: deleteHandler },
];
