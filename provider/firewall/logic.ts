// The InternodeFirewall's pure resource logic: its definition on the framework (provider/core/resource.ts), from
// which check (validation, defaults, preview unknowns), diff (declared changes and drift found by read), the
// outputs and the preview notes are derived. The provider (provider.ts) only adds the commands on the nodes.
import { type CheckFailure, type ResourceDefinition, checkInputs, diffResource, isDeclared, isPlainObject, isUnknown } from "../core";
import { DEFAULT_PORTS } from "./ports";
import { DEFAULT_TABLE } from "./spec";
import { FIREWALL_TABLE, type FirewallProperties, type LiveFirewall } from "./table";
import { internodeFirewallRules, parseFirewallSpec } from "./spec";
import type { FirewallNodeStatus, FirewallSpec, InternodeFirewallOutputs } from "./types";

type Props = Readonly<Record<string, unknown>>;

/** The inputs a program may declare (the public contract). */
export const FIREWALL_INPUT_KEYS = ["nodes", "ports", "allowedSources", "table"] as const;
/** The outputs besides the inputs; the SDK seeds them so the engine fills them in. */
export const FIREWALL_OUTPUT_KEYS = ["nodes", "rules", "declaredNodes"] as const;
/** Outputs always stored as secrets: the declared transports hold ssh private keys. */
export const FIREWALL_SECRET_OUTPUTS = ["declaredNodes"] as const;
/** The framework's bookkeeping outputs (what the program manages, what the last update changed). */
const BOOKKEEPING_KEYS = ["managedProperties", "lastUpdateImpacts"] as const;

/** `InternodeFirewall (table inet redis_enterprise)`: the label of notes and errors (the URN follows notes). */
export function firewallLabel(table: unknown): string {
  return `InternodeFirewall (table inet ${typeof table === "string" && table !== "" && !isUnknown(table) ? table : "redis_enterprise"})`;
}

/**
 * Validates and canonicalises the declared inputs with the property table (a property that holds a preview
 * unknown anywhere is passed through: check runs again with known values before anything is applied), applies the
 * defaults (every input is managed), and refuses unknown keys (they are almost always typos). Internal keys
 * (`__provider`, `__urn`) and the outputs the SDK seeds are not inputs and pass. No change of the firewall is
 * refused or disruptive (every row's impact is "none"), so check has nothing to compare with the old inputs.
 */
export function checkFirewall(news: Props): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const tolerated: readonly string[] = [...FIREWALL_OUTPUT_KEYS, ...BOOKKEEPING_KEYS];
  for (const key of Object.keys(news)) {
    if (key.startsWith("__") || tolerated.includes(key) || news[key] === undefined) continue;
    if (!(FIREWALL_INPUT_KEYS as readonly string[]).includes(key)) {
      failures.push({ property: key, reason: `${key} is not an input of InternodeFirewall; expected ${FIREWALL_INPUT_KEYS.join(", ")}` });
    }
  }
  if (!isDeclared(news, "nodes")) failures.push({ property: "nodes", reason: "nodes is required: the cluster's nodes as [{ address, transport }]" });
  const checked = checkInputs(FIREWALL_TABLE, news);
  failures.push(...checked.failures);
  const inputs: Record<string, unknown> = { ...(news.__provider === undefined ? {} : { __provider: news.__provider }) };
  // The URN the SDK computed: the provider's notes end with it (the engine shows them under the stack).
  if (typeof news.__urn === "string") inputs.__urn = news.__urn;
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

/** What the nodes carry for a declaration, given each node's status (in node order). */
export function liveFirewall(spec: FirewallSpec, statuses: readonly FirewallNodeStatus[]): LiveFirewall {
  const inPlace = new Set(statuses.filter((status) => status.tableInPlace).map((status) => status.address));
  return {
    nodes: spec.nodes.filter((node) => inPlace.has(node.address)),
    ports: spec.ports,
    allowedSources: spec.allowedSources,
    table: spec.table,
    declaredNodes: spec.nodes,
    statuses: [...statuses],
  };
}

