// Validation of the InternodeFirewall's inputs into their canonical form, and the pure rules function that is
// exported for cloud firewalls. Every failure names the property (with its path below it) and what to do.
import { type CheckFailure, type Parsed, type Schema, type SchemaShape, invalid, isPlainObject, listSchema, ok, schema, withShape } from "../core";
import { compareCidrs, formatCidr, formatElement, isSingleAddress, minimalCidrs, parseAddress, parseCidr, type Cidr } from "./addresses";
import { DEFAULT_PORTS, PORT_PROFILE_NAMES, type PortProfile, type PortsInput, formatPortRange, mergePortRanges, parsePortItem, portRangesOf } from "./ports";
import type { FirewallNode, FirewallRule, FirewallSpec, FirewallTransport, InternodeFirewallInputs } from "./types";

export const DEFAULT_TABLE = "redis_enterprise";

/**
 * nftables table names: a letter, then letters, digits and "_" (a subset of nft's identifiers, so the name
 * needs no quoting in a script and cannot smuggle syntax into one).
 */
export const TABLE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** A single IPv4 or IPv6 address, canonical text ("2001:DB8::0001" -> "2001:db8::1"). */
export const addressSchema: Schema<string> = schema("IPv4 or IPv6 address", (input) => {
  if (typeof input !== "string") return invalid("must be an IPv4 or IPv6 address string", input);
  const parsed = parseAddress(input.trim());
  if (!parsed) {
    const hint = input.includes("/") ? " without a prefix length (a node is one address)" : " (nftables sets hold addresses: resolve a host name first)";
    return invalid(`must be an IPv4 or IPv6 address${hint}`, input);
  }
  return ok(formatElement({ ...parsed, prefix: parsed.family === "ipv4" ? 32 : 128 }));
});

/** An address or CIDR prefix, canonical text (a single address without "/32"). */
export const sourceSchema: Schema<string> = schema("IPv4/IPv6 address or CIDR", (input) => {
  if (typeof input !== "string") return invalid("must be an address or CIDR string", input);
  const parsed = parseCidr(input);
  return parsed.ok ? ok(formatElement(parsed.cidr)) : invalid(parsed.reason, input);
});

// Shapes for the generators (SDK types, arbitraries): addresses and node transports are parsed by hand, so they
// name their TypeScript types and give valid samples (documentation addresses, RFC 5737 and RFC 3849).
const SOURCE_SHAPE: SchemaShape = { kind: "custom", inputType: "string", outputType: "string", samples: ["198.51.100.7", "192.0.2.0/24", "10.0.0.0/8", "2001:db8::1", "2001:db8:5342::/64"] };

/** `allowedSources`: sorted and without duplicates, so reordering the list is not a change. */
export const allowedSourcesSchema: Schema<string[]> = schema(
  "list of IPv4/IPv6 addresses or CIDRs",
  (input) => {
    const parsed = listSchema(sourceSchema, { maxItems: 1024 }).parse(input);
    if (!parsed.ok) return parsed;
    const cidrs = parsed.value.map((text) => (parseCidr(text) as { ok: true; cidr: Cidr }).cidr).sort(compareCidrs);
    return ok([...new Set(cidrs.map(formatElement))]);
  },
  { kind: "list", items: SOURCE_SHAPE, maxItems: 1024 },
);

export const tableSchema: Schema<string> = schema(
  "nftables table name (letters, digits, _)",
  (input) => {
    if (typeof input !== "string" || !TABLE_NAME_PATTERN.test(input)) {
      return invalid("must be an nftables table name: a letter, then up to 63 letters, digits or underscores (like redis_enterprise)", input);
    }
    return ok(input);
  },
  { kind: "string", minLength: 1, maxLength: 64, pattern: TABLE_NAME_PATTERN },
);

/** The TypeScript type of `ports` (PortsInput), for the generated SDK types. */
const PORTS_TYPE = `readonly (number | string)[] | ${PORT_PROFILE_NAMES.map((name) => JSON.stringify(name)).join(" | ")}`;

