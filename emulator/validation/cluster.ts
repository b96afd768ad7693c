// Validation of PUT /v1/cluster, PUT /v1/cluster/policy, PUT /v1/job_scheduler and PUT /v1/nodes/{uid}.
// The docs give these endpoints 200 and 400 only (reference §1.7), so every refusal here is a 400, except
// the node errors that are documented as 406 (node_not_offline, node_already_has_rack_id).
import { defaultJobScheduler, defaultPolicy, REDIS_VERSIONS } from "../defaults";
import { ApiError, schemaError } from "../errors";
import { cloneJson, deepMerge, hasOwn, isJsonObject, jsonEqual, type JsonObject, type JsonValue } from "../json";
import { PROXY_POLICIES, SHARDS_PLACEMENTS } from "./bdb";
import { checkFields, kindOfValue, requireObjectBody, specsFromDefaults, typeProblem, type FieldSpec } from "./schema";

function badValue(description: string): ApiError {
  // UNCERTAIN: no error_code is documented for a bad cluster or policy value; the status (400) is.
  return new ApiError(400, "invalid_value", description);
}

const TLS_VERSIONS = ["1", "1.0", "1.1", "1.2", "1.3"];
const SENTINEL_TLS_MODES = ["allowed", "disabled", "required"];

/** Cluster fields that GET shows but PUT cannot change (reference §3.1). */
const READ_ONLY_CLUSTER_FIELDS = [
  "name",
  "created_time",
  "control_cipher_suites_tls_1_3",
  "sentinel_cipher_suites_tls_1_3",
  "rack_aware",
  "cluster_ssh_public_key",
  "proxy_certificate",
  "syncer_certificate",
  "system_reserved_ports",
  "crdt_supported_featureset_version",
  "crdt_supported_protocol_versions",
  "cm_server_version",
  "upgrade_in_progress",
];

function clusterSpecs(current: JsonObject): Map<string, FieldSpec> {
  return specsFromDefaults(
    current,
    {
      proxy_certificate: { kind: "string" },
      syncer_certificate: { kind: "string" },
      // The docs say string, REAL shows []: both are accepted.
      data_cipher_suites_tls_1_3: { kind: "string-or-array" },
      alert_settings: { kind: "object" },
      email_from: { kind: "string" },
      smtp_host: { kind: "string" },
      smtp_port: { kind: "integer" },
      smtp_username: { kind: "string" },
      smtp_password: { kind: "string" },
    },
    READ_ONLY_CLUSTER_FIELDS,
  );
}

function validateAlertSettings(patch: JsonObject, current: JsonObject): void {
  for (const [name, value] of Object.entries(patch)) {
    const existing = hasOwn(current, name) ? current[name] : undefined;
    if (existing === undefined) throw schemaError(`cluster: unknown alert '${name}' in alert_settings`);
    if (typeof existing === "boolean") {
      if (typeof value !== "boolean") throw schemaError(`cluster: alert_settings.${name} must be a boolean`);
      continue;
    }
    if (!isJsonObject(value)) throw schemaError(`cluster: alert_settings.${name} must be an object {enabled, threshold}`);
    for (const [key, item] of Object.entries(value)) {
      if (key === "enabled") {
        if (typeof item !== "boolean") throw schemaError(`cluster: alert_settings.${name}.enabled must be a boolean`);
      } else if (key === "threshold") {
        // Thresholds are strings in the real API ("45"); a number is refused so clients learn the real type.
        if (typeof item !== "string") throw schemaError(`cluster: alert_settings.${name}.threshold must be a string such as "45", got ${typeof item}`);
        if (!/^\d+$/.test(item)) throw badValue(`cluster: alert_settings.${name}.threshold must be a whole number in a string, got '${item}'`);
      } else {
        throw schemaError(`cluster: unknown key '${key}' in alert_settings.${name}`);
      }
    }
  }
}

function validatePort(field: string, value: JsonValue): void {
  if (typeof value === "number" && (value < 1 || value > 65535)) throw badValue(`cluster: ${field} must be a TCP port (1-65535)`);
}

