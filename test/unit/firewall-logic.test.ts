// The InternodeFirewall's resource logic, exact values: check (defaults, unknown keys, preview unknowns), diff
// (declared changes with their notes, drift found by read, the table name replacing), the outputs, and the
// cloud security-group example built on the rules function.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { UNKNOWN_VALUE } from "../../provider/core";
import { checkFirewall, diffFirewall, firewallOutputs, specOf } from "../../provider/firewall";
import { exampleIngress } from "../../examples/cloud-security-group";

const node = (address: string, namespace = `ns-${address}`) => ({ address, transport: { type: "netns", namespace } });
const checked = (inputs: Record<string, unknown>) => {
  const result = checkFirewall(inputs);
  assert.deepEqual(result.failures, []);
  return result.inputs;
};
const outputsFor = (inputs: Record<string, unknown>, inPlace = true) => {
  const spec = specOf(checked(inputs));
  return firewallOutputs(spec, spec.nodes.map((n) => ({ address: n.address, transport: n.transport.type, tableInPlace: inPlace, drift: inPlace ? [] : ["table inet redis_enterprise is missing"] }))) as unknown as Record<string, unknown>;
};

describe("InternodeFirewall check", () => {
  it("returns the canonical inputs with defaults, keeping the provider", () => {
    assert.deepEqual(checkFirewall({ __provider: "shim", nodes: [node("198.51.100.1")], rules: undefined }), {
      inputs: { __provider: "shim", nodes: [node("198.51.100.1")], ports: [3342], allowedSources: [], table: "redis_enterprise" },
      failures: [],
    });
  });
  it("refuses unknown keys, naming the accepted ones", () => {
    assert.deepEqual(checkFirewall({ nodes: [node("198.51.100.1")], port: 3342 }).failures, [
      { property: "port", reason: "port is not an input of InternodeFirewall; expected nodes, ports, allowedSources, table" },
    ]);
  });
  it("passes preview unknowns through and still validates the known properties", () => {
    assert.deepEqual(checkFirewall({ nodes: UNKNOWN_VALUE, ports: [3342, "20000-29999"] }), {
      inputs: { nodes: UNKNOWN_VALUE, ports: [3342, "20000-29999"], allowedSources: [], table: "redis_enterprise" },
      failures: [],
    });
    assert.deepEqual(checkFirewall({ nodes: [{ address: UNKNOWN_VALUE, transport: { type: "local" } }], table: "bad name" }).failures, [
      { property: "table", reason: 'table must be an nftables table name: a letter, then up to 63 letters, digits or underscores (like redis_enterprise); got "bad name"' },
    ]);
  });
});

describe("InternodeFirewall diff", () => {
  const base = { nodes: [node("198.51.100.1"), node("198.51.100.2")] };
  it("is no change when the declaration and every node match", () => {
    assert.deepEqual(diffFirewall(outputsFor(base), checked(base)), { changes: false, replaces: [], notes: [] });
  });
  it("notes the nodes (addresses and how they are reached, never a key), ports and allowed sources, from the table", () => {
    const next = checked({ nodes: [node("198.51.100.1", "other"), node("198.51.100.3")], ports: "internode-only", allowedSources: ["192.0.2.0/24"] });
    assert.deepEqual(diffFirewall(outputsFor(base), next), {
      changes: true,
      replaces: [],
      notes: [
          'InternodeFirewall (table inet redis_enterprise): nodes ["198.51.100.1 (netns ns-198.51.100.1)","198.51.100.2 (netns ns-198.51.100.2)"] -> ["198.51.100.1 (netns other)","198.51.100.3 (netns ns-198.51.100.3)"] ' +
          "writes the table on each added node, updates every node's peer set, and removes the table from a node no longer listed",
        'InternodeFirewall (table inet redis_enterprise): ports [3342] -> "internode-only" rewrites every node\'s table: only the nodes and allowedSources can connect to the listed ports, and a port no longer listed is no longer filtered',
        'InternodeFirewall (table inet redis_enterprise): allowedSources [] -> ["192.0.2.0/24"] rewrites every node\'s table with the new sources',
      ],
    });
  });
  it("turns drift found by read into an update that rewrites the node's table", () => {
    assert.deepEqual(diffFirewall(outputsFor(base, false), checked(base)), {
      changes: true,
      replaces: [],
      notes: [
        "InternodeFirewall (table inet redis_enterprise): node 198.51.100.1 (netns) differs from the declaration (table inet redis_enterprise is missing); the update rewrites its table",
        "InternodeFirewall (table inet redis_enterprise): node 198.51.100.2 (netns) differs from the declaration (table inet redis_enterprise is missing); the update rewrites its table",
      ],
    });
  });
  it("replaces the resource when the table name changes, and plans a change for unknown nodes", () => {
    assert.deepEqual(diffFirewall(outputsFor(base), checked({ ...base, table: "fw2" })), {
      changes: true,
      replaces: ["table"],
      notes: ['InternodeFirewall (table inet fw2): table "redis_enterprise" -> "fw2" writes the new table on every node, then removes the old one'],
    });
    assert.deepEqual(diffFirewall(outputsFor(base), { nodes: UNKNOWN_VALUE, ports: [3342], allowedSources: [], table: "redis_enterprise" }), {
      changes: true,
      replaces: [],
      // The framework records the change as unknown; a change with no client impact prints no note.
      notes: [],
    });
  });
});

describe("InternodeFirewall outputs", () => {
  it("hold the statuses as nodes, the declared nodes apart, and the rules", () => {
    const outputs = outputsFor({ nodes: [node("198.51.100.1"), node("198.51.100.2")] });
    assert.deepEqual(Object.keys(outputs).sort(), ["allowedSources", "declaredNodes", "nodes", "ports", "rules", "table"]);
    assert.deepEqual(outputs.nodes, [
      { address: "198.51.100.1", transport: "netns", tableInPlace: true, drift: [] },
      { address: "198.51.100.2", transport: "netns", tableInPlace: true, drift: [] },
    ]);
    assert.deepEqual(outputs.declaredNodes, [node("198.51.100.1"), node("198.51.100.2")]);
    assert.equal((outputs.rules as unknown[]).length, 4);
  });
});

describe("examples/cloud-security-group", () => {
  it("maps the accepts to one ingress rule per port range and source (the drops are the group's default deny)", () => {
    assert.deepEqual(exampleIngress(), [
      { name: "redis-enterprise-3342-3342-10-0-2-10-32", args: { type: "ingress", protocol: "tcp", fromPort: 3342, toPort: 3342, cidrBlocks: ["10.0.2.10/32"], description: "Redis Enterprise internode TCP 3342 from 10.0.2.10/32" } },
      { name: "redis-enterprise-3342-3342-10-0-3-10-32", args: { type: "ingress", protocol: "tcp", fromPort: 3342, toPort: 3342, cidrBlocks: ["10.0.3.10/32"], description: "Redis Enterprise internode TCP 3342 from 10.0.3.10/32" } },
      { name: "redis-enterprise-3342-3342-10-0-1-10-32", args: { type: "ingress", protocol: "tcp", fromPort: 3342, toPort: 3342, cidrBlocks: ["10.0.1.10/32"], description: "Redis Enterprise internode TCP 3342 from 10.0.1.10/32" } },
    ]);
  });
});
