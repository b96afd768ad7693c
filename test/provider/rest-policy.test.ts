// The pure logic of the REST layer, with exact values: retry policy, backoff, Retry-After, failure classification,
// answer bodies, action and database status parsing, fingerprints and poll intervals.
import assert from "node:assert/strict";
import fc from "fast-check";
import { describeErrorBody, excerpt, parseBody } from "../../provider/rest/body";
import {
  DEFAULT_RETRY_POLICY,
  FINAL_CONFLICT_CODES,
  backoffDelayMs,
  classifyTransportCode,
  describeFailure,
  isIdempotentMethod,
  isRetryableFailure,
  parseRetryAfterMs,
  READ_500_RETRIES,
  planRetry,
  resolveRetryPolicy,
  transportErrorCode,
  type AttemptFailure,
  type RetryPolicy,
} from "../../provider/rest/retry";
import { classifyBdbStatus, describeAction, failedActionIn, newestActionIn, parseAction, parseProgress } from "../../provider/rest/status";
import { isCertificateVerificationCode, normalizeFingerprint } from "../../provider/rest/tls";
import { pollIntervalMs } from "../../provider/rest/waiter";

const POLICY: RetryPolicy = { deadlineMs: 10_000, initialDelayMs: 250, maxDelayMs: 5_000 };