/** The recorded per-node statuses, tolerating state written by other versions (entries without a status are skipped). */
function recordedStatuses(outputs: Props): FirewallNodeStatus[] {
  const nodes = outputs.nodes;
  if (!Array.isArray(nodes)) return [];
  return nodes
    .filter((node): node is Record<string, unknown> => isPlainObject(node) && typeof node.tableInPlace === "boolean")
    .map((node) => ({
      address: String(node.address),
      transport: String(node.transport) as FirewallNodeStatus["transport"],
      tableInPlace: node.tableInPlace === true,
      drift: Array.isArray(node.drift) ? node.drift.map(String) : [],
    }));
}

/**
 * A node whose table a refresh found changed, one line each: a change beyond the table's values (the declaration
 * did not change), which the update answers by rewriting every node's table.
 */
export function firewallStatusNotes(outputs: Props, label: string): string[] {
  return recordedStatuses(outputs)
    .filter((status) => !status.tableInPlace)
    .map((status) => `${label}: node ${status.address} (${status.transport}) differs from the declaration (${status.drift.join("; ") || "table not in place"}); the update rewrites its table`);
}

/**
 * The InternodeFirewall on the framework. Its `nodes` output is per-node statuses (the public contract), so the
 * rows' recorded values come from `declaredNodes`; a refresh returns as the live `nodes` the declared nodes whose
 * table is in place, so the engine shows a drifted node as a property-level diff of `nodes`; and a drifted node
 * is a change of its own (firewallStatusNotes), which the update answers by rewriting every node's table.
 */
export const FIREWALL_RESOURCE: ResourceDefinition<FirewallProperties, LiveFirewall> = {
  kind: "InternodeFirewall",
  noun: "firewall",
  idName: "id",
  table: FIREWALL_TABLE,
  settings: [],
  outputKeys: [...FIREWALL_OUTPUT_KEYS, ...BOOKKEEPING_KEYS],
  secretOutputKeys: FIREWALL_SECRET_OUTPUTS,
  label: (news, olds = {}) => firewallLabel(typeof news.table === "string" && !isUnknown(news.table) ? news.table : olds.table),
  liveOutputs: (live) => ({
    nodes: live.statuses,
    rules: internodeFirewallRules({ nodes: live.declaredNodes, ports: live.ports, allowedSources: live.allowedSources }),
    declaredNodes: live.declaredNodes,
  }),
  idOf: (live) => live.table,
  // A new table name is a new table: written on every node next to the old one, which is then removed.
  deleteBeforeReplace: false,
  recordedValues: (outputs) => (Array.isArray(outputs.declaredNodes) ? { nodes: outputs.declaredNodes } : {}),
  refreshedValues: (outputs) => {
    if (!Array.isArray(outputs.declaredNodes)) return {};
    const statuses = recordedStatuses(outputs);
    const drifted = new Set(statuses.filter((status) => !status.tableInPlace).map((status) => status.address));
    return { nodes: outputs.declaredNodes.filter((node) => !(isPlainObject(node) && drifted.has(String(node.address)))) };
  },
};

export interface FirewallDiff {
  changes: boolean;
  replaces: string[];
  /** One plain line per change or drifted node, for stderr. */
  notes: string[];
}

/**
 * The framework's diff of the definition and the nodes' drift (what the provider's diff prints and answers): the declared inputs
 * against the recorded declaration (`declaredNodes`), through the property table, and drift that read found on
 * a node as a change. Changing `table` replaces the resource: the new table is written, then the old one removed.
 */
export function diffFirewall(olds: Props, news: Props): FirewallDiff {
  const diff = diffResource(FIREWALL_RESOURCE, olds, news);
  const drift = firewallStatusNotes(olds, FIREWALL_RESOURCE.label(news, olds));
  return { changes: diff.changes || drift.length > 0, replaces: diff.replaces, notes: [...diff.notes, ...drift] };
}
