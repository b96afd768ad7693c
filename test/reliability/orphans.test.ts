// Issue 11, orphans and waits at the provider level: what the Database provider does when an answer is lost or
// a request is answered 5xx after the cluster applied it. Each case is a cell of the fault matrix that failed
// before its fix: the run must end converged, or with an error that says what really happened and what to do,
// and never with a database the stack does not know about.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { configure, providers } from "../../provider";
import { READ_500_RETRIES, type Connection } from "../../provider/rest";
import { captureStderr, type StderrCapture } from "../provider/support/stderr";

type Props = Record<string, unknown>;
type PartialFailure = Error & { id: string; properties: Props; reasons: string[] };
const db = providers.Database;

function listDatabases(cluster: EmulatedCluster): Props[] {
  return (cluster.admin.state() as { bdbs: Array<{ object: Props }> }).bdbs.map((entry) => entry.object);
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("reliability: orphans and waits (Database provider against the emulator)", function () {
  this.timeout(30_000);
  let cluster: EmulatedCluster;
  let connection: Connection;
  let stderr: StderrCapture;

  before(async () => {
    cluster = await startCluster({ nodes: 1, operationDelayMs: 40, keyBits: 1024 });
    connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    await configure({ config: { get: () => undefined, require: () => "" } });
  });
  after(async () => {
    await cluster?.stop();
  });
  beforeEach(async () => {
    await cluster.admin.reset();
    stderr = captureStderr();
  });
  afterEach(() => stderr.stop());

  async function create(inputs: Props): Promise<{ id: string; outs: Props; checked: Props }> {
    const { inputs: checked, failures } = await db.check!({}, inputs);
    assert.deepEqual(failures, []);
    const { id, outs } = await db.create(checked as Props);
    return { id, outs: outs as Props, checked: checked as Props };
  }

  /** The create's answer is lost after it was applied; once the database exists, the next list answers 500. */
  async function loseCreateAnswerThenFailLookup(name: string, lookupFailures: number | undefined): Promise<void> {
    // Latency after applying keeps the answer back long enough to arm the lookup fault once the database exists
    // (the lookup before the create must not see it).
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", drop: true, phase: "after", latencyMs: 500, count: 1 });
    await until(() => listDatabases(cluster).some((b) => b.name === name), 5000);
    cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs$", status: 500, ...(lookupFailures !== undefined ? { count: lookupFailures } : {}) });
  }

  it("a lost create answer followed by a failing lookup by name is retried and converges on the one database (item 2)", async () => {
    const creating = create({ name: "lookup500", memorySize: "100MB", connection });
    // More 500s than the client rides out by itself: the provider's own retry of the lookup is what converges.
    await loseCreateAnswerThenFailLookup("lookup500", READ_500_RETRIES + 1);
    const { id, outs } = await creating;
    const named = listDatabases(cluster).filter((b) => b.name === "lookup500");
    assert.equal(named.length, 1);
    assert.equal(id, String(named[0]!.uid));
    assert.equal(outs.status, "active");
    assert.match(stderr.take(), /looking the database up by name failed .*trying again/);
  });

  it("a create applied and then answered 409 busy converges on the one database: the resent POST's name_exists is looked up (item 1)", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", status: 409, errorCode: "busy", phase: "after", count: 1 });
    const { id, outs } = await create({ name: "busyafter", memorySize: "100MB", connection });
    const named = listDatabases(cluster).filter((b) => b.name === "busyafter");
    assert.equal(named.length, 1);
    assert.equal(id, String(named[0]!.uid));
    assert.equal(outs.status, "active");
    assert.match(stderr.take(), /found the database by name/);
  });

  it("the lookup by name before a create ends at the operation's deadline, not the client's 2-minute retry budget", async () => {
    cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs$", status: 503 });
    const started = Date.now();
    await assert.rejects(create({ name: "slowlookup", memorySize: "100MB", connection, timeouts: { create: "2s" } }), /503/);
    const took = Date.now() - started;
    assert.ok(took < 2000 + 2500, `took ${took} ms with a 2 s create deadline`);
    assert.equal(listDatabases(cluster).length, 0);
  });

  it("a 500 of the lookup by name before a create is tried again, and the create goes on (a passing fault does not fail the up)", async () => {
    cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs$", status: 500, count: 1 });
    const { id, outs } = await create({ name: "prelookup500", memorySize: "100MB", connection });
    const named = listDatabases(cluster).filter((b) => b.name === "prelookup500");
    assert.equal(named.length, 1);
    assert.equal(id, String(named[0]!.uid));
    assert.equal(outs.status, "active");
    assert.match(stderr.take(), /retrying GET \/v1\/bdbs\?fields=uid,name,status after 500 internal_error \(attempt 2/);
  });

  it("a lookup before a create that keeps answering 500 fails within seconds, not the create's 30-minute deadline, saying what it did and that nothing was created", async () => {
    const rule = cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs$", status: 500 });
    const started = Date.now();
    const error = await create({ name: "prelookupdown", memorySize: "100MB", connection }).then(
      () => assert.fail("the create should fail"),
      (failure: Error) => failure,
    );
    const took = Date.now() - started;
    assert.ok(took < 5000, `took ${took} ms`);
    const hits = cluster.admin.faults().find((candidate) => candidate.id === rule.id)!.hits;
    assert.equal(hits, 3, "the first attempt and two retries");
    assert.match(error.message, /^Database "prelookupdown": looking for a database named "prelookupdown" before creating it failed \(GET \/v1\/bdbs\S*: 500 internal_error.*\); nothing was created, so apply again$/);
    assert.equal((error as Partial<PartialFailure>).id, undefined, "nothing was created, so nothing is recorded");
    assert.equal(listDatabases(cluster).length, 0);
  });

  it("a 401 of the lookup before a create is final at once (credentials do not change by waiting)", async () => {
    const started = Date.now();
    await assert.rejects(
      create({ name: "prelookup401", memorySize: "100MB", connection: { ...connection, password: "wrong-password" }, timeouts: { create: "20s" } }),
      (error: Error) => /401/.test(error.message) && !/trying again/.test(error.message),
    );
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.doesNotMatch(stderr.take(), /before creating it failed/);
  });

  it("a lookup that never succeeds ends at the deadline with a pending record, which the next read resolves (F1)", async () => {
    const started = Date.now();
    const creating = create({ name: "lookupdown", memorySize: "100MB", connection, timeouts: { create: "3s" } }).then(
      () => assert.fail("the create should fail"),
      (error: PartialFailure) => error,
    );
    await loseCreateAnswerThenFailLookup("lookupdown", undefined);
    const error = await creating;
    assert.ok(Date.now() - started < 3000 + 2500, `ended ${Date.now() - started} ms after the start, past the 3 s deadline`);
    assert.equal(error.id, "pending-create:lookupdown");
    assert.equal(error.properties.status, "unconfirmed");
    assert.match(error.message, /Database "lookupdown": the create was sent but its outcome is unknown .*looking the database up by name failed until the deadline \(.*500.*\); .*records it as pending \(id pending-create:lookupdown\)/);
    cluster.admin.clearFaults();
    const [live] = listDatabases(cluster).filter((b) => b.name === "lookupdown");
    const read = (await db.read!(error.id, error.properties)) as { id: string; props: Props };
    assert.equal(read.id, String(live!.uid));
    assert.equal(read.props.name, "lookupdown");
  });

  describe("a create whose POST is held past the deadline (F1): the stack keeps a pending record", () => {
    const inputs = (name: string) => ({ name, memorySize: "100MB", connection, timeouts: { create: "3s", delete: "10s" }, __provider: "shim-text" });

    /** The cell of F1: the POST is held 5 s before the cluster handles it; the create's deadline is 3 s. */
    async function heldCreate(name: string): Promise<{ failure: PartialFailure; checked: Props }> {
      cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", latencyMs: 5000, phase: "before", count: 1 });
      const { inputs: checked } = await db.check!({}, inputs(name));
      const withShim = { ...(checked as Props), __provider: "shim-text" };
      const started = Date.now();
      const failure = (await db.create(withShim).then(
        () => assert.fail("the create should fail"),
        (error: PartialFailure) => error,
      )) as PartialFailure;
      assert.ok(Date.now() - started < 3000 + 2500, `the create ended ${Date.now() - started} ms after the start, past its 3 s deadline`);
      return { failure, checked: withShim };
    }

    it("fails with a partial failure whose id is provisional, with a record that holds no secret in the clear", async () => {
      const { failure } = await heldCreate("held");
      assert.equal(failure.id, "pending-create:held");
      assert.deepEqual(Object.keys(failure.properties).sort(), ["__provider", "connection", "name", "status", "timeouts"]);
      assert.equal(failure.properties.name, "held");
      assert.equal(failure.properties.status, "unconfirmed");
      assert.equal(failure.properties.__provider, "shim-text");
      assert.match(
        failure.message,
        /^Database "held": the create was sent but not answered before the deadline \(.*\) and no database named "held" exists yet; the cluster may still create the database, so the stack records it as pending \(id pending-create:held\): the next pulumi up or pulumi refresh finds it by name \(pulumi up creates it if the cluster never did\), and pulumi destroy deletes it if it exists$/,
      );
      assert.ok(!failure.message.includes(cluster.password), "the message shows the password");
      assert.deepEqual(failure.reasons, [failure.message]);
    });

    it("once the cluster has created it, refresh (read) returns the real uid and update converges on that one database", async () => {
      const { failure, checked } = await heldCreate("heldup");
      await until(() => listDatabases(cluster).some((b) => b.name === "heldup"), 8000);
      const uid = String(listDatabases(cluster).find((b) => b.name === "heldup")!.uid);
      // Refresh: the engine records the id read returns.
      const read = (await db.read!(failure.id, failure.properties)) as { id: string; props: Props };
      assert.equal(read.id, uid);
      // The next up without a refresh: diff proposes an update (never a replacement), and update finishes it.
      const diff = await db.diff!(failure.id, failure.properties, checked);
      assert.equal(diff.changes, true);
      assert.deepEqual(diff.replaces, []);
      const { outs } = (await db.update!(failure.id, failure.properties, checked)) as { outs: Props };
      assert.equal(outs.uid, Number(uid));
      assert.equal(outs.status, "active");
      assert.equal(listDatabases(cluster).filter((b) => b.name === "heldup").length, 1);
      const printed = stderr.take();
      assert.match(printed, /the create recorded as pending-create:heldup was applied: the database is uid \d+/);
      assert.match(printed, new RegExp(`the stack keeps the id pending-create:heldup until the next pulumi refresh records ${uid}`));
      // The engine keeps the provisional id after an update: the outputs now confirm it, by uid, without a lookup.
      const again = (await db.read!(failure.id, outs)) as { id: string; props: Props };
      assert.equal(again.id, uid);
      assert.equal((await db.diff!(failure.id, outs, checked)).changes, false);
    });

    it("update creates it when the cluster never did", async () => {
      const { inputs: checked } = await db.check!({}, inputs("nevermade"));
      const record = { name: "nevermade", status: "unconfirmed", connection, __provider: "shim-text" };
      const { outs } = (await db.update!("pending-create:nevermade", record, checked as Props)) as { outs: Props };
      const named = listDatabases(cluster).filter((b) => b.name === "nevermade");
      assert.equal(named.length, 1);
      assert.equal(outs.uid, named[0]!.uid);
      assert.equal(outs.status, "active");
      assert.match(stderr.take(), /no database of that name exists \(the cluster never created it\): creating it now/);
    });

    it("destroy of a pending record deletes the database it finds, and is a no-op when there is none", async () => {
      const { failure } = await heldCreate("helddel");
      await until(() => listDatabases(cluster).some((b) => b.name === "helddel"), 8000);
      await db.delete!(failure.id, failure.properties);
      assert.equal(listDatabases(cluster).filter((b) => b.name === "helddel").length, 0);
      await db.delete!(failure.id, failure.properties);
      assert.match(stderr.take(), /nothing to delete: the create was never confirmed and no database of that name exists/);
      // A refresh of a pending record whose database is absent keeps it pending (absent now may be not yet: see
      // the next case); the engine drops the record after a delete anyway.
      assert.equal((await db.read!(failure.id, failure.properties)).id, failure.id);
    });

    it("a refresh before the held create is applied keeps the record pending, and the next refresh finds the database", async () => {
      // The create's POST is held 5 s past its 3 s deadline (heldCreate): the cluster applies it about 2 s later.
      const { failure } = await heldCreate("heldlate");
      assert.equal(listDatabases(cluster).some((b) => b.name === "heldlate"), false, "the cluster has not applied the create yet");
      const early = (await db.read!(failure.id, failure.properties)) as { id: string; props: Props };
      assert.equal(early.id, failure.id, "dropping the record now would orphan the database the cluster makes next");
      assert.match(stderr.take(), /record stays pending \(id pending-create:heldlate\)/);
      await until(() => listDatabases(cluster).some((b) => b.name === "heldlate"), 8000);
      const uid = String(listDatabases(cluster).find((b) => b.name === "heldlate")!.uid);
      assert.equal((await db.read!(failure.id, early.props)).id, uid);
    });
  });

  it("an update answered 500 after the cluster applied it reports success with the applied values (item 5)", async () => {
    const { id, outs, checked } = await create({ name: "put500after", memorySize: "100MB", connection });
    cluster.admin.addFault({ method: "PUT", path: "^/v1/bdbs/\\d+$", status: 500, phase: "after", count: 1 });
    const news = (await db.check!(checked, { ...checked, memorySize: "200MB" })).inputs as Props;
    const { outs: after } = await db.update!(id, outs, news);
    assert.equal((after as Props).memorySize, 200 * 1024 * 1024);
    assert.match(stderr.take(), /answered .*500.*reading the database[\s\S]*applied the update despite that answer/);
  });

  it("an update the cluster accepted whose wait then fails is recorded as it is: the next preview does not announce the applied change again, and the next up only waits", async () => {
    const { id, outs, checked } = await create({ name: "waitfails", memorySize: "100MB", dataInternodeEncryption: false, connection, timeouts: { update: "1s" } });
    // The wait's first polls answer later than the update's deadline (the waiter sends the next only after an
    // answer); the rule is gone before the read for the record, after the deadline.
    const polls = cluster.admin.addFault({ method: "GET", path: "^/v1/(bdbs/\\d+|actions/[^/]+)$", latencyMs: 1500 });
    const news = (await db.check!(checked, { ...checked, dataInternodeEncryption: true })).inputs as Props;
    const puts = () => cluster.admin.events({ type: "bdb_updated" }).length;
    const before = puts();
    const updating = db.update!(id, outs, news);
    setTimeout(() => cluster.admin.removeFault(polls.id), 500);
    const failure = (await updating.then(
      () => assert.fail("the update succeeded although its wait could not finish"),
      (error: unknown) => error,
    )) as PartialFailure;
    assert.equal(puts(), before + 1);
    assert.equal(failure.id, id, "a partial failure: the engine records what it carries");
    assert.match(failure.message, /^Database "waitfails": .*The cluster accepted the update: the database as it could be read is recorded in the stack, and the next pulumi up sends only what it does not hold yet, then waits for it$/);
    const recorded = failure.properties;
    assert.equal(recorded.dataInternodeEncryption, true, "the live value, not the one before the update");
    // The next up: the engine diffs the recorded outputs (no change to announce, so no note about clients) and
    // updates the object anyway (its init errors), which waits and sends nothing.
    stderr.take();
    const diff = await db.diff!(id, recorded, news);
    assert.equal(diff.changes, false);
    assert.doesNotMatch(stderr.take(), /dataInternodeEncryption/);
    const { outs: finished } = await db.update!(id, recorded, news);
    assert.equal(puts(), before + 1, "the update was not sent again");
    assert.equal((finished as Props).dataInternodeEncryption, true);
    assert.equal((finished as Props).status, "active");
  });

  it("an update answered 500 before anything was applied fails saying the cluster did not apply it", async () => {
    const { id, outs, checked } = await create({ name: "put500before", memorySize: "100MB", connection });
    cluster.admin.addFault({ method: "PUT", path: "^/v1/bdbs/\\d+$", status: 500, phase: "before", count: 1 });
    const news = (await db.check!(checked, { ...checked, memorySize: "200MB" })).inputs as Props;
    await assert.rejects(db.update!(id, outs, news), /the update failed \(.*500.*\) and the cluster did not apply it: it still shows memorySize/);
    assert.equal(listDatabases(cluster)[0]!.memory_size, 100 * 1024 * 1024);
  });

  it("a delete answered 500 after the cluster applied it succeeds once the database is gone (item 5)", async () => {
    const { id, outs } = await create({ name: "del500after", memorySize: "100MB", connection });
    cluster.admin.addFault({ method: "DELETE", path: "^/v1/bdbs/\\d+$", status: 500, phase: "after", count: 1 });
    await db.delete!(id, outs);
    assert.equal(listDatabases(cluster).length, 0);
    assert.match(stderr.take(), /the delete was answered .*500.*(gone|deleting the database)/);
  });

  it("a delete answered 500 before anything was applied fails promptly saying the database is still there", async () => {
    const { id, outs } = await create({ name: "del500before", memorySize: "100MB", connection });
    cluster.admin.addFault({ method: "DELETE", path: "^/v1/bdbs/\\d+$", status: 500, phase: "before", count: 1 });
    const started = Date.now();
    await assert.rejects(db.delete!(id, outs), /the delete of uid \d+ failed \(.*500.*\) and the database is still there \(status active\)/);
    assert.ok(Date.now() - started < 5000);
    assert.equal(listDatabases(cluster).length, 1);
  });

  it("a read answered 404 while the list still shows the database fails naming the request and its code, not 'gone' (F4)", async () => {
    const { id, outs } = await create({ name: "read404", memorySize: "100MB", connection });
    cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs/\\d+$", status: 404, errorCode: "not_found" });
    await assert.rejects(
      db.read!(id, outs),
      new RegExp(`Database "read404": GET /v1/bdbs/${id} answered 404 not_found .*GET /v1/bdbs still lists the database as uid ${id} \\(status active\\), so it is not gone`),
    );
    cluster.admin.clearFaults();
    const again = (await db.read!(id, outs)) as { id: string; props: Props };
    assert.equal(again.id, id);
    assert.equal(again.props.name, "read404");
  });

  it("a read of a database that is really gone (404, and not listed) still says gone", async () => {
    const { id, outs } = await create({ name: "readgone", memorySize: "100MB", connection });
    await db.delete!(id, outs);
    assert.deepEqual(await db.read!(id, outs), { id: "" });
  });

  it("a DELETE answered 404 while the list still shows the database fails saying so, and the next destroy deletes it (F4)", async () => {
    const { id, outs } = await create({ name: "del404", memorySize: "100MB", connection });
    cluster.admin.addFault({ method: "DELETE", path: "^/v1/bdbs/\\d+$", status: 404, errorCode: "not_found" });
    await assert.rejects(
      db.delete!(id, outs),
      new RegExp(`Database "del404": DELETE /v1/bdbs/${id} answered 404 not_found .*still lists the database as uid ${id} .*pulumi destroy \\(or up\\) again`),
    );
    assert.equal(listDatabases(cluster).length, 1);
    cluster.admin.clearFaults();
    await db.delete!(id, outs);
    assert.equal(listDatabases(cluster).length, 0);
    // Absent for good: the DELETE's 404 and the list agree, and deleting again is a success.
    await db.delete!(id, outs);
  });

  it("a database left in creation-failed is proposed for replacement, and the replacement converges (item 6)", async () => {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", failAction: true, count: 1 });
    const inputs = { name: "doomed", memorySize: "100MB", connection };
    const { inputs: checked } = await db.check!({}, inputs);
    const failure = (await db.create(checked as Props).then(
      () => assert.fail("the create should fail"),
      (error: unknown) => error,
    )) as Error & { id: string; properties: Props };
    assert.equal(failure.properties.status, "creation-failed");
    // The next preview: the engine diffs the recorded outputs against the inputs.
    const diff = await db.diff!(failure.id, failure.properties, checked as Props);
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.replaces, ["status"]);
    assert.equal(diff.deleteBeforeReplace, true);
    assert.match(stderr.take(), /uid 1 is in status creation-failed .* replaced: deleted, then created again/);
    // What the engine then does for a delete-before-replace: delete the old, create the new.
    await db.delete!(failure.id, failure.properties);
    const { outs } = await db.create(checked as Props);
    assert.equal((outs as Props).status, "active");
    assert.equal(listDatabases(cluster).length, 1);
  });

  it("a database left in creation-failed whose record could hold only its id: the failed update records its status, and the next diff replaces it", async () => {
    // The partial failure's own read failed (a faulted GET): the engine recorded the minimal record, { uid, name },
    // so the next diff sees no status and plans an update, which a database in creation-failed cannot take.
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", failAction: true, count: 1 });
    const inputs = { name: "hidden", memorySize: "100MB", connection, timeouts: { update: "3s" } };
    const { inputs: checked } = await db.check!({}, inputs);
    const created = (await db.create(checked as Props).then(
      () => assert.fail("the create should fail"),
      (error: unknown) => error,
    )) as Error & { id: string };
    const minimal: Props = { uid: Number(created.id), name: "hidden" };
    const bigger = (await db.check!(checked as Props, { ...(checked as Props), memorySize: "200MB" })).inputs as Props;
    const planned = await db.diff!(created.id, minimal, bigger);
    assert.deepEqual(planned.replaces, [], "the minimal record hides the status: an update is planned");

    const failure = (await db.update!(created.id, minimal, bigger).then(
      () => assert.fail("the update should fail"),
      (error: unknown) => error,
    )) as Error & { id?: string; properties?: Props };
    assert.equal(failure.id, created.id, "the failure carries the id (a partial failure the engine records)");
    assert.equal(failure.properties?.status, "creation-failed");
    assert.match(failure.message, /^Database "hidden": .*\. Database "hidden": uid \d+ is in status creation-failed .*deleted, then created again by the next pulumi up$/);
    // The next up: the engine diffs what it recorded now, and replaces.
    const next = await db.diff!(created.id, failure.properties!, bigger);
    assert.deepEqual(next.replaces, ["status"]);
    stderr.take();
  });

  it("an active database is never proposed for replacement by its status", async () => {
    const { id, outs, checked } = await create({ name: "fine", memorySize: "100MB", connection });
    const diff = await db.diff!(id, outs, checked);
    assert.equal(diff.changes, false);
    assert.deepEqual(diff.replaces, []);
  });

  it("a missing connection is one sentence that says what to set", async () => {
    const check = await db.check!({}, { name: "nowhere", memorySize: "100MB" });
    assert.equal(check.failures?.length, 1);
    const reason = check.failures![0]!.reason;
    assert.equal(
      reason,
      'Database "nowhere" has no connection to a cluster: set the resource\'s connection input (usually cluster.connection) ' +
        "or stack config redisenterprise:url, redisenterprise:username and redisenterprise:password (--secret)",
    );
    const partial = await db.check!({}, { name: "half", memorySize: "100MB", connection: { url: connection.url, username: "admin" } });
    assert.equal(partial.failures?.length, 1);
    assert.equal(partial.failures![0]!.property, "connection.password");
    assert.match(partial.failures![0]!.reason, /password is required/);
  });
});
