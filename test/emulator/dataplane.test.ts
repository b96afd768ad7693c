// The data plane in the loopback layout (no root needed): real redis-server shards behind a proxy on the
// endpoint port, replication to another node, the internode TLS channel with the data-plane certificates, the
// proxy restart a data internode encryption change causes (observed on real sockets), and nothing left running
// after stop.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { RespError, startCluster, type EmulatedCluster } from "../../emulator";
import { clientFor, TEST_KEY_BITS, waitActive, waitFor, type TestClient } from "./support/client";
import { closesWithin, connectToDatabase, loopbackAddresses, processAlive, redisServerInstalled } from "./support/dataplane";

const MiB = 1024 * 1024;

describe("emulator data plane (loopback layout)", function () {
  this.timeout(30_000);
  let cluster: EmulatedCluster;
  let api: TestClient;

  before(async function () {
    if (!redisServerInstalled()) throw new Error("redis-server is not installed: apt-get install redis-server (.ci/run installs it)");
    cluster = await startCluster({ keyBits: TEST_KEY_BITS, operationDelayMs: 20, addresses: loopbackAddresses(), dataPlane: "loopback" });
    api = clientFor(cluster);
  });
  after(async function () {
    await api?.close();
    await cluster?.stop();
  });
  beforeEach(async function () {
    await cluster.admin.reset();
  });

  async function createDatabase(body: Record<string, unknown>): Promise<number> {
    const created = await api.post("/v1/bdbs", { memory_size: 100 * MiB, ...body });
    assert.equal(created.status, 200, created.text);
    const uid = created.body.uid as number;
    await waitActive(api, uid);
    return uid;
  }

  async function update(uid: number, body: Record<string, unknown>): Promise<void> {
    const answer = await api.put(`/v1/bdbs/${uid}`, body);
    assert.equal(answer.status, 200, answer.text);
    await waitActive(api, uid);
  }

  it("runs the layout it was asked for", function () {
    assert.equal(cluster.dataPlane.layout, "loopback");
    assert.deepEqual(cluster.dataPlane.nodes().map((n) => n.address), cluster.nodes.map((n) => n.address));
  });

  it("a client writes and reads through the endpoint; the replica on another node receives the writes", async function () {
    const uid = await createDatabase({ name: "orders", replication: true });
    const database = cluster.dataPlane.database(uid)!;
    const endpoint = (await api.get(`/v1/bdbs/${uid}`)).body.endpoints[0];
    assert.deepEqual(database.proxies.map((p) => [p.address, p.port]), [[endpoint.addr[0], endpoint.port]], "the proxy listens where the endpoint says");
    const master = database.shards.find((s) => s.role === "master")!;
    const replica = database.shards.find((s) => s.role === "replica")!;
    assert.notEqual(master.nodeUid, replica.nodeUid, "the replica is on another node");
    for (const shard of database.shards) assert.ok(shard.port >= 20000 && shard.port <= 29999, `shard port ${shard.port}`);

    const client = await connectToDatabase(cluster, uid);
    assert.equal(await client.send("SET", "greeting", "hello"), "OK");
    assert.equal(await client.send("GET", "greeting"), "hello");
    client.close();

    const { RespConnection } = await import("../../emulator");
    const direct = await RespConnection.connect(replica.address, replica.port);
    const replicated = await waitFor("the write to reach the replica", async () => ((await direct.send("GET", "greeting")) === "hello" ? true : undefined), 5000, 50);
    assert.equal(replicated, true);
    assert.match(String(await direct.send("INFO", "replication")), /role:slave/);
    direct.close();
  });

  it("a dataInternodeEncryption change disconnects a connected client; a memory-size change does not", async function () {
    const uid = await createDatabase({ name: "flip", replication: true, data_internode_encryption: false });
    const kept = await connectToDatabase(cluster, uid);
    assert.equal(await kept.send("SET", "k", "1"), "OK");
    await update(uid, { memory_size: 200 * MiB });
    await cluster.dataPlane.settled();
    assert.equal(await kept.send("GET", "k"), "1", "the client connected before the memory change still works");
    assert.equal(kept.isClosed, false);
    const master = cluster.dataPlane.database(uid)!.shards.find((s) => s.role === "master")!;
    const { RespConnection } = await import("../../emulator");
    const shard = await RespConnection.connect(master.address, master.port);
    assert.deepEqual(await shard.send("CONFIG", "GET", "maxmemory"), ["maxmemory", String(200 * MiB)], "the new memory size reached the shard");
    shard.close();

    const dropped = kept;
    await update(uid, { data_internode_encryption: true });
    assert.equal(await closesWithin(dropped.closed, 5000), true, "the client connected before the encryption change was disconnected");
    const events = cluster.admin.events({ type: "proxy_restart" });
    assert.deepEqual(events.map((e) => e.bdbUid), [uid]);

    const fresh = await connectToDatabase(cluster, uid);
    assert.equal(await fresh.send("GET", "k"), "1", "a new connection works after the change, data intact");
    fresh.close();
  });

  it("an out-of-band flip of data_internode_encryption goes through the same hook: clients are dropped", async function () {
    const uid = await createDatabase({ name: "oob" });
    const client = await connectToDatabase(cluster, uid);
    assert.equal(await client.send("PING"), "PONG");
    cluster.admin.patchObject(`bdbs/${uid}`, { data_internode_encryption: true });
    await cluster.admin.dataPlaneSettled();
    assert.equal(await closesWithin(client.closed, 5000), true);
    assert.equal(cluster.dataPlane.database(uid)!.encrypted, true);
  });

  it("with encryption on, a proxy on another node reaches the master through 3342 with mutual TLS from the cluster CA", async function () {
    const uid = await createDatabase({ name: "spread", proxy_policy: "all-nodes", data_internode_encryption: true, replication: true });
    const database = cluster.dataPlane.database(uid)!;
    const master = database.shards.find((s) => s.role === "master")!;
    const remote = database.proxies.find((p) => p.nodeUid !== master.nodeUid)!;
    const before = cluster.dataPlane.internodeConnections().length;
    const client = await connectToDatabase(cluster, uid, remote.nodeUid);
    assert.equal(await client.send("SET", "secret", "value"), "OK");
    client.close();
    const made = cluster.dataPlane.internodeConnections().slice(before).filter((c) => c.purpose === "proxy" && c.nodeUid === remote.nodeUid);
    assert.equal(made.length, 1, JSON.stringify(cluster.dataPlane.internodeConnections().slice(before)));
    const certificates = (cluster.admin.state() as { certificates: Array<{ name: string; nodeUid: number; fingerprintSha256: string }> }).certificates;
    const dataCert = (node: number) => certificates.find((c) => c.name === "data_internode_encryption" && c.nodeUid === node)!.fingerprintSha256;
    assert.equal(made[0]!.localFingerprintSha256, dataCert(remote.nodeUid));
    assert.equal(made[0]!.peerFingerprintSha256, dataCert(master.nodeUid));

    // Without a client certificate from the cluster CA the listener refuses the session.
    const node = cluster.dataPlane.nodes().find((n) => n.uid === master.nodeUid)!;
    const refused = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: node.address, port: cluster.dataPlane.internodePort, ca: cluster.caCertPem, servername: `node${master.nodeUid}.${cluster.clusterName}` });
      socket.on("secureConnect", () => socket.write("SHARD 20000\n"));
      socket.on("data", (data) => resolve(`data: ${String(data)}`));
      socket.on("error", (error) => resolve(`error: ${error.message}`));
      socket.on("close", () => resolve("closed"));
      setTimeout(() => resolve("timeout"), 5000).unref();
    });
    assert.match(refused, /^(error|closed)/);
  });

  it("after a certificate rotation a new internode connection presents the new data-plane certificates", async function () {
    const uid = await createDatabase({ name: "rotated", proxy_policy: "all-nodes", data_internode_encryption: true });
    const master = cluster.dataPlane.database(uid)!.shards.find((s) => s.role === "master")!;
    const node = cluster.dataPlane.nodes().find((n) => n.uid === master.nodeUid)!;
    const serverCertificate = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: node.address, port: cluster.dataPlane.internodePort, ca: cluster.caCertPem, servername: `node${node.uid}.${cluster.clusterName}` }, () => {
          const pem = socket.getPeerX509Certificate();
          socket.destroy();
          resolve(pem ? new X509Certificate(pem.raw).fingerprint256.replace(/:/g, "").toLowerCase() : "");
        });
        socket.on("error", reject);
      });
    const fingerprint = (name: string, nodeUid: number) =>
      (cluster.admin.state() as { certificates: Array<{ name: string; nodeUid: number; fingerprintSha256: string }> }).certificates.find(
        (c) => c.name === name && c.nodeUid === nodeUid,
      )!.fingerprintSha256;
    const old = fingerprint("data_internode_encryption", node.uid);
    assert.equal(await serverCertificate(), old);

    const rotated = await api.post("/v1/cluster/certificates/rotate", {});
    assert.equal(rotated.status, 200, rotated.text);
    const renewed = fingerprint("data_internode_encryption", node.uid);
    assert.notEqual(renewed, old);
    assert.equal(await serverCertificate(), renewed, "the internode listener presents the new certificate");

    const remote = cluster.dataPlane.database(uid)!.proxies.find((p) => p.nodeUid !== node.uid)!;
    const before = cluster.dataPlane.internodeConnections().length;
    const client = await connectToDatabase(cluster, uid, remote.nodeUid);
    assert.equal(await client.send("PING"), "PONG");
    client.close();
    const made = cluster.dataPlane.internodeConnections().slice(before).find((c) => c.side === "client" && c.purpose === "proxy")!;
    assert.equal(made.localFingerprintSha256, fingerprint("data_internode_encryption", remote.nodeUid), "the dialling node presents its new certificate");
    assert.equal(made.peerFingerprintSha256, renewed);
  });

  it("a database password is enforced by the shards behind the proxy", async function () {
    const uid = await createDatabase({ name: "guarded", authentication_redis_pass: "Quartz-Zebra-11" });
    const client = await connectToDatabase(cluster, uid);
    assert.ok((await client.send("GET", "x")) instanceof RespError, "unauthenticated commands are refused");
    assert.equal(await client.send("AUTH", "Quartz-Zebra-11"), "OK");
    assert.equal(await client.send("SET", "x", "1"), "OK");
    client.close();
  });

  it("deleting a database stops its shards and closes its endpoint", async function () {
    const uid = await createDatabase({ name: "doomed", replication: true });
    const database = cluster.dataPlane.database(uid)!;
    const pids = database.shards.map((s) => s.pid);
    assert.ok(pids.every(processAlive));
    assert.equal((await api.delete(`/v1/bdbs/${uid}`)).status, 200);
    await waitFor("the database to be gone", async () => ((await api.get(`/v1/bdbs/${uid}`)).status === 404 ? true : undefined));
    await cluster.dataPlane.settled();
    assert.equal(cluster.dataPlane.database(uid), undefined);
    await waitFor("the shards to exit", async () => (pids.some(processAlive) ? undefined : true), 3000, 20);
    const proxy = database.proxies[0]!;
    const { RespConnection } = await import("../../emulator");
    await assert.rejects(RespConnection.connect(proxy.address, proxy.port, 2000), /ECONNREFUSED/);
  });

  it("stop leaves no agent or shard running", async function () {
    const own = await startCluster({ keyBits: TEST_KEY_BITS, operationDelayMs: 10, nodes: 2, addresses: loopbackAddresses(2), dataPlane: "loopback" });
    let pids: number[] = [];
    try {
      const ownApi = clientFor(own);
      const created = await ownApi.post("/v1/bdbs", { name: "short", memory_size: 100 * MiB, replication: true });
      await waitActive(ownApi, created.body.uid as number);
      await ownApi.close();
      await own.dataPlane.settled();
      pids = own.dataPlane.processIds();
      assert.equal(pids.length, 4, "two agents and two shards");
    } finally {
      await own.stop();
    }
    // SIGKILLed processes vanish within milliseconds; the bound only absorbs a loaded machine.
    await waitFor("every agent and shard to be gone", async () => (pids.some(processAlive) ? undefined : true), 3000, 20);
    assert.deepEqual(pids.filter(processAlive), []);
  });
});