/** Validate PUT /v1/cluster; returns the cluster object as it would be after the change. */
export function validateClusterUpdate(rawBody: JsonValue | undefined, current: JsonObject): JsonObject {
  const body = requireObjectBody(rawBody, "cluster");
  const problem = checkFields(body, clusterSpecs(current), "cluster", current);
  if (problem) {
    if (problem.description.includes("'name' is read-only")) {
      throw new ApiError(400, "invalid_schema", "cluster: 'name' (the cluster FQDN) is read-only; it is set once at bootstrap");
    }
    throw problem;
  }
  if (body.ccs_internode_encryption === false) {
    throw badValue("cluster: control-plane internode encryption (ccs_internode_encryption) is always on since 6.2.4 and cannot be turned off");
  }
  for (const field of ["min_control_TLS_version", "min_data_TLS_version", "min_sentinel_TLS_version"]) {
    const value = body[field];
    if (value !== undefined && !TLS_VERSIONS.includes(value as string)) {
      throw badValue(`cluster: ${field} must be one of ${TLS_VERSIONS.join(", ")}, got '${String(value)}'`);
    }
  }
  if (body.sentinel_tls_mode !== undefined && !SENTINEL_TLS_MODES.includes(body.sentinel_tls_mode as string)) {
    throw badValue(`cluster: sentinel_tls_mode must be one of ${SENTINEL_TLS_MODES.join(", ")}`);
  }
  for (const field of ["cnm_https_port", "cnm_http_port", "cm_port", "envoy_admin_port", "envoy_mgmt_server_port", "gossip_envoy_admin_port", "crdb_coordinator_port", "smtp_port"]) {
    if (body[field] !== undefined) validatePort(field, body[field]);
  }
  if (Array.isArray(body.reserved_ports)) {
    for (const entry of body.reserved_ports) {
      if (typeof entry !== "string" || !/^\d+(-\d+)?$/.test(entry)) {
        throw badValue(`cluster: reserved_ports entries must be strings such as "11000" or "13000-13010", got ${JSON.stringify(entry)}`);
      }
    }
  }
  const suites = body.sentinel_cipher_suites;
  if (Array.isArray(suites) && suites.some((suite) => typeof suite !== "string")) {
    throw schemaError("cluster: sentinel_cipher_suites must be an array of cipher names (strings)");
  }
  if (isJsonObject(body.alert_settings)) validateAlertSettings(body.alert_settings, current.alert_settings as JsonObject);
  const next = cloneJson(current);
  for (const [field, value] of Object.entries(body)) {
    if (READ_ONLY_CLUSTER_FIELDS.includes(field)) continue;
    if (field === "alert_settings") deepMerge(next.alert_settings as JsonObject, value as JsonObject);
    else next[field] = cloneJson(value);
  }
  return next;
}

const POLICY_ENUMS: Record<string, readonly string[]> = {
  default_non_sharded_proxy_policy: PROXY_POLICIES,
  default_sharded_proxy_policy: PROXY_POLICIES,
  default_shards_placement: SHARDS_PLACEMENTS,
  redis_upgrade_policy: ["major", "latest"],
  failure_detection_sensitivity: ["high", "low"],
  acl_pubsub_default: ["resetchannels", "allchannels"],
};

const POLICY_SPECS: ReadonlyMap<string, FieldSpec> = specsFromDefaults(defaultPolicy());

/** Validate PUT /v1/cluster/policy; returns the policy as it would be after the change. */
export function validatePolicyUpdate(rawBody: JsonValue | undefined, current: JsonObject): JsonObject {
  const body = requireObjectBody(rawBody, "cluster policy");
  const problem = checkFields(body, POLICY_SPECS, "cluster policy");
  if (problem) throw problem;
  for (const [field, allowed] of Object.entries(POLICY_ENUMS)) {
    const value = body[field];
    if (value !== undefined && !allowed.includes(value as string)) {
      throw badValue(`cluster policy: ${field} must be one of ${allowed.join(", ")}, got '${String(value)}'`);
    }
  }
  for (const field of ["default_provisioned_redis_version", "default_redis_version"]) {
    const value = body[field];
    if (value !== undefined && !REDIS_VERSIONS.has(value as string)) {
      throw badValue(`cluster policy: ${field} '${String(value)}' is not a supported Redis version (${[...REDIS_VERSIONS.keys()].join(", ")})`);
    }
  }
  return { ...cloneJson(current), ...cloneJson(body) };
}

