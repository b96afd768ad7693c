// The Database resource through the engine's own path: the real @pulumi/pulumi provider host, driven over
// gRPC by the harness, running the demo program against an emulated cluster: create, a preview and an up that
// flip dataInternodeEncryption, refresh after an out-of-band change, the correcting up, destroy. Secrets are
// checked everywhere the engine or the host could leak them.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { closesWithin, connectToDatabase, loopbackAddresses } from "../emulator/support/dataplane";
import { demoProgram, type DemoSettings } from "../../examples/demo/program";
import { Database } from "../../sdk";
import {
  DeploymentError,
  destroy,
  refresh,
  runProgram,
  serializedProviderSize,
  startProviderHost,
  unmarkedOutputs,
  type ProviderHost,
  type RunOptions,
} from "./harness";
import { assertNoSecretLeaks, opsByName } from "./support";

const PROJECT = "redis-enterprise-demo";
const STACK = "engine-test";
const SESSIONS_PASSWORD = "Sessions-Pass-90210";
const DATABASE_TYPE = "pulumi-nodejs:dynamic/redisenterprise:Database";
const urnOf = (name: string) => `urn:pulumi:${STACK}::${PROJECT}::${DATABASE_TYPE}::${name}`;

describe("Database through the real provider host", function () {
  this.timeout(60_000);
  let cluster: EmulatedCluster;
  let host: ProviderHost;
  let config: Record<string, string>;
  const secretConfigKeys = ["redisenterprise:password", "demo:sessionsPassword"];

  const options = (mode: RunOptions["mode"]): RunOptions => ({ host, project: PROJECT, stack: STACK, config, secretConfigKeys, mode });
  const program = (settings: DemoSettings) => () => demoProgram(settings);
  const liveDatabases = () => (cluster.admin.state() as { bdbs: Array<{ object: Record<string, unknown> }> }).bdbs.map((b) => b.object);

  before(async () => {
    // With a data plane: the encryption change is observed on real client connections.
    cluster = await startCluster({ nodes: 3, operationDelayMs: 30, keyBits: 1024, addresses: loopbackAddresses(), dataPlane: "loopback" });
    config = {
      "redisenterprise:url": cluster.nodes[0]!.url,
      "redisenterprise:username": cluster.username,
      "redisenterprise:password": cluster.password,
      "redisenterprise:caCertPem": cluster.caCertPem,
      ["demo:sessionsPassword"]: SESSIONS_PASSWORD,
    };
    host = await startProviderHost({ project: PROJECT, config });
  });
  after(async () => {
    await host?.stop();
    await cluster?.stop();
  });

  it("creates, previews and applies an encryption change with its note, shows drift on refresh, corrects it, destroys", async () => {
    const start = host.mark();
    const created = await runProgram(program({ encryptOrders: false, sessionsMemory: "128MB" }), {}, options("up"));
    assert.deepEqual(opsByName(created.steps), { orders: "create", sessions: "create" });
    const live = liveDatabases();
    assert.deepEqual(live.map((b) => b.name).sort(), ["orders", "sessions"]);
    const orders = live.find((b) => b.name === "orders")!;
    assert.equal(orders.data_internode_encryption, false);
    assert.equal(orders.replication, true);
    assert.equal(created.outputs.ordersEncrypted, false);
    assert.match(String(created.outputs.ordersEndpoint), /^redis-1\d{4}\..+:1\d{4}$/);
    assert.deepEqual(created.secretOutputNames, ["sessionsPassword"]);
    assert.ok(created.state[urnOf("sessions")]!.secretOutputKeys.includes("password"));

    // The serialized shim is small: it requires the installed implementation instead of capturing it.
    const shimSize = await serializedProviderSize(created.state[urnOf("orders")]!);
    console.log(`      serialized provider per resource: ${shimSize} bytes`);
    assert.ok(shimSize < 2 * 1024, `the __provider text is ${shimSize} bytes; a thin shim is under 2 KB`);

    // Preview of the encryption change: an update with the disconnect note, and nothing applied yet.
    let mark = host.mark();
    const preview = await runProgram(program({ encryptOrders: true, sessionsMemory: "128MB" }), created.state, options("preview"));
    assert.deepEqual(opsByName(preview.steps), { orders: "update", sessions: "same" });
    const previewNotes = host.stderrSince(mark).join("\n");
    assert.match(previewNotes, /Database "orders": dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients/);
    assert.equal(cluster.admin.events({ type: "proxy_restart" }).length, 0);

    // A client of each database, connected before the up that turns encryption on for orders.
    const ordersClient = await connectToDatabase(cluster, Number(created.state[urnOf("orders")]!.id));
    const sessionsClient = await connectToDatabase(cluster, Number(created.state[urnOf("sessions")]!.id));
    assert.equal(await ordersClient.send("PING"), "PONG");
    assert.equal(await sessionsClient.send("AUTH", SESSIONS_PASSWORD), "OK");
    mark = host.mark();
    const encrypted = await runProgram(program({ encryptOrders: true, sessionsMemory: "128MB" }), created.state, options("up"));
    assert.deepEqual(opsByName(encrypted.steps), { orders: "update", sessions: "same" });
    assert.match(host.stderrSince(mark).join("\n"), /dataInternodeEncryption false -> true restarts the database proxy/);
    assert.equal(await closesWithin(ordersClient.closed, 5000), true, "the orders client was disconnected, as the note said");
    assert.equal(await sessionsClient.send("PING"), "PONG", "the sessions client, whose database did not change, stays connected");
    sessionsClient.close();
    const restarts = cluster.admin.events({ type: "proxy_restart" });
    assert.equal(restarts.length, 1);
    assert.equal(restarts[0]!.bdbUid, Number(encrypted.state[urnOf("orders")]!.id));
    assert.equal(encrypted.outputs.ordersEncrypted, true);

    // Drift: someone changes the sessions database behind Pulumi's back.
    const sessionsId = encrypted.state[urnOf("sessions")]!.id;
    cluster.admin.patchObject(`bdbs/${sessionsId}`, { eviction_policy: "noeviction" });
    const refreshed = await refresh(encrypted.state, options("up"));
    const sessionsRefresh = refreshed.resources.find((r) => r.urn === urnOf("sessions"))!;
    assert.equal(sessionsRefresh.outputsChanged, true);
    assert.equal(refreshed.resources.find((r) => r.urn === urnOf("orders"))!.outputsChanged, false);
    assert.equal(refreshed.state[urnOf("sessions")]!.outputs.evictionPolicy, "noeviction");

    const corrected = await runProgram(program({ encryptOrders: true, sessionsMemory: "128MB" }), refreshed.state, options("up"));
    assert.deepEqual(opsByName(corrected.steps), { orders: "same", sessions: "update" });
    assert.equal(liveDatabases().find((b) => b.name === "sessions")!.eviction_policy, "allkeys-lru");

    const steady = await runProgram(program({ encryptOrders: true, sessionsMemory: "128MB" }), corrected.state, options("preview"));
    assert.deepEqual(opsByName(steady.steps), { orders: "same", sessions: "same" });

    await destroy(corrected.state, options("up"));
    assert.deepEqual(liveDatabases(), []);

    // The admin password and the database password.
    assertNoSecretLeaks(corrected.state, host.linesSince(start).map((line) => line.text).join("\n"), [SESSIONS_PASSWORD, cluster.password]);
  });

  it("keeps a connection passed as a plain input secret in state (it holds the admin password)", async () => {
    const explicit = () => {
      const db = new Database("explicit", {
        name: "explicit",
        memorySize: "64MB",
        connection: { url: cluster.nodes[1]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem },
      });
      return { port: db.endpoint.port };
    };
    const created = await runProgram(explicit, {}, options("up"));
    try {
      const resource = created.state[urnOf("explicit")]!;
      assert.ok(resource.secretOutputKeys.includes("connection"), `secret output keys: ${resource.secretOutputKeys.join(", ")}`);
      assert.ok(!JSON.stringify(unmarkedOutputs(created.state)).includes(cluster.password), "the admin password is stored unmarked");
    } finally {
      await destroy(created.state, options("up"));
    }
  });

  it("a disruptionPolicy deny stops the preview, naming the property and its consequence", async () => {
    const guarded = (resp3: boolean) => () => {
      const db = new Database("guarded", { name: "guarded", memorySize: "64MB", resp3, disruptionPolicy: "deny" });
      return { uid: db.uid };
    };
    const created = await runProgram(guarded(true), {}, options("up"));
    try {
      const denied = await runProgram(guarded(false), created.state, options("preview")).then(
        () => assert.fail("the preview should have failed"),
        (error: unknown) => error as DeploymentError,
      );
      assert.match(denied.message, /resp3/);
      assert.match(denied.causes.map((c) => c.message).join("\n"), /Database "guarded": resp3 true -> false disconnects clients connected with RESP3/);
      assert.equal(liveDatabases().find((b) => b.name === "guarded")!.resp3, true);
    } finally {
      await destroy(created.state, options("up"));
    }
  });
});
