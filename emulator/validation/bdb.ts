// Validation of database (bdb) create and update requests: pure functions from (body, current state) to either
// the fields to apply or an ApiError with the documented error_code (reference §2.2, §2.3). Nothing here
// touches sockets or stored state, so every rule is testable on its own.
//
// The value lists below also appear in provider/database/table.ts, on purpose: the emulator stands in for the
// server and the provider is its client, so each encodes the reference on its own. Sharing one definition would
// let a wrong fact pass both sides' tests unnoticed.
import { AVAILABLE_MODULES, bdbDefaults, REDIS_VERSIONS, type ModuleInfo } from "../defaults";
import { ApiError, invalidConfig, schemaError } from "../errors";
import { cloneJson, isJsonObject, jsonEqual, type JsonObject, type JsonValue } from "../json";
import { nodesBlockingDataIne } from "../version";
import { checkFields, requireObjectBody, specsFromDefaults, type FieldSpec } from "./schema";

export const PROXY_POLICIES = ["single", "all-master-shards", "all-nodes"] as const;
export const EVICTION_POLICIES = [
  "volatile-lru",
  "volatile-ttl",
  "volatile-random",
  "allkeys-lru",
  "allkeys-random",
  "noeviction",
  "volatile-lfu",
  "allkeys-lfu",
  "allkeys-lrm",
  "volatile-lrm",
] as const;
export const DATA_PERSISTENCE_MODES = ["disabled", "snapshot", "aof"] as const;
export const AOF_POLICIES = ["appendfsync-every-sec", "appendfsync-always"] as const;
export const TLS_MODES = ["enabled", "disabled", "replica_ssl"] as const;
export const SHARDS_PLACEMENTS = ["dense", "sparse"] as const;
export const HASH_SLOTS_POLICIES = ["legacy", "16k"] as const;
export const DB_TYPES = ["redis", "memcached"] as const;

/** Database names: letters, digits and '-', starting and ending with a letter or digit, at most 63 characters. */
export const DB_NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const MIN_DB_PORT = 10000;
export const MAX_DB_PORT = 19999;
export const MAX_SHARDS = 512;

/** The hashing rules RS calls "standard" (reference §2.3), quoted in error descriptions. */
const STANDARD_SHARD_KEY_REGEX = `[{"regex": ".*\\\\{(?<tag>.*)\\\\}.*"}, {"regex": "(?<tag>.*)"}]`;

/** Fields that the server sets; a request may only repeat their current value. */
const READ_ONLY_BDB_FIELDS = [
  "status",
  "endpoints",
  "action_uid",
  "created_time",
  "last_changed_time",
  "shard_list",
  "background_op",
  "backup_status",
  "backup_progress",
  "backup_failure_reason",
  "export_status",
  "export_progress",
  "export_failure_reason",
  "import_status",
  "import_progress",
  "import_failure_reason",
  "topology_epoch",
  "dns_address_master",
  "internal",
];

/** Fields a client may set at creation but never change afterwards (reference §2.3 "Mut" column). */
export const IMMUTABLE_BDB_FIELDS = [
  "uid",
  "port",
  "version",
  "redis_version",
  "module_list",
  "crdt",
  "replica_read_only",
  "type",
  // UNCERTAIN (reference §2.3): no doc says whether bigstore can change; treated as immutable as recommended.
  "bigstore",
] as const;

