// Pure pieces of `npm run demo`, apart from the I/O so they can be tested: which engine runs, whether the
// InternodeFirewall can be declared on this machine, the stack config the runner sets, the property-level diff a
// refresh found, and the closing summary.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The first executable `name` in the PATH's folders. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const folder of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(folder, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The CLI to use: PULUMI_CLI (a path to the binary), else the first `pulumi` on the PATH. */
export function findPulumiCli(env: NodeJS.ProcessEnv = process.env): { path?: string; reason: string } {
  const named = env.PULUMI_CLI;
  if (named) {
    if (!fs.existsSync(named)) throw new Error(`PULUMI_CLI is ${named}, which does not exist; point it at the pulumi binary or unset it`);
    return { path: path.resolve(named), reason: "named by PULUMI_CLI" };
  }
  const found = onPath("pulumi", env);
  if (found) return { path: found, reason: "found on the PATH" };
  return { reason: "no pulumi CLI on the PATH and PULUMI_CLI is not set" };
}

/** What the demo needs to know of the emulated cluster's data plane. */
export interface DataPlaneFacts {
  layout: "off" | "loopback" | "namespaces";
  /** Why there is no data plane (layout "off"). */
  reason?: string;
  nodes: ReadonlyArray<{ uid: number; address: string; namespace?: string }>;
  /** Whether `nft` (package nftables) is on the PATH the provider runs with. */
  nftOnPath: boolean;
}

/**
 * The firewall's transport per node (uid -> network namespace), or why the demo declares no firewall. Only the
 * namespaces layout gives each node a network stack of its own: in the loopback layout the nodes share this
 * machine's, and a table there would filter the machine's own traffic (and the demo's clients) rather than a
 * node's.
 */
export function firewallPlan(plane: DataPlaneFacts): { namespaces: Record<string, string> } | { skipped: string } {
  if (plane.layout === "off") {
    return { skipped: `no data plane runs here (${plane.reason ?? "unavailable"}), so there are no node network stacks to put nftables tables on` };
  }
  if (plane.layout === "loopback") {
    return {
      skipped:
        "the nodes share this machine's network stack (loopback layout: the emulator is not running as root), so a table would filter this machine's own traffic; run as root for one network namespace per node",
    };
  }
  if (!plane.nftOnPath) return { skipped: "nft (package nftables) is not on the PATH, and the firewall's tables are written with it" };
  const namespaces: Record<string, string> = {};
  for (const node of plane.nodes) {
    if (!node.namespace) return { skipped: `node ${node.uid} (${node.address}) has no network namespace` };
    namespaces[String(node.uid)] = node.namespace;
  }
  if (Object.keys(namespaces).length === 0) return { skipped: "the data plane reports no nodes" };
  return { namespaces };
}

/** One stack config value, as `pulumi config set [--secret] key value` sets it. */
export interface ConfigValue {
  value: string;
  secret: boolean;
}

export interface DemoConfigInput {
  nodeUrls: string[];
  clusterName: string;
  adminUsername: string;
  adminPassword: string;
  caCertPem: string;
  sessionsPassword: string;
  firewallNamespaces?: Record<string, string>;
}

/** The stack config the runner sets for the demo program (program.ts, demoStackSettingsFromConfig). */
export function demoConfig(input: DemoConfigInput): Record<string, ConfigValue> {
  const config: Record<string, ConfigValue> = {
    "demo:nodes": { value: JSON.stringify(input.nodeUrls), secret: false },
    "demo:clusterName": { value: input.clusterName, secret: false },
    "demo:adminUsername": { value: input.adminUsername, secret: false },
    "demo:adminPassword": { value: input.adminPassword, secret: true },
    "demo:caCertPem": { value: input.caCertPem, secret: false },
    "demo:sessionsPassword": { value: input.sessionsPassword, secret: true },
  };
  if (input.firewallNamespaces) config["demo:firewallNamespaces"] = { value: JSON.stringify(input.firewallNamespaces), secret: false };
  return config;
}

/** The demo's cluster name (the Cluster's `name`, set at bootstrap). */
export const DEMO_CLUSTER_NAME = "demo.redis.local";

/**
 * The stack config for the demo program on an emulated cluster started with `idle: true` (the program bootstraps
 * it): the nodes' URLs and CA, random admin and sessions passwords (secret), and the firewall's namespaces when
 * given. What `npm run demo`, the e2e tests and the examples set.
 */
export function demoConfigFor(cluster: { nodes: ReadonlyArray<{ url: string }>; caCertPem: string }, firewallNamespaces?: Record<string, string>): Record<string, ConfigValue> {
  return demoConfig({
    nodeUrls: cluster.nodes.map((node) => node.url),
    clusterName: DEMO_CLUSTER_NAME,
    adminUsername: `admin@${DEMO_CLUSTER_NAME}`,
    adminPassword: crypto.randomBytes(18).toString("base64url"),
    caCertPem: cluster.caCertPem,
    sessionsPassword: crypto.randomBytes(12).toString("base64url"),
    ...(firewallNamespaces ? { firewallNamespaces } : {}),
  });
}

