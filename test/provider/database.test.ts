// The Database provider called directly, the way the provider host calls it, against an emulated cluster:
// life cycle, notes per impact class, the disruption gate, faults mid-operation, timeouts, drift, adoption,
// the version gate and secrets.
import assert from "node:assert/strict";
import { RespConnection, startCluster, type EmulatedCluster } from "../../emulator";
import { closesWithin, loopbackAddresses } from "../emulator/support/dataplane";
import { configure, providers } from "../../provider";
import type { Connection } from "../../provider/rest";
import { requestsDuring } from "../emulator/support/requests";
import { captureStderr, type StderrCapture } from "./support/stderr";

type Props = Record<string, unknown>;
const db = providers.Database;
const PASSWORD = "Zebra-Quartz-7731";

async function configureStack(values: Record<string, string> = {}): Promise<void> {
  await configure({ config: { get: (key: string) => values[key], require: (key: string) => values[key]! } });
}

function connectionOf(cluster: EmulatedCluster): Connection {
  return { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
}

/** check then create, as the engine does for a new resource. */
async function createDatabase(inputs: Props): Promise<{ id: string; outs: Props; checked: Props }> {
  const { inputs: checked, failures } = await db.check!({}, inputs);
  assert.deepEqual(failures, []);
  const { id, outs } = await db.create(hostChecked(checked, inputs));
  return { id, outs: outs as Props, checked: checked as Props };
}

/** The provider host puts the serialized provider back into check's result before create sees it. */
function hostChecked(checked: Props, news: Props): Props {
  return news.__provider === undefined ? checked : { ...checked, __provider: news.__provider };
}

/** The bdb objects the emulator holds, straight from its state. */
function listDatabases(cluster: EmulatedCluster): Props[] {
  const state = cluster.admin.state() as { bdbs: Array<{ object: Props }> };
  return state.bdbs.map((entry) => entry.object);
}

describe("Database provider against the emulator", function () {
  this.timeout(30_000);
  let cluster: EmulatedCluster;
  let connection: Connection;
  let stderr: StderrCapture;

  before(async () => {
    cluster = await startCluster({ nodes: 3, operationDelayMs: 40, keyBits: 1024 });
    connection = connectionOf(cluster);
    await configureStack();
  });
  after(async () => {
    await cluster?.stop();
  });
  beforeEach(async () => {
    await cluster.admin.reset();
    stderr = captureStderr();
  });
  afterEach(() => stderr.stop());

  it("creates, reads back without drift, updates in place and deletes", async () => {
    const { id, outs, checked } = await createDatabase({ name: "orders", memorySize: "256MB", connection, password: PASSWORD });
    assert.equal(outs.name, "orders");
    assert.equal(outs.memorySize, 256 * 1024 * 1024);
    assert.equal(outs.status, "active");
    assert.equal(outs.uid, Number(id));
    const endpoint = outs.endpoint as { port: number; dnsName: string };
    assert.ok(endpoint.port >= 10000 && endpoint.port <= 19999, `endpoint port ${endpoint.port}`);
    assert.equal(endpoint.dnsName, `redis-${endpoint.port}.${cluster.clusterName}`);

    const read = await db.read!(id, outs);
    assert.equal(read.id, id);
    const noChange = await db.diff!(id, read.props as Props, checked);
    assert.equal(noChange.changes, false);

    const bigger = (await db.check!(checked, { ...checked, memorySize: "512MB" })).inputs as Props;
    const diff = await db.diff!(id, read.props as Props, bigger);
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.replaces, []);
    const updated = await db.update!(id, read.props as Props, bigger);
    assert.equal((updated.outs as Props).memorySize, 512 * 1024 * 1024);
    assert.equal(listDatabases(cluster).find((b) => String(b.uid) === id)?.memory_size, 512 * 1024 * 1024);

    await db.delete!(id, updated.outs as Props);
    const gone = await db.read!(id, updated.outs as Props);
    assert.equal(gone.id, "");
    assert.ok(!stderr.take().includes(PASSWORD), "the password was printed");
  });

  it("prints one note per impact class, naming the database, the property, old and new values", async () => {
    const { id, outs, checked } = await createDatabase({
      name: "notes",
      memorySize: "100MB",
      connection,
      dataInternodeEncryption: false,
      tlsMode: "disabled",
      resp3: true,
      sharding: true,
      shardsCount: 2,
      shardKeyRegex: [".*\\{(?<tag>.*)\\}.*", "(?<tag>.*)"],
      port: 12001,
    });
    stderr.take();
    const cases: Array<[Props, string]> = [
      [{ dataInternodeEncryption: true }, 'Database "notes": dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients'],
      [{ tlsMode: "enabled" }, 'Database "notes": tlsMode "disabled" -> "enabled" applies to new connections only'],
      [{ resp3: false }, 'Database "notes": resp3 true -> false disconnects clients connected with RESP3'],
      [{ shardKeyRegex: ["(?<tag>.*)"] }, 'Database "notes": shardKeyRegex'],
      [{ port: 12002 }, 'Database "notes": port 12001 -> 12002'],
    ];
    for (const [change, expected] of cases) {
      const news = (await db.check!(checked, { ...checked, ...change })).inputs as Props;
      const diff = await db.diff!(id, outs, news);
      assert.equal(diff.changes, true);
      const printed = stderr.take();
      assert.ok(printed.includes(expected), `expected a note starting ${JSON.stringify(expected)}; got ${JSON.stringify(printed)}`);
      if ("shardKeyRegex" in change) assert.match(printed, /flushes all data/);
      if ("port" in change) {
        assert.deepEqual(diff.replaces, ["port"]);
        assert.equal(diff.deleteBeforeReplace, true);
        assert.match(printed, /all data is lost/);
      }
    }
  });

  it("deny refuses a disruptive change in check, naming the property and its consequence; allow lets it through", async () => {
    const { checked } = await createDatabase({ name: "guarded", memorySize: "100MB", connection, dataInternodeEncryption: false, disruptionPolicy: "deny" });
    const denied = await db.check!(checked, { ...checked, dataInternodeEncryption: true });
    assert.equal(denied.failures?.length, 1);
    assert.equal(denied.failures?.[0]?.property, "dataInternodeEncryption");
    assert.match(denied.failures![0]!.reason, /dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients/);
    const harmless = await db.check!(checked, { ...checked, memorySize: "200MB" });
    assert.deepEqual(harmless.failures, []);
    const allowed = await db.check!(checked, { ...checked, dataInternodeEncryption: true, disruptionPolicy: "allow" });
    assert.deepEqual(allowed.failures, []);
  });

  it("takes the stack's default disruption policy from config", async () => {
    await configureStack({ "redisenterprise:disruptionPolicy": "deny" });
    try {
      const { checked } = await createDatabase({ name: "stackdeny", memorySize: "100MB", connection, resp3: true });
      const denied = await db.check!(checked, { ...checked, resp3: false });
      assert.equal(denied.failures?.[0]?.property, "resp3");
    } finally {
      await configureStack();
    }
  });

  it("a dataInternodeEncryption change drops a client connected before it; a memory change keeps it", async () => {
    // A cluster with a data plane of its own: the clients are real connections to the endpoint the outputs name.
    const own = await startCluster({ nodes: 3, operationDelayMs: 40, keyBits: 1024, addresses: loopbackAddresses(), dataPlane: "loopback" });
    try {
      const { id, outs, checked } = await createDatabase({ name: "ine", memorySize: "100MB", connection: connectionOf(own), dataInternodeEncryption: false });
      const endpoint = outs.endpoint as { addresses: string[]; port: number };
      await own.dataPlane.settled();
      const client = await RespConnection.connect(endpoint.addresses[0]!, endpoint.port);
      assert.equal(await client.send("SET", "order:1", "paid"), "OK");

      const bigger = (await db.check!(checked, { ...checked, memorySize: "200MB" })).inputs as Props;
      const { outs: grown } = await db.update!(id, outs, bigger);
      await own.dataPlane.settled();
      assert.equal(await client.send("GET", "order:1"), "paid", "the memory change kept the client connected");
      assert.deepEqual(((grown as Props).lastUpdateImpacts as Props[]).map((c) => c.impact), ["none"]);

      const encrypted = (await db.check!(bigger, { ...bigger, dataInternodeEncryption: true })).inputs as Props;
      const { outs: after } = await db.update!(id, grown as Props, encrypted);
      assert.equal((after as Props).dataInternodeEncryption, true);
      assert.equal(await closesWithin(client.closed, 5000), true, "the client connected before the encryption change was disconnected");
      assert.deepEqual(
        ((after as Props).lastUpdateImpacts as Props[]).map((c) => [c.property, c.impact]),
        [["dataInternodeEncryption", "disconnects-all-clients"]],
      );
      // The emulator's event log agrees: one proxy restart, for this database.
      assert.deepEqual(own.admin.events({ type: "proxy_restart" }).map((e) => e.bdbUid), [Number(id)]);
      const fresh = await RespConnection.connect(endpoint.addresses[0]!, endpoint.port);
      assert.equal(await fresh.send("GET", "order:1"), "paid", "new connections work once the change completes");
      fresh.close();
    } finally {
      await own.stop();
    }
  });

  it("converges with exactly one database when POST is answered 503 before it is applied", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", status: 503, count: 1 });
    const { outs } = await createDatabase({ name: "retry503", memorySize: "100MB", connection });
    assert.equal(outs.status, "active");
    const named = listDatabases(cluster).filter((b) => b.name === "retry503");
    assert.equal(named.length, 1);
  });

  it("converges with exactly one database when the create's answer is lost after it was applied", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", drop: true, phase: "after", count: 1 });
    const { outs } = await createDatabase({ name: "lostanswer", memorySize: "100MB", connection });
    assert.equal(outs.status, "active");
    assert.equal(listDatabases(cluster).filter((b) => b.name === "lostanswer").length, 1);
    assert.match(stderr.take(), /found the database by name/);
  });

  it("converges with exactly one database when a create is applied, then answered 409 busy, and the resend is refused as a duplicate name", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", status: 409, phase: "after", count: 1 });
    const { id, outs } = await createDatabase({ name: "busyafter", memorySize: "100MB", connection });
    assert.equal(outs.status, "active");
    const named = listDatabases(cluster).filter((b) => b.name === "busyafter");
    assert.equal(named.length, 1, "exactly one database, recorded by the engine");
    assert.equal(id, String(named[0].uid));
    assert.match(stderr.take(), /found the database by name/);
  });

  it("a create against a port where nothing listens fails within its timeouts.create, not the default", async () => {
    const closed = { ...connection, url: "http://127.0.0.1:9" };
    const inputs = { name: "noport", memorySize: "100MB", connection: closed, timeouts: { create: "1s" }, __provider: "shim-text" };
    const { inputs: checked } = await db.check!({}, inputs);
    const started = Date.now();
    await assert.rejects(db.create(hostChecked(checked as Props, inputs)), /refused|ECONNREFUSED|connect/i);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `failed after ${elapsed} ms; the operation's deadline is 1 s (the refused-connection budget alone is 5 s)`);
    stderr.take();
  });

  it("records a create whose connection dropped as pending, never as 'nothing was created' (F1: a lost answer proves nothing)", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", drop: true, phase: "before", count: 1 });
    const error = (await createDatabase({ name: "dropped", memorySize: "100MB", connection, __provider: "shim-text" }).then(
      () => assert.fail("the create should fail"),
      (e: unknown) => e,
    )) as Error & { id?: string; properties?: Props };
    assert.equal(error.id, "pending-create:dropped");
    assert.equal(error.properties?.status, "unconfirmed");
    assert.equal(error.properties?.__provider, "shim-text");
    assert.match(error.message, /the create was sent but its connection broke before the answer came \(POST \/v1\/bdbs: no answer .*UND_ERR_SOCKET.*\) and no database named "dropped" exists yet; .*records it as pending \(id pending-create:dropped\)/);
    assert.equal(listDatabases(cluster).length, 0);
  });

  it("retries an update through a 409 busy window and applies it once", async () => {
    const { id, outs, checked } = await createDatabase({ name: "busy", memorySize: "100MB", connection });
    cluster.admin.addFault({ method: "PUT", path: "^/v1/bdbs/\\d+$", busyMs: 600 });
    const news = (await db.check!(checked, { ...checked, memorySize: "300MB" })).inputs as Props;
    const { outs: after } = await db.update!(id, outs, news);
    assert.equal((after as Props).memorySize, 300 * 1024 * 1024);
    assert.equal(cluster.admin.events({ type: "bdb_updated" }).length, 1);
  });

  it("a create whose wait times out throws a partial failure carrying the id, so nothing is orphaned", async () => {
    const slow = await startCluster({ nodes: 1, operationDelayMs: 5000, keyBits: 1024 });
    try {
      const inputs = { name: "slow", memorySize: "100MB", connection: connectionOf(slow), timeouts: { create: "1s" }, __provider: "shim-text" };
      const { inputs: checked } = await db.check!({}, inputs);
      const error = (await db.create(hostChecked(checked, inputs)).then(
        () => assert.fail("create should have timed out"),
        (e: unknown) => e,
      )) as Error & { id?: string; properties?: Props };
      assert.match(error.message, /created as uid 1 but did not become ready/);
      assert.equal(error.id, "1");
      assert.equal(error.properties?.__provider, "shim-text");
      assert.equal(error.properties?.uid, 1);
    } finally {
      await slow.stop();
    }
  });

  it("a create that ends in creation-failed is recorded with its id; the next up reports the failure; destroy removes it", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", failAction: true, count: 1 });
    const inputs = { name: "doomed", memorySize: "100MB", connection, __provider: "shim-text" };
    const { inputs: checked } = await db.check!({}, inputs);
    const failure = (await db.create(hostChecked(checked, inputs)).then(
      () => assert.fail("create should have failed"),
      (e: unknown) => e,
    )) as Error & { id?: string; properties?: Props };
    assert.equal(failure.id, "1");
    assert.match(failure.message, /created as uid 1 but did not become ready/);
    assert.equal(failure.properties?.status, "creation-failed");
    // The engine updates a resource recorded with init errors on the next up: nothing to send, but not a success.
    await assert.rejects(db.update!("1", failure.properties!, checked as Props), /creation-failed/);
    await db.delete!("1", failure.properties!);
    assert.equal(listDatabases(cluster).length, 0);
  });

  it("refresh reports an out-of-band change, and the next update corrects it", async () => {
    const { id, outs, checked } = await createDatabase({ name: "drift", memorySize: "100MB", connection, evictionPolicy: "allkeys-lru" });
    cluster.admin.patchObject(`bdbs/${id}`, { eviction_policy: "noeviction", memory_size: 999 * 1024 * 1024 });
    const refreshed = (await db.read!(id, outs)).props as Props;
    assert.equal(refreshed.evictionPolicy, "noeviction");
    const diff = await db.diff!(id, refreshed, checked);
    assert.equal(diff.changes, true);
    const { outs: corrected } = await db.update!(id, refreshed, checked);
    assert.equal((corrected as Props).evictionPolicy, "allkeys-lru");
    assert.equal((corrected as Props).memorySize, 100 * 1024 * 1024);
  });

  it("an undeclared property changed out of band is not drift", async () => {
    const { id, outs, checked } = await createDatabase({ name: "unmanaged", memorySize: "100MB", connection });
    cluster.admin.patchObject(`bdbs/${id}`, { eviction_policy: "noeviction" });
    const refreshed = (await db.read!(id, outs)).props as Props;
    assert.equal((await db.diff!(id, refreshed, checked)).changes, false);
  });

  it("refuses to turn data internode encryption on while a node runs a version older than 6.2.4, naming the node", async () => {
    cluster.admin.setNode(2, { software_version: "6.2.2-30" });
    const declared = { name: "oldnodes", memorySize: "100MB", connection, dataInternodeEncryption: true };
    // By default check (a preview) asks the cluster nothing; the create refuses before it sends anything.
    let check: { inputs?: unknown; failures?: unknown[] } = {};
    const sent = await requestsDuring(cluster, async () => {
      check = await db.check!({}, declared);
    });
    assert.deepEqual(check.failures ?? [], []);
    assert.deepEqual(sent, [], "check sent REST requests");
    await assert.rejects(db.create(check.inputs as Props), /node 2 runs 6\.2\.2-30/);
    assert.equal(listDatabases(cluster).length, 0);
    // With validation at preview (stack config), check refuses it already, naming the node.
    await configureStack({ "redisenterprise:validateAtPreview": "true" });
    try {
      const validated = await db.check!({}, declared);
      assert.equal(validated.failures?.length, 1);
      assert.match(validated.failures![0]!.reason, /node 2 runs 6\.2\.2-30/);
    } finally {
      await configureStack();
    }
  });

  it("refuses to create a second database with a name that exists, pointing at adopt", async () => {
    await createDatabase({ name: "taken", memorySize: "100MB", connection });
    await assert.rejects(createDatabase({ name: "taken", memorySize: "100MB", connection }), /already exists \(uid 1\).*adopt/);
  });

  it("fails a rename to a name another database holds at once, naming name_exists, and changes nothing", async () => {
    await createDatabase({ name: "first", memorySize: "100MB", connection });
    const { id, outs, checked } = await createDatabase({ name: "second", memorySize: "100MB", connection });
    const renamed = (await db.check!(checked, { ...checked, name: "first" })).inputs as Props;
    const started = Date.now();
    await assert.rejects(db.update!(id, outs, renamed), /PUT \/v1\/bdbs\/2: 409 name_exists: a database named 'first' already exists/);
    // A name in use is not a state that passes: before, the client retried it for its whole 120 s budget.
    assert.ok(Date.now() - started < 3_000, `the refusal took ${Date.now() - started} ms`);
    assert.deepEqual(listDatabases(cluster).map((bdb) => bdb.name).sort(), ["first", "second"]);
  });

  it("adopts an existing database that matches, lists mismatches otherwise, and applies them when asked", async () => {
    const existing = await createDatabase({ name: "legacy", memorySize: "100MB", connection, evictionPolicy: "noeviction" });
    const matching = await createDatabase({ name: "legacy", memorySize: "100MB", connection, evictionPolicy: "noeviction", adopt: {} });
    assert.equal(matching.id, existing.id);
    await assert.rejects(
      createDatabase({ name: "legacy", memorySize: "200MB", connection, adopt: {} }),
      /memorySize .* differs from the live database; declare the live value, or set adopt.applyChanges: true/,
    );
    const applied = await createDatabase({ name: "legacy", memorySize: "200MB", connection, adopt: { applyChanges: true } });
    assert.equal(applied.id, existing.id);
    assert.equal(applied.outs.memorySize, 200 * 1024 * 1024);
    assert.equal(listDatabases(cluster).length, 1);
  });

  it("reads the connection from stack config when the resource declares none", async () => {
    await configureStack({
      "redisenterprise:url": connection.url,
      "redisenterprise:username": connection.username,
      "redisenterprise:password": connection.password,
      "redisenterprise:caCertPem": connection.caCertPem!,
    });
    try {
      const { outs } = await createDatabase({ name: "fromconfig", memorySize: "100MB" });
      assert.equal(outs.status, "active");
      assert.equal(outs.connection, undefined);
    } finally {
      await configureStack();
    }
  });

  it("fails check with a clear message when there is no connection at all", async () => {
    const check = await db.check!({}, { name: "nowhere", memorySize: "100MB" });
    assert.equal(check.failures?.[0]?.property, "connection");
    assert.match(check.failures![0]!.reason, /set the resource's connection input \(usually cluster.connection\) or stack config redisenterprise:url/);
  });

  it("never puts the admin password in errors", async () => {
    const wrong = { ...connection, password: "Wrong-Secret-4411" };
    const error = (await db.create((await db.check!({}, { name: "denied", memorySize: "100MB", connection: wrong })).inputs as Props).then(
      () => assert.fail("expected 401"),
      (e: unknown) => e,
    )) as Error;
    assert.match(error.message, /401/);
    assert.ok(!JSON.stringify({ message: error.message, stack: error.stack }).includes("Wrong-Secret-4411"));
    assert.ok(!stderr.take().includes("Wrong-Secret-4411"));
  });
});
