// Statistics (GET /v1/cluster/stats, /v1/nodes/stats[/{uid}], /v1/bdbs/stats[/{uid}] and /v1/bdbs/{uid}/stats):
// the vendor's statistics shape, `{"intervals": [{interval, stime, etime, <metric>: float, ...}]}` (with `uid`
// per node or database), for the requested interval and time range. No Redis runs, so the numbers are
// plausible values derived from the emulated state, the same for every interval and the same on every call:
// memory from the shards each node hosts, storage from the node's disk sizes, no traffic. Metrics are floats
// in the real answers (`"conns": 0.0`); the server writes them that way (STATS_FLOAT_METRICS).
import { usedMemoryOf } from "./alerts";
import { shardPlacement } from "./bdbs";
import type { EmulatorCore } from "./core";
import { isoSeconds } from "./defaults";
import { ApiError, notFound } from "./errors";
import type { JsonObject } from "./json";
import type { Reply, RequestContext, Route } from "./router";
import type { NodeRecord } from "./state";

/** The documented interval names and their lengths in seconds. */
export const STATS_INTERVALS: Readonly<Record<string, number>> = {
  "1sec": 1,
  "10sec": 10,
  "5min": 300,
  "15min": 900,
  "1hour": 3600,
  "12hour": 43200,
  "1week": 604800,
};

/** At most this many intervals in one answer (a long range at 1sec would otherwise be huge). */
export const MAX_STATS_INTERVALS = 100;
/** Without stime, the answer covers this many intervals up to etime. */
const DEFAULT_INTERVAL_COUNT = 5;

const NODE_METRICS = [
  "conns",
  "cpu_idle",
  "cpu_system",
  "cpu_user",
  "egress_bytes",
  "ephemeral_storage_avail",
  "ephemeral_storage_free",
  "free_memory",
  "ingress_bytes",
  "persistent_storage_avail",
  "persistent_storage_free",
  "total_req",
] as const;

const BDB_METRICS = [
  "avg_latency",
  "conns",
  "egress_bytes",
  "evicted_objects",
  "expired_objects",
  "ingress_bytes",
  "instantaneous_ops_per_sec",
  "mem_size_lua",
  "monitor_sessions_count",
  "no_of_keys",
  "other_req",
  "other_res",
  "read_hits",
  "read_misses",
  "read_req",
  "read_res",
  "total_connections_received",
  "total_req",
  "total_res",
  "used_memory",
  "write_hits",
  "write_misses",
  "write_req",
  "write_res",
] as const;

/** Metric keys the real answers print as floats (0.0); pubsub_channels and pubsub_patterns are integers there. */
export const STATS_FLOAT_METRICS: readonly string[] = [...new Set([...NODE_METRICS, ...BDB_METRICS])];

export interface StatsWindow {
  interval: string;
  /** Start of each interval, epoch ms, oldest first. */
  starts: number[];
  lengthMs: number;
}

function badQuery(description: string): ApiError {
  // UNCERTAIN: the docs list no error for a bad interval or time; 400 is their status for a bad request.
  return new ApiError(400, "invalid_value", description);
}

function parseTime(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || !Number.isFinite(ms)) {
    throw badQuery(`stats: '${name}' must be an ISO 8601 time such as 2026-01-01T10:00:00Z, got '${raw}'`);
  }
  return ms;
}

/**
 * The intervals a stats request covers: `interval` (default 1hour), aligned to its length, from the one holding
 * stime (default: the last five) to the one holding etime (default now), at most MAX_STATS_INTERVALS of them,
 * the latest kept.
 * UNCERTAIN: the real defaults are not documented.
 */
