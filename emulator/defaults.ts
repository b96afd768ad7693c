// Default objects, built to match the answers of a real cluster (the project's fixtures/rs-real/*.json, REAL in
// the reference): same keys, same JSON types, the real default values. Identity fields (names, uids, times,
// addresses, ports) are filled in by the caller.
import { randomBytes } from "node:crypto";
import type { JsonObject } from "./json";

/** The software version every node runs unless told otherwise. */
export const DEFAULT_SOFTWARE_VERSION = "7.22.2-14";
export const DEFAULT_CLUSTER_NAME = "cluster.local";

/** Redis versions a node offers (REAL node supported_database_versions). */
export const SUPPORTED_DATABASE_VERSIONS: ReadonlyArray<JsonObject> = [
  { db_type: "redis", major: true, redis_version: "7.4", version: "7.4.2" },
  { db_type: "redis", major: true, redis_version: "7.2", version: "7.2.7" },
  { db_type: "redis", major: true, redis_version: "6.2", version: "6.2.13" },
  { db_type: "memcached", version: "1.4.17" },
  { db_type: "redis", major: true, redis_version: "8.0", version: "8.0.0" },
];

/** redis_version ("8.0") -> full version ("8.0.0") for every supported Redis version. */
export const REDIS_VERSIONS: ReadonlyMap<string, string> = new Map(
  SUPPORTED_DATABASE_VERSIONS.filter((v) => v.db_type === "redis").map((v) => [String(v.redis_version), String(v.version)]),
);

export interface ModuleInfo {
  module_name: string;
  module_id: string;
  semantic_version: string;
}

/**
 * The modules the emulated cluster has. Redis 8 bundles them: a Redis 8+ database lists all four in
 * module_list even when none was asked for (REAL bdb_single.json, a database created without modules).
 */
export const AVAILABLE_MODULES: readonly ModuleInfo[] = [
  { module_name: "timeseries", module_id: "891142de155df09c6739543b422178f4", semantic_version: "8.0.2" },
  { module_name: "search", module_id: "4e6efe7fa848e35cbae142dd1e4564a2", semantic_version: "7.99.91" },
  { module_name: "bf", module_id: "b14385b09778a335835ee3ae380bbc77", semantic_version: "8.0.1" },
  { module_name: "ReJSON", module_id: "259bc961ae0ed766d6294bcdb7af9039", semantic_version: "7.99.3" },
];

/** Ports the cluster keeps for itself (REAL cluster.json system_reserved_ports). */
export const SYSTEM_RESERVED_PORTS: readonly number[] = [
  1968, 3333, 3334, 3335, 3336, 3339, 3340, 3341, 3342, 3343, 3344, 3345, 3346, 3348, 3349, 3350, 3351, 3352, 3353,
  3354, 3355, 8000, 8001, 8002, 8004, 8006, 8070, 8071, 8080, 8443, 8444, 9080, 9081, 9091, 9125, 9443, 10050, 36379,
];

/** A random secret in the style of the real ones (REAL authentication_admin_pass is 48 URL-safe characters). */
export function randomSecret(length = 48): string {
  return randomBytes(length).toString("base64url").slice(0, length);
}

/** ISO time without milliseconds, as the real API prints it ("2025-10-14T00:01:22Z"). */
export function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Every bdb field that does not depend on the database's identity, with the real defaults (REAL
 * bdb_single.json). Identity and policy-derived fields (uid, name, port, endpoints, memory_size, module_list,
 * versions, times, status, shard_list, proxy_policy, shards_placement, data_internode_encryption, resp3,
 * oss_cluster, authentication_admin_pass) are set by the create operation.
 */
