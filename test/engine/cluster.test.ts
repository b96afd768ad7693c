// Cluster and CertificateRotation through the engine's own path: the real @pulumi/pulumi provider host, driven
// over gRPC by the harness, running programs against emulated clusters. Three idle nodes bootstrapped and a
// fourth joined; the policy default applied to a database created afterwards and not to one created before;
// the alert settings round trip; a node at 6.2.3; rotation with its drift near expiry and none after the
// cluster's own rotation; a bootstrap error with its code; adoption. Private keys are looked for everywhere.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { CertificateRotation, Cluster, Database } from "../../sdk";
import {
  DeploymentError,
  destroy,
  refresh,
  runProgram,
  startProviderHost,
  type ProviderHost,
  type RunOptions,
} from "./harness";
import { assertNoSecretLeaks, opsByName } from "./support";
import { bootstrapFirstNodeOutOfBand } from "../provider/support/cluster";

const PROJECT = "redis-enterprise-cluster";
const STACK = "engine-test";
const PASSWORD = "Cluster-Admin-Pass-5521";
const USERNAME = "ops@example.com";
const TYPE = (kind: string) => `pulumi-nodejs:dynamic/redisenterprise:${kind}`;
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;

interface Settings {
  nodes: number;
  policyDefault: boolean;
  alertDays: number;
  databases: string[];
  encryptedDatabase?: string;
  rotation?: { triggers: string[] };
  rotationJob?: boolean;
  adopt?: boolean;
}

/** Private keys held by a cluster, as its admin reads them (GET /v1/cluster/certificates answers them). */
async function keyLines(emulator: EmulatedCluster, username: string, password: string): Promise<string[]> {
  const answer = await fetch(`${emulator.nodes[0]!.httpUrl}/v1/cluster/certificates`, { headers: { authorization: basic(username, password) } });
  const body = (await answer.json()) as Record<string, string>;
  const keys = Object.entries(body).filter(([name]) => name.endsWith("_key")).map(([, pem]) => pem);
  assert.ok(keys.length >= 7);
  return keys.flatMap((pem) => pem.split("\n").filter((line) => line.length > 40 && !line.startsWith("-----")));
}


