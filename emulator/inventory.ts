// Read-only views that clients list and check, built from the emulated state: shards (GET /v1/shards[/{uid}]),
// modules (GET /v1/modules[/{uid}]), the cluster check (GET /v1/cluster/check) and database availability
// (GET /v1/bdbs/{uid}/availability). Shapes follow the vendor's REST reference.
import { shardPlacement } from "./bdbs";
import type { EmulatorCore } from "./core";
import { AVAILABLE_MODULES, type ModuleInfo } from "./defaults";
import { ApiError, notFound } from "./errors";
import type { JsonObject, JsonValue } from "./json";
import type { Reply, RequestContext, Route } from "./router";
import { usedMemoryOf } from "./alerts";

/** Redis Cluster hash slots, split among a database's master shards. */
const HASH_SLOTS = 16384;

/** Slots of master `index` of `count`, as RS prints them ("0-8191"). */
export function assignedSlots(index: number, count: number): string {
  const start = Math.floor((HASH_SLOTS * index) / count);
  const end = Math.floor((HASH_SLOTS * (index + 1)) / count) - 1;
  return `${start}-${end}`;
}

/** The redis_info values the emulator can answer for `extra_info_keys` (plausible for an empty shard). */
function redisInfo(keys: readonly string[]): JsonObject {
  const known: Record<string, JsonValue> = {
    connected_clients: 0,
    used_memory: usedMemoryOf({ shard_list: [0] }),
    used_memory_rss: usedMemoryOf({ shard_list: [0] }),
    db0_keys: 0,
  };
  const info: JsonObject = {};
  for (const key of keys) if (Object.prototype.hasOwnProperty.call(known, key)) info[key] = known[key]!;
  return info;
}

/** Every shard of every database: uid (a string, as in the reference), role, node, slots and status. */
export function listShards(core: EmulatorCore, extraInfoKeys: readonly string[] = []): JsonObject[] {
  const shards: JsonObject[] = [];
  const now = core.nowIso();
  for (const record of core.data.bdbs) {
    const placements = shardPlacement(core, record.object);
    const masters = placements.filter((p) => p.role === "master");
    placements.forEach((placed) => {
      // A replica serves the slots of its master (replica i follows master i).
      const index = placed.role === "master" ? masters.indexOf(placed) : placements.filter((p) => p.role === "slave").indexOf(placed);
      // UNCERTAIN: the shard statuses of a database that is not serving are not documented.
      const active = record.object.status === "active" || record.object.status === "active-change-pending";
      shards.push({
        assigned_slots: assignedSlots(index, Math.max(masters.length, 1)),
        bdb_uid: record.object.uid as number,
        detailed_status: active ? "ok" : "busy",
        loading: { status: "idle" },
        node_uid: String(placed.nodeUid),
        redis_info: redisInfo(extraInfoKeys),
        report_timestamp: now,
        role: placed.role,
        status: active ? "active" : "inactive",
        uid: String(placed.shard),
      });
    });
  }
  return shards.sort((a, b) => Number(a.uid) - Number(b.uid));
}

function extraKeys(context: RequestContext): string[] {
  return context.query.getAll("extra_info_keys").flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/** Display names of the bundled modules (the product's names for them). */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  timeseries: "RedisTimeSeries",
  search: "RediSearch 2",
  bf: "RedisBloom",
  ReJSON: "RedisJSON",
};

/** "8.0.2" -> 80002, the integer `version` of a module object. */
function numericVersion(semantic: string): number {
  const [major = 0, minor = 0, patch = 0] = semantic.split(".").map((part) => Number(part) || 0);
  return major * 10000 + minor * 100 + patch;
}

/** A module object (vendor reference: objects/module) for one of the modules the emulated cluster has. */
export function renderModule(module: ModuleInfo): JsonObject {
  return {
    author: "RedisLabs",
    capabilities: ["types", "replica_of", "failover_migrate", "persistence_aof", "persistence_rdb", "clustering", "backup_restore", "reshard_rebalance"],
    command_line_args: "",
    config_command: "",
    dependencies: {},
    description: `${DISPLAY_NAMES[module.module_name] ?? module.module_name} (bundled with Redis 8)`,
    display_name: DISPLAY_NAMES[module.module_name] ?? module.module_name,
    email: "",
    homepage: "https://redis.io",
    is_bundled: true,
    license: "",
    min_redis_pack_version: "7.8.0",
    min_redis_version: "8.0",
    module_name: module.module_name,
    semantic_version: module.semantic_version,
    sha256: "",
    uid: module.module_id,
    version: numericVersion(module.semantic_version),
  };
}

/** GET /v1/cluster/check: one result per member; a node set down fails its check. */
export function clusterCheck(core: EmulatorCore): JsonObject {
  const nodes = core.members().map((node) => {
    const result: JsonObject = { node_uid: String(node.uid), result: node.object.status !== "down" };
    if (node.object.status === "down") result.error = `node ${node.uid} is down: its services are not responding`;
    return result;
  });
  return { cluster_test_result: nodes.every((n) => n.result === true), nodes };
}

/**
 * GET /v1/bdbs/{uid}/availability: 200 while the database is active (UNCERTAIN: the docs give no body for it;
 * the emulator sends none), 503 bdb_unavailable otherwise, 404 db_not_found (the documented code) for an
 * unknown database.
 */
function availability(context: RequestContext): Reply {
  const uid = Number(context.params.uid);
  const record = Number.isSafeInteger(uid) ? context.core.data.bdbs.find((r) => r.object.uid === uid) : undefined;
  if (!record) throw notFound("db_not_found", `database ${context.params.uid ?? ""} does not exist`);
  const status = String(record.object.status);
  if (status !== "active" && status !== "active-change-pending") {
    throw new ApiError(503, "bdb_unavailable", `database ${uid} is not available (status '${status}')`);
  }
  return { status: 200 };
}

const view = { kind: "permission", permission: "view_cluster_info" } as const;
const viewBdbs = { kind: "permission", permission: "view_all_bdbs_info" } as const;

export const inventoryRoutes: Route[] = [
  { method: "GET", pattern: "/v1/shards", access: viewBdbs, handler: (c): Reply => ({ status: 200, body: listShards(c.core, extraKeys(c)) }) },
  {
    method: "GET",
    pattern: "/v1/shards/:uid",
    access: viewBdbs,
    handler: (c): Reply => {
      const shard = listShards(c.core, extraKeys(c)).find((s) => s.uid === c.params.uid);
      // UNCERTAIN: the error_code of an unknown shard is not documented, only the 404.
      if (!shard) throw notFound("shard_not_found", `shard ${c.params.uid ?? ""} does not exist`);
      return { status: 200, body: shard };
    },
  },
  { method: "GET", pattern: "/v1/modules", access: view, handler: (): Reply => ({ status: 200, body: AVAILABLE_MODULES.map(renderModule) }) },
  {
    method: "GET",
    pattern: "/v1/modules/:uid",
    access: view,
    handler: (c): Reply => {
      const module = AVAILABLE_MODULES.find((m) => m.module_id === c.params.uid);
      // UNCERTAIN: the error_code of an unknown module is not documented, only the 404.
      if (!module) throw notFound("module_not_found", `module ${c.params.uid ?? ""} does not exist`);
      return { status: 200, body: renderModule(module) };
    },
  },
  { method: "GET", pattern: "/v1/cluster/check", access: view, handler: (c): Reply => ({ status: 200, body: clusterCheck(c.core) }) },
  { method: "GET", pattern: "/v1/bdbs/:uid/availability", access: viewBdbs, handler: availability },
];
