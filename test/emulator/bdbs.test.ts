// Databases over HTTPS: the asynchronous life cycle and its timing, actions, dry runs, validation error codes
// (state unchanged after each), the data internode encryption version gate and the proxy_restart event.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { clientFor, sleep, TEST_KEY_BITS, waitActive, waitGone, type TestClient, useCluster } from "./support/client";

const GiB = 1073741824;
const STANDARD_REGEX = [{ regex: ".*\\{(?<tag>.*)\\}.*" }, { regex: "(?<tag>.*)" }];

describe("emulator: databases", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;
  const delay = 150;

  useCluster({ operationDelayMs: delay }, (started, client) => {
    cluster = started;
    api = client;
  });

  it("creates a database: 200 pending with action_uid, active after about operationDelayMs (not before), action completed", async function () {
    const started = Date.now();
    const created = await api.post("/v1/bdbs", { name: "orders", memory_size: GiB });
    assert.equal(created.status, 200);
    assert.equal(created.body.uid, 1);
    assert.equal(created.body.status, "pending");
    assert.equal(typeof created.body.action_uid, "string");
    assert.equal(created.body.port, 0, "no port asked: port stays 0 as on a real cluster");
    const endpoint = created.body.endpoints[0];
    assert.ok(endpoint.port >= 10000 && endpoint.port <= 19999 && endpoint.port !== 10050, `port ${endpoint.port}`);
    assert.equal(endpoint.dns_name, `redis-${endpoint.port}.cluster.local`);
    assert.deepEqual(endpoint.addr, ["127.0.0.1"]);
    assert.equal(endpoint.uid, "1:1");

    const early = await api.get("/v1/bdbs/1");
    assert.equal(early.body.status, "pending");
    const active = await waitActive(api, 1);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= delay - 5, `active after ${elapsed} ms, before the ${delay} ms operation delay`);
    assert.equal("action_uid" in active, false, "action_uid only while an action runs");

    const action = await api.get(`/v1/actions/${created.body.action_uid as string}`);
    assert.equal(action.status, 200);
    assert.equal(action.body.name, "SMCreateBDB");
    assert.equal(action.body.object_name, "bdb:1");
    assert.equal(action.body.status, "completed");
    // A finished state machine has exactly the keys of the real capture (fixtures/rs-real/actions_list.json).
    assert.deepEqual(Object.keys(action.body).sort(), ["action_uid", "heartbeat", "name", "object_name", "status"]);
    const perBdb = await api.get("/v1/actions/bdb/1");
    assert.deepEqual(perBdb.body.map((a: { name: string }) => a.name), ["SMCreateBDB"]);
    const v2 = await api.get(`/v2/actions/${created.body.action_uid as string}`);
    assert.equal(v2.body.action_type, "state-machine");
    assert.deepEqual(v2.body.additional_info, { object_type: "bdb", object_uid: "1" });
    assert.equal(typeof v2.body.creation_time, "number");
    const v2List = (await api.get("/v2/actions")).body;
    assert.deepEqual(v2List.map((a: { action_uid: string; status: string; progress: number }) => [a.action_uid, a.status, a.progress]), [
      [created.body.action_uid, "completed", 100],
    ]);
    assert.equal((await api.get("/v1/actions/bdb/99")).status, 404);
    assert.equal((await api.get("/v1/actions/00000000-0000-0000-0000-000000000000")).body.error_code, "action_not_found");
  });

  it("fills defaults from the cluster policy and bundles the Redis 8 modules", async function () {
    assert.equal((await api.put("/v1/cluster/policy", { data_internode_encryption: true, default_shards_placement: "sparse" })).status, 200);
    const created = await api.post("/v1/bdbs", { name: "defaults", memory_size: GiB });
    const db = created.body;
    assert.equal(db.data_internode_encryption, true);
    assert.equal(db.shards_placement, "sparse");
    assert.equal(db.proxy_policy, "single");
    assert.equal(db.redis_version, "8.0");
    assert.equal(db.version, "8.0.0");
    assert.deepEqual(db.module_list.map((m: { module_name: string }) => m.module_name).sort(), ["ReJSON", "bf", "search", "timeseries"]);
    const old = await api.post("/v1/bdbs", { name: "old", memory_size: GiB, redis_version: "7.2", module_list: [{ module_name: "search" }] });
    assert.equal(old.body.version, "7.2.7");
    assert.deepEqual(old.body.module_list.map((m: { module_name: string }) => m.module_name), ["search"]);
    const sharded = await api.post("/v1/bdbs", { name: "sharded", memory_size: GiB, sharding: true, shards_count: 2, shard_key_regex: STANDARD_REGEX });
    assert.equal(sharded.body.proxy_policy, "all-master-shards");
    assert.equal(sharded.body.shard_list.length, 2);
  });

  it("updates: active-change-pending with action_uid, 409 busy for a change or delete meanwhile, then active", async function () {
    await api.post("/v1/bdbs", { name: "cache", memory_size: GiB });
    await waitActive(api, 1);
    const updated = await api.put("/v1/bdbs/1", { memory_size: 2 * GiB, eviction_policy: "allkeys-lru" });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.status, "active-change-pending");
    assert.equal(updated.body.memory_size, 2 * GiB);
    assert.equal(typeof updated.body.action_uid, "string");
    const second = await api.put("/v1/bdbs/1", { memory_size: 3 * GiB });
    assert.equal(second.status, 409);
    assert.equal(second.body.error_code, "busy");
    const deleting = await api.delete("/v1/bdbs/1");
    assert.equal(deleting.status, 409);
    assert.equal(deleting.body.error_code, "busy");
    const active = await waitActive(api, 1);
    assert.equal(active.memory_size, 2 * GiB);
    assert.equal(active.eviction_policy, "allkeys-lru");
    const names = (await api.get("/v1/actions/bdb/1")).body.map((a: { name: string; status: string }) => `${a.name}:${a.status}`);
    assert.deepEqual(names, ["SMCreateBDB:completed", "SMUpdateBDB:completed"]);
  });

  it("deletes: 200 with an empty body, delete-pending, then 404", async function () {
    await api.post("/v1/bdbs", { name: "doomed", memory_size: GiB });
    assert.equal((await api.delete("/v1/bdbs/1")).status, 409, "DELETE while pending is refused");
    await waitActive(api, 1);
    const deleted = await api.delete("/v1/bdbs/1");
    assert.equal(deleted.status, 200);
    assert.equal(deleted.text, "");
    assert.equal((await api.get("/v1/bdbs/1")).body.status, "delete-pending");
    await waitGone(api, 1);
    const gone = await api.get("/v1/bdbs/1");
    assert.deepEqual(gone.body, { error_code: "bdb_not_exist", description: "database 1 does not exist" });
    assert.equal((await api.delete("/v1/bdbs/1")).status, 404);
    assert.equal((await api.put("/v1/bdbs/1", { memory_size: 1 })).status, 404);
  });

  it("dry_run validates and answers the would-be object without storing anything", async function () {
    const before = await api.get("/v1/bdbs");
    const stateId = before.headers["cluster-state-id"];
    const dry = await api.post("/v1/bdbs?dry_run", { name: "trial", memory_size: GiB });
    assert.equal(dry.status, 200);
    assert.equal(dry.body.name, "trial");
    assert.equal("action_uid" in dry.body, false);
    const refused = await api.post("/v1/bdbs?dry_run=true", { name: "trial" });
    assert.equal(refused.status, 406);
    assert.equal(refused.body.error_code, "missing_memory_size");
    const after = await api.get("/v1/bdbs");
    assert.deepEqual(after.body, before.body);
    assert.equal(after.headers["cluster-state-id"], stateId);

    await api.post("/v1/bdbs", { name: "real", memory_size: GiB });
    const active = await waitActive(api, 1);
    const dryPut = await api.put("/v1/bdbs/1?dry_run", { memory_size: 5 * GiB });
    assert.equal(dryPut.status, 200);
    assert.equal(dryPut.body.memory_size, 5 * GiB);
    assert.deepEqual((await api.get("/v1/bdbs/1")).body, active);
  });

  it("lists with ?fields and reads one with ?fields", async function () {
    await api.post("/v1/bdbs", { name: "a", memory_size: GiB });
    await api.post("/v1/bdbs", { name: "b", memory_size: GiB, port: 12000 });
    const list = await api.get("/v1/bdbs?fields=uid,name,port");
    assert.deepEqual(list.body, [
      { uid: 1, name: "a", port: 0 },
      { uid: 2, name: "b", port: 12000 },
    ]);
    const one = await api.get("/v1/bdbs/2?fields=name,endpoints");
    assert.deepEqual(Object.keys(one.body).sort(), ["endpoints", "name"]);
    assert.equal(one.body.endpoints[0].port, 12000);
  });

  it("accepts POST /v2/bdbs with the {bdb, recovery_plan} wrapper and refuses a bare object", async function () {
    const created = await api.post("/v2/bdbs", { bdb: { name: "v2db", memory_size: GiB, shards_count: 1 }, recovery_plan: {} });
    assert.equal(created.status, 200);
    assert.equal(created.body.name, "v2db");
    const bare = await api.post("/v2/bdbs", { name: "bare", memory_size: GiB });
    assert.equal(bare.status, 400);
    assert.equal(bare.body.error_code, "invalid_schema");
  });

  it("assigns uids in sequence, accepts an explicit uid, refuses a duplicate uid (409 uid_exists) and name (409 name_exists)", async function () {
    assert.equal((await api.post("/v1/bdbs", { name: "one", memory_size: GiB })).body.uid, 1);
    assert.equal((await api.post("/v1/bdbs", { name: "seven", memory_size: GiB, uid: 7 })).body.uid, 7);
    assert.equal((await api.post("/v1/bdbs", { name: "eight", memory_size: GiB })).body.uid, 8);
    const dupUid = await api.post("/v1/bdbs", { name: "other", memory_size: GiB, uid: 7 });
    assert.equal(dupUid.status, 409);
    assert.equal(dupUid.body.error_code, "uid_exists");
    const dupName = await api.post("/v1/bdbs", { name: "seven", memory_size: GiB });
    assert.equal(dupName.status, 409);
    assert.equal(dupName.body.error_code, "name_exists");
    assert.match(dupName.body.description, /uid 7/);
    assert.equal((await api.get("/v1/bdbs")).body.length, 3);
  });

  describe("refuses invalid creates with the documented error_code and leaves the state unchanged", function () {
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ["missing name", { memory_size: GiB }, 406, "missing_db_name"],
      ["empty name", { name: "", memory_size: GiB }, 406, "missing_db_name"],
      ["name with an underscore", { name: "bad_name", memory_size: GiB }, 406, "invalid_db_name"],
      ["name ending with '-'", { name: "bad-", memory_size: GiB }, 406, "invalid_db_name"],
      ["name of 64 characters", { name: "a".repeat(64), memory_size: GiB }, 406, "invalid_db_name"],
      ["missing memory_size", { name: "m" }, 406, "missing_memory_size"],
      ["port 10050 (Zabbix)", { name: "p", memory_size: GiB, port: 10050 }, 406, "port_unavailable"],
      ["port below the range", { name: "p", memory_size: GiB, port: 9999 }, 406, "port_unavailable"],
      ["port above the range", { name: "p", memory_size: GiB, port: 20000 }, 406, "port_unavailable"],
      ["sharding without shard_key_regex", { name: "s", memory_size: GiB, sharding: true, shards_count: 2 }, 406, "invalid_sharding"],
      ["shards_count 2 without sharding", { name: "s", memory_size: GiB, shards_count: 2 }, 406, "invalid_sharding"],
      ["shards_count 0", { name: "s", memory_size: GiB, shards_count: 0 }, 406, "invalid_sharding"],
      ["shards_count 513", { name: "s", memory_size: GiB, sharding: true, shard_key_regex: STANDARD_REGEX, shards_count: 513 }, 406, "invalid_sharding"],
      ["unknown proxy_policy", { name: "x", memory_size: GiB, proxy_policy: "some" }, 406, "invalid_proxy_policy"],
      ["unknown eviction_policy", { name: "x", memory_size: GiB, eviction_policy: "lru" }, 406, "eviction_policy_violation"],
      ["unknown data_persistence", { name: "x", memory_size: GiB, data_persistence: "rdb" }, 406, "invalid_data_persistence"],
      ["unknown tls_mode", { name: "x", memory_size: GiB, tls_mode: "on" }, 406, "invalid_tls_mode"],
      ["oss_cluster with proxy_policy single", { name: "x", memory_size: GiB, oss_cluster: true, proxy_policy: "single" }, 406, "invalid_oss_cluster_configuration"],
      ["oss_cluster with legacy hashing", { name: "x", memory_size: GiB, oss_cluster: true, proxy_policy: "all-nodes", hash_slots_policy: "legacy" }, 406, "invalid_oss_cluster_configuration"],
      ["oss_cluster with TimeSeries on Redis 7.2", { name: "x", memory_size: GiB, redis_version: "7.2", oss_cluster: true, proxy_policy: "all-nodes", module_list: [{ module_name: "timeseries" }] }, 406, "invalid_oss_cluster_configuration"],
      ["duplicate tag keys", { name: "x", memory_size: GiB, tags: [{ key: "env", value: "a" }, { key: "env", value: "b" }] }, 406, "invalid_bdb_tags"],
      ["tag without value", { name: "x", memory_size: GiB, tags: [{ key: "env" }] }, 406, "invalid_bdb_tags"],
      ["unknown module", { name: "x", memory_size: GiB, module_list: [{ module_name: "graph" }] }, 406, "missing_module"],
      ["modules on memcached", { name: "x", memory_size: GiB, type: "memcached", module_list: [{ module_name: "search" }] }, 406, "memcached_cannot_use_modules"],
      ["unsupported redis_version", { name: "x", memory_size: GiB, redis_version: "7.2.4" }, 406, "invalid_version"],
      ["unsupported version", { name: "x", memory_size: GiB, version: "9.9.9" }, 406, "invalid_version"],
      ["uid 0", { name: "x", memory_size: GiB, uid: 0 }, 406, "invalid_uid"],
      ["memory_size as a string (wrong type)", { name: "x", memory_size: "1g" }, 400, "invalid_schema"],
      ["replication as a string (wrong type)", { name: "x", memory_size: GiB, replication: "yes" }, 400, "invalid_schema"],
      ["unknown field (a typo)", { name: "x", memory_size: GiB, memroy_size: GiB }, 400, "invalid_schema"],
      ["read-only status", { name: "x", memory_size: GiB, status: "active" }, 400, "invalid_schema"],
    ];
    for (const [label, body, status, code] of cases) {
      it(`${label}: ${status} ${code}`, async function () {
        const before = await api.get("/v1/bdbs");
        const response = await api.post("/v1/bdbs", body);
        assert.equal(response.status, status, JSON.stringify(response.body));
        assert.equal(response.body.error_code, code);
        assert.equal(typeof response.body.description, "string");
        const after = await api.get("/v1/bdbs");
        assert.deepEqual(after.body, before.body);
        assert.equal(after.headers["cluster-state-id"], before.headers["cluster-state-id"]);
      });
    }
  });

  it("refuses ports in use, reserved by the cluster or by the system", async function () {
    await api.post("/v1/bdbs", { name: "first", memory_size: GiB, port: 12000 });
    const inUse = await api.post("/v1/bdbs", { name: "second", memory_size: GiB, port: 12000 });
    assert.equal(inUse.status, 406);
    assert.equal(inUse.body.error_code, "port_unavailable");
    assert.match(inUse.body.description, /in use by database 1/);
    assert.equal((await api.put("/v1/cluster", { reserved_ports: ["13000-13010"] })).status, 200);
    const reserved = await api.post("/v1/bdbs", { name: "third", memory_size: GiB, port: 13005 });
    assert.equal(reserved.body.error_code, "port_unavailable");
    assert.match(reserved.body.description, /reserved_ports/);
    assert.equal((await api.post("/v1/bdbs", { name: "fourth", memory_size: GiB, port: 13011 })).status, 200);
  });

  it("refuses changes to create-only fields and illegal sharding changes with 406", async function () {
    await api.post("/v1/bdbs", { name: "fixed", memory_size: GiB, port: 12001, sharding: true, shards_count: 3, shard_key_regex: STANDARD_REGEX });
    const db = await waitActive(api, 1);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ port: 12002 }, "immutable_field"],
      [{ uid: 5 }, "immutable_field"],
      [{ version: "7.4.2" }, "immutable_field"],
      [{ redis_version: "7.4" }, "immutable_field"],
      [{ crdt: true }, "immutable_field"],
      [{ replica_read_only: true }, "immutable_field"],
      [{ type: "memcached" }, "immutable_field"],
      [{ module_list: [{ module_name: "search" }, { module_name: "graph" }] }, "immutable_field"],
      [{ sharding: false }, "invalid_sharding"],
      [{ shards_count: 2 }, "invalid_sharding"],
      [{ shards_count: 4 }, "invalid_sharding"],
      [{ tags: [{ key: "k", value: "1" }, { key: "k", value: "2" }] }, "invalid_bdb_tags"],
      [{ name: "bad name" }, "invalid_db_name"],
    ];
    for (const [body, code] of cases) {
      const response = await api.put("/v1/bdbs/1", body);
      assert.equal(response.status, 406, `${JSON.stringify(body)} -> ${response.status} ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error_code, code, JSON.stringify(body));
    }
    assert.deepEqual((await api.get("/v1/bdbs/1")).body, db);
    // Echoing unchanged create-only values (the bundled module set, the port) is not a change.
    const echo = await api.put("/v1/bdbs/1", { port: 12001, module_list: [], redis_version: "8.0", shards_count: 6 });
    assert.equal(echo.status, 200, JSON.stringify(echo.body));
    const grown = await waitActive(api, 1);
    assert.equal(grown.shards_count, 6);
    assert.equal(grown.shard_list.length, 6);
  });

  it("refuses a stale cluster-state-id on create (406 wrong_cluster_state_id)", async function () {
    const current = Number((await api.get("/v1/cluster")).headers["cluster-state-id"]);
    const stale = await api.post("/v1/bdbs", { name: "s", memory_size: GiB }, { headers: { "cluster-state-id": String(current - 1) } });
    assert.equal(stale.status, 406);
    assert.equal(stale.body.error_code, "wrong_cluster_state_id");
    const fresh = await api.post("/v1/bdbs", { name: "s", memory_size: GiB }, { headers: { "cluster-state-id": String(current) } });
    assert.equal(fresh.status, 200);
  });

  it("records proxy_restart for every data_internode_encryption change (on, then off) once the change completes", async function () {
    await api.post("/v1/bdbs", { name: "ine", memory_size: GiB });
    await waitActive(api, 1);
    const since = cluster.admin.events().at(-1)?.seq ?? 0;
    await api.put("/v1/bdbs/1", { data_internode_encryption: true });
    assert.deepEqual(cluster.admin.events({ type: "proxy_restart", since }), [], "not before the change completes");
    await waitActive(api, 1);
    await api.put("/v1/bdbs/1", { data_internode_encryption: false });
    await waitActive(api, 1);
    await api.put("/v1/bdbs/1", { memory_size: 2 * GiB });
    await waitActive(api, 1);
    const restarts = cluster.admin.events({ type: "proxy_restart", since }).map((e) => ({ bdbUid: e.bdbUid, reason: e.reason }));
    assert.deepEqual(restarts, [
      { bdbUid: 1, reason: "data_internode_encryption false -> true" },
      { bdbUid: 1, reason: "data_internode_encryption true -> false" },
    ]);
  });
});

describe("emulator: data internode encryption version gate", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  before(async function () {
    cluster = await startCluster({ softwareVersions: ["7.22.2-14", "6.2.2-30", "7.22.2-14"], operationDelayMs: 20, keyBits: TEST_KEY_BITS });
    api = clientFor(cluster);
  });
  after(async function () {
    await api?.close();
    await cluster?.stop();
  });

  it("refuses enabling INE on create and update while a node runs a version older than 6.2.4, naming the node", async function () {
    const refused = await api.post("/v1/bdbs", { name: "secure", memory_size: GiB, data_internode_encryption: true });
    assert.equal(refused.status, 406);
    assert.equal(refused.body.error_code, "data_internode_encryption_unsupported");
    assert.equal(
      refused.body.description,
      "database 'secure': data_internode_encryption needs every node at 6.2.4 or later, but node 2 runs 6.2.2-30; upgrade that node first",
    );
    assert.equal((await api.get("/v1/bdbs")).body.length, 0);

    await api.post("/v1/bdbs", { name: "plain", memory_size: GiB });
    await waitActive(api, 1);
    const update = await api.put("/v1/bdbs/1", { data_internode_encryption: true });
    assert.equal(update.status, 406);
    assert.match(update.body.description, /node 2 runs 6\.2\.2-30/);
    assert.equal((await api.get("/v1/bdbs/1")).body.data_internode_encryption, false);

    cluster.admin.setNode(3, { software_version: "6.1.9-1" });
    const two = await api.put("/v1/bdbs/1", { data_internode_encryption: true });
    assert.match(two.body.description, /but node 2 runs 6\.2\.2-30, node 3 runs 6\.1\.9-1; upgrade those nodes first$/);
  });

  it("compares versions numerically: 6.10.0 and 6.2.4 pass, 6.2.3 does not", async function () {
    cluster.admin.setNode(2, { software_version: "6.10.0-5" });
    cluster.admin.setNode(3, { software_version: "6.2.4-1" });
    const enabled = await api.post("/v1/bdbs", { name: "numeric", memory_size: GiB, data_internode_encryption: true });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    cluster.admin.setNode(3, { software_version: "6.2.3-99" });
    const refused = await api.post("/v1/bdbs", { name: "numeric2", memory_size: GiB, data_internode_encryption: true });
    assert.equal(refused.status, 406);
    assert.match(refused.body.description, /node 3 runs 6\.2\.3-99/);
  });
});

describe("emulator: replication on a one-node cluster", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  before(async function () {
    cluster = await startCluster({ nodes: 1, operationDelayMs: 10, keyBits: TEST_KEY_BITS });
    api = clientFor(cluster);
  });
  after(async function () {
    await api?.close();
    await cluster?.stop();
  });

  it("refuses replication on create (invalid_replication) and update (replication_node_violation)", async function () {
    const created = await api.post("/v1/bdbs", { name: "r", memory_size: GiB, replication: true });
    assert.equal(created.status, 406);
    assert.equal(created.body.error_code, "invalid_replication");
    await api.post("/v1/bdbs", { name: "r", memory_size: GiB });
    await waitActive(api, 1);
    const updated = await api.put("/v1/bdbs/1", { replication: true });
    assert.equal(updated.status, 406);
    assert.equal(updated.body.error_code, "replication_node_violation");
    await sleep(0);
  });
});
