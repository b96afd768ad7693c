// The InternodeFirewall's pure parts, exact values: addresses, ports and the internal-port profile, input
// validation, the rules function, the nftables script, the parser of `nft -j` and the drift comparison.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import {
  DEFAULT_TABLE,
  FirewallSpecError,
  PORT_PROFILES,
  expectedTable,
  formatCidr,
  internodeFirewallRules,
  isMissingTableError,
  listTableCommand,
  mergePortRanges,
  minimalCidrs,
  parseCidr,
  parseFirewallSpec,
  parseHostKeys,
  parseListedTable,
  portRangesOf,
  renderApplyScript,
  renderDeleteScript,
  shellQuote,
  sshArguments,
  tableDrift,
  type Cidr,
  type FirewallSpec,
} from "../../provider/firewall";

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.cidr;
};
const local = { type: "local" } as const;
const spec = (overrides: Partial<FirewallSpec> = {}): FirewallSpec => {
  const parsed = parseFirewallSpec({
    nodes: [
      { address: "198.51.100.1", transport: local },
      { address: "198.51.100.2", transport: local },
      { address: "2001:db8::3", transport: local },
    ],
    ...overrides,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.failures));
  return parsed.spec;
};
const failuresOf = (inputs: Record<string, unknown>) => {
  const parsed = parseFirewallSpec(inputs);
  assert.equal(parsed.ok, false, "expected a validation failure");
  return (parsed as { failures: Array<{ property: string; reason: string }> }).failures;
};
const node = (address: unknown, transport: unknown = local) => ({ address, transport });

describe("firewall addresses", () => {
  it("canonicalise IPv4 and IPv6 addresses and prefixes", () => {
    assert.equal(formatCidr(cidr("198.51.100.7")), "198.51.100.7/32");
    assert.equal(formatCidr(cidr("2001:DB8:0:0::0001")), "2001:db8::1/128");
    assert.equal(formatCidr(cidr("2001:db8:0:1:0:0:0:0/64")), "2001:db8:0:1::/64");
    assert.equal(formatCidr(cidr("::ffff:192.0.2.1")), "::ffff:c000:201/128");
    assert.equal(formatCidr(cidr("::")), "::/128");
    assert.equal(formatCidr(cidr("1:0:0:2:0:0:0:3")), "1:0:0:2::3/128"); // the longest zero run is shortened
    assert.equal(formatCidr(cidr("1:0:0:2:0:0:3:4")), "1::2:0:0:3:4/128"); // first of two equal runs
    assert.equal(formatCidr(cidr("1:0:2:3:4:5:6:7")), "1:0:2:3:4:5:6:7/128"); // a single zero group stays
    assert.equal(formatCidr(cidr("0.0.0.0/0")), "0.0.0.0/0");
  });
  it("refuse malformed addresses, bad prefixes and host bits, saying what to write", () => {
    for (const bad of ["198.51.100", "198.51.100.256", "198.051.100.1", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "node1.example.com", "::1::", ""]) {
      assert.equal(parseCidr(bad).ok, false, bad);
    }
    assert.deepEqual(parseCidr("10.0.0.0/33"), { ok: false, reason: 'has an invalid prefix length "/33" (IPv4: 0-32)' });
    assert.deepEqual(parseCidr("10.0.0.1/8"), { ok: false, reason: "has host bits set after the /8 prefix; write the network address 10.0.0.0/8, or the single address with /32" });
    assert.deepEqual(parseCidr("2001:db8::1/32"), { ok: false, reason: "has host bits set after the /32 prefix; write the network address 2001:db8::/32, or the single address with /128" });
  });
  it("keep only the widest of overlapping prefixes, sorted IPv4 first", () => {
    const kept = minimalCidrs(["10.1.0.0/16", "2001:db8::/32", "10.0.0.0/8", "192.0.2.7", "10.0.0.0/8", "2001:db8:1::/48", "192.0.2.8"].map(cidr));
    assert.deepEqual(kept.map(formatCidr), ["10.0.0.0/8", "192.0.2.7/32", "192.0.2.8/32", "2001:db8::/32"]);
  });
});

