// The InternodeFirewall's pure resource logic: check (validation, defaults, preview unknowns), diff (declared
// changes and drift found by read), the outputs, and the lines the preview prints. The provider (provider.ts)
// only adds the commands on the nodes.
import { type CheckFailure, containsUnknown, deepEqual, isPlainObject, renderCompact } from "../core";
import { internodeFirewallRules, parseFirewallSpec } from "./spec";
import type { FirewallNode, FirewallNodeStatus, FirewallSpec, InternodeFirewallOutputs } from "./types";

type Props = Readonly<Record<string, unknown>>;

/** The inputs a program may declare (the public contract). */
export const FIREWALL_INPUT_KEYS = ["nodes", "ports", "allowedSources", "table"] as const;
/** The outputs besides the inputs; the SDK seeds them so the engine fills them in. */
export const FIREWALL_OUTPUT_KEYS = ["nodes", "rules", "declaredNodes"] as const;
/** Outputs always stored as secrets: the declared transports hold ssh private keys. */
export const FIREWALL_SECRET_OUTPUTS = ["declaredNodes"] as const;

/** `InternodeFirewall (table inet redis_enterprise)`: the provider never learns the resource's own name. */
export function firewallLabel(table: unknown): string {
  return `InternodeFirewall (table inet ${typeof table === "string" && table !== "" ? table : "redis_enterprise"})`;
}

/**
 * Validates and canonicalises the declared inputs. A property that holds a preview unknown anywhere is passed
 * through untouched (check runs again with known values before anything is applied); unknown keys are refused
 * (they are almost always typos).
 */
export function checkFirewall(news: Props): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  for (const key of Object.keys(news)) {
    if (key === "__provider" || (FIREWALL_OUTPUT_KEYS as readonly string[]).includes(key) || news[key] === undefined) continue;
    if (!(FIREWALL_INPUT_KEYS as readonly string[]).includes(key)) {
      failures.push({ property: key, reason: `${key} is not an input of InternodeFirewall; expected ${FIREWALL_INPUT_KEYS.join(", ")}` });
    }
  }
  const unknown = FIREWALL_INPUT_KEYS.filter((key) => containsUnknown(news[key]));
  // Parse with placeholders for unknown properties so the known ones are still validated now.
  const placeholders: Record<string, unknown> = { nodes: [{ address: "192.0.2.1", transport: { type: "local" } }], ports: [3342], allowedSources: [], table: "redis_enterprise" };
  const probe: Record<string, unknown> = {};
  for (const key of FIREWALL_INPUT_KEYS) probe[key] = unknown.includes(key) ? placeholders[key] : news[key];
  const parsed = parseFirewallSpec(probe);
  if (!parsed.ok) return { inputs: { ...news }, failures: [...failures, ...parsed.failures] };
  const inputs: Record<string, unknown> = { ...(news.__provider === undefined ? {} : { __provider: news.__provider }) };
  for (const key of FIREWALL_INPUT_KEYS) inputs[key] = unknown.includes(key) ? news[key] : parsed.spec[key];
  return { inputs, failures };
}

/** The canonical spec of checked inputs (throws on invalid ones: check has run). */
export function specOf(inputs: Props): FirewallSpec {
  const parsed = parseFirewallSpec(inputs);
  if (!parsed.ok) throw new Error(`InternodeFirewall: ${parsed.failures.map((failure) => failure.reason).join("; ")}`);
  return parsed.spec;
}

/** The spec a state was written with: the declared nodes are in `declaredNodes` (outputs' `nodes` are statuses). */
export function recordedSpec(outputs: Props): FirewallSpec | undefined {
  const parsed = parseFirewallSpec({ nodes: outputs.declaredNodes, ports: outputs.ports, allowedSources: outputs.allowedSources, table: outputs.table });
  return parsed.ok ? parsed.spec : undefined;
}

