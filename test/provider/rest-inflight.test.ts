// In-flight read sharing (provider/rest/inflight.ts): concurrent identical GETs of separate clients send one
// request; nothing is reused once it has settled; a failure reaches every caller; a GET never joins one sent
// before a write this process finished; different credentials, URLs or methods are never shared.
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { RsClient, isRsApiError } from "../../provider/rest";
import { shareKey } from "../../provider/rest/inflight";
import { quietly, sendJson, startServer, type TestServer } from "./support/servers";
import { DISTINCTIVE_PASSWORD, USERNAME, assertNoSecrets, basicToken } from "./support/secrets";

/** A server whose answers wait until the test releases them, so requests stay in flight as long as needed. */
async function heldServer(answer: (url: string, response: ServerResponse, index: number) => void) {
  let release: () => void = () => {};
  let held = new Promise<void>((resolve) => (release = resolve));
  const server = await startServer(async (request, response, { index }) => {
    await held;
    answer(request.url, response, index);
  });
  return {
    server,
    release: () => release(),
    /** Hold the answers again (for a second round). */
    hold: () => {
      held = new Promise<void>((resolve) => (release = resolve));
    },
  };
}

/** Lets every pending call reach the server (or join one in flight): a few turns of the event loop. */
async function settle(server: TestServer, atLeast: number): Promise<void> {
  for (let i = 0; i < 200 && server.requests.length < atLeast; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("RsClient in-flight read sharing", () => {
  const servers: TestServer[] = [];
  const clients: RsClient[] = [];

  function clientFor(server: TestServer, password = DISTINCTIVE_PASSWORD, events?: string[]): RsClient {
    const client = quietly(() => new RsClient({ url: server.url, username: USERNAME, password }, { onEvent: (line) => events?.push(line) }));
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it("sends one request for concurrent identical GETs of separate clients, and gives each caller its own copy", async () => {
    const held = await heldServer((_url, response) => sendJson(response, 200, { uid: 1, status: "active", tags: [] }));
    servers.push(held.server);
    const calls = Array.from({ length: 6 }, () => clientFor(held.server).get<{ uid: number; tags: string[] }>("/v1/bdbs/1"));
    await settle(held.server, 1);
    held.release();
    const bodies = await Promise.all(calls);
    assert.equal(held.server.requests.length, 1, "six concurrent GETs of one URL must reach the server once");
    for (const body of bodies) assert.deepEqual(body, { uid: 1, status: "active", tags: [] });
    bodies[0].tags.push("changed by one caller");
    assert.deepEqual(bodies[1].tags, [], "a caller's answer is its own object");
  });

  it("never reuses an answer after its request settled: the next GET goes to the server", async () => {
    const server = await startServer((_request, response, { index }) => sendJson(response, 200, { uid: 1, answer: index }));
    servers.push(server);
    const client = clientFor(server);
    const first = await client.get<{ answer: number }>("/v1/bdbs/1");
    const second = await clientFor(server).get<{ answer: number }>("/v1/bdbs/1");
    assert.equal(server.requests.length, 2);
    assert.deepEqual([first.answer, second.answer], [1, 2]);
  });

  it("gives the failure of the shared request to every caller", async () => {
    const held = await heldServer((_url, response) => sendJson(response, 500, { error_code: "internal_error", description: "shard lost" }));
    servers.push(held.server);
    const calls = Array.from({ length: 4 }, () =>
      clientFor(held.server)
        .get("/v1/bdbs", { retry: false })
        .then(
          () => assert.fail("expected the 500 to be thrown"),
          (error: unknown) => error,
        ),
    );
    await settle(held.server, 1);
    held.release();
    const errors = await Promise.all(calls);
    assert.equal(held.server.requests.length, 1);
    for (const error of errors) {
      assert.ok(isRsApiError(error) && error.status === 500 && error.errorCode === "internal_error", String(error));
      assertNoSecrets(error, [DISTINCTIVE_PASSWORD, basicToken(USERNAME, DISTINCTIVE_PASSWORD)]);
    }
  });

  it("shares neither across credentials, nor across URLs, nor for writes", async () => {
    const held = await heldServer((_url, response) => sendJson(response, 200, { ok: true }));
    servers.push(held.server);
    const calls = [
      clientFor(held.server).get("/v1/bdbs/1"),
      clientFor(held.server, "another-password").get("/v1/bdbs/1"),
      clientFor(held.server).get("/v1/bdbs/1", { query: { fields: "uid" } }),
      clientFor(held.server).get("/v1/bdbs/2"),
      clientFor(held.server).put("/v1/bdbs/3", { memory_size: 1 }),
      clientFor(held.server).put("/v1/bdbs/3", { memory_size: 1 }),
    ];
    await settle(held.server, 6);
    held.release();
    await Promise.all(calls);
    assert.equal(held.server.requests.length, 6);
  });

  it("does not let a GET join one that was sent before a write this process finished", async () => {
    // GET /v1/bdbs/1 is held; meanwhile a PUT is answered at once; a GET issued after the PUT must not get the
    // older GET's answer (it could predate the change).
    let releaseFirst: () => void = () => {};
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const server = await startServer(async (request, response, { index }) => {
      if (request.method === "GET" && index === 1) await firstHeld;
      sendJson(response, 200, { uid: 1, seen: index });
    });
    servers.push(server);
    const before = clientFor(server).get<{ seen: number }>("/v1/bdbs/1");
    await settle(server, 1);
    await clientFor(server).put("/v1/bdbs/1", { memory_size: 2 });
    const after = clientFor(server).get<{ seen: number }>("/v1/bdbs/1");
    await settle(server, 3);
    releaseFirst();
    const [old, fresh] = await Promise.all([before, after]);
    assert.equal(server.requests.length, 3);
    assert.equal(old.seen, 1);
    assert.equal(fresh.seen, 3, "the GET after the write was sent by itself, after the write");
  });

  it("keys a request by a hash of the credentials, never the credentials", () => {
    const authorization = `Basic ${basicToken(USERNAME, DISTINCTIVE_PASSWORD)}`;
    const key = shareKey("https://127.0.0.1:9443/v1/bdbs", authorization, { authorization, accept: "application/json" });
    assert.ok(!key.includes(DISTINCTIVE_PASSWORD) && !key.includes(basicToken(USERNAME, DISTINCTIVE_PASSWORD)), key);
    assert.notEqual(key, shareKey("https://127.0.0.1:9443/v1/bdbs", "Basic b3RoZXI=", { accept: "application/json" }));
  });
});
