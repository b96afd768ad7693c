// Validation at preview by the cluster itself (redisenterprise:validateAtPreview): check sends a database to be
// created as a dry run (POST /v1/bdbs?dry_run) and reports the cluster's refusal on the property it concerns,
// so a preview already fails on what only the cluster knows; diff sends an update the same way (PUT
// /v1/bdbs/{uid}?dry_run) and announces a refusal. Against the emulator, every request counted.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { configure, providers } from "../../provider";
import { UNKNOWN_VALUE } from "../../provider/core";
import type { Connection } from "../../provider/rest";
import { requestsDuring } from "../emulator/support/requests";
import { captureStderr, type StderrCapture } from "./support/stderr";

type Props = Record<string, unknown>;
const db = providers.Database;
const PASSWORD = "Walrus-Ember-4402";

async function configureStack(values: Record<string, string> = {}): Promise<void> {
  await configure({ config: { get: (key: string) => values[key], require: (key: string) => values[key]! } });
}

function databaseCount(cluster: EmulatedCluster): number {
  return (cluster.admin.state() as { bdbs: unknown[] }).bdbs.length;
}

describe("Database validation at preview by a dry run", function () {
  this.timeout(30_000);
  let cluster: EmulatedCluster;
  let connection: Connection;
  let stderr: StderrCapture;

  /** A database made through the provider (check then create). */
  async function existing(inputs: Props): Promise<void> {
    const checked = await db.check!({}, { connection, ...inputs });
    assert.deepEqual(checked.failures ?? [], []);
    await db.create(checked.inputs as Props);
  }

  before(async () => {
    cluster = await startCluster({ nodes: 3, operationDelayMs: 40, keyBits: 1024 });
    connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
  });
  after(async () => {
    await configureStack();
    await cluster?.stop();
  });
  beforeEach(async () => {
    await cluster.admin.reset();
    await configureStack({ "redisenterprise:validateAtPreview": "true" });
    stderr = captureStderr();
  });
  afterEach(() => stderr.stop());

  it("sends nothing by default; asked for, one dry run of a new database, which creates nothing", async () => {
    const inputs = { name: "orders", memorySize: "100MB", connection, password: PASSWORD };
    await configureStack();
    const quiet = await requestsDuring(cluster, async () => assert.deepEqual((await db.check!({}, inputs)).failures ?? [], []));
    assert.deepEqual(quiet, []);

    await configureStack({ "redisenterprise:validateAtPreview": "true" });
    const validated = await requestsDuring(cluster, async () => assert.deepEqual((await db.check!({}, inputs)).failures ?? [], []));
    assert.deepEqual(validated, ["POST /v1/bdbs"]);
    assert.equal(databaseCount(cluster), 0);
  });

  it("refuses a port another database holds, on port, naming port_unavailable and that database", async () => {
    await existing({ name: "first", memorySize: "100MB", port: 12000 });
    const check = await db.check!({}, { name: "second", memorySize: "100MB", port: 12000, connection });
    assert.equal(check.failures?.length, 1);
    assert.equal(check.failures![0]!.property, "port");
    assert.match(
      check.failures![0]!.reason,
      /^Database "second": the cluster would refuse to create it \(a dry run at preview\): POST \/v1\/bdbs\?dry_run: 406 port_unavailable: .*port 12000 is in use by database 1 \('first'\)/,
    );
    assert.equal(databaseCount(cluster), 1);
  });

  it("refuses a version the cluster does not run, on redisVersion", async () => {
    const check = await db.check!({}, { name: "old", memorySize: "100MB", redisVersion: "5.0", connection });
    assert.equal(check.failures?.length, 1);
    assert.equal(check.failures![0]!.property, "redisVersion");
    assert.match(check.failures![0]!.reason, /406 invalid_version: redis_version '5\.0' is not supported; supported versions: /);
  });

  it("refuses a name in use at once, on name, pointing at adopt; with adopt it sends no dry run", async () => {
    await existing({ name: "legacy", memorySize: "100MB" });
    const started = Date.now();
    const check = await db.check!({}, { name: "legacy", memorySize: "100MB", connection });
    assert.ok(Date.now() - started < 2_000, `a refusal took ${Date.now() - started} ms (sent again?)`);
    assert.equal(check.failures?.length, 1);
    assert.equal(check.failures![0]!.property, "name");
    assert.match(check.failures![0]!.reason, /409 name_exists: .*; to manage the existing database, set adopt: \{\} on this resource, or choose another name$/);

    const adopting = await requestsDuring(cluster, async () => assert.deepEqual((await db.check!({}, { name: "legacy", memorySize: "100MB", connection, adopt: {} })).failures ?? [], []));
    assert.deepEqual(adopting, []);
  });

  it("sends no dry run for the engine's second check of a replacement (no olds, the same URN), which the old database would refuse", async () => {
    await configureStack({ "redisenterprise:validateAtPreview": "true" });
    const urn = "urn:pulumi:dev::shop::pulumi-nodejs:dynamic/redisenterprise:Database::orders";
    const first = await db.check!({}, { __urn: urn, name: "orders", memorySize: "100MB", port: 12000, connection });
    assert.deepEqual(first.failures ?? [], []);
    await db.create(first.inputs as Props);
    // A port change replaces it: the engine checks with the old inputs, diffs, then checks again without olds.
    const moved = { __urn: urn, name: "orders", memorySize: "100MB", port: 12001, connection };
    const sent = await requestsDuring(cluster, async () => {
      assert.deepEqual((await db.check!(first.inputs as Props, moved)).failures ?? [], []);
      assert.deepEqual((await db.check!({}, moved)).failures ?? [], [], "the replacement's check was refused by the database it replaces");
    });
    assert.deepEqual(sent, []);
    // Another resource of the same name (no earlier check with olds in this process) is still asked about.
    const other = await db.check!({}, { ...moved, __urn: urn.replace("::orders", "::orders-again") });
    assert.equal(other.failures?.[0]?.property, "name");
  });

  it("sends no dry run for a database that exists (old inputs), or whose inputs are not all known yet", async () => {
    const sent = await requestsDuring(cluster, async () => {
      const update = await db.check!({ name: "orders", memorySize: "100MB", connection }, { name: "orders", memorySize: "200MB", connection });
      assert.deepEqual(update.failures ?? [], []);
      const unknownPort = await db.check!({}, { name: "orders", memorySize: "100MB", port: UNKNOWN_VALUE, connection });
      assert.deepEqual(unknownPort.failures ?? [], []);
    });
    assert.deepEqual(sent, []);
  });

  it("keeps the database's password out of a refusal that repeats it", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs", status: 406, errorCode: "invalid_sasl_credentials", description: `password ${PASSWORD} is not allowed` });
    const check = await db.check!({}, { name: "orders", memorySize: "100MB", password: PASSWORD, connection });
    assert.equal(check.failures?.length, 1);
    assert.equal(check.failures![0]!.property, "password");
    assert.match(check.failures![0]!.reason, /406 invalid_sasl_credentials: password \[redacted\] is not allowed/);
    assert.ok(!JSON.stringify(check.failures).includes(PASSWORD), "the password is in a failure");
    assert.ok(!stderr.take().includes(PASSWORD), "the password was printed");
  });

  it("announces at diff an update the cluster would refuse (a rename to a name in use), changing nothing", async () => {
    await existing({ name: "first", memorySize: "100MB" });
    const checked = await db.check!({}, { name: "second", memorySize: "100MB", connection });
    const { id, outs } = await db.create(checked.inputs as Props);
    const renamed = (await db.check!(checked.inputs as Props, { ...(checked.inputs as Props), name: "first" })).inputs as Props;
    stderr.take();

    await configureStack();
    const quiet = await requestsDuring(cluster, async () => assert.equal((await db.diff!(id, outs as Props, renamed)).changes, true));
    assert.deepEqual(quiet, []);
    assert.doesNotMatch(stderr.take(), /pulumi up will refuse this/);

    await configureStack({ "redisenterprise:validateAtPreview": "true" });
    const sent = await requestsDuring(cluster, async () => assert.equal((await db.diff!(id, outs as Props, renamed)).changes, true));
    assert.deepEqual(sent, [`PUT /v1/bdbs/${id}`]);
    assert.match(
      stderr.take(),
      new RegExp(`pulumi up will refuse this: Database "first": the cluster would refuse to update it \\(a dry run at preview\\): PUT /v1/bdbs/${id}\\?dry_run: 409 name_exists: .*; choose another name`),
    );
    const names = (cluster.admin.state() as { bdbs: Array<{ object: { name: string } }> }).bdbs.map((entry) => entry.object.name).sort();
    assert.deepEqual(names, ["first", "second"]);
  });

  it("never fails diff when the cluster cannot be asked about an update: it notes that", async () => {
    const checked = await db.check!({}, { name: "orders", memorySize: "100MB", connection });
    const { id, outs } = await db.create(checked.inputs as Props);
    const wrongPassword = { ...connection, password: "not-the-password" };
    const bigger = { ...(checked.inputs as Props), memorySize: 200 * 1024 * 1024, connection: wrongPassword };
    stderr.take();
    const diff = await db.diff!(id, outs as Props, bigger);
    assert.equal(diff.changes, true);
    assert.match(stderr.take(), /Database "orders": could not ask the cluster to validate the update now \(the cluster at .* refused the username or password/);
  });

  it("under faults on the dry run, check and diff only note it, within the 5 s budget, and create or change nothing", async function () {
    this.timeout(60_000);
    const inputs = { name: "orders", memorySize: "100MB", connection };
    const faults = [
      { label: "503, always", rule: { method: "POST", path: "^/v1/bdbs$", status: 503 } },
      { label: "dropped after applying, always", rule: { method: "POST", path: "^/v1/bdbs$", drop: true, phase: "after" } },
      { label: "no answer for 8 s", rule: { method: "POST", path: "^/v1/bdbs$", latencyMs: 8_000 } },
    ] as const;
    for (const fault of faults) {
      const rule = cluster.admin.addFault(fault.rule);
      const started = Date.now();
      try {
        const check = await db.check!({}, inputs);
        const elapsed = Date.now() - started;
        assert.deepEqual(check.failures ?? [], [], fault.label);
        assert.ok(elapsed < 5_000 + 1_500, `${fault.label}: check took ${elapsed} ms`);
        assert.match(stderr.take(), /Database "orders": could not ask the cluster to validate it now \(/, fault.label);
      } finally {
        cluster.admin.removeFault(rule.id);
      }
    }
    // A busy window that passes is ridden out (a POST answered 409 busy is sent again): validated, no note.
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", busyMs: 500 });
    assert.deepEqual((await db.check!({}, inputs)).failures ?? [], []);
    assert.doesNotMatch(stderr.take(), /could not ask/);
    assert.equal(databaseCount(cluster), 0);

    // An update's dry run answered 503 throughout: diff still answers, within the budget, and notes it.
    const created = await db.create((await db.check!({}, inputs)).inputs as Props);
    const bigger = { ...inputs, memorySize: 200 * 1024 * 1024 };
    const rule = cluster.admin.addFault({ method: "PUT", path: "^/v1/bdbs/\\d+$", status: 503 });
    const started = Date.now();
    try {
      assert.equal((await db.diff!(created.id, created.outs as Props, bigger)).changes, true);
    } finally {
      cluster.admin.removeFault(rule.id);
    }
    assert.ok(Date.now() - started < 5_000 + 1_500, `diff took ${Date.now() - started} ms`);
    assert.match(stderr.take(), /could not ask the cluster to validate the update now \(PUT \/v1\/bdbs\/\d+\?dry_run: 503/);
    const live = (cluster.admin.state() as { bdbs: Array<{ object: { memory_size: number } }> }).bdbs.map((entry) => entry.object.memory_size);
    assert.deepEqual(live, [100 * 1024 * 1024]);
  });

  it("only notes a cluster it cannot ask (credentials refused): the change is checked when applied", async () => {
    const check = await db.check!({}, { name: "orders", memorySize: "100MB", connection: { ...connection, password: "not-the-password" } });
    assert.deepEqual(check.failures ?? [], []);
    assert.match(stderr.take(), /Database "orders": could not ask the cluster to validate it now \(the cluster at .* refused the username or password/);
  });
});