export function statsWindow(query: URLSearchParams, nowMs: number): StatsWindow {
  const interval = query.get("interval") ?? "1hour";
  const seconds = Object.prototype.hasOwnProperty.call(STATS_INTERVALS, interval) ? STATS_INTERVALS[interval] : undefined;
  if (seconds === undefined) throw badQuery(`stats: 'interval' must be one of ${Object.keys(STATS_INTERVALS).join(", ")}, got '${interval}'`);
  const lengthMs = seconds * 1000;
  const etime = Math.min(parseTime(query, "etime") ?? nowMs, nowMs);
  const stime = parseTime(query, "stime");
  const last = Math.floor((etime - 1) / lengthMs) * lengthMs;
  const first = stime === undefined ? last - (DEFAULT_INTERVAL_COUNT - 1) * lengthMs : Math.floor(stime / lengthMs) * lengthMs;
  const starts: number[] = [];
  for (let start = last; start >= first && starts.length < MAX_STATS_INTERVALS; start -= lengthMs) starts.push(start);
  return { interval, starts: starts.reverse(), lengthMs };
}

function intervals(window: StatsWindow, metrics: JsonObject): JsonObject[] {
  return window.starts.map((start) => ({
    interval: window.interval,
    stime: isoSeconds(start),
    // The real examples end an interval one second before the next starts (12:00:00 to 12:59:59).
    etime: isoSeconds(start + Math.max(window.lengthMs - 1000, 0)),
    ...metrics,
  }));
}

/** Shards hosted by each member node. */
function shardsPerNode(core: EmulatorCore): Map<number, number> {
  const counts = new Map<number, number>();
  for (const record of core.data.bdbs) {
    for (const placed of shardPlacement(core, record.object)) counts.set(placed.nodeUid, (counts.get(placed.nodeUid) ?? 0) + 1);
  }
  return counts;
}

/** Memory one shard of an empty database uses (bytes), as usedMemoryOf counts it. */
const SHARD_MEMORY = usedMemoryOf({ shard_list: [0] });

/** A node's metrics: a little CPU per shard, memory minus its shards, 5% of each disk used, no traffic. */
export function nodeMetrics(node: NodeRecord, shards: number): JsonObject {
  const cpuUser = 0.02 + 0.005 * shards;
  const cpuSystem = 0.01;
  const storage = (field: string): number => (typeof node.object[field] === "number" ? (node.object[field] as number) : 0);
  const ephemeral = storage("ephemeral_storage_size");
  const persistent = storage("persistent_storage_size");
  return {
    conns: 0,
    cpu_idle: Math.round((1 - cpuUser - cpuSystem) * 1000) / 1000,
    cpu_system: cpuSystem,
    cpu_user: Math.round(cpuUser * 1000) / 1000,
    egress_bytes: 0,
    ephemeral_storage_avail: ephemeral * 0.9,
    ephemeral_storage_free: ephemeral * 0.95,
    free_memory: Math.max(0, storage("total_memory") - shards * SHARD_MEMORY),
    ingress_bytes: 0,
    persistent_storage_avail: persistent * 0.9,
    persistent_storage_free: persistent * 0.95,
    total_req: 0,
  };
}

/** A database's metrics: its shards' memory, an empty keyspace, no traffic. */
export function bdbMetrics(bdb: JsonObject): JsonObject {
  const metrics: JsonObject = {};
  for (const metric of BDB_METRICS) metrics[metric] = 0;
  metrics.used_memory = usedMemoryOf(bdb);
  metrics.mem_size_lua = 35840;
  metrics.last_req_time = "1970-01-01T00:00:00Z";
  metrics.last_res_time = "1970-01-01T00:00:00Z";
  metrics.pubsub_channels = 0;
  metrics.pubsub_patterns = 0;
  return metrics;
}

/** The cluster's metrics: node memory and storage summed, CPU averaged. */
export function clusterMetrics(core: EmulatorCore): JsonObject {
  const shards = shardsPerNode(core);
  const members = core.members();
  const total: Record<string, number> = {};
  for (const metric of NODE_METRICS) total[metric] = 0;
  for (const node of members) {
    const metrics = nodeMetrics(node, shards.get(node.uid) ?? 0);
    for (const metric of NODE_METRICS) total[metric]! += metrics[metric] as number;
  }
  for (const metric of ["cpu_idle", "cpu_system", "cpu_user"]) {
    total[metric] = members.length > 0 ? Math.round((total[metric]! / members.length) * 1000) / 1000 : 0;
  }
  return total;
}

