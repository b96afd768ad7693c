// Types of the Database resource: what users declare, the canonical form the provider works on, and the
// outputs it records. Facts come from ../shared/reference/rs-rest-api.md §2 (bdb object).

import type { PropertyChange, Previewable } from "../core";
import type { DisruptionPolicy } from "../core";

export type ProxyPolicy = "single" | "all-master-shards" | "all-nodes";
export type DataPersistence = "disabled" | "snapshot" | "aof";
export type AofPolicy = "appendfsync-every-sec" | "appendfsync-always";
export type EvictionPolicy =
  | "volatile-lru"
  | "volatile-ttl"
  | "volatile-random"
  | "allkeys-lru"
  | "allkeys-random"
  | "noeviction"
  | "volatile-lfu"
  | "allkeys-lfu"
  | "allkeys-lrm"
  | "volatile-lrm";
export type TlsMode = "enabled" | "disabled" | "replica_ssl";

/** Take a snapshot every `secs` seconds when at least `writes` keys changed (REST snapshot_policy item). */
export interface SnapshotRule {
  secs: number;
  writes: number;
}

/** A module (capability) enabled at creation (REST module_list item). */
export interface DatabaseModule {
  /** Module name as the cluster knows it, e.g. "search", "ReJSON", "timeseries", "bf"; compared case-insensitively. */
  name: string;
  /** Module arguments; when omitted they are not compared with the live database. */
  args?: string;
}

/**
 * The table properties in canonical form (what `checkDatabase` returns and what the outputs hold). Every
 * property is a row of provider/database/table.ts; this interface and the table are checked against each
 * other at compile time.
 */
export interface DatabaseProperties {
  name: string;
  /** Bytes. */
  memorySize: number;
  port: number;
  replication: boolean;
  sharding: boolean;
  shardsCount: number;
  /** Regular expressions in order (the first matching rule wins). */
  shardKeyRegex: string[];
  proxyPolicy: ProxyPolicy;
  dataPersistence: DataPersistence;
  aofPolicy: AofPolicy;
  /** Sorted by secs, then writes. */
  snapshotPolicy: SnapshotRule[];
  evictionPolicy: EvictionPolicy;
  password: string;
  tlsMode: TlsMode;
  enforceClientAuthentication: boolean;
  /** Normalised PEM certificates (LF line ends, 64-column base64), sorted. */
  clientCertificates: string[];
  ossCluster: boolean;
  resp3: boolean;
  /** Sorted by lower-cased name. */
  modules: DatabaseModule[];
  /** "MAJOR.MINOR". */
  redisVersion: string;
  /** Keys sorted. */
  tags: Record<string, string>;
  dataInternodeEncryption: boolean;
}

/** Adopt an existing database instead of creating one (dynamic providers cannot `pulumi import`). */
export interface AdoptOptions {
  /** Adopt the database with this name. @default the declared `name` */
  name?: string;
  /** Adopt the database with this uid (takes precedence over `name`). */
  uid?: number;
  /**
   * When the live database differs from the declared properties: true applies the declared values (subject to
   * `disruptionPolicy`); false fails and lists the differences. @default false
   */
  applyChanges?: boolean;
}

/** Inputs that are not database properties: they steer the provider and are echoed into the outputs. */
export interface DatabaseSettings {
  /**
   * "deny" fails check (and diff) on any change that disconnects clients, flushes data or replaces the
   * database, naming the property and the consequence. @default the stack config redisenterprise:disruptionPolicy, else "allow"
   */
  disruptionPolicy?: DisruptionPolicy;
  /** Adopt an existing database on create. */
  adopt?: AdoptOptions;
  /** The cluster connection (usually `cluster.connection`); validated by the provider, not by the table. */
  connection?: unknown;
  /** Per-operation deadlines; validated by the provider, not by the table. */
  timeouts?: unknown;
}

/**
 * What a program declares for a Database. A property left out is not managed: the server's value is kept,
 * read into the outputs, and never reported as drift.
 */
