// The Cluster through the real Pulumi engine (the CLI built by scripts/pulumi-cli.sh), with an Automation API
// inline program against idle emulated nodes: bootstrap, a node joined, drift in the cluster's settings seen
// property by property and corrected (issue 7 defect 2 for the Cluster: its read returns inputs), a Database on
// the cluster's connection, a refused rename, and a destroy that leaves the cluster running. The steps share one
// stack and run in order, as a user's day does.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { Cluster, Database } from "../../sdk";
import { clientFor, type TestClient } from "../emulator/support/client";
import { repositoryRoot } from "../engine/harness";
import { exportedState, inlineStack, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";
import { assertNoSecrets, privateKeyLines } from "./support/secrets";
import { STACK_TRACE_LINE, failure, transcript } from "./support/watch";

const PROJECT = "rs-e2e-cluster";
const STACK = "dev";
const NAME = "prod.example.com";
const USERNAME = "ops@example.com";
const PASSWORD = "Cluster-Admin-E2E-7731";
const CLUSTER_URN = `urn:pulumi:${STACK}::${PROJECT}::pulumi-nodejs:dynamic/redisenterprise:Cluster::prod`;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface Settings {
  name: string;
  nodes: number;
  database: boolean;
}

describe("e2e: the Cluster through the real Pulumi CLI", function () {
  this.timeout(180_000);
  let sandbox: PulumiSandbox | undefined;
  let emulator: EmulatedCluster;
  let api: TestClient | undefined;
  let stack: Stack;
  const settings: Settings = { name: NAME, nodes: 3, database: false };

  const program = async () => {
    const cluster = new Cluster("prod", {
      name: settings.name,
      nodes: emulator.nodes.slice(0, settings.nodes).map((node) => ({ url: node.url })),
      username: USERNAME,
      password: pulumi.secret(PASSWORD),
      tls: { caCertPem: emulator.caCertPem },
      dataInternodeEncryptionDefault: false,
      clusterCertsAboutToExpireAlert: { enabled: true, thresholdDays: 30 },
    });
    if (settings.database) new Database("orders", { name: "orders", memorySize: "64MB", connection: cluster.connection });
    return { nodeCount: cluster.nodes.apply((nodes) => nodes.length), ready: cluster.internodeEncryptionReady };
  };

  const run = transcript();
  const watch = () => run.watch();


  const joins = () => emulator.admin.events({ type: "join" }).map((event) => event.nodeUid);
  const policy = async () => (await api!.get("/v1/cluster/policy")).body as Record<string, unknown>;
  const alert = async () => ((await api!.get("/v1/cluster")).body as { alert_settings: Record<string, unknown> }).alert_settings.cluster_certs_about_to_expire;

  before(async function () {
    const cliFolder = requireCli(this);
    sandbox = makeSandbox(cliFolder);
    emulator = await startCluster({ nodes: 4, idle: true, operationDelayMs: 20, keyBits: 1024 });
    stack = await inlineStack(sandbox, PROJECT, STACK, program);
  });

  after(async () => {
    await api?.close();
    await emulator?.stop();
    sandbox?.dispose();
  });

  it("preview of a new stack: the cluster to create", async () => {
    const w = watch();
    const result = await stack.preview({ onOutput: w.onOutput, onEvent: w.onEvent });
    assert.deepEqual(result.changeSummary, { create: 2 });
    assert.equal(w.seen.ops.prod, "create");
  });

  it("up bootstraps three idle nodes into a cluster, and a second preview has no changes", async () => {
    const w = watch();
    const up = await stack.up({ onOutput: w.onOutput, onEvent: w.onEvent });
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.outputs.nodeCount!.value, 3);
    assert.equal(up.outputs.ready!.value, true);
    assert.deepEqual(joins(), [2, 3]);
    api = clientFor(emulator, { credentials: { username: USERNAME, password: PASSWORD } });
    assert.equal(((await api.get("/v1/cluster")).body as { name: string }).name, NAME);
    assert.equal((await policy()).data_internode_encryption, false);
    assert.deepEqual(await alert(), { enabled: true, threshold: "30" });
    const again = await stack.preview({ onOutput: watch().onOutput });
    assert.deepEqual(again.changeSummary, { same: 2 });
  });

  it("a fourth node in nodes: preview shows the join, up joins it", async () => {
    settings.nodes = 4;
    const w = watch();
    const preview = await stack.preview({ diff: true, onOutput: w.onOutput, onEvent: w.onEvent });
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 });
    assert.equal(w.seen.ops.prod, "update");
    assert.match(w.seen.output, new RegExp(`\\+ \\[3\\]: \\{\\s*\\+ url: "${escapeRegExp(emulator.nodes[3]!.url)}"`));
    assert.ok(
      w.seen.diagnostics.some((d) => d.message.includes(`node ${emulator.nodes[3]!.url} will join the cluster`)),
      `no join note among ${JSON.stringify(w.seen.diagnostics)}`,
    );
    assert.deepEqual(joins(), [2, 3], "a preview joined a node");
    const up = await stack.up({ onOutput: watch().onOutput });
    assert.deepEqual(up.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal(up.outputs.nodeCount!.value, 4);
    assert.deepEqual(joins(), [2, 3, 4]);
    assert.deepEqual((await stack.preview({ onOutput: watch().onOutput })).changeSummary, { same: 2 });
  });

  it("settings changed out of band: refresh records them, preview shows each property's diff, up corrects them", async () => {
    // As an operator would with curl: PUT the policy and the alert on the cluster's API.
    assert.equal((await api!.put("/v1/cluster/policy", { data_internode_encryption: true })).status, 200);
    const put = await api!.put("/v1/cluster", { alert_settings: { cluster_certs_about_to_expire: { enabled: true, threshold: "10" } } });
    assert.equal(put.status, 200, put.text);
    const refreshed = await stack.refresh({ onOutput: watch().onOutput });
    assert.equal(refreshed.summary.result, "succeeded");
    assert.deepEqual(refreshed.summary.resourceChanges, { same: 1, update: 1 });

    const w = watch();
    const preview = await stack.preview({ diff: true, onOutput: w.onOutput, onEvent: w.onEvent });
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 });
    assert.match(w.seen.output, /~ dataInternodeEncryptionDefault\s*: true => false/);
    assert.match(w.seen.output, /~ thresholdDays\s*: 10 => 30/);

    const up = await stack.up({ onOutput: watch().onOutput });
    assert.deepEqual(up.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal((await policy()).data_internode_encryption, false);
    assert.deepEqual(await alert(), { enabled: true, threshold: "30" });
    assert.deepEqual((await stack.preview({ onOutput: watch().onOutput })).changeSummary, { same: 2 });
  });

  it("a Database taking cluster.connection is created on the cluster", async () => {
    settings.database = true;
    const up = await stack.up({ onOutput: watch().onOutput });
    assert.deepEqual(up.summary.resourceChanges, { same: 2, create: 1 });
    const bdbs = (await api!.get("/v1/bdbs")).body as Array<{ name: string; status: string; memory_size: number }>;
    assert.deepEqual(
      bdbs.map((bdb) => [bdb.name, bdb.status, bdb.memory_size]),
      [["orders", "active", 64 * 1024 * 1024]],
    );
    assert.deepEqual((await stack.preview({ onOutput: watch().onOutput })).changeSummary, { same: 3 });
  });

  it("a rename is refused at preview: one error on the cluster, printed once, without a stack trace", async () => {
    settings.name = "renamed.example.com";
    try {
      const w = watch();
      const text = await failure(stack.preview({ onOutput: w.onOutput, onEvent: w.onEvent }));
      const mentions = w.seen.diagnostics.filter((d) => d.message.includes("renamed.example.com"));
      assert.equal(mentions.length, 1, JSON.stringify(w.seen.diagnostics));
      assert.equal(mentions[0]!.severity, "error");
      assert.equal(mentions[0]!.urn, CLUSTER_URN);
      assert.match(mentions[0]!.message, /name "prod\.example\.com" -> "renamed\.example\.com" cannot be applied: the cluster's FQDN is set once, at bootstrap/);
      assert.doesNotMatch(text, STACK_TRACE_LINE, "a stack trace is printed");
      assert.equal(((await api!.get("/v1/cluster")).body as { name: string }).name, NAME);
    } finally {
      settings.name = NAME;
    }
  });

  it("the exported state and everything the CLI printed hold no admin password, private key or checkout path", async () => {
    const state = await exportedState(sandbox!, STACK, sandbox!.workDir);
    assert.ok(state.includes(CLUSTER_URN), "the export holds no cluster");
    const secrets = { passwords: [PASSWORD], keyLines: await privateKeyLines(emulator, { username: USERNAME, password: PASSWORD }) };
    assertNoSecrets("the exported state", state, secrets);
    assert.ok(!state.includes(repositoryRoot()), `the state holds the checkout's path ${repositoryRoot()}`);
    assertNoSecrets("the CLI's output", run.text, secrets);
  });

  it("destroy deletes the database, leaves the cluster running, and says so", async () => {
    const w = watch();
    const destroyed = await stack.destroy({ onOutput: w.onOutput, onEvent: w.onEvent });
    assert.equal(destroyed.summary.result, "succeeded");
    assert.deepEqual(destroyed.summary.resourceChanges, { delete: 3 });
    const said = [w.seen.output, ...w.seen.diagnostics.map((d) => d.message)].join("\n");
    assert.match(said, /Cluster "prod\.example\.com": Deleting this resource leaves the cluster running: Redis Enterprise has no API that destroys a cluster/);
    assert.deepEqual((await api!.get("/v1/bdbs")).body, []);
    const cluster = await api!.get("/v1/cluster");
    assert.equal(cluster.status, 200);
    assert.equal((cluster.body as { name: string }).name, NAME);
    const nodes = (await api!.get("/v1/nodes")).body as Array<{ uid: number; status: string }>;
    assert.deepEqual(nodes.map((node) => [node.uid, node.status]), [[1, "active"], [2, "active"], [3, "active"], [4, "active"]]);
  });
});