const BDB_FIELD_SPECS: ReadonlyMap<string, FieldSpec> = specsFromDefaults(
  bdbDefaults(),
  {
    uid: { kind: "integer" },
    name: { kind: "string" },
    memory_size: { kind: "integer" },
    port: { kind: "integer" },
    proxy_policy: { kind: "string" },
    shards_placement: { kind: "string" },
    data_internode_encryption: { kind: "boolean" },
    module_list: { kind: "array" },
    version: { kind: "string" },
    redis_version: { kind: "string" },
    tags: { kind: "array" },
    enforce_client_authentication: { kind: "string" },
    authentication_admin_pass: { kind: "string" },
    // PUT only: which endpoint a proxy_policy change applies to (reference §2.3 proxy_policy row); not stored.
    endpoint: { kind: "string" },
    status: { kind: "string" },
    endpoints: { kind: "array" },
    action_uid: { kind: "string" },
    created_time: { kind: "string" },
    last_changed_time: { kind: "string" },
    shard_list: { kind: "array" },
    // *_progress are floats in REAL (0.0); JSON.parse cannot tell 0.0 from 0, so any number is accepted.
    backup_progress: { kind: "number" },
    export_progress: { kind: "number" },
    import_progress: { kind: "number" },
  },
  READ_ONLY_BDB_FIELDS,
);

/** Fields accepted in a bdb body (known fields; anything else is refused as a likely typo). */
export function knownBdbFields(): string[] {
  return [...BDB_FIELD_SPECS.keys()].sort();
}

/** What validation needs to know about the cluster, copied out of the state by the caller. */
export interface BdbValidationContext {
  /** Every other database (for uids, names and ports in use). */
  databases: readonly JsonObject[];
  /** Cluster member nodes. */
  nodes: ReadonlyArray<{ uid: number; softwareVersion: string; status: string }>;
  /** The cluster policy (defaults for new databases). */
  policy: JsonObject;
  /** cluster.reserved_ports: strings "11000" or ranges "13000-13010". */
  reservedPorts: readonly JsonValue[];
  systemReservedPorts: readonly number[];
}

/** The outcome of a valid create request: every field of the new database except identity fields. */
export interface ValidatedCreate {
  /** bdbDefaults() + policy-derived defaults + the request, normalised. */
  fields: JsonObject;
  /** The uid the client asked for, if any. */
  uid?: number;
  /** The port the client asked for, if any (the stored `port` stays 0 otherwise, as on a real cluster). */
  port?: number;
}

function oneOf<T extends string>(values: readonly T[], value: JsonValue | undefined): value is T {
  return typeof value === "string" && (values as readonly string[]).includes(value);
}

function quoteList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(", ");
}

function describeDb(name: JsonValue | undefined, uid?: JsonValue): string {
  if (uid !== undefined) return `database ${String(uid)}${typeof name === "string" ? ` ('${name}')` : ""}`;
  return typeof name === "string" ? `database '${name}'` : "the database";
}

/** Parse cluster.reserved_ports entries ("11000", "13000-13010") into inclusive ranges; bad entries are skipped. */
export function reservedPortRanges(entries: readonly JsonValue[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const entry of entries) {
    const text = String(entry).trim();
    const match = /^(\d+)(?:-(\d+))?$/.exec(text);
    if (!match) continue;
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    ranges.push([Math.min(low, high), Math.max(low, high)]);
  }
  return ranges;
}

/** The endpoint port a stored database really listens on (`port` is 0 when it was assigned automatically). */
export function endpointPort(bdb: JsonObject): number | undefined {
  const endpoints = bdb.endpoints;
  if (Array.isArray(endpoints) && isJsonObject(endpoints[0]) && typeof endpoints[0].port === "number") {
    return endpoints[0].port;
  }
  return typeof bdb.port === "number" && bdb.port > 0 ? bdb.port : undefined;
}

/** Why a database port cannot be used, or undefined when it is free. */
export function portProblem(port: number, context: BdbValidationContext, ignoreUid?: number): string | undefined {
  if (port < MIN_DB_PORT || port > MAX_DB_PORT) {
    return `port ${port} is outside the database port range ${MIN_DB_PORT}-${MAX_DB_PORT}`;
  }
  if (context.systemReservedPorts.includes(port)) return `port ${port} is reserved by the system`;
  for (const [low, high] of reservedPortRanges(context.reservedPorts)) {
    if (port >= low && port <= high) return `port ${port} is in cluster.reserved_ports (${low === high ? low : `${low}-${high}`})`;
  }
  const owner = context.databases.find((db) => db.uid !== ignoreUid && endpointPort(db) === port);
  if (owner) return `port ${port} is in use by database ${String(owner.uid)} ('${String(owner.name)}')`;
  return undefined;
}

