// Hostile input found by generated requests and independent clients (issue 10, items 1-7): each test names the
// request that used to damage the state or answer without a JSON body, and checks that it is now refused with
// a documented error before anything is applied, and that the cluster still answers afterwards.
import assert from "node:assert/strict";
import { type EmulatedCluster } from "../../emulator";
import { MAX_JSON_DEPTH, textNestingDepth, valueNestingDepth, type JsonValue } from "../../emulator/json";
import { serialiseReply } from "../../emulator/server";
import { typeProblem } from "../../emulator/validation/schema";
import { configure, providers } from "../../provider";
import { RsClient } from "../../provider/rest";
import { useCluster, waitActive, type ApiResponse, type TestClient } from "./support/client";

const GiB = 1073741824;
const open = { auth: false } as const;

/** `[[[...]]]` nested `depth` levels deep, as JSON text. */
function nestedArrayText(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

/** The same as a value, built without recursion. */
function nestedArray(depth: number): JsonValue {
  let value: JsonValue = [];
  for (let i = 1; i < depth; i += 1) value = [value];
  return value;
}

describe("emulator: hostile input (issue 10)", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  useCluster({ nodes: 1, operationDelayMs: 10, password: "Hostile-Pass-42" }, (started, client) => {
    cluster = started;
    api = client;
  });

  /** The state dump without what moves by itself: the clock and each node's uptime (a second can pass under load). */
  async function dump(): Promise<unknown> {
    const response = await api.get("/__emulator/state", open);
    assert.equal(response.status, 200, response.text);
    const { clock: _clock, ...rest } = response.body;
    void _clock;
    for (const node of rest.nodes as Array<{ object: Record<string, unknown> }>) delete node.object.uptime;
    return rest;
  }

  function assertJsonError(response: ApiResponse, status: number, code: string): void {
    assert.equal(response.status, status, response.text);
    assert.equal(response.headers["content-type"], "application/json");
    assert.equal(response.body.error_code, code, response.text);
    assert.equal(typeof response.body.description, "string");
  }

  describe("1. deep nesting", function () {
    it("counts nesting without recursion, ignoring brackets inside strings", function () {
      assert.equal(textNestingDepth('{"a":[1,{"b":"[[[{"}]]}'), 3);
      assert.equal(textNestingDepth('"\\"[["'), 0);
      assert.equal(textNestingDepth(nestedArrayText(100_000)), 100_000);
      assert.equal(textNestingDepth(nestedArrayText(100_000), 40), 41, "stops one past the limit");
      assert.equal(valueNestingDepth(nestedArray(50_000)), 50_000);
      assert.equal(valueNestingDepth({ a: [1, { b: [] }] }), 4);
      assert.equal(valueNestingDepth(7), 0);
    });

    it("refuses a deep field value in the pure schema check too (in-process callers)", function () {
      assert.equal(typeProblem(nestedArray(MAX_JSON_DEPTH - 1), "array"), undefined);
      assert.match(String(typeProblem(nestedArray(MAX_JSON_DEPTH), "array")), /nested at most 31 levels deep/);
      assert.match(String(typeProblem({ a: nestedArray(5_000) }, "object")), /nested at most/);
    });

    it("POST /v1/bdbs with an array nested 2,500 levels deep: 400 invalid_schema, no database, state unchanged", async function () {
      const before = await dump();
      const response = await api.post("/v1/bdbs", undefined, { rawBody: `{"name":"deep","memory_size":1,"acl":${nestedArrayText(2500)}}` });
      assertJsonError(response, 400, "invalid_schema");
      assert.match(response.body.description, /more than 32 levels deep/);
      assert.deepEqual(await dump(), before);
      const list = await api.get("/v1/bdbs");
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, []);
      assert.equal((await api.get("/v1/bdbs/1")).status, 404);
    });

    it("a body exactly at the limit is parsed and judged on its fields (acl must hold what acl holds)", async function () {
      const atLimit = `{"name":"edge","memory_size":1,"acl":${nestedArrayText(MAX_JSON_DEPTH - 1)}}`;
      assert.equal(textNestingDepth(atLimit), MAX_JSON_DEPTH);
      const response = await api.post("/v1/bdbs", undefined, { rawBody: atLimit });
      // Passes the depth guard; acl is an array, so the schema takes it; the database is created and readable.
      assert.equal(response.status, 200, response.text);
      const created = await waitActive(api, response.body.uid);
      assert.equal(created.name, "edge");
      assert.equal((await api.delete(`/v1/bdbs/${response.body.uid}`)).status, 200);
    });

    it("PUT /v1/cluster with a deeply nested logrotate_settings: refused, the cluster still reads and writes", async function () {
      const before = await dump();
      const response = await api.put("/v1/cluster", undefined, { rawBody: `{"logrotate_settings":{"a":${nestedArrayText(2500)}}}` });
      assertJsonError(response, 400, "invalid_schema");
      assert.deepEqual(await dump(), before);
      assert.equal((await api.get("/v1/cluster")).status, 200);
      const update = await api.put("/v1/cluster", { email_alerts: true });
      assert.equal(update.status, 200, update.text);
      assert.equal(update.body.email_alerts, true);
    });

    it("out-of-band edits refuse deep bodies as well (the test controls store what they get)", async function () {
      await api.post("/v1/bdbs", { name: "target", memory_size: GiB });
      await waitActive(api, 1);
      const before = await dump();
      const response = await api.patch("/__emulator/objects/bdbs/1", undefined, { rawBody: `{"tags":${nestedArrayText(3000)}}`, auth: false });
      assertJsonError(response, 400, "invalid_schema");
      assert.deepEqual(await dump(), before);
      assert.equal((await api.delete("/v1/bdbs/1")).status, 200);
    });
  });

  describe("2. huge uids", function () {
    for (const uid of ["9007199254740992", "1e300", "1e400"]) {
      it(`POST /v1/bdbs with "uid": ${uid} is refused and nothing is created`, async function () {
        const before = await dump();
        const response = await api.post("/v1/bdbs", undefined, { rawBody: `{"name":"huge","memory_size":1,"uid":${uid}}` });
        assertJsonError(response, 400, "invalid_schema");
        assert.match(response.body.description, /uid/);
        assert.deepEqual(await dump(), before);
      });
    }

    it("the largest safe uid is accepted, and later automatic uids stay distinct and reachable", async function () {
      const top = Number.MAX_SAFE_INTEGER;
      const first = await api.post("/v1/bdbs", { name: "top", memory_size: GiB, uid: top });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.uid, top);
      const a = await api.post("/v1/bdbs", { name: "after-a", memory_size: GiB });
      const b = await api.post("/v1/bdbs", { name: "after-b", memory_size: GiB });
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      const uids = [top, a.body.uid, b.body.uid];
      assert.equal(new Set(uids).size, 3, `uids ${uids.join(", ")}`);
      for (const uid of uids) assert.ok(Number.isSafeInteger(uid), String(uid));
      for (const [uid, name] of [[top, "top"], [a.body.uid, "after-a"], [b.body.uid, "after-b"]] as const) {
        const active = await waitActive(api, uid);
        assert.equal(active.name, name);
        assert.equal((await api.delete(`/v1/bdbs/${uid}`)).status, 200);
      }
    });

    it("uid 0 and negative uids are 406 invalid_uid", async function () {
      for (const uid of [0, -5]) {
        const response = await api.post("/v1/bdbs", { name: "low", memory_size: GiB, uid });
        assertJsonError(response, 406, "invalid_uid");
      }
    });
  });

  describe("3. alert names that are object members", function () {
    for (const name of ["constructor", "toString", "valueOf", "__proto__", "hasOwnProperty"]) {
      it(`GET /v1/cluster/alerts/${name} is 404 alert_not_found with a JSON body`, async function () {
        assertJsonError(await api.get(`/v1/cluster/alerts/${name}`), 404, "alert_not_found");
      });
    }

    it("a real alert name still answers", async function () {
      const response = await api.get("/v1/cluster/alerts/cluster_certs_about_to_expire");
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.enabled, true);
    });
  });

  describe("4. clock overflow", function () {
    it("an advance of 1e9 days is 400 and moves nothing; writes keep working", async function () {
      const before = await api.get("/__emulator/clock", open);
      const response = await api.post("/__emulator/clock/advance", { days: 1e9 }, open);
      assertJsonError(response, 400, "invalid_value");
      assert.match(response.body.description, /9999-12-31T23:59:59/);
      const after = await api.get("/__emulator/clock", open);
      assert.equal(after.body.offsetMs, before.body.offsetMs);
      const create = await api.post("/v1/bdbs", { name: "after-clock", memory_size: GiB });
      assert.equal(create.status, 200, create.text);
      await waitActive(api, create.body.uid);
      assert.equal((await api.get("/__emulator/state", open)).status, 200);
    });

    it("an advance that stays within year 9999 still works", async function () {
      const response = await api.post("/__emulator/clock/advance", { days: 365 }, open);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.offsetMs, 365 * 86_400_000);
    });
  });

  describe("5. the state dump holds no password", function () {
    it("database passwords, the SMTP password and URI credentials are redacted", async function () {
      const created = await api.post("/v1/bdbs", {
        name: "secretive",
        memory_size: GiB,
        authentication_redis_pass: "Redis-Pass-9f3k",
        sync_sources: [{ uri: "redis://:Source-Pass-7q@10.0.0.9:12000" }],
      });
      assert.equal(created.status, 200, created.text);
      await waitActive(api, created.body.uid);
      const adminPass = (await api.get(`/v1/bdbs/${created.body.uid}`)).body.authentication_admin_pass;
      assert.equal(typeof adminPass, "string");
      assert.ok(adminPass.length > 0);
      assert.equal((await api.put("/v1/cluster", { smtp_password: "Smtp-Pass-2x" })).status, 200);
      const response = await api.get("/__emulator/state", open);
      assert.equal(response.status, 200);
      for (const secret of ["Redis-Pass-9f3k", "Source-Pass-7q", "Smtp-Pass-2x", adminPass, cluster.password]) {
        assert.equal(response.text.includes(secret), false, `the dump shows a secret ${secret.slice(0, 3)}...`);
      }
      const object = response.body.bdbs[0].object;
      assert.equal(object.authentication_redis_pass, "<redacted>");
      assert.equal(object.sync_sources[0].uri, "redis://:<redacted>@10.0.0.9:12000");
      assert.equal(object.name, "secretive", "the rest of the object is kept");
      assert.equal(response.body.cluster.smtp_password, "<redacted>");
    });
  });

  describe("6. every 500 of the emulator carries the JSON error body", function () {
    it("an answer that cannot be serialised becomes a 500 with error_code and description", function () {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const body of [cyclic, () => 1, { big: 10n }]) {
        const out = serialiseReply({ status: 200, body: body as unknown as JsonValue }, "GET", "/v1/x");
        assert.equal(out.status, 500);
        const parsed = JSON.parse(out.text);
        assert.equal(parsed.error_code, "internal_error");
        assert.match(parsed.description, /GET \/v1\/x/);
      }
      assert.deepEqual(serialiseReply({ status: 200, body: { a: 1 } }, "GET", "/v1/x"), { status: 200, text: '{"a":1}', headers: {} });
    });
  });

  describe("7. pinning the printed CA fingerprint", function () {
    it("the HTTPS listener presents the leaf and the CA, so the printed CA pin verifies it", async function () {
      const client = new RsClient(
        { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caFingerprintSha256: cluster.caFingerprintSha256 },
        { retry: { deadlineMs: 0, initialDelayMs: 0, maxDelayMs: 0 } },
      );
      try {
        const object = await client.get<{ name: string }>("/v1/cluster");
        assert.equal(object.name, cluster.clusterName);
      } finally {
        await client.close();
      }
    });

    it("the Database provider creates and deletes a database through a connection that only pins the CA", async function () {
      this.timeout(20_000);
      await configure({ config: { get: () => undefined, require: (key: string) => key } });
      const connection = {
        url: cluster.nodes[0]!.url,
        username: cluster.username,
        password: cluster.password,
        caFingerprintSha256: cluster.caFingerprintSha256,
      };
      const db = providers.Database;
      const { inputs, failures } = await db.check!({}, { name: "pinned", memorySize: "128MB", connection });
      assert.deepEqual(failures, []);
      const { id, outs } = await db.create(inputs);
      assert.equal((outs as { status: string }).status, "active");
      await db.delete!(id, outs);
      const gone = await api.get(`/v1/bdbs/${id}`);
      assert.ok(gone.status === 404 || gone.body.status === "delete-pending", gone.text);
    });
  });
});
