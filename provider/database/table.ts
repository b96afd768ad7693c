// The Database property table: one row per property, the single source of truth for validation, diff,
// payloads, read, notes, the disruption gate and the README. Facts and their sources:
// ../shared/reference/rs-rest-api.md §2 (bdb fields) and §8 (what affects client connections).

import { createHash } from "node:crypto";
import {
  type ChangeCase,
  type CheckFailure,
  compareSoftwareVersions,
  parseSoftwareVersion,
  renderCompact,
  type CrossRule,
  type JsonObject,
  type Parsed,
  type PropertyTable,
  type Schema,
  booleanSchema,
  byteSizeSchema,
  deepEqual,
  enumSchema,
  field,
  integerSchema,
  invalid,
  isPlainObject,
  listSchema,
  objectSchema,
  ok,
  optionalField,
  refine,
  rowBuilder,
  schema,
  stringSchema,
} from "../core";
import type {
  AofPolicy,
  DataPersistence,
  DatabaseModule,
  DatabaseProperties,
  EvictionPolicy,
  LiveDatabase,
  NodeVersionInfo,
  ProxyPolicy,
  SnapshotRule,
  TlsMode,
} from "./types";

/** Data internode encryption needs every node at this version or later (RS/security/encryption/internode-encryption.md). */
export const INE_MINIMUM_VERSION = "6.2.4";

export const PROXY_POLICIES: readonly ProxyPolicy[] = ["single", "all-master-shards", "all-nodes"];
export const DATA_PERSISTENCE_MODES: readonly DataPersistence[] = ["disabled", "snapshot", "aof"];
export const AOF_POLICIES: readonly AofPolicy[] = ["appendfsync-every-sec", "appendfsync-always"];
export const EVICTION_POLICIES: readonly EvictionPolicy[] = [
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
];
export const TLS_MODES: readonly TlsMode[] = ["enabled", "disabled", "replica_ssl"];

/** The standard hashing policy (RS/databases/durability-ha/clustering.md). */
export const STANDARD_SHARD_KEY_REGEX: readonly string[] = [".*\\{(?<tag>.*)\\}.*", "(?<tag>.*)"];

/** Database name rule (RS/databases/configure/_index.md): letters, digits, '-', alphanumeric ends, max 63. */
export const DATABASE_NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Ports the cluster never gives a database: 10050 is Zabbix (RS/networking/port-configurations.md). */
export const RESERVED_DATABASE_PORTS: readonly number[] = [10050];

// ---- Reading the live object defensively: real answers mix numbers and numeric strings (rs-rest-api.md §6).

function liveNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function liveBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "enabled") return true;
  if (value === "false" || value === "disabled") return false;
  return undefined;
}

function liveString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function liveEnum<T extends string>(values: readonly T[], value: unknown): T | undefined {
  return typeof value === "string" && (values as readonly string[]).includes(value) ? (value as T) : undefined;
}

function liveList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The first endpoint, where the real port and addresses live (the top-level port is 0 when auto-assigned). */
export function firstEndpoint(live: LiveDatabase): Record<string, unknown> | undefined {
  const endpoints = live.endpoints;
  return Array.isArray(endpoints) && isPlainObject(endpoints[0]) ? endpoints[0] : undefined;
}

// ---- Canonical forms.

const PEM_BLOCK = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----$/;

