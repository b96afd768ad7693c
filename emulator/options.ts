// startCluster options: defaults and validation, kept pure so the CLI and the library refuse bad input with
// the same messages.
import type { DataPlaneMode } from "./dataplane/layout";
import { DEFAULT_CLUSTER_NAME, DEFAULT_SOFTWARE_VERSION, randomSecret } from "./defaults";
import { isValidClusterName } from "./validation/bootstrap";
import { isIpv4 } from "./validation/cluster";
import { parseSoftwareVersion } from "./version";

export interface EmulatorOptions {
  /** Number of nodes, default 3 (or the number of `addresses` when those are given). */
  nodes?: number;
  /** Software version per node (index 0 is node 1), default "7.22.2-14" for each; e.g. ["7.22.2-14", "6.2.2-30"]. */
  softwareVersions?: string[];
  /** Validity of internal certificates in days, default 90 (45 reproduces the 6.2.4-era behaviour). */
  certValidityDays?: number;
  /** How long asynchronous operations take (bdb create/update/delete, bootstrap), default 100 ms. */
  operationDelayMs?: number;
  /** Start the nodes unbootstrapped, for a client that creates the cluster itself. */
  idle?: boolean;
  /** Load the state from this file at start if it exists, and save it after every change. */
  stateFile?: string;
  /** Cluster FQDN, default "cluster.local". */
  clusterName?: string;
  /** Admin user, default "admin@<clusterName>". */
  username?: string;
  /** Admin password; a random one when omitted. */
  password?: string;
  /** Node addresses, default 127.0.0.1, 127.0.0.2, ... (distinct loopback addresses). */
  addresses?: string[];
  /** HTTPS API port of every node; 0 (default) = a free port per node. */
  httpsPort?: number;
  /** Plain HTTP API port of every node; 0 (default) = a free port per node; -1 disables HTTP. */
  httpPort?: number;
  /** RSA key size of every generated key (passed to the PKI), default 2048. */
  keyBits?: number;
  /**
   * Real shards, proxies and internode TLS (needs redis-server): "loopback" (each node a loopback address, no
   * root), "namespaces" (each node a network namespace; root), "auto" (namespaces as root, else loopback), or
   * "off" (default: the control plane only). When the layout cannot run here, the cluster starts without a data
   * plane and says why on stderr and in `cluster.dataPlane.reason`.
   */
  dataPlane?: DataPlaneMode;
  /** Port of every node's internode TLS listener, default 3342 (the product's). */
  internodePort?: number;
}

export interface ResolvedOptions {
  nodes: Array<{ uid: number; address: string; softwareVersion: string }>;
  certValidityDays: number;
  operationDelayMs: number;
  idle: boolean;
  stateFile?: string;
  clusterName: string;
  username: string;
  password: string;
  httpsPort: number;
  httpPort: number;
  keyBits?: number;
  dataPlane: DataPlaneMode;
  internodePort: number;
}

export class OptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OptionsError";
  }
}

const MAX_NODES = 64;

function integerIn(name: string, value: number | undefined, low: number, high: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new OptionsError(`${name} must be an integer between ${low} and ${high}, got ${String(value)}`);
  }
  return value;
}

const DATA_PLANE_MODES: readonly DataPlaneMode[] = ["off", "auto", "loopback", "namespaces"];

function dataPlaneMode(value: DataPlaneMode | undefined): DataPlaneMode {
  if (value === undefined) return "off";
  if (!DATA_PLANE_MODES.includes(value)) throw new OptionsError(`dataPlane must be one of ${DATA_PLANE_MODES.join(", ")}, got ${JSON.stringify(value)}`);
  return value;
}

export function resolveOptions(options: EmulatorOptions = {}): ResolvedOptions {
  const count = integerIn("nodes", options.nodes, 1, MAX_NODES, options.addresses?.length || 3);
  const addresses = options.addresses ?? Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);
  if (addresses.length < count) {
    throw new OptionsError(`${count} nodes need ${count} addresses, got ${addresses.length} (${addresses.join(", ")})`);
  }
  for (const address of addresses) {
    if (!isIpv4(address)) throw new OptionsError(`address '${address}' is not an IPv4 address`);
  }
  if (new Set(addresses.slice(0, count)).size !== count) {
    throw new OptionsError(`node addresses must be distinct (every node listens on the same ports): ${addresses.join(", ")}`);
  }
  const versions = options.softwareVersions ?? [];
  if (versions.length > count) throw new OptionsError(`softwareVersions has ${versions.length} entries for ${count} nodes`);
  for (const version of versions) {
    if (parseSoftwareVersion(version) === undefined) {
      throw new OptionsError(`software version '${version}' must look like MAJOR.MINOR.PATCH-BUILD, e.g. 7.22.2-14`);
    }
  }
  const clusterName = options.clusterName ?? DEFAULT_CLUSTER_NAME;
  if (!isValidClusterName(clusterName)) {
    throw new OptionsError(`cluster name '${clusterName}' is not a valid FQDN (at most 64 characters, labels of letters, digits and '-')`);
  }
  const operationDelayMs = options.operationDelayMs ?? 100;
  if (!Number.isFinite(operationDelayMs) || operationDelayMs < 0) {
    throw new OptionsError(`operationDelayMs must be a non-negative number, got ${String(operationDelayMs)}`);
  }
  if (options.username !== undefined && options.username.trim() === "") throw new OptionsError("username must not be empty");
  if (options.password !== undefined && options.password === "") throw new OptionsError("password must not be empty");
  const resolved: ResolvedOptions = {
    nodes: addresses.slice(0, count).map((address, i) => ({ uid: i + 1, address, softwareVersion: versions[i] ?? DEFAULT_SOFTWARE_VERSION })),
    certValidityDays: integerIn("certValidityDays", options.certValidityDays, 1, 3650, 90),
    operationDelayMs,
    idle: options.idle === true,
    clusterName,
    username: options.username ?? `admin@${clusterName}`,
    password: options.password ?? randomSecret(24),
    httpsPort: integerIn("httpsPort", options.httpsPort, 0, 65535, 0),
    httpPort: integerIn("httpPort", options.httpPort, -1, 65535, 0),
    dataPlane: dataPlaneMode(options.dataPlane),
    internodePort: integerIn("internodePort", options.internodePort, 1, 65535, 3342),
  };
  if (options.stateFile !== undefined) resolved.stateFile = options.stateFile;
  if (options.keyBits !== undefined) resolved.keyBits = integerIn("keyBits", options.keyBits, 1024, 8192, 2048);
  return resolved;
}