export interface DatabaseInputs extends DatabaseSettings {
  /**
   * Database name: letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.
   * Changing it renames the database in place.
   */
  name: string;
  /**
   * Memory limit for all shards and replicas: bytes, or a string such as "100MB", "1GB", "512MiB". Units are
   * 1024-based whichever way they are written (1GB = 1GiB = 1073741824 bytes), as in Redis and the Redis
   * Enterprise UI. Required unless `adopt` is set.
   */
  memorySize?: number | string;
  /**
   * Endpoint port, 10000-19999 except 10050. Cannot change after creation: a different port replaces the
   * database (delete, then create: all data is lost). @default assigned by the cluster
   */
  port?: number;
  /** In-memory replica of every shard (needs at least 2 nodes). @default false */
  replication?: boolean;
  /** Clustering over several shards. Can be turned on later, never off. @default false */
  sharding?: boolean;
  /** Number of primary shards, 1-512; above 1 needs `sharding: true`. Grows only by a multiple of the current count. @default 1 */
  shardsCount?: number;
  /**
   * Custom hashing policy: regular expressions with a named group `tag`, tried in order. Needs `sharding: true`.
   * Changing it flushes all data. @default the standard rules [".*\\{(?<tag>.*)\\}.*", "(?<tag>.*)"], sent when
   * sharding is enabled without rules (the property then stays unmanaged)
   */
  shardKeyRegex?: string[];
  /** Which nodes run a proxy for the endpoint. @default "single" (non-sharded) or "all-master-shards" (sharded), from the cluster policy */
  proxyPolicy?: ProxyPolicy;
  /** Persistence to disk. "snapshot" needs `snapshotPolicy`. @default "disabled" */
  dataPersistence?: DataPersistence;
  /** AOF fsync policy; only with `dataPersistence: "aof"`. @default "appendfsync-every-sec" */
  aofPolicy?: AofPolicy;
  /** Snapshot rules; only with (and required by) `dataPersistence: "snapshot"`. Order does not matter. */
  snapshotPolicy?: SnapshotRule[];
  /** @default "volatile-lru" */
  evictionPolicy?: EvictionPolicy;
  /**
   * Password of the default user (REST authentication_redis_pass). Secret: never shown in notes or errors, and
   * only recorded in the outputs when declared. Existing connections stay authenticated after a change.
   */
  password?: string;
  /** TLS for client connections; a change applies to new connections only. @default "disabled" */
  tlsMode?: TlsMode;
  /** Require client certificates (mTLS); needs `tlsMode: "enabled"` and at least one `clientCertificates` entry. @default false */
  enforceClientAuthentication?: boolean;
  /** Trusted client certificates (PEM); compared as a set. @default [] */
  clientCertificates?: string[];
  /** OSS Cluster API; needs `proxyPolicy` "all-master-shards" or "all-nodes" and the standard hashing. @default false */
  ossCluster?: boolean;
  /** RESP3 protocol; turning it off disconnects RESP3 clients. @default true */
  resp3?: boolean;
  /**
   * Modules, chosen at creation only. Modules the server bundles (Redis 8 adds search, ReJSON, timeseries, bf)
   * are not drift; only the declared names must be present.
   */
  modules?: DatabaseModule[];
  /** Redis version "MAJOR.MINOR", e.g. "7.4" or "8.0"; set at creation only. @default the cluster's default version */
  redisVersion?: string;
  /** Tags (key -> value); compared without regard to order. */
  tags?: Record<string, string>;
  /**
   * Encrypt this database's data-plane traffic between nodes (needs every node at 6.2.4 or later and TCP 3342
   * open between nodes). Changing it either way restarts the proxy and disconnects all clients. When omitted the
   * database gets the cluster policy at creation and the provider never touches it. @default cluster policy (false)
   */
  dataInternodeEncryption?: boolean;
}

/** What `checkDatabase` returns: canonical table properties (possibly unknown during preview) plus settings. */
export type CheckedDatabaseInputs = Partial<Previewable<DatabaseProperties>> & DatabaseSettings;

/** The database endpoint as read from `endpoints[0]`. */
export interface DatabaseEndpoint {
  /** DNS name when the cluster has one, else the first address. */
  host: string;
  port: number;
  dnsName: string;
  addresses: string[];
}

/**
 * The recorded state of a Database: every table property with its live canonical value (a secret one only
 * when declared), the server's identifiers, and the echoed settings.
 *
 * How "declared" survives a refresh: `managedProperties` lists the table properties the program declared at the
 * last create or update. read keeps that list as it was, so a refresh never turns an unmanaged property into a
 * managed one; diff compares only what the program declares now; and `inputsFromOutputs` rebuilds refreshed
 * inputs from the managed properties only.
 */
export interface DatabaseOutputs extends Partial<DatabaseProperties>, DatabaseSettings {
  uid: number;
  status: string;
  endpoint: DatabaseEndpoint;
  /** The table properties declared by the program, in table order. */
  managedProperties: string[];
  /** What the last update changed and its impact on clients (secret values left out). */
  lastUpdateImpacts: PropertyChange[];
}

/** A node as the version gate needs it (from GET /v1/nodes); shared by every resource's preconditions. */
export type { NodeVersionInfo } from "../core";

/** The bdb object as returned by GET /v1/bdbs/{uid}; read defensively, every field may be missing or odd. */
export type LiveDatabase = Readonly<Record<string, unknown>>;
