// The Cluster provider called directly, the way the provider host calls it, against emulated clusters:
// bootstrap of idle nodes, a node joined on update, refused changes, drift, the 6.2.4 rule, a bootstrap error
// with its code, adoption, and delete leaving the cluster running.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { configure, providers } from "../../provider";
import { isRsApiError } from "../../provider/rest";
import { bootstrapFirstNodeOutOfBand } from "./support/cluster";
import { captureStderr, type StderrCapture } from "./support/stderr";

type Props = Record<string, unknown>;
const provider = providers.Cluster;
const PASSWORD = "Cluster-Admin-Pass-4410";
const USERNAME = "ops@example.com";

async function check(news: Props, olds: Props = {}): Promise<Props> {
  const { inputs, failures } = await provider.check!(olds, news);
  assert.deepEqual(failures, []);
  return inputs as Props;
}

function nodesOf(outs: Props): Array<Record<string, unknown>> {
  return outs.nodes as Array<Record<string, unknown>>;
}

describe("Cluster provider against the emulator", function () {
  this.timeout(60_000);
  let stderr: StderrCapture;

  before(async () => {
    await configure({ config: { get: () => undefined, require: () => undefined as unknown as string } });
  });
  beforeEach(() => {
    stderr = captureStderr();
  });
  afterEach(() => stderr.stop());

  describe("bootstrapping idle nodes", () => {
    let emulator: EmulatedCluster;
    let inputs: Props;
    let outs: Props;
    before(async () => {
      emulator = await startCluster({ nodes: 4, idle: true, operationDelayMs: 30, keyBits: 1024 });
    });
    after(async () => emulator?.stop());

    const urls = (count: number) => emulator.nodes.slice(0, count).map((node) => ({ url: node.url }));
    const base = (count: number): Props => ({
      name: "prod.example.com",
      nodes: urls(count),
      username: USERNAME,
      password: PASSWORD,
      tls: { caCertPem: emulator.caCertPem },
      dataInternodeEncryptionDefault: true,
      clusterCertsAboutToExpireAlert: { enabled: true, thresholdDays: 30 },
      nodeInternalCertsAboutToExpireAlert: { thresholdDays: 20 },
    });

    it("creates the cluster on the first node, joins the others, applies the settings and reports every node", async () => {
      inputs = await check(base(3));
      const created = await provider.create(inputs);
      outs = created.outs as Props;
      assert.equal(created.id, "prod.example.com");
      const state = emulator.admin.state() as { cluster: Props; policy: Props; nodes: Array<{ uid: number; member: boolean }> };
      assert.equal(state.cluster.name, "prod.example.com");
      assert.deepEqual(
        emulator.admin.events({ type: "bootstrap" }).map((e) => e.nodeUid),
        [1],
      );
      assert.deepEqual(
        emulator.admin.events({ type: "join" }).map((e) => e.nodeUid),
        [2, 3],
      );
      assert.deepEqual(
        nodesOf(outs).map((node) => [node.uid, node.url, node.status]),
        [1, 2, 3].map((uid) => [uid, emulator.nodes[uid - 1]!.url, "active"]),
      );
      assert.equal(outs.internodeEncryptionReady, true);
      assert.deepEqual(outs.internodeEncryptionBlockers, []);
      assert.equal(outs.controlPlaneInternodeEncryption, true);
      assert.equal(outs.dataInternodeEncryptionDefault, true);
      assert.deepEqual(outs.clusterCertsAboutToExpireAlert, { enabled: true, thresholdDays: 30 });
      assert.deepEqual(outs.nodeInternalCertsAboutToExpireAlert, { enabled: true, thresholdDays: 20 });
      assert.match(String(outs.apiCertificateFingerprintSha256), /^[0-9a-f]{64}$/);
      assert.deepEqual(outs.connection, { url: emulator.nodes[0]!.url, username: USERNAME, password: PASSWORD, caCertPem: emulator.caCertPem });
      // Nested settings are managed leaf by leaf: only the declared leaves.
      assert.deepEqual(outs.managedProperties, [
        "dataInternodeEncryptionDefault",
        "clusterCertsAboutToExpireAlert.enabled",
        "clusterCertsAboutToExpireAlert.thresholdDays",
        "nodeInternalCertsAboutToExpireAlert.thresholdDays",
      ]);
      // The API holds alert thresholds as strings.
      const cluster = (state.cluster.alert_settings as Record<string, Props>);
      assert.deepEqual(cluster.cluster_certs_about_to_expire, { enabled: true, threshold: "30" });
      assert.equal(state.policy.data_internode_encryption, true);
    });

    it("joins a fourth node added to nodes, and refuses removing one or renaming the cluster", async () => {
      const news = await check(base(4), inputs);
      const diff = await provider.diff!("prod.example.com", outs, news);
      assert.equal(diff.changes, true);
      assert.match(stderr.take(), new RegExp(`node ${emulator.nodes[3]!.url} will join the cluster`));
      const updated = (await provider.update!("prod.example.com", outs, news)).outs as Props;
      assert.deepEqual(nodesOf(updated).map((node) => node.uid), [1, 2, 3, 4]);
      assert.equal(nodesOf(updated)[3]!.url, emulator.nodes[3]!.url);
      assert.deepEqual(emulator.admin.events({ type: "join" }).map((e) => e.nodeUid), [2, 3, 4]);

      // Refused at check (printed once, at preview and up), noted by diff (which must never throw: the engine
      // calls it during refresh), and refused again by update before anything is sent.
      const removal = await provider.check!(news, base(3));
      assert.match(removal.failures!.map((f) => f.reason).join("; "), /removing .* from nodes is refused.*allowNodeRemoval: true/);
      const rename = await provider.check!(news, { ...base(4), name: "other.example.com" });
      assert.match(rename.failures!.map((f) => f.reason).join("; "), /name "prod.example.com" -> "other.example.com" cannot be applied: the cluster's FQDN is set once/);
      const removalDiff = await provider.diff!("prod.example.com", updated, await check(base(3)));
      assert.equal(removalDiff.changes, true);
      assert.match(stderr.take(), /removing .* from nodes is refused.*\(pulumi up will refuse this\)/);
      await assert.rejects(provider.update!("prod.example.com", updated, await check(base(3))), /removing .* from nodes is refused/);
      assert.deepEqual(nodesOf(updated).map((node) => node.uid), [1, 2, 3, 4]);
      outs = updated;
    });

    it("reads drift on a managed setting, corrects it, and shows a node's version and status", async () => {
      emulator.admin.patchObject("policy", { data_internode_encryption: false });
      emulator.admin.setNode(2, { software_version: "6.2.3-12" });
      const read = (await provider.read!("prod.example.com", outs)).props as Props;
      assert.equal(read.dataInternodeEncryptionDefault, false);
      assert.equal(read.internodeEncryptionReady, false);
      assert.deepEqual(read.internodeEncryptionBlockers, ["node 2 (6.2.3-12)"]);
      assert.equal(nodesOf(read)[1]!.softwareVersion, "6.2.3-12");
      const news = await check(base(4), inputs);
      const diff = await provider.diff!("prod.example.com", read, news);
      assert.equal(diff.changes, true);
      assert.match(stderr.take(), /dataInternodeEncryptionDefault false -> true applies to databases created afterwards; no existing database changes/);
      const corrected = (await provider.update!("prod.example.com", read, news)).outs as Props;
      assert.equal(corrected.dataInternodeEncryptionDefault, true);
      assert.equal((emulator.admin.state() as { policy: Props }).policy.data_internode_encryption, true);
      const steady = await provider.diff!("prod.example.com", corrected, news);
      assert.equal(steady.changes, false);
      emulator.admin.setNode(2, { software_version: "7.22.2-14" });

      // The first node goes down: the read goes through the next declared node and shows it down.
      emulator.admin.setNode(1, { status: "down" });
      const down = (await provider.read!("prod.example.com", corrected)).props as Props;
      assert.deepEqual(nodesOf(down).map((node) => node.status), ["down", "active", "active", "active"]);
      emulator.admin.setNode(1, { status: "active" });
    });

    it("deletes by forgetting: the cluster keeps running and the output says so", async () => {
      await provider.delete!("prod.example.com", outs);
      assert.match(stderr.take(), /leaves the cluster running: Redis Enterprise has no API that destroys a cluster/);
      assert.match(String(outs.deleteBehavior), /leaves the cluster running/);
      // Still a working cluster: its API answers with the admin the bootstrap created.
      const answer = await fetch(`${emulator.nodes[0]!.httpUrl}/v1/nodes`, { headers: { authorization: `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64")}` } });
      assert.equal(answer.status, 200);
      assert.equal(((await answer.json()) as unknown[]).length, 4);
    });
  });

  it("surfaces a bootstrap error with its error_code, and records nothing", async () => {
    const emulator = await startCluster({ nodes: 2, idle: true, operationDelayMs: 20, keyBits: 1024 });
    try {
      // Node 1 already created a cluster; node 2 cannot create a second one.
      await bootstrapFirstNodeOutOfBand(emulator, USERNAME, PASSWORD);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const inputs = await check({ name: "second.example.com", nodes: [{ url: emulator.nodes[1]!.url }], username: USERNAME, password: PASSWORD, tls: { caCertPem: emulator.caCertPem } });
      await assert.rejects(provider.create(inputs), (error: Error & { id?: string }) => {
        assert.match(error.message, /bootstrap create_cluster failed: config_error: this emulator already holds a cluster/);
        assert.match(error.message, /Nothing was created/);
        assert.equal(error.id, undefined);
        assert.ok(!error.message.includes(PASSWORD));
        return true;
      });
    } finally {
      await emulator.stop();
    }
  });

  it("a join that fails halfway is a partial failure recording the cluster and the nodes that joined; the next update joins the rest", async () => {
    const emulator = await startCluster({ nodes: 3, idle: true, operationDelayMs: 20, keyBits: 1024 });
    try {
      emulator.admin.addFault({ method: "POST", path: "^/v1/bootstrap/join_cluster$", status: 406, errorCode: "node_config_mismatch", description: "the node's configuration does not match the cluster", count: 1 });
      const inputs = await check({
        name: "halfway.example.com",
        nodes: emulator.nodes.map((node) => ({ url: node.url })),
        username: USERNAME,
        password: PASSWORD,
        tls: { caCertPem: emulator.caCertPem },
        __provider: "shim-text",
      });
      const failure = await provider.create({ ...inputs, __provider: "shim-text" }).then(
        () => assert.fail("the create should fail halfway"),
        (error: Error & { id?: string; properties?: Props; reasons?: string[] }) => error,
      );
      assert.equal(failure.id, "halfway.example.com");
      assert.match(failure.message, /the cluster was created on .* but then: POST \/v1\/bootstrap\/join_cluster: 406 node_config_mismatch/);
      assert.match(failure.message, /recorded in the stack: run pulumi up again/);
      const recorded = failure.properties!;
      assert.equal(recorded.__provider, "shim-text");
      assert.deepEqual(nodesOf(recorded).map((node) => [node.uid, node.url]), [[1, emulator.nodes[0]!.url]]);
      assert.ok(!JSON.stringify(failure.message).includes(PASSWORD));

      // The engine records it; the next up diffs the program against it and updates: the other nodes join.
      const diff = await provider.diff!(failure.id!, recorded, inputs);
      assert.equal(diff.changes, true);
      const finished = (await provider.update!(failure.id!, recorded, inputs)).outs as Props;
      assert.deepEqual(nodesOf(finished).map((node) => [node.uid, node.url]), emulator.nodes.map((node) => [node.uid, node.url]));
      assert.equal((await provider.diff!(failure.id!, finished, inputs)).changes, false);
    } finally {
      await emulator.stop();
    }
  });

  it("adopts a running cluster with its admin, applying the declared settings", async () => {
    const emulator = await startCluster({ nodes: 3, operationDelayMs: 20, keyBits: 1024 });
    try {
      const inputs = await check({
        name: emulator.clusterName,
        nodes: emulator.nodes.map((node) => ({ url: node.url })),
        username: emulator.username,
        password: emulator.password,
        tls: { caCertPem: emulator.caCertPem },
        adopt: true,
        minDataTlsVersion: "1.3",
        certificateRotationJob: { expiryDaysBeforeRotation: 50 },
      });
      const { id, outs } = await provider.create(inputs);
      assert.equal(id, emulator.clusterName);
      assert.match(stderr.take(), /adopting the existing cluster and applying 2 setting\(s\)/);
      assert.deepEqual(nodesOf(outs as Props).map((node) => node.uid), [1, 2, 3]);
      const state = emulator.admin.state() as { cluster: Props; jobScheduler?: Props };
      assert.equal(state.cluster.min_data_TLS_version, "1.3");
      assert.equal((outs as Props).minDataTlsVersion, "1.3");
      assert.deepEqual((outs as Props).certificateRotationJob, { enabled: true, expiryDaysBeforeRotation: 50 });
      assert.equal(emulator.admin.events({ type: "bootstrap" }).length, 0);
    } finally {
      await emulator.stop();
    }
  });

  it("a refresh returns the declared inputs at their live values (declared leaves only, nodes as declared); notes carry the URN; diff never throws", async () => {
    const emulator = await startCluster({ nodes: 2, operationDelayMs: 20, keyBits: 1024 });
    try {
      const urn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/redisenterprise:Cluster::existing";
      const inputs = await check({
        name: emulator.clusterName,
        nodes: emulator.nodes.map((node) => ({ url: `${node.url}/` })),
        username: emulator.username,
        password: emulator.password,
        tls: { caCertPem: emulator.caCertPem },
        adopt: true,
        clusterCertsAboutToExpireAlert: { thresholdDays: 30 },
        __urn: urn,
      });
      const { outs } = await provider.create(inputs);
      emulator.admin.patchObject("cluster", { alert_settings: { cluster_certs_about_to_expire: { threshold: "10" } } });
      const read = await provider.read!(emulator.clusterName, outs as Props);
      assert.deepEqual(read.inputs, {
        clusterCertsAboutToExpireAlert: { thresholdDays: 10 },
        name: emulator.clusterName,
        nodes: emulator.nodes.map((node) => ({ url: node.url })),
        username: emulator.username,
        password: emulator.password,
        tls: { caCertPem: emulator.caCertPem },
        adopt: true,
        __urn: urn,
        __drifted: ["clusterCertsAboutToExpireAlert.thresholdDays"],
      });
      stderr.take();
      const diff = await provider.diff!(emulator.clusterName, read.props as Props, inputs);
      assert.equal(diff.changes, true);
      const notes = stderr.take();
      assert.match(notes, /clusterCertsAboutToExpireAlert.thresholdDays 10 -> 30 changes when the cluster raises the alert; no certificate changes \[urn:pulumi:dev::proj::pulumi-nodejs:dynamic\/redisenterprise:Cluster::existing\]/);
      assert.ok(!notes.includes(emulator.password));
      // Odd recorded state (another version's, a partial record) is noted, never thrown: diff runs during refresh.
      for (const olds of [{}, { nodes: "x", name: 5 }, { ...(read.props as Props), nodes: [null, 7] }]) {
        assert.equal(typeof (await provider.diff!(emulator.clusterName, olds, inputs)).changes, "boolean");
      }
    } finally {
      await emulator.stop();
    }
  });

  it("a settings PUT answered 500 after the cluster applied it is re-read and reported applied; an error names the cluster", async () => {
    const emulator = await startCluster({ nodes: 1, operationDelayMs: 20, keyBits: 1024 });
    try {
      const declared = { name: emulator.clusterName, nodes: [{ url: emulator.nodes[0]!.url }], username: emulator.username, password: emulator.password, tls: { caCertPem: emulator.caCertPem }, adopt: true };
      const { outs } = await provider.create(await check({ ...declared, minDataTlsVersion: "1.2" }));
      emulator.admin.addFault({ method: "PUT", path: "^/v1/cluster$", status: 500, errorCode: "internal_error", description: "lost", phase: "after", count: 1 });
      const news = await check({ ...declared, minDataTlsVersion: "1.3" }, outs as Props);
      const updated = (await provider.update!(emulator.clusterName, outs as Props, news)).outs as Props;
      assert.equal(updated.minDataTlsVersion, "1.3");
      assert.match(stderr.take(), /the cluster applied the update despite that answer/);
      // Refused by the cluster before applying: the error says which cluster, and what the API answered.
      emulator.admin.addFault({ method: "PUT", path: "^/v1/cluster$", status: 400, errorCode: "invalid_schema", description: "no", count: 1 });
      const back = await check({ ...declared, minDataTlsVersion: "1.2" }, updated);
      await assert.rejects(provider.update!(emulator.clusterName, updated, back), (error: Error) => {
        assert.match(error.message, new RegExp(`^Cluster "${emulator.clusterName.replace(/\./g, "\\.")}": PUT /v1/cluster: 400 invalid_schema`));
        return true;
      });
    } finally {
      await emulator.stop();
    }
  });

  it("the member probe rides out a busy window and a passing 500, and fails at once on refused credentials, naming the Cluster's inputs", async () => {
    const emulator = await startCluster({ nodes: 2, operationDelayMs: 20, keyBits: 1024 });
    try {
      const declared = { name: emulator.clusterName, nodes: emulator.nodes.map((node) => ({ url: node.url })), username: emulator.username, password: emulator.password, tls: { caCertPem: emulator.caCertPem }, adopt: true };
      const { outs } = await provider.create(await check(declared));
      const probes = () => emulator.admin.events({ type: "fault" }).length;

      // Every GET /v1/cluster is answered 409 busy for a second: the probe waits it out on the nodes in turn.
      emulator.admin.addFault({ method: "GET", path: "^/v1/cluster$", busyMs: 1000 });
      const afterBusy = await provider.read!(emulator.clusterName, outs as Props);
      assert.equal((afterBusy.props as Props).name, emulator.clusterName);
      assert.match(stderr.take(), /no node answered as a cluster member yet \(.*409 busy.*\); asking again/);

      // One 500: the next node (or the next round) answers.
      emulator.admin.clearFaults();
      const before = probes();
      emulator.admin.addFault({ method: "GET", path: "^/v1/cluster$", status: 500, errorCode: "internal_error", count: 1 });
      const afterError = await provider.read!(emulator.clusterName, outs as Props);
      assert.equal((afterError.props as Props).name, emulator.clusterName);
      assert.equal(probes() - before, 1, "the 500 was answered once");

      // A wrong password is the user's to fix: no second node, no second round, and the message names the inputs.
      const started = Date.now();
      await assert.rejects(provider.read!(emulator.clusterName, { ...(outs as Props), password: "not-the-password" }), (error: Error) => {
        assert.match(error.message, /^Cluster "[^"]+": node \S+ refused the username or password \(401 unauthorized on GET \/v1\/cluster\): set the Cluster's username and password/);
        assert.ok(isRsApiError(error) && error.status === 401, "the REST error object, class and fields kept");
        assert.ok(!error.message.includes("not-the-password"));
        return true;
      });
      assert.ok(Date.now() - started < 2000, "failed at once");
    } finally {
      await emulator.stop();
    }
  });

  it("check names each bad input and what to do", async () => {
    const { failures } = await provider.check!({}, {
      name: "bad_name!",
      nodes: [{ url: "ftp://x" }, { url: "https://a:9443?x=1" }],
      username: "",
      password: "",
      tls: { caFingerprintSha256: "zz" },
      minControlTlsVersion: "1.1",
      colour: "blue",
    });
    const byProperty = Object.fromEntries((failures ?? []).map((failure) => [failure.property, failure.reason]));
    assert.match(byProperty.name!, /name must be an FQDN/);
    assert.match(byProperty["nodes[0].url"]!, /must use https:\/\//);
    assert.match(byProperty["nodes[1].url"]!, /must not have a query string/);
    assert.match(byProperty.username!, /username must be a non-empty string/);
    assert.equal(byProperty.password, "password must be a non-empty string");
    assert.match(byProperty["tls.caFingerprintSha256"]!, /SHA-256 fingerprint/);
    assert.match(byProperty.minControlTlsVersion!, /must be one of "1.2", "1.3"/);
    assert.match(byProperty.colour!, /colour is not a Cluster input/);
  });
});
