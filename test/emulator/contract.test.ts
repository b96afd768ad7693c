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

  it("the shape comparison itself reports missing keys, type changes and empty arrays", function () {
    assert.deepEqual(
      shapeDifferences({ a: 1, b: { c: "x" }, d: [{ e: true }], f: [1], g: "s" }, { a: "1", b: {}, d: [{ e: 0 }], f: [], g: "t" }),
      ["a: real number, emulator string", "b.c: missing", "d[0].e: real boolean, emulator number", "f: real array has items, emulator array is empty"],
    );
  });
});
