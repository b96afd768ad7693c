// The nftables side of the InternodeFirewall, pure: the script that (re)writes the resource's table, the script
// that removes it, the parser of `nft -j list table inet <table>`, and the comparison of what a node has with
// what is declared (drift).
//
// The table holds everything that varies in sets (peers_v4, peers_v6, allowed_v4, allowed_v6, ports), so its
// rules are always the same five lines. The script declares the table, deletes it and defines it again, and
// `nft -f` runs a file as one transaction: a re-apply is atomic (no moment without the rules) and idempotent,
// and it works whether the table existed or not. Only `inet <table>` is ever named, so no other table, chain or
// rule on the node is touched.
import { type Cidr, formatElement, parseAddress, parseCidr } from "./addresses";
import { formatPortRange, portRangesOf, type PortRange } from "./ports";
import { specAddresses } from "./spec";
import type { FirewallSpec } from "./types";

/** Every rule comment of the resource starts with this; a table without it was not made by the resource. */
export const OWNER_MARK = "redisenterprise:InternodeFirewall";

/** The base chain: filter at the input hook, priority 0 (filter), policy accept (other traffic is not ours). */
export const CHAIN = { name: "input", type: "filter", hook: "input", prio: 0, policy: "accept" } as const;

type SetName = "peers_v4" | "peers_v6" | "allowed_v4" | "allowed_v6" | "ports";
const SET_TYPES: Readonly<Record<SetName, string>> = {
  peers_v4: "ipv4_addr",
  peers_v6: "ipv6_addr",
  allowed_v4: "ipv4_addr",
  allowed_v6: "ipv6_addr",
  ports: "inet_service",
};
// Peers are single addresses (no interval flag); allowed sources may be prefixes and ports ranges.
const INTERVAL_SETS: ReadonlySet<SetName> = new Set<SetName>(["allowed_v4", "allowed_v6", "ports"]);
const SET_NAMES = Object.keys(SET_TYPES) as SetName[];

/** The rules in order, as `describeRule` writes them back from `nft -j`, with their comments. */
const RULES: ReadonlyArray<{ text: string; comment: string }> = [
  { text: "tcp dport @ports ip saddr @peers_v4 accept", comment: "accept from the cluster's IPv4 nodes" },
  { text: "tcp dport @ports ip6 saddr @peers_v6 accept", comment: "accept from the cluster's IPv6 nodes" },
  { text: "tcp dport @ports ip saddr @allowed_v4 accept", comment: "accept from allowed IPv4 sources" },
  { text: "tcp dport @ports ip6 saddr @allowed_v6 accept", comment: "accept from allowed IPv6 sources" },
  { text: "tcp dport @ports drop", comment: "drop from anyone else" },
];

/** The normalised content of the resource's table: what is declared, or what a node has. */
export interface TableDescription {
  /** Set name -> canonical element texts, sorted ("198.51.100.7", "10.0.0.0/8", 3342 as "3342", "20000-29999"). */
  sets: Record<string, string[]>;
  /** Base chains and regular chains by name, with their rules in order (comments left out). */
  chains: Record<string, { type?: string; hook?: string; prio?: number; policy?: string; rules: string[] }>;
  /** True when a rule comment carries OWNER_MARK. */
  owned: boolean;
}

function byFamily(cidrs: readonly Cidr[], family: Cidr["family"]): Cidr[] {
  return cidrs.filter((cidr) => cidr.family === family);
}

function elementsOf(spec: FirewallSpec): Record<SetName, string[]> {
  const { peers, allowed } = specAddresses(spec);
  return {
    peers_v4: byFamily(peers, "ipv4").map(formatElement),
    peers_v6: byFamily(peers, "ipv6").map(formatElement),
    allowed_v4: byFamily(allowed, "ipv4").map(formatElement),
    allowed_v6: byFamily(allowed, "ipv6").map(formatElement),
    ports: portRangesOf(spec.ports).map((range) => String(formatPortRange(range))),
  };
}

/** What the declared table looks like, in the parser's terms. */
export function expectedTable(spec: FirewallSpec): TableDescription {
  const elements = elementsOf(spec);
  const sets: Record<string, string[]> = {};
  for (const name of SET_NAMES) sets[name] = sortElements(elements[name]);
  const { name, ...chain } = CHAIN;
  return { sets, chains: { [name]: { ...chain, rules: RULES.map((rule) => rule.text) } }, owned: true };
}

