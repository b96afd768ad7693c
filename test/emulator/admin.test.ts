// The test-control API over HTTP (/__emulator/): clock, out-of-band edits, nodes, users, events, reset, state.
import assert from "node:assert/strict";
import { type EmulatedCluster } from "../../emulator";
import { waitActive, type TestClient, useCluster } from "./support/client";

const GiB = 1073741824;
const open = { auth: false as const };

describe("emulator: test controls (/__emulator/)", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  useCluster({ operationDelayMs: 10 }, (started, client) => {
    cluster = started;
    api = client;
  });

  it("clock: GET shows virtual time; advance moves it by seconds and days; bad values are 400", async function () {
    const start = (await api.get("/__emulator/clock", open)).body;
    assert.equal(start.offsetMs, 0);
    assert.ok(Math.abs(start.nowMs - Date.now()) < 1000);
    const moved = await api.post("/__emulator/clock/advance", { seconds: 30, days: 2 }, open);
    assert.equal(moved.status, 200);
    assert.equal(moved.body.offsetMs, (2 * 86400 + 30) * 1000);
    assert.equal(Date.parse(moved.body.now), moved.body.nowMs);
    for (const bad of [{ days: -1 }, { days: "1" }, { hours: 3 }, []]) {
      assert.equal((await api.post("/__emulator/clock/advance", bad, open)).status, 400, JSON.stringify(bad));
    }
    assert.equal((await api.get("/__emulator/clock", open)).body.offsetMs, moved.body.offsetMs);
    const created = await api.post("/v1/bdbs", { name: "future", memory_size: GiB });
    assert.ok(Math.abs(Date.parse(created.body.created_time) - moved.body.nowMs) < 5000, "object times follow the virtual clock");
  });

  it("every answer's Date header is the virtual clock, so clients judge expiry by the cluster's time", async function () {
    const before = await api.get("/v1/cluster");
    assert.ok(Math.abs(Date.parse(String(before.headers.date)) - Date.now()) < 2000, `Date ${before.headers.date} is not now`);
    const moved = (await api.post("/__emulator/clock/advance", { days: 50 }, open)).body;
    const after = await api.get("/v1/cluster/certificates");
    // HTTP dates have one-second resolution.
    assert.ok(Math.abs(Date.parse(String(after.headers.date)) - moved.nowMs) < 2000, `Date ${after.headers.date} is not the virtual ${moved.now}`);
  });

  it("PATCH /__emulator/objects merges without validation or action, raises cluster-state-id, records out_of_band_edit", async function () {
    await api.post("/v1/bdbs", { name: "drift", memory_size: GiB });
    await waitActive(api, 1);
    const stateId = Number((await api.get("/v1/bdbs/1")).headers["cluster-state-id"]);
    const patched = await api.patch("/__emulator/objects/bdbs/1", { memory_size: 5, eviction_policy: "not-even-valid" }, open);
    assert.equal(patched.status, 200);
    const read = await api.get("/v1/bdbs/1");
    assert.equal(read.body.memory_size, 5);
    assert.equal(read.body.eviction_policy, "not-even-valid");
    assert.equal(read.body.status, "active");
    assert.equal(Number(read.headers["cluster-state-id"]), stateId + 1);
    await api.patch("/__emulator/objects/cluster", { alert_settings: { node_internal_certs_about_to_expire: { threshold: "10" } } }, open);
    assert.deepEqual((await api.get("/v1/cluster")).body.alert_settings.node_internal_certs_about_to_expire, { enabled: true, threshold: "10" });
    await api.patch("/__emulator/objects/policy", { data_internode_encryption: true }, open);
    assert.equal((await api.get("/v1/cluster/policy")).body.data_internode_encryption, true);
    await api.patch("/__emulator/objects/nodes/2", { max_redis_servers: 7 }, open);
    assert.equal((await api.get("/v1/nodes/2")).body.max_redis_servers, 7);
    const edits = cluster.admin.events({ type: "out_of_band_edit" }).map((e) => [e.target, e.fields]);
    assert.deepEqual(edits, [
      ["bdbs/1", ["eviction_policy", "memory_size"]],
      ["cluster", ["alert_settings"]],
      ["policy", ["data_internode_encryption"]],
      ["nodes/2", ["max_redis_servers"]],
    ]);
    const proto = await api.request("PATCH", "/__emulator/objects/policy", { rawBody: '{"__proto__": {"polluted": true}}', auth: false });
    assert.equal(proto.status, 200);
    const policy = (await api.get("/v1/cluster/policy")).body;
    assert.deepEqual(Object.getOwnPropertyDescriptor(policy, "__proto__")?.value, { polluted: true }, "kept as an ordinary key");
    assert.equal(policy.polluted, undefined);
    assert.equal((await api.patch("/__emulator/objects/bdbs/9", {}, open)).status, 404);
    assert.equal((await api.patch("/__emulator/objects/shards/1", {}, open)).status, 404);
    assert.equal((await api.patch("/__emulator/objects/cluster", [1], open)).status, 400);
  });

  it("an out-of-band flip of data_internode_encryption records proxy_restart", async function () {
    await api.post("/v1/bdbs", { name: "flip", memory_size: GiB });
    await waitActive(api, 1);
    await api.patch("/__emulator/objects/bdbs/1", { data_internode_encryption: true }, open);
    await api.patch("/__emulator/objects/bdbs/1", { data_internode_encryption: true }, open);
    const restarts = cluster.admin.events({ type: "proxy_restart" }).map((e) => [e.bdbUid, e.reason, e.source]);
    assert.deepEqual(restarts, [[1, "data_internode_encryption false -> true", "out_of_band_edit"]]);
  });

  it("PUT /__emulator/nodes/{uid} sets a software version or a status; bad values are 400", async function () {
    const changed = await api.put("/__emulator/nodes/2", { software_version: "6.2.2-30" }, open);
    assert.equal(changed.status, 200);
    assert.equal(changed.body.software_version, "6.2.2-30");
    assert.equal((await api.get("/v1/nodes/2")).body.software_version, "6.2.2-30");
    assert.equal((await api.put("/__emulator/nodes/3", { status: "down" }, open)).body.status, "down");
    for (const bad of [{ software_version: "6.2" }, { status: "sleeping" }, { addr: "1.2.3.4" }]) {
      assert.equal((await api.put("/__emulator/nodes/2", bad, open)).status, 400, JSON.stringify(bad));
    }
    assert.equal((await api.put("/__emulator/nodes/9", { status: "down" }, open)).status, 404);
    assert.deepEqual(cluster.admin.events({ type: "node_changed" }).map((e) => [e.nodeUid, e.software_version ?? e.status]), [
      [2, "6.2.2-30"],
      [3, "down"],
    ]);
  });

  it("POST /__emulator/users adds a user with a role; a bad role is 400", async function () {
    assert.equal((await api.post("/__emulator/users", { username: "ro@example.com", password: "read-only-1", role: "db_viewer" }, open)).status, 200);
    const asViewer = { auth: { username: "ro@example.com", password: "read-only-1" } };
    assert.equal((await api.get("/v1/bdbs", asViewer)).status, 200);
    assert.equal((await api.post("/v1/bdbs", { name: "x", memory_size: GiB }, asViewer)).status, 403);
    assert.equal((await api.post("/__emulator/users", { username: "x", password: "y", role: "superuser" }, open)).status, 400);
    const added = cluster.admin.events({ type: "user_added" });
    assert.deepEqual(added.map((e) => [e.username, e.role]), [["ro@example.com", "db_viewer"]]);
    assert.equal(JSON.stringify(added).includes("read-only-1"), false, "passwords never reach the event log");
  });

  it("GET /__emulator/events filters by type and since", async function () {
    await api.post("/v1/bdbs", { name: "e1", memory_size: GiB });
    await api.post("/v1/bdbs", { name: "e2", memory_size: GiB });
    const all = (await api.get("/__emulator/events", open)).body;
    assert.deepEqual(all.map((e: { type: string }) => e.type), ["bdb_created", "bdb_created"]);
    const since = all[0].seq;
    const later = (await api.get(`/__emulator/events?type=bdb_created&since=${since as number}`, open)).body;
    assert.deepEqual(later.map((e: { name: string }) => e.name), ["e2"]);
    assert.equal(typeof later[0].at, "string");
    assert.equal((await api.get("/__emulator/events?since=-1", open)).status, 400);
  });

  it("POST /__emulator/reset: no databases, clock offset zero, no faults, no events; same CA and ports", async function () {
    const ca = cluster.caFingerprintSha256;
    await api.post("/v1/bdbs", { name: "gone", memory_size: GiB });
    await api.post("/__emulator/clock/advance", { days: 3 }, open);
    cluster.admin.addFault({ path: "^/v1/nodes$", status: 500 });
    await api.put("/v1/cluster/policy", { data_internode_encryption: true });
    assert.equal((await api.post("/__emulator/reset", undefined, open)).status, 200);
    assert.deepEqual((await api.get("/v1/bdbs")).body, []);
    assert.equal((await api.get("/__emulator/clock", open)).body.offsetMs, 0);
    assert.deepEqual(cluster.admin.faults(), []);
    assert.deepEqual(cluster.admin.events(), []);
    assert.equal((await api.get("/v1/nodes")).status, 200);
    assert.equal((await api.get("/v1/cluster/policy")).body.data_internode_encryption, false);
    assert.equal(cluster.caFingerprintSha256, ca);
    assert.equal((await api.post("/v1/bdbs", { name: "again", memory_size: GiB })).body.uid, 1);
  });

  it("GET /__emulator/state dumps the model without private keys or passwords", async function () {
    await api.post("/v1/bdbs", { name: "dumped", memory_size: GiB });
    const response = await api.get("/__emulator/state", open);
    assert.equal(response.status, 200);
    const state = response.body;
    assert.deepEqual(Object.keys(state).sort(), [
      "actions", "bdbs", "caFingerprintSha256", "certificates", "clock", "cluster", "clusterCreated", "eventCount", "faults",
      "jobScheduler", "nodes", "policy", "stateId", "users",
    ]);
    assert.equal(state.bdbs[0].object.name, "dumped");
    assert.equal(state.certificates.length, 21);
    assert.equal(response.text.includes("PRIVATE KEY"), false);
    assert.equal(response.text.includes(cluster.password), false);
  });
});