export function bdbDefaults(): JsonObject {
  return {
    acl: [],
    active_defrag_cycle_max: 25,
    active_defrag_cycle_min: 1,
    active_defrag_ignore_bytes: "104857600",
    active_defrag_max_scan_fields: 1000,
    active_defrag_threshold_lower: 10,
    active_defrag_threshold_upper: 100,
    activedefrag: "no",
    aof_policy: "appendfsync-every-sec",
    authentication_redis_pass: "",
    authentication_sasl_pass: "",
    authentication_sasl_uname: "",
    authentication_ssl_client_certs: [],
    authentication_ssl_crdt_certs: [],
    authorized_subjects: [],
    auto_upgrade: false,
    background_op: [{ status: "idle" }],
    backup: false,
    backup_failure_reason: "",
    backup_history: 0,
    backup_interval: 86400,
    backup_progress: 0.0,
    backup_status: "",
    bigstore: false,
    bigstore_max_ram_ratio: 10,
    bigstore_ram_size: 0,
    bigstore_version: 1,
    client_cert_subject_validation_type: "disabled",
    compare_key_hslot: false,
    conns: 5,
    conns_type: "per-thread",
    crdt: false,
    crdt_causal_consistency: false,
    crdt_config_version: 0,
    crdt_ghost_replica_ids: "",
    crdt_guid: "",
    crdt_modules: "[]",
    crdt_repl_backlog_size: "auto",
    crdt_replica_id: 0,
    crdt_replicas: "",
    crdt_sources: [],
    crdt_sync: "disabled",
    crdt_sync_connection_alarm_timeout_seconds: 0,
    crdt_sync_dist: true,
    crdt_syncer_auto_oom_unlatch: true,
    crdt_xadd_id_uniqueness_mode: "strict",
    data_persistence: "disabled",
    dataset_import_sources: [],
    db_conns_auditing: false,
    default_user: true,
    dns_address_master: "",
    dns_suffixes: [],
    email_alerts: false,
    eviction_policy: "volatile-lru",
    export_failure_reason: "",
    export_progress: 0.0,
    export_status: "",
    flush_on_fullsync: true,
    generate_text_monitor: false,
    gradual_src_max_sources: 1,
    gradual_src_mode: "disabled",
    gradual_sync_max_shards_per_source: 1,
    gradual_sync_mode: "auto",
    group_uid: 0,
    hash_slots_policy: "16k",
    implicit_shard_key: false,
    import_failure_reason: "",
    import_progress: 0.0,
    import_status: "",
    internal: false,
    master_persistence: false,
    max_aof_file_size: 322122547200,
    max_aof_load_time: 3600,
    max_client_pipeline: 200,
    max_connections: 0,
    max_pipelined: 2000,
    maxclients: 10000,
    metrics_export_all: false,
    mkms: true,
    mtls_allow_outdated_certs: false,
    mtls_allow_weak_hashing: false,
    multi_commands_opt: "auto",
    oss_cluster: false,
    oss_cluster_api_preferred_endpoint_type: "ip",
    oss_cluster_api_preferred_ip_type: "internal",
    oss_sharding: false,
    rack_aware: false,
    recovery_wait_time: -1,
    redis_cluster_enabled: false,
    repl_backlog_size: "auto",
    replica_read_only: false,
    replica_sources: [],
    replica_sync: "disabled",
    replica_sync_connection_alarm_timeout_seconds: 0,
    replica_sync_dist: true,
    replication: false,
    resp3: true,
    roles_permissions: [],
    sched_policy: "cmp",
    shard_block_crossslot_keys: false,
    shard_block_foreign_keys: true,
    shard_key_regex: [],
    sharding: false,
    shards_count: 1,
    skip_import_analyze: "disabled",
    slave_buffer: "auto",
    slave_ha: false,
    slave_ha_priority: 0,
    snapshot_policy: [],
    ssl: false,
    support_syncer_reconf: true,
    sync: "disabled",
    sync_dedicated_threads: 5,
    sync_sources: [],
    syncer_log_level: "info",
    syncer_mode: "distributed",
    throughput_ingress: 0,
    tls_mode: "disabled",
    topology_epoch: 1,
    tracking_table_max_keys: 1000000,
    type: "redis",
    use_selective_flush: true,
    wait_command: true,
  };
}

/** The cluster policy (cluster_settings object, reference §3.2) of a new cluster. */
export function defaultPolicy(): JsonObject {
  return {
    acl_pubsub_default: "resetchannels",
    auto_recovery: false,
    automatic_node_offload: true,
    data_internode_encryption: false,
    db_conns_auditing: false,
    default_concurrent_restore_actions: 10,
    default_fork_evict_ram: false,
    default_non_sharded_proxy_policy: "single",
    default_oss_cluster: false,
    default_oss_sharding: false,
    default_provisioned_redis_version: "8.0",
    default_recovery_wait_time: -1,
    default_redis_version: "8.0",
    default_sharded_proxy_policy: "all-master-shards",
    // UNCERTAIN (reference §3.2, §12): the bootstrap policy doc says sparse, a real database showed dense.
    // The emulator follows the real cluster.
    default_shards_placement: "dense",
    default_tracking_table_max_keys_policy: 1000000,
    failure_detection_sensitivity: "high",
    hide_user_data_from_log: false,
    login_lockout_counter_reset_after: 900,
    login_lockout_duration: 1800,
    login_lockout_threshold: 5,
    max_saved_events_per_type: 100,
    max_simultaneous_backups: 4,
    parallel_shards_upgrade: 0,
    persistent_node_removal: false,
    rack_aware: false,
    redis_migrate_node_threshold: "0KB",
    redis_migrate_node_threshold_percent: 4,
    redis_provision_node_threshold: "0KB",
    redis_provision_node_threshold_percent: 12,
    redis_upgrade_policy: "major",
    repl_diskless: true,
    resp3_default: true,
    shards_overbooking: false,
    show_internals: false,
    slave_ha: true,
    slave_ha_bdb_cooldown_period: 7200,
    slave_ha_cooldown_period: 3600,
    slave_ha_grace_period: 600,
  };
}