describe("firewall ports", () => {
  it("merge overlapping and adjacent ranges, sorted", () => {
    assert.deepEqual(mergePortRanges([{ from: 3350, to: 3354 }, { from: 3347, to: 3349 }, { from: 3342, to: 3342 }, { from: 3340, to: 3343 }]), [
      { from: 3340, to: 3343 },
      { from: 3347, to: 3354 },
    ]);
  });
  it("have an internode-only profile: every TCP row of the port table whose source is Internal alone", () => {
    assert.deepEqual(portRangesOf("internode-only").map((range) => (range.from === range.to ? range.from : `${range.from}-${range.to}`)), [
      1968, "3333-3345", "3347-3355", 3357, 8000, 8002, 8004, 8006, 8071, 8444, "9080-9082", 9091, 9125, 10050, "20000-29999", 36379,
    ]);
    // 3342 is inside; the ports clients and peer clusters use are not.
    const inProfile = (port: number) => portRangesOf("internode-only").some((range) => range.from <= port && port <= range.to);
    assert.equal(inProfile(3342), true);
    for (const clientPort of [8001, 8070, 8443, 9443, 8080, 3346, 10000, 12000, 19999, 53]) assert.equal(inProfile(clientPort), false, String(clientPort));
    assert.deepEqual(Object.keys(PORT_PROFILES), ["internode-only"]);
  });
});