/** The `nft -f` script that makes the node's table exactly the declared one, atomically. */
export function renderApplyScript(spec: FirewallSpec): string {
  const elements = elementsOf(spec);
  const lines = [
    `# ${OWNER_MARK}: the table inet ${spec.table} is managed by Pulumi; changes made by hand are reported as drift and undone by pulumi up.`,
    // Declaring first makes the delete succeed when the table does not exist yet; the whole file is one transaction.
    `table inet ${spec.table}`,
    `delete table inet ${spec.table}`,
    `table inet ${spec.table} {`,
  ];
  for (const name of SET_NAMES) {
    lines.push(`\tset ${name} {`, `\t\ttype ${SET_TYPES[name]}`);
    if (INTERVAL_SETS.has(name)) lines.push("\t\tflags interval");
    // nft refuses an empty "elements = { }", so an empty set has no elements line.
    if (elements[name].length > 0) lines.push(`\t\telements = { ${elements[name].join(", ")} }`);
    lines.push("\t}");
  }
  lines.push(`\tchain ${CHAIN.name} {`, `\t\ttype ${CHAIN.type} hook ${CHAIN.hook} priority ${CHAIN.prio}; policy ${CHAIN.policy};`);
  for (const rule of RULES) lines.push(`\t\t${rule.text} comment "${OWNER_MARK}: ${rule.comment}"`);
  lines.push("\t}", "}", "");
  return lines.join("\n");
}

/** The `nft -f` script that removes the resource's table, and nothing else; it succeeds when it is already gone. */
export function renderDeleteScript(table: string): string {
  return [`table inet ${table}`, `delete table inet ${table}`, ""].join("\n");
}

/** The command that lists the table as JSON; it fails with "No such file or directory" when the table is absent. */
export function listTableCommand(table: string): string[] {
  return ["nft", "-j", "list", "table", "inet", table];
}

/**
 * True for the error `nft list table` gives when the table does not exist: a line that starts with "Error: No
 * such file or directory" (nft 0.9-1.0 may add "; did you mean table ..."). Anchored, because `ip netns exec`
 * reports a missing namespace with the same errno text, and that is a failure, not an absent table.
 */
export function isMissingTableError(stderr: string): boolean {
  return /^Error: No such file or directory/m.test(stderr);
}

// ---- Parsing `nft -j` (the libnftables JSON schema, json_schema_version 1).

type Json = unknown;
const isObject = (value: Json): value is Record<string, Json> => typeof value === "object" && value !== null && !Array.isArray(value);

function compact(value: Json): string {
  return JSON.stringify(value) ?? String(value);
}

function portRangeText(range: PortRange): string {
  return String(formatPortRange(range));
}

/** One set element in canonical text; an unexpected shape is kept as compact JSON so it still shows as drift. */
function describeElement(element: Json): string {
  if (isObject(element) && "elem" in element && isObject(element.elem)) return describeElement(element.elem.val);
  if (typeof element === "number") return String(element);
  if (typeof element === "string") {
    const address = parseAddress(element);
    return address ? formatElement({ ...address, prefix: address.family === "ipv4" ? 32 : 128 }) : element;
  }
  if (isObject(element) && isObject(element.prefix)) {
    const parsed = parseCidr(`${String(element.prefix.addr)}/${String(element.prefix.len)}`);
    return parsed.ok ? formatElement(parsed.cidr) : compact(element);
  }
  if (isObject(element) && Array.isArray(element.range) && element.range.length === 2) {
    const [from, to] = element.range;
    if (typeof from === "number" && typeof to === "number") return portRangeText({ from, to });
    return `${describeElement(from)}-${describeElement(to)}`;
  }
  return compact(element);
}

function describeOperand(value: Json): string {
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (isObject(value) && Array.isArray(value.set)) return `{ ${value.set.map(describeElement).join(", ")} }`;
  if (isObject(value) && (isObject(value.prefix) || Array.isArray(value.range))) return describeElement(value);
  if (isObject(value) && isObject(value.payload)) return `${String(value.payload.protocol)} ${String(value.payload.field)}`;
  if (isObject(value) && isObject(value.meta)) return `meta ${String(value.meta.key)}`;
  return compact(value);
}

/** One statement of a rule as nft would print it (the forms this resource writes, plus common ones). */
function describeStatement(statement: Json): string {
  if (!isObject(statement)) return compact(statement);
  const [key] = Object.keys(statement);
  const body = statement[key];
  switch (key) {
    case "match": {
      if (!isObject(body)) return compact(statement);
      const op = body.op === "==" || body.op === "in" ? "" : `${String(body.op)} `;
      return `${describeOperand(body.left)} ${op}${describeOperand(body.right)}`;
    }
    case "accept":
    case "drop":
    case "continue":
    case "return":
      return key;
    case "reject":
      return "reject";
    case "jump":
    case "goto":
      return isObject(body) ? `${key} ${String(body.target)}` : key;
    case "counter":
      return "counter";
    case "log":
      return "log";
    default:
      return compact(statement);
  }
}

