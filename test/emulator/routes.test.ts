// The read-only routes that independent clients need (issue 10): users, roles, licence, statistics, shards,
// modules, the cluster check, node and database alerts, availability and one certificate by name. Each answer
// must agree with the rest of the emulated state, not only have the documented shape (contract.test.ts).
import assert from "node:assert/strict";
import { type EmulatedCluster } from "../../emulator";
import { assignedSlots } from "../../emulator/inventory";
import { statsWindow } from "../../emulator/stats";
import { useCluster, waitActive, waitFor, type TestClient } from "./support/client";

const GiB = 1073741824;
const open = { auth: false } as const;

describe("emulator: read-only routes for clients (issue 10)", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  useCluster({ nodes: 3, operationDelayMs: 30, username: "admin@example.com", password: "Routes-Pass-1" }, (started, client) => {
    cluster = started;
    api = client;
  });

  async function createActive(body: Record<string, unknown>): Promise<any> {
    const created = await api.post("/v1/bdbs", body);
    assert.equal(created.status, 200, created.text);
    return waitActive(api, created.body.uid);
  }

  describe("users and roles", function () {
    it("lists the emulator's users without passwords; only an admin may", async function () {
      cluster.admin.addUser({ username: "viewer@example.com", password: "Viewer-Pass-2", role: "db_viewer" });
      const list = await api.get("/v1/users");
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.map((u: any) => [u.uid, u.email, u.role, u.role_uids]),
        [
          [1, "admin@example.com", "admin", [1]],
          [2, "viewer@example.com", "db_viewer", [5]],
        ],
      );
      assert.equal(list.text.includes("Routes-Pass-1") || list.text.includes("Viewer-Pass-2"), false);
      assert.equal(list.body.some((u: any) => "password" in u), false);
      assert.deepEqual((await api.get("/v1/users/2")).body, list.body[1]);
      assert.equal((await api.get("/v1/users/3")).status, 404);
      const asViewer = await api.get("/v1/users", { auth: { username: "viewer@example.com", password: "Viewer-Pass-2" } });
      assert.equal(asViewer.status, 403);
    });

    it("lists the six built-in roles; every role may read them", async function () {
      cluster.admin.addUser({ username: "viewer@example.com", password: "Viewer-Pass-2", role: "db_viewer" });
      const roles = await api.get("/v1/roles", { auth: { username: "viewer@example.com", password: "Viewer-Pass-2" } });
      assert.equal(roles.status, 200);
      assert.deepEqual(roles.body.map((r: any) => r.management), ["admin", "cluster_member", "cluster_viewer", "db_member", "db_viewer", "none"]);
      assert.deepEqual((await api.get("/v1/roles/5")).body, { uid: 5, name: "DB Viewer", management: "db_viewer" });
      assert.equal((await api.get("/v1/roles/7")).body.error_code, "role_not_found");
    });
  });

  describe("licence", function () {
    it("a 30-day trial from the cluster's creation: counts the shards in use, expires with the virtual clock and fires its alert", async function () {
      const clusterObject = (await api.get("/v1/cluster")).body;
      let license = (await api.get("/v1/license")).body;
      assert.equal(license.activation_date, clusterObject.created_time);
      assert.equal(Date.parse(license.expiration_date) - Date.parse(license.activation_date), 30 * 86_400_000);
      assert.equal(license.cluster_name, "cluster.local");
      assert.equal(license.expired, false);
      assert.equal(license.ram_shards_in_use, 0);
      await createActive({ name: "counted", memory_size: GiB, replication: true, sharding: true, shards_count: 2, oss_sharding: true });
      license = (await api.get("/v1/license")).body;
      assert.equal(license.ram_shards_in_use, 4, "2 masters and 2 replicas");
      assert.ok(license.ram_shards_in_use <= license.ram_shards_limit);

      assert.equal((await api.get("/v1/cluster/alerts/cluster_license_about_to_expire")).body.state, false);
      await api.put("/v1/job_scheduler", { cert_rotation_job_settings: { enabled: false } });
      await api.post("/__emulator/clock/advance", { days: 24 }, open);
      const alert = (await api.get("/v1/cluster/alerts/cluster_license_about_to_expire")).body;
      assert.equal(alert.state, true, "fewer than 7 days left");
      assert.deepEqual(alert.change_value, { days_left: 5, global_threshold: "7", state: true });
      assert.equal((await api.get("/v1/license")).body.expired, false);
      await api.post("/__emulator/clock/advance", { days: 7 }, open);
      assert.equal((await api.get("/v1/license")).body.expired, true);
    });
  });

  describe("statistics", function () {
    it("chooses aligned intervals from interval, stime and etime, and refuses an unknown interval", async function () {
      const now = Date.parse("2026-05-01T10:17:30Z");
      const window = statsWindow(new URLSearchParams("interval=5min&stime=2026-05-01T10:00:00Z&etime=2026-05-01T10:16:00Z"), now);
      assert.deepEqual(
        window.starts.map((s) => new Date(s).toISOString()),
        ["2026-05-01T10:00:00.000Z", "2026-05-01T10:05:00.000Z", "2026-05-01T10:10:00.000Z", "2026-05-01T10:15:00.000Z"],
      );
      assert.equal(statsWindow(new URLSearchParams(""), now).starts.length, 5, "five 1hour intervals by default");
      assert.equal(statsWindow(new URLSearchParams("interval=1sec&stime=2026-05-01T00:00:00Z"), now).starts.length, 100, "capped");
      const body = (await api.get("/v1/cluster/stats?interval=15min")).body;
      assert.equal(body.intervals.length, 5);
      const first = body.intervals[0];
      assert.equal(first.interval, "15min");
      assert.equal(Date.parse(first.etime) - Date.parse(first.stime), 15 * 60_000 - 1000);
      const bad = await api.get("/v1/nodes/stats?interval=2min");
      assert.equal(bad.status, 400);
      assert.match(bad.body.description, /interval/);
      assert.equal((await api.get("/v1/bdbs/stats?stime=yesterday")).status, 400);
    });

    it("derives memory from the shards each node hosts; a database reports its shards' memory, the same on both paths", async function () {
      const before = (await api.get("/v1/nodes/stats/1")).body.intervals[0].free_memory;
      const clusterBefore = (await api.get("/v1/cluster/stats")).body.intervals[0].free_memory;
      const db = await createActive({ name: "weighed", memory_size: GiB });
      const hostedBy = (await api.get("/v1/shards")).body.filter((s: any) => s.bdb_uid === db.uid).map((s: any) => s.node_uid);
      assert.deepEqual(hostedBy, ["1"]);
      const after = (await api.get("/v1/nodes/stats/1")).body.intervals[0].free_memory;
      const stats = (await api.get(`/v1/bdbs/stats/${db.uid}`)).body;
      const used = stats.intervals[0].used_memory;
      assert.ok(used > 0);
      assert.equal(before - after, used, "node 1 lost what its one shard uses");
      assert.equal(clusterBefore - (await api.get("/v1/cluster/stats")).body.intervals[0].free_memory, used);
      assert.equal(stats.uid, String(db.uid));
      assert.deepEqual((await api.get(`/v1/bdbs/${db.uid}/stats`)).body, stats);
      assert.deepEqual((await api.get("/v1/bdbs/stats")).body.map((s: any) => s.uid), [String(db.uid)]);
      assert.equal((await api.get("/v1/bdbs/stats/99")).status, 404);
      assert.equal((await api.get("/v1/nodes/stats")).body.length, 3);
    });

    it("a node that is down has no statistics (406) and leaves the list", async function () {
      cluster.admin.setNode(3, { status: "down" });
      assert.equal((await api.get("/v1/nodes/stats/3")).status, 406);
      assert.deepEqual((await api.get("/v1/nodes/stats")).body.map((n: any) => n.uid), ["1", "2"]);
    });
  });

  describe("shards", function () {
    it("lists every shard with its role, node, slots and database, consistent with the nodes' shard lists", async function () {
      const db = await createActive({ name: "sharded", memory_size: GiB, replication: true, sharding: true, shards_count: 2, oss_sharding: true });
      const shards = (await api.get("/v1/shards")).body;
      assert.deepEqual(
        shards.map((s: any) => [s.uid, s.role, s.assigned_slots, s.bdb_uid, s.status]),
        db.shard_list.map((uid: number, i: number) => [String(uid), i < 2 ? "master" : "slave", i % 2 === 0 ? "0-8191" : "8192-16383", db.uid, "active"]),
      );
      const nodes = (await api.get("/v1/nodes")).body;
      for (const node of nodes) {
        const listed = shards.filter((s: any) => s.node_uid === String(node.uid)).map((s: any) => Number(s.uid)).sort((a: number, b: number) => a - b);
        assert.deepEqual(listed, node.shard_list, `node ${node.uid}`);
      }
      const one = await api.get(`/v1/shards/${shards[0].uid}?extra_info_keys=used_memory_rss&extra_info_keys=connected_clients&extra_info_keys=nonsense`);
      assert.deepEqual(Object.keys(one.body.redis_info).sort(), ["connected_clients", "used_memory_rss"]);
      assert.equal((await api.get("/v1/shards/999")).body.error_code, "shard_not_found");
      assert.equal(assignedSlots(2, 3), "10922-16383");
    });
  });

  describe("modules", function () {
    it("lists the modules the databases can use; uids are the module_ids of module_list", async function () {
      const db = await createActive({ name: "modular", memory_size: GiB });
      const modules = (await api.get("/v1/modules")).body;
      assert.deepEqual(
        modules.map((m: any) => [m.uid, m.module_name, m.semantic_version]).sort(),
        db.module_list.map((m: any) => [m.module_id, m.module_name, m.semantic_version]).sort(),
      );
      const json = modules.find((m: any) => m.module_name === "ReJSON");
      assert.deepEqual((await api.get(`/v1/modules/${json.uid}`)).body, json);
      assert.equal(json.version, 79903, "7.99.3 as an integer");
      assert.equal((await api.get("/v1/modules/nope")).status, 404);
    });
  });

  describe("cluster check and availability", function () {
    it("passes on every member; a node that is down fails its check", async function () {
      assert.deepEqual((await api.get("/v1/cluster/check")).body, {
        cluster_test_result: true,
        nodes: [1, 2, 3].map((uid) => ({ node_uid: String(uid), result: true })),
      });
      cluster.admin.setNode(2, { status: "down" });
      const check = (await api.get("/v1/cluster/check")).body;
      assert.equal(check.cluster_test_result, false);
      assert.equal(check.nodes[1].result, false);
      assert.match(check.nodes[1].error, /node 2 is down/);
    });

    // A cluster of its own whose actions take 2 s: the 503 is asserted while the create certainly runs, however
    // slowly a loaded machine gets from the POST to the GET (with the shared cluster's 30 ms it raced).
    describe("while a database is created", function () {
      let slowApi: TestClient;
      useCluster({ nodes: 1, operationDelayMs: 2000 }, (_started, client) => {
        slowApi = client;
      });

      it("a database is available once active, 503 bdb_unavailable while it is created, 404 db_not_found when unknown", async function () {
        const created = await slowApi.post("/v1/bdbs", { name: "soon", memory_size: GiB });
        const pending = await slowApi.get(`/v1/bdbs/${created.body.uid}/availability`);
        assert.equal(pending.status, 503);
        assert.equal(pending.body.error_code, "bdb_unavailable");
        await waitActive(slowApi, created.body.uid, 10_000);
        const ready = await slowApi.get(`/v1/bdbs/${created.body.uid}/availability`);
        assert.equal(ready.status, 200);
        assert.equal(ready.text, "");
        assert.equal((await slowApi.get("/v1/bdbs/42/availability")).body.error_code, "db_not_found");
      });
    });
  });

  describe("node and database alerts", function () {
    it("node alerts are the node_* settings, evaluated on each node's own certificates", async function () {
      const all = (await api.get("/v1/nodes/alerts")).body;
      assert.deepEqual(Object.keys(all), ["1", "2", "3"]);
      const names = Object.keys((await api.get("/v1/cluster")).body.alert_settings).filter((n) => n.startsWith("node_")).sort();
      assert.deepEqual(Object.keys(all["1"]).sort(), names);
      await api.put("/v1/job_scheduler", { cert_rotation_job_settings: { enabled: false } });
      await api.post("/__emulator/clock/advance", { days: 46 }, open);
      // Every node's internal certificates were issued together, so the alert fires on each node.
      for (const uid of ["1", "2", "3"]) {
        const alert = (await api.get(`/v1/nodes/alerts/${uid}/node_internal_certs_about_to_expire`)).body;
        assert.equal(alert.state, true, `node ${uid}`);
        assert.deepEqual(alert.change_value.certs_about_to_expire, ["ccs_internode_encryption", "data_internode_encryption"]);
      }
      assert.equal((await api.get("/v1/nodes/alerts/9")).status, 404);
      assert.equal((await api.get("/v1/nodes/alerts/1/constructor")).body.error_code, "alert_not_found");
    });

    it("every database reports bdb_size with its memory use in percent", async function () {
      const db = await createActive({ name: "alerted", memory_size: 100 * 1024 * 1024 });
      const alert = (await api.get(`/v1/bdbs/alerts/${db.uid}/bdb_size`)).body;
      assert.equal(alert.threshold, "80");
      assert.equal(alert.state, false);
      assert.equal(alert.change_time, db.created_time, "an alert that never flipped dates from the database's creation");
      const used = (await api.get(`/v1/bdbs/stats/${db.uid}`)).body.intervals[0].used_memory;
      assert.equal(alert.change_value.memory_util, Math.round((used / (100 * 1024 * 1024)) * 100 * 1000) / 1000);
      assert.deepEqual(Object.keys((await api.get("/v1/bdbs/alerts")).body), [String(db.uid)]);
      assert.equal((await api.get("/v1/bdbs/alerts/77")).status, 404);
    });
  });

  describe("certificates by name", function () {
    it("answers the map entries of one certificate, 404 for one that is not installed", async function () {
      const all = (await api.get("/v1/cluster/certificates")).body;
      assert.deepEqual((await api.get("/v1/cluster/certificates/proxy")).body, { proxy_cert: all.proxy_cert, proxy_key: all.proxy_key });
      const missing = await api.get("/v1/cluster/certificates/ldap_client");
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error_code, "certificate_not_found");
    });
  });

  describe("fidelity", function () {
    it("sharding with oss_sharding needs no shard_key_regex; with neither it is refused", async function () {
      const oss = await createActive({ name: "ossharded", memory_size: GiB, sharding: true, shards_count: 2, oss_sharding: true });
      assert.deepEqual(oss.shard_key_regex, []);
      const refused = await api.post("/v1/bdbs", { name: "nohashing", memory_size: GiB, sharding: true, shards_count: 2 });
      assert.equal(refused.status, 406);
      assert.match(refused.body.description, /oss_sharding/);
    });

    it("a running state machine shows state, pending_ops and a float progress; a finished one the captured keys", async function () {
      const created = await api.post("/v1/bdbs", { name: "watched", memory_size: GiB });
      const answer = await api.get(`/v1/actions/${created.body.action_uid}`);
      const running = answer.body;
      assert.equal(running.status, "active");
      assert.equal(typeof running.progress, "number");
      assert.match(answer.text, /"progress":\d+\.\d+/, "written as a float, as the reference documents it");
      assert.deepEqual(running.pending_ops, {});
      assert.equal(running.state, "started");
      const done = await waitFor("the action to finish", async () => {
        const action = (await api.get(`/v1/actions/${created.body.action_uid}`)).body;
        return action.status === "completed" ? action : undefined;
      });
      assert.deepEqual(Object.keys(done).sort(), ["action_uid", "heartbeat", "name", "object_name", "status"]);
    });

    it("node storage sizes and bdb progress fields are written as floats, as the captures write them", async function () {
      await createActive({ name: "floats", memory_size: GiB });
      assert.match((await api.get("/v1/nodes/1")).text, /"ephemeral_storage_size":107374182400\.0,/);
      assert.match((await api.get("/v1/bdbs")).text, /"backup_progress":0\.0,.*"export_progress":0\.0,.*"import_progress":0\.0,/);
    });
  });
});
