// The HTTP layer: authentication and roles, headers, routing errors, bad input of every kind (state unchanged
// and the server still answering), cluster-state-id, every node answering, plain HTTP.
import assert from "node:assert/strict";
import { type EmulatedCluster } from "../../emulator";
import { clientFor, waitActive, type TestClient, useCluster } from "./support/client";

const GiB = 1073741824;

describe("emulator: HTTP layer", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  useCluster({ operationDelayMs: 10, username: "admin@example.com", password: "s3cret-Pass" }, (started, client) => {
    cluster = started;
    api = client;
  });

  async function snapshot(): Promise<{ bdbs: unknown; cluster: unknown; stateId: unknown }> {
    const bdbs = await api.get("/v1/bdbs");
    const clusterObject = await api.get("/v1/cluster");
    return { bdbs: bdbs.body, cluster: clusterObject.body, stateId: clusterObject.headers["cluster-state-id"] };
  }

  it("answers 401 without or with wrong credentials, with a Basic challenge and no secret in the body", async function () {
    const none = await api.get("/v1/cluster", { auth: false });
    assert.equal(none.status, 401);
    assert.equal(none.body.error_code, "unauthorized");
    assert.match(String(none.headers["www-authenticate"]), /^Basic realm=/);
    const wrong = await api.get("/v1/cluster", { auth: { username: "admin@example.com", password: "guess" } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text.includes("guess"), false);
    const unknown = await api.get("/v1/bdbs", { auth: { username: "nobody", password: "s3cret-Pass" } });
    assert.equal(unknown.status, 401);
    assert.equal((await api.get("/v1/cluster")).status, 200);
  });

  it("answers 403 when the role lacks the permission (db_viewer reads only; cluster_member writes bdbs, not the cluster)", async function () {
    cluster.admin.addUser({ username: "viewer", password: "view-only", role: "db_viewer" });
    cluster.admin.addUser({ username: "member", password: "member-pw", role: "cluster_member" });
    const viewer = { auth: { username: "viewer", password: "view-only" } };
    const member = { auth: { username: "member", password: "member-pw" } };
    assert.equal((await api.get("/v1/bdbs", viewer)).status, 200);
    assert.equal((await api.get("/v1/cluster", viewer)).status, 200);
    const create = await api.post("/v1/bdbs", { name: "v", memory_size: GiB }, viewer);
    assert.equal(create.status, 403);
    assert.equal(create.body.error_code, "insufficient_permissions");
    assert.match(create.body.description, /role db_viewer.*create_bdb/);
    assert.equal((await api.put("/v1/cluster", { email_alerts: true }, viewer)).status, 403);
    assert.equal((await api.post("/v1/cluster/certificates/rotate", undefined, viewer)).status, 403);
    assert.equal((await api.post("/v1/bdbs", { name: "m", memory_size: GiB }, member)).status, 200);
    assert.equal((await api.put("/v1/cluster/policy", { resp3_default: false }, member)).status, 403);
    assert.equal((await api.get("/v1/bdbs")).body.length, 1);
  });

  it("requires Content-Type: application/json on a PUT/POST body (400 invalid_content_type), state unchanged", async function () {
    const before = await snapshot();
    const missing = await api.request("POST", "/v1/bdbs", { rawBody: JSON.stringify({ name: "x", memory_size: GiB }), contentType: null });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error_code, "invalid_content_type");
    const text = await api.request("PUT", "/v1/cluster", { rawBody: "{}", contentType: "text/plain" });
    assert.equal(text.status, 400);
    assert.equal(text.body.error_code, "invalid_content_type");
    const withCharset = await api.request("PUT", "/v1/cluster", { rawBody: "{}", contentType: "application/json; charset=utf-8" });
    assert.equal(withCharset.status, 200);
    const after = await snapshot();
    assert.deepEqual(after.bdbs, before.bdbs);
  });

  it("refuses malformed JSON with 400 invalid_json and keeps answering", async function () {
    const before = await snapshot();
    for (const raw of ["{", "{\"name\": \"x\",}", "nul", "{\"a\":1}}"]) {
      const response = await api.request("POST", "/v1/bdbs", { rawBody: raw });
      assert.equal(response.status, 400, raw);
      assert.deepEqual(response.body, { error_code: "invalid_json", description: "POST /v1/bdbs: the body is not valid JSON" });
    }
    assert.deepEqual(await snapshot(), before);
  });

  it("refuses non-object bodies, wrong types and unknown fields on every write endpoint, state unchanged", async function () {
    await api.post("/v1/bdbs", { name: "keep", memory_size: GiB });
    await waitActive(api, 1);
    const before = await snapshot();
    const cases: Array<[string, string, unknown, number, string]> = [
      ["POST", "/v1/bdbs", [1, 2], 400, "invalid_schema"],
      ["POST", "/v1/bdbs", "db", 400, "invalid_schema"],
      ["PUT", "/v1/bdbs/1", { memory_size: true }, 400, "invalid_schema"],
      ["PUT", "/v1/bdbs/1", { memroy_size: 1 }, 400, "invalid_schema"],
      ["PUT", "/v1/bdbs/1", null, 400, "invalid_schema"],
      ["PUT", "/v1/cluster", { email_alerts: "yes" }, 400, "invalid_schema"],
      ["PUT", "/v1/cluster", { no_such_setting: 1 }, 400, "invalid_schema"],
      ["PUT", "/v1/cluster/policy", { data_internode_encryption: "true" }, 400, "invalid_schema"],
      ["PUT", "/v1/nodes/1", { max_listeners: "many" }, 400, "invalid_schema"],
      ["PUT", "/v1/job_scheduler", { cert_rotation_job_settings: { enabled: 1 } }, 400, "invalid_schema"],
      ["PUT", "/v1/cluster/certificates", { certificates: "all" }, 400, "invalid_schema"],
      ["POST", "/v1/cluster/certificates/rotate", { name: 7 }, 400, "invalid_schema"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await api.request(method, path, { rawBody: JSON.stringify(body) });
      assert.equal(response.status, status, `${method} ${path} ${JSON.stringify(body)}: ${response.text}`);
      assert.equal(response.body.error_code, code, `${method} ${path}`);
    }
    // Keys that name inherited members of JavaScript objects are unknown fields like any other.
    const inherited: Array<[string, string, string]> = [
      ["PUT", "/v1/job_scheduler", '{"__proto__": {"enabled": true}}'],
      ["PUT", "/v1/job_scheduler", '{"constructor": {}}'],
      ["PUT", "/v1/nodes/1", '{"constructor": 1}'],
      ["PUT", "/v1/nodes/1", '{"toString": "x"}'],
      ["PUT", "/v1/cluster", '{"alert_settings": {"__proto__": {"enabled": true}}}'],
      ["PUT", "/v1/bdbs/1", '{"__proto__": {"memory_size": 1}}'],
      ["POST", "/v1/bdbs", '{"name": "p", "memory_size": 1, "hasOwnProperty": 1}'],
    ];
    for (const [method, path, raw] of inherited) {
      const response = await api.request(method, path, { rawBody: raw });
      assert.equal(response.status, 400, `${method} ${path} ${raw}: ${response.text}`);
      assert.equal(response.body.error_code, "invalid_schema");
    }
    assert.deepEqual(await snapshot(), before);
  });

  it("refuses a body over 1 MiB with 413 request_too_large, state unchanged, server still answering", async function () {
    const before = await snapshot();
    const huge = JSON.stringify({ name: "big", memory_size: GiB, authentication_redis_pass: "x".repeat(1024 * 1024) });
    const response = await api.request("POST", "/v1/bdbs", { rawBody: huge });
    assert.equal(response.status, 413);
    assert.equal(response.body.error_code, "request_too_large");
    assert.deepEqual(await snapshot(), before);
    const justUnder = JSON.stringify({ name: "big", memory_size: GiB, authentication_redis_pass: "x".repeat(1000 * 1000) });
    assert.equal((await api.request("POST", "/v1/bdbs", { rawBody: justUnder })).status, 200);
  });

  it("answers 404 not_found for unknown paths and 405 with Allow for a wrong method", async function () {
    const unknown = await api.get("/v1/no_such_thing");
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { error_code: "not_found", description: "no such endpoint: GET /v1/no_such_thing" });
    const wrongMethod = await api.request("PATCH", "/v1/bdbs", { body: {} });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.body.error_code, "method_not_allowed");
    assert.equal(wrongMethod.headers.allow, "GET, POST");
    const rotatePut = await api.put("/v1/cluster/certificates/rotate", {});
    assert.equal(rotatePut.status, 405);
    assert.equal(String(rotatePut.headers.allow).split(", ").includes("POST"), true);
    assert.equal((await api.get("/v1/bdbs/")).status, 200, "a trailing slash is ignored");
  });

  it("raises cluster-state-id on every successful write, not on reads or refused writes", async function () {
    const id = async (): Promise<number> => Number((await api.get("/v1/cluster")).headers["cluster-state-id"]);
    const start = await id();
    assert.equal(await id(), start);
    const refused = await api.put("/v1/cluster", { name: "renamed.local" });
    assert.equal(refused.status, 400);
    assert.equal(Number(refused.headers["cluster-state-id"]), start);
    const put = await api.put("/v1/cluster", { email_alerts: true });
    assert.equal(Number(put.headers["cluster-state-id"]), start + 1);
    await api.put("/v1/cluster/policy", { resp3_default: false });
    assert.equal(await id(), start + 2);
  });

  it("serves the whole API on every node, over HTTPS and plain HTTP", async function () {
    await api.post("/v1/bdbs", { name: "shared", memory_size: GiB });
    for (const node of [1, 2]) {
      const secure = clientFor(cluster, { node });
      const plain = clientFor(cluster, { node, plain: true });
      try {
        assert.deepEqual((await secure.get("/v1/bdbs?fields=name")).body, [{ name: "shared" }]);
        assert.deepEqual((await plain.get("/v1/bdbs?fields=name")).body, [{ name: "shared" }]);
        assert.equal((await plain.get("/v1/bootstrap")).body.local_node_info.uid, String(node + 1));
      } finally {
        await secure.close();
        await plain.close();
      }
    }
  });

  it("a node that is down answers 503 node_down; the others keep answering", async function () {
    cluster.admin.setNode(2, { status: "down" });
    const nodeTwo = clientFor(cluster, { node: 1 });
    try {
      const down = await nodeTwo.get("/v1/cluster");
      assert.equal(down.status, 503);
      assert.equal(down.body.error_code, "node_down");
      const nodes = (await api.get("/v1/nodes")).body.map((n: { uid: number; status: string }) => `${n.uid}:${n.status}`);
      assert.deepEqual(nodes, ["1:active", "2:down", "3:active"]);
      assert.equal((await api.get("/v1/nodes/status")).body["2"].node_status, "down");
    } finally {
      await nodeTwo.close();
    }
  });

  it("with http_support false, plain HTTP is refused (403 http_disabled) and HTTPS keeps working", async function () {
    assert.equal((await api.put("/v1/cluster", { http_support: false })).status, 200);
    const plain = clientFor(cluster, { plain: true });
    try {
      const refused = await plain.get("/v1/cluster");
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error_code, "http_disabled");
      assert.equal((await api.get("/v1/cluster")).status, 200);
    } finally {
      await plain.close();
    }
  });
});
