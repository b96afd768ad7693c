// Bootstrap of idle nodes: create_cluster on one node, join_cluster on the others (sent to the joining node),
// the asynchronous states, the documented error codes, validation, and authentication once bootstrapped.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { clientFor, TEST_KEY_BITS, waitFor, type TestClient } from "./support/client";

const credentials = { username: "ops@example.com", password: "Bootstrap-Pass-1" };

function createBody(name = "new.example.com"): Record<string, unknown> {
  return { action: "create_cluster", cluster: { name, nodes: [] }, node: { identity: { addr: "127.0.0.1" } }, credentials };
}

function joinBody(via: string, creds = credentials): Record<string, unknown> {
  return { action: "join_cluster", cluster: { nodes: [via] }, credentials: creds };
}

describe("emulator: bootstrap", function () {
  let cluster: EmulatedCluster;
  const clients: TestClient[] = [];
  let nodeOne: TestClient;
  let nodeTwo: TestClient;

  before(async function () {
    cluster = await startCluster({ idle: true, operationDelayMs: 60, keyBits: TEST_KEY_BITS });
    nodeOne = clientFor(cluster, { node: 0, credentials: undefined });
    nodeTwo = clientFor(cluster, { node: 1, credentials: undefined });
    clients.push(nodeOne, nodeTwo);
  });
  after(async function () {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
  });
  beforeEach(async function () {
    await cluster.admin.reset();
  });

  async function bootstrapState(client: TestClient, auth?: typeof credentials): Promise<Record<string, unknown>> {
    const response = await client.get("/v1/bootstrap", auth ? { auth } : {});
    assert.equal(response.status, 200, response.text);
    return response.body.bootstrap_status;
  }

  async function waitState(client: TestClient, state: string, auth?: typeof credentials): Promise<Record<string, unknown>> {
    return waitFor(`bootstrap state ${state}`, async () => {
      const response = await client.get("/v1/bootstrap", auth ? { auth } : {});
      return response.status === 200 && response.body.bootstrap_status.state === state ? response.body.bootstrap_status : undefined;
    });
  }

  it("an idle node answers GET /v1/bootstrap without credentials and 503 for the cluster API", async function () {
    const response = await nodeOne.get("/v1/bootstrap");
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.bootstrap_status, { state: "idle" });
    const info = response.body.local_node_info;
    assert.equal(info.uid, "1");
    assert.equal(info.software_version, "7.22.2-14");
    assert.deepEqual(info.available_addresses, [{ address: "127.0.0.1", format: "ipv4", if_name: "lo", private: true }]);
    const clusterApi = await nodeOne.get("/v1/cluster", { auth: credentials });
    assert.equal(clusterApi.status, 503);
    assert.equal(clusterApi.body.error_code, "not_a_cluster_member");
  });

  it("create_cluster: 200 at once, creating_cluster, then completed; the admin from credentials; GET needs auth afterwards", async function () {
    const posted = await nodeOne.post("/v1/bootstrap/create_cluster", createBody());
    assert.equal(posted.status, 200);
    assert.equal(posted.text, "");
    assert.equal((await bootstrapState(nodeOne)).state, "creating_cluster");
    const again = await nodeOne.post("/v1/bootstrap/create_cluster", createBody());
    assert.equal(again.status, 409);
    assert.equal(again.body.error_code, "bootstrap_in_progress");
    const done = await waitState(nodeOne, "completed", credentials);
    assert.equal(typeof done.start_time, "string");
    assert.equal(typeof done.end_time, "string");
    assert.equal((await nodeOne.get("/v1/bootstrap")).status, 401, "credentials needed once the node is in a cluster");
    const clusterObject = await nodeOne.get("/v1/cluster", { auth: credentials });
    assert.equal(clusterObject.status, 200);
    assert.equal(clusterObject.body.name, "new.example.com");
    assert.equal(cluster.clusterName, "new.example.com");
    assert.equal(cluster.username, credentials.username);
    const nodes = (await nodeOne.get("/v1/nodes", { auth: credentials })).body;
    assert.deepEqual(nodes.map((n: { uid: number }) => n.uid), [1]);
    const repeated = await nodeOne.post("/v1/bootstrap/create_cluster", createBody(), { auth: credentials });
    assert.equal(repeated.status, 409);
    assert.equal(repeated.body.error_code, "already_bootstrapped");
    assert.deepEqual(cluster.admin.events({ type: "bootstrap" }).map((e) => [e.nodeUid, e.clusterName]), [[1, "new.example.com"]]);
    const certificates = cluster.admin.state().certificates as Array<{ nodeUid: number; name: string }>;
    assert.deepEqual([...new Set(certificates.map((c) => c.nodeUid))], [1]);
    assert.equal(certificates.filter((c) => c.nodeUid === 1).length, 7);
  });

  it("a bad create_cluster is accepted (200) and fails in bootstrap_status with config_error; a new POST retries", async function () {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [createBody("bad_name!"), /cluster\.name/],
      [createBody("a".repeat(65)), /cluster\.name/],
      [{ ...createBody(), credentials: { username: "x" } }, /credentials\.password/],
      [{ ...createBody(), node: { identity: { addr: "10.9.9.9" } } }, /not an address of this node/],
    ];
    for (const [body, message] of cases) {
      assert.equal((await nodeOne.post("/v1/bootstrap/create_cluster", body)).status, 200);
      const status = await bootstrapState(nodeOne);
      assert.equal(status.state, "error", JSON.stringify(body));
      assert.equal(status.error_code, "config_error");
      assert.match((status.error_details as { message: string }).message, message);
    }
    assert.equal((await nodeOne.post("/v1/bootstrap/create_cluster", createBody())).status, 200);
    await waitState(nodeOne, "completed", credentials);
  });

  it("unknown top-level fields (flash_enabled, as the vendor's docker examples send) are ignored, not fatal", async function () {
    assert.equal((await nodeOne.post("/v1/bootstrap/create_cluster", { ...createBody(), flash_enabled: true, clsuter: {} })).status, 200);
    await waitState(nodeOne, "completed", credentials);
    const events = cluster.admin.events({ type: "bootstrap" });
    assert.deepEqual(events.map((e) => e.ignoredFields), [["clsuter", "flash_enabled"]]);
    assert.equal((await nodeTwo.post("/v1/bootstrap/join_cluster", { ...joinBody("127.0.0.1"), flash_enabled: false })).status, 200);
    await waitState(nodeTwo, "completed", credentials);
    assert.deepEqual(cluster.admin.events({ type: "join" }).map((e) => e.ignoredFields), [["flash_enabled"]]);
  });

  it("join_cluster goes to the joining node: connect_error for a non-member, access_denied for wrong credentials, then joins", async function () {
    await nodeOne.post("/v1/bootstrap/create_cluster", createBody());
    await waitState(nodeOne, "completed", credentials);

    await nodeTwo.post("/v1/bootstrap/join_cluster", joinBody("127.0.0.3"));
    let status = await bootstrapState(nodeTwo);
    assert.equal(status.state, "error");
    assert.equal(status.error_code, "connect_error");

    await nodeTwo.post("/v1/bootstrap/join_cluster", joinBody("127.0.0.1", { username: credentials.username, password: "wrong" }));
    status = await bootstrapState(nodeTwo);
    assert.equal(status.error_code, "access_denied");
    assert.equal(JSON.stringify(status).includes("wrong"), false, "the refused password is not echoed");

    assert.equal((await nodeTwo.post("/v1/bootstrap/join_cluster", joinBody("127.0.0.1"))).status, 200);
    assert.equal((await bootstrapState(nodeTwo)).state, "joining_cluster");
    await waitState(nodeTwo, "completed", credentials);
    const nodes = (await nodeTwo.get("/v1/nodes", { auth: credentials })).body;
    assert.deepEqual(nodes.map((n: { uid: number }) => n.uid), [1, 2]);
    assert.deepEqual(cluster.admin.events({ type: "join" }).map((e) => [e.nodeUid, e.via]), [[2, "127.0.0.1"]]);
  });

  it("a second create_cluster on another node is refused: the emulator holds one cluster", async function () {
    await nodeOne.post("/v1/bootstrap/create_cluster", createBody());
    await nodeTwo.post("/v1/bootstrap/create_cluster", { ...createBody("other.example.com"), node: { identity: { addr: "127.0.0.2" } } });
    const status = await bootstrapState(nodeTwo);
    assert.equal(status.state, "error");
    assert.match((status.error_details as { message: string }).message, /already holds a cluster/);
  });

  it("POST /v1/bootstrap/validate/{action}: 200 when valid, 406 with a bootstrap_status body otherwise, nothing changes", async function () {
    assert.equal((await nodeOne.post("/v1/bootstrap/validate/create_cluster", createBody())).status, 200);
    const bad = await nodeOne.post("/v1/bootstrap/validate/create_cluster", createBody("-bad-"));
    assert.equal(bad.status, 406);
    assert.equal(bad.body.bootstrap_status.state, "error");
    assert.equal(bad.body.bootstrap_status.error_code, "config_error");
    const join = await nodeTwo.post("/v1/bootstrap/validate/join_cluster", joinBody("127.0.0.1"));
    assert.equal(join.status, 406);
    assert.equal(join.body.bootstrap_status.error_code, "connect_error");
    assert.deepEqual(await bootstrapState(nodeOne), { state: "idle" });
    assert.equal((await nodeOne.post("/v1/bootstrap/recover_cluster", {})).status, 404);
  });
});
