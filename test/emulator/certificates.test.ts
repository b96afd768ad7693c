// Certificates over HTTPS: the flat map, rotation on request (all or one, chain to the CA, validity from the
// virtual clock), refusals, customer uploads and deletion, automatic rotation and the expiry alerts as the
// virtual clock advances.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { INTERNAL_CERTIFICATE_NAMES } from "../../emulator/pki";
import { selfSigned, serialOf, validityOf, verifiesTo } from "./support/certs";
import { clientFor, TEST_KEY_BITS, type TestClient, useCluster } from "./support/client";

const DAY_MS = 24 * 60 * 60 * 1000;

interface CertificateMeta {
  name: string;
  nodeUid: number;
  serialHex: string;
  notBefore: string;
  notAfter: string;
}

function certificateList(cluster: EmulatedCluster): CertificateMeta[] {
  return cluster.admin.state().certificates as unknown as CertificateMeta[];
}

function serialsByKey(cluster: EmulatedCluster): Map<string, string> {
  return new Map(certificateList(cluster).map((c) => [`${c.nodeUid}/${c.name}`, c.serialHex]));
}

describe("emulator: certificates", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  useCluster({ operationDelayMs: 10 }, (started, client) => {
    cluster = started;
    api = client;
  });

  it("GET /v1/cluster/certificates: exactly <name>_cert/<name>_key of the 7 internal certificates, each signed by the CA", async function () {
    const response = await api.get("/v1/cluster/certificates");
    assert.equal(response.status, 200);
    const expected = INTERNAL_CERTIFICATE_NAMES.flatMap((name) => [`${name}_cert`, `${name}_key`]).sort();
    assert.deepEqual(Object.keys(response.body).sort(), expected);
    for (const name of INTERNAL_CERTIFICATE_NAMES) {
      assert.equal(verifiesTo(response.body[`${name}_cert`], cluster.caCertPem, new Date()), true, name);
      assert.match(response.body[`${name}_key`], /-----BEGIN (RSA )?PRIVATE KEY-----/);
    }
  });

  it("POST rotate (no body): 200 empty; every internal certificate on every node gets a new serial, validity from the virtual clock", async function () {
    await cluster.admin.advanceClock({ days: 10 });
    const before = serialsByKey(cluster);
    const virtualNow = cluster.admin.clock().nowMs;
    const rotated = await api.post("/v1/cluster/certificates/rotate");
    assert.equal(rotated.status, 200);
    assert.equal(rotated.text, "");
    const after = certificateList(cluster);
    assert.equal(after.length, 21);
    for (const certificate of after) {
      assert.notEqual(certificate.serialHex, before.get(`${certificate.nodeUid}/${certificate.name}`), `${certificate.nodeUid}/${certificate.name}`);
      const notBefore = Date.parse(certificate.notBefore);
      assert.ok(Math.abs(notBefore - virtualNow) < 5 * 60 * 1000, `notBefore ${certificate.notBefore} follows the virtual clock`);
      assert.equal(Date.parse(certificate.notAfter) - notBefore, 90 * DAY_MS);
    }
    const flat = (await api.get("/v1/cluster/certificates")).body;
    // Checked at the virtual time after the rotation: notBefore is the (second-truncated) time it was issued.
    assert.equal(verifiesTo(flat.proxy_cert, cluster.caCertPem, new Date(cluster.admin.clock().nowMs)), true);
    const { notBefore, notAfter } = validityOf(flat.data_internode_encryption_cert);
    assert.equal(notAfter.getTime() - notBefore.getTime(), 90 * DAY_MS);
    const events = cluster.admin.events({ type: "certificate_rotation" });
    assert.deepEqual(events.map((e) => ({ names: e.names, nodes: e.nodes, automatic: e.automatic })), [
      { names: [...INTERNAL_CERTIFICATE_NAMES].sort(), nodes: [1, 2, 3], automatic: false },
    ]);
    const tasks = (await api.get("/v1/actions")).body.actions;
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0].name, "rotate_certificates");
    assert.equal(tasks[0].progress, "100");
    assert.equal(tasks[0].status, "completed");
  });

  it("POST rotate {name} rotates only that certificate; an unknown or optional name is refused with 403", async function () {
    const before = serialsByKey(cluster);
    assert.equal((await api.post("/v1/cluster/certificates/rotate", { name: "proxy" })).status, 200);
    for (const certificate of certificateList(cluster)) {
      const changed = certificate.serialHex !== before.get(`${certificate.nodeUid}/${certificate.name}`);
      assert.equal(changed, certificate.name === "proxy", `${certificate.nodeUid}/${certificate.name}`);
    }
    for (const name of ["bogus", "ldap_client"]) {
      const refused = await api.post("/v1/cluster/certificates/rotate", { name });
      assert.equal(refused.status, 403, name);
      assert.equal(refused.body.error_code, "unsupported_certificate");
    }
    assert.equal(cluster.admin.events({ type: "certificate_rotation" }).length, 1);
  });

  it("PUT /v1/cluster/certificates uploads customer certificates; errors keep their status; DELETE removes optional ones only", async function () {
    const now = new Date(cluster.admin.clock().nowMs);
    const ldap = selfSigned("ldap-client.example.com", new Date(now.getTime() - DAY_MS), new Date(now.getTime() + 365 * DAY_MS));
    const expired = selfSigned("old.example.com", new Date(now.getTime() - 10 * DAY_MS), new Date(now.getTime() - DAY_MS));
    const cases: Array<[unknown, number, string]> = [
      [{ certificates: [{ name: "ldap_client", certificate: "not a pem", key: ldap.keyPem }] }, 400, "invalid_certificate"],
      [{ certificates: [{ name: "no_such_cert", certificate: ldap.certPem, key: ldap.keyPem }] }, 403, "unknown_certificate"],
      [{ certificates: [{ name: "ldap_client", certificate: expired.certPem, key: expired.keyPem }] }, 406, "certificate_expired"],
      [{ certificates: [{ name: "ldap_client", certificate: ldap.certPem, key: expired.keyPem }] }, 400, "certificate_key_mismatch"],
    ];
    for (const [body, status, code] of cases) {
      const response = await api.put("/v1/cluster/certificates", body);
      assert.equal(response.status, status, response.text);
      assert.equal(response.body.error_code, code);
      assert.equal(response.text.includes("PRIVATE KEY"), false, "no key material in error answers");
    }
    assert.equal("ldap_client_cert" in (await api.get("/v1/cluster/certificates")).body, false);

    assert.equal((await api.put("/v1/cluster/certificates", { certificates: [{ name: "ldap_client", certificate: ldap.certPem, key: ldap.keyPem }] })).status, 200);
    const flat = (await api.get("/v1/cluster/certificates")).body;
    assert.equal(serialOf(flat.ldap_client_cert), serialOf(ldap.certPem));

    const single = await api.put("/v1/cluster/update_cert", { name: "ldap_client", certificate: "garbage", key: ldap.keyPem });
    assert.equal(single.status, 400);
    assert.equal(single.body.error_code, "invalid_certificate");

    assert.equal((await api.delete("/v1/cluster/certificates/ldap_client")).status, 200);
    assert.equal("ldap_client_cert" in (await api.get("/v1/cluster/certificates")).body, false);
    const required = await api.delete("/v1/cluster/certificates/api");
    assert.equal(required.status, 403);
    assert.equal(required.body.error_code, "required_certificate");
    assert.equal((await api.delete("/v1/cluster/certificates/ldap_client")).status, 404);
    assert.equal((await api.delete("/v1/cluster/certificates/nonsense")).status, 404);
  });

  it("automatic rotation: with validity 90 and threshold 60, 29 days rotate nothing, 31 days rotate everything", async function () {
    const before = serialsByKey(cluster);
    const early = await api.post("/__emulator/clock/advance", { days: 29 }, { auth: false });
    assert.equal(early.status, 200);
    assert.deepEqual(early.body.rotated, { names: [], nodes: [] });
    assert.deepEqual(serialsByKey(cluster), before);
    const due = await api.post("/__emulator/clock/advance", { days: 2 }, { auth: false });
    assert.deepEqual(due.body.rotated, { names: [...INTERNAL_CERTIFICATE_NAMES].sort(), nodes: [1, 2, 3] });
    for (const [key, serial] of serialsByKey(cluster)) assert.notEqual(serial, before.get(key), key);
    const events = cluster.admin.events({ type: "certificate_rotation" });
    assert.deepEqual(events.map((e) => e.automatic), [true]);
  });

  it("automatic rotation does nothing while the job is disabled, and the alerts then fire below the threshold", async function () {
    assert.equal((await api.put("/v1/job_scheduler", { cert_rotation_job_settings: { enabled: false } })).status, 200);
    const advanced = await cluster.admin.advanceClock({ days: 44 });
    assert.deepEqual(advanced.rotated, { names: [], nodes: [] });
    let alerts = (await api.get("/v1/cluster/alerts")).body;
    assert.equal(alerts.node_internal_certs_about_to_expire.state, false, "46 days left, threshold 45");
    await cluster.admin.advanceClock({ days: 2 });
    alerts = (await api.get("/v1/cluster/alerts")).body;
    assert.equal(alerts.node_internal_certs_about_to_expire.state, true);
    assert.equal(alerts.cluster_certs_about_to_expire.state, true);
    // change_value holds what was evaluated when the alert flipped: the threshold and the certificates below it.
    assert.deepEqual(alerts.node_internal_certs_about_to_expire.change_value, {
      certs_about_to_expire: ["ccs_internode_encryption", "data_internode_encryption"],
      global_threshold: "45",
      state: true,
    });
    const changedAt = Date.parse(alerts.node_internal_certs_about_to_expire.change_time);
    assert.ok(Math.abs(changedAt - cluster.admin.clock().nowMs) < 5000, "change_time is the virtual time the state flipped");
    assert.equal(alerts.cluster_ca_cert_about_to_expire.state, false);
    await api.post("/v1/cluster/certificates/rotate");
    alerts = (await api.get("/v1/cluster/alerts")).body;
    assert.equal(alerts.node_internal_certs_about_to_expire.state, false, "a rotation clears the alert");
  });
});

