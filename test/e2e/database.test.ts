// The Database through the real Pulumi engine (the CLI built by scripts/pulumi-cli.sh), with Automation API
// inline programs against an emulated cluster: what a user sees in preview, up, refresh and destroy, including
// the drift and policy flows that only the real engine exercises (issue 7). The steps run in order and share
// one stack, as a user's day does.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { Database } from "../../sdk";
import { clientFor, type TestClient } from "../emulator/support/client";
import { tapRequests } from "../reliability/tap";
import { repositoryRoot } from "../engine/harness";
import { exportedState, inlineStack, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";
import { STACK_TRACE_LINE, failure, watcher } from "./support/watch";

const PROJECT = "rs-e2e";
const STACK = "dev";
const MB128 = 134217728;
const MB256 = 268435456;
const ORDERS_URN = `urn:pulumi:${STACK}::${PROJECT}::pulumi-nodejs:dynamic/redisenterprise:Database::orders`;

interface Settings {
  encrypt: boolean;
  protectOrders?: boolean;
  /** orders' timeouts.update, when set. */
  ordersUpdateTimeout?: string;
}

describe("e2e: the Database through the real Pulumi CLI", function () {
  this.timeout(180_000);
  let sandbox: PulumiSandbox | undefined;
  let cluster: EmulatedCluster;
  let api: TestClient;
  let stack: Stack;
  const sessionsPassword = crypto.randomBytes(12).toString("base64url");
  const settings: Settings = { encrypt: false };

  const program = async () => {
    const orders = new Database(
      "orders",
      {
        name: "orders",
        memorySize: "128MB",
        replication: true,
        dataInternodeEncryption: settings.encrypt,
        ...(settings.ordersUpdateTimeout ? { timeouts: { update: settings.ordersUpdateTimeout } } : {}),
      },
      { protect: settings.protectOrders ?? false },
    );
    const sessions = new Database("sessions", {
      name: "sessions",
      memorySize: "128MB",
      evictionPolicy: "allkeys-lru",
      password: pulumi.secret(sessionsPassword),
    });
    return { ordersUid: orders.uid, sessionsPassword: sessions.password };
  };

  async function liveDatabase(name: string): Promise<Record<string, unknown>> {
    const answer = await api.get("/v1/bdbs");
    const found = (answer.body as Record<string, unknown>[]).find((bdb) => bdb.name === name);
    assert.ok(found, `no database named ${name} on the cluster`);
    return found;
  }

  /** A change made behind Pulumi's back, through the cluster's REST API as an operator would (curl PUT). */
  async function outOfBand(name: string, change: Record<string, unknown>): Promise<void> {
    const uid = (await liveDatabase(name)).uid;
    const answer = await api.put(`/v1/bdbs/${String(uid)}`, change);
    assert.equal(answer.status, 200, answer.text);
    for (let i = 0; i < 200 && (await liveDatabase(name)).status !== "active"; i++) await new Promise((r) => setTimeout(r, 50));
  }

  before(async function () {
    const cliFolder = requireCli(this);
    sandbox = makeSandbox(cliFolder);
    cluster = await startCluster({ nodes: 3, operationDelayMs: 30, keyBits: 1024 });
    api = clientFor(cluster);
    stack = await inlineStack(sandbox, PROJECT, STACK, program);
    await stack.setAllConfig({
      "redisenterprise:url": { value: cluster.nodes[0]!.url },
      "redisenterprise:username": { value: cluster.username },
      "redisenterprise:password": { value: cluster.password, secret: true },
      "redisenterprise:caCertPem": { value: cluster.caCertPem },
    });
  });

  after(async () => {
    await api?.close();
    await cluster?.stop();
    sandbox?.dispose();
  });

  describe("create, review, drift", () => {
    it("preview of a new stack: the stack and two databases to create", async () => {
      const result = await stack.preview();
      assert.deepEqual(result.changeSummary, { create: 3 });
    });

    it("up creates both databases, and a second preview has no changes", async () => {
      const up = await stack.up();
      assert.equal(up.summary.result, "succeeded");
      assert.equal((await liveDatabase("orders")).memory_size, MB128);
      assert.equal((await liveDatabase("sessions")).eviction_policy, "allkeys-lru");
      const again = await stack.preview();
      assert.deepEqual(again.changeSummary, { same: 3 });
    });

    it("preview of a declared encryption flip: the update, its property and the disconnect note", async () => {
      settings.encrypt = true;
      try {
        const w = watcher();
        const result = await stack.preview({ diff: true, onOutput: w.onOutput, onEvent: w.onEvent });
        assert.deepEqual(result.changeSummary, { same: 2, update: 1 });
        assert.match(w.seen.output, /~ dataInternodeEncryption\s*: false => true/);
        const note = w.seen.diagnostics.find((d) => d.message.includes("dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients"));
        assert.ok(note, `no disconnect note among ${JSON.stringify(w.seen.diagnostics)}`);
      } finally {
        settings.encrypt = false;
      }
    });

    it("the note identifies the resource: its diagnostic carries the URN, or its text does", async () => {
      settings.encrypt = true;
      try {
        const w = watcher();
        await stack.preview({ onEvent: w.onEvent });
        const note = w.seen.diagnostics.find((d) => d.message.includes("dataInternodeEncryption false -> true"))!;
        assert.ok(note.urn === ORDERS_URN || note.message.includes(ORDERS_URN), `the note neither has nor names the URN ${ORDERS_URN}: ${JSON.stringify(note)}`);
      } finally {
        settings.encrypt = false;
      }
    });

    it("an out-of-band memory change: refresh records it, and preview shows the property-level diff", async () => {
      await outOfBand("orders", { memory_size: MB256 });
      const refreshed = await stack.refresh();
      assert.equal(refreshed.summary.result, "succeeded");
      const w = watcher();
      const preview = await stack.preview({ diff: true, onOutput: w.onOutput });
      assert.deepEqual(preview.changeSummary, { same: 2, update: 1 });
      assert.match(w.seen.output, new RegExp(`~ memorySize\\s*: ${MB256} => ${MB128}`));
      // Without --diff, the summary line names the property.
      const brief = watcher();
      await stack.preview({ onOutput: brief.onOutput });
      assert.match(brief.seen.output, /\[diff: ~memorySize\]/);
    });

    it("up corrects the drift", async () => {
      const up = await stack.up();
      assert.deepEqual(up.summary.resourceChanges, { same: 2, update: 1 });
      assert.equal((await liveDatabase("orders")).memory_size, MB128);
      assert.deepEqual((await stack.preview()).changeSummary, { same: 3 });
    });

    it("the refreshed state holds no password in plain text either", async () => {
      await outOfBand("sessions", { eviction_policy: "noeviction" });
      await stack.refresh();
      const state = await exportedState(sandbox!, STACK, sandbox!.workDir);
      assert.ok(!state.includes(cluster.password), "the admin password is in the state");
      assert.ok(!state.includes(sessionsPassword), "the sessions password is in the state");
      await stack.up();
      assert.equal((await liveDatabase("sessions")).eviction_policy, "allkeys-lru");
    });

    it("the exported state holds no admin password, database password, private key or checkout path", async () => {
      const state = await exportedState(sandbox!, STACK, sandbox!.workDir);
      assert.ok(state.includes('"urn:pulumi:'), "the export holds no resources");
      assert.ok(!state.includes(cluster.password), "the admin password is in the state");
      assert.ok(!state.includes(sessionsPassword), "the sessions password is in the state");
      assert.doesNotMatch(state, /PRIVATE KEY/);
      assert.ok(!state.includes(repositoryRoot()), `the state holds the checkout's path ${repositoryRoot()}`);
    });

  });

  describe("an encryption flip the cluster accepted whose wait then fails", () => {
    const puts = () => cluster.admin.events({ type: "bdb_updated" }).length;

    it("up fails, and the state records the database as the cluster holds it (the flip applied)", async () => {
      settings.encrypt = true;
      settings.ordersUpdateTimeout = "2s";
      // Once the PUT arrives, every poll of the wait answers after the update's deadline; the rule goes before the
      // deadline passes, and the waiter sends its next poll only after an answer, so the read after it is answered.
      const untap = tapRequests(cluster, (method, path) => {
        if (method === "PUT" && /^\/v1\/bdbs\/\d+$/.test(path)) {
          const rule = cluster.admin.addFault({ method: "GET", path: "^/v1/(bdbs/\\d+|actions/[^/]+)$", latencyMs: 3000 });
          setTimeout(() => cluster.admin.removeFault(rule.id), 1000);
        }
      });
      const before = puts();
      let message: string;
      try {
        message = await failure(stack.up());
      } finally {
        untap();
      }
      // The CLI shows a partial failure by its reasons: the provider's whole sentence.
      assert.match(message, /Database "orders": GET \/v1\/bdbs\/\d+: no answer .*The cluster accepted the update: the database as it could be read is recorded in the stack/);
      assert.equal(puts(), before + 1);
      assert.equal((await liveDatabase("orders")).data_internode_encryption, true);
      const deployment = (await stack.exportStack()).deployment as { resources: Array<{ urn: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }> };
      const orders = deployment.resources.find((resource) => resource.urn === ORDERS_URN)!;
      assert.equal(orders.outputs.dataInternodeEncryption, true, "the outputs hold the value from before the update");
    });

    it("the next preview shows the update that finishes it, without announcing the applied flip again; up sends nothing", async () => {
      const before = puts();
      const w = watcher();
      const preview = await stack.preview({ diff: true, onOutput: w.onOutput, onEvent: w.onEvent });
      assert.deepEqual(preview.changeSummary, { same: 2, update: 1 });
      assert.ok(!w.seen.diagnostics.some((d) => /disconnects all connected clients/.test(d.message)), JSON.stringify(w.seen.diagnostics));
      const up = await stack.up();
      assert.deepEqual(up.summary.resourceChanges, { same: 2, update: 1 });
      assert.equal(puts(), before, "the update was sent again");
      assert.deepEqual((await stack.preview()).changeSummary, { same: 3 });
    });

    after(async () => {
      // Back to the state the next steps expect: orders unencrypted, no timeouts.
      settings.encrypt = false;
      delete settings.ordersUpdateTimeout;
      await stack.up();
    });
  });

  describe("under disruptionPolicy deny from stack config", () => {
    before(async () => {
      await stack.setConfig("redisenterprise:disruptionPolicy", { value: "deny" });
      // Refresh does not run the program: it configures the provider with the stack config recorded by the last
      // up, so the policy reaches refresh only after an up, as in a user's stack.
      await stack.up();
    });
    after(async () => {
      await stack.removeConfig("redisenterprise:disruptionPolicy");
    });

    it("refresh after an out-of-band encryption flip succeeds and records it", async () => {
      await outOfBand("orders", { data_internode_encryption: true });
      // `pulumi refresh` previews first (that is where CLI v3.27x used to fail: "Preview failed: ... deny").
      const previewed = await stack.previewRefresh();
      assert.deepEqual(previewed.changeSummary, { same: 2, update: 1 });
      const refreshed = await stack.refresh();
      assert.equal(refreshed.summary.result, "succeeded");
      const w = watcher();
      await stack.preview({ onOutput: w.onOutput }).catch(() => undefined);
      assert.match(w.seen.output, /dataInternodeEncryption/, "the refreshed drift is not visible to the next preview");
    });

    it("preview refuses putting it back: one error, no stack trace, says it came from outside, names the config key", async () => {
      const w = watcher();
      const text = await failure(stack.preview({ diff: true, onEvent: w.onEvent }));
      // Once: one diagnostic of any kind (the provider host also relays what it prints to stderr as diagnostics).
      assert.equal(w.seen.diagnostics.filter((d) => d.message.includes("disruptionPolicy")).length, 1, JSON.stringify(w.seen.diagnostics));
      const errors = w.seen.diagnostics.filter((d) => d.severity === "error" && d.message.includes("dataInternodeEncryption"));
      assert.equal(errors.length, 1, JSON.stringify(w.seen.diagnostics));
      assert.equal(errors[0]!.urn, ORDERS_URN);
      assert.match(errors[0]!.message, /changed outside Pulumi/);
      assert.match(errors[0]!.message, /redisenterprise:disruptionPolicy/);
      assert.doesNotMatch(errors[0]!.message, /revert the property/i);
      assert.doesNotMatch(text, STACK_TRACE_LINE, "a stack trace is printed");
    });

    it("up refuses it too, and changes nothing", async () => {
      const w = watcher();
      const text = await failure(stack.up({ onEvent: w.onEvent }));
      assert.match(text, /changed outside Pulumi/);
      assert.match(text, /redisenterprise:disruptionPolicy/);
      assert.equal(w.seen.diagnostics.filter((d) => d.message.includes("disruptionPolicy")).length, 1, JSON.stringify(w.seen.diagnostics));
      assert.equal((await liveDatabase("orders")).data_internode_encryption, true);
    });

    it("a declared disruptive change is refused at preview, worded as the program's change", async () => {
      // Take the live value into the program: nothing left to correct; then declare the disruptive change.
      settings.encrypt = true;
      assert.deepEqual((await stack.preview()).changeSummary, { same: 3 });
      await stack.up();
      settings.encrypt = false;
      const w = watcher();
      const text = await failure(stack.preview({ onEvent: w.onEvent }));
      assert.equal(w.seen.diagnostics.filter((d) => d.message.includes("disruptionPolicy")).length, 1, JSON.stringify(w.seen.diagnostics));
      const errors = w.seen.diagnostics.filter((d) => d.severity === "error" && d.message.includes("dataInternodeEncryption"));
      assert.equal(errors.length, 1, JSON.stringify(w.seen.diagnostics));
      assert.match(errors[0]!.message, /dataInternodeEncryption true -> false restarts the database proxy/);
      assert.doesNotMatch(errors[0]!.message, /outside Pulumi/);
      assert.match(errors[0]!.message, /redisenterprise:disruptionPolicy/);
      assert.doesNotMatch(text, STACK_TRACE_LINE, "a stack trace is printed");
      settings.encrypt = true;
    });

    it("deny does not cover delete; protect does, at preview, before anything is deleted (README)", async () => {
      settings.protectOrders = true;
      await stack.up();
      // `pulumi destroy` previews first; the Automation API's destroy skips that unless asked.
      const text = await failure(stack.previewDestroy());
      assert.match(text, /protected/);
      assert.ok(await liveDatabase("orders"));
      assert.ok(await liveDatabase("sessions"), "destroy deleted another database before refusing");
      settings.protectOrders = false;
      await stack.up();
    });
  });

  describe("destroy", () => {
    it("with the policy allowed again, destroy removes every database", async () => {
      const destroyed = await stack.destroy();
      assert.equal(destroyed.summary.result, "succeeded");
      const left = (await api.get("/v1/bdbs")).body as unknown[];
      assert.deepEqual(left, []);
    });
  });
});
