// The Database provider reading answers captured from a real cluster (../shared/fixtures/rs-real), served as
// they were recorded: refresh, adoption and the version gate must parse them without error or false drift.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { configure, providers } from "../../provider";
import { fixturesDir } from "../unit/helpers";
import { sendJson, startServer, type TestServer } from "./support/servers";
import { captureStderr, type StderrCapture } from "./support/stderr";

type Props = Record<string, unknown>;
const db = providers.Database;
const FILES = { "/v1/bdbs/1": "bdb_single.json", "/v1/bdbs": "bdbs_list.json", "/v1/nodes": "nodes_list.json" } as const;

describe("Database provider on real cluster answers (fixtures/rs-real)", function () {
  let server: TestServer;
  let connection: Props;
  let stderr: StderrCapture;

  before(async function () {
    const missing = Object.values(FILES).filter((file) => !existsSync(join(fixturesDir(), file)));
    if (missing.length > 0) {
      console.log(`      skipped: ${missing.join(", ")} absent from ${fixturesDir()} (set RS_FIXTURES_DIR)`);
      this.skip();
    }
    const answers = new Map(Object.entries(FILES).map(([path, file]) => [path, JSON.parse(readFileSync(join(fixturesDir(), file), "utf8"))]));
    server = await startServer((request, response) => {
      const path = request.url.split("?")[0]!;
      if (request.method === "GET" && answers.has(path)) sendJson(response, 200, answers.get(path));
      else sendJson(response, 404, { error_code: "not_found", description: `${request.method} ${path} is not captured` });
    });
    // The captured cluster answered over HTTPS; plain HTTP here keeps the test about parsing, not TLS.
    connection = { url: server.url, username: "admin@example.com", password: "captured-cluster" };
    await configure({ config: { get: () => undefined, require: () => "" } });
  });
  after(async () => server?.close());
  beforeEach(() => {
    stderr = captureStderr();
  });
  afterEach(() => stderr?.stop());

  it("refresh reads the real database and declaring what it shows is no change", async () => {
    const declared = (await db.check!({}, { name: "default-db", memorySize: "1GB", connection })).inputs as Props;
    const read = await db.read!("1", { ...declared, managedProperties: ["name", "memorySize"], uid: 1 });
    const props = read.props as Props;
    assert.equal(read.id, "1");
    assert.equal(props.name, "default-db");
    assert.equal(props.port, 14968, "the real port comes from endpoints[0].port; the top-level port is 0");
    assert.deepEqual(props.endpoint, { host: "redis-14968.docker-cluster", port: 14968, dnsName: "redis-14968.docker-cluster", addresses: ["192.168.16.2"] });
    assert.equal(props.dataInternodeEncryption, false);
    assert.equal(props.redisVersion, "8.0");
    assert.equal((await db.diff!("1", props, declared)).changes, false);
    // Declaring the modules Redis 8 bundled, or none of them, is not drift either.
    const withModules = (await db.check!({}, { ...declared, modules: [{ name: "ReJSON" }, { name: "search" }] })).inputs as Props;
    assert.equal((await db.diff!("1", props, withModules)).changes, false);
  });

  it("adopts the real database by name without sending any change", async () => {
    const inputs = (await db.check!({}, { name: "default-db", memorySize: 1073741824, evictionPolicy: "volatile-lru", connection, adopt: {} })).inputs as Props;
    const before = server.requests.length;
    const { id, outs } = await db.create(inputs);
    assert.equal(id, "1");
    assert.equal((outs as Props).status, "active");
    const sent = server.requests.slice(before).map((r) => `${r.method} ${r.url.split("?")[0]}`);
    assert.ok(sent.every((line) => line.startsWith("GET ")), `adoption sent ${sent.join(", ")}`);
  });

  it("the version gate reads the real node list (software_version 100.0.21-16135 is new enough)", async () => {
    // At check the gate runs only when the stack asks for validation at preview (a preview sends nothing otherwise).
    const validating: Record<string, string> = { "redisenterprise:validateAtPreview": "true" };
    await configure({ config: { get: (key: string) => validating[key], require: (key: string) => validating[key] ?? "" } });
    try {
      const check = await db.check!({}, { name: "encrypted", memorySize: "1GB", connection, dataInternodeEncryption: true });
      assert.deepEqual(check.failures, []);
      assert.ok(server.requests.some((r) => r.url.startsWith("/v1/nodes")), "the gate did not read the nodes");
    } finally {
      await configure({ config: { get: () => undefined, require: () => "" } });
    }
  });
});
