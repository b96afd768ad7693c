// A refresh at stack scale through the real @pulumi/pulumi provider host: 50 databases read all at once, as the
// engine's refresh issues them with a large --parallel, make far fewer REST calls than databases (the reads of one
// cluster share lists, provider/rest/coalesce.ts), counted at the emulator, and return exactly what one GET per
// read returns (a second host with REDISENTERPRISE_READ_COALESCING=off).
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { RsClient } from "../../provider/rest";
import { providerShim } from "../../sdk/shim";
import { serializeProvider, startProviderHost, type PropertyMap, type ProviderHost } from "./harness";

const COUNT = 50;
const urnOf = (name: string) => `urn:pulumi:refresh::refresh::pulumi-nodejs:dynamic/redisenterprise:Database::${name}`;

describe("Refresh of 50 databases through the real provider host", function () {
  this.timeout(90_000);
  let cluster: EmulatedCluster;
  const hosts: ProviderHost[] = [];
  let stack: Array<{ id: string; urn: string; properties: PropertyMap; inputs: PropertyMap }>;

  before(async () => {
    cluster = await startCluster({ nodes: 3, operationDelayMs: 0, keyBits: 1024 });
    const connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    const shim = await serializeProvider(providerShim("Database"));
    for (const mode of ["auto", "off"]) {
      const host = await startProviderHost({ project: "refresh", config: {}, env: { REDISENTERPRISE_READ_COALESCING: mode } });
      hosts.push(host);
      await host.configure({});
    }
    const client = new RsClient(connection);
    stack = [];
    try {
      for (let i = 1; i <= COUNT; i++) {
        const name = `refresh-${i}`;
        const created = await client.post<{ uid: number }>("/v1/bdbs", { name, type: "redis", memory_size: 104857600 });
        const id = String(created.uid);
        const inputs = { name, memorySize: "100MB", connection, __provider: shim };
        // What the stack holds after the first read, as the engine keeps it.
        const read = await hosts[1]!.read(id, urnOf(name), { uid: created.uid, name, connection, __provider: shim }, inputs);
        stack.push({ id, urn: urnOf(name), properties: { ...read.properties, __provider: shim }, inputs: { ...(read.inputs ?? inputs), __provider: shim } });
      }
    } finally {
      await client.close();
    }
  });
  after(async () => {
    for (const host of hosts) await host.stop();
    await cluster?.stop();
  });

  const refreshAll = (host: ProviderHost) => Promise.all(stack.map((r) => host.read(r.id, r.urn, r.properties, r.inputs)));

  it("makes fewer than 10 REST calls for 50 reads at once, and returns what one GET per read returns", async () => {
    const oneEach = await refreshAll(hosts[1]!);
    const counter = cluster.admin.addFault({ path: "^/", latencyMs: 0 }).id;
    let coalesced;
    let calls: number;
    try {
      coalesced = await refreshAll(hosts[0]!);
    } finally {
      calls = cluster.admin.faults().find((rule) => rule.id === counter)?.hits ?? -1;
      cluster.admin.removeFault(counter);
    }
    assert.ok(calls >= 1 && calls < 10, `50 reads at once made ${calls} REST calls`);
    assert.deepEqual(coalesced, oneEach, "same ids, outputs and inputs as one GET per read");
    assert.ok(coalesced.every((read, i) => read.id === stack[i]!.id));
  });
});
