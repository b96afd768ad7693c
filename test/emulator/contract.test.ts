// Contract tests: for every real answer captured from a live cluster (fixtures/rs-real/*.json), the emulator's
// answer to the same request has every key with the same JSON type, recursively (objects, and the first
// element of arrays), except where emulator/contract.ts lists a reason.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { CONTRACT_EXCEPTIONS } from "../../emulator/contract";
import { clientFor, TEST_KEY_BITS, waitActive, type TestClient } from "./support/client";

const FIXTURES = process.env.RS_FIXTURES_DIR ?? resolve(__dirname, "../../../../shared/fixtures/rs-real");

/** The request that produced each fixture (SOURCE.md). */
const REQUESTS: Readonly<Record<string, string>> = {
  "actions_list.json": "/v1/actions",
  "bdb_single.json": "/v1/bdbs/1",
  "bdbs_list.json": "/v1/bdbs",
  "bootstrap_status.json": "/v1/bootstrap",
  "cluster.json": "/v1/cluster",
  "node_single.json": "/v1/nodes/1",
  "nodes_list.json": "/v1/nodes",
};

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Every difference in shape: a key missing, a different type, or an empty array where the real one has items. */
export function shapeDifferences(real: unknown, emulated: unknown, path = ""): string[] {
  const realType = typeOf(real);
  const emulatedType = typeOf(emulated);
  if (realType !== emulatedType) return [`${path || "(root)"}: real ${realType}, emulator ${emulatedType}`];
  if (realType === "array") {
    const realItems = real as unknown[];
    const emulatedItems = emulated as unknown[];
    if (realItems.length === 0) return [];
    if (emulatedItems.length === 0) return [`${path}: real array has items, emulator array is empty`];
    return shapeDifferences(realItems[0], emulatedItems[0], `${path}[0]`);
  }
  if (realType === "object") {
    const differences: string[] = [];
    const emulatedObject = emulated as Record<string, unknown>;
    for (const [key, value] of Object.entries(real as Record<string, unknown>)) {
      const keyPath = path ? `${path}.${key}` : key;
      if (!(key in emulatedObject)) differences.push(`${keyPath}: missing`);
      else differences.push(...shapeDifferences(value, emulatedObject[key], keyPath));
    }
    return differences;
  }
  return [];
}

describe("emulator: contract with real answers (fixtures/rs-real)", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;
  const present = existsSync(FIXTURES);

  before(async function () {
    if (!present) return;
    cluster = await startCluster({ clusterName: "docker-cluster", operationDelayMs: 10, keyBits: TEST_KEY_BITS });
    api = clientFor(cluster);
    // The real captures show one active database, and a finished task and state machine in /v1/actions.
    await api.post("/v1/bdbs", { name: "default-db", memory_size: 1073741824 });
    await waitActive(api, 1);
    await api.post("/v1/cluster/certificates/rotate", { name: "proxy" });
  });
  after(async function () {
    await api?.close();
    await cluster?.stop();
  });

  it("finds the fixtures (or skips, saying why)", function () {
    if (!present) {
      console.log(`    skipped: no fixtures at ${FIXTURES} (set RS_FIXTURES_DIR to the rs-real directory)`);
      this.skip();
    }
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).sort();
    assert.deepEqual(files, Object.keys(REQUESTS).sort(), "every fixture needs a known request (add it to REQUESTS)");
  });

  for (const [file, path] of Object.entries(REQUESTS)) {
    it(`${file}: GET ${path} has every real key with the same JSON type`, async function () {
      if (!present || !existsSync(join(FIXTURES, file))) {
        console.log(`    skipped: ${join(FIXTURES, file)} is absent`);
        this.skip();
      }
      const real: unknown = JSON.parse(readFileSync(join(FIXTURES, file), "utf8"));
      const response = await api.get(path);
      assert.equal(response.status, 200, response.text);
      const exceptions = CONTRACT_EXCEPTIONS[file] ?? {};
      const differences = shapeDifferences(real, response.body).filter((d) => !(d.split(":")[0]! in exceptions));
      assert.deepEqual(differences, []);
    });
  }

  it("actions_list.json: a finished state machine and task have exactly the captured keys, no more", async function () {
    if (!present) this.skip();
    const real = JSON.parse(readFileSync(join(FIXTURES, "actions_list.json"), "utf8"));
    const emulated = (await api.get("/v1/actions")).body;
    assert.deepEqual(Object.keys(emulated).sort(), Object.keys(real).sort());
    assert.deepEqual(Object.keys(emulated["state-machines"][0]).sort(), Object.keys(real["state-machines"][0]).sort());
    assert.deepEqual(Object.keys(emulated.actions[0]).sort(), Object.keys(real.actions[0]).sort());
  });

  for (const [file, path] of Object.entries(REQUESTS)) {
    it(`${file}: every number the capture writes as a float (0.0) is written as a float`, async function () {
      if (!present || !existsSync(join(FIXTURES, file))) this.skip();
      const realText = readFileSync(join(FIXTURES, file), "utf8");
      const floatKeys = [...new Set([...realText.matchAll(/"([A-Za-z0-9_]+)":\s*-?\d+\.\d+/g)].map((m) => m[1]!))].sort();
      const emulatedText = (await api.get(path)).text;
      for (const key of floatKeys) {
        const written = [...emulatedText.matchAll(new RegExp(`"${key}":(-?[0-9.eE+]+)`, "g"))].map((m) => m[1]!);
        assert.ok(written.length > 0, `${key} is missing from GET ${path}`);
        for (const number of written) assert.match(number, /\./, `${key} is written ${number}, the capture writes a float`);
      }
    });
  }

  it("the shape comparison itself reports missing keys, type changes and empty arrays", function () {
    assert.deepEqual(
      shapeDifferences({ a: 1, b: { c: "x" }, d: [{ e: true }], f: [1], g: "s" }, { a: "1", b: {}, d: [{ e: 0 }], f: [], g: "t" }),
      ["a: real number, emulator string", "b.c: missing", "d[0].e: real boolean, emulator number", "f: real array has items, emulator array is empty"],
    );
  });
});