describe("REST pure logic", () => {
  describe("retry policy", () => {
    it("has the documented defaults and merges layers over them", () => {
      assert.deepEqual(DEFAULT_RETRY_POLICY, { deadlineMs: 120_000, initialDelayMs: 250, maxDelayMs: 5_000 });
      assert.deepEqual(resolveRetryPolicy(), { deadlineMs: 120_000, initialDelayMs: 250, maxDelayMs: 5_000 });
      assert.deepEqual(resolveRetryPolicy({ deadlineMs: 1_000 }, undefined, { maxDelayMs: 300, deadlineMs: 2_000 }), {
        deadlineMs: 2_000,
        initialDelayMs: 250,
        maxDelayMs: 300,
      });
    });

    it("rejects negative or non-finite values", () => {
      assert.throws(() => resolveRetryPolicy({ deadlineMs: -1 }), {
        name: "RangeError",
        message: "retry.deadlineMs must be a finite number of milliseconds >= 0; got -1",
      });
      assert.throws(() => resolveRetryPolicy({ maxDelayMs: Number.POSITIVE_INFINITY }), {
        message: "retry.maxDelayMs must be a finite number of milliseconds >= 0; got Infinity",
      });
    });

    it("treats GET, PUT and DELETE as idempotent, POST not", () => {
      assert.deepEqual(
        ["GET", "put", "DELETE", "POST", "PATCH"].map(isIdempotentMethod),
        [true, true, true, false, false],
      );
    });
  });

  describe("backoff", () => {
    it("is full jitter under a doubling, capped ceiling", () => {
      const top = () => 0.999999;
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6, 7, 8].map((retry) => backoffDelayMs(retry, POLICY, top)),
        [249, 499, 999, 1999, 3999, 4999, 4999, 4999],
      );
      assert.equal(backoffDelayMs(3, POLICY, () => 0.5), 500);
      assert.equal(backoffDelayMs(3, POLICY, () => 0), 0);
    });

    it("always lies in [0, min(max, initial * 2^(n-1)))", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 60 }),
          fc.integer({ min: 1, max: 10_000 }),
          fc.integer({ min: 0, max: 100_000 }),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          (retry, initial, extra, random) => {
            const policy = { deadlineMs: 1, initialDelayMs: initial, maxDelayMs: initial + extra };
            const delay = backoffDelayMs(retry, policy, () => random);
            const ceiling = Math.min(policy.maxDelayMs, initial * 2 ** (retry - 1));
            return Number.isInteger(delay) && delay >= 0 && delay < ceiling;
          },
        ),
      );
    });
  });

  describe("Retry-After", () => {
    const now = Date.parse("2026-11-28T08:00:00Z");
    it("reads delta-seconds and HTTP dates", () => {
      assert.equal(parseRetryAfterMs("3", now), 3_000);
      assert.equal(parseRetryAfterMs(" 0 ", now), 0);
      assert.equal(parseRetryAfterMs("Sat, 28 Nov 2026 08:00:05 GMT", now), 5_000);
      assert.equal(parseRetryAfterMs("Sat, 28 Nov 2026 07:59:00 GMT", now), 0);
    });
    it("ignores what it cannot read", () => {
      assert.deepEqual(
        [undefined, "", "soon", "-1", "1.5"].map((value) => parseRetryAfterMs(value, now)),
        [undefined, undefined, undefined, undefined, undefined],
      );
    });
  });

  describe("planRetry", () => {
    const random = () => 0.5;
    it("waits the backoff, or the server's Retry-After when longer", () => {
      assert.deepEqual(planRetry({ retryNumber: 3, policy: POLICY, elapsedMs: 100, retryAfterMs: undefined, random }), {
        retry: true,
        delayMs: 500,
      });
      assert.deepEqual(planRetry({ retryNumber: 3, policy: POLICY, elapsedMs: 100, retryAfterMs: 2_000, random }), {
        retry: true,
        delayMs: 2_000,
      });
      assert.deepEqual(planRetry({ retryNumber: 3, policy: POLICY, elapsedMs: 100, retryAfterMs: 100, random }), {
        retry: true,
        delayMs: 500,
      });
    });
    it("shortens the last wait to the deadline, then stops", () => {
      assert.deepEqual(planRetry({ retryNumber: 6, policy: POLICY, elapsedMs: 9_800, retryAfterMs: undefined, random }), {
        retry: true,
        delayMs: 200,
      });
      assert.deepEqual(planRetry({ retryNumber: 7, policy: POLICY, elapsedMs: 10_000, retryAfterMs: undefined, random }), {
        retry: false,
        reason: "retry deadline of 10.0 s reached",
      });
    });
    it("stops at once when Retry-After points past the deadline", () => {
      assert.deepEqual(planRetry({ retryNumber: 1, policy: POLICY, elapsedMs: 5_000, retryAfterMs: 6_000, random }), {
        retry: false,
        reason: "the server asked to wait 6.0 s, past the retry deadline",
      });
    });
  });

  describe("what is retried", () => {
    const status = (code: number, errorCode?: string): AttemptFailure => ({ kind: "status", status: code, errorCode });
    const transport = (causeCode: string): AttemptFailure => ({ kind: "transport", causeCode, ...classifyTransportCode(causeCode) });

    it("retries 409, 502, 503 and 504 on idempotent calls only; every other status is final", () => {
      const statuses = [400, 401, 403, 404, 406, 409, 429, 500, 502, 503, 504, 505];
      assert.deepEqual(
        statuses.filter((code) => isRetryableFailure(status(code), true)),
        [409, 502, 503, 504],
      );
      assert.deepEqual(
        statuses.filter((code) => isRetryableFailure(status(code), false)),
        [],
      );
    });

    it("tries a read answered 500 again at most READ_500_RETRIES times, and never a write answered 500", () => {
      assert.equal(READ_500_RETRIES, 2);
      const retries = [1, 2, 3, 4].filter((answered500) => isRetryableFailure(status(500, "internal_error"), true, true, answered500));
      assert.deepEqual(retries, [1, 2]);
      // PUT and DELETE are idempotent, but their callers read back what a 500 left (the write may have been applied).
      assert.equal(isRetryableFailure(status(500, "internal_error"), true, false, 1), false);
      assert.equal(isRetryableFailure(status(500, "internal_error"), false, false, 1), false);
      // The bound is only for 500: a read's 503 goes on to the deadline, its 4xx are final.
      assert.equal(isRetryableFailure(status(503), true, true, 40), true);
      assert.equal(isRetryableFailure(status(501), true, true, 1), false);
      assert.equal(isRetryableFailure(status(404), true, true, 1), false);
    });

    it("retries a POST answered 409 only when error_code is busy", () => {
      assert.equal(isRetryableFailure(status(409, "busy"), false), true);
      assert.equal(isRetryableFailure(status(409, "uid_exists"), false), false);
      assert.equal(isRetryableFailure(status(503, "busy"), false), false);
    });

    it("never retries a 409 that names something existing (a name in use), whatever the method", () => {
      assert.deepEqual([...FINAL_CONFLICT_CODES].sort(), ["already_bootstrapped", "name_exists", "uid_exists"]);
      for (const code of FINAL_CONFLICT_CODES) {
        assert.equal(isRetryableFailure(status(409, code), true), false, `${code} on PUT or DELETE`);
        assert.equal(isRetryableFailure(status(409, code), false), false, `${code} on POST`);
      }
      assert.equal(isRetryableFailure(status(409, "busy"), true), true);
      assert.equal(isRetryableFailure(status(409), true), true);
      assert.equal(isRetryableFailure(status(409, "bootstrap_in_progress"), true), true);
    });

    it("retries a POST only after connect-phase failures; idempotent calls after any transient one", () => {
      const codes = [
        "ECONNREFUSED",
        "EAI_AGAIN",
        "UND_ERR_CONNECT_TIMEOUT",
        "ENOTFOUND",
        "ECONNRESET",
        "UND_ERR_SOCKET",
        "UND_ERR_HEADERS_TIMEOUT",
        "RS_ATTEMPT_TIMEOUT",
        "EPIPE",
        "ERR_SSL_WRONG_VERSION_NUMBER",
      ];
      assert.deepEqual(
        codes.filter((code) => isRetryableFailure(transport(code), false)),
        ["ECONNREFUSED", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"],
      );
      assert.deepEqual(
        codes.filter((code) => isRetryableFailure(transport(code), true)),
        ["ECONNREFUSED", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "ECONNRESET", "UND_ERR_SOCKET", "UND_ERR_HEADERS_TIMEOUT", "RS_ATTEMPT_TIMEOUT", "EPIPE"],
      );
      assert.deepEqual(
        codes.filter((code) => !classifyTransportCode(code).mayHaveReachedServer),
        ["ECONNREFUSED", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "ENOTFOUND"],
      );
    });

    it("never retries a certificate failure", () => {
      assert.equal(isRetryableFailure({ kind: "tls", causeCode: "CERT_HAS_EXPIRED" }, true), false);
      assert.equal(isCertificateVerificationCode("SELF_SIGNED_CERT_IN_CHAIN"), true);
      assert.equal(isCertificateVerificationCode("ERR_TLS_CERT_ALTNAME_INVALID"), true);
      assert.equal(isCertificateVerificationCode("ECONNRESET"), false);
    });

    it("names failures in event lines", () => {
      assert.deepEqual(
        [status(409, "busy"), status(503), transport("ECONNRESET")].map(describeFailure),
        ["409 busy", "503", "ECONNRESET"],
      );
    });

    it("finds the code of undici, Node and aggregate errors", () => {
      const withCode = Object.assign(new Error("x"), { code: "ECONNRESET" });
      const wrapped = new Error("fetch failed", { cause: Object.assign(new Error("y"), { code: "UND_ERR_SOCKET" }) });
      const aggregate = new AggregateError([Object.assign(new Error("z"), { code: "ECONNREFUSED" })], "all failed");
      assert.deepEqual(
        [withCode, wrapped, aggregate, new Error("plain"), "text", undefined].map(transportErrorCode),
        ["ECONNRESET", "UND_ERR_SOCKET", "ECONNREFUSED", "UNKNOWN", "UNKNOWN", "UNKNOWN"],
      );
    });
  });

  describe("answer bodies", () => {
    it("parses empty, JSON and other text", () => {
      assert.deepEqual(parseBody(""), { kind: "empty" });
      assert.deepEqual(parseBody(" \n"), { kind: "empty" });
      assert.deepEqual(parseBody('{"a":1}'), { kind: "json", value: { a: 1 } });
      assert.deepEqual(parseBody("null"), { kind: "json", value: null });
      assert.deepEqual(parseBody("<html>"), { kind: "text", text: "<html>" });
    });

    it("describes errors from description, message, raw body, then reason phrase", () => {
      const describe = (text: string, status = 406) => describeErrorBody(parseBody(text), text, status);
      assert.deepEqual(describe('{"error_code":"invalid_version","description":"d","message":"m"}'), {
        errorCode: "invalid_version",
        description: "d",
      });
      assert.deepEqual(describe('{"error_code":"x","message":" m "}'), { errorCode: "x", description: "m" });
      assert.deepEqual(describe('{"error_code":"","description":""}'), {
        errorCode: undefined,
        description: '{"error_code":"","description":""}',
      });
      assert.deepEqual(describe('["not","an","object"]'), { errorCode: undefined, description: '["not","an","object"]' });
      assert.deepEqual(describe("Bad   gateway\n", 502), { errorCode: undefined, description: "Bad gateway" });
      assert.deepEqual(describe("", 503), { errorCode: undefined, description: "Service Unavailable" });
      assert.deepEqual(describe("", 599), { errorCode: undefined, description: "no description" });
    });

    it("caps excerpts with an ellipsis", () => {
      assert.equal(excerpt("abc", 3), "abc");
      assert.equal(excerpt("abcd", 3), "ab…");
      assert.equal(excerpt("  a \n\t b  "), "a b");
    });
  });

  describe("database status", () => {
    it("classifies every documented status, and unknown ones as in progress", () => {
      const statuses = ["active", "pending", "active-change-pending", "delete-pending", "import-pending", "recovery", "creation-failed", "brand-new", undefined];
      assert.deepEqual(statuses.map(classifyBdbStatus), [
        "ready",
        "in-progress",
        "in-progress",
        "in-progress",
        "in-progress",
        "in-progress",
        "failed",
        "in-progress",
        "in-progress",
      ]);
    });
  });

  describe("actions", () => {
    it("reads progress as number or string", () => {
      assert.deepEqual(
        [50, 50.5, "100", "50.0", " 7 ", "42%", "", "n/a", null, Number.NaN, undefined].map(parseProgress),
        [50, 50.5, 100, 50, 7, 42, undefined, undefined, undefined, undefined, undefined],
      );
    });

    it("parses the real v1 task shape (string progress)", () => {
      const task = {
        action_uid: "8fc3",
        creation_time: "1760400087",
        name: "retry_bdb",
        node_uid: "1",
        progress: "100",
        status: "completed",
        task_id: "8fc3",
      };
      assert.deepEqual(parseAction(task), {
        actionUid: "8fc3",
        name: "retry_bdb",
        status: "completed",
        phase: "completed",
        progressPercent: 100,
        step: undefined,
        errorCode: undefined,
        errorMessage: undefined,
        heartbeatSeconds: undefined,
      });
    });

    it("parses a state machine in progress and a failed one", () => {
      const running = { action_uid: "04d7", heartbeat: 1703067908, name: "SMUpdateBDB", object_name: "bdb:1", pending_ops: {}, progress: 50.0, state: "proxy_policy", status: "active" };
      assert.deepEqual(parseAction(running), {
        actionUid: "04d7",
        name: "SMUpdateBDB",
        status: "active",
        phase: "in-progress",
        progressPercent: 50,
        step: "proxy_policy",
        errorCode: undefined,
        errorMessage: undefined,
        heartbeatSeconds: 1703067908,
      });
      assert.equal(describeAction(parseAction(running)), "SMUpdateBDB active (proxy_policy, 50%)");
      const failed = parseAction({ action_uid: "x", name: "SMCreateBDB", status: "failed", error: "not enough memory" });
      assert.equal(failed.phase, "failed");
      assert.equal(failed.errorMessage, "not enough memory");
    });

    it("parses task failures, aborts, cancels and v2 errors", () => {
      const task = parseAction({ task_id: "t1", name: "retry_bdb", status: "failed", error_code: "insufficient_resources", error_message: "no room" });
      assert.deepEqual([task.actionUid, task.phase, task.errorCode, task.errorMessage], ["t1", "failed", "insufficient_resources", "no room"]);
      assert.deepEqual(
        ["queued", "starting", "running", "cancelling", "pending", "aborted", "cancelled", "completed"].map((status) => parseAction({ status }).phase),
        ["in-progress", "in-progress", "in-progress", "in-progress", "in-progress", "failed", "failed", "completed"],
      );
      const v2 = parseAction({ action_uid: "v", action_type: "state-machine", status: "failed", progress: 10.5, additional_info: { error: "shard placement failed" } });
      assert.deepEqual([v2.phase, v2.progressPercent, v2.errorMessage], ["failed", 10.5, "shard placement failed"]);
    });

    it("never throws on odd shapes", () => {
      assert.deepEqual(parseAction(null), {
        actionUid: undefined,
        name: undefined,
        status: "unknown",
        phase: "in-progress",
        progressPercent: undefined,
        step: undefined,
        errorCode: undefined,
        errorMessage: undefined,
        heartbeatSeconds: undefined,
      });
      assert.equal(describeAction(parseAction(["x"])), "action unknown");
    });

    it("finds the newest state machine of a database by heartbeat, else the last listed", () => {
      assert.equal(newestActionIn({ not: "an array" }), undefined);
      assert.equal(newestActionIn([]), undefined);
      assert.equal(
        newestActionIn([
          { name: "SMDeleteBDB", status: "failed", heartbeat: 300 },
          { name: "SMUpdateBDB", status: "completed", heartbeat: 200 },
        ])?.name,
        "SMDeleteBDB",
      );
      assert.equal(newestActionIn([{ name: "SMCreateBDB", status: "completed" }, { name: "SMUpdateBDB", status: "completed" }])?.name, "SMUpdateBDB");
    });

    it("finds the last failed state machine of a database", () => {
      assert.equal(failedActionIn({ not: "an array" }), undefined);
      assert.equal(failedActionIn([{ status: "completed" }]), undefined);
      assert.equal(
        failedActionIn([
          { name: "SMCreateBDB", status: "failed", error: "first" },
          { name: "SMUpdateBDB", status: "completed" },
          { name: "SMCreateBDB", status: "failed", error: "second" },
        ])?.errorMessage,
        "second",
      );
    });
  });

  describe("fingerprints", () => {
    const hex = "5b5d769afc3915a123b42b1b4627d3151f97b57dd02db558c1553a44e03b3af5";
    it("normalises colons, spaces and case", () => {
      const colons = hex.toUpperCase().match(/../g)!.join(":");
      assert.equal(normalizeFingerprint(colons), hex);
      assert.equal(normalizeFingerprint(` ${hex} `), hex);
    });
    it("refuses anything but 64 hex digits", () => {
      assert.deepEqual([hex.slice(1), `${hex}00`, hex.replace("5", "g"), ""].map(normalizeFingerprint), [undefined, undefined, undefined, undefined]);
    });
  });

  describe("poll intervals", () => {
    it("double from the initial interval up to the cap", () => {
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6, 7].map((poll) => pollIntervalMs(poll, 200, 5_000)),
        [200, 400, 800, 1_600, 3_200, 5_000, 5_000],
      );
    });
  });
});
