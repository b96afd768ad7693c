// What RsClient puts on the wire and how it reads answers, against a real local server.
import assert from "node:assert/strict";
import { RsClient, type Connection } from "../../provider/rest";
import { captureStderr, quietly, sendJson, startServer, type TestServer } from "./support/servers";
import { DISTINCTIVE_PASSWORD, USERNAME, basicToken } from "./support/secrets";

describe("RsClient requests and answers", () => {
  let server: TestServer;
  const clients: RsClient[] = [];

  before(async () => {
    server = await startServer((request, response) => {
      const path = request.url.split("?")[0];
      if (path.endsWith("/v1/bdbs/1") && request.method === "GET") {
        return sendJson(response, 200, { uid: 1, name: "db1" }, { "cluster-state-id": "42" });
      }
      if (path === "/v1/bdbs" && request.method === "GET") return sendJson(response, 200, [{ uid: 1 }, { uid: 2 }]);
      if (path === "/v1/nodes/1") return sendJson(response, 200);
      if (path === "/v1/cluster/certificates/rotate") {
        response.writeHead(200, { "content-type": "text/plain" });
        return response.end("rotation started");
      }
      if (path === "/v1/bdbs/404") return sendJson(response, 404, { error_code: "db_not_exist", description: "no such database" });
      if (path === "/v1/bdbs/404-text") {
        response.writeHead(404);
        return response.end("not here");
      }
      return sendJson(response, 200, { echoed: true });
    });
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
  });

  function client(extra: Partial<Connection> = {}): RsClient {
    const made = quietly(() => new RsClient({ url: server.url, username: USERNAME, password: DISTINCTIVE_PASSWORD, ...extra }));
    clients.push(made);
    return made;
  }

  function last() {
    return server.requests[server.requests.length - 1];
  }

  it("sends Basic auth and Accept on a GET, no Content-Type, and parses the JSON answer", async () => {
    assert.deepEqual(await client().get("/v1/bdbs"), [{ uid: 1 }, { uid: 2 }]);
    const sent = last();
    assert.equal(sent.method, "GET");
    assert.equal(sent.headers.authorization, `Basic ${basicToken(USERNAME, DISTINCTIVE_PASSWORD)}`);
    assert.equal(sent.headers.accept, "application/json");
    assert.equal(sent.headers["content-type"], undefined);
    assert.equal(sent.body, "");
  });

  it("sends JSON bodies with Content-Type on PUT and POST, and Content-Type on a POST without body", async () => {
    const made = client();
    await made.put("/v1/bdbs/1", { memory_size: 1073741824, data_internode_encryption: true });
    assert.equal(last().headers["content-type"], "application/json");
    assert.equal(last().body, '{"memory_size":1073741824,"data_internode_encryption":true}');
    await made.post("/v1/bdbs/1/actions/recover");
    assert.equal(last().method, "POST");
    assert.equal(last().headers["content-type"], "application/json");
    assert.equal(last().body, "");
  });

  it("encodes query parameters and passes extra headers", async () => {
    await client().get("/v1/bdbs", { query: { fields: "uid,status", extended: true, limit: 5 }, headers: { "cluster-state-id": "42" } });
    assert.equal(last().url, "/v1/bdbs?fields=uid%2Cstatus&extended=true&limit=5");
    assert.equal(last().headers["cluster-state-id"], "42");
  });

  it("prefixes a base path given in the URL", async () => {
    const behindProxy = client({ url: `${server.url}/rs-api/` });
    assert.equal(behindProxy.url, `${server.url}/rs-api`);
    assert.deepEqual(await behindProxy.get("/v1/bdbs/1"), { uid: 1, name: "db1" });
    assert.equal(last().url, "/rs-api/v1/bdbs/1");
  });

  it("returns status, lower-case headers and body from request()", async () => {
    const response = await client().request<{ uid: number }>("GET", "/v1/bdbs/1");
    assert.equal(response.status, 200);
    assert.equal(response.headers["cluster-state-id"], "42");
    assert.equal(response.headers["content-type"], "application/json");
    assert.deepEqual(response.body, { uid: 1, name: "db1" });
  });

  it("returns undefined for an empty answer, and ignores the body with expectEmpty", async () => {
    assert.equal(await client().put("/v1/nodes/1", { addr: "10.0.0.1" }), undefined);
    assert.equal(await client().post("/v1/cluster/certificates/rotate", undefined, { expectEmpty: true }), undefined);
  });

  it("returns accepted error statuses instead of throwing", async () => {
    const made = client();
    const missing = await made.request("GET", "/v1/bdbs/404", { acceptStatuses: [404] });
    assert.deepEqual(missing, {
      status: 404,
      headers: missing.headers,
      body: { error_code: "db_not_exist", description: "no such database" },
    });
    const text = await made.request("GET", "/v1/bdbs/404-text", { acceptStatuses: [404] });
    assert.equal(text.status, 404);
    assert.equal(text.body, undefined);
  });

  it("refuses calls after close() and paths without a leading slash", async () => {
    const made = client();
    await assert.rejects(made.get("v1/bdbs"), { name: "TypeError", message: 'request path must start with "/"; got "v1/bdbs"' });
    await assert.rejects(made.get("/v1/bdbs", { timeoutMs: 0 }), {
      name: "RangeError",
      message: "timeoutMs must be a positive number of milliseconds; got 0",
    });
    await made.close();
    await made.close();
    await assert.rejects(made.get("/v1/bdbs"), { message: `RsClient for ${server.url} is closed; create a new RsClient` });
  });

  it("warns on stderr, every time, that plain HTTP sends the password unencrypted", () => {
    const events: string[] = [];
    const line = `WARNING: ${server.url} is plain HTTP: the password and every answer travel unencrypted; use the https:// API port (9443 by default)`;
    for (let round = 0; round < 2; round++) {
      const { result, stderr } = captureStderr(
        () => new RsClient({ url: server.url, username: USERNAME, password: DISTINCTIVE_PASSWORD }, { onEvent: (event) => events.push(event) }),
      );
      clients.push(result);
      assert.equal(stderr, `${line}\n`);
    }
    assert.deepEqual(events, [line, line]);
  });

  describe("connection validation", () => {
    const base: Connection = { url: "https://10.0.0.1:9443", username: USERNAME, password: DISTINCTIVE_PASSWORD };
    const cases: Array<[string, Partial<Connection>, string]> = [
      ["a URL without scheme", { url: "node1.example.com:9443" }, 'connection.url must start with https:// (or http://); its scheme is "node1.example.com:"'],
      ["a URL that is not one", { url: "not a url" }, "connection.url is not a valid URL; expected e.g. https://node1.example.com:9443"],
      ["another scheme", { url: "ftp://10.0.0.1" }, 'connection.url must start with https:// (or http://); its scheme is "ftp:"'],
      [
        "credentials in the URL",
        { url: `https://admin:${DISTINCTIVE_PASSWORD}@10.0.0.1:9443` },
        "connection.url must not embed credentials; set connection.username and connection.password",
      ],
      ["an empty username", { username: "" }, "connection.username is required (a non-empty string)"],
      ["an empty password", { password: "" }, "connection.password is required (a non-empty string)"],
      [
        "a short fingerprint",
        { caFingerprintSha256: "AB:CD" },
        "connection.caFingerprintSha256 must be a SHA-256 fingerprint: 64 hex digits, colons optional",
      ],
      [
        "a CA that is not PEM",
        { caCertPem: "MIIB..." },
        "connection.caCertPem must be PEM (-----BEGIN CERTIFICATE-----): the CA of the cluster's API certificate",
      ],
    ];
    for (const [what, change, message] of cases) {
      it(`rejects ${what}`, () => {
        assert.throws(() => new RsClient({ ...base, ...change }), (error: unknown) => {
          assert.ok(error instanceof TypeError);
          assert.equal(error.message, message);
          assert.ok(!error.message.includes(DISTINCTIVE_PASSWORD));
          return true;
        });
      });
    }

    it("rejects a retry policy or timeout that makes no sense", () => {
      assert.throws(() => new RsClient(base, { retry: { initialDelayMs: 10_000 } }), {
        name: "RangeError",
        message: "retry.initialDelayMs (10000) must not exceed retry.maxDelayMs (5000)",
      });
      assert.throws(() => new RsClient(base, { requestTimeoutMs: 0 }), {
        name: "RangeError",
        message: "requestTimeoutMs must be a positive number of milliseconds; got 0",
      });
    });
  });
});
