// The InternodeFirewall's pure resource logic: check (validation, defaults, preview unknowns), diff (declared
// changes and drift found by read), the outputs, and the lines the preview prints. The provider (provider.ts)
// only adds the commands on the nodes.
import { type CheckFailure, checkInputs, diffProperties, isDeclared, isPlainObject, noteLines } from "../core";
import { DEFAULT_PORTS } from "./ports";
import { DEFAULT_TABLE } from "./spec";
import { FIREWALL_TABLE } from "./table";
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
 * Validates and canonicalises the declared inputs with the property table (a property that holds a preview
 * unknown anywhere is passed through: check runs again with known values before anything is applied), applies the
 * defaults, and refuses unknown keys (they are almost always typos).
 */
export function checkFirewall(news: Props): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  for (const key of Object.keys(news)) {
    if (key === "__provider" || (FIREWALL_OUTPUT_KEYS as readonly string[]).includes(key) || news[key] === undefined) continue;
    if (!(FIREWALL_INPUT_KEYS as readonly string[]).includes(key)) {
      failures.push({ property: key, reason: `${key} is not an input of InternodeFirewall; expected ${FIREWALL_INPUT_KEYS.join(", ")}` });
    }
  }
  if (!isDeclared(news, "nodes")) failures.push({ property: "nodes", reason: "nodes is required: the cluster's nodes as [{ address, transport }]" });
  const checked = checkInputs(FIREWALL_TABLE, news);
  failures.push(...checked.failures);
  const inputs: Record<string, unknown> = { ...(news.__provider === undefined ? {} : { __provider: news.__provider }) };
  const defaults: Record<string, unknown> = { ports: [...DEFAULT_PORTS], allowedSources: [], table: DEFAULT_TABLE };
  for (const key of FIREWALL_INPUT_KEYS) {
    const value = (checked.inputs as Record<string, unknown>)[key];
    if (value !== undefined) inputs[key] = value;
    else if (key in defaults) inputs[key] = defaults[key];
  }
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


export interface FirewallDiff {
  changes: boolean;
  replaces: string[];
  /** One plain line per change or drifted node, for stderr. */
  notes: string[];
}

/**
 * Compares the declared inputs with the recorded state through the property table (the old `nodes` is the
 * recorded declaration, `declaredNodes`: the `nodes` output holds per-node statuses), then turns drift that
 * read found on a node into a change: the update rewrites that node's table. Changing `table` replaces the
 * resource: the new table is written, then the old one removed.
 */
export function diffFirewall(olds: Props, news: Props): FirewallDiff {
  const label = firewallLabel(news.table ?? olds.table);
  const recorded = { nodes: olds.declaredNodes, ports: olds.ports, allowedSources: olds.allowedSources, table: olds.table };
  const diff = diffProperties(FIREWALL_TABLE, recorded, news);
  const notes = noteLines(label, diff.changed, FIREWALL_TABLE.wording);
  for (const refusal of diff.refused) notes.push(`${label}: ${refusal.reason}`);
  let changes = diff.changes;
  for (const status of recordedStatuses(olds)) {
    if (status.tableInPlace) continue;
    changes = true;
    notes.push(`${label}: node ${status.address} (${status.transport}) differs from the declaration (${status.drift.join("; ") || "table not in place"}); the update rewrites its table`);
  }
  return { changes, replaces: diff.replaces, notes };
}