// The routes no capture covers are held against the vendor's REST reference instead: each skeleton below lists
// the keys of the documented example or object with a value of the documented JSON type (written for this
// test from the reference's field tables; an empty array means "an array", whatever it holds).
const STAT_NODE = {
  interval: "", stime: "", etime: "", conns: 0, cpu_idle: 0, cpu_system: 0, cpu_user: 0, egress_bytes: 0, ephemeral_storage_avail: 0,
  ephemeral_storage_free: 0, free_memory: 0, ingress_bytes: 0, persistent_storage_avail: 0, persistent_storage_free: 0, total_req: 0,
};
const STAT_BDB = {
  interval: "", stime: "", etime: "", avg_latency: 0, conns: 0, egress_bytes: 0, evicted_objects: 0, pubsub_channels: 0, pubsub_patterns: 0,
  expired_objects: 0, ingress_bytes: 0, instantaneous_ops_per_sec: 0, last_req_time: "", last_res_time: "", used_memory: 0, mem_size_lua: 0,
  monitor_sessions_count: 0, no_of_keys: 0, other_req: 0, other_res: 0, read_hits: 0, read_misses: 0, read_req: 0, read_res: 0,
  total_connections_received: 0, total_req: 0, total_res: 0, write_hits: 0, write_misses: 0, write_req: 0, write_res: 0,
};
const USER = { uid: 1, password_issue_date: "", email: "", name: "", email_alerts: true, bdbs_email_alerts: [], role: "", auth_method: "", status: "" };
const ROLE = { uid: 1, name: "", management: "" };
const SHARD = {
  uid: "", role: "", assigned_slots: "", bdb_uid: 1, detailed_status: "", loading: { status: "" }, node_uid: "", redis_info: {},
  report_timestamp: "", status: "",
};
const MODULE = {
  uid: "", module_name: "", display_name: "", semantic_version: "", version: 1, author: "", capabilities: [""], command_line_args: "",
  config_command: "", dependencies: {}, description: "", email: "", homepage: "", is_bundled: true, license: "", min_redis_pack_version: "",
  min_redis_version: "", sha256: "",
};
const THRESHOLD_ALERT = { change_time: "", change_value: { state: true, global_threshold: "" }, enabled: true, severity: "", state: true, threshold: "" };