/** A rule's statements as one line, without its comment (comments are not compared). */
export function describeRule(expr: Json): string {
  return Array.isArray(expr) ? expr.map(describeStatement).join(" ") : compact(expr);
}

function sortElements(elements: readonly string[]): string[] {
  // Numeric order for ports and ranges, then text: the order only matters for stable comparison and display.
  const key = (text: string) => (/^\d+(-\d+)?$/.test(text) ? text.split("-").map((part) => part.padStart(5, "0")).join("-") : `~${text}`);
  return [...elements].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Parses the output of `nft -j list table inet <table>` into a description. Throws with the reason when the text
 * is not nft's JSON (the caller names the node).
 */
export function parseListedTable(json: string, table: string): TableDescription {
  let document: Json;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw new Error(`nft -j printed something that is not JSON (${(error as Error).message}): ${json.slice(0, 200)}`);
  }
  if (!isObject(document) || !Array.isArray(document.nftables)) throw new Error(`nft -j printed JSON without an "nftables" list: ${json.slice(0, 200)}`);
  const description: TableDescription = { sets: {}, chains: {}, owned: false };
  const ours = (item: Record<string, Json>) => item.family === "inet" && item.table === table;
  for (const entry of document.nftables) {
    if (!isObject(entry)) continue;
    if (isObject(entry.set) && ours(entry.set)) {
      const elements = Array.isArray(entry.set.elem) ? entry.set.elem.map(describeElement) : [];
      description.sets[String(entry.set.name)] = sortElements(elements);
    } else if (isObject(entry.chain) && ours(entry.chain)) {
      const chain = entry.chain;
      description.chains[String(chain.name)] = {
        ...(chain.type === undefined ? {} : { type: String(chain.type) }),
        ...(chain.hook === undefined ? {} : { hook: String(chain.hook) }),
        ...(typeof chain.prio === "number" ? { prio: chain.prio } : {}),
        ...(chain.policy === undefined ? {} : { policy: String(chain.policy) }),
        rules: description.chains[String(chain.name)]?.rules ?? [],
      };
    } else if (isObject(entry.rule) && ours(entry.rule)) {
      const rule = entry.rule;
      const name = String(rule.chain);
      description.chains[name] ??= { rules: [] };
      description.chains[name].rules.push(describeRule(rule.expr));
      if (typeof rule.comment === "string" && rule.comment.startsWith(OWNER_MARK)) description.owned = true;
    }
  }
  return description;
}

function setElementLabel(set: string, element: string): string {
  if (set.startsWith("peers_")) return `peer ${element}`;
  if (set.startsWith("allowed_")) return `allowed source ${element}`;
  return `port ${element}`;
}

/**
 * What differs between the declared table and what a node has (undefined: no table at all), one sentence per
 * difference, in a stable order. Empty means the table is in place.
 */
export function tableDrift(expected: TableDescription, actual: TableDescription | undefined, table: string): string[] {
  if (!actual) return [`table inet ${table} is missing`];
  const drift: string[] = [];
  for (const [name, elements] of Object.entries(expected.sets)) {
    const live = actual.sets[name];
    if (!live) {
      drift.push(`set ${name} is missing`);
      continue;
    }
    for (const element of elements) if (!live.includes(element)) drift.push(`${setElementLabel(name, element)} missing from set ${name}`);
    for (const element of live) if (!elements.includes(element)) drift.push(`unexpected ${setElementLabel(name, element)} in set ${name}`);
  }
  for (const name of Object.keys(actual.sets)) if (!(name in expected.sets)) drift.push(`unexpected set ${name}`);
  for (const [name, chain] of Object.entries(expected.chains)) {
    const live = actual.chains[name];
    if (!live) {
      drift.push(`chain ${name} is missing`);
      continue;
    }
    for (const key of ["type", "hook", "prio", "policy"] as const) {
      if (live[key] !== chain[key]) drift.push(`chain ${name} has ${key} ${String(live[key] ?? "(none)")} instead of ${String(chain[key])}`);
    }
    const remaining = [...live.rules];
    const removed: string[] = [];
    for (const rule of chain.rules) {
      const at = remaining.indexOf(rule);
      if (at < 0) removed.push(rule);
      else remaining.splice(at, 1);
    }
    for (const rule of removed) drift.push(`rule removed from chain ${name}: ${rule}`);
    for (const rule of remaining) drift.push(`rule added to chain ${name}: ${rule}`);
    if (removed.length === 0 && remaining.length === 0 && live.rules.some((rule, index) => rule !== chain.rules[index])) {
      drift.push(`rules of chain ${name} are in a different order`);
    }
  }
  for (const name of Object.keys(actual.chains)) if (!(name in expected.chains)) drift.push(`unexpected chain ${name}`);
  return drift;
}
