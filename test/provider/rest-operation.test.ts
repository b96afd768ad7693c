// The REST layer's part of issue 11 (nothing orphaned, nothing waited for in vain, errors a person understands):
// a POST resent after 409 busy, a transient 500 during a wait, a delete whose action fails, the operation's
// deadline on every request, collapsed retry lines, a connection refused from the start, a refused password,
// and warnings printed once. Against the emulator where it has the fault, else against scripted servers.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import {
  DEFAULT_REFUSED_BUDGET_MS,
  READ_500_RETRIES,
  RsClient,
  isOutcomeUnknown,
  isRsApiError,
  isRsConnectionError,
  isRsOperationError,
  waitForDatabase,
  type ClientOptions,
} from "../../provider/rest";
import { captureStderr, closedPort, quietly, sendJson, startServer, type Handler, type TestServer } from "./support/servers";
import { DISTINCTIVE_PASSWORD, USERNAME, assertNoSecrets, basicToken } from "./support/secrets";

const SECRETS = [DISTINCTIVE_PASSWORD, basicToken(USERNAME, DISTINCTIVE_PASSWORD)];
const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20 };
const FAST_POLL = { initialIntervalMs: 10, maxIntervalMs: 40 };

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail("expected a failure"),
    (error: unknown) => error,
  );
}