export function firewallOutputs(spec: FirewallSpec, statuses: FirewallNodeStatus[]): InternodeFirewallOutputs {
  return {
    nodes: statuses,
    ports: spec.ports,
    allowedSources: spec.allowedSources,
    table: spec.table,
    rules: internodeFirewallRules({ nodes: spec.nodes, ports: spec.ports, allowedSources: spec.allowedSources }),
    declaredNodes: spec.nodes,
  };
}

/** The recorded per-node statuses, tolerating state written by other versions. */
function recordedStatuses(outputs: Props): FirewallNodeStatus[] {
  const nodes = outputs.nodes;
  if (!Array.isArray(nodes)) return [];
  return nodes.filter(isPlainObject).map((node) => ({
    address: String(node.address),
    transport: String(node.transport) as FirewallNodeStatus["transport"],
    tableInPlace: node.tableInPlace === true,
    drift: Array.isArray(node.drift) ? node.drift.map(String) : [],
  }));
}

const nodeKey = (node: FirewallNode) => JSON.stringify(node);
const portsText = (ports: FirewallSpec["ports"]) => renderCompact(ports, 200);

export interface FirewallDiff {
  changes: boolean;
  replaces: string[];
  /** One plain line per change or drifted node, for stderr. */
  notes: string[];
}

/**
 * Compares the declared inputs with the recorded outputs (which a refresh rewrote from the nodes). Drift on a
 * node is a change: the update rewrites that node's table. Changing `table` replaces the resource: the new
 * table is written, then the old one removed.
 */
export function diffFirewall(olds: Props, news: Props): FirewallDiff {
  const label = firewallLabel(news.table ?? olds.table);
  const notes: string[] = [];
  const replaces: string[] = [];
  const old = recordedSpec(olds);
  const unknown = FIREWALL_INPUT_KEYS.filter((key) => containsUnknown(news[key]));
  if (!old) {
    notes.push(`${label}: the recorded state is not readable; the tables are rewritten from the declaration`);
    return { changes: true, replaces, notes };
  }
  let changes = unknown.length > 0;
  for (const key of unknown) notes.push(`${label}: ${key} is not known yet; the tables are rewritten if it changes`);
  if (!unknown.includes("table") && news.table !== old.table) {
    changes = true;
    replaces.push("table");
    notes.push(`${label}: table ${old.table} -> ${String(news.table)} writes the new table on every node, then removes the old one`);
  }
  if (!unknown.includes("nodes") && Array.isArray(news.nodes)) {
    const next = news.nodes as FirewallNode[];
    const before = new Map(old.nodes.map((node) => [node.address, node]));
    const after = new Set(next.map((node) => node.address));
    for (const node of next) {
      const previous = before.get(node.address);
      if (!previous) notes.push(`${label}: adds node ${node.address}: its table is written and every node's peer set gains it`);
      else if (nodeKey(previous) !== nodeKey(node)) notes.push(`${label}: node ${node.address} is now reached by ${node.transport.type}`);
    }
    for (const node of old.nodes) {
      if (!after.has(node.address)) notes.push(`${label}: removes node ${node.address}: its table is removed and the other nodes stop accepting it`);
    }
    if (!deepEqual(old.nodes, next)) changes = true;
  }
  if (!unknown.includes("ports") && !deepEqual(old.ports, news.ports)) {
    changes = true;
    notes.push(
      `${label}: ports ${portsText(old.ports)} -> ${portsText(news.ports as FirewallSpec["ports"])}: ` +
        "only the nodes and allowedSources can connect to the listed ports; a port no longer listed is no longer filtered",
    );
  }
  if (!unknown.includes("allowedSources") && !deepEqual(old.allowedSources, news.allowedSources)) {
    changes = true;
    notes.push(`${label}: allowedSources ${renderCompact(old.allowedSources, 200)} -> ${renderCompact(news.allowedSources, 200)}`);
  }
  for (const status of recordedStatuses(olds)) {
    if (status.tableInPlace) continue;
    changes = true;
    notes.push(`${label}: node ${status.address} (${status.transport}) differs from the declaration (${status.drift.join("; ") || "table not in place"}); the update rewrites its table`);
  }
  return { changes, replaces, notes };
}
