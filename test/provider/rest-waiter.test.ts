// The waiter: pollUntil's timing against a fake clock, and waitForDatabase against a scripted local RS server.
import assert from "node:assert/strict";
import {
  RsClient,
  isRsOperationError,
  isRsTimeoutError,
  pollUntil,
  waitForDatabase,
  type WaiterClock,
} from "../../provider/rest";
import { quietly, sendJson, startServer, type TestServer } from "./support/servers";
import { DISTINCTIVE_PASSWORD, USERNAME, assertNoSecrets, basicToken } from "./support/secrets";

const SECRETS = [DISTINCTIVE_PASSWORD, basicToken(USERNAME, DISTINCTIVE_PASSWORD)];
const FAST = { initialIntervalMs: 5, maxIntervalMs: 20 };

/** A clock that only moves when the waiter sleeps; records every sleep. */
function fakeClock(): WaiterClock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** Progress lines without their elapsed time, which depends on the machine. */
function withoutTimes(lines: string[]): string[] {
  return lines.map((line) => line.replace(/ \(\d+\.\d s\)$/, ""));
}

describe("waiter", () => {
  describe("pollUntil", () => {
    it("doubles the interval, shortens the last wait to the deadline and times out with the last state", async () => {
      const clock = fakeClock();
      const lines: string[] = [];
      let probes = 0;
      const error = await pollUntil(
        async () => {
          probes += 1;
          return { done: false, observed: probes < 3 ? "status pending" : "status active-change-pending" };
        },
        { deadlineMs: 1_000, initialIntervalMs: 200, maxIntervalMs: 5_000, description: "database 9 to become active", objectId: "9", onProgress: (line) => lines.push(line), clock },
      ).then(
        () => assert.fail("expected a timeout"),
        (caught: unknown) => caught,
      );
      assert.deepEqual(clock.sleeps, [200, 400, 400]);
      assert.equal(probes, 4);
      assert.ok(isRsTimeoutError(error));
      assert.equal(error.waitedMs, 1_000);
      assert.equal(error.objectId, "9");
      assert.equal(error.lastObserved, "status active-change-pending");
      assert.equal(
        error.message,
        "timed out after 1.0 s waiting for database 9 to become active (last observed: status active-change-pending); " +
          "object id 9; it may still complete on the cluster: look at it again (pulumi refresh) before retrying, or allow more time",
      );
      assert.deepEqual(lines, [
        "waiting for database 9 to become active: status pending (0.0 s)",
        "waiting for database 9 to become active: status active-change-pending (0.6 s)",
      ]);
    });

    it("caps the interval and returns the value once done", async () => {
      const clock = fakeClock();
      let probes = 0;
      const value = await pollUntil(
        async () => {
          probes += 1;
          return probes === 6 ? { done: true, value: "ready" } : { done: false };
        },
        { deadlineMs: 60_000, initialIntervalMs: 1_000, maxIntervalMs: 3_000, description: "x", clock },
      );
      assert.equal(value, "ready");
      assert.deepEqual(clock.sleeps, [1_000, 2_000, 3_000, 3_000, 3_000]);
    });

    it("lets probe errors through, and stops on abort with the signal's reason", async () => {
      const boom = new Error("probe failed");
      await assert.rejects(
        pollUntil(async () => Promise.reject(boom), { deadlineMs: 1_000, description: "x", clock: fakeClock() }),
        (error: unknown) => error === boom,
      );
      const controller = new AbortController();
      const reason = new Error("cancelled");
      let probes = 0;
      await assert.rejects(
        pollUntil(
          async () => {
            probes += 1;
            if (probes === 2) controller.abort(reason);
            return { done: false };
          },
          { deadlineMs: 10_000, description: "x", signal: controller.signal, clock: fakeClock() },
        ),
        (error: unknown) => error === reason,
      );
      assert.equal(probes, 2);
    });

    it("rejects meaningless timings", async () => {
      await assert.rejects(pollUntil(async () => ({ done: true }), { deadlineMs: 0, description: "x" }), {
        name: "RangeError",
        message: "deadlineMs must be a positive number of milliseconds; got 0",
      });
      await assert.rejects(
        pollUntil(async () => ({ done: true }), { deadlineMs: 10, initialIntervalMs: 50, maxIntervalMs: 20, description: "x" }),
        { message: "initialIntervalMs (50) must not exceed maxIntervalMs (20)" },
      );
    });
  });

  describe("waitForDatabase with a database read the client retried for a long time", () => {
    /**
     * A client stub on a fake clock: GET /v1/bdbs/{uid} is answered active after the client rode out `busyRetries`
     * answers of 409 busy that took `busyMs`; the action runs until `actionEndsAt`, then is completed.
     */
    function slowBdbClient(clock: ReturnType<typeof fakeClock>, busyRetries: number, busyMs: number, actionEndsAt: number) {
      const order: string[] = [];
      const requester = {
        async request(_method: string, path: string, options?: { onRetry?: (failure: string) => void }) {
          order.push(path);
          if (path.startsWith("/v1/bdbs/")) {
            for (let retry = 0; retry < busyRetries; retry++) options?.onRetry?.("409 busy");
            await clock.sleep(busyMs);
            return { status: 200, headers: {}, body: { uid: 5, status: "active" } };
          }
          const done = clock.now() >= actionEndsAt;
          return { status: 200, headers: {}, body: { action_uid: "a5", name: "SMUpdateBDB", status: done ? "completed" : "active", progress: done ? "100" : "3" } };
        },
      };
      return { requester: requester as unknown as Parameters<typeof waitForDatabase>[0], order };
    }

    it("judges the database with an action state read after it, so a read retried up to the deadline still finishes the wait", async () => {
      const clock = fakeClock();
      const start = clock.now();
      // The database read takes the whole 1 s (409 busy, retried); the action finished meanwhile, at 0.5 s.
      const { requester, order } = slowBdbClient(clock, 4, 1_000, start + 500);
      const final = await waitForDatabase(requester, 5, { until: "active", actionUid: "a5", deadlineMs: 1_000, clock, ...FAST });
      assert.equal(final?.status, "active");
      assert.deepEqual(order, ["/v1/bdbs/5", "/v1/actions/a5"]);
    });

    it("names what the client rode out when the wait reaches its deadline", async () => {
      const clock = fakeClock();
      // Each database read rides out two 409 busy answers in 300 ms; the action never ends.
      const { requester, order } = slowBdbClient(clock, 2, 300, Number.POSITIVE_INFINITY);
      const error = await waitForDatabase(requester, 5, { until: "active", actionUid: "a5", deadlineMs: 1_000, clock, ...FAST }).then(
        () => assert.fail("the wait should time out"),
        (caught: unknown) => caught,
      );
      assert.ok(isRsTimeoutError(error), String(error));
      const reads = order.filter((path) => path === "/v1/bdbs/5").length;
      assert.ok(reads >= 3, `${reads} database reads`);
      assert.match(error.message, /^timed out after 1\.\d s waiting for database 5 to become active \(last observed: status active, SMUpdateBDB active \(3%\)\)/);
      assert.ok(error.message.includes(`; meanwhile GET /v1/bdbs/5 answered 409 busy ${reads * 2} times; object id 5;`), error.message);
      assert.equal(error.retried, `GET /v1/bdbs/5 answered 409 busy ${reads * 2} times`);
    });
  });

  describe("waitForDatabase against a scripted cluster", () => {
    let server: TestServer;
    let client: RsClient;
    /** Answers per path, consumed one per GET; the last one repeats. `undefined` body + 404 = gone. */
    const scripts = new Map<string, Array<{ status: number; body?: unknown }>>();

    function script(path: string, ...answers: Array<{ status: number; body?: unknown }>): void {
      scripts.set(path, answers);
    }
    const bdb = (uid: number, status: string) => ({ status: 200, body: { uid, name: `db${uid}`, status } });
    const gone = { status: 404, body: { error_code: "db_not_exist", description: "Database does not exist" } };
    const hits = (path: string) => server.requests.filter((request) => request.url === path).length;

    before(async () => {
      server = await startServer((request, response) => {
        const answers = scripts.get(request.url);
        if (answers === undefined) return sendJson(response, 404, { error_code: "not_found", description: `unscripted ${request.url}` });
        const next = answers.length > 1 ? answers.shift()! : answers[0];
        sendJson(response, next.status, next.body);
      });
      client = quietly(() => new RsClient({ url: server.url, username: USERNAME, password: DISTINCTIVE_PASSWORD }, { retry: { deadlineMs: 0 } }));
    });

    after(async () => {
      await client.close();
      await server.close();
    });

    it("returns the bdb once active, after several polls, with progress lines on each change", async () => {
      script("/v1/bdbs/1", bdb(1, "pending"), bdb(1, "pending"), bdb(1, "pending"), bdb(1, "active"));
      const lines: string[] = [];
      const final = await waitForDatabase(client, 1, { until: "active", deadlineMs: 5_000, onProgress: (line) => lines.push(line), ...FAST });
      assert.deepEqual(final, { uid: 1, name: "db1", status: "active" });
      assert.equal(hits("/v1/bdbs/1"), 4);
      assert.deepEqual(withoutTimes(lines), [
        "waiting for database 1 to become active: status pending",
        "waiting for database 1 to become active: status active",
      ]);
    });

    it("waits for the action too: an 'active' bdb is not done while its action runs", async () => {
      script("/v1/bdbs/6", bdb(6, "active"));
      script(
        "/v1/actions/a6",
        { status: 200, body: { action_uid: "a6", name: "SMUpdateBDB", status: "active", state: "proxy_policy", progress: "20" } },
        { status: 200, body: { action_uid: "a6", name: "SMUpdateBDB", status: "active", state: "proxy_policy", progress: 50.0 } },
        { status: 404, body: { error_code: "action_not_exist", description: "no such action" } },
      );
      const lines: string[] = [];
      const final = await waitForDatabase(client, 6, { until: "active", actionUid: "a6", deadlineMs: 5_000, onProgress: (line) => lines.push(line), ...FAST });
      assert.equal(final?.status, "active");
      assert.equal(hits("/v1/actions/a6"), 3);
      assert.equal(hits("/v1/bdbs/6"), 3);
      assert.deepEqual(withoutTimes(lines), [
        "waiting for database 6 to become active: status active, SMUpdateBDB active (proxy_policy, 20%)",
        "waiting for database 6 to become active: status active, SMUpdateBDB active (proxy_policy, 50%)",
        "waiting for database 6 to become active: status active",
      ]);
    });

    it("stops polling a completed action and finishes when the bdb is active", async () => {
      script("/v1/bdbs/7", bdb(7, "active-change-pending"), bdb(7, "active"));
      script("/v1/actions/a7", { status: 200, body: { task_id: "a7", name: "retry_bdb", status: "completed", progress: "100" } });
      const final = await waitForDatabase(client, 7, { until: "active", actionUid: "a7", deadlineMs: 5_000, ...FAST });
      assert.equal(final?.status, "active");
      assert.equal(hits("/v1/actions/a7"), 1);
      assert.equal(hits("/v1/bdbs/7"), 2);
    });

    it("throws RsOperationError with the server's text when creation fails", async () => {
      script("/v1/bdbs/2", bdb(2, "pending"), bdb(2, "creation-failed"));
      script("/v1/actions/bdb/2", {
        status: 200,
        body: [{ action_uid: "sm2", name: "SMCreateBDB", object_name: "bdb:2", status: "failed", error: "not enough memory for 2 shards" }],
      });
      const error = await waitForDatabase(client, 2, { until: "active", deadlineMs: 5_000, ...FAST }).then(
        () => assert.fail("expected creation to fail"),
        (caught: unknown) => caught,
      );
      assert.ok(isRsOperationError(error));
      assert.equal(error.objectId, "2");
      assert.equal(error.operation, "SMCreateBDB");
      assert.equal(error.actionUid, "sm2");
      assert.equal(error.serverMessage, "not enough memory for 2 shards");
      assert.equal(
        error.message,
        "database 2: SMCreateBDB failed (action sm2): not enough memory for 2 shards. The database exists in status " +
          "creation-failed: delete it (pulumi destroy, or DELETE /v1/bdbs/2) before creating it again",
      );
      assertNoSecrets(error, SECRETS);
    });

    it("still reports creation-failed when the server keeps no state machines (older versions answer 404)", async () => {
      script("/v1/bdbs/12", bdb(12, "creation-failed"));
      const error = await waitForDatabase(client, 12, { until: "active", deadlineMs: 5_000, ...FAST }).then(
        () => assert.fail("expected creation to fail"),
        (caught: unknown) => caught,
      );
      assert.ok(isRsOperationError(error));
      assert.match(error.message, /^database 12: database creation failed: the database is in status creation-failed\. The database exists/);
    });

    it("throws RsOperationError when the action fails, with error_code and error_message", async () => {
      script("/v1/bdbs/3", bdb(3, "active-change-pending"));
      script(
        "/v1/actions/a3",
        { status: 200, body: { task_id: "a3", name: "retry_bdb", status: "running", progress: "50" } },
        { status: 200, body: { task_id: "a3", name: "retry_bdb", status: "failed", error_code: "insufficient_resources", error_message: "not enough nodes" } },
      );
      const error = await waitForDatabase(client, 3, { until: "active", actionUid: "a3", deadlineMs: 5_000, ...FAST }).then(
        () => assert.fail("expected the action to fail"),
        (caught: unknown) => caught,
      );
      assert.ok(isRsOperationError(error));
      assert.equal(error.errorCode, "insufficient_resources");
      assert.equal(
        error.message,
        "database 3: retry_bdb failed (action a3): insufficient_resources: not enough nodes. The change was not applied " +
          "completely: look at the database (pulumi refresh), fix the cause, then apply again",
      );
    });

    it("treats an aborted action as a failure", async () => {
      script("/v1/bdbs/13", bdb(13, "active-change-pending"));
      script("/v1/actions/a13", { status: 200, body: { task_id: "a13", name: "retry_bdb", status: "aborted" } });
      await assert.rejects(
        waitForDatabase(client, 13, { until: "active", actionUid: "a13", deadlineMs: 5_000, ...FAST }),
        (error: unknown) => isRsOperationError(error) && error.serverMessage === "the action was aborted",
      );
    });

    it("times out with RsTimeoutError carrying the uid and the last status", async () => {
      script("/v1/bdbs/4", bdb(4, "pending"));
      const started = Date.now();
      const error = await waitForDatabase(client, 4, { until: "active", deadlineMs: 150, ...FAST }).then(
        () => assert.fail("expected a timeout"),
        (caught: unknown) => caught,
      );
      const elapsed = Date.now() - started;
      assert.ok(isRsTimeoutError(error));
      assert.equal(error.objectId, "4");
      assert.equal(error.lastObserved, "status pending");
      assert.equal(error.description, "database 4 to become active");
      assert.ok(error.waitedMs >= 150 && elapsed < 1_000, `waited ${error.waitedMs} ms, took ${elapsed} ms`);
      assertNoSecrets(error, SECRETS);
    });

    it("returns undefined once a deleted database answers 404", async () => {
      script("/v1/bdbs/5", bdb(5, "delete-pending"), bdb(5, "delete-pending"), gone);
      const lines: string[] = [];
      const result = await waitForDatabase(client, 5, { until: "gone", deadlineMs: 5_000, onProgress: (line) => lines.push(line), ...FAST });
      assert.equal(result, undefined);
      assert.equal(hits("/v1/bdbs/5"), 3);
      assert.deepEqual(withoutTimes(lines), [
        "waiting for database 5 to be deleted: status delete-pending",
        "waiting for database 5 to be deleted: gone",
      ]);
    });

    it("fails a delete that failed before the first poll: after a grace, the newest state machine is a failed delete", async () => {
      script("/v1/bdbs/41", bdb(41, "active"));
      script("/v1/actions/bdb/41", {
        status: 200,
        body: [
          { action_uid: "sm-old", name: "SMUpdateBDB", object_name: "bdb:41", status: "completed", heartbeat: 1_700_000_100 },
          { action_uid: "sm-del", name: "SMDeleteBDB", object_name: "bdb:41", status: "failed", heartbeat: 1_700_000_200, error: "shard 3 did not stop" },
        ],
      });
      const clock = fakeClock();
      const error = await waitForDatabase(client, 41, { until: "gone", deadlineMs: 600_000, clock, initialIntervalMs: 200, maxIntervalMs: 400 }).then(
        () => assert.fail("expected the delete to fail"),
        (caught: unknown) => caught,
      );
      assert.ok(isRsOperationError(error));
      assert.equal(error.operation, "SMDeleteBDB");
      assert.equal(error.actionUid, "sm-del");
      assert.match(error.message, /shard 3 did not stop/);
      // Not at the first active answer (the delete may not have started), and not at the deadline either.
      const waited = clock.sleeps.reduce((sum, ms) => sum + ms, 0);
      assert.ok(waited >= 2_000 && waited <= 3_000, `failed after ${waited} ms of waiting`);
      assert.equal(hits("/v1/actions/bdb/41"), 1);
    });

    it("does not take an older failed delete, followed by other work, for this delete's failure", async () => {
      script("/v1/bdbs/42", bdb(42, "active"));
      script("/v1/actions/bdb/42", {
        status: 200,
        body: [
          { action_uid: "sm-del", name: "SMDeleteBDB", object_name: "bdb:42", status: "failed", heartbeat: 1_700_000_100, error: "old failure" },
          { action_uid: "sm-upd", name: "SMUpdateBDB", object_name: "bdb:42", status: "completed", heartbeat: 1_700_000_200 },
        ],
      });
      const clock = fakeClock();
      const error = await waitForDatabase(client, 42, { until: "gone", deadlineMs: 4_000, clock, initialIntervalMs: 200, maxIntervalMs: 400 }).then(
        () => assert.fail("expected a timeout"),
        (caught: unknown) => caught,
      );
      assert.ok(isRsTimeoutError(error), String(error));
      assert.equal(error.lastObserved, "status active");
    });

    it("fails when a database it waits on to become active disappears, naming the answer's RS error code (finding F5)", async () => {
      script("/v1/bdbs/8", bdb(8, "active-change-pending"), gone);
      await assert.rejects(
        waitForDatabase(client, 8, { until: "active", deadlineMs: 5_000, ...FAST }),
        (error: unknown) =>
          isRsOperationError(error) &&
          error.errorCode === "db_not_exist" &&
          error.message ===
            "database 8: waiting for the database to become active failed: db_not_exist: the database no longer exists " +
              "(GET /v1/bdbs/8 answered 404: Database does not exist). " +
              "Something deleted it meanwhile: run pulumi refresh, then apply again to create it",
      );
    });

    it("a wait's 404 from something in between names that answer's code, and a 404 without a body says so", async () => {
      script("/v1/bdbs/12", bdb(12, "pending"), { status: 404, body: { error_code: "not_found", description: "no route" } });
      await assert.rejects(waitForDatabase(client, 12, { until: "active", deadlineMs: 5_000, ...FAST }), (error: unknown) =>
        isRsOperationError(error) && error.errorCode === "not_found" && error.message.includes("failed: not_found: the database no longer exists (GET /v1/bdbs/12 answered 404: no route)"),
      );
      script("/v1/bdbs/13", { status: 404 });
      await assert.rejects(waitForDatabase(client, 13, { until: "active", deadlineMs: 5_000, ...FAST }), (error: unknown) =>
        isRsOperationError(error) && error.errorCode === undefined && error.message.includes("failed: the database no longer exists (GET /v1/bdbs/13 answered 404: Not Found)"),
      );
    });

    it("bounds the client's own retries inside a probe by the waiter's deadline", async () => {
      script("/v1/bdbs/11", { status: 503, body: { description: "node is not responding" } });
      // The client alone would retry for its default 120 s.
      const patient = quietly(
        () => new RsClient({ url: server.url, username: USERNAME, password: DISTINCTIVE_PASSWORD }, { retry: { initialDelayMs: 5, maxDelayMs: 20 } }),
      );
      try {
        const started = Date.now();
        await assert.rejects(waitForDatabase(patient, 11, { until: "active", deadlineMs: 200, ...FAST }), {
          message: "GET /v1/bdbs/11: 503: node is not responding",
        });
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 190 && elapsed < 1_500, `took ${elapsed} ms`);
        assert.ok(hits("/v1/bdbs/11") >= 3, `only ${hits("/v1/bdbs/11")} attempts`);
      } finally {
        await patient.close();
      }
    });

    it("lets other API errors through unchanged", async () => {
      script("/v1/bdbs/10", { status: 401, body: { error_code: "unauthorized", description: "bad credentials" } });
      await assert.rejects(waitForDatabase(client, 10, { until: "active", deadlineMs: 5_000, ...FAST }), {
        message:
          `the cluster at ${server.url} refused the username or password (401 unauthorized on GET /v1/bdbs/10): ` +
          "set connection.username and connection.password (or the stack config redisenterprise:username and " +
          "redisenterprise:password) to a user of the cluster",
      });
    });
  });
});
