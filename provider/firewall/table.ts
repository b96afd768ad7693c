// The InternodeFirewall property table: one row per input, the single source of validation, diff, the preview
// notes and the README reference. Facts: ../shared/reference/rs-rest-api.md §7 (ports; 3342 for internode
// encryption). The "REST field" of a row is where it lands in the nftables table each node carries.
import { type ImpactWording, type PropertyTable, renderMarkdownTable, rowBuilder } from "../core";
import { allowedSourcesSchema, nodesSchema, portsSchema, tableSchema } from "./spec";
import type { PortsInput } from "./ports";
import { describeTransport } from "./transport";
import type { FirewallNode, FirewallNodeStatus } from "./types";

/** The table properties in canonical form (defaults applied by check). */
export interface FirewallProperties {
  nodes: FirewallNode[];
  ports: PortsInput;
  allowedSources: string[];
  table: string;
}

/**
 * What the nodes carry, in the same terms: the recorded declaration, each node's status against it, and as the
 * live `nodes` the declared nodes whose table is in place (a node whose table differs is left out of `nodes`).
 */
export interface LiveFirewall extends FirewallProperties {
  /** Every declared node with its transport (read and delete need them all, in place or not). */
  declaredNodes: FirewallNode[];
  /** Per declared node, in order: whether its table is in place, and what differs. */
  statuses: FirewallNodeStatus[];
}

const row = rowBuilder<FirewallProperties, LiveFirewall>();

/** A firewall change affects traffic between hosts, not the clients of a database: its own sentences. */
export const FIREWALL_WORDING: ImpactWording = {
  consequences: { none: "rewrites the table on every node (atomically; no moment without the rules)" },
  labels: { none: "none (rewrites the tables)" },
};

const nodesRow = row({
  name: "nodes",
  restField: "nft sets peers_v4, peers_v6 on every node",
  schema: nodesSchema,
  description: "The cluster's nodes: each one's address (IPv4 or IPv6, as its peers see it) and how to run nft on it (local, netns, ssh)",
  notes:
    "Every node's table accepts the ports from every node's address. An ssh transport's privateKey is a secret: the SDK marks it, and it appears in no note, error or unmarked output (notes show addresses and how each node is reached, never the key)",
  source: "RS/networking/port-configurations.md (all internal ports open between all nodes)",
  fromRest: (live) => live.nodes,
  display: (nodes) => nodes.map((node) => `${node.address} (${describeTransport(node.transport)})`),
  changes: [
    {
      mode: "in-place",
      impact: "none",
      consequence: "writes the table on each added node, updates every node's peer set, and removes the table from a node no longer listed",
    },
  ],
});

const portsRow = row({
  name: "ports",
  restField: "nft set ports",
  schema: portsSchema,
  description: 'TCP ports and "FROM-TO" ranges that only the nodes (and allowedSources) may connect to, or "internode-only" for every port of the port table whose source is Internal only',
  notes: 'Default [3342], the TLS channel of data internode encryption. Sorted and merged ("3342, 3343" is "3342-3343")',
  source: "RS/networking/port-configurations.md; RS/security/encryption/internode-encryption.md",
  fromRest: (live) => live.ports,
  changes: [
    {
      mode: "in-place",
      impact: "none",
      consequence: "rewrites every node's table: only the nodes and allowedSources can connect to the listed ports, and a port no longer listed is no longer filtered",
    },
  ],
});

const allowedSourcesRow = row({
  name: "allowedSources",
  restField: "nft sets allowed_v4, allowed_v6",
  schema: allowedSourcesSchema,
  description: "Extra addresses or CIDR prefixes that may also connect to the ports (monitoring, a bastion)",
  notes: "Default []. Sorted, duplicates removed; a prefix with host bits set is refused",
  source: "RS/networking/port-configurations.md",
  fromRest: (live) => live.allowedSources,
  changes: [{ mode: "in-place", impact: "none", consequence: "rewrites every node's table with the new sources" }],
});

const tableRow = row({
  name: "table",
  restField: "nft table inet <table>",
  schema: tableSchema,
  description: "The nftables table (family inet) the resource owns on each node; nothing outside it is touched",
  notes: 'Default "redis_enterprise". A table of that name that the resource did not make is refused, not overwritten',
  source: "nft(8): tables, sets and atomic rule-set replacement with nft -f",
  fromRest: (live) => live.table,
  changes: [
    {
      mode: "replace",
      impact: "none",
      reason: "the table is the resource's identity on each node: the new table is written on every node, then the old one removed",
      consequence: "writes the new table on every node, then removes the old one",
    },
  ],
});

export const FIREWALL_TABLE: PropertyTable<FirewallProperties, LiveFirewall> = {
  resource: "InternodeFirewall",
  rows: [nodesRow, portsRow, allowedSourcesRow, tableRow],
  rules: [],
  wording: FIREWALL_WORDING,
};

// Compile-time check that the table has a row for every property (and nothing else).
type RowNames = (typeof FIREWALL_TABLE.rows)[number]["name"];
const everyProperty: Record<keyof FirewallProperties, RowNames> = { nodes: "nodes", ports: "ports", allowedSources: "allowedSources", table: "table" };
void everyProperty;

/** The README's InternodeFirewall reference (generated by `npm run docs`). */
export function internodeFirewallReferenceMarkdown(): string {
  return renderMarkdownTable(FIREWALL_TABLE);
}