/** The job scheduler object (reference §4.5): the certificate rotation job and the other periodic jobs. */
export function defaultJobScheduler(): JsonObject {
  return {
    backup_job_settings: { cron_expression: "*/5 * * * *", enabled: true },
    cert_rotation_job_settings: { cron_expression: "0 * * * *", enabled: true, expiry_days_before_rotation: 60 },
    log_rotation_job_settings: { cron_expression: "*/5 * * * *", enabled: true },
    node_checks_job_settings: { cron_expression: "0 * * * *", enabled: true },
    redis_cleanup_job_settings: { cron_expression: "0 * * * *" },
    rotate_ccs_job_settings: { cron_expression: "*/5 * * * *", file_suffix: "5min", rotate_max_num: 24 },
  };
}

/** The alert settings of a new cluster (REAL cluster.json); thresholds are strings, as the real API sends them. */
export function defaultAlertSettings(): JsonObject {
  return {
    cluster_ca_cert_about_to_expire: { enabled: true, threshold: "90" },
    cluster_certs_about_to_expire: { enabled: true, threshold: "45" },
    cluster_license_about_to_expire: { enabled: true, threshold: "7" },
    cluster_node_operation_failed: true,
    cluster_ocsp_query_failed: true,
    cluster_ocsp_status_revoked: true,
    node_checks_error: true,
    node_ephemeral_storage: { enabled: true, threshold: "70" },
    node_free_flash: { enabled: true, threshold: "70" },
    node_internal_certs_about_to_expire: { enabled: true, threshold: "45" },
    node_persistent_storage: { enabled: true, threshold: "70" },
  };
}

/**
 * A fake SSH public key: the real cluster shows its own key here; nothing in the emulator uses it, so random
 * bytes in the ssh-rsa wire prefix are enough to keep the field's shape.
 */
function fakeSshPublicKey(): string {
  const prefix = Buffer.from("000000077373682d727361", "hex");
  return `ssh-rsa ${Buffer.concat([prefix, randomBytes(270)]).toString("base64")}`;
}

/**
 * The stored cluster object (REAL cluster.json keys). `proxy_certificate` and `syncer_certificate` are not
 * stored: they are read from the PKI when the object is rendered.
 */
export function defaultClusterObject(name: string, createdTime: string, httpsPort: number, httpPort: number): JsonObject {
  return {
    alert_settings: defaultAlertSettings(),
    availability_lag_tolerance_ms: 100,
    bigstore_driver: "speedb",
    block_cluster_changes: false,
    ccs_internode_encryption: true,
    cluster_api_internal_port: 3346,
    cluster_ssh_public_key: fakeSshPublicKey(),
    cm_port: 8443,
    cm_server_version: 1,
    cm_session_timeout_minutes: 15,
    cnm_http_max_threads_per_worker: 10,
    cnm_http_port: httpPort,
    cnm_http_workers: 1,
    cnm_https_port: httpsPort,
    control_cipher_suites: "DEFAULT:!3DES",
    control_cipher_suites_tls_1_3: "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
    control_plane_basic_authentication: true,
    crdb_coordinator_ignore_requests: false,
    crdb_coordinator_port: 9081,
    crdt_supported_featureset_version: 8,
    crdt_supported_protocol_versions: ["1"],
    created_time: createdTime,
    data_cipher_list:
      "DEFAULT:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!RC4:!MD5:!PSK:!aECDH:!EDH-DSS-DES-CBC3-SHA:!EDH-RSA-DES-CBC3-SHA:!KRB5-DES-CBC3-SHA",
    // REAL shows an empty array although the docs say string (reference §3.1); the emulator sends what REAL sends.
    data_cipher_suites_tls_1_3: [],
    debuginfo_path: "/tmp",
    email_alerts: false,
    encrypt_pkeys: false,
    entra_id_cache_ttl: 30,
    envoy_admin_port: 8002,
    envoy_external_authorization: false,
    envoy_max_downstream_connections: 1024,
    envoy_mgmt_server_port: 8004,
    gossip_envoy_admin_port: 8006,
    handle_metrics_redirects: false,
    handle_redirects: false,
    // The docs say false, REAL says true; HTTP is on by default (reference §1.1).
    http_support: true,
    logrotate_settings: { maxage: 7, maxsize: "200M", rotate: 10 },
    mask_bdb_credentials: false,
    metrics_system: 0,
    min_control_TLS_version: "1.2",
    min_data_TLS_version: "1.2",
    min_sentinel_TLS_version: "1.2",
    module_upload_max_size_mb: 40,
    mtls_authorized_subjects: [],
    mtls_certificate_authentication: false,
    mtls_client_cert_subject_validation_type: "disabled",
    multi_commands_opt: "batch",
    name,
    options_method_forbidden: false,
    password_complexity: false,
    password_expiration_duration: 0,
    password_hashing_algorithm: "SHA-256",
    password_min_length: 8,
    rack_aware: false,
    reserved_ports: [],
    robust_crdt_syncer: true,
    s3_certificate_verification: true,
    sentinel_cipher_suites: [],
    sentinel_cipher_suites_tls_1_3: "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
    sentinel_tls_mode: "allowed",
    slave_ha: true,
    slave_ha_bdb_cooldown_period: 7200,
    slave_ha_cooldown_period: 3600,
    slave_ha_grace_period: 600,
    slowlog_in_sanitized_support: true,
    smtp_tls_mode: "none",
    smtp_use_tls: false,
    system_reserved_ports: [...SYSTEM_RESERVED_PORTS],
    upgrade_in_progress: false,
    upgrade_mode: false,
    use_external_ipv6: true,
    use_ipv6: true,
    wait_command: true,
  };
}