export const DOCUMENTED_SHAPES: ReadonlyArray<[string, unknown]> = [
  ["/v1/users", [USER]],
  ["/v1/users/1", USER],
  ["/v1/roles", [ROLE]],
  ["/v1/roles/1", ROLE],
  [
    "/v1/license",
    {
      license: "", cluster_name: "", expired: true, activation_date: "", expiration_date: "", key: "", features: [], owner: "",
      shards_limit: 1, ram_shards_limit: 1, ram_shards_in_use: 1, flash_shards_limit: 1, flash_shards_in_use: 1,
    },
  ],
  ["/v1/cluster/stats", { intervals: [STAT_NODE] }],
  ["/v1/nodes/stats", [{ uid: "", intervals: [STAT_NODE] }]],
  ["/v1/nodes/stats/1", { uid: "", intervals: [STAT_NODE] }],
  ["/v1/bdbs/stats", [{ uid: "", intervals: [STAT_BDB] }]],
  ["/v1/bdbs/stats/1", { uid: "", intervals: [STAT_BDB] }],
  ["/v1/bdbs/1/stats", { uid: "", intervals: [STAT_BDB] }],
  ["/v1/shards", [SHARD]],
  ["/v1/shards/1", SHARD],
  ["/v1/modules", [MODULE]],
  ["/v1/cluster/check", { cluster_test_result: true, nodes: [{ node_uid: "", result: true }] }],
  ["/v1/cluster/alerts", { cluster_certs_about_to_expire: THRESHOLD_ALERT }],
  ["/v1/cluster/alerts/cluster_certs_about_to_expire", THRESHOLD_ALERT],
  ["/v1/nodes/alerts", { "1": { node_internal_certs_about_to_expire: THRESHOLD_ALERT } }],
  ["/v1/nodes/alerts/1", { node_internal_certs_about_to_expire: THRESHOLD_ALERT }],
  ["/v1/nodes/alerts/1/node_internal_certs_about_to_expire", THRESHOLD_ALERT],
  [
    "/v1/bdbs/alerts",
    { "1": { bdb_size: { enabled: true, state: true, threshold: "", change_time: "", severity: "", change_value: { state: true, threshold: "", memory_util: 0 } } } },
  ],
  ["/v1/bdbs/alerts/1", { bdb_size: { enabled: true, state: true, threshold: "", change_time: "", severity: "", change_value: { state: true, threshold: "", memory_util: 0 } } }],
  ["/v1/bdbs/alerts/1/bdb_size", { enabled: true, state: true, threshold: "", change_time: "", severity: "", change_value: { state: true, threshold: "", memory_util: 0 } }],
  ["/v1/cluster/certificates/proxy", { proxy_cert: "", proxy_key: "" }],
];

describe("emulator: contract with the vendor's REST reference (routes without a capture)", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  before(async function () {
    cluster = await startCluster({ operationDelayMs: 10, keyBits: TEST_KEY_BITS });
    api = clientFor(cluster);
    await api.post("/v1/bdbs", { name: "documented", memory_size: 1073741824, replication: true });
    await waitActive(api, 1);
  });
  after(async function () {
    await api?.close();
    await cluster?.stop();
  });

  for (const [path, documented] of DOCUMENTED_SHAPES) {
    it(`GET ${path} has every documented key with the documented JSON type`, async function () {
      const response = await api.get(path);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(shapeDifferences(documented, response.body), []);
    });
  }

  it("GET /v1/modules/{uid} has every documented key of a module object", async function () {
    const [first] = (await api.get("/v1/modules")).body;
    const response = await api.get(`/v1/modules/${first.uid as string}`);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(shapeDifferences(MODULE, response.body), []);
  });

  it("GET /v1/bdbs/1/availability answers 200 for an active database", async function () {
    assert.equal((await api.get("/v1/bdbs/1/availability")).status, 200);
  });

  it("statistics metrics are written as floats (\"conns\": 0.0), pubsub counters as integers", async function () {
    const text = (await api.get("/v1/bdbs/stats/1")).text;
    assert.match(text, /"conns":0\.0/);
    assert.match(text, /"used_memory":\d+\.0/);
    assert.match(text, /"pubsub_channels":0[,}]/);
    assert.match((await api.get("/v1/nodes/stats/1")).text, /"cpu_system":0\.01/);
    assert.match((await api.get("/v1/cluster/stats")).text, /"total_req":0\.0/);
  });
});