/** `ports`: a profile name, or ports and ranges (kept as declared, normalised: sorted and merged). */
export const portsSchema: Schema<PortsInput> = withShape(schema(`list of ports and "FROM-TO" ranges, or ${PORT_PROFILE_NAMES.map((name) => `"${name}"`).join(", ")}`, (input) => {
  if (typeof input === "string") {
    if ((PORT_PROFILE_NAMES as readonly string[]).includes(input)) return ok(input as PortProfile);
    return invalid(`must be a list of ports, or the profile name ${PORT_PROFILE_NAMES.map((name) => `"${name}"`).join(", ")}`, input);
  }
  if (!Array.isArray(input) || input.length === 0) return invalid('must be a non-empty list of ports and "FROM-TO" ranges (like [3342] or [3342, "20000-29999"])', input);
  const ranges = [];
  for (const [index, item] of input.entries()) {
    const parsed = parsePortItem(item);
    if (!parsed.ok) return invalid(parsed.reason, item, `[${index}]`);
    ranges.push(parsed.range);
  }
  return ok(mergePortRanges(ranges).map(formatPortRange));
}), { kind: "custom", inputType: PORTS_TYPE, outputType: PORTS_TYPE, samples: [[3342], [3342, "20000-29999"], ["3333-3345", 8001, 9443], [10000, "3342"], ...PORT_PROFILE_NAMES] });