/** One PEM certificate with LF line ends, 64-column base64 and a final newline; undefined when not one PEM. */
export function normalisePem(text: string): string | undefined {
  const match = PEM_BLOCK.exec(text.trim());
  if (!match) return undefined;
  const body = match[1].replace(/\s+/g, "");
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** "sha256:<first 16 hex digits>" of the certificate's DER bytes: enough to tell certificates apart in a note. */
export function certificateFingerprint(pem: string): string {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  return `sha256:${createHash("sha256").update(Buffer.from(body, "base64")).digest("hex").slice(0, 16)}`;
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function sortSnapshotRules(rules: readonly SnapshotRule[]): SnapshotRule[] {
  return [...rules].sort((a, b) => a.secs - b.secs || a.writes - b.writes);
}

function sortModules(modules: readonly DatabaseModule[]): DatabaseModule[] {
  // Code-unit order, not localeCompare: the canonical form must not depend on the machine's locale.
  const key = (module: DatabaseModule) => module.name.toLowerCase();
  return [...modules].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// Object.fromEntries defines own properties, so even a key like "__proto__" stays an ordinary tag.
function sortTags(tags: Iterable<readonly [string, string]>): Record<string, string> {
  return Object.fromEntries([...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** "MAJOR.MINOR" from "8.0", "8.0.0" or "7.4.2-54"; undefined otherwise. */
export function majorMinor(version: string): string | undefined {
  const match = /^(\d{1,4})\.(\d{1,4})(?:[.-].*)?$/.exec(version.trim());
  return match ? `${Number(match[1])}.${Number(match[2])}` : undefined;
}

/** A syntactically valid PEM block with a body derived from `seed` (for the generators' samples). */
function samplePemBlock(seed: string): string {
  return normalisePem(`-----BEGIN CERTIFICATE-----\n${Buffer.from(`sample certificate ${seed} `.repeat(3)).toString("base64")}\n-----END CERTIFICATE-----`) ?? "";
}

// ---- Schemas that need more than the generic builders.

const snapshotRuleSchema = objectSchema({
  secs: field(integerSchema({ min: 1 })),
  writes: field(integerSchema({ min: 0 })),
});

const moduleSchema = objectSchema({
  name: field(stringSchema({ minLength: 1 })),
  args: optionalField(stringSchema()),
});

const modulesSchema: Schema<DatabaseModule[]> = refine(listSchema(moduleSchema), (modules): Parsed<DatabaseModule[]> => {
  const seen = new Set<string>();
  for (const [index, module] of modules.entries()) {
    const key = module.name.toLowerCase();
    if (seen.has(key)) return invalid(`names the module "${module.name}" twice; each module may appear once (names are case-insensitive)`, module.name, `[${index}].name`);
    seen.add(key);
  }
  return ok(sortModules(modules.map((module) => (module.args === undefined ? { name: module.name } : { name: module.name, args: module.args }))));
});

const pemListSchema: Schema<string[]> = refine(listSchema(stringSchema({ minLength: 1 })), (pems): Parsed<string[]> => {
  const normalised: string[] = [];
  for (const [index, pem] of pems.entries()) {
    const canonical = normalisePem(pem);
    if (!canonical) return invalid("must be one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)", `${pem.slice(0, 40)}...`, `[${index}]`);
    if (normalised.includes(canonical)) return invalid("repeats a certificate; each certificate may appear once (the server rejects duplicated_certs)", certificateFingerprint(canonical), `[${index}]`);
    normalised.push(canonical);
  }
  return ok(normalised.sort());
}, "list of PEM certificates", {
  // Random strings are not certificates: the generators take these samples (valid PEM blocks) instead.
  kind: "custom",
  inputType: "string[]",
  outputType: "string[]",
  samples: [[], [samplePemBlock("a")], [samplePemBlock("b"), samplePemBlock("c")]],
});

const shardKeyRegexSchema: Schema<string[]> = refine(
  // Up to 32 rules of up to 256 characters each (RS/databases/durability-ha/clustering.md).
  listSchema(stringSchema({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 32 }),
  (rules): Parsed<string[]> => {
    const index = rules.findIndex((rule) => !rule.includes("(?<tag>"));
    return index === -1 ? ok(rules) : invalid('must capture the hashed part in a group named "tag", e.g. "user:(?<tag>.*)"', rules[index], `[${index}]`);
  },
  "list (1-32) of regular expressions (max 256 characters) with a `(?<tag>...)` group",
  // Every rule needs a named group `tag`, which random strings never have: valid samples for the generators.
  { kind: "custom", inputType: "string[]", outputType: "string[]", samples: [[...STANDARD_SHARD_KEY_REGEX], ["user:(?<tag>.*)"], ["(?<tag>[^:]*):.*", "(?<tag>.*)"]] },
);

const tagEntrySchema = objectSchema({ key: field(stringSchema({ minLength: 1 })), value: field(stringSchema()) });

/** Tags as a record, or as the REST-style list [{key, value}] (where a repeated key is an error). */
const tagsSchema: Schema<Record<string, string>> = schema("record of string -> string", (input) => {
  if (Array.isArray(input)) {
    const parsed = listSchema(tagEntrySchema).parse(input);
    if (!parsed.ok) return parsed;
    const record = new Map<string, string>();
    for (const [index, entry] of parsed.value.entries()) {
      if (record.has(entry.key)) return invalid(`has the key "${entry.key}" twice; tag keys must be unique`, entry.key, `[${index}].key`);
      record.set(entry.key, entry.value);
    }
    return ok(sortTags(record));
  }
  if (!isPlainObject(input)) return invalid('must be a record of string values, e.g. { team: "payments" }', input);
  for (const [key, value] of Object.entries(input)) {
    if (key === "") return invalid("must not have an empty key", input);
    if (typeof value !== "string") return invalid("must have string values", value, `.${key}`);
  }
  return ok(sortTags(Object.entries(input as Record<string, string>)));
}, { kind: "record", values: { kind: "string" } });

const redisVersionSchema: Schema<string> = refine(
  stringSchema({ pattern: /^\d{1,4}\.\d{1,4}$/, patternHint: 'MAJOR.MINOR, e.g. "7.4" or "8.0"; the server rejects "7.2.4"', display: 'string "MAJOR.MINOR"' }),
  (version) => ok(majorMinor(version) ?? version),
);

// ---- Change cases shared by several rows.

function inPlace<V>(impact: ChangeCase<V>["impact"] = "none"): readonly ChangeCase<V>[] {
  return [{ mode: "in-place", impact }];
}

const row = rowBuilder<DatabaseProperties, LiveDatabase>();

// Each row's errorCodes: the POST and PUT error codes of D/requests/bdbs/_index.md (rs-rest-api.md §2.2) that
// refuse that property's value, so a refusal at preview (a dry run) names the property. UNCERTAIN: the docs list
// the codes without saying what each refuses; name_exists and invalid_db_name are not in the list (the emulator's,
// and item 1 of the reliability issue saw name_exists) and are kept because a refused name has no other code.
const nameRow = row({
  name: "name",
  restField: "name",
  schema: stringSchema({ minLength: 1, maxLength: 63, pattern: DATABASE_NAME_PATTERN, patternHint: "letters, digits and '-', starting and ending with a letter or digit", display: "string, max 63" }),
  description: "Database name, unique in the cluster by convention; case-sensitive",
  source: "RS/databases/configure/_index.md; D/objects/bdb/_index.md",
  toRest: (value) => ({ name: value }),
  fromRest: (live) => liveString(live.name),
  changes: inPlace(),
  errorCodes: ["name_exists", "invalid_db_name", "missing_db_name", "name_violation"],
});

const memorySizeRow = row({
  name: "memorySize",
  restField: "memory_size",
  schema: byteSizeSchema(),
  description: "Memory limit in bytes for all shards and replicas",
  notes: '"1GB" = 1073741824 (1024-based, as in Redis and the RS UI)',
  source: "D/objects/bdb/_index.md; RS/databases/configure/_index.md",
  toRest: (value) => ({ memory_size: value }),
  fromRest: (live) => liveNumber(live.memory_size),
  changes: inPlace(),
  errorCodes: ["missing_memory_size", "insufficient_resources"],
});

const portRow = row({
  name: "port",
  restField: "port",
  readsAlso: ["endpoints"],
  schema: integerSchema({ min: 10000, max: 19999, excluded: RESERVED_DATABASE_PORTS }),
  description: "Endpoint port; assigned by the cluster when omitted",
  notes: "Read from endpoints[0].port: the top-level port is 0 when the cluster assigned it",
  source: "RS/databases/configure/_index.md; RS/networking/port-configurations.md; REAL bdb_single.json",
  toRest: (value) => ({ port: value }),
  fromRest: (live) => {
    const endpointPort = liveNumber(firstEndpoint(live)?.port);
    if (endpointPort !== undefined && endpointPort > 0) return endpointPort;
    const port = liveNumber(live.port);
    return port !== undefined && port > 0 ? port : undefined;
  },
  changes: [
    {
      mode: "replace",
      impact: "replaces-resource",
      reason: "the port cannot change after the database is created, so the database is deleted first and created again on the new port (two databases cannot share a port)",
    },
  ],
  errorCodes: ["port_unavailable"],
});

const replicationRow = row({
  name: "replication",
  restField: "replication",
  schema: booleanSchema(),
  description: "In-memory replica of every shard; needs at least 2 nodes",
  source: "D/objects/bdb/_index.md",
  toRest: (value) => ({ replication: value }),
  fromRest: (live) => liveBoolean(live.replication),
  changes: inPlace(),
  errorCodes: ["invalid_replication", "replication_violation", "replication_node_violation", "replication_size_violation"],
});

const shardingRow = row({
  name: "sharding",
  restField: "sharding",
  schema: booleanSchema(),
  description: "Database clustering over several shards",
  notes: "Enabling it without shardKeyRegex also sends the standard hashing rules, which the server requires; turning sharding on is not documented to affect clients",
  source: "RS/databases/durability-ha/clustering.md; D/objects/bdb/_index.md",
  toRest: (value, inputs): JsonObject => (value && inputs.shardKeyRegex === undefined ? { sharding: true, shard_key_regex: STANDARD_SHARD_KEY_REGEX.map((regex) => ({ regex })) } : { sharding: value }),
  fromRest: (live) => liveBoolean(live.sharding),
  changes: [
    { label: "`true -> false`", when: (old, next) => old === true && !next, mode: "refused", impact: "none", reason: "sharding cannot be turned off once enabled; create a new database and migrate" },
    { label: "`false -> true`", mode: "in-place", impact: "none" },
  ],
});

const shardsCountRow = row({
  name: "shardsCount",
  restField: "shards_count",
  schema: integerSchema({ min: 1, max: 512 }),
  description: "Number of primary shards; above 1 needs sharding",
  notes: "Resharding migrates shards; connected clients are not disconnected (RS/databases/migrate-shards.md)",
  source: "RS/databases/durability-ha/clustering.md",
  toRest: (value) => ({ shards_count: value }),
  fromRest: (live) => liveNumber(live.shards_count),
  changes: [
    { label: "shrinks", when: (old, next) => old !== undefined && next < old, mode: "refused", impact: "none", reason: "the shard count can never shrink; create a new database with fewer shards and migrate" },
    { label: "grows by a non-multiple", when: (old, next) => old !== undefined && next % old !== 0, mode: "refused", impact: "none", reason: "the shard count can only grow by a multiple of the current count (e.g. 3 -> 6, 9 or 12)" },
    { label: "grows by a multiple", mode: "in-place", impact: "none" },
  ],
  errorCodes: ["invalid_sharding", "bad_shards_blueprint"],
});

const shardKeyRegexRow = row({
  name: "shardKeyRegex",
  restField: "shard_key_regex",
  schema: shardKeyRegexSchema,
  description: "Custom hashing policy: regular expressions, in order, each with a `tag` group",
  notes: "Order matters. An empty live list (a non-sharded database) reads as unset",
  source: "RS/databases/durability-ha/clustering.md; D/requests/bdbs/_index.md",
  toRest: (value) => ({ shard_key_regex: value.map((regex) => ({ regex })) }),
  fromRest: (live) => {
    const rules = liveList(live.shard_key_regex)
      .map((rule) => (isPlainObject(rule) ? liveString(rule.regex) : liveString(rule)))
      .filter((rule): rule is string => rule !== undefined);
    return rules.length > 0 ? rules : undefined;
  },
  changes: inPlace("flushes-data"),
});

const proxyPolicyRow = row({
  name: "proxyPolicy",
  restField: "proxy_policy",
  readsAlso: ["endpoints"],
  schema: enumSchema(PROXY_POLICIES),
  description: "Which nodes run a proxy for the endpoint",
  // Not documented either way: no page says a proxy-policy change drops clients (rs-rest-api.md §8).
  notes: "The effect of a change on connected clients is not documented either way",
  source: "RS/databases/configure/proxy-policy.md",
  toRest: (value) => ({ proxy_policy: value }),
  fromRest: (live) => liveEnum(PROXY_POLICIES, live.proxy_policy) ?? liveEnum(PROXY_POLICIES, firstEndpoint(live)?.proxy_policy),
  changes: inPlace(),
  errorCodes: ["invalid_proxy_policy"],
});

const dataPersistenceRow = row({
  name: "dataPersistence",
  restField: "data_persistence",
  schema: enumSchema(DATA_PERSISTENCE_MODES),
  description: "Persistence to disk",
  notes: "A switch can take time",
  source: "RS/databases/configure/database-persistence.md",
  toRest: (value) => ({ data_persistence: value }),
  fromRest: (live) => liveEnum(DATA_PERSISTENCE_MODES, live.data_persistence),
  changes: inPlace(),
  errorCodes: ["invalid_data_persistence"],
});

const aofPolicyRow = row({
  name: "aofPolicy",
  restField: "aof_policy",
  schema: enumSchema(AOF_POLICIES),
  description: "AOF fsync policy (with dataPersistence aof)",
  source: "D/objects/bdb/_index.md; RS/databases/configure/database-persistence.md",
  toRest: (value) => ({ aof_policy: value }),
  fromRest: (live) => liveEnum(AOF_POLICIES, live.aof_policy),
  changes: inPlace(),
});

const snapshotPolicyRow = row({
  name: "snapshotPolicy",
  restField: "snapshot_policy",
  schema: refine(listSchema(snapshotRuleSchema), (rules) => ok(sortSnapshotRules(rules)), "list of { secs: integer >= 1; writes: integer >= 0 }"),
  description: "Snapshot rules (with dataPersistence snapshot)",
  notes: "Compared without regard to order",
  source: "D/objects/bdb/snapshot_policy.md; RS/databases/configure/database-persistence.md",
  toRest: (value) => ({ snapshot_policy: value.map((rule) => ({ secs: rule.secs, writes: rule.writes })) }),
  fromRest: (live) => {
    const rules: SnapshotRule[] = [];
    for (const rule of liveList(live.snapshot_policy)) {
      const secs = isPlainObject(rule) ? liveNumber(rule.secs) : undefined;
      const writes = isPlainObject(rule) ? liveNumber(rule.writes) : undefined;
      if (secs === undefined || writes === undefined) return undefined;
      rules.push({ secs, writes });
    }
    return live.snapshot_policy === undefined || Array.isArray(live.snapshot_policy) ? sortSnapshotRules(rules) : undefined;
  },
  changes: inPlace(),
});

const evictionPolicyRow = row({
  name: "evictionPolicy",
  restField: "eviction_policy",
  schema: enumSchema(EVICTION_POLICIES),
  description: "Which keys are evicted when memory is full",
  source: "D/objects/bdb/_index.md",
  toRest: (value) => ({ eviction_policy: value }),
  fromRest: (live) => liveEnum(EVICTION_POLICIES, live.eviction_policy),
  changes: inPlace(),
  errorCodes: ["eviction_policy_violation"],
});

const passwordRow = row({
  name: "password",
  restField: "authentication_redis_pass",
  schema: stringSchema(),
  secret: true,
  description: "Password of the default user",
  // Existing connections stay authenticated unless the bdb's disconnect_clients_on_password_removal is on
  // (default false), which this provider does not set.
  notes: "Existing connections stay authenticated (unless disconnect_clients_on_password_removal is set). Deprecated field since RS 7.2 (multiple passwords), still honoured. Recorded in outputs only when declared",
  source: "D/objects/bdb/_index.md; D/objects/cluster/_index.md",
  toRest: (value) => ({ authentication_redis_pass: value }),
  fromRest: (live) => liveString(live.authentication_redis_pass),
  changes: inPlace(),
  errorCodes: ["invalid_sasl_credentials"],
});

const tlsModeRow = row({
  name: "tlsMode",
  restField: "tls_mode",
  schema: enumSchema(TLS_MODES),
  description: "TLS for client connections (replica_ssl: replication only)",
  source: "RS/security/encryption/tls/enable-tls.md",
  toRest: (value) => ({ tls_mode: value }),
  fromRest: (live) => liveEnum(TLS_MODES, live.tls_mode),
  changes: inPlace("new-connections-only"),
});

const enforceClientAuthenticationRow = row({
  name: "enforceClientAuthentication",
  restField: "enforce_client_authentication",
  readsAlso: ["tls_mode"],
  schema: booleanSchema(),
  description: "Require client certificates (mTLS)",
  notes: 'Sent as "enabled"/"disabled". Absent from a live database without TLS, which reads as false',
  source: "D/objects/bdb/_index.md; RS/security/encryption/tls/enable-tls.md; REAL bdb_single.json",
  toRest: (value) => ({ enforce_client_authentication: value ? "enabled" : "disabled" }),
  fromRest: (live) => {
    const value = liveBoolean(live.enforce_client_authentication);
    if (value !== undefined) return value;
    // Absent: without TLS nothing is enforced; with TLS the documented default is "enabled".
    const tls = liveEnum(TLS_MODES, live.tls_mode);
    return tls !== undefined && tls !== "disabled";
  },
  changes: inPlace("new-connections-only"),
});

const clientCertificatesRow = row({
  name: "clientCertificates",
  restField: "authentication_ssl_client_certs",
  schema: pemListSchema,
  description: "Trusted client certificates (PEM), sent as [{client_cert}]",
  notes: "Compared as a set of normalised PEMs; notes show SHA-256 fingerprints",
  source: "D/objects/bdb/_index.md; RS/security/encryption/tls/enable-tls.md",
  toRest: (value) => ({ authentication_ssl_client_certs: value.map((pem) => ({ client_cert: pem })) }),
  fromRest: (live) => {
    const pems: string[] = [];
    for (const entry of liveList(live.authentication_ssl_client_certs)) {
      const text = isPlainObject(entry) ? liveString(entry.client_cert) : liveString(entry);
      const pem = text === undefined ? undefined : normalisePem(text);
      if (pem !== undefined) pems.push(pem);
    }
    // Absent means none, as for tags; any other non-list is unreadable.
    return live.authentication_ssl_client_certs === undefined || Array.isArray(live.authentication_ssl_client_certs) ? sortedUnique(pems) : undefined;
  },
  display: (value) => value.map(certificateFingerprint),
  changes: inPlace("new-connections-only"),
  errorCodes: ["invalid_certificate", "certificate_expired", "duplicated_certs"],
});

const ossClusterRow = row({
  name: "ossCluster",
  restField: "oss_cluster",
  schema: booleanSchema(),
  description: "OSS Cluster API (cluster-aware clients connect to shards' proxies directly)",
  source: "RS/databases/configure/oss-cluster-api.md",
  toRest: (value) => ({ oss_cluster: value }),
  fromRest: (live) => liveBoolean(live.oss_cluster),
  changes: inPlace("new-connections-only"),
  errorCodes: ["invalid_oss_cluster_configuration"],
});

const resp3Row = row({
  name: "resp3",
  restField: "resp3",
  schema: booleanSchema(),
  description: "RESP3 protocol support",
  source: "RS/references/compatibility/resp.md",
  toRest: (value) => ({ resp3: value }),
  fromRest: (live) => liveBoolean(live.resp3),
  changes: [
    // An unknown old value counts as "on" (the server default), so turning it off is never under-reported.
    { label: "`true -> false`", when: (old, next) => old !== false && next === false, mode: "in-place", impact: "disconnects-resp3-clients" },
    { label: "`false -> true`", mode: "in-place", impact: "none" },
  ],
});

const modulesRow = row({
  name: "modules",
  restField: "module_list",
  schema: modulesSchema,
  description: "Modules (capabilities) chosen at creation, sent as [{module_name, module_args}]",
  notes: "Declared names must be present live (case-insensitive); modules the server bundles (Redis 8: search, ReJSON, timeseries, bf) are not drift. Declared args are compared, omitted args are not",
  source: "RS/databases/configure/_index.md (Capabilities); RS/databases/create.md; REAL bdb_single.json",
  toRest: (value) => ({ module_list: value.map((module) => ({ module_name: module.name, module_args: module.args ?? "" })) }),
  fromRest: (live) => {
    if (!Array.isArray(live.module_list)) return undefined;
    const modules: DatabaseModule[] = [];
    for (const entry of live.module_list) {
      const name = isPlainObject(entry) ? liveString(entry.module_name) : undefined;
      if (name === undefined || !isPlainObject(entry)) continue;
      const args = liveString(entry.module_args);
      modules.push(args ? { name, args } : { name });
    }
    return sortModules(modules);
  },
  equals: (declared, live) =>
    declared.every((module) => {
      const match = live.find((candidate) => candidate.name.toLowerCase() === module.name.toLowerCase());
      return match !== undefined && (module.args === undefined || module.args === (match.args ?? ""));
    }),
  changes: [{ mode: "refused", impact: "none", reason: "modules can only be chosen when the database is created; create a new database with the modules and migrate" }],
  errorCodes: ["missing_module", "memcached_cannot_use_modules", "unsupported_module_capabilities"],
});

const redisVersionRow = row({
  name: "redisVersion",
  restField: "redis_version",
  readsAlso: ["version"],
  schema: redisVersionSchema,
  description: "Redis version, MAJOR.MINOR",
  notes: "Compared on MAJOR.MINOR with redis_version (falling back to version)",
  source: "D/objects/bdb/_index.md; D/requests/bdbs/upgrade.md",
  toRest: (value) => ({ redis_version: value }),
  fromRest: (live) => {
    for (const candidate of [live.redis_version, live.version]) {
      const version = typeof candidate === "string" ? majorMinor(candidate) : undefined;
      if (version !== undefined) return version;
    }
    return undefined;
  },
  changes: [
    {
      mode: "refused",
      impact: "none",
      reason: "the version changes only through an upgrade (POST /v1/bdbs/{uid}/upgrade), which this provider does not manage yet; upgrade the database with rladmin or the REST API, run pulumi refresh, then declare the new version",
    },
  ],
  errorCodes: ["invalid_version"],
});

const tagsRow = row({
  name: "tags",
  restField: "tags",
  schema: tagsSchema,
  description: "Tags, sent as [{key, value}]",
  notes: "Compared without regard to order; a list [{key, value}] is accepted as input too",
  source: "D/objects/bdb/_index.md",
  toRest: (value) => ({ tags: Object.entries(value).map(([key, tagValue]) => ({ key, value: tagValue })) }),
  fromRest: (live) => {
    // A real answer without tags has no tags field at all (bdb_single.json): that is "no tags".
    if (live.tags === undefined) return {};
    if (!Array.isArray(live.tags)) return undefined;
    const tags = new Map<string, string>();
    for (const entry of live.tags) {
      if (isPlainObject(entry) && typeof entry.key === "string" && typeof entry.value === "string") tags.set(entry.key, entry.value);
    }
    return sortTags(tags);
  },
  changes: inPlace(),
  errorCodes: ["invalid_bdb_tags"],
});

const dataInternodeEncryptionRow = row({
  name: "dataInternodeEncryption",
  restField: "data_internode_encryption",
  schema: booleanSchema(),
  description: "Encrypt this database's data-plane traffic between nodes (RS 6.2.4+, TCP 3342 open between nodes)",
  notes:
    "When omitted: the cluster policy applies at creation and the provider never touches it. " +
    "Turning it on needs TCP 3342 open between every pair of nodes, which the product does not check: declare an InternodeFirewall and make the database depend on it",
  source: "RS/security/encryption/internode-encryption.md",
  toRest: (value) => ({ data_internode_encryption: value }),
  fromRest: (live) => liveBoolean(live.data_internode_encryption),
  changes: [{ label: "either way", mode: "in-place", impact: "disconnects-all-clients" }],
  // The node-version gate, declared once: the life cycle evaluates it at check (best effort), create, update and
  // adopt, always against this row's own reading of the live value (so a live "enabled" counts as on).
  precondition: {
    description: `every node at ${INE_MINIMUM_VERSION} or later and active`,
    facts: ["nodes"],
    applies: (old, next) => next === true && old !== true,
    check: (facts, { label }) => ineNodeFailures(label, Array.isArray(facts.nodes) ? (facts.nodes as NodeVersionInfo[]) : []),
  },
});

/**
 * A failure for every node below INE_MINIMUM_VERSION, every node whose version cannot be read, and every node
 * that is not active: what turning data internode encryption on needs.
 */
function ineNodeFailures(label: string, nodes: readonly NodeVersionInfo[]): CheckFailure[] {
  const minimum = parseSoftwareVersion(INE_MINIMUM_VERSION);
  if (!minimum) throw new Error(`INE_MINIMUM_VERSION "${INE_MINIMUM_VERSION}" does not parse`);
  const failures: CheckFailure[] = [];
  const fail = (reason: string) => failures.push({ property: "dataInternodeEncryption", reason: `${label}: dataInternodeEncryption: true ${reason}` });
  for (const node of nodes) {
    const version = parseSoftwareVersion(node.softwareVersion);
    if (!version) {
      fail(`needs every node at ${INE_MINIMUM_VERSION} or later, and node ${node.uid} reports the software version ${renderCompact(node.softwareVersion)}, which cannot be read as MAJOR.MINOR.PATCH-BUILD; check GET /v1/nodes/${node.uid}`);
    } else if (compareSoftwareVersions(version, minimum) < 0) {
      fail(`needs every node at ${INE_MINIMUM_VERSION} or later, and node ${node.uid} runs ${node.softwareVersion}; upgrade the node, then apply again`);
    }
    if (node.status !== "active") {
      fail(`needs every node active, and node ${node.uid} is "${node.status}"; wait until it is active (or remove it from the cluster), then apply again`);
    }
  }
  return failures;
}

const DATABASE_ROWS = [
  nameRow,
  memorySizeRow,
  portRow,
  replicationRow,
  shardingRow,
  shardsCountRow,
  shardKeyRegexRow,
  proxyPolicyRow,
  dataPersistenceRow,
  aofPolicyRow,
  snapshotPolicyRow,
  evictionPolicyRow,
  passwordRow,
  tlsModeRow,
  enforceClientAuthenticationRow,
  clientCertificatesRow,
  ossClusterRow,
  resp3Row,
  modulesRow,
  redisVersionRow,
  tagsRow,
  dataInternodeEncryptionRow,
] as const;

// Compile-time completeness: every DatabaseProperties key has a row (and rows name only real keys).
type MissingRows = Exclude<keyof DatabaseProperties, (typeof DATABASE_ROWS)[number]["name"]>;
const everyPropertyHasARow: [MissingRows] extends [never] ? true : MissingRows = true;
void everyPropertyHasARow;

// ---- Rules between properties.

type Rule = CrossRule<DatabaseProperties>;

const OSS_CLUSTER_PROXY_POLICIES: readonly ProxyPolicy[] = ["all-master-shards", "all-nodes"];
// Modules the OSS Cluster API cannot run with (RS/databases/configure/oss-cluster-api.md): TimeSeries, Gears.
const OSS_CLUSTER_INCOMPATIBLE_MODULES: readonly string[] = ["timeseries", "rg"];

const DATABASE_RULES: readonly Rule[] = [
  {
    property: "shardKeyRegex",
    involves: ["shardKeyRegex", "sharding"],
    description: "needs `sharding: true` (a hashing policy applies only to a sharded database)",
    check: (inputs) =>
      inputs.shardKeyRegex !== undefined && inputs.sharding !== true
        ? "shardKeyRegex needs sharding: true (a hashing policy applies only to a sharded database); declare sharding: true or remove shardKeyRegex"
        : undefined,
  },
  {
    property: "shardsCount",
    involves: ["shardsCount", "sharding"],
    description: "above 1 needs `sharding: true`",
    check: (inputs) =>
      inputs.shardsCount !== undefined && inputs.shardsCount > 1 && inputs.sharding !== true
        ? `shardsCount ${inputs.shardsCount} needs sharding: true; declare sharding: true or set shardsCount to 1`
        : undefined,
  },
  {
    property: "ossCluster",
    involves: ["ossCluster", "proxyPolicy"],
    description: "`true` needs `proxyPolicy` `all-master-shards` or `all-nodes` (when declared)",
    check: (inputs) =>
      inputs.ossCluster === true && inputs.proxyPolicy !== undefined && !OSS_CLUSTER_PROXY_POLICIES.includes(inputs.proxyPolicy)
        ? `ossCluster: true needs proxyPolicy "all-master-shards" or "all-nodes"; got "${inputs.proxyPolicy}"`
        : undefined,
  },
  {
    property: "ossCluster",
    involves: ["ossCluster", "shardKeyRegex"],
    description: "`true` needs the standard hashing policy (no custom `shardKeyRegex`)",
    check: (inputs) =>
      inputs.ossCluster === true && inputs.shardKeyRegex !== undefined && !deepEqual(inputs.shardKeyRegex, STANDARD_SHARD_KEY_REGEX)
        ? "ossCluster: true needs the standard hashing policy; remove shardKeyRegex or set it to the standard rules"
        : undefined,
  },
  {
    property: "ossCluster",
    involves: ["ossCluster", "modules"],
    description: "`true` cannot run with the TimeSeries or Gears modules (when declared)",
    check: (inputs) => {
      const conflict = inputs.ossCluster === true ? inputs.modules?.find((module) => OSS_CLUSTER_INCOMPATIBLE_MODULES.includes(module.name.toLowerCase())) : undefined;
      return conflict ? `ossCluster: true cannot run with the module "${conflict.name}"; remove the module or set ossCluster: false` : undefined;
    },
  },
  {
    property: "aofPolicy",
    involves: ["aofPolicy", "dataPersistence"],
    description: 'only with `dataPersistence: "aof"`',
    check: (inputs) =>
      inputs.aofPolicy !== undefined && inputs.dataPersistence !== "aof"
        ? `aofPolicy applies only with dataPersistence "aof"; declare dataPersistence: "aof" or remove aofPolicy`
        : undefined,
  },
  {
    property: "snapshotPolicy",
    involves: ["snapshotPolicy", "dataPersistence"],
    description: 'only with `dataPersistence: "snapshot"`',
    check: (inputs) =>
      inputs.snapshotPolicy !== undefined && inputs.dataPersistence !== "snapshot"
        ? `snapshotPolicy applies only with dataPersistence "snapshot"; declare dataPersistence: "snapshot" or remove snapshotPolicy`
        : undefined,
  },
  {
    property: "dataPersistence",
    involves: ["dataPersistence", "snapshotPolicy"],
    description: '`"snapshot"` needs a non-empty `snapshotPolicy`',
    check: (inputs) =>
      inputs.dataPersistence === "snapshot" && (inputs.snapshotPolicy === undefined || inputs.snapshotPolicy.length === 0)
        ? 'dataPersistence "snapshot" needs snapshotPolicy, e.g. [{ secs: 3600, writes: 1 }]'
        : undefined,
  },
  {
    property: "enforceClientAuthentication",
    involves: ["enforceClientAuthentication", "tlsMode"],
    description: '`true` needs `tlsMode: "enabled"`',
    check: (inputs) =>
      inputs.enforceClientAuthentication === true && inputs.tlsMode !== "enabled"
        ? `enforceClientAuthentication: true needs tlsMode "enabled"${inputs.tlsMode === undefined ? " (not declared)" : `; got "${inputs.tlsMode}"`}`
        : undefined,
  },
  {
    property: "enforceClientAuthentication",
    involves: ["enforceClientAuthentication", "clientCertificates"],
    description: "`true` needs at least one `clientCertificates` entry",
    check: (inputs) =>
      inputs.enforceClientAuthentication === true && (inputs.clientCertificates === undefined || inputs.clientCertificates.length === 0)
        ? "enforceClientAuthentication: true needs at least one certificate in clientCertificates, or no client could connect"
        : undefined,
  },
];

/** The Database property table. */
export const DATABASE_TABLE: PropertyTable<DatabaseProperties, LiveDatabase> = {
  resource: "Database",
  rows: DATABASE_ROWS,
  rules: DATABASE_RULES,
};