/** Validate PUT /v1/job_scheduler; returns the settings as they would be after the change. */
export function validateJobSchedulerUpdate(rawBody: JsonValue | undefined, current: JsonObject): JsonObject {
  const body = requireObjectBody(rawBody, "job_scheduler");
  const defaults = defaultJobScheduler();
  for (const [job, settings] of Object.entries(body)) {
    const known = hasOwn(defaults, job) ? defaults[job] : undefined;
    if (!isJsonObject(known)) throw schemaError(`job_scheduler: unknown job '${job}'`);
    if (!isJsonObject(settings)) throw schemaError(`job_scheduler: ${job} must be an object`);
    for (const [key, value] of Object.entries(settings)) {
      const example = hasOwn(known, key) ? known[key] : undefined;
      if (example === undefined) throw schemaError(`job_scheduler: unknown setting '${key}' in ${job}`);
      const typeIssue = typeProblem(value, kindOfValue(example));
      if (typeIssue) throw schemaError(`job_scheduler: ${job}.${key} must be ${typeIssue}`);
    }
    const days = settings.expiry_days_before_rotation;
    if (days !== undefined && ((days as number) < 1 || (days as number) > 90)) {
      throw badValue(`job_scheduler: cert_rotation_job_settings.expiry_days_before_rotation must be between 1 and 90, got ${String(days)}`);
    }
    if (typeof settings.cron_expression === "string" && settings.cron_expression.trim().split(/\s+/).length !== 5) {
      throw badValue(`job_scheduler: ${job}.cron_expression must have 5 fields, got '${settings.cron_expression}'`);
    }
  }
  return deepMerge(cloneJson(current), body);
}

const NODE_WRITABLE: Record<string, FieldSpec> = {
  accept_servers: { kind: "boolean" },
  addr: { kind: "string" },
  external_addr: { kind: "array" },
  max_listeners: { kind: "integer" },
  max_redis_forks: { kind: "integer" },
  max_redis_servers: { kind: "integer" },
  max_slave_full_syncs: { kind: "integer" },
  rack_id: { kind: "string" },
  recovery_path: { kind: "string" },
  second_rack_id: { kind: "string" },
};

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** Validate PUT /v1/nodes/{uid}; returns the changes to apply. */
export function validateNodeUpdate(rawBody: JsonValue | undefined, current: JsonObject): JsonObject {
  const uid = String(current.uid);
  const body = requireObjectBody(rawBody, `node ${uid}`);
  for (const [field, value] of Object.entries(body)) {
    const spec = hasOwn(NODE_WRITABLE, field) ? NODE_WRITABLE[field] : undefined;
    if (!spec) {
      if (hasOwn(current, field) && jsonEqual(current[field], value)) continue;
      throw schemaError(
        hasOwn(current, field)
          ? `node ${uid}: '${field}' cannot be changed through PUT /v1/nodes (writable: ${Object.keys(NODE_WRITABLE).join(", ")})`
          : `node ${uid}: unknown field '${field}' (a typo?)`,
      );
    }
    const problem = typeProblem(value, spec.kind);
    if (problem) throw schemaError(`node ${uid}: field '${field}' must be ${problem}`);
  }
  if (body.addr !== undefined && body.addr !== current.addr) {
    if (!isIpv4(body.addr as string)) throw schemaError(`node ${uid}: addr must be an IPv4 address, got '${String(body.addr)}'`);
    if (current.status !== "down") {
      throw new ApiError(406, "node_not_offline", `node ${uid}: addr can only change while the node is offline (status is '${String(current.status)}')`);
    }
  }
  if (Array.isArray(body.external_addr) && body.external_addr.some((a) => typeof a !== "string" || !isIpv4(a))) {
    throw schemaError(`node ${uid}: external_addr must be an array of IPv4 addresses`);
  }
  if (body.rack_id !== undefined && current.rack_id !== "" && body.rack_id !== current.rack_id) {
    throw new ApiError(406, "node_already_has_rack_id", `node ${uid} already has rack_id '${String(current.rack_id)}'; it can be set only once`);
  }
  for (const field of ["max_listeners", "max_redis_servers"]) {
    if (body[field] !== undefined && (body[field] as number) < 0) throw schemaError(`node ${uid}: ${field} cannot be negative`);
  }
  const changes: JsonObject = {};
  for (const [field, value] of Object.entries(body)) {
    if (hasOwn(NODE_WRITABLE, field) && !jsonEqual(current[field], value)) changes[field] = cloneJson(value);
  }
  return changes;
}
