// The state file: stop, start again with the same file, and find the same databases, CA, certificates, users
// and virtual clock.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { clientFor, TEST_KEY_BITS, waitActive } from "./support/client";

const GiB = 1073741824;
const DAY_MS = 86_400_000;

describe("emulator: state file", function () {
  let directory: string;
  const running: EmulatedCluster[] = [];

  before(function () {
    directory = mkdtempSync(join(tmpdir(), "rs-emulator-state-"));
  });
  after(async function () {
    await Promise.all(running.map((c) => c.stop()));
    rmSync(directory, { recursive: true, force: true });
  });

  async function start(stateFile: string, extra: Parameters<typeof startCluster>[0] = {}): Promise<EmulatedCluster> {
    const cluster = await startCluster({ stateFile, operationDelayMs: 20, keyBits: TEST_KEY_BITS, ...extra });
    running.push(cluster);
    return cluster;
  }

  it("round trip: same databases, CA, certificates, users and clock after a restart; uids continue", async function () {
    const stateFile = join(directory, "cluster.json");
    const first = await start(stateFile, { clusterName: "persisted.example.com", password: "First-Pass-1" });
    let api = clientFor(first);
    await api.post("/v1/bdbs", { name: "kept-one", memory_size: GiB, port: 12345 });
    await api.post("/v1/bdbs", { name: "kept-two", memory_size: 2 * GiB, data_internode_encryption: true });
    await waitActive(api, 1);
    await waitActive(api, 2);
    await api.post("/v1/cluster/certificates/rotate", { name: "proxy" });
    first.admin.addUser({ username: "viewer", password: "viewer-pass", role: "db_viewer" });
    await first.admin.advanceClock({ days: 1 });
    const bdbs = (await api.get("/v1/bdbs")).body;
    const certificates = (await api.get("/v1/cluster/certificates")).body;
    const offset = first.admin.clock().offsetMs;
    const ca = first.caCertPem;
    await api.close();
    await first.stop();
    assert.equal(statSync(stateFile).mode & 0o777, 0o600, "the state file holds keys: owner-only");

    // Options that disagree with the file lose: the file holds the cluster.
    const second = await start(stateFile, { clusterName: "ignored.example.com", password: "other" });
    api = clientFor(second);
    try {
      assert.equal(second.caCertPem, ca);
      assert.equal(second.clusterName, "persisted.example.com");
      assert.equal(second.password, "First-Pass-1");
      assert.deepEqual((await api.get("/v1/bdbs")).body, bdbs);
      assert.deepEqual((await api.get("/v1/cluster/certificates")).body, certificates);
      assert.ok(Math.abs(second.admin.clock().offsetMs - offset) < 1000);
      assert.ok(offset >= DAY_MS);
      assert.equal((await api.get("/v1/bdbs", { auth: { username: "viewer", password: "viewer-pass" } })).status, 200);
      assert.equal((await api.post("/v1/bdbs", { name: "third", memory_size: GiB })).body.uid, 3);
      const port = await api.post("/v1/bdbs", { name: "clash", memory_size: GiB, port: 12345 });
      assert.equal(port.body.error_code, "port_unavailable");
    } finally {
      await api.close();
    }
  });

  it("an operation in flight at stop is settled when the file is loaded", async function () {
    const stateFile = join(directory, "inflight.json");
    const first = await start(stateFile, { operationDelayMs: 60_000 });
    let api = clientFor(first);
    const created = await api.post("/v1/bdbs", { name: "halfway", memory_size: GiB });
    assert.equal(created.body.status, "pending");
    await api.close();
    await first.stop();
    const second = await start(stateFile);
    api = clientFor(second);
    try {
      const db = (await api.get("/v1/bdbs/1")).body;
      assert.equal(db.status, "active");
      assert.equal("action_uid" in db, false);
      assert.equal((await api.get(`/v1/actions/${created.body.action_uid as string}`)).body.status, "completed");
    } finally {
      await api.close();
    }
  });

  it("refuses a file that is not a state file, naming it", async function () {
    const stateFile = join(directory, "garbage.json");
    writeFileSync(stateFile, "{\"hello\": 1}");
    await assert.rejects(startCluster({ stateFile, keyBits: TEST_KEY_BITS }), new RegExp(`state file ${stateFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not an emulator state file`));
    writeFileSync(stateFile, "{not json");
    await assert.rejects(startCluster({ stateFile, keyBits: TEST_KEY_BITS }), /is not valid JSON/);
  });
});