function validateName(name: JsonValue | undefined): void {
  if (name === undefined || name === "") throw invalidConfig("missing_db_name", "a database needs a 'name'");
  if (typeof name !== "string" || !DB_NAME_PATTERN.test(name)) {
    // UNCERTAIN: the error_code of a malformed name is not documented; the rule itself is (reference §2.3).
    throw invalidConfig(
      "invalid_db_name",
      `database name '${String(name)}' is invalid: use 1-63 letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
}

function validateTags(tags: JsonValue | undefined): void {
  if (tags === undefined) return;
  if (!Array.isArray(tags)) throw invalidConfig("invalid_bdb_tags", "tags must be an array of {key, value} objects");
  const seen = new Set<string>();
  for (const tag of tags) {
    if (!isJsonObject(tag) || typeof tag.key !== "string" || typeof tag.value !== "string" || tag.key === "") {
      throw invalidConfig("invalid_bdb_tags", "every tag must be an object {\"key\": string, \"value\": string} with a non-empty key");
    }
    if (seen.has(tag.key)) throw invalidConfig("invalid_bdb_tags", `tag key '${tag.key}' appears more than once; tag keys must be unique`);
    seen.add(tag.key);
  }
}

function validateEnums(fields: JsonObject): void {
  const checks: Array<[string, readonly string[], string]> = [
    ["proxy_policy", PROXY_POLICIES, "invalid_proxy_policy"],
    ["data_persistence", DATA_PERSISTENCE_MODES, "invalid_data_persistence"],
    ["aof_policy", AOF_POLICIES, "invalid_data_persistence"],
    // No dedicated code is documented for a bad eviction policy; eviction_policy_violation is the documented
    // code closest to it. UNCERTAIN.
    ["eviction_policy", EVICTION_POLICIES, "eviction_policy_violation"],
    // UNCERTAIN: no error_code is documented for a bad tls_mode, shards_placement or type.
    ["tls_mode", TLS_MODES, "invalid_tls_mode"],
    ["shards_placement", SHARDS_PLACEMENTS, "invalid_shards_placement"],
    ["hash_slots_policy", HASH_SLOTS_POLICIES, "invalid_sharding"],
    ["type", DB_TYPES, "invalid_db_type"],
  ];
  for (const [field, allowed, code] of checks) {
    const value = fields[field];
    if (value !== undefined && !oneOf(allowed, value)) {
      throw invalidConfig(code, `${field} '${String(value)}' is not one of ${quoteList(allowed)}`);
    }
  }
}

function validateShardKeyRegex(value: JsonValue | undefined): void {
  if (!Array.isArray(value)) throw invalidConfig("invalid_sharding", "shard_key_regex must be an array of {\"regex\": string}");
  for (const rule of value) {
    if (!isJsonObject(rule) || typeof rule.regex !== "string" || rule.regex === "") {
      throw invalidConfig("invalid_sharding", "every shard_key_regex rule must be an object {\"regex\": string}");
    }
  }
}

/** Sharding rules that hold for any database, new or changed. */
function validateSharding(fields: JsonObject, label: string): void {
  validateShardKeyRegex(fields.shard_key_regex);
  const shardsCount = fields.shards_count;
  if (typeof shardsCount !== "number" || shardsCount < 1 || shardsCount > MAX_SHARDS) {
    throw invalidConfig("invalid_sharding", `${label}: shards_count must be between 1 and ${MAX_SHARDS}, got ${String(shardsCount)}`);
  }
  if (fields.sharding === true) {
    // The vendor's bdb object: the hashing rules come from oss_sharding (the OSS Cluster hashing) or from
    // shard_key_regex, so either one is enough.
    if ((fields.shard_key_regex as JsonValue[]).length === 0 && fields.oss_sharding !== true) {
      throw invalidConfig(
        "invalid_sharding",
        `${label}: sharding needs hashing rules: shard_key_regex rules, e.g. the standard ones ${STANDARD_SHARD_KEY_REGEX}, or "oss_sharding": true`,
      );
    }
  } else if (shardsCount > 1) {
    throw invalidConfig("invalid_sharding", `${label}: shards_count ${shardsCount} needs "sharding": true`);
  }
}

function moduleIsTimeseries(module: JsonValue): boolean {
  return isJsonObject(module) && typeof module.module_name === "string" && module.module_name.toLowerCase() === "timeseries";
}

function redisMajor(redisVersion: JsonValue | undefined): number {
  return typeof redisVersion === "string" ? Number(redisVersion.split(".")[0]) : 0;
}

/** OSS cluster API prerequisites (reference §2.3 oss_cluster row). */
function validateOssCluster(fields: JsonObject, label: string): void {
  if (fields.oss_cluster !== true) return;
  const problems: string[] = [];
  if (fields.hash_slots_policy !== "16k") problems.push(`hash_slots_policy must be '16k' (is '${String(fields.hash_slots_policy)}')`);
  if (fields.proxy_policy !== "all-master-shards" && fields.proxy_policy !== "all-nodes") {
    problems.push(`proxy_policy must be 'all-master-shards' or 'all-nodes' (is '${String(fields.proxy_policy)}')`);
  }
  // Redis 8 bundles TimeSeries into every database (REAL); the documented TimeSeries restriction is applied
  // only to older databases that asked for the module, so Redis 8 databases can use the OSS cluster API.
  const modules = Array.isArray(fields.module_list) ? fields.module_list : [];
  if (redisMajor(fields.redis_version) < 8 && modules.some(moduleIsTimeseries)) {
    problems.push("the TimeSeries module cannot be used with the OSS cluster API");
  }
  if (problems.length > 0) {
    throw invalidConfig("invalid_oss_cluster_configuration", `${label}: oss_cluster needs ${problems.join("; ")}`);
  }
}

function activeNodeCount(context: BdbValidationContext): number {
  return context.nodes.filter((node) => node.status === "active").length;
}

/**
 * Enabling data internode encryption needs every node at 6.2.4 or later (reference §5, §9). The real answer to
 * a mixed cluster is undocumented (UNCERTAIN): the emulator refuses with 406 and names the nodes.
 */
export function dataIneVersionError(label: string, context: BdbValidationContext): ApiError | undefined {
  const blocking = nodesBlockingDataIne(context.nodes);
  if (blocking.length === 0) return undefined;
  const list = blocking.map((node) => `node ${node.uid} runs ${node.softwareVersion}`).join(", ");
  return invalidConfig(
    "data_internode_encryption_unsupported",
    `${label}: data_internode_encryption needs every node at 6.2.4 or later, but ${list}; upgrade ${
      blocking.length === 1 ? "that node" : "those nodes"
    } first`,
  );
}

/** Resolve redis_version / version from the request or the policy default; invalid_version when unsupported. */
function resolveVersion(body: JsonObject, policy: JsonObject): { redisVersion: string; version: string } {
  const requestedRedis = body.redis_version;
  const requestedFull = body.version;
  const supported = [...REDIS_VERSIONS.entries()].map(([short, full]) => `${short} (${full})`).join(", ");
  let redisVersion: string | undefined;
  if (typeof requestedFull === "string") {
    const match = [...REDIS_VERSIONS.entries()].find(([, full]) => full === requestedFull);
    if (!match) throw invalidConfig("invalid_version", `version '${requestedFull}' is not supported; supported versions: ${supported}`);
    redisVersion = match[0];
    if (typeof requestedRedis === "string" && requestedRedis !== redisVersion) {
      throw invalidConfig("invalid_version", `version '${requestedFull}' does not match redis_version '${requestedRedis}'`);
    }
  } else if (typeof requestedRedis === "string") {
    redisVersion = requestedRedis;
  } else {
    redisVersion = String(policy.default_provisioned_redis_version ?? "");
  }
  const version = REDIS_VERSIONS.get(redisVersion);
  if (version === undefined) {
    // The real 7.4.6 cluster answered exactly this way to an unsupported redis_version ("7.2.4") (reference §10).
    throw invalidConfig("invalid_version", `redis_version '${redisVersion}' is not supported; supported versions: ${supported}`);
  }
  return { redisVersion, version };
}

function findModule(name: string): ModuleInfo | undefined {
  return AVAILABLE_MODULES.find((m) => m.module_name.toLowerCase() === name.toLowerCase());
}

/**
 * The module_list a new database gets: the requested modules (names matched without regard to case, stored
 * with the canonical name), plus, for Redis 8+, every bundled module not asked for (REAL quirk: a database
 * created without modules lists all four).
 */
function resolveModules(requested: JsonValue | undefined, type: JsonValue | undefined, redisVersion: string): JsonObject[] {
  const list = requested === undefined ? [] : requested;
  if (!Array.isArray(list)) throw schemaError("bdb: field 'module_list' must be an array");
  if (type === "memcached" && list.length > 0) {
    throw invalidConfig("memcached_cannot_use_modules", "a memcached database cannot use modules; remove module_list");
  }
  const result: JsonObject[] = [];
  for (const entry of list) {
    if (!isJsonObject(entry) || typeof entry.module_name !== "string") {
      throw schemaError("bdb: every module_list entry must be an object with a string 'module_name'");
    }
    if (entry.module_args !== undefined && typeof entry.module_args !== "string") {
      throw schemaError(`bdb: module_list entry '${entry.module_name}': module_args must be a string`);
    }
    const known = findModule(entry.module_name);
    if (!known) {
      throw invalidConfig(
        "missing_module",
        `module '${entry.module_name}' is not installed on the cluster; available: ${quoteList(AVAILABLE_MODULES.map((m) => m.module_name))}`,
      );
    }
    if (result.some((m) => m.module_name === known.module_name)) continue;
    result.push({
      module_args: typeof entry.module_args === "string" ? entry.module_args : "",
      module_id: known.module_id,
      module_name: known.module_name,
      semantic_version: known.semantic_version,
    });
  }
  if (type !== "memcached" && redisMajor(redisVersion) >= 8) {
    for (const bundled of AVAILABLE_MODULES) {
      if (!result.some((m) => m.module_name === bundled.module_name)) result.push({ module_args: "", ...bundled });
    }
  }
  return result;
}

function moduleNames(list: JsonValue | undefined): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((m) => (isJsonObject(m) && typeof m.module_name === "string" ? (findModule(m.module_name)?.module_name ?? m.module_name) : ""))
    .sort();
}

const DEFAULT_SNAPSHOT_POLICY: JsonObject[] = [{ secs: 3600, writes: 1 }];

function validateSnapshotPolicy(value: JsonValue | undefined): void {
  if (!Array.isArray(value)) throw invalidConfig("invalid_data_persistence", "snapshot_policy must be an array of {secs, writes}");
  for (const rule of value) {
    const ok = isJsonObject(rule) && Number.isInteger(rule.secs) && Number.isInteger(rule.writes) && Number(rule.secs) > 0;
    if (!ok) throw invalidConfig("invalid_data_persistence", "every snapshot_policy rule must be {\"secs\": positive integer, \"writes\": integer}");
  }
}

/** Validate POST /v1/bdbs (the bdb object; for /v2/bdbs the caller unwraps `bdb`). */
export function validateBdbCreate(rawBody: JsonValue | undefined, context: BdbValidationContext): ValidatedCreate {
  const body = requireObjectBody(rawBody, "bdb");
  const schema = checkFields(body, BDB_FIELD_SPECS, "bdb");
  if (schema) throw schema;
  if ("endpoint" in body) throw schemaError("bdb: 'endpoint' is only meaningful in an update of proxy_policy");

  validateName(body.name);
  const name = body.name as string;
  const label = `database '${name}'`;
  if (body.memory_size === undefined) throw invalidConfig("missing_memory_size", `${label} needs 'memory_size' (bytes)`);
  if ((body.memory_size as number) < 0) {
    // UNCERTAIN: the minimum memory_size and its error_code are not documented; only negative sizes are refused.
    throw invalidConfig("invalid_memory_size", `${label}: memory_size must be 0 (unlimited) or a positive number of bytes`);
  }
  validateEnums(body);
  validateTags(body.tags);

  const policy = context.policy;
  const sharding = body.sharding === true;
  const { redisVersion, version } = resolveVersion(body, policy);
  const fields: JsonObject = {
    ...bdbDefaults(),
    data_internode_encryption: policy.data_internode_encryption === true,
    db_conns_auditing: policy.db_conns_auditing === true,
    oss_cluster: policy.default_oss_cluster === true,
    proxy_policy: String(sharding ? policy.default_sharded_proxy_policy : policy.default_non_sharded_proxy_policy),
    resp3: policy.resp3_default !== false,
    shards_placement: String(policy.default_shards_placement),
    ...cloneJson(body),
  };
  fields.redis_version = redisVersion;
  fields.version = version;
  if (fields.type === "memcached" && body.eviction_policy === undefined) fields.eviction_policy = "allkeys-lru";
  fields.module_list = resolveModules(body.module_list, fields.type, redisVersion);
  if (fields.data_persistence === "snapshot" && body.snapshot_policy === undefined) {
    // UNCERTAIN: "snapshot needs snapshot_policy"; the emulator applies a default rule (hourly) instead of refusing.
    fields.snapshot_policy = cloneJson(DEFAULT_SNAPSHOT_POLICY);
  }
  validateSnapshotPolicy(fields.snapshot_policy);
  validateSharding(fields, label);
  validateOssCluster(fields, label);
  if (fields.replication === true && activeNodeCount(context) < 2) {
    throw invalidConfig(
      "invalid_replication",
      `${label}: replication needs at least 2 active nodes; the cluster has ${activeNodeCount(context)}`,
    );
  }
  if (body.port !== undefined) {
    const problem = portProblem(body.port as number, context);
    if (problem) throw invalidConfig("port_unavailable", `${label}: ${problem}; pick another port or omit 'port'`);
  }
  if (fields.data_internode_encryption === true) {
    const ine = dataIneVersionError(label, context);
    if (ine) throw ine;
  }
  if (body.uid !== undefined) {
    const uid = body.uid as number;
    if (uid < 1) throw invalidConfig("invalid_uid", `${label}: uid must be a positive integer`);
    if (context.databases.some((db) => db.uid === uid)) {
      throw new ApiError(409, "uid_exists", `a database with uid ${uid} already exists; omit 'uid' to get the next free one`);
    }
  }
  assertUniqueName(name, context);
  delete fields.uid;
  delete fields.port;
  const result: ValidatedCreate = { fields };
  if (body.uid !== undefined) result.uid = body.uid as number;
  if (body.port !== undefined) result.port = body.port as number;
  return result;
}

/**
 * UNCERTAIN (reference §2.3, §12): the docs do not say whether names must be unique. The emulator refuses a
 * duplicate with 409, because the discovery service needs unique names and the provider resolves a lost
 * create by looking the name up (two databases with one name would make that ambiguous).
 */
function assertUniqueName(name: string, context: BdbValidationContext, ignoreUid?: JsonValue): void {
  const other = context.databases.find((db) => db.name === name && db.uid !== ignoreUid);
  if (other) {
    throw new ApiError(409, "name_exists", `a database named '${name}' already exists (uid ${String(other.uid)}); database names must be unique`);
  }
}

/** Is `requested` the same module set as the stored one, once Redis 8's bundled modules are accounted for? */
function sameModules(requested: JsonValue, current: JsonObject): boolean {
  if (!Array.isArray(requested)) return false;
  const stored = moduleNames(current.module_list);
  let wanted = moduleNames(requested);
  if (current.type !== "memcached" && redisMajor(current.redis_version) >= 8) {
    wanted = [...new Set([...wanted, ...AVAILABLE_MODULES.map((m) => m.module_name)])].sort();
  }
  return jsonEqual(stored, wanted);
}

/** Validate PUT /v1/bdbs/{uid}; returns the changes to apply (only fields whose value differs). */
export function validateBdbUpdate(rawBody: JsonValue | undefined, current: JsonObject, context: BdbValidationContext): JsonObject {
  const body = requireObjectBody(rawBody, `bdb ${String(current.uid)}`);
  const label = describeDb(current.name, current.uid);
  const schema = checkFields(body, BDB_FIELD_SPECS, `bdb ${String(current.uid)}`, current);
  if (schema) throw schema;

  const changes: JsonObject = {};
  for (const [field, value] of Object.entries(body)) {
    if (field === "endpoint") continue;
    if (BDB_FIELD_SPECS.get(field)?.readOnly) continue;
    if (!jsonEqual(current[field], value)) changes[field] = cloneJson(value);
  }
  for (const field of IMMUTABLE_BDB_FIELDS) {
    if (!(field in changes)) continue;
    if (field === "module_list" && sameModules(changes.module_list as JsonValue, current)) {
      delete changes.module_list;
      continue;
    }
    // A client that echoes the real port of an automatically placed database is not asking for a change.
    if (field === "port" && changes.port === endpointPort(current)) {
      delete changes.port;
      continue;
    }
    const hint =
      field === "version" || field === "redis_version"
        ? "; upgrade with POST /v1/bdbs/{uid}/upgrade instead"
        : field === "module_list"
          ? "; capabilities cannot be added or removed after creation"
          : "; it can only be set when the database is created";
    // UNCERTAIN: the error_code for a change to a create-only field is not documented.
    throw invalidConfig("immutable_field", `${label}: '${field}' cannot be changed${hint}`);
  }
  if ("name" in changes) {
    if (current.crdt === true) throw invalidConfig("name_violation", `${label}: the name of an Active-Active database cannot change`);
    validateName(changes.name);
    assertUniqueName(changes.name as string, context, current.uid);
  }
  if (changes.memory_size !== undefined && (changes.memory_size as number) < 0) {
    throw invalidConfig("invalid_memory_size", `${label}: memory_size must be 0 (unlimited) or a positive number of bytes`);
  }
  validateEnums(changes);
  validateTags(changes.tags);

  if (current.sharding === true && changes.sharding === false) {
    throw invalidConfig("invalid_sharding", `${label}: sharding cannot be turned off once enabled; create a new database instead`);
  }
  if (changes.shards_count !== undefined) {
    const from = current.shards_count as number;
    const to = changes.shards_count as number;
    if (to < from) throw invalidConfig("invalid_sharding", `${label}: shards_count cannot shrink (from ${from} to ${to})`);
    if (to % from !== 0) {
      throw invalidConfig("invalid_sharding", `${label}: shards_count can only grow by a multiple of the current count ${from} (asked ${to})`);
    }
  }
  const merged: JsonObject = { ...cloneJson(current), ...cloneJson(changes) };
  if (changes.data_persistence === "snapshot" && changes.snapshot_policy === undefined && Array.isArray(merged.snapshot_policy) && merged.snapshot_policy.length === 0) {
    changes.snapshot_policy = cloneJson(DEFAULT_SNAPSHOT_POLICY);
    merged.snapshot_policy = cloneJson(DEFAULT_SNAPSHOT_POLICY);
  }
  validateSnapshotPolicy(merged.snapshot_policy);
  validateSharding(merged, label);
  validateOssCluster(merged, label);
  if (changes.replication === true && activeNodeCount(context) < 2) {
    throw invalidConfig(
      "replication_node_violation",
      `${label}: replication needs at least 2 active nodes; the cluster has ${activeNodeCount(context)}`,
    );
  }
  if (changes.data_internode_encryption === true) {
    const ine = dataIneVersionError(label, context);
    if (ine) throw ine;
  }
  return changes;
}
