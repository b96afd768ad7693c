// The error classes of the REST layer: messages, fields, description fallbacks, instanceof across duplicate module
// copies, and that no rendering of any error (or of the client) ever contains the password.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import {
  RsApiError,
  RsClient,
  RsConnectionError,
  RsError,
  RsOperationError,
  RsTimeoutError,
  RsTlsError,
  TLS_TRUST_ADVICE,
  isRsApiError,
  isRsApiStatus,
  isRsConnectionError,
  isRsError,
  isRsOperationError,
  isRsTimeoutError,
  isRsTlsError,
  redactSecrets,
} from "../../provider/rest";
import { closedPort, quietly, sendJson, startServer, type TestServer } from "./support/servers";
import { DISTINCTIVE_PASSWORD, USERNAME, assertNoSecrets, basicToken } from "./support/secrets";

const TOKEN = basicToken(USERNAME, DISTINCTIVE_PASSWORD);
const SECRETS = [DISTINCTIVE_PASSWORD, TOKEN];

function sampleErrors(): RsError[] {
  return [
    new RsApiError({ method: "POST", path: "/v1/bdbs", status: 406, errorCode: "port_unavailable", description: "port 12000 is in use" }),
    new RsConnectionError({
      method: "GET",
      path: "/v1/bdbs/7",
      origin: "https://10.0.0.1:9443",
      causeCode: "ECONNREFUSED",
      causeMessage: "connect ECONNREFUSED 10.0.0.1:9443",
      mayHaveReachedServer: false,
    }),
    new RsTlsError({
      method: "GET",
      path: "/v1/cluster",
      origin: "https://10.0.0.1:9443",
      causeCode: "SELF_SIGNED_CERT_IN_CHAIN",
      reason: "self-signed certificate in certificate chain",
    }),
    new RsTimeoutError({ description: "database 7 to become active", waitedMs: 12_345, lastObserved: "status pending", objectId: "7" }),
    new RsOperationError({
      operation: "SMCreateBDB",
      objectId: "7",
      objectLabel: "database 7",
      actionUid: "a1b2",
      errorCode: "insufficient_resources",
      serverMessage: "not enough memory",
    }),
  ];
}