/**
 * Fields the real answers write as floats even when whole (REAL: "backup_progress": 0.0,
 * "ephemeral_storage_size": 1081100128256.0); the server writes them the same way.
 */
export const CAPTURED_FLOAT_FIELDS: readonly string[] = [
  "backup_progress",
  "export_progress",
  "import_progress",
  "ephemeral_storage_size",
  "persistent_storage_size",
];

/**
 * Fields the vendor's reference writes as floats and no capture contradicts: action `progress` (v2 actions
 * "100.0", a running state machine "50.0"; v1 tasks carry it as a string, which stays a string).
 */
export const DOCUMENTED_FLOAT_FIELDS: readonly string[] = ["progress"];

/** Host facts every emulated node reports (REAL node_single.json values, an x86_64 host instead of aarch64). */
function hostFacts(): JsonObject {
  return {
    architecture: "x86_64",
    bigredis_storage_path: "/var/opt/redislabs/flash",
    cores: 4,
    ephemeral_storage_path: "/var/opt/redislabs/tmp",
    ephemeral_storage_size: 107374182400.0,
    fips_enabled: false,
    os_family: "ubuntu",
    os_name: "ubuntu",
    os_semantic_version: "22.04",
    os_version: "Ubuntu 22.04.5 LTS",
    persistent_storage_path: "/var/opt/redislabs/persist",
    persistent_storage_size: 107374182400.0,
    supported_database_versions: SUPPORTED_DATABASE_VERSIONS.map((v) => ({ ...v })),
    total_memory: 17179869184,
  };
}

/**
 * The stored node object (REAL node_single.json keys). shard_count, shard_list, ram_shard_count and uptime are
 * computed when the node is rendered.
 */
export function defaultNodeObject(uid: number, address: string, softwareVersion: string): JsonObject {
  return {
    accept_servers: true,
    addr: address,
    ...hostFacts(),
    bigstore_enabled: false,
    external_addr: [],
    flash_shard_count: 0,
    max_listeners: 100,
    max_redis_forks: -1,
    max_redis_servers: 100,
    max_slave_full_syncs: -1,
    rack_id: "",
    second_rack_id: "",
    software_version: softwareVersion,
    status: "active",
    uid,
    use_internal_ipv6: false,
  };
}

/** GET /v1/bootstrap local_node_info (REAL bootstrap_status.json keys). */
export function localNodeInfo(
  uid: number,
  address: string,
  shortHostname: string,
  softwareVersion: string,
  uptimeSeconds: number,
): JsonObject {
  return {
    ...hostFacts(),
    available_addresses: [{ address, format: "ipv4", if_name: "lo", private: true }],
    bridge_interfaces: [],
    // A fixed marker instead of a real build commit: this is not Redis software.
    cnm_version_sha: "0000000000000000000000000000000000000000",
    short_hostname: shortHostname,
    software_version: softwareVersion,
    supported_bigstore_drivers: ["rocksdb"],
    uid: String(uid),
    uptime: uptimeSeconds,
  };
}