describe("emulator data plane on a cluster bootstrapped after start", function () {
  this.timeout(30_000);

  it("serves a database once the idle nodes have created and joined the cluster", async function () {
    if (!redisServerInstalled()) throw new Error("redis-server is not installed: apt-get install redis-server (.ci/run installs it)");
    const addresses = loopbackAddresses(2);
    const cluster = await startCluster({ keyBits: TEST_KEY_BITS, operationDelayMs: 10, idle: true, addresses, dataPlane: "loopback" });
    const open = { auth: false as const };
    const admin = { auth: { username: "admin@late.local", password: "Late-Start-42" } };
    try {
      const first = clientFor(cluster, { credentials: undefined });
      const created = await first.post(
        "/v1/bootstrap/create_cluster",
        { action: "create_cluster", cluster: { name: "late.local", nodes: [] }, node: { identity: { addr: addresses[0] } }, credentials: { username: "admin@late.local", password: "Late-Start-42" } },
        open,
      );
      assert.equal(created.status, 200, created.text);
      await waitFor("node 1 bootstrapped", async () => ((await first.get("/v1/bootstrap", admin)).body?.bootstrap_status?.state === "completed" ? true : undefined), 15_000, 50);
      const second = clientFor(cluster, { node: 1, credentials: undefined });
      const joined = await second.post(
        "/v1/bootstrap/join_cluster",
        { action: "join_cluster", cluster: { nodes: [addresses[0]] }, credentials: { username: "admin@late.local", password: "Late-Start-42" } },
        open,
      );
      assert.equal(joined.status, 200, joined.text);
      await waitFor("node 2 joined", async () => ((await second.get("/v1/bootstrap", admin)).body?.bootstrap_status?.state === "completed" ? true : undefined), 15_000, 50);
      await first.close();
      await second.close();

      const api = clientFor(cluster, { credentials: { username: "admin@late.local", password: "Late-Start-42" } });
      const database = await api.post("/v1/bdbs", { name: "late", memory_size: 100 * MiB, replication: true });
      assert.equal(database.status, 200, database.text);
      await waitActive(api, database.body.uid as number);
      await api.close();
      const client = await connectToDatabase(cluster, database.body.uid as number);
      assert.equal(await client.send("SET", "late", "yes"), "OK");
      client.close();
      assert.deepEqual(cluster.dataPlane.database(database.body.uid as number)!.problems, []);
    } finally {
      await cluster.stop();
    }
  });
});