describe("REST layer against the emulator's faults (issue 11)", function () {
  this.timeout(20_000);
  let cluster: EmulatedCluster;
  let client: RsClient;
  const events: string[] = [];

  before(async () => {
    cluster = await startCluster({ nodes: 1, operationDelayMs: 40, keyBits: 1024, httpPort: -1 });
    client = new RsClient(
      { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem },
      { retry: FAST_RETRY, onEvent: (line) => events.push(line) },
    );
  });

  after(async () => {
    await client.close();
    await cluster.stop();
  });

  beforeEach(async () => {
    events.length = 0;
    await cluster.admin.reset();
  });

  async function created(name: string): Promise<number> {
    const answer = await client.post<{ uid: number; action_uid?: string }>("/v1/bdbs", { name, memory_size: 104_857_600 });
    await waitForDatabase(client, answer.uid, { until: "active", actionUid: answer.action_uid, deadlineMs: 10_000, ...FAST_POLL });
    return answer.uid;
  }

  it("marks a POST resent after 409 busy, then answered 409 name_exists, as possibly applied (no orphan)", async () => {
    // The rule from the issue: the first POST is applied, then answered 409 busy.
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", status: 409, phase: "after", count: 1 });
    const error = await failureOf(client.post("/v1/bdbs", { name: "orders", memory_size: 104_857_600 }));
    assert.ok(isRsApiError(error), String(error));
    assert.equal(error.status, 409);
    assert.equal(error.errorCode, "name_exists");
    assert.equal(error.attempts, 2);
    assert.equal(error.earlierAttemptMayHaveApplied, true);
    assert.equal(isOutcomeUnknown(error), true, "the caller must look the database up by name");
    // What the caller then finds: the database its first POST created, exactly one.
    const named = (await client.get<Array<{ uid: number; name: string }>>("/v1/bdbs", { query: { fields: "uid,name" } })).filter(
      (bdb) => bdb.name === "orders",
    );
    assert.equal(named.length, 1);

    // A name_exists answered to a first attempt is about someone else's database: not the caller's to take.
    const plain = await failureOf(client.post("/v1/bdbs", { name: "orders", memory_size: 104_857_600 }));
    assert.ok(isRsApiError(plain));
    assert.equal(plain.errorCode, "name_exists");
    assert.equal(plain.earlierAttemptMayHaveApplied, false);
    assert.equal(isOutcomeUnknown(plain), false);
  });

  it("tries a GET answered 500 again, at most READ_500_RETRIES times; never resends a PUT answered 500", async () => {
    const uid = await created("fivehundred");
    const once = cluster.admin.addFault({ method: "GET", path: `^/v1/bdbs/${uid}$`, status: 500, count: 1 });
    const read = await client.get<{ uid: number }>(`/v1/bdbs/${uid}`);
    assert.equal(read.uid, uid);
    assert.equal(cluster.admin.faults().some((rule) => rule.id === once.id), false, "the one 500 was answered");

    const lasting = cluster.admin.addFault({ method: "GET", path: `^/v1/bdbs/${uid}$`, status: 500 });
    const started = Date.now();
    const error = await failureOf(client.get(`/v1/bdbs/${uid}`));
    assert.ok(isRsApiError(error) && error.status === 500, String(error));
    assert.equal(cluster.admin.faults().find((rule) => rule.id === lasting.id)!.hits, READ_500_RETRIES + 1);
    assert.ok(Date.now() - started < 3000, `gave up after ${Date.now() - started} ms`);
    cluster.admin.clearFaults();

    const put = cluster.admin.addFault({ method: "PUT", path: `^/v1/bdbs/${uid}$`, status: 500 });
    await failureOf(client.put(`/v1/bdbs/${uid}`, { memory_size: 209_715_200 }));
    assert.equal(cluster.admin.faults().find((rule) => rule.id === put.id)!.hits, 1, "a write answered 500 is never resent");
  });

  it("rides out a transient 500 on a polling GET, as the retry policy does for other requests", async () => {
    const answer = await client.post<{ uid: number; action_uid?: string }>("/v1/bdbs", { name: "sessions", memory_size: 104_857_600 });
    // More 500s than the client rides out by itself (READ_500_RETRIES): the poll itself fails once.
    cluster.admin.addFault({ method: "GET", path: `^/v1/bdbs/${answer.uid}$`, status: 500, count: READ_500_RETRIES + 1 });
    const lines: string[] = [];
    const final = await waitForDatabase(client, answer.uid, {
      until: "active",
      deadlineMs: 10_000,
      onProgress: (line) => lines.push(line),
      ...FAST_POLL,
    });
    assert.equal(final?.status, "active");
    assert.ok(
      lines.some((line) => line.includes(`GET /v1/bdbs/${answer.uid} answered 500 internal_error, polling on`)),
      lines.join("\n"),
    );
  });

  it("throws the 500 itself when it lasts until the deadline, not before", async () => {
    const uid = await created("cache");
    cluster.admin.addFault({ method: "GET", path: `^/v1/bdbs/${uid}$`, status: 500 });
    const started = Date.now();
    const error = await failureOf(waitForDatabase(client, uid, { until: "active", deadlineMs: 300, ...FAST_POLL }));
    const elapsed = Date.now() - started;
    assert.ok(isRsApiError(error));
    assert.equal(error.status, 500);
    assert.ok(elapsed >= 290 && elapsed < 3_000, `took ${elapsed} ms`);
  });

  it("fails a delete's wait promptly, with the action's error, when the delete failed and the database is active again", async () => {
    const uid = await created("doomed");
    cluster.admin.addFault({ method: "DELETE", path: `^/v1/bdbs/${uid}$`, failAction: true, count: 1 });
    await client.delete(`/v1/bdbs/${uid}`);
    const started = Date.now();
    const error = await failureOf(waitForDatabase(client, uid, { until: "gone", deadlineMs: 15_000, ...FAST_POLL }));
    const elapsed = Date.now() - started;
    assert.ok(isRsOperationError(error), String(error));
    assert.ok(elapsed < 3_000, `took ${elapsed} ms of a 15 s deadline`);
    assert.equal(error.objectId, String(uid));
    assert.equal(error.operation, "SMDeleteBDB");
    // A state machine reports its failure in `error` alone (no error_code), the emulator as a real cluster.
    assert.match(error.actionUid ?? "", /.+/);
    assert.equal(error.serverMessage, "injected fault: the delete action failed");
    assert.match(error.message, /The database still exists and is active: fix the cause, then delete it again/);
    const live = await client.get<{ status: string }>(`/v1/bdbs/${uid}`);
    assert.equal(live.status, "active");
  });

  it("says that the cluster refused the username or password, and names the settings, before any path", async () => {
    const wrong = new RsClient({ url: cluster.nodes[0]!.url, username: cluster.username, password: DISTINCTIVE_PASSWORD, caCertPem: cluster.caCertPem });
    try {
      const error = await failureOf(wrong.get("/v1/bdbs", { query: { fields: "uid,name" } }));
      assert.ok(isRsApiError(error));
      assert.equal(error.status, 401);
      assert.equal(
        error.message,
        `the cluster at ${cluster.nodes[0]!.url} refused the username or password (401 unauthorized on GET /v1/bdbs?fields=uid,name): ` +
          "set connection.username and connection.password (or the stack config redisenterprise:username and " +
          "redisenterprise:password) to a user of the cluster",
      );
      assertNoSecrets(error, SECRETS);
    } finally {
      await wrong.close();
    }
  });
});