const NAMESPACE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
// Host and user may not start with "-": ssh would read them as options.
const SSH_HOST_PATTERN = /^[A-Za-z0-9_[][A-Za-z0-9_.:%[\]-]{0,252}$/;
const SSH_USER_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const PRIVATE_KEY_PATTERN = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----[\s\S]+-----END ([A-Z0-9]+ )*PRIVATE KEY-----/;
const HOST_KEY_LINE = /^(?:(\S+)\s+)?((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+.*)?$/;

/** The public key lines of a `hostKey` input ("TYPE BASE64"), or a reason. Host patterns and comments are dropped. */
export function parseHostKeys(text: string): { ok: true; keys: string[] } | { ok: false; reason: string } {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
  if (lines.length === 0) return { ok: false, reason: "must hold a public host key like \"ssh-ed25519 AAAA...\"" };
  const keys: string[] = [];
  for (const line of lines) {
    const match = HOST_KEY_LINE.exec(line);
    if (!match) return { ok: false, reason: 'must be public host key lines "TYPE BASE64" (like "ssh-ed25519 AAAA...", as in /etc/ssh/ssh_host_ed25519_key.pub or ssh-keyscan output)' };
    keys.push(`${match[2]} ${match[3]}`);
  }
  return { ok: true, keys };
}

function field(path: string, reason: string, got: unknown): Parsed<never> {
  return invalid(reason, got, path);
}

/** `transport`: one of the three kinds, each with exactly its own fields. */
export const transportSchema: Schema<FirewallTransport> = schema('{ type: "local" } | { type: "netns"; namespace } | { type: "ssh"; host; port?; user; privateKey; hostKey? }', (input) => {
  if (!isPlainObject(input)) return invalid('must be an object: { type: "local" }, { type: "netns", namespace } or { type: "ssh", host, user, privateKey, ... }', input);
  const allowed: Record<string, readonly string[]> = { local: ["type"], netns: ["type", "namespace"], ssh: ["type", "host", "port", "user", "privateKey", "hostKey"] };
  const type = input.type;
  if (typeof type !== "string" || !(type in allowed)) return field(".type", 'must be "local", "netns" or "ssh"', type);
  for (const key of Object.keys(input)) {
    if (!allowed[type].includes(key) && input[key] !== undefined && input[key] !== null) {
      return invalid(`has a field "${key}" that a ${type} transport does not take; expected ${allowed[type].join(", ")}`, key);
    }
  }
  if (type === "local") return ok({ type: "local" });
  if (type === "netns") {
    const namespace = input.namespace;
    if (typeof namespace !== "string" || !NAMESPACE_PATTERN.test(namespace)) {
      return field(".namespace", "must be a network namespace name (letters, digits, _ . -; as listed by ip netns list)", namespace);
    }
    return ok({ type: "netns", namespace });
  }
  const { host, port, user, privateKey, hostKey } = input;
  if (typeof host !== "string" || !SSH_HOST_PATTERN.test(host)) return field(".host", "must be a host name or address for ssh to connect to (not starting with -)", host);
  let sshPort: number | undefined;
  if (port !== undefined && port !== null) {
    const value = typeof port === "string" && /^\d{1,5}$/.test(port) ? Number(port) : port;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) return field(".port", "must be a TCP port from 1 to 65535", port);
    sshPort = value;
  }
  if (typeof user !== "string" || !SSH_USER_PATTERN.test(user)) return field(".user", "must be a user name (letters, digits, _ . -; not starting with -)", user);
  // The private key is never echoed: "got" is left out of its failures by the caller (secret path).
  if (typeof privateKey !== "string" || !PRIVATE_KEY_PATTERN.test(privateKey)) {
    return field(".privateKey", 'must be a private key in OpenSSH or PEM form ("-----BEGIN OPENSSH PRIVATE KEY-----" ...)', "[secret]");
  }
  let hostKeyText: string | undefined;
  if (hostKey !== undefined && hostKey !== null) {
    if (typeof hostKey !== "string") return field(".hostKey", "must be a string", hostKey);
    const keys = parseHostKeys(hostKey);
    if (!keys.ok) return field(".hostKey", keys.reason, hostKey);
    hostKeyText = keys.keys.join("\n");
  }
  return ok({
    type: "ssh",
    host,
    ...(sshPort === undefined ? {} : { port: sshPort }),
    user,
    privateKey: privateKey.replace(/\r\n/g, "\n"),
    ...(hostKeyText === undefined ? {} : { hostKey: hostKeyText }),
  });
});

/** One node: `{ address, transport }`. */
const nodeSchema: Schema<FirewallNode> = schema("{ address: IPv4 or IPv6 address; transport }", (input) => {
  if (!isPlainObject(input)) return invalid("must be an object { address, transport }", input);
  for (const key of Object.keys(input)) {
    if (key !== "address" && key !== "transport") return invalid(`has an unknown field "${key}"; expected address, transport`, key);
  }
  const address = addressSchema.parse(input.address);
  if (!address.ok) return invalid(address.reason, address.got, `.address${address.path}`);
  if (input.transport === undefined || input.transport === null) return invalid('is required (like { type: "ssh", host, user, privateKey })', input.transport, ".transport");
  const transport = transportSchema.parse(input.transport);
  if (!transport.ok) return invalid(transport.reason, transport.got, `.transport${transport.path}`);
  return ok({ address: address.value, transport: transport.value });
});

/** The TypeScript type of `nodes` (FirewallNode[]), for the generated SDK types. */
const NODES_TYPE =
  '{ address: string; transport: { type: "local" } | { type: "netns"; namespace: string } | { type: "ssh"; host: string; port?: number; user: string; privateKey: string; hostKey?: string } }[]';
// Samples without a private key: a made-up key would only look like a leaked one.
const NODES_SAMPLES: readonly unknown[] = [
  [{ address: "198.51.100.1", transport: { type: "local" } }],
  [
    { address: "198.51.100.1", transport: { type: "netns", namespace: "n1" } },
    { address: "198.51.100.2", transport: { type: "netns", namespace: "n2" } },
  ],
  [
    { address: "2001:db8::1", transport: { type: "netns", namespace: "n1" } },
    { address: "192.0.2.2", transport: { type: "netns", namespace: "n2" } },
    { address: "192.0.2.3", transport: { type: "local" } },
  ],
];

/** `nodes`: at least one, each address once (it is a set element, and a peer of every other node). */
export const nodesSchema: Schema<FirewallNode[]> = withShape(schema("list of { address; transport }", (input) => {
  const parsed = listSchema(nodeSchema, { minItems: 1, maxItems: 256 }).parse(input);
  if (!parsed.ok) return parsed;
  const seen = new Map<string, number>();
  for (const [index, node] of parsed.value.entries()) {
    const first = seen.get(node.address);
    if (first !== undefined) return invalid(`repeats the address of nodes[${first}]; list each node once`, node.address, `[${index}].address`);
    seen.set(node.address, index);
  }
  return ok(parsed.value);
}), { kind: "custom", inputType: NODES_TYPE, outputType: NODES_TYPE, samples: NODES_SAMPLES });

/** A validation failure of the firewall's inputs (the rules function throws it). */
export class FirewallSpecError extends Error {
  constructor(readonly failures: readonly CheckFailure[]) {
    super(`InternodeFirewall: ${failures.map((failure) => failure.reason).join("; ")}`);
    this.name = "FirewallSpecError";
  }
}

function describe(property: string, parsed: Extract<Parsed<unknown>, { ok: false }>): CheckFailure {
  const subject = `${property}${parsed.path}`;
  const secret = /privateKey$/.test(parsed.path);
  return { property, reason: secret ? `${subject} ${parsed.reason}` : `${subject} ${parsed.reason}; got ${JSON.stringify(parsed.got) ?? String(parsed.got)}` };
}

/**
 * Validates declared inputs (unknown keys are left to the caller) and applies the defaults. Returns the
 * canonical spec, or every failure, each naming its property.
 */
export function parseFirewallSpec(inputs: Readonly<Record<string, unknown>>): { ok: true; spec: FirewallSpec } | { ok: false; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const given = (key: string) => inputs[key] !== undefined && inputs[key] !== null;
  const nodes = nodesSchema.parse(inputs.nodes);
  if (!nodes.ok) failures.push(given("nodes") ? describe("nodes", nodes) : { property: "nodes", reason: "nodes is required: the cluster's nodes as [{ address, transport }]" });
  const ports = given("ports") ? portsSchema.parse(inputs.ports) : ok<PortsInput>([...DEFAULT_PORTS]);
  if (!ports.ok) failures.push(describe("ports", ports));
  const allowedSources = given("allowedSources") ? allowedSourcesSchema.parse(inputs.allowedSources) : ok<string[]>([]);
  if (!allowedSources.ok) failures.push(describe("allowedSources", allowedSources));
  const table = given("table") ? tableSchema.parse(inputs.table) : ok(DEFAULT_TABLE);
  if (!table.ok) failures.push(describe("table", table));
  if (!nodes.ok || !ports.ok || !allowedSources.ok || !table.ok) return { ok: false, failures };
  return { ok: true, spec: { nodes: nodes.value, ports: ports.value, allowedSources: allowedSources.value, table: table.value } };
}

/** The node CIDRs and the minimal allowed-source CIDRs of a canonical spec. */
export function specAddresses(spec: Pick<FirewallSpec, "nodes" | "allowedSources">): { peers: Cidr[]; allowed: Cidr[] } {
  const cidrOf = (text: string) => {
    const parsed = parseCidr(text);
    if (!parsed.ok) throw new Error(`${text} ${parsed.reason}`);
    return parsed.cidr;
  };
  return { peers: spec.nodes.map((node) => cidrOf(node.address)), allowed: minimalCidrs(spec.allowedSources.map(cidrOf)) };
}

/** What the rules function takes: nodes as addresses or `{ address }` (a Cluster's nodes output fits). */
export interface RulesArgs {
  nodes: ReadonlyArray<string | { address: string }>;
  ports?: PortsInput;
  allowedSources?: readonly string[];
}

/**
 * The firewall's rules as data: for each node (destination) and each port or range, one accept per other node
 * of the same address family, one per allowed source of that family, then one drop of everyone else. The same
 * rules the nftables table enforces, for cloud firewalls: a security group is an allow list, so map the
 * accepts and leave the drops to its default deny. Throws FirewallSpecError on invalid input.
 */
export function internodeFirewallRules(args: RulesArgs): FirewallRule[] {
  const nodes = (args.nodes ?? []).map((node) => ({ address: typeof node === "string" ? node : node?.address, transport: { type: "local" } }));
  const parsed = parseFirewallSpec({ nodes, ports: args.ports, allowedSources: args.allowedSources });
  if (!parsed.ok) throw new FirewallSpecError(parsed.failures);
  const { spec } = parsed;
  const { peers, allowed } = specAddresses(spec);
  const ranges = portRangesOf(spec.ports);
  const rules: FirewallRule[] = [];
  for (const destination of peers) {
    const to = formatCidr(destination);
    const everyone = destination.family === "ipv4" ? "0.0.0.0/0" : "::/0";
    for (const range of ranges) {
      const port = formatPortRange(range);
      const base = { protocol: "tcp" as const, port, fromPort: range.from, toPort: range.to, destination: to };
      const what = `TCP ${port} to node ${formatElement(destination)}`;
      for (const peer of peers) {
        if (peer.family !== destination.family || peer.value === destination.value) continue;
        rules.push({ ...base, source: formatCidr(peer), action: "accept", description: `${what} from peer node ${formatElement(peer)}` });
      }
      for (const source of allowed) {
        if (source.family !== destination.family) continue;
        const label = isSingleAddress(source) ? formatElement(source) : formatCidr(source);
        rules.push({ ...base, source: formatCidr(source), action: "accept", description: `${what} from allowed source ${label}` });
      }
      rules.push({ ...base, source: everyone, action: "drop", description: `${what} from anyone else: dropped` });
    }
  }
  return rules;
}

export type { InternodeFirewallInputs };