/** A resource as a checkpoint holds it, reduced to what the demo shows. */
export interface ResourceSnapshot {
  /** The resource's name in the program (the URN's last part). */
  name: string;
  /** The resource type's last part: Cluster, Database, ... */
  type: string;
  outputs: Record<string, unknown>;
  /** The inputs the checkpoint holds (what the program declared, as checked). */
  inputs: Record<string, unknown>;
  /** Output keys the engine keeps secret: never printed. */
  secretKeys: string[];
}

export interface PropertyDrift {
  resource: string;
  /**
   * The property is one the program declares (drift the next up puts back), rather than a fact the provider
   * reports (a certificate's days remaining, a node's status), which a refresh just brings up to date.
   */
  declared: boolean;
  /** `memorySize`, `nodes[1].tableInPlace`, ... */
  path: string;
  before: unknown;
  after: unknown;
}

// Outputs that are bookkeeping of the provider, not properties of the object: a change in them is no drift.
const BOOKKEEPING = new Set(["lastUpdateImpacts", "managedProperties"]);
const isBookkeeping = (key: string) => key.startsWith("__") || BOOKKEEPING.has(key);

function leafChanges(before: unknown, after: unknown, at: string, out: Array<{ path: string; before: unknown; after: unknown }>): void {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item, index) => leafChanges(item, after[index], `${at}[${index}]`, out));
    return;
  }
  if (isObject(before) && isObject(after) && !Array.isArray(before) && !Array.isArray(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) leafChanges(before[key], after[key], at === "" ? key : `${at}.${key}`, out);
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ path: at, before, after });
}

/** Whether `path` (`a.b[1].c`) leads to a value in the inputs: a property the program declares. */
function declaredAt(inputs: Record<string, unknown>, at: string): boolean {
  let value: unknown = inputs;
  for (const part of at.split(/\.|(?=\[)/)) {
    if (typeof value !== "object" || value === null) return false;
    const index = /^\[(\d+)\]$/.exec(part);
    value = index ? (Array.isArray(value) ? value[Number(index[1])] : undefined) : (value as Record<string, unknown>)[part];
  }
  return value !== undefined;
}

/**
 * What a refresh changed, property by property (leaf by leaf in nested values), per resource in checkpoint order.
 * Secret outputs are left out: their values are never shown, and their ciphertext changes with every write.
 */
export function refreshDrift(before: readonly ResourceSnapshot[], after: readonly ResourceSnapshot[]): PropertyDrift[] {
  const drift: PropertyDrift[] = [];
  for (const old of before) {
    const current = after.find((resource) => resource.name === old.name);
    if (!current) {
      drift.push({ resource: old.name, declared: true, path: "(resource)", before: "exists", after: "gone" });
      continue;
    }
    const secret = new Set([...old.secretKeys, ...current.secretKeys]);
    for (const key of [...new Set([...Object.keys(old.outputs), ...Object.keys(current.outputs)])]) {
      if (isBookkeeping(key) || secret.has(key)) continue;
      const changes: Array<{ path: string; before: unknown; after: unknown }> = [];
      leafChanges(old.outputs[key], current.outputs[key], key, changes);
      for (const change of changes) drift.push({ resource: old.name, declared: declaredAt(old.inputs, change.path) || declaredAt(current.inputs, change.path), ...change });
    }
  }
  return drift;
}

function shown(value: unknown): string {
  const text = value === undefined ? "(none)" : JSON.stringify(value);
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

const MiB = 1024 * 1024;

/** `~ memorySize: 134217728 => 268435456 (128MB => 256MB)`, as the engine writes a property-level diff. */
export function formatDrift(change: PropertyDrift): string {
  const { before, after } = change;
  // Sizes are bytes in state; a whole number of MB is easier to read beside them.
  const sizes = /(^|\.)memorySize$/.test(change.path) && typeof before === "number" && typeof after === "number" && before % MiB === 0 && after % MiB === 0;
  return `~ ${change.path}: ${shown(before)} => ${shown(after)}${sizes ? ` (${before / MiB}MB => ${after / MiB}MB)` : ""}`;
}

export interface DemoSummary {
  engine: string;
  created: string[];
  firewall: string;
  clients: Array<{ database: string; dropped: boolean }>;
  /** Changes of declared properties that a refresh found. */
  driftFound: PropertyDrift[];
  driftFixed: boolean;
  destroyed: boolean;
}

/** The closing lines of the demo. */
export function formatSummary(summary: DemoSummary): string[] {
  const dropped = summary.clients.filter((client) => client.dropped).map((client) => client.database);
  const kept = summary.clients.filter((client) => !client.dropped).map((client) => client.database);
  return [
    `engine:   ${summary.engine}`,
    `created:  ${summary.created.length > 0 ? summary.created.join(", ") : "nothing"}`,
    `firewall: ${summary.firewall}`,
    summary.clients.length === 0
      ? "clients:  none connected (no data plane)"
      : `clients:  dropped by the encryption change: ${dropped.length > 0 ? dropped.join(", ") : "none"}; kept: ${kept.length > 0 ? kept.join(", ") : "none"}`,
    `drift:    ${summary.driftFound.length === 0 ? "none found" : `${summary.driftFound.map((change) => `${change.resource} ${change.path}`).join(", ")} found by refresh, ${summary.driftFixed ? "put back by up" : "NOT put back"}`}`,
    `destroy:  ${summary.destroyed ? "every resource deleted; the emulated cluster, its processes and namespaces stopped" : "not reached"}`,
  ];
}
