// Validation of POST /v1/bootstrap/{action} and /v1/bootstrap/validate/{action} bodies (reference §3.3).
// Bootstrap errors have their own shape (bootstrap_status.error_code + error_details.message), so this returns
// a failure value instead of throwing an ApiError.
import { isJsonObject, type JsonObject, type JsonValue } from "../json";
import { isIpv4 } from "./cluster";

export const BOOTSTRAP_ACTIONS = ["create_cluster", "join_cluster"] as const;
export type BootstrapAction = (typeof BOOTSTRAP_ACTIONS)[number];

export function isBootstrapAction(text: string): text is BootstrapAction {
  return (BOOTSTRAP_ACTIONS as readonly string[]).includes(text);
}

export interface BootstrapFailure {
  ok: false;
  errorCode: string;
  message: string;
}

export interface ValidBootstrap {
  ok: true;
  action: BootstrapAction;
  /** create_cluster: the new cluster's FQDN. */
  clusterName?: string;
  /** create_cluster: the first admin user; join_cluster: the credentials used to join. */
  username: string;
  password: string;
  /** create_cluster: the deprecated `policy` object, applied after creation. */
  policy?: JsonObject;
  /** join_cluster: the member address named in cluster.nodes that the node joins through. */
  joinVia?: string;
  /** Top-level fields the emulator does not know, accepted and ignored (see validateBootstrapRequest); absent when none. */
  ignoredFields?: string[];
}

export interface BootstrapContext {
  /** Addresses of the node receiving the request. */
  nodeAddresses: readonly string[];
  /** True once some node of the emulator has created the cluster. */
  clusterExists: boolean;
  /** Addresses of current cluster members. */
  memberAddresses: readonly string[];
  /** Do these credentials belong to an admin of the existing cluster? */
  isClusterAdmin(username: string, password: string): boolean;
}

const KNOWN_TOP_LEVEL = new Set([
  "action",
  "cluster",
  "node",
  "license",
  "credentials",
  "policy",
  "cnm_https_port",
  "crdb_coordinator_port",
  "dns_suffixes",
  "envoy_admin_port",
  "envoy_mgmt_server_port",
  "gossip_envoy_admin_port",
  "max_retries",
  "retry_time",
  "recovery_filename",
  "required_version",
  "user_defined_modules",
  "witness_disk",
]);

const FQDN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A cluster name: an FQDN of at most 64 characters (RFC 952 / RFC 1123 §2.1); a single label is allowed (REAL "docker-cluster"). */
export function isValidClusterName(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  return name.split(".").every((label) => FQDN_LABEL.test(label));
}

function fail(errorCode: string, message: string): BootstrapFailure {
  return { ok: false, errorCode, message };
}

function readCredentials(body: JsonObject): { username: string; password: string } | BootstrapFailure {
  const credentials = body.credentials;
  if (!isJsonObject(credentials)) return fail("config_error", "credentials {username, password} are required");
  const { username, password } = credentials;
  if (typeof username !== "string" || username.trim() === "") return fail("config_error", "credentials.username must be a non-empty string");
  if (typeof password !== "string" || password === "") return fail("config_error", "credentials.password must be a non-empty string");
  return { username, password };
}

/** Check a bootstrap request against this node and the emulated cluster. */
export function validateBootstrapRequest(
  action: BootstrapAction,
  rawBody: JsonValue | undefined,
  context: BootstrapContext,
): ValidBootstrap | BootstrapFailure {
  if (!isJsonObject(rawBody)) return fail("config_error", "the bootstrap request needs a JSON object body");
  const body = rawBody;
  // Unknown top-level fields are ignored, not fatal: real RS 8.2 accepts `flash_enabled`, which the vendor's own
  // docker examples send in create_cluster although the bootstrap object does not list it, so a real cluster
  // does not refuse what it does not know there. The emulator follows it and reports what it ignored.
  // UNCERTAIN: what a real cluster does with such a field (flash_enabled may enable flash on the node); the
  // emulator has no flash and applies none of them.
  const ignoredFields = Object.keys(body).filter((key) => !KNOWN_TOP_LEVEL.has(key)).sort();
  if (body.action !== undefined && body.action !== action) {
    return fail("config_error", `the body says action '${String(body.action)}' but the request was sent to /v1/bootstrap/${action}`);
  }
  const cluster = body.cluster;
  if (!isJsonObject(cluster)) return fail("config_error", "cluster is required: {name} to create, {nodes: [member address]} to join");
  const node = body.node;
  if (node !== undefined) {
    if (!isJsonObject(node)) return fail("config_error", "node must be an object {paths, identity}");
    const identity = node.identity;
    if (identity !== undefined) {
      if (!isJsonObject(identity)) return fail("config_error", "node.identity must be an object");
      const addr = identity.addr;
      if (addr !== undefined && (typeof addr !== "string" || !context.nodeAddresses.includes(addr))) {
        return fail(
          "config_error",
          `node.identity.addr ${JSON.stringify(addr)} is not an address of this node (available: ${context.nodeAddresses.join(", ")})`,
        );
      }
    }
  }
  if (body.license !== undefined && typeof body.license !== "string") return fail("config_error", "license must be a string");
  const credentials = readCredentials(body);
  if ("ok" in credentials) return credentials;

  if (action === "create_cluster") {
    const name = cluster.name;
    if (typeof name !== "string" || !isValidClusterName(name)) {
      return fail(
        "config_error",
        `cluster.name ${JSON.stringify(name ?? null)} is not a valid FQDN: use at most 64 characters, dot-separated labels of letters, digits and '-'`,
      );
    }
    if (context.clusterExists) {
      // The emulator models one cluster; a second create_cluster on another node would split it.
      return fail("config_error", "this emulator already holds a cluster; join it with POST /v1/bootstrap/join_cluster instead");
    }
    let policy: JsonObject | undefined;
    if (body.policy !== undefined) {
      if (!isJsonObject(body.policy)) return fail("config_error", "policy must be an object");
      policy = body.policy;
    }
    const result: ValidBootstrap = { ok: true, action, clusterName: name, ...credentials };
    if (policy) result.policy = policy;
    if (ignoredFields.length > 0) result.ignoredFields = ignoredFields;
    return result;
  }

  const nodes = cluster.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.some((n) => typeof n !== "string")) {
    return fail("config_error", "cluster.nodes must list the address of at least one existing cluster member");
  }
  const addresses = (nodes as string[]).map((n) => n.replace(/:\d+$/, ""));
  if (addresses.some((address) => !isIpv4(address) && !/^[A-Za-z0-9.-]+$/.test(address))) {
    return fail("config_error", "cluster.nodes entries must be IPv4 addresses or host names");
  }
  const via = addresses.find((address) => context.memberAddresses.includes(address));
  if (!context.clusterExists || via === undefined) {
    return fail(
      "connect_error",
      `cannot reach a cluster member at ${addresses.join(", ")}${
        context.memberAddresses.length > 0 ? ` (members: ${context.memberAddresses.join(", ")})` : " (no cluster has been created yet)"
      }`,
    );
  }
  if (!context.isClusterAdmin(credentials.username, credentials.password)) {
    return fail("access_denied", `the cluster at ${via} refused the credentials of '${credentials.username}'; use an admin user of that cluster`);
  }
  const joined: ValidBootstrap = { ok: true, action, joinVia: via, ...credentials };
  if (ignoredFields.length > 0) joined.ignoredFields = ignoredFields;
  return joined;
}