function findNode(core: EmulatorCore, text: string): NodeRecord {
  const uid = Number(text);
  const node = Number.isSafeInteger(uid) ? core.members().find((n) => n.uid === uid) : undefined;
  if (!node) throw notFound("node_not_found", `node ${text} is not a member of the cluster`);
  if (node.object.status !== "active") {
    // Documented: 406 "Node isn't currently active". UNCERTAIN: its error_code.
    throw new ApiError(406, "node_not_active", `node ${uid} is not active (status '${String(node.object.status)}'); it has no statistics`);
  }
  return node;
}

function findBdbObject(core: EmulatorCore, text: string): JsonObject {
  const uid = Number(text);
  const record = Number.isSafeInteger(uid) ? core.data.bdbs.find((r) => r.object.uid === uid) : undefined;
  if (!record) throw notFound("bdb_not_exist", `database ${text} does not exist`);
  if (record.object.status !== "active" && record.object.status !== "active-change-pending") {
    // Documented: 406 "bdb isn't currently active". UNCERTAIN: its error_code.
    throw new ApiError(406, "bdb_not_active", `database ${uid} is not active (status '${String(record.object.status)}'); it has no statistics yet`);
  }
  return record.object;
}

function nodeStats(node: NodeRecord, shards: Map<number, number>, window: StatsWindow): JsonObject {
  return { intervals: intervals(window, nodeMetrics(node, shards.get(node.uid) ?? 0)), uid: String(node.uid) };
}

function bdbStats(bdb: JsonObject, window: StatsWindow): JsonObject {
  return { intervals: intervals(window, bdbMetrics(bdb)), uid: String(bdb.uid) };
}

function oneBdb(c: RequestContext): Reply {
  const bdb = findBdbObject(c.core, c.params.uid ?? "");
  return { status: 200, body: bdbStats(bdb, statsWindow(c.query, c.core.now())) };
}

const view = { kind: "permission", permission: "view_cluster_info" } as const;
const viewBdbs = { kind: "permission", permission: "view_all_bdbs_info" } as const;

export const statsRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/v1/cluster/stats",
    access: view,
    handler: (c): Reply => ({ status: 200, body: { intervals: intervals(statsWindow(c.query, c.core.now()), clusterMetrics(c.core)) } }),
  },
  {
    method: "GET",
    pattern: "/v1/nodes/stats",
    access: view,
    handler: (c): Reply => {
      const window = statsWindow(c.query, c.core.now());
      const shards = shardsPerNode(c.core);
      const active = c.core.members().filter((node) => node.object.status === "active");
      return { status: 200, body: active.map((node) => nodeStats(node, shards, window)) };
    },
  },
  {
    method: "GET",
    pattern: "/v1/nodes/stats/:uid",
    access: view,
    handler: (c): Reply => {
      const node = findNode(c.core, c.params.uid ?? "");
      return { status: 200, body: nodeStats(node, shardsPerNode(c.core), statsWindow(c.query, c.core.now())) };
    },
  },
  {
    method: "GET",
    pattern: "/v1/bdbs/stats",
    access: viewBdbs,
    handler: (c): Reply => {
      const window = statsWindow(c.query, c.core.now());
      const ready = c.core.data.bdbs.filter((r) => r.object.status === "active" || r.object.status === "active-change-pending");
      return { status: 200, body: ready.map((r) => bdbStats(r.object, window)) };
    },
  },
  { method: "GET", pattern: "/v1/bdbs/stats/:uid", access: viewBdbs, handler: oneBdb },
  // UNCERTAIN: the reference documents /v1/bdbs/stats/{uid}; clients also call /v1/bdbs/{uid}/stats, which
  // answers the same.
  { method: "GET", pattern: "/v1/bdbs/:uid/stats", access: viewBdbs, handler: oneBdb },
];
