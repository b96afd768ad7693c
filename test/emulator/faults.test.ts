// Fault injection: every kind of rule, through the HTTP admin API and in process.
import assert from "node:assert/strict";
import { type EmulatedCluster } from "../../emulator";
import { sleep, waitActive, waitFor, type TestClient, useCluster } from "./support/client";

const GiB = 1073741824;
const open = { auth: false as const };

describe("emulator: fault injection", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  useCluster({ operationDelayMs: 30 }, (started, client) => {
    cluster = started;
    api = client;
  });

  async function bdbNames(): Promise<string[]> {
    return (await api.get("/v1/bdbs?fields=name")).body.map((b: { name: string }) => b.name);
  }

  it("manages rules over HTTP: POST -> {id}, GET lists, DELETE one, DELETE all; a malformed rule is 400", async function () {
    const added = await api.post("/__emulator/faults", { method: "get", path: "^/v1/nodes$", status: 503, count: 3 }, open);
    assert.equal(added.status, 200);
    assert.equal(typeof added.body.id, "string");
    const second = await api.post("/__emulator/faults", { path: "^/v1/cluster$", latencyMs: 1 }, open);
    const listed = (await api.get("/__emulator/faults", open)).body;
    assert.deepEqual(listed.map((r: { id: string; method?: string; hits: number }) => [r.id, r.method, r.hits]), [
      [added.body.id, "GET", 0],
      [second.body.id, undefined, 0],
    ]);
    assert.equal((await api.delete(`/__emulator/faults/${added.body.id as string}`, open)).status, 200);
    assert.equal((await api.delete(`/__emulator/faults/${added.body.id as string}`, open)).status, 404);
    assert.equal((await api.get("/__emulator/faults", open)).body.length, 1);
    assert.equal((await api.delete("/__emulator/faults", open)).status, 200);
    assert.deepEqual((await api.get("/__emulator/faults", open)).body, []);
    for (const bad of [{}, { path: "(" }, { path: ".*" }, { path: ".*", status: 99 }, { path: ".*", probability: 2 }, { path: ".*", status: 500, drop: true }, { path: ".*", status: 500, colour: "red" }]) {
      const response = await api.post("/__emulator/faults", bad, open);
      assert.equal(response.status, 400, JSON.stringify(bad));
      assert.equal(response.body.error_code, "invalid_schema");
    }
  });

  it("status before: fails without applying; count 1 expires the rule", async function () {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", status: 503, count: 1 });
    const failed = await api.post("/v1/bdbs", { name: "first", memory_size: GiB });
    assert.equal(failed.status, 503);
    assert.deepEqual(failed.body, { error_code: "service_unavailable", description: "injected fault: 503 for POST /v1/bdbs" });
    assert.deepEqual(await bdbNames(), []);
    assert.equal((await api.post("/v1/bdbs", { name: "first", memory_size: GiB })).status, 200);
    assert.deepEqual(cluster.admin.faults(), []);
    const events = cluster.admin.events({ type: "fault" });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.effect, "status");
    assert.equal(events[0]!.path, "/v1/bdbs");
  });

  it("status after: applies the request, then answers the error (the create reached the server, the answer was lost)", async function () {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", status: 500, errorCode: "gateway_lost", description: "lost", phase: "after", count: 1 });
    const response = await api.post("/v1/bdbs", { name: "applied", memory_size: GiB });
    assert.equal(response.status, 500);
    assert.deepEqual(response.body, { error_code: "gateway_lost", description: "lost" });
    assert.deepEqual(await bdbNames(), ["applied"]);
  });

  it("drop before: the socket closes without an answer and nothing is applied; drop after: applied, no answer", async function () {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", drop: true, count: 1 });
    await assert.rejects(api.post("/v1/bdbs", { name: "dropped", memory_size: GiB }), (error: Error & { code?: string }) => {
      assert.match(String(error.code), /UND_ERR_SOCKET|ECONNRESET/);
      return true;
    });
    assert.deepEqual(await bdbNames(), []);
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", drop: true, phase: "after", count: 1 });
    await assert.rejects(api.post("/v1/bdbs", { name: "landed", memory_size: GiB }));
    assert.deepEqual(await bdbNames(), ["landed"]);
  });

  it("latency delays the answer by latencyMs", async function () {
    cluster.admin.addFault({ method: "GET", path: "^/v1/cluster$", latencyMs: 250 });
    const started = Date.now();
    const response = await api.get("/v1/cluster");
    const elapsed = Date.now() - started;
    assert.equal(response.status, 200);
    assert.ok(elapsed >= 245, `answered after ${elapsed} ms`);
    const quick = Date.now();
    await api.get("/v1/nodes");
    assert.ok(Date.now() - quick < 245, "other paths are not delayed");
  });

  it("busyMs: every matching request gets 409 busy for that long, then the rule expires", async function () {
    cluster.admin.addFault({ path: "^/v1/bdbs", busyMs: 300 });
    const first = await api.post("/v1/bdbs", { name: "later", memory_size: GiB });
    assert.equal(first.status, 409);
    assert.equal(first.body.error_code, "busy");
    assert.equal((await api.get("/v1/bdbs")).status, 409);
    assert.equal((await api.get("/v1/cluster")).status, 200, "other paths are not busy");
    await sleep(320);
    assert.equal((await api.post("/v1/bdbs", { name: "later", memory_size: GiB })).status, 200);
    assert.deepEqual(cluster.admin.faults(), []);
  });

  it("failAction on create: the database ends in creation-failed, its action failed, and it can be deleted", async function () {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", failAction: true, count: 1 });
    const created = await api.post("/v1/bdbs", { name: "broken", memory_size: GiB });
    assert.equal(created.status, 200);
    assert.equal(created.body.status, "pending");
    const failed = await waitFor("creation-failed", async () => {
      const body = (await api.get("/v1/bdbs/1")).body;
      return body.status === "creation-failed" ? body : undefined;
    });
    assert.equal("action_uid" in failed, false);
    const action = (await api.get(`/v1/actions/${created.body.action_uid as string}`)).body;
    assert.equal(action.status, "failed");
    assert.equal(action.error, "injected fault: the create action failed");
    const v2 = (await api.get(`/v2/actions/${created.body.action_uid as string}`)).body;
    assert.equal(v2.status, "failed");
    assert.equal(v2.additional_info.error, "injected fault: the create action failed");
    assert.equal((await api.delete("/v1/bdbs/1")).status, 200);
    await waitFor("gone", async () => ((await api.get("/v1/bdbs/1")).status === 404 ? true : undefined));
  });

  it("failAction on update: the action fails and the database keeps its previous configuration", async function () {
    await api.post("/v1/bdbs", { name: "steady", memory_size: GiB });
    const before = await waitActive(api, 1);
    cluster.admin.addFault({ method: "PUT", path: "^/v1/bdbs/1$", failAction: true, count: 1 });
    const updated = await api.put("/v1/bdbs/1", { memory_size: 2 * GiB, data_internode_encryption: true });
    assert.equal(updated.body.memory_size, 2 * GiB);
    const settled = await waitActive(api, 1);
    assert.equal(settled.memory_size, GiB);
    assert.equal(settled.data_internode_encryption, false);
    assert.deepEqual(settled, { ...before, last_changed_time: settled.last_changed_time });
    assert.equal((await api.get(`/v1/actions/${updated.body.action_uid as string}`)).body.status, "failed");
    assert.deepEqual(cluster.admin.events({ type: "proxy_restart" }), [], "a failed change restarts nothing");
  });

  it("count N: exactly N matches, then the rule is gone", async function () {
    cluster.admin.addFault({ method: "GET", path: "^/v1/nodes$", status: 500, count: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await api.get("/v1/nodes")).status);
    assert.deepEqual(statuses, [500, 500, 200, 200]);
  });

  it("probability 0 never applies (and uses no count), probability 1 always applies", async function () {
    const never = cluster.admin.addFault({ path: "^/v1/nodes$", status: 500, probability: 0, count: 1 });
    for (let i = 0; i < 5; i += 1) assert.equal((await api.get("/v1/nodes")).status, 200);
    assert.deepEqual(cluster.admin.faults().map((r) => [r.id, r.hits]), [[never.id, 0]]);
    cluster.admin.clearFaults();
    cluster.admin.addFault({ path: "^/v1/nodes$", status: 502, probability: 1 });
    for (let i = 0; i < 5; i += 1) assert.equal((await api.get("/v1/nodes")).status, 502);
  });

  it("never touches the test-control API itself", async function () {
    cluster.admin.addFault({ path: ".*", status: 500 });
    assert.equal((await api.get("/__emulator/clock", open)).status, 200);
    assert.equal((await api.get("/v1/cluster")).status, 500);
  });
});