describe("Cluster and CertificateRotation through the real provider host", function () {
  this.timeout(120_000);
  let host: ProviderHost;
  const options = (mode: RunOptions["mode"]): RunOptions => ({ host, project: PROJECT, stack: STACK, config: {}, mode });

  before(async () => {
    host = await startProviderHost({ project: PROJECT, config: {} });
  });
  after(async () => host?.stop());

  describe("bootstrap, join, policy default, alerts, the 6.2.4 rule and rotation", () => {
    let emulator: EmulatedCluster;
    before(async () => {
      emulator = await startCluster({ nodes: 4, idle: true, operationDelayMs: 30, keyBits: 1024 });
    });
    after(async () => emulator?.stop());

    const liveDatabases = () => (emulator.admin.state() as { bdbs: Array<{ object: Record<string, unknown> }> }).bdbs.map((b) => b.object);
    const program = (s: Settings) => () => {
      const cluster = new Cluster("prod", {
        name: "prod.example.com",
        nodes: emulator.nodes.slice(0, s.nodes).map((node) => ({ url: node.url })),
        username: USERNAME,
        password: pulumi.secret(PASSWORD),
        tls: { caCertPem: emulator.caCertPem },
        ...(s.adopt ? { adopt: true } : {}),
        dataInternodeEncryptionDefault: s.policyDefault,
        clusterCertsAboutToExpireAlert: { enabled: true, thresholdDays: s.alertDays },
        nodeInternalCertsAboutToExpireAlert: { enabled: true, thresholdDays: s.alertDays },
        ...(s.rotationJob === undefined ? {} : { certificateRotationJob: { enabled: s.rotationJob } }),
      });
      for (const name of s.databases) {
        new Database(name, { name, memorySize: "64MB", connection: cluster.connection, ...(s.encryptedDatabase === name ? { dataInternodeEncryption: true } : {}) });
      }
      const rotation = s.rotation
        ? new CertificateRotation("ine", { connection: cluster.connection, certificates: ["ccs_internode_encryption", "data_internode_encryption"], triggers: s.rotation.triggers })
        : undefined;
      return {
        ready: cluster.internodeEncryptionReady,
        nodeCount: cluster.nodes.apply((nodes) => nodes.length),
        ...(rotation ? { rotated: rotation.certificates } : {}),
      };
    };

    it("bootstraps three idle nodes, joins a fourth, applies the policy default only to databases created afterwards, round-trips the alerts", async () => {
      const start = host.mark();
      const base: Settings = { nodes: 3, policyDefault: false, alertDays: 30, databases: ["before"] };
      const created = await runProgram(program(base), {}, options("up"));
      assert.deepEqual(opsByName(created.steps), { prod: "create", before: "create" });
      assert.equal(created.outputs.ready, true);
      assert.equal(created.outputs.nodeCount, 3);
      assert.deepEqual(emulator.admin.events({ type: "join" }).map((e) => e.nodeUid), [2, 3]);
      const prod = created.state[`urn:pulumi:${STACK}::${PROJECT}::${TYPE("Cluster")}::prod`]!;
      assert.equal(prod.id, "prod.example.com");
      assert.ok(prod.secretOutputKeys.includes("connection") && prod.secretOutputKeys.includes("password"));
      assert.equal(liveDatabases().find((b) => b.name === "before")!.data_internode_encryption, false);
      // The alert thresholds reached the cluster as strings.
      const alerts = (emulator.admin.state() as { cluster: { alert_settings: Record<string, unknown> } }).cluster.alert_settings;
      assert.deepEqual(alerts.cluster_certs_about_to_expire, { enabled: true, threshold: "30" });
      assert.deepEqual(alerts.node_internal_certs_about_to_expire, { enabled: true, threshold: "30" });

      // Policy default on, a fourth node, and a database created afterwards.
      let mark = host.mark();
      const next: Settings = { ...base, nodes: 4, policyDefault: true, databases: ["before", "after"] };
      const preview = await runProgram(program(next), created.state, options("preview"));
      // "before" takes cluster.connection, an output that is unknown while the cluster's update is previewed, so the
      // preview lists it as a possible update; the up below leaves it alone.
      assert.deepEqual(opsByName(preview.steps), { prod: "update", before: "update", after: "create" });
      const notes = host.stderrSince(mark).join("\n");
      assert.match(notes, /Cluster "prod.example.com": dataInternodeEncryptionDefault false -> true applies to databases created afterwards; no existing database changes/);
      assert.match(notes, new RegExp(`node ${emulator.nodes[3]!.url} will join the cluster`));
      const grown = await runProgram(program(next), created.state, options("up"));
      assert.deepEqual(opsByName(grown.steps), { prod: "update", before: "same", after: "create" });
      assert.equal(grown.outputs.nodeCount, 4);
      assert.deepEqual(emulator.admin.events({ type: "join" }).map((e) => e.nodeUid), [2, 3, 4]);
      assert.equal(liveDatabases().find((b) => b.name === "after")!.data_internode_encryption, true);
      assert.equal(liveDatabases().find((b) => b.name === "before")!.data_internode_encryption, false);

      // Alerts changed behind Pulumi's back: a refresh shows it, the next up puts them back.
      emulator.admin.patchObject("cluster", { alert_settings: { cluster_certs_about_to_expire: { threshold: "10" } } });
      const refreshed = await refresh(grown.state, options("up"));
      assert.equal(refreshed.resources.find((r) => r.urn.endsWith("::prod"))!.outputsChanged, true);
      const corrected = await runProgram(program(next), refreshed.state, options("up"));
      assert.deepEqual(opsByName(corrected.steps), { prod: "update", before: "same", after: "same" });
      assert.deepEqual((emulator.admin.state() as { cluster: { alert_settings: Record<string, unknown> } }).cluster.alert_settings.cluster_certs_about_to_expire, { enabled: true, threshold: "30" });
      const steady = await runProgram(program(next), corrected.state, options("preview"));
      assert.deepEqual(opsByName(steady.steps), { prod: "same", before: "same", after: "same" });

      // A node at 6.2.3: not ready, and a database cannot turn data internode encryption on; the error names the node.
      emulator.admin.setNode(2, { software_version: "6.2.3-12" });
      const old = await refresh(corrected.state, options("up"));
      const oldProd = old.state[`urn:pulumi:${STACK}::${PROJECT}::${TYPE("Cluster")}::prod`]!;
      assert.equal(oldProd.outputs.internodeEncryptionReady, false);
      assert.deepEqual(oldProd.outputs.internodeEncryptionBlockers, ["node 2 (6.2.3-12)"]);
      mark = host.mark();
      const refused = await runProgram(program({ ...next, encryptedDatabase: "before" }), old.state, options("up")).then(
        () => assert.fail("turning on data internode encryption should fail"),
        (error: unknown) => error as DeploymentError,
      );
      assert.match(refused.causes.map((c) => c.message).join("\n"), /Database "before": dataInternodeEncryption: true needs every node at 6\.2\.4 or later, and node 2 runs 6\.2\.3-12/);
      assert.equal(liveDatabases().find((b) => b.name === "before")!.data_internode_encryption, false);
      emulator.admin.setNode(2, { software_version: "7.22.2-14" });

      const final = await refresh(old.state, options("up"));
      mark = host.mark();
      await destroy(final.state, options("up"));
      // The note names the resource by its URN too (the engine shows it under the stack, not the resource).
      assert.match(host.stderrSince(mark).join("\n"), /Cluster "prod.example.com": Deleting this resource leaves the cluster running.* \[urn:pulumi:[^\]]+::pulumi-nodejs:dynamic\/redisenterprise:Cluster::prod\]/);
      assert.deepEqual(liveDatabases(), []);
      assert.equal((emulator.admin.state() as { cluster: { name: string } }).cluster.name, "prod.example.com");
      assertNoSecretLeaks(final.state, host.linesSince(start).map((line) => line.text).join("\n") + refused.message, [PASSWORD]);
    });

    it("rotates certificates: serials and validity change; expiry past the threshold is drift that up rotates; the cluster's own rotation is not", async () => {
      const start = host.mark();
      const keys = await keyLines(emulator, USERNAME, PASSWORD);
      const base: Settings = { nodes: 4, policyDefault: true, alertDays: 30, databases: [], rotation: { triggers: ["initial"] }, rotationJob: false, adopt: true };
      const before = (await fetch(`${emulator.nodes[0]!.httpUrl}/v1/cluster/certificates`, { headers: { authorization: basic(USERNAME, PASSWORD) } }).then((r) => r.json())) as Record<string, string>;
      const created = await runProgram(program(base), {}, options("up"));
      assert.deepEqual(opsByName(created.steps), { prod: "create", ine: "create" });
      const rotatedCerts = created.outputs.rotated as Array<{ name: string; serial: string; notAfter: string; daysRemaining: number }>;
      assert.deepEqual(rotatedCerts.map((c) => c.name), ["ccs_internode_encryption", "data_internode_encryption"]);
      const { describeCertificate } = await import("../../provider/certificates");
      for (const certificate of rotatedCerts) {
        const old = describeCertificate(certificate.name, before[`${certificate.name}_cert`]!, Date.now());
        assert.notEqual(certificate.serial, old.serial);
        assert.ok(Date.parse(certificate.notAfter) >= Date.parse(old.notAfter));
      }
      const urn = `urn:pulumi:${STACK}::${PROJECT}::${TYPE("CertificateRotation")}::ine`;
      assert.ok(created.state[urn]!.secretOutputKeys.includes("connection"));

      // Past the 45-day threshold with the cluster's job off: a refresh reports drift, the preview an update, up rotates.
      await emulator.admin.advanceClock({ days: 50 });
      const drifted = await refresh(created.state, options("up"));
      assert.equal(drifted.state[urn]!.outputs.rotationDue, true);
      let mark = host.mark();
      const preview = await runProgram(program(base), drifted.state, options("preview"));
      assert.equal(opsByName(preview.steps).ine, "update");
      assert.match(host.stderrSince(mark).join("\n"), /CertificateRotation: the update rotates the certificates: ccs_internode_encryption, data_internode_encryption have fewer than 45 days left/);
      const rotations = emulator.admin.events({ type: "certificate_rotation" }).length;
      const renewed = await runProgram(program(base), drifted.state, options("up"));
      assert.equal(opsByName(renewed.steps).ine, "update");
      assert.equal(emulator.admin.events({ type: "certificate_rotation" }).length, rotations + 2);
      assert.equal(renewed.state[urn]!.outputs.rotationDue, false);

      // The cluster's own job rotates (on again, 31 days later): new serials, no drift.
      const jobOn: Settings = { ...base, rotationJob: true };
      const enabled = await runProgram(program(jobOn), renewed.state, options("up"));
      assert.deepEqual(opsByName(enabled.steps), { prod: "update", ine: "same" });
      const auto = await emulator.admin.advanceClock({ days: 31 });
      assert.ok(auto.rotated.names.includes("data_internode_encryption"));
      const afterAuto = await refresh(enabled.state, options("up"));
      assert.equal(afterAuto.resources.find((r) => r.urn === urn)!.outputsChanged, true, "the serials changed");
      const quiet = await runProgram(program(jobOn), afterAuto.state, options("preview"));
      assert.deepEqual(opsByName(quiet.steps), { prod: "same", ine: "same" });

      // A new trigger rotates on demand.
      const triggered = await runProgram(program({ ...jobOn, rotation: { triggers: ["again"] } }), afterAuto.state, options("up"));
      assert.equal(opsByName(triggered.steps).ine, "update");

      mark = host.mark();
      await destroy(triggered.state, options("up"));
      assert.match(host.stderrSince(mark).join("\n"), /CertificateRotation: forgotten; nothing changes on the cluster.* \[urn:pulumi:[^\]]+::pulumi-nodejs:dynamic\/redisenterprise:CertificateRotation::ine\]/);
      const allKeys = [...keys, ...(await keyLines(emulator, USERNAME, PASSWORD))];
      const hostText = host.linesSince(start).map((line) => line.text).join("\n");
      for (const line of allKeys) {
        assert.ok(!JSON.stringify(triggered.state).includes(line), "private key material is in the state");
        assert.ok(!hostText.includes(line), "private key material is in the host's output");
      }
      assertNoSecretLeaks(triggered.state, hostText, [PASSWORD]);
    });
  });

  it("surfaces a bootstrap error with its code through the engine, and records nothing", async () => {
    const emulator = await startCluster({ nodes: 2, idle: true, operationDelayMs: 20, keyBits: 1024 });
    try {
      await bootstrapFirstNodeOutOfBand(emulator, USERNAME, PASSWORD);
      const second = () => {
        const cluster = new Cluster("second", { name: "second.example.com", nodes: [{ url: emulator.nodes[1]!.url }], username: USERNAME, password: pulumi.secret(PASSWORD), tls: { caCertPem: emulator.caCertPem } });
        return { name: cluster.name };
      };
      const failed = await runProgram(second, {}, options("up")).then(
        () => assert.fail("the bootstrap should fail"),
        (error: unknown) => error as DeploymentError,
      );
      const message = failed.causes.map((c) => c.message).join("\n");
      assert.match(message, /node https:\/\/127\.0\.0\.2:\d+: bootstrap create_cluster failed: config_error: this emulator already holds a cluster/);
      assert.deepEqual(Object.keys(failed.state), []);
      assert.ok(!message.includes(PASSWORD));
    } finally {
      await emulator.stop();
    }
  });

  it("adopts an existing cluster and applies the declared settings", async () => {
    const emulator = await startCluster({ nodes: 3, operationDelayMs: 20, keyBits: 1024 });
    try {
      const adopted = () => {
        const cluster = new Cluster("existing", {
          name: emulator.clusterName,
          nodes: emulator.nodes.map((node) => ({ url: node.url })),
          username: emulator.username,
          password: pulumi.secret(emulator.password),
          tls: { caCertPem: emulator.caCertPem },
          adopt: true,
          dataInternodeEncryptionDefault: true,
        });
        new Database("orders", { name: "orders", memorySize: "64MB", connection: cluster.connection });
        return { nodes: cluster.nodes };
      };
      const result = await runProgram(adopted, {}, options("up"));
      assert.deepEqual(opsByName(result.steps), { existing: "create", orders: "create" });
      assert.equal(emulator.admin.events({ type: "bootstrap" }).length, 0);
      assert.deepEqual((result.outputs.nodes as Array<{ uid: number }>).map((n) => n.uid), [1, 2, 3]);
      const orders = (emulator.admin.state() as { bdbs: Array<{ object: Record<string, unknown> }> }).bdbs[0]!.object;
      assert.equal(orders.data_internode_encryption, true);
      await destroy(result.state, options("up"));
      assertNoSecretLeaks(result.state, "", [emulator.password]);
    } finally {
      await emulator.stop();
    }
  });
});