describe("REST client: deadlines, retry lines, refused connections, warnings (issue 11)", function () {
  this.timeout(20_000);
  const servers: TestServer[] = [];
  const clients: RsClient[] = [];

  async function serve(handler: Handler): Promise<TestServer> {
    const server = await startServer(handler);
    servers.push(server);
    return server;
  }

  function clientFor(url: string, options: ClientOptions = {}): { client: RsClient; events: string[] } {
    const events: string[] = [];
    const client = quietly(
      () => new RsClient({ url, username: USERNAME, password: DISTINCTIVE_PASSWORD }, { onEvent: (line) => events.push(line), onWarning: () => {}, ...options }),
    );
    clients.push(client);
    return { client, events };
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it("ends every request's retries at the operation's deadline (client-wide or per call), not the policy's 120 s", async () => {
    const server = await serve((_request, response) => sendJson(response, 503, { description: "node is not responding" }));
    const { client, events } = clientFor(server.url, { retry: FAST_RETRY, deadlineAt: Date.now() + 400 });
    let started = Date.now();
    const error = await failureOf(client.get("/v1/bdbs", { query: { fields: "uid,name" } }));
    let elapsed = Date.now() - started;
    assert.ok(isRsApiError(error) && error.status === 503);
    assert.ok(elapsed >= 350 && elapsed < 2_000, `took ${elapsed} ms`);
    assert.match(events[events.length - 1]!, /^giving up on GET \/v1\/bdbs\?fields=uid,name after \d+ attempts in \d+\.\d s: the operation's deadline was reached$/);

    const { client: perCall } = clientFor(server.url, { retry: FAST_RETRY });
    started = Date.now();
    await failureOf(perCall.get("/v1/cluster", { deadlineAt: Date.now() + 300 }));
    elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2_000, `took ${elapsed} ms`);
  });

  it("keeps a silent attempt from running past the operation's deadline by much (one short last try)", async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const { client } = clientFor(server.url, { retry: FAST_RETRY, deadlineAt: Date.now() + 200 });
    const started = Date.now();
    const error = await failureOf(client.get("/v1/cluster"));
    const elapsed = Date.now() - started;
    assert.ok(isRsConnectionError(error));
    assert.equal(error.causeCode, "RS_ATTEMPT_TIMEOUT");
    // The default attempt limit is 60 s; near the deadline an attempt gets 1 s.
    assert.ok(elapsed < 3_000, `took ${elapsed} ms`);
  });

  it("collapses repeated retry lines of one request into one line with a count", async () => {
    const server = await serve((_request, response, { index }) => {
      if (index <= 6) sendJson(response, 503, { error_code: "node_unavailable", description: "not responding" });
      else sendJson(response, 200, { ok: true });
    });
    const { client, events } = clientFor(server.url, { retry: FAST_RETRY });
    assert.deepEqual(await client.get("/v1/cluster"), { ok: true });
    assert.equal(server.requests.length, 7);
    assert.equal(events.length, 3, events.join("\n"));
    assert.match(events[0]!, /^retrying GET \/v1\/cluster after 503 node_unavailable \(attempt 2, next in \d+\.\d s\)$/);
    assert.match(events[1]!, /^retrying GET \/v1\/cluster after 503 node_unavailable \(attempt 3, next in \d+\.\d s\)$/);
    assert.equal(events[2], "retried GET /v1/cluster 4 more times after 503 node_unavailable (attempts 4 to 7)");
  });

  it("gives up on a connection refused from the start after a short budget, and says what to check", async () => {
    assert.equal(DEFAULT_REFUSED_BUDGET_MS, 5_000);
    const port = await closedPort();
    // The policy alone would retry for its default 120 s.
    const { client, events } = clientFor(`http://127.0.0.1:${port}`, { retry: FAST_RETRY, refusedBudgetMs: 300 });
    const started = Date.now();
    const error = await failureOf(client.get("/v1/bdbs"));
    const elapsed = Date.now() - started;
    assert.ok(isRsConnectionError(error));
    assert.equal(error.causeCode, "ECONNREFUSED");
    assert.ok(elapsed >= 290 && elapsed < 2_000, `took ${elapsed} ms`);
    assert.match(
      error.message,
      new RegExp(
        `: nothing accepted a connection on 127\\.0\\.0\\.1 port ${port} for \\d+\\.\\d s \\(connection refused\\)\\. ` +
          "Check the host and port in connection\\.url \\(or the stack config redisenterprise:url\\): the REST API listens on 9443 \\(HTTPS\\) by default; and check that the cluster is running$",
      ),
    );
    assert.ok(events.length <= 4, events.join("\n"));
    assert.match(events[events.length - 1]!, /: connection refused for \d+\.\d s from the start$/);
    assertNoSecrets(error, SECRETS);
  });

  it("keeps retrying a refused connection for the whole deadline once the cluster has answered (a restart, not a typo)", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, { ok: true }));
    const { client } = clientFor(server.url, { retry: { ...FAST_RETRY, deadlineMs: 700 }, refusedBudgetMs: 100 });
    assert.deepEqual(await client.get("/v1/cluster"), { ok: true });
    await servers.splice(0)[0]!.close();
    const started = Date.now();
    const error = await failureOf(client.get("/v1/cluster"));
    const elapsed = Date.now() - started;
    assert.ok(isRsConnectionError(error) && error.causeCode === "ECONNREFUSED", String(error));
    assert.ok(elapsed >= 650, `gave up after ${elapsed} ms`);
  });

  it("prints the plain-HTTP warning once when the caller prints events and warnings to the same place", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const print = (line: string) => process.stderr.write(`Database "db1": ${line}\n`);
    const { result, stderr } = captureStderr(
      () => new RsClient({ url: server.url, username: USERNAME, password: DISTINCTIVE_PASSWORD }, { onEvent: print, onWarning: print }),
    );
    clients.push(result);
    assert.equal(
      stderr,
      `Database "db1": WARNING: ${server.url} is plain HTTP: the password and every answer travel unencrypted; use the https:// API port (9443 by default)\n`,
    );
  });
});