describe("REST errors", () => {
  describe("messages and fields", () => {
    it("RsApiError: 'METHOD path: status error_code: description', error_code omitted when absent", () => {
      const withCode = new RsApiError({
        method: "POST",
        path: "/v1/bdbs",
        status: 406,
        errorCode: "port_unavailable",
        description: "port 12000 is in use",
      });
      assert.equal(withCode.message, "POST /v1/bdbs: 406 port_unavailable: port 12000 is in use");
      assert.equal(withCode.code, "RS_API_ERROR");
      assert.equal(withCode.name, "RsApiError");
      assert.equal(withCode.status, 406);
      assert.equal(withCode.errorCode, "port_unavailable");
      assert.equal(withCode.description, "port 12000 is in use");
      assert.equal(withCode.attempts, 1);
      const without = new RsApiError({ method: "GET", path: "/v1/bdbs/7", status: 404, description: "Not Found" });
      assert.equal(without.message, "GET /v1/bdbs/7: 404: Not Found");
      assert.equal(without.errorCode, undefined);
      assert.ok(without.stack?.startsWith("RsApiError: GET /v1/bdbs/7: 404: Not Found\n"));
    });

    it("RsConnectionError says whether the request may have reached the cluster", () => {
      const [, refused] = sampleErrors();
      assert.equal(
        refused.message,
        "GET /v1/bdbs/7: no answer from https://10.0.0.1:9443 (ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:9443); " +
          "the request was not sent. Check that the cluster's REST API is reachable at that address and port",
      );
      const reset = new RsConnectionError({
        method: "POST",
        path: "/v1/bdbs",
        origin: "https://10.0.0.1:9443",
        causeCode: "UND_ERR_SOCKET",
        causeMessage: "other side closed",
        mayHaveReachedServer: true,
        attempts: 1,
      });
      assert.match(reset.message, /\(UND_ERR_SOCKET: other side closed\); the request may have reached the cluster: check whether it took effect before sending it again\. Check that/);
      assert.equal(reset.code, "RS_CONNECTION_ERROR");
      assert.equal(reset.mayHaveReachedServer, true);
    });

    it("RsTlsError ends with what to do", () => {
      const [, , tls] = sampleErrors();
      assert.equal(
        tls.message,
        "GET /v1/cluster: TLS verification of https://10.0.0.1:9443 failed (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate " +
          "in certificate chain); provide connection.caCertPem (the cluster's CA certificate) or connection.caFingerprintSha256, " +
          "or set connection.insecureSkipVerify: true to skip verification (not recommended)",
      );
      assert.ok(tls.message.endsWith(TLS_TRUST_ADVICE));
    });

    it("RsTimeoutError carries what was awaited, the time, the last state and the object id", () => {
      const [, , , timeout] = sampleErrors();
      assert.equal(
        timeout.message,
        "timed out after 12.3 s waiting for database 7 to become active (last observed: status pending); object id 7; " +
          "it may still complete on the cluster: look at it again (pulumi refresh) before retrying, or allow more time",
      );
      assert.ok(isRsTimeoutError(timeout));
      assert.equal(timeout.objectId, "7");
      assert.equal(timeout.waitedMs, 12_345);
      assert.equal(timeout.lastObserved, "status pending");
      const blind = new RsTimeoutError({ description: "the cluster to answer", waitedMs: 500 });
      assert.match(blind.message, /^timed out after 0\.5 s waiting for the cluster to answer \(nothing observed yet\); it may/);
    });

    it("RsOperationError names the object, the action and the server's words", () => {
      const [, , , , operation] = sampleErrors();
      assert.equal(operation.message, "database 7: SMCreateBDB failed (action a1b2): insufficient_resources: not enough memory");
      const bare = new RsOperationError({ operation: "database creation", objectId: "9", advice: "Delete it first" });
      assert.equal(bare.message, "object 9: database creation failed: the cluster gave no reason. Delete it first");
    });
  });

  describe("instanceof and predicates", () => {
    it("each class and predicate recognises its own errors only", () => {
      const [api, connection, tls, timeout, operation] = sampleErrors();
      const predicates = [isRsApiError, isRsConnectionError, isRsTlsError, isRsTimeoutError, isRsOperationError];
      const classes = [RsApiError, RsConnectionError, RsTlsError, RsTimeoutError, RsOperationError];
      const errors = [api, connection, tls, timeout, operation];
      errors.forEach((error, row) => {
        assert.ok(error instanceof RsError && error instanceof Error && isRsError(error));
        predicates.forEach((predicate, column) => assert.equal(predicate(error), row === column, `${error.name} vs ${predicate.name}`));
        classes.forEach((cls, column) => assert.equal(error instanceof cls, row === column, `${error.name} instanceof ${cls.name}`));
      });
      const lookalike = Object.assign(new Error("GET /x: 404: no"), { code: "RS_API_ERROR", status: 404 });
      assert.equal(isRsApiError(lookalike), false, "a plain error with the same code is not one of ours");
      assert.equal(isRsError(undefined), false);
      assert.equal(isRsError("RS_API_ERROR"), false);
      assert.equal(isRsApiStatus(api, 406), true);
      assert.equal(isRsApiStatus(api, 406, "port_unavailable"), true);
      assert.equal(isRsApiStatus(api, 406, "busy"), false);
      assert.equal(isRsApiStatus(api, 404), false);
    });

    it("instanceof works across a second copy of the module", () => {
      const modulePath = require.resolve("../../provider/rest/errors");
      const original = require.cache[modulePath];
      delete require.cache[modulePath];
      let copy: typeof import("../../provider/rest/errors");
      try {
        copy = require(modulePath) as typeof import("../../provider/rest/errors");
      } finally {
        if (original) require.cache[modulePath] = original;
      }
      assert.notEqual(copy.RsApiError, RsApiError, "the test needs a distinct copy");
      const foreign = new copy.RsApiError({ method: "GET", path: "/v1/bdbs/1", status: 409, errorCode: "busy", description: "busy" });
      assert.ok(foreign instanceof RsApiError);
      assert.ok(foreign instanceof RsError);
      assert.ok(!(foreign instanceof RsTlsError));
      assert.ok(isRsApiError(foreign));
      const local = new RsTimeoutError({ description: "x", waitedMs: 1 });
      assert.ok(local instanceof copy.RsTimeoutError);
      assert.ok(copy.isRsTimeoutError(local));
      assert.ok(!(local instanceof copy.RsOperationError));
    });
  });

  describe("redactSecrets", () => {
    it("replaces every occurrence, longest secret first", () => {
      assert.equal(redactSecrets("a pass and password here, password", ["pass", "password"]), "a [redacted] and [redacted] here, [redacted]");
      assert.equal(redactSecrets("nothing to hide", ["", "absent"]), "nothing to hide");
    });
  });

  describe("from a real server", () => {
    let server: TestServer;
    const clients: RsClient[] = [];

    before(async () => {
      server = await startServer((request, response) => {
        switch (request.url) {
          case "/v1/description":
            return sendJson(response, 406, { error_code: "invalid_version", description: "Reject bdb_create with incompatible version constraints" });
          case "/v1/message":
            return sendJson(response, 400, { error_code: "bad_request", message: "memory_size must be a number" });
          case "/v1/no-description":
            return sendJson(response, 409, { error_code: "busy" });
          case "/v1/html": {
            response.writeHead(502, { "content-type": "text/html" });
            return response.end("<html>\n  <body>upstream connect error or disconnect/reset before headers</body>\n</html>\n");
          }
          case "/v1/long":
            response.writeHead(500, { "content-type": "text/plain" });
            return response.end("x".repeat(1000));
          case "/v1/empty":
            return sendJson(response, 404);
          case "/v1/redirect":
            response.writeHead(307, { location: "https://172.17.0.9:9443/v1/redirect" });
            return response.end();
          case "/v1/not-json-ok":
            response.writeHead(200, { "content-type": "text/plain" });
            return response.end("OK");
          case "/v1/echo":
            // A server that echoes credentials back must not make them leak through the error.
            return sendJson(response, 401, {
              error_code: `bad_${DISTINCTIVE_PASSWORD}`,
              description: `rejected ${request.headers.authorization ?? ""} with password ${DISTINCTIVE_PASSWORD}`,
            });
          default:
            return sendJson(response, 404, { error_code: "not_found", description: `no route ${request.url}` });
        }
      });
    });

    after(async () => {
      await Promise.all(clients.map((client) => client.close()));
      await server.close();
    });

    function client(url = server.url): RsClient {
      const made = quietly(() => new RsClient({ url, username: USERNAME, password: DISTINCTIVE_PASSWORD }, { retry: { deadlineMs: 0 } }));
      clients.push(made);
      return made;
    }

    async function failure(path: string, url?: string): Promise<unknown> {
      return client(url)
        .get(path)
        .then(
          () => assert.fail(`expected GET ${path} to fail`),
          (caught: unknown) => caught,
        );
    }

    async function apiFailure(path: string): Promise<RsApiError> {
      const error = await failure(path);
      assert.ok(isRsApiError(error), String(error));
      assertNoSecrets(error, SECRETS);
      return error;
    }

    it("uses the server's description (real 406 shape)", async () => {
      const error = await apiFailure("/v1/description");
      assert.equal(error.message, "GET /v1/description: 406 invalid_version: Reject bdb_create with incompatible version constraints");
      assert.equal(error.origin, server.url);
    });

    it("falls back to message, then to the raw body, then to the reason phrase", async () => {
      assert.equal((await apiFailure("/v1/message")).message, "GET /v1/message: 400 bad_request: memory_size must be a number");
      assert.equal((await apiFailure("/v1/no-description")).description, '{"error_code":"busy"}');
      assert.equal(
        (await apiFailure("/v1/html")).message,
        "GET /v1/html: 502: <html> <body>upstream connect error or disconnect/reset before headers</body> </html>",
      );
      const long = await apiFailure("/v1/long");
      assert.equal(long.description, `${"x".repeat(299)}…`);
      assert.equal((await apiFailure("/v1/empty")).message, "GET /v1/empty: 404: Not Found");
    });

    it("does not follow a redirect (RS 6.2.4 sends non-master calls to an internal address) and says what to do", async () => {
      const error = await apiFailure("/v1/redirect");
      assert.equal(
        error.message,
        "GET /v1/redirect: 307: the API redirected to https://172.17.0.9:9443/v1/redirect: put the master node's address " +
          "in connection.url, or turn on the cluster setting handle_redirects so any node answers",
      );
    });

    it("refuses a 2xx answer that is not JSON", async () => {
      const error = await apiFailure("/v1/not-json-ok");
      assert.equal(error.message, "GET /v1/not-json-ok: 200: the answer is not JSON: OK");
    });

    it("redacts credentials a server echoes back", async () => {
      const error = await apiFailure("/v1/echo");
      assert.equal(error.errorCode, "bad_[redacted]");
      assert.equal(error.description, "rejected Basic [redacted] with password [redacted]");
    });

    it("keeps the password out of connection errors and of the client itself", async () => {
      const port = await closedPort();
      const error = await failure("/v1/bdbs", `http://127.0.0.1:${port}`);
      assert.ok(isRsConnectionError(error));
      assertNoSecrets(error, SECRETS);
      const made = client();
      for (const rendering of [inspect(made, { showHidden: true, depth: 5 }), JSON.stringify(made), String(made)]) {
        for (const secret of SECRETS) assert.ok(!rendering.includes(secret), rendering);
      }
      assert.equal(inspect(made), `RsClient { url: '${server.url}' }`);
    });

    it("keeps secrets out of every error class", () => {
      for (const error of sampleErrors()) assertNoSecrets(error, SECRETS);
    });
  });
});
