// Finding F1 through the real Pulumi engine: a create whose POST the cluster holds past the create's deadline
// (the emulator's latency fault) and applies later. The provider fails it with a partial failure whose id is
// provisional (pending-create:<name>); the engine must record it (nothing orphaned, its connection output a secret), and
// the next refresh, or the next up without one, must heal the record onto the database the cluster made.
import assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { Database } from "../../sdk";
import { exportedState, inlineStack, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";
import { failure } from "./support/watch";

const PROJECT = "rs-pending";
const STACK = "dev";

interface ExportedResource {
  urn: string;
  id?: string;
  outputs?: Record<string, unknown>;
  initErrors?: string[];
}

describe("e2e: a create held past its deadline is recorded as pending, and healed by the next refresh or up (F1)", function () {
  this.timeout(180_000);
  let sandbox: PulumiSandbox | undefined;
  let cluster: EmulatedCluster;
  let stack: Stack;
  /** The databases the program declares (the second phase adds one). */
  const declared: string[] = ["held"];

  const program = async () => {
    const connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    for (const name of declared) new Database(name, { name, memorySize: "100MB", connection, timeouts: { create: "3s" } });
    return {};
  };

  const live = (name: string) =>
    (cluster.admin.state() as { bdbs: Array<{ object: { uid: number; name: string; status: string } }> }).bdbs.map((entry) => entry.object).filter((b) => b.name === name);

  async function appears(name: string): Promise<number> {
    for (let i = 0; i < 400; i++) {
      const [found] = live(name);
      if (found?.status === "active") return found.uid;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`the cluster never created ${name}`);
  }

  async function recorded(name: string): Promise<{ resource: ExportedResource; text: string }> {
    const text = await exportedState(sandbox!, STACK, sandbox!.workDir);
    const resources = (JSON.parse(text) as { deployment: { resources?: ExportedResource[] } }).deployment.resources ?? [];
    const resource = resources.find((r) => r.urn.endsWith(`::${name}`));
    assert.ok(resource, `the stack records nothing for ${name}`);
    return { resource, text };
  }

  /** The up of the held create: fails, and leaves a pending record with no secret in the clear. */
  async function heldUp(name: string): Promise<void> {
    cluster.admin.addFault({ method: "POST", path: "^/v1/bdbs$", latencyMs: 5000, phase: "before", count: 1 });
    const text = await failure(stack.up());
    assert.match(text, new RegExp(`the create was sent but not answered before the deadline .*records it as pending \\(id pending-create:${name}\\)`));
    const { resource } = await recorded(name);
    assert.equal(resource.id, `pending-create:${name}`);
    assert.equal(resource.outputs?.status, "unconfirmed");
    assert.ok((resource.initErrors ?? []).length > 0, "the engine did not record the partial failure as an initialization error");
    // The program passes the connection as plain values (its inputs are then stored as given): the record's
    // connection output is still a secret, encrypted in the state, as in every other record of the resource.
    assert.equal(typeof (resource.outputs?.connection as { ciphertext?: unknown } | undefined)?.ciphertext, "string", "the record's connection is not a secret");
    assert.ok(!JSON.stringify(resource.outputs).includes(cluster.password), "the admin password is in the record's outputs in the clear");
  }

  before(async function () {
    const cliFolder = requireCli(this);
    sandbox = makeSandbox(cliFolder);
    cluster = await startCluster({ nodes: 1, operationDelayMs: 30, keyBits: 1024 });
    stack = await inlineStack(sandbox, PROJECT, STACK, program);
  });

  after(async () => {
    await cluster?.stop();
    sandbox?.dispose();
  });

  it("the up fails with the pending record; refresh replaces the provisional id with the uid; the next up finishes it", async () => {
    await heldUp("held");
    const uid = await appears("held");
    await stack.refresh();
    const afterRefresh = (await recorded("held")).resource;
    assert.equal(afterRefresh.id, String(uid));
    await stack.up();
    const healed = (await recorded("held")).resource;
    assert.equal(healed.id, String(uid));
    assert.equal(healed.outputs?.status, "active");
    assert.deepEqual(healed.initErrors ?? [], []);
    assert.equal(live("held").length, 1);
    const preview = await stack.preview({ expectNoChanges: true });
    assert.equal(preview.changeSummary.same, 2);
  });

  it("without a refresh, the next up finds the database the cluster made and records its uid", async () => {
    declared.push("held2");
    await heldUp("held2");
    const uid = await appears("held2");
    await stack.up();
    const healed = (await recorded("held2")).resource;
    assert.equal(healed.outputs?.uid, uid);
    assert.equal(healed.outputs?.status, "active");
    assert.deepEqual(healed.initErrors ?? [], []);
    assert.equal(live("held2").length, 1);
    await stack.preview({ expectNoChanges: true });
  });

  it("destroy deletes both", async () => {
    await stack.destroy();
    assert.deepEqual([...live("held"), ...live("held2")], []);
  });
});
