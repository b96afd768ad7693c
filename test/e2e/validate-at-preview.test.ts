// Validation at preview by the cluster (redisenterprise:validateAtPreview) through the real Pulumi CLI: a new
// database the cluster would refuse (its port is taken) fails the preview with one error on that database, without
// a stack trace, and nothing is created; an update the cluster would refuse (a rename to a name in use) is announced
// by the preview, and the up then fails at once, naming the code, and changes nothing.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { Database } from "../../sdk";
import { clientFor, type TestClient } from "../emulator/support/client";
import { inlineStack, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";
import { STACK_TRACE_LINE, failure, watcher } from "./support/watch";
import type { Stack } from "@pulumi/pulumi/automation";

const PROJECT = "rs-e2e-validate";
const STACK = "dev";
const urnOf = (name: string) => `urn:pulumi:${STACK}::${PROJECT}::pulumi-nodejs:dynamic/redisenterprise:Database::${name}`;

describe("e2e: validation at preview by the cluster, through the real Pulumi CLI", function () {
  this.timeout(180_000);
  let sandbox: PulumiSandbox | undefined;
  let cluster: EmulatedCluster;
  let api: TestClient;
  let stack: Stack;
  /** What the program declares: the database `orders` (its name and port). */
  const declared: { name: string; port?: number } = { name: "orders" };

  const program = async () => {
    const orders = new Database("orders", { name: declared.name, memorySize: "64MB", ...(declared.port !== undefined ? { port: declared.port } : {}) });
    return { ordersUid: orders.uid };
  };

  const names = async () => ((await api.get("/v1/bdbs")).body as Array<{ name: string }>).map((bdb) => bdb.name).sort();

  before(async function () {
    const cliFolder = requireCli(this);
    sandbox = makeSandbox(cliFolder);
    cluster = await startCluster({ nodes: 3, operationDelayMs: 30, keyBits: 1024 });
    api = clientFor(cluster);
    // Another team's database, made behind this stack's back, holding port 12000.
    const squatter = await api.post("/v1/bdbs", { name: "squatter", type: "redis", memory_size: 67108864, port: 12000 });
    assert.equal(squatter.status, 200, squatter.text);
    stack = await inlineStack(sandbox, PROJECT, STACK, program);
    await stack.setAllConfig({
      "redisenterprise:url": { value: cluster.nodes[0]!.url },
      "redisenterprise:username": { value: cluster.username },
      "redisenterprise:password": { value: cluster.password, secret: true },
      "redisenterprise:caCertPem": { value: cluster.caCertPem },
      "redisenterprise:validateAtPreview": { value: "true" },
    });
  });

  after(async () => {
    await api?.close();
    await cluster?.stop();
    sandbox?.dispose();
  });

  it("a new database on a taken port fails the preview: one error on it, naming port_unavailable, nothing created", async () => {
    declared.port = 12000;
    const w = watcher();
    const text = await failure(stack.preview({ onOutput: w.onOutput, onEvent: w.onEvent }));
    const errors = w.seen.diagnostics.filter((d) => d.severity === "error" && d.urn === urnOf("orders"));
    assert.equal(errors.length, 1, JSON.stringify(w.seen.diagnostics));
    assert.match(errors[0]!.message, /the cluster would refuse to create it \(a dry run at preview\): POST \/v1\/bdbs\?dry_run: 406 port_unavailable: .*port 12000 is in use by database 1 \('squatter'\)/);
    assert.doesNotMatch(text, STACK_TRACE_LINE, "a stack trace is printed");
    assert.deepEqual(await names(), ["squatter"]);
  });

  it("on a free port the preview passes and up creates it", async () => {
    declared.port = 12001;
    const preview = await stack.preview();
    assert.equal(preview.changeSummary.create, 2);
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(await names(), ["orders", "squatter"]);
  });

  it("a port change replaces the database: the replacement's own check does not hold the old database against it", async () => {
    // The engine checks a replacement again without olds; a dry run of that create would meet the old database's
    // name (it is deleted first). Before the provider knew that check for a replacement's, this failed name_exists.
    declared.port = 12002;
    const preview = await stack.preview();
    assert.equal(preview.changeSummary.replace, 1, JSON.stringify(preview.changeSummary));
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    const orders = ((await api.get("/v1/bdbs")).body as Array<{ name: string; endpoints?: Array<{ port: number }> }>).find((bdb) => bdb.name === "orders");
    assert.equal(orders?.endpoints?.[0]?.port, 12002);
    assert.deepEqual(await names(), ["orders", "squatter"]);
  });

  it("a rename to a name in use is announced by the preview, and up fails at once naming name_exists, changing nothing", async () => {
    declared.name = "squatter";
    const w = watcher();
    const preview = await stack.preview({ onOutput: w.onOutput, onEvent: w.onEvent });
    assert.equal(preview.changeSummary.update, 1);
    const announced = w.seen.diagnostics.filter((d) => d.message.includes("pulumi up will refuse this"));
    assert.equal(announced.length, 1, JSON.stringify(w.seen.diagnostics));
    assert.match(announced[0]!.message, /the cluster would refuse to update it \(a dry run at preview\): PUT \/v1\/bdbs\/\d+\?dry_run: 409 name_exists: .*; choose another name/);

    const started = Date.now();
    const text = await failure(stack.up());
    assert.match(text, /PUT \/v1\/bdbs\/\d+: 409 name_exists: a database named 'squatter' already exists/);
    assert.ok(Date.now() - started < 60_000, `the up took ${Date.now() - started} ms`);
    assert.deepEqual(await names(), ["orders", "squatter"]);
  });

  it("destroy removes the stack's database and leaves the other team's", async () => {
    declared.name = "orders";
    const destroyed = await stack.destroy();
    assert.equal(destroyed.summary.result, "succeeded");
    assert.deepEqual(await names(), ["squatter"]);
  });
});
