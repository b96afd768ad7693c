// The data plane in the namespaces layout (root): every node is a network namespace on a veth link, so the
// traffic between nodes crosses a real link. A capture on the shard node's link (filtered on the two nodes'
// own addresses) shows a marker the test writes when data internode encryption is off, and only TLS on 3342
// once it is on; an nftables rule in the shard node's namespace that drops 3342 makes encrypted cross-node
// traffic fail, and the database reports it.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespConnection, RespError, startCluster, type EmulatedCluster } from "../../emulator";
import { applyNodes, parseFirewallSpec, removeTables, type FirewallNode } from "../../provider/firewall";
import { clientFor, TEST_KEY_BITS, waitActive, waitFor, type TestClient } from "./support/client";
import { connectToDatabase, loopbackAddresses, redisServerInstalled } from "./support/dataplane";

const MiB = 1024 * 1024;
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const CAPTURE_LIMIT_MS = 15_000;

/**
 * tcpdump on one link with a capture filter; stop() ends it (bounded) and returns the pcap bytes. Immediate mode:
 * otherwise packets wait in the kernel's block buffer and those still there at SIGINT are never written.
 */
async function startCapture(link: string, filter: string, file: string): Promise<{ stop(): Promise<Buffer> }> {
  const child = spawn("tcpdump", ["-i", link, "-n", "--immediate-mode", "-U", "-s", "0", "-w", file, filter], { stdio: ["ignore", "ignore", "pipe"] });
  const killer = setTimeout(() => child.kill("SIGKILL"), CAPTURE_LIMIT_MS);
  const ended = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("listening on")) resolve();
    });
    child.on("exit", () => reject(new Error(`tcpdump ended: ${stderr}`)));
  });
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill("SIGINT");
      await ended;
      clearTimeout(killer);
      return readFileSync(file);
    },
  };
}

/** Per packet: source port, destination port and the protocol tshark recognises (3342 decoded as TLS). */
function packets(file: string): Array<{ src: number; dst: number; protocol: string }> {
  const result = spawnSync("tshark", ["-r", file, "-d", "tcp.port==3342,tls", "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "_ws.col.Protocol"], {
    encoding: "utf8",
    timeout: 15_000,
  });
  assert.equal(result.status, 0, `tshark failed: ${result.stderr}`);
  return result.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [src, dst, protocol] = line.split("\t");
      return { src: Number(src), dst: Number(dst), protocol: protocol ?? "" };
    });
}

function nft(namespace: string, script: string): void {
  const result = spawnSync("ip", ["netns", "exec", namespace, "nft", "-f", "-"], { input: script, encoding: "utf8", timeout: 5000 });
  assert.equal(result.status, 0, `nft failed: ${result.stderr}`);
}

