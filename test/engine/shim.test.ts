// How the serialized shim finds the implementation when the package name does not resolve from node_modules, as
// under the real CLI in this repository (the host runs in the program's folder, dist/examples/demo, and no
// node_modules holds the package): it resolves the package by its own name through the package's "exports" (a
// self-reference, which Node allows from any folder inside the package). The text records nothing about the
// machine (issue 7, defect 5: it embedded the checkout's absolute path), so state does not depend on where the
// package was installed.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { RsClient } from "../../provider/rest";
import { providerShim } from "../../sdk/shim";
import { repositoryRoot, serializeProvider, startProviderHost, type ProviderHost } from "./harness";

const URN = "urn:pulumi:dev::shim::pulumi-nodejs:dynamic/redisenterprise:Database::db";

describe("the serialized shim without the package on the module path", function () {
  this.timeout(30_000);
  let shimText: string;
  const hosts: ProviderHost[] = [];

  before(async () => {
    shimText = await serializeProvider(providerShim("Database"));
  });
  after(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
  });

  async function checkFrom(cwd: string) {
    const host = await startProviderHost({ project: "shim", config: {}, cwd, resolveOwnPackage: false });
    hosts.push(host);
    await host.configure({});
    return host.check(URN, {}, { name: "db", memorySize: "1GB", __provider: shimText });
  }

  it("finds this package from the program's folder inside it, through the package's own exports", async () => {
    const result = await checkFrom(path.join(repositoryRoot(), "dist", "examples", "demo"));
    // The implementation ran: with no connection at all it answers with its own check failure.
    assert.equal(result.failures[0]?.property, "connection");
  });

  it("records no path of this machine in the serialized text", () => {
    const root = repositoryRoot();
    assert.ok(!shimText.includes(root), `the __provider text contains the checkout's path ${root}`);
    assert.ok(!shimText.includes(os.homedir()), "the __provider text contains the home folder");
    assert.doesNotMatch(shimText, /\/(dist|provider)\/index\.js/);
  });

  it("outside any copy of the package, fails saying where it looked and what to install", async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "shim-outside-"));
    try {
      await assert.rejects(checkFrom(outside), (error: Error) => {
        assert.match(error.message, /provider implementation cannot be loaded/);
        assert.ok(error.message.includes(outside), error.message);
        assert.match(error.message, /npm install pulumi-redis-enterprise/);
        return true;
      });
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

// The shim's methods are put on it by its configure, which the provider host calls before anything else; state
// written before that holds the older text (one forwarding function per method, 3,543 bytes for the Database),
// and both must keep working side by side: refresh and destroy run the text stored in state.
describe("the serialized shim: configure first, and state written by the older shim", function () {
  this.timeout(60_000);
  const OLDER_TEXT = fs.readFileSync(path.join(repositoryRoot(), "test", "engine", "fixtures", "shim-with-forwarding-methods.Database.txt"), "utf8");
  const urn = "urn:pulumi:dev::shim::pulumi-nodejs:dynamic/redisenterprise:Database::orders";
  let cluster: EmulatedCluster;
  let connection: { url: string; username: string; password: string; caCertPem: string };
  let uid: string;
  let shimText: string;
  const hosts: ProviderHost[] = [];
  const newHost = async () => {
    const host = await startProviderHost({ project: "shim", config: {} });
    hosts.push(host);
    await host.configure({});
    return host;
  };

  before(async () => {
    shimText = await serializeProvider(providerShim("Database"));
    cluster = await startCluster({ nodes: 1, operationDelayMs: 0, keyBits: 1024 });
    connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    const client = new RsClient(connection);
    try {
      uid = String((await client.post<{ uid: number }>("/v1/bdbs", { name: "orders", type: "redis", memory_size: 104857600 })).uid);
    } finally {
      await client.close();
    }
  });
  after(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await cluster?.stop();
  });

  it("is less than two thirds of the older text, which every resource stores twice", () => {
    assert.ok(shimText.length < (OLDER_TEXT.length * 2) / 3, `${shimText.length} bytes against ${OLDER_TEXT.length}`);
    assert.doesNotMatch(shimText, /\/\/ /, "a comment inside the serialized functions is stored in every resource's state");
  });

  it("answers a Read as the first call of a new host (a refresh), the same as the older text does", async () => {
    const inputs = { name: "orders", memorySize: "100MB", connection };
    const fresh = await (await newHost()).read(uid, urn, { uid: Number(uid), name: "orders", connection, __provider: shimText }, { ...inputs, __provider: shimText });
    const older = await (await newHost()).read(uid, urn, { uid: Number(uid), name: "orders", connection, __provider: OLDER_TEXT }, { ...inputs, __provider: OLDER_TEXT });
    assert.equal(fresh.id, uid);
    assert.equal(fresh.properties.name, "orders");
    const { __provider: freshText, ...freshOutputs } = fresh.properties;
    const { __provider: olderText, ...olderOutputs } = older.properties;
    assert.deepEqual(freshOutputs, olderOutputs);
    assert.equal(freshText, shimText);
    assert.equal(olderText, OLDER_TEXT);
  });

  it("shows no change when a program with this version meets state written by the older text (no update, no replace)", async () => {
    const host = await newHost();
    const inputs = { name: "orders", memorySize: "100MB", connection };
    const stored = await host.read(uid, urn, { uid: Number(uid), name: "orders", connection, __provider: OLDER_TEXT }, { ...inputs, __provider: OLDER_TEXT });
    const oldInputs = { ...(stored.inputs ?? inputs), __provider: OLDER_TEXT };
    const checked = await host.check(urn, oldInputs, { ...inputs, __provider: shimText });
    assert.deepEqual(checked.failures, []);
    const diff = await host.diff(uid, urn, stored.properties, checked.inputs, oldInputs);
    assert.equal(diff.changes, "DIFF_NONE");
    assert.deepEqual(diff.replaces, []);
  });

  it("fails every method with a clear error when the host has not called configure (never skipped in silence)", async () => {
    const shim = providerShim("Database");
    for (const call of [() => shim.check!({}, {}), () => shim.diff!("1", {}, {}), () => shim.create({}), () => shim.read!("1", {}), () => shim.update!("1", {}, {}), () => shim.delete!("1", {})]) {
      assert.throws(call, /pulumi-redis-enterprise: the provider host did not call configure first/);
    }
  });
});
