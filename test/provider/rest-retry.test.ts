// Retries of RsClient against real local servers: what is retried, what is final, deadlines, Retry-After, and
// that a POST which may have reached the server is never sent twice.
import assert from "node:assert/strict";
import { READ_500_RETRIES, RsClient, isRsApiError, isRsConnectionError, type RetryPolicy } from "../../provider/rest";
import { closedPort, quietly, sendJson, startServer, type Handler, type TestServer } from "./support/servers";
import { DISTINCTIVE_PASSWORD, USERNAME, assertNoSecrets, basicToken } from "./support/secrets";

/** Small timings so the suite stays fast. */
const FAST: RetryPolicy = { deadlineMs: 2_000, initialDelayMs: 5, maxDelayMs: 20 };
const SECRETS = [DISTINCTIVE_PASSWORD, basicToken(USERNAME, DISTINCTIVE_PASSWORD)];

describe("RsClient retries", () => {
  const servers: TestServer[] = [];
  const clients: RsClient[] = [];

  async function serve(handler: Handler): Promise<TestServer> {
    const server = await startServer(handler);
    servers.push(server);
    return server;
  }

  function clientFor(url: string, retry: Partial<RetryPolicy> = FAST, requestTimeoutMs?: number) {
    const events: string[] = [];
    // These servers are plain HTTP; the client's warning about it is tested elsewhere.
    const client = quietly(
      () =>
        new RsClient(
          { url, username: USERNAME, password: DISTINCTIVE_PASSWORD },
          { retry, requestTimeoutMs, onEvent: (line) => events.push(line) },
        ),
    );
    clients.push(client);
    return { client, allEvents: events };
  }

  /** Retry lines only (the plain-HTTP warning is not a retry). */
  function retryLines(events: string[]): string[] {
    return events.filter((line) => !line.startsWith("WARNING"));
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it("retries a GET through 409 busy, 503 and a connection reset until it succeeds", async () => {
    const server = await serve((_request, response, { index, socket }) => {
      if (index === 1) sendJson(response, 409, { error_code: "busy", description: "another change is running" });
      else if (index === 2) sendJson(response, 503, { error_code: "node_unavailable", description: "not responding" });
      else if (index === 3) socket.destroy();
      else sendJson(response, 200, { uid: 3, status: "active" });
    });
    const { client, allEvents } = clientFor(server.url);
    const bdb = await client.get<{ uid: number; status: string }>("/v1/bdbs/3");
    assert.deepEqual(bdb, { uid: 3, status: "active" });
    assert.equal(server.requests.length, 4);
    const lines = retryLines(allEvents);
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^retrying GET \/v1\/bdbs\/3 after 409 busy \(attempt 2, next in \d+\.\d s\)$/);
    assert.match(lines[1], /^retrying GET \/v1\/bdbs\/3 after 503 node_unavailable \(attempt 3, next in \d+\.\d s\)$/);
    assert.match(lines[2], /^retrying GET \/v1\/bdbs\/3 after (UND_ERR_SOCKET|ECONNRESET) \(attempt 4, next in \d+\.\d s\)$/);
  });

  // Chaos found a lookup that failed on one 500 after riding out a node down: the bound counted every retry.
  it("bounds a GET's 500s by the 500s it had, not by the retries before them", async () => {
    const answers = [503, 409, 503, 503, 500, 503, 500, 200];
    const server = await serve((_request, response, { index }) => {
      const status = answers[index - 1]!;
      if (status === 200) sendJson(response, 200, []);
      else sendJson(response, status, { error_code: status === 409 ? "busy" : status === 500 ? "internal_error" : "node_down", description: "passing" });
    });
    const { client } = clientFor(server.url);
    assert.deepEqual(await client.get("/v1/bdbs"), []);
    assert.equal(server.requests.length, answers.length);

    // A third 500 is final, however many other failures came between.
    const lasting = await serve((_request, response, { index }) => {
      if (index % 2 === 1) sendJson(response, 503, { error_code: "node_down", description: "passing" });
      else sendJson(response, 500, { error_code: "internal_error", description: "lasting" });
    });
    const second = clientFor(lasting.url).client;
    const failure = await second.get("/v1/bdbs").then(() => undefined, (caught: unknown) => caught);
    assert.ok(isRsApiError(failure) && failure.status === 500, String(failure));
    assert.equal(lasting.requests.length, 2 * (READ_500_RETRIES + 1));
  });

  it("names the call in its lines as errors do, the query decoded", async () => {
    const server = await serve((_request, response, { index }) => {
      if (index === 1) sendJson(response, 409, { error_code: "busy", description: "another change is running" });
      else sendJson(response, 200, []);
    });
    const { client, allEvents } = clientFor(server.url);
    await client.get("/v1/bdbs", { query: { fields: "uid,name,status" } });
    assert.equal(server.requests[0]!.url, "/v1/bdbs?fields=uid%2Cname%2Cstatus");
    assert.match(retryLines(allEvents)[0]!, /^retrying GET \/v1\/bdbs\?fields=uid,name,status after 409 busy \(attempt 2, next in \d+\.\d s\)$/);
  });

  it("tells the caller's onRetry each failure it rode out, and nothing for the final one", async () => {
    const server = await serve((_request, response, { index }) => {
      if (index <= 2) sendJson(response, 409, { error_code: "busy", description: "another change is running" });
      else if (index === 3) sendJson(response, 503, { error_code: "node_unavailable", description: "not responding" });
      else sendJson(response, 404, { error_code: "db_not_exist", description: "no such database" });
    });
    const { client } = clientFor(server.url);
    const seen: string[] = [];
    await assert.rejects(client.get("/v1/bdbs/3", { onRetry: (failure) => seen.push(failure) }), (error: unknown) => isRsApiError(error) && error.status === 404);
    assert.equal(server.requests.length, 4);
    assert.deepEqual(seen, ["409 busy", "409 busy", "503 node_unavailable"]);
  });

  it("retries PUT on 409 and DELETE on 502/504 answered by a proxy", async () => {
    const server = await serve((request, response, { index }) => {
      if (request.method === "PUT") {
        if (index === 1) sendJson(response, 409, { error_code: "busy", description: "busy" });
        else sendJson(response, 200, { uid: 3 });
      } else if (index === 3) {
        sendJson(response, 502);
      } else if (index === 4) {
        sendJson(response, 504);
      } else {
        sendJson(response, 200);
      }
    });
    const { client } = clientFor(server.url);
    assert.deepEqual(await client.put("/v1/bdbs/3", { memory_size: 1024 }), { uid: 3 });
    assert.equal(await client.delete("/v1/bdbs/3"), undefined);
    assert.deepEqual(
      server.requests.map((request) => request.method),
      ["PUT", "PUT", "DELETE", "DELETE", "DELETE"],
    );
    assert.equal(server.requests[1].body, '{"memory_size":1024}');
  });

  it("stops at the deadline with the last error, not forever", async () => {
    const server = await serve((_request, response) => sendJson(response, 503, { description: "node is not a cluster member" }));
    const { client, allEvents } = clientFor(server.url, { deadlineMs: 300, initialDelayMs: 10, maxDelayMs: 40 });
    const started = Date.now();
    const error = await client.get("/v1/cluster").then(
      () => assert.fail("expected a 503 error"),
      (caught: unknown) => caught,
    );
    const elapsed = Date.now() - started;
    assert.ok(isRsApiError(error));
    assert.equal(error.message, "GET /v1/cluster: 503: node is not a cluster member");
    assert.equal(error.attempts, server.requests.length);
    assert.ok(server.requests.length >= 5, `expected several attempts in 300 ms, got ${server.requests.length}`);
    assert.ok(elapsed >= 300 && elapsed < 1_500, `elapsed ${elapsed} ms`);
    const last = allEvents[allEvents.length - 1];
    assert.match(last, new RegExp(`^giving up on GET /v1/cluster after ${error.attempts} attempts in \\d+\\.\\d s: retry deadline of 0\\.3 s reached$`));
  });

  for (const [method, status] of [
    ["GET", 404],
    ["GET", 401],
    ["PUT", 406],
    ["PUT", 400],
    ["DELETE", 403],
  ] as const) {
    it(`treats ${status} on ${method} as final (one request)`, async () => {
      const server = await serve((_request, response) => sendJson(response, status, { error_code: "some_error", description: "no" }));
      const { client } = clientFor(server.url);
      const error = await client.request(method, "/v1/bdbs/9", { body: method === "PUT" ? {} : undefined }).then(
        () => assert.fail("expected an error"),
        (caught: unknown) => caught,
      );
      assert.ok(isRsApiError(error));
      assert.equal(error.status, status);
      assert.equal(error.attempts, 1);
      assert.equal(server.requests.length, 1);
    });
  }

  it("honours Retry-After (seconds) even when the backoff is shorter", async () => {
    const server = await serve((_request, response, { index }) => {
      if (index === 1) sendJson(response, 503, { description: "starting" }, { "retry-after": "1" });
      else sendJson(response, 200, { ok: true });
    });
    const { client, allEvents } = clientFor(server.url, { deadlineMs: 5_000, initialDelayMs: 1, maxDelayMs: 2 });
    const started = Date.now();
    assert.deepEqual(await client.get("/v1/cluster"), { ok: true });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 990, `waited only ${elapsed} ms`);
    assert.deepEqual(retryLines(allEvents), ["retrying GET /v1/cluster after 503 (attempt 2, next in 1.0 s)"]);
  });

  it("gives up at once when Retry-After points past the deadline", async () => {
    const server = await serve((_request, response) => sendJson(response, 503, { description: "later" }, { "retry-after": "30" }));
    const { client, allEvents } = clientFor(server.url, { deadlineMs: 1_000, initialDelayMs: 1, maxDelayMs: 2 });
    await assert.rejects(client.get("/v1/cluster"), (error: unknown) => isRsApiError(error) && error.status === 503);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(retryLines(allEvents), [
      "giving up on GET /v1/cluster after 1 attempt in 0.0 s: the server asked to wait 30.0 s, past the retry deadline",
    ]);
  });

  it("never sends a POST twice when the connection broke after the server received it", async () => {
    const server = await serve((_request, _response, { socket }) => {
      socket.destroy();
    });
    const { client, allEvents } = clientFor(server.url);
    const error = await client.post("/v1/bdbs", { name: "db1", memory_size: 1024 }).then(
      () => assert.fail("expected a connection error"),
      (caught: unknown) => caught,
    );
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].body, '{"name":"db1","memory_size":1024}');
    assert.ok(isRsConnectionError(error));
    assert.equal(error.mayHaveReachedServer, true);
    assert.equal(error.method, "POST");
    assert.equal(error.path, "/v1/bdbs");
    assert.equal(error.attempts, 1);
    assert.ok(["UND_ERR_SOCKET", "ECONNRESET"].includes(error.causeCode), error.causeCode);
    assert.match(error.message, /^POST \/v1\/bdbs: no answer from http:\/\/127\.0\.0\.1:\d+ \(.+\); the request may have reached the cluster: check whether it took effect before sending it again\. /);
    assert.deepEqual(retryLines(allEvents), []);
    assertNoSecrets(error, SECRETS);
  });

  it("does not retry a POST answered 503 or 409 with another error_code", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/v1/bdbs") sendJson(response, 503, { description: "not responding" });
      else sendJson(response, 409, { error_code: "uid_exists", description: "uid 5 already exists" });
    });
    const { client } = clientFor(server.url);
    await assert.rejects(client.post("/v1/bdbs", { name: "a" }), (error: unknown) => isRsApiError(error) && error.status === 503);
    await assert.rejects(
      client.post("/v1/bdbs/5", { name: "a" }),
      (error: unknown) => isRsApiError(error) && error.message === "POST /v1/bdbs/5: 409 uid_exists: uid 5 already exists",
    );
    assert.equal(server.requests.length, 2);
  });

  it("retries a POST answered 409 busy (the cluster refused to start it)", async () => {
    const server = await serve((_request, response, { index }) => {
      if (index < 3) sendJson(response, 409, { error_code: "busy", description: "cluster is busy" });
      else sendJson(response, 200, { uid: 1, status: "pending" });
    });
    const { client, allEvents } = clientFor(server.url);
    assert.deepEqual(await client.post("/v1/bdbs", { name: "db1" }), { uid: 1, status: "pending" });
    assert.equal(server.requests.length, 3);
    assert.equal(retryLines(allEvents).length, 2);
    assert.match(retryLines(allEvents)[1], /^retrying POST \/v1\/bdbs after 409 busy \(attempt 3, next in \d+\.\d s\)$/);
  });

  it("retries a POST whose connection was refused, and reports it was never sent", async () => {
    const port = await closedPort();
    const { client, allEvents } = clientFor(`http://127.0.0.1:${port}`, { deadlineMs: 200, initialDelayMs: 5, maxDelayMs: 20 });
    const error = await client.post("/v1/bdbs", { name: "db1" }).then(
      () => assert.fail("expected a connection error"),
      (caught: unknown) => caught,
    );
    assert.ok(isRsConnectionError(error));
    assert.equal(error.causeCode, "ECONNREFUSED");
    assert.equal(error.mayHaveReachedServer, false);
    assert.ok(error.attempts >= 3, `attempts ${error.attempts}`);
    assert.match(error.message, /; the request was not sent\. Check that the cluster's REST API is reachable/);
    assert.match(retryLines(allEvents)[0], /^retrying POST \/v1\/bdbs after ECONNREFUSED \(attempt 2, next in \d+\.\d s\)$/);
    assertNoSecrets(error, SECRETS);
  });

  it("delivers a refused POST exactly once when the server comes up", async () => {
    const port = await closedPort();
    const { client } = clientFor(`http://127.0.0.1:${port}`, { deadlineMs: 3_000, initialDelayMs: 20, maxDelayMs: 50 });
    const pending = client.post<{ uid: number }>("/v1/bdbs", { name: "late" });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const server = await startServer((_request, response) => sendJson(response, 200, { uid: 4 }), { port });
    servers.push(server);
    assert.deepEqual(await pending, { uid: 4 });
    assert.equal(server.requests.length, 1);
  });

  it("times out a silent attempt, retries a GET and never retries a POST", async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const { client } = clientFor(server.url, { deadlineMs: 250, initialDelayMs: 5, maxDelayMs: 10 }, 80);
    const getError = await client.get("/v1/bdbs").then(
      () => assert.fail("expected a timeout"),
      (caught: unknown) => caught,
    );
    assert.ok(isRsConnectionError(getError));
    assert.equal(getError.causeCode, "RS_ATTEMPT_TIMEOUT");
    assert.match(getError.causeMessage, /^no complete answer within 0\.1 s$/);
    assert.ok(getError.attempts >= 2, `attempts ${getError.attempts}`);
    const before = server.requests.length;
    const postError = await client.post("/v1/bdbs", {}).then(
      () => assert.fail("expected a timeout"),
      (caught: unknown) => caught,
    );
    assert.ok(isRsConnectionError(postError));
    assert.equal(postError.mayHaveReachedServer, true);
    assert.equal(server.requests.length - before, 1);
  });

  it("sends a call once with retry: false", async () => {
    const server = await serve((_request, response) => sendJson(response, 409, { error_code: "busy", description: "busy" }));
    const { client } = clientFor(server.url);
    await assert.rejects(client.get("/v1/bdbs/1", { retry: false }), (error: unknown) => isRsApiError(error) && error.errorCode === "busy");
    assert.equal(server.requests.length, 1);
  });

  it("stops retrying when the caller's signal aborts, with the signal's reason", async () => {
    // The abort comes from the server on the second answer (not from a timer), so a slow machine cannot make the
    // test see fewer than two attempts or count its own scheduling delay as the client's.
    const controller = new AbortController();
    const reason = new Error("operation cancelled by the engine");
    let answered = 0;
    let abortedAt = 0;
    const server = await serve((_request, response) => {
      sendJson(response, 503);
      answered += 1;
      if (answered === 2) {
        abortedAt = Date.now();
        controller.abort(reason);
      }
    });
    const { client } = clientFor(server.url, { deadlineMs: 10_000, initialDelayMs: 50, maxDelayMs: 50 });
    await assert.rejects(client.get("/v1/bdbs", { signal: controller.signal }), (error: unknown) => error === reason);
    const sinceAbort = Date.now() - abortedAt;
    assert.ok(abortedAt > 0 && sinceAbort < 500, `rejected ${sinceAbort} ms after the abort`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(answered, 2, "no request may follow the abort");
  });
});
