// A preview sends nothing to the cluster (issue 11, "Preview"): Check and Diff of a Cluster, Databases and a
// CertificateRotation through the real provider host, counted at the emulator. Unless the stack asks for
// validation at preview: then the 6.2.4 gate (data internode encryption on needs every node at 6.2.4 or later)
// reads the node versions at check, and each new database is validated by the cluster as a dry run, so the
// preview already says when the cluster cannot take it. Requests are counted at the emulator (a
// fault rule that matches every API path and does nothing counts the requests that reach it, whoever sends them).
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { CertificateRotation, Cluster, Database } from "../../sdk";
import { requestsDuring as requestsOf } from "../emulator/support/requests";
import { runProgram, startProviderHost, type ProviderHost, type RunOptions } from "./harness";

const PROJECT = "redis-enterprise-preview";
const STACK = "engine-test";
const PASSWORD = "Preview-Admin-Pass-3107";
const USERNAME = "ops@example.com";

interface Settings {
  alertDays: number;
  memory: string;
  databases: string[];
  triggers: string[];
  /** A database declared with dataInternodeEncryption on (its precondition needs the node versions). */
  encrypted?: string;
}

describe("Preview through the real provider host", function () {
  this.timeout(120_000);
  let host: ProviderHost;
  let emulator: EmulatedCluster;
  const options = (mode: RunOptions["mode"]): RunOptions => ({ host, project: PROJECT, stack: STACK, config: {}, mode });

  before(async () => {
    emulator = await startCluster({ nodes: 3, idle: true, operationDelayMs: 30, keyBits: 1024 });
    host = await startProviderHost({ project: PROJECT, config: {} });
  });
  after(async () => {
    await host?.stop();
    await emulator?.stop();
  });

  const program = (s: Settings) => () => {
    const cluster = new Cluster("prod", {
      name: "prod.example.com",
      nodes: emulator.nodes.map((node) => ({ url: node.url })),
      username: USERNAME,
      password: pulumi.secret(PASSWORD),
      tls: { caCertPem: emulator.caCertPem },
      clusterCertsAboutToExpireAlert: { enabled: true, thresholdDays: s.alertDays },
    });
    for (const name of s.databases) {
      new Database(name, { name, memorySize: s.memory, connection: cluster.connection, ...(s.encrypted === name ? { dataInternodeEncryption: true } : {}) });
    }
    new CertificateRotation("ine", { connection: cluster.connection, certificates: ["ccs_internode_encryption"], triggers: s.triggers });
    return {};
  };

  const databases = () => (emulator.admin.state() as { bdbs: Array<{ object: { name: string; memory_size: number } }> }).bdbs.map((entry) => entry.object);
  const databaseNames = () => databases().map((bdb) => bdb.name).sort();
  const memorySizes = () => databases().map((bdb) => bdb.memory_size);

  /** REST requests that reach the emulator while `work` runs, as "METHOD path". */
  const requestsDuring = (work: () => Promise<unknown>) => requestsOf(emulator, work);

  it("sends no REST request for a preview; with validateAtPreview, the node versions a 6.2.4 precondition needs and a dry run of each new or changed database", async () => {
    const base: Settings = { alertDays: 30, memory: "64MB", databases: ["orders", "sessions"], triggers: ["a"] };
    const created = await runProgram(program(base), {}, options("up"));
    assert.equal(created.steps.filter((step) => step.op === "create").length, 4);

    const unchanged = await requestsDuring(async () => {
      const preview = await runProgram(program(base), created.state, options("preview"));
      assert.deepEqual(new Set(preview.steps.map((step) => step.op)), new Set(["same"]));
    });
    assert.deepEqual(unchanged, [], "a preview without changes sent REST requests");

    // The cluster unchanged: its connection output is known, so every check and diff could reach the cluster.
    const known: Settings = { ...base, memory: "96MB", databases: ["orders", "sessions", "carts", "vault"], triggers: ["b"], encrypted: "vault" };
    const withKnownConnection = await requestsDuring(async () => {
      const preview = await runProgram(program(known), created.state, options("preview"));
      const ops = preview.steps.map((step) => `${step.urn.split("::").at(-1)}:${step.op}`).sort();
      assert.deepEqual(ops, ["carts:create", "ine:update", "orders:update", "prod:same", "sessions:update", "vault:create"]);
    });
    // The new encrypted database's 6.2.4 rule is evaluated before the change is sent, not at preview.
    assert.deepEqual(withKnownConnection, [], "a preview of a new encrypted database sent REST requests");

    // Asked for (redisenterprise:validateAtPreview), a preview reads the node versions that rule needs and has the
    // cluster validate each new database (POST /v1/bdbs?dry_run: carts and vault) and each update (PUT
    // /v1/bdbs/{uid}?dry_run: orders and sessions, their memory): nothing else, nothing created or changed.
    // A provider process reads the stack config once, as under the engine (one process per command): a host of its own.
    const config = { "redisenterprise:validateAtPreview": "true" };
    const validatingHost = await startProviderHost({ project: PROJECT, config });
    try {
      const before = databaseNames();
      const validated = await requestsDuring(() => runProgram(program(known), created.state, { ...options("preview"), host: validatingHost, config }));
      assert.deepEqual(validated.sort(), ["GET /v1/nodes", "POST /v1/bdbs", "POST /v1/bdbs", "PUT /v1/bdbs/1", "PUT /v1/bdbs/2"]);
      assert.deepEqual(databaseNames(), before, "a dry run at preview created a database");
      assert.deepEqual(memorySizes(), [64 * 1024 * 1024, 64 * 1024 * 1024], "a dry run at preview changed a database");
    } finally {
      await validatingHost.stop();
    }

    // The cluster changing too: its connection output is unknown during the preview.
    const next: Settings = { alertDays: 14, memory: "128MB", databases: ["orders", "sessions", "carts"], triggers: ["b"] };
    const changed = await requestsDuring(async () => {
      const preview = await runProgram(program(next), created.state, options("preview"));
      const ops = preview.steps.map((step) => `${step.urn.split("::").at(-1)}:${step.op}`).sort();
      assert.deepEqual(ops, ["carts:create", "ine:update", "orders:update", "prod:update", "sessions:update"]);
    });
    assert.deepEqual(changed, [], "a preview of changes to a Cluster, Databases and a CertificateRotation sent REST requests");

    // The count is real: the up of the same changes is seen making its requests.
    const applied = await requestsDuring(() => runProgram(program(next), created.state, options("up")));
    assert.ok(applied.includes("POST /v1/bdbs") && applied.includes("PUT /v1/cluster"), applied.join(", "));
  });
});