describe("emulator: certificate alerts with the 6.2.4-era validity of 45 days", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  before(async function () {
    cluster = await startCluster({ nodes: 1, certValidityDays: 45, keyBits: TEST_KEY_BITS });
    api = clientFor(cluster);
  });
  after(async function () {
    await api?.close();
    await cluster?.stop();
  });

  it("threshold \"45\": fires as soon as the certificates are issued (less than 45 days left); threshold \"44\": only a day later", async function () {
    const alerts = (await api.get("/v1/cluster/alerts")).body;
    assert.equal(alerts.node_internal_certs_about_to_expire.threshold, "45");
    assert.equal(alerts.node_internal_certs_about_to_expire.state, true);
    assert.equal(alerts.cluster_certs_about_to_expire.state, true);
    await api.put("/v1/cluster", {
      alert_settings: { node_internal_certs_about_to_expire: { threshold: "44" }, cluster_certs_about_to_expire: { enabled: false } },
    });
    let after = (await api.get("/v1/cluster/alerts")).body;
    assert.equal(after.node_internal_certs_about_to_expire.state, false);
    assert.equal(after.cluster_certs_about_to_expire.state, false, "a disabled alert does not fire");
    assert.equal(after.cluster_certs_about_to_expire.enabled, false);
    assert.equal((await api.get("/v1/cluster/alerts?ignore_settings=true")).body.cluster_certs_about_to_expire.state, true);
    // With 45-day certificates the default job (rotate below 60 days left) would renew them on every advance.
    await api.put("/v1/job_scheduler", { cert_rotation_job_settings: { enabled: false } });
    await cluster.admin.advanceClock({ days: 1.01 });
    after = (await api.get("/v1/cluster/alerts")).body;
    assert.equal(after.node_internal_certs_about_to_expire.state, true);
  });
});