describe("emulator data plane (namespaces layout)", function () {
  this.timeout(60_000);
  let cluster: EmulatedCluster;
  let api: TestClient;
  let workDir: string;

  before(async function () {
    if (!isRoot) this.skip();
    if (!redisServerInstalled()) throw new Error("redis-server is not installed: apt-get install redis-server (.ci/run installs it)");
    cluster = await startCluster({ keyBits: TEST_KEY_BITS, operationDelayMs: 20, nodes: 2, addresses: loopbackAddresses(2), dataPlane: "namespaces" });
    api = clientFor(cluster);
    workDir = mkdtempSync(join(tmpdir(), "rs-dataplane-capture-"));
  });
  after(async function () {
    await api?.close();
    await cluster?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });
  beforeEach(async function () {
    await cluster.admin.reset();
  });

  /** A replicated database with a proxy on both nodes; returns the nodes of the master shard and of the replica. */
  async function spreadDatabase(name: string, encrypted: boolean) {
    const created = await api.post("/v1/bdbs", { name, memory_size: 100 * MiB, replication: true, proxy_policy: "all-nodes", data_internode_encryption: encrypted });
    assert.equal(created.status, 200, created.text);
    const uid = created.body.uid as number;
    await waitActive(api, uid);
    await cluster.dataPlane.settled();
    const database = cluster.dataPlane.database(uid)!;
    const master = database.shards.find((s) => s.role === "master")!;
    const replica = database.shards.find((s) => s.role === "replica")!;
    const nodes = cluster.dataPlane.nodes();
    return { uid, master, replica, shardNode: nodes.find((n) => n.uid === master.nodeUid)!, otherNode: nodes.find((n) => n.uid !== master.nodeUid)! };
  }

  async function waitReplicated(replica: { address: string; port: number }, key: string, value: string): Promise<void> {
    const direct = await RespConnection.connect(replica.address, replica.port);
    try {
      await waitFor(`${key} on the replica`, async () => ((await direct.send("GET", key)) === value ? true : undefined), 10_000, 50);
    } finally {
      direct.close();
    }
  }

  it("nodes are namespaces with their own addresses; endpoints show them", async function () {
    const nodes = cluster.dataPlane.nodes();
    assert.equal(cluster.dataPlane.layout, "namespaces");
    assert.equal(new Set(nodes.map((n) => n.address)).size, 2);
    assert.ok(nodes.every((n) => n.namespace && n.link));
    const { uid } = await spreadDatabase("visible", false);
    const endpoint = (await api.get(`/v1/bdbs/${uid}`)).body.endpoints[0];
    assert.deepEqual([...endpoint.addr].sort(), nodes.map((n) => n.address).sort());
  });

  it("a capture between the proxy's node and the shard's node shows the marker with encryption off, only TLS on 3342 with it on", async function () {
    const { uid, replica, shardNode, otherNode } = await spreadDatabase("captured", false);
    const filter = `host ${shardNode.address} and host ${otherNode.address}`;

    const plainFile = join(workDir, "plain.pcap");
    let capture = await startCapture(shardNode.link!, filter, plainFile);
    const marker = `marker-plain-${process.pid}-${Date.now()}`;
    let client = await connectToDatabase(cluster, uid, otherNode.uid);
    assert.equal(await client.send("SET", "capture", marker), "OK");
    assert.equal(await client.send("GET", "capture"), marker);
    client.close();
    await waitReplicated(replica, "capture", marker);
    const plain = await capture.stop();
    assert.ok(plain.includes(Buffer.from(marker)), `with encryption off the marker crosses the link in clear text (${JSON.stringify(packets(plainFile).slice(0, 20))})`);

    assert.equal((await api.put(`/v1/bdbs/${uid}`, { data_internode_encryption: true })).status, 200);
    await waitActive(api, uid);
    await cluster.dataPlane.settled();
    // Let the plain replication link's close finish before capturing again.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const tlsFile = join(workDir, "tls.pcap");
    capture = await startCapture(shardNode.link!, filter, tlsFile);
    const secret = `marker-tls-${process.pid}-${Date.now()}`;
    client = await connectToDatabase(cluster, uid, otherNode.uid);
    assert.equal(await client.send("SET", "capture", secret), "OK");
    assert.equal(await client.send("GET", "capture"), secret);
    client.close();
    await waitReplicated(replica, "capture", secret);
    const encrypted = await capture.stop();
    assert.ok(!encrypted.includes(Buffer.from(secret)), "with encryption on the marker never crosses the link in clear text");
    const seen = packets(tlsFile);
    assert.ok(seen.length > 0, "the capture saw the traffic");
    assert.deepEqual(seen.filter((p) => p.src !== 3342 && p.dst !== 3342), [], "every packet between the nodes is on 3342");
    assert.ok(seen.some((p) => p.protocol.startsWith("TLS")), `TLS records seen: ${JSON.stringify([...new Set(seen.map((p) => p.protocol))])}`);
  });

  it("with 3342 dropped between the nodes encrypted traffic fails and the database reports it; lifting the rule restores it", async function () {
    const { uid, shardNode, otherNode } = await spreadDatabase("walled", true);
    const table = `rsdtest${process.pid}`;
    nft(shardNode.namespace!, `table inet ${table} {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ip saddr ${otherNode.address} tcp dport ${cluster.dataPlane.internodePort} drop\n }\n}\n`);
    try {
      const since = cluster.admin.events().at(-1)?.seq ?? 0;
      const client = await connectToDatabase(cluster, uid, otherNode.uid);
      const reply = await client.send("PING");
      assert.ok(reply instanceof RespError, `expected an error reply, got ${JSON.stringify(reply)}`);
      assert.match(reply.message, new RegExp(`internode TLS to node ${shardNode.uid} \\(${shardNode.address.replace(/\./g, "\\.")}:3342\\) failed`));
      const problems = cluster.dataPlane.database(uid)!.problems;
      assert.ok(problems.some((p) => /internode TLS to node \d+ .* failed/.test(p)), JSON.stringify(problems));
      const events = cluster.admin.events({ type: "dataplane_error", since });
      assert.ok(events.some((e) => e.bdbUid === uid), JSON.stringify(events));
      // The proxy on the shard's own node needs no internode traffic and keeps working.
      const local = await connectToDatabase(cluster, uid, shardNode.uid);
      assert.equal(await local.send("PING"), "PONG");
      local.close();
    } finally {
      nft(shardNode.namespace!, `delete table inet ${table}\n`);
    }
    const restored = await connectToDatabase(cluster, uid, otherNode.uid);
    assert.equal(await restored.send("PING"), "PONG");
    restored.close();
  });

  it("an InternodeFirewall that leaves the proxy's node out cuts encrypted traffic; applying it with every node restores it", async function () {
    const { uid, shardNode, otherNode } = await spreadDatabase("fenced", true);
    const nodes: FirewallNode[] = cluster.dataPlane.nodes().map((n) => ({ address: n.address, transport: { type: "netns", namespace: n.namespace! } }));
    const table = `rsdfw${process.pid}`;
    const specOf = (declared: FirewallNode[]) => {
      const parsed = parseFirewallSpec({ nodes: declared, table });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.failures));
      return parsed.spec;
    };
    try {
      // Declared with the shard's node only: its table accepts 3342 from no peer and drops everyone else.
      await applyNodes(specOf(nodes.filter((n) => n.address === shardNode.address)), "test firewall", { refuseForeignTable: true });
      const cut = await connectToDatabase(cluster, uid, otherNode.uid);
      const reply = await cut.send("PING");
      assert.ok(reply instanceof RespError && /internode TLS to node \d+ .* failed/.test(reply.message), `expected an internode failure, got ${JSON.stringify(reply)}`);
      assert.ok(cluster.dataPlane.database(uid)!.problems.some((p) => p.includes(`internode TLS to node ${shardNode.uid}`)));

      await applyNodes(specOf(nodes), "test firewall", { refuseForeignTable: false });
      const restored = await connectToDatabase(cluster, uid, otherNode.uid);
      assert.equal(await restored.send("PING"), "PONG", "with every node declared, 3342 is open between them again");
      restored.close();
    } finally {
      await removeTables(nodes, table, "test firewall");
    }
  });
});
