// Nodes: GET /v1/nodes, /v1/nodes/{uid}, /v1/nodes/status, /v1/nodes/{uid}/status and PUT /v1/nodes/{uid}
// (reference §5). Only cluster members are listed; shard counts are derived from the databases.
import { shardPlacement } from "./bdbs";
import type { EmulatorCore } from "./core";
import { notFound } from "./errors";
import { cloneJson, type JsonObject } from "./json";
import type { Reply, RequestContext, Route } from "./router";
import type { NodeRecord } from "./state";
import { validateNodeUpdate } from "./validation/cluster";

/** Shards each node hosts, from the placement of every database. */
function shardsByNode(core: EmulatorCore): Map<number, number[]> {
  const byNode = new Map<number, number[]>();
  for (const record of core.data.bdbs) {
    for (const placed of shardPlacement(core, record.object)) {
      const list = byNode.get(placed.nodeUid) ?? [];
      list.push(placed.shard);
      byNode.set(placed.nodeUid, list);
    }
  }
  return byNode;
}

function sortKeys(object: JsonObject): JsonObject {
  const sorted: JsonObject = {};
  for (const key of Object.keys(object).sort()) sorted[key] = object[key] as JsonObject[string];
  return sorted;
}

export function renderNode(core: EmulatorCore, node: NodeRecord, shards = shardsByNode(core)): JsonObject {
  const list = (shards.get(node.uid) ?? []).sort((a, b) => a - b);
  return sortKeys({
    ...cloneJson(node.object),
    ram_shard_count: list.length,
    shard_count: list.length,
    shard_list: list,
    uptime: Math.max(0, Math.floor((core.now() - node.startedAtMs) / 1000)),
  });
}

export function findMember(core: EmulatorCore, uidText: string): NodeRecord {
  const uid = Number(uidText);
  const node = Number.isInteger(uid) ? core.members().find((n) => n.uid === uid) : undefined;
  if (!node) throw notFound("node_not_found", `node ${uidText} is not a member of the cluster`);
  return node;
}

/** GET /v1/nodes/status element (reference §5: keyed by the uid as a string). */
function renderStatus(core: EmulatorCore, node: NodeRecord, shards: Map<number, number[]>): JsonObject {
  const master = core.master();
  return {
    cores: node.object.cores as number,
    free_provisional_ram: node.object.total_memory as number,
    hostname: node.hostname,
    master_shards: [],
    node_overbooking_depth: 0,
    node_status: String(node.object.status),
    role: master?.uid === node.uid ? "master" : "slave",
    shard_count: (shards.get(node.uid) ?? []).length,
    software_version: String(node.object.software_version),
    software_version_sha: "0000000000000000000000000000000000000000",
    total_memory: node.object.total_memory as number,
    uptime: Math.max(0, Math.floor((core.now() - node.startedAtMs) / 1000)),
  };
}

function list(context: RequestContext): Reply {
  const shards = shardsByNode(context.core);
  return { status: 200, body: context.core.members().map((node) => renderNode(context.core, node, shards)) };
}

function one(context: RequestContext): Reply {
  return { status: 200, body: renderNode(context.core, findMember(context.core, context.params.uid ?? "")) };
}

function statusMap(context: RequestContext): Reply {
  const shards = shardsByNode(context.core);
  const body: JsonObject = {};
  for (const node of context.core.members()) body[String(node.uid)] = renderStatus(context.core, node, shards);
  return { status: 200, body };
}

function oneStatus(context: RequestContext): Reply {
  const node = findMember(context.core, context.params.uid ?? "");
  return { status: 200, body: renderStatus(context.core, node, shardsByNode(context.core)) };
}

/** PUT /v1/nodes/{uid}: 200 with an empty body (reference §5). */
export function updateNode(core: EmulatorCore, uidText: string, body: JsonObject[string] | undefined): void {
  const node = findMember(core, uidText);
  const changes = validateNodeUpdate(body, node.object);
  if (Object.keys(changes).length === 0) return;
  Object.assign(node.object, changes);
  core.event("node_updated", { nodeUid: node.uid, fields: Object.keys(changes).sort() });
  core.commit();
}

function update(context: RequestContext): Reply {
  updateNode(context.core, context.params.uid ?? "", context.body);
  return { status: 200 };
}

export const nodeRoutes: Route[] = [
  { method: "GET", pattern: "/v1/nodes", access: { kind: "permission", permission: "view_cluster_info" }, handler: list },
  { method: "GET", pattern: "/v1/nodes/status", access: { kind: "permission", permission: "view_cluster_info" }, handler: statusMap },
  { method: "GET", pattern: "/v1/nodes/:uid", access: { kind: "permission", permission: "view_cluster_info" }, handler: one },
  { method: "PUT", pattern: "/v1/nodes/:uid", access: { kind: "permission", permission: "update_cluster" }, handler: update },
  { method: "GET", pattern: "/v1/nodes/:uid/status", access: { kind: "permission", permission: "view_cluster_info" }, handler: oneStatus },
];