describe("firewall input validation", () => {
  it("applies the defaults: port 3342, no extra sources, table redis_enterprise", () => {
    const parsed = parseFirewallSpec({ nodes: [node(" 198.51.100.1 "), node("2001:DB8::0002", { type: "netns", namespace: "n2" })] });
    assert.deepEqual(parsed, {
      ok: true,
      spec: {
        nodes: [
          { address: "198.51.100.1", transport: { type: "local" } },
          { address: "2001:db8::2", transport: { type: "netns", namespace: "n2" } },
        ],
        ports: [3342],
        allowedSources: [],
        table: DEFAULT_TABLE,
      },
    });
    assert.equal(DEFAULT_TABLE, "redis_enterprise");
  });
  it("normalises ports (sorted, merged, digits accepted) and allowed sources (sorted, deduplicated)", () => {
    const parsed = parseFirewallSpec({ nodes: [node("198.51.100.1")], ports: ["20000-29999", 3343, "3342", 3342], allowedSources: ["2001:DB8::/32", "10.0.0.0/8", "192.0.2.7/32", "192.0.2.7"] });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.spec.ports, ["3342-3343", "20000-29999"]);
    assert.deepEqual(parsed.spec.allowedSources, ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]);
    assert.deepEqual(parseFirewallSpec({ nodes: [node("198.51.100.1")], ports: "internode-only" }).ok && "internode-only", "internode-only");
  });
  it("names the property, the path and what to do for each bad input", () => {
    assert.deepEqual(failuresOf({}), [{ property: "nodes", reason: "nodes is required: the cluster's nodes as [{ address, transport }]" }]);
    assert.deepEqual(failuresOf({ nodes: [] }), [{ property: "nodes", reason: "nodes must not be empty; got []" }]);
    assert.deepEqual(failuresOf({ nodes: [node("node1.example.com")] }), [
      { property: "nodes", reason: 'nodes[0].address must be an IPv4 or IPv6 address (nftables sets hold addresses: resolve a host name first); got "node1.example.com"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("10.0.0.0/8")] }), [
      { property: "nodes", reason: 'nodes[0].address must be an IPv4 or IPv6 address without a prefix length (a node is one address); got "10.0.0.0/8"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1"), node("198.51.100.1")] }), [
      { property: "nodes", reason: 'nodes[1].address repeats the address of nodes[0]; list each node once; got "198.51.100.1"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [{ address: "198.51.100.1" }] }), [
      { property: "nodes", reason: 'nodes[0].transport is required (like { type: "ssh", host, user, privateKey }); got undefined' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1", { type: "telnet" })] }), [{ property: "nodes", reason: 'nodes[0].transport.type must be "local", "netns" or "ssh"; got "telnet"' }]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1", { type: "local", namespace: "x" })] }), [
      { property: "nodes", reason: 'nodes[0].transport has a field "namespace" that a local transport does not take; expected type; got "namespace"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1", { type: "netns", namespace: "../etc" })] }), [
      { property: "nodes", reason: 'nodes[0].transport.namespace must be a network namespace name (letters, digits, _ . -; as listed by ip netns list); got "../etc"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1")], ports: [0] }), [
      { property: "ports", reason: 'ports[0] must be a TCP port from 1 to 65535 or a range "FROM-TO" (like 3342 or "20000-29999"); got 0' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1")], ports: ["29999-20000"] }), [
      { property: "ports", reason: 'ports[0] is a range whose end is below its start; write "20000-29999"; got "29999-20000"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1")], ports: "everything" }), [
      { property: "ports", reason: 'ports must be a list of ports, or the profile name "internode-only"; got "everything"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1")], allowedSources: ["10.0.0.1/8"] }), [
      { property: "allowedSources", reason: 'allowedSources[0] has host bits set after the /8 prefix; write the network address 10.0.0.0/8, or the single address with /32; got "10.0.0.1/8"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [node("198.51.100.1")], table: "filter; flush ruleset" }), [
      { property: "table", reason: 'table must be an nftables table name: a letter, then up to 63 letters, digits or underscores (like redis_enterprise); got "filter; flush ruleset"' },
    ]);
  });
  it("validates ssh transports, never echoing the private key", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1ib2R5LXRoYXQtbXVzdC1uZXZlci1sZWFr\n-----END OPENSSH PRIVATE KEY-----";
    const ssh = (fields: Record<string, unknown>) => node("198.51.100.1", { type: "ssh", host: "198.51.100.1", user: "root", privateKey: key, ...fields });
    const parsed = parseFirewallSpec({ nodes: [ssh({ port: "2222", hostKey: "198.51.100.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB root@n1\n" })] });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.spec.nodes[0].transport, { type: "ssh", host: "198.51.100.1", port: 2222, user: "root", privateKey: key, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB" });
    const badKey = failuresOf({ nodes: [ssh({ privateKey: "c2VjcmV0LWtleS1ib2R5" })] });
    assert.deepEqual(badKey, [{ property: "nodes", reason: 'nodes[0].transport.privateKey must be a private key in OpenSSH or PEM form ("-----BEGIN OPENSSH PRIVATE KEY-----" ...)' }]);
    assert.ok(!JSON.stringify(badKey).includes("c2VjcmV0LWtleS1ib2R5"));
    assert.deepEqual(failuresOf({ nodes: [ssh({ host: "-oProxyCommand=x" })] }), [
      { property: "nodes", reason: 'nodes[0].transport.host must be a host name or address for ssh to connect to (not starting with -); got "-oProxyCommand=x"' },
    ]);
    assert.deepEqual(failuresOf({ nodes: [ssh({ user: "-l" })] }), [{ property: "nodes", reason: 'nodes[0].transport.user must be a user name (letters, digits, _ . -; not starting with -); got "-l"' }]);
    assert.deepEqual(failuresOf({ nodes: [ssh({ port: 70000 })] }), [{ property: "nodes", reason: "nodes[0].transport.port must be a TCP port from 1 to 65535; got 70000" }]);
    assert.equal(failuresOf({ nodes: [ssh({ hostKey: "not a key" })] })[0].reason.startsWith('nodes[0].transport.hostKey must be public host key lines "TYPE BASE64"'), true);
  });
  it("reads host keys from .pub files and ssh-keyscan lines", () => {
    assert.deepEqual(parseHostKeys("# comment\nhost1 ssh-ed25519 AAAA1 \n\necdsa-sha2-nistp256 AAAA2= root@x\n"), { ok: true, keys: ["ssh-ed25519 AAAA1", "ecdsa-sha2-nistp256 AAAA2="] });
  });
});

describe("firewall rules as data", () => {
  it("accept each other node of the same family and each allowed source, then drop everyone else, per node and port", () => {
    const rules = internodeFirewallRules({ nodes: [{ address: "198.51.100.1" }, "198.51.100.2", "2001:db8::3"], ports: [3342, "20000-20001"], allowedSources: ["192.0.2.0/24", "2001:db8:ff::/48"] });
    const line = (rule: (typeof rules)[number]) => `${rule.action} tcp ${rule.port} [${rule.fromPort}-${rule.toPort}] ${rule.source} -> ${rule.destination}`;
    assert.deepEqual(rules.map(line), [
      "accept tcp 3342 [3342-3342] 198.51.100.2/32 -> 198.51.100.1/32",
      "accept tcp 3342 [3342-3342] 192.0.2.0/24 -> 198.51.100.1/32",
      "drop tcp 3342 [3342-3342] 0.0.0.0/0 -> 198.51.100.1/32",
      "accept tcp 20000-20001 [20000-20001] 198.51.100.2/32 -> 198.51.100.1/32",
      "accept tcp 20000-20001 [20000-20001] 192.0.2.0/24 -> 198.51.100.1/32",
      "drop tcp 20000-20001 [20000-20001] 0.0.0.0/0 -> 198.51.100.1/32",
      "accept tcp 3342 [3342-3342] 198.51.100.1/32 -> 198.51.100.2/32",
      "accept tcp 3342 [3342-3342] 192.0.2.0/24 -> 198.51.100.2/32",
      "drop tcp 3342 [3342-3342] 0.0.0.0/0 -> 198.51.100.2/32",
      "accept tcp 20000-20001 [20000-20001] 198.51.100.1/32 -> 198.51.100.2/32",
      "accept tcp 20000-20001 [20000-20001] 192.0.2.0/24 -> 198.51.100.2/32",
      "drop tcp 20000-20001 [20000-20001] 0.0.0.0/0 -> 198.51.100.2/32",
      "accept tcp 3342 [3342-3342] 2001:db8:ff::/48 -> 2001:db8::3/128",
      "drop tcp 3342 [3342-3342] ::/0 -> 2001:db8::3/128",
      "accept tcp 20000-20001 [20000-20001] 2001:db8:ff::/48 -> 2001:db8::3/128",
      "drop tcp 20000-20001 [20000-20001] ::/0 -> 2001:db8::3/128",
    ]);
    assert.deepEqual(rules[0], {
      protocol: "tcp",
      port: 3342,
      fromPort: 3342,
      toPort: 3342,
      destination: "198.51.100.1/32",
      source: "198.51.100.2/32",
      action: "accept",
      description: "TCP 3342 to node 198.51.100.1 from peer node 198.51.100.2",
    });
    assert.equal(rules[1].description, "TCP 3342 to node 198.51.100.1 from allowed source 192.0.2.0/24");
    assert.equal(rules[2].description, "TCP 3342 to node 198.51.100.1 from anyone else: dropped");
  });
  it("default to port 3342, and throw an error naming the property on bad input", () => {
    assert.deepEqual(internodeFirewallRules({ nodes: ["198.51.100.1", "198.51.100.2"] }).map((rule) => `${rule.action} ${rule.port} ${rule.source} -> ${rule.destination}`), [
      "accept 3342 198.51.100.2/32 -> 198.51.100.1/32",
      "drop 3342 0.0.0.0/0 -> 198.51.100.1/32",
      "accept 3342 198.51.100.1/32 -> 198.51.100.2/32",
      "drop 3342 0.0.0.0/0 -> 198.51.100.2/32",
    ]);
    assert.throws(
      () => internodeFirewallRules({ nodes: ["198.51.100.1"], allowedSources: ["everyone"] }),
      (error: unknown) =>
        error instanceof FirewallSpecError &&
        error.message === 'InternodeFirewall: allowedSources[0] must be an IPv4 or IPv6 address or CIDR prefix (like 198.51.100.7, 10.0.0.0/8 or 2001:db8::/32); got "everyone"',
    );
  });
});

const EXPECTED_SCRIPT = `# redisenterprise:InternodeFirewall: the table inet redis_enterprise is managed by Pulumi; changes made by hand are reported as drift and undone by pulumi up.
table inet redis_enterprise
delete table inet redis_enterprise
table inet redis_enterprise {
\tset peers_v4 {
\t\ttype ipv4_addr
\t\telements = { 198.51.100.1, 198.51.100.2 }
\t}
\tset peers_v6 {
\t\ttype ipv6_addr
\t\telements = { 2001:db8::3 }
\t}
\tset allowed_v4 {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = { 10.0.0.0/8, 192.0.2.7 }
\t}
\tset allowed_v6 {
\t\ttype ipv6_addr
\t\tflags interval
\t}
\tset ports {
\t\ttype inet_service
\t\tflags interval
\t\telements = { 3342, 20000-29999 }
\t}
\tchain input {
\t\ttype filter hook input priority 0; policy accept;
\t\ttcp dport @ports ip saddr @peers_v4 accept comment "redisenterprise:InternodeFirewall: accept from the cluster's IPv4 nodes"
\t\ttcp dport @ports ip6 saddr @peers_v6 accept comment "redisenterprise:InternodeFirewall: accept from the cluster's IPv6 nodes"
\t\ttcp dport @ports ip saddr @allowed_v4 accept comment "redisenterprise:InternodeFirewall: accept from allowed IPv4 sources"
\t\ttcp dport @ports ip6 saddr @allowed_v6 accept comment "redisenterprise:InternodeFirewall: accept from allowed IPv6 sources"
\t\ttcp dport @ports drop comment "redisenterprise:InternodeFirewall: drop from anyone else"
\t}
}
`;

/** What `nft -j list table inet redis_enterprise` printed (nft 1.0.6) after the script above was applied. */
function listed(overrides: { peersV4?: unknown[]; dropRule?: boolean; extraRule?: boolean; table?: string } = {}): string {
  const table = overrides.table ?? "redis_enterprise";
  const set = (name: string, type: string, elem?: unknown[], interval = false) => ({
    set: { family: "inet", name, table, type, handle: 2, ...(interval ? { flags: ["interval"] } : {}), ...(elem ? { elem } : {}) },
  });
  const rule = (handle: number, expr: unknown[], comment: string) => ({ rule: { family: "inet", table, chain: "input", handle, comment, expr } });
  const dport = { match: { op: "==", left: { payload: { protocol: "tcp", field: "dport" } }, right: "@ports" } };
  const saddr = (protocol: string, name: string) => ({ match: { op: "==", left: { payload: { protocol, field: "saddr" } }, right: `@${name}` } });
  const mark = "redisenterprise:InternodeFirewall: ";
  return JSON.stringify({
    nftables: [
      { metainfo: { version: "1.0.6", release_name: "Lester Gooch #5", json_schema_version: 1 } },
      { table: { family: "inet", name: table, handle: 3 } },
      set("peers_v4", "ipv4_addr", overrides.peersV4 ?? ["198.51.100.1", "198.51.100.2"]),
      set("peers_v6", "ipv6_addr", ["2001:db8::3"]),
      set("allowed_v4", "ipv4_addr", [{ prefix: { addr: "10.0.0.0", len: 8 } }, "192.0.2.7"], true),
      set("allowed_v6", "ipv6_addr", undefined, true),
      set("ports", "inet_service", [3342, { range: [20000, 29999] }], true),
      { chain: { family: "inet", table, name: "input", handle: 1, type: "filter", hook: "input", prio: 0, policy: "accept" } },
      rule(7, [dport, saddr("ip", "peers_v4"), { accept: null }], `${mark}accept from the cluster's IPv4 nodes`),
      rule(8, [dport, saddr("ip6", "peers_v6"), { accept: null }], `${mark}accept from the cluster's IPv6 nodes`),
      rule(9, [dport, saddr("ip", "allowed_v4"), { accept: null }], `${mark}accept from allowed IPv4 sources`),
      rule(10, [dport, saddr("ip6", "allowed_v6"), { accept: null }], `${mark}accept from allowed IPv6 sources`),
      ...(overrides.dropRule === false ? [] : [rule(11, [dport, { drop: null }], `${mark}drop from anyone else`)]),
      ...(overrides.extraRule
        ? [rule(12, [{ match: { op: "==", left: { payload: { protocol: "ip", field: "saddr" } }, right: { prefix: { addr: "203.0.113.0", len: 24 } } } }, { accept: null }], "added by hand")]
        : []),
    ],
  });
}

describe("firewall nftables table", () => {
  const declared = () => spec({ ports: [3342, "20000-29999"], allowedSources: ["192.0.2.7", "10.0.0.0/8"] });

  it("renders one atomic script: declare, delete, define the table with its sets and five rules", () => {
    assert.equal(renderApplyScript(declared()), EXPECTED_SCRIPT);
  });
  it("removes only its own table, also when it is already gone", () => {
    assert.equal(renderDeleteScript("redis_enterprise"), "table inet redis_enterprise\ndelete table inet redis_enterprise\n");
    assert.deepEqual(listTableCommand("fw_test"), ["nft", "-j", "list", "table", "inet", "fw_test"]);
    assert.equal(isMissingTableError("Error: No such file or directory\nlist table inet redis_enterprise\n"), true);
    assert.equal(isMissingTableError("Error: Operation not permitted"), false);
    assert.equal(isMissingTableError('Cannot open network namespace "n9": No such file or directory'), false);
  });
  it("parses nft -j output into the same description the declaration gives: no drift", () => {
    const parsed = parseListedTable(listed(), "redis_enterprise");
    assert.deepEqual(parsed, expectedTable(declared()));
    assert.deepEqual(tableDrift(expectedTable(declared()), parsed, "redis_enterprise"), []);
  });
  it("ignores objects of other tables in the listing", () => {
    const mixed = JSON.parse(listed()) as { nftables: unknown[] };
    mixed.nftables.push(...(JSON.parse(listed({ table: "other", extraRule: true })) as { nftables: unknown[] }).nftables.slice(1));
    assert.deepEqual(tableDrift(expectedTable(declared()), parseListedTable(JSON.stringify(mixed), "redis_enterprise"), "redis_enterprise"), []);
  });
  it("reports a missing table, a removed or added rule, and a peer missing from the set", () => {
    const expected = expectedTable(declared());
    assert.deepEqual(tableDrift(expected, undefined, "redis_enterprise"), ["table inet redis_enterprise is missing"]);
    assert.deepEqual(tableDrift(expected, parseListedTable(listed({ dropRule: false }), "redis_enterprise"), "redis_enterprise"), ["rule removed from chain input: tcp dport @ports drop"]);
    assert.deepEqual(tableDrift(expected, parseListedTable(listed({ extraRule: true }), "redis_enterprise"), "redis_enterprise"), ["rule added to chain input: ip saddr 203.0.113.0/24 accept"]);
    assert.deepEqual(tableDrift(expected, parseListedTable(listed({ peersV4: ["198.51.100.1", "198.51.100.9"] }), "redis_enterprise"), "redis_enterprise"), [
      "peer 198.51.100.2 missing from set peers_v4",
      "unexpected peer 198.51.100.9 in set peers_v4",
    ]);
  });
  it("reports a reordered chain, a changed policy and foreign sets and chains", () => {
    const expected = expectedTable(declared());
    const actual = parseListedTable(listed(), "redis_enterprise");
    actual.chains.input.rules.reverse();
    actual.chains.input.policy = "drop";
    actual.sets.extra = ["1"];
    actual.chains.forward = { rules: [] };
    assert.deepEqual(tableDrift(expected, actual, "redis_enterprise"), [
      "unexpected set extra",
      "chain input has policy drop instead of accept",
      "rules of chain input are in a different order",
      "unexpected chain forward",
    ]);
  });
  it("knows its own table by the rule comments", () => {
    assert.equal(parseListedTable(listed(), "redis_enterprise").owned, true);
    const foreign = JSON.stringify({ nftables: [{ table: { family: "inet", name: "redis_enterprise", handle: 1 } }, { chain: { family: "inet", table: "redis_enterprise", name: "input" } }] });
    assert.equal(parseListedTable(foreign, "redis_enterprise").owned, false);
    assert.throws(() => parseListedTable("Error: oops", "redis_enterprise"), /nft -j printed something that is not JSON/);
  });
});

describe("firewall ssh transport arguments", () => {
  it("quote words for the remote shell", () => {
    assert.equal(shellQuote("nft"), "nft");
    assert.equal(shellQuote("a b'c"), "'a b'\\''c'");
  });
  it("pin the host key, use only the given key, never prompt, and bound the connection", () => {
    const args = sshArguments({ type: "ssh", host: "198.51.100.1", port: 2222, user: "root", privateKey: "k" }, { identity: "/tmp/x/id", knownHosts: "/tmp/x/known_hosts" }, ["nft", "-f", "-"]);
    assert.deepEqual(args, [
      "-F", "none", "-T", "-i", "/tmp/x/id", "-p", "2222", "-l", "root",
      "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
      "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3", "-o", "StrictHostKeyChecking=yes",
      "-o", "UserKnownHostsFile=/tmp/x/known_hosts", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "CheckHostIP=no",
      "-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "ClearAllForwardings=yes", "-o", "LogLevel=ERROR",
      "--", "198.51.100.1", 'PATH="$PATH:/usr/sbin:/sbin"; export PATH; exec nft -f -',
    ]);
    const withoutHostKey = sshArguments({ type: "ssh", host: "h", user: "u", privateKey: "k" }, { identity: "/i" }, ["nft"]);
    assert.equal(withoutHostKey.includes("StrictHostKeyChecking=yes"), true);
    assert.equal(withoutHostKey.some((arg) => arg.startsWith("UserKnownHostsFile")), false);
    assert.equal(withoutHostKey[withoutHostKey.indexOf("-p") + 1], "22");
  });
});
