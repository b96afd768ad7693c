// Certificate facts parsed with node-forge (provider/certificates.ts), the 6.2.4 readiness rule, bootstrap
// answers, and CertificateRotation's pure decisions, with exact values. Test certificates are built here with
// known subjects, serials and dates; fingerprints are checked against Node's own X509Certificate.
import assert from "node:assert/strict";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import forge from "node-forge";
import {
  certificatesFromMap,
  chainsTo,
  daysBetween,
  describeCertificate,
  expiringCertificates,
  normalizeSerial,
  rotationProblem,
  type CertificateInfo,
} from "../../provider/certificates";
import { diffCluster, internodeEncryptionBlockers, internodeEncryptionReady, settingsPayloads } from "../../provider/cluster/logic";
import { bootstrapFailure, parseBootstrapStatus } from "../../provider/cluster/bootstrap";
import { checkRotation, diffRotation, pendingRotationOf, pendingRotationOutcome, rotationOutputs, verifyRotation } from "../../provider/rotation/logic";
import { loadFixture } from "./helpers";

interface Issued {
  pem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

function keyPair(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem: privateKey };
}

function issue(args: { subject: forge.pki.CertificateField[]; serial: string; notBefore: string; notAfter: string; issuer?: Issued; ca?: boolean }): Issued {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = args.serial;
  cert.validity.notBefore = new Date(args.notBefore);
  cert.validity.notAfter = new Date(args.notAfter);
  cert.setSubject(args.subject);
  cert.setIssuer(args.issuer ? args.issuer.cert.subject.attributes : args.subject);
  if (args.ca) cert.setExtensions([{ name: "basicConstraints", cA: true }]);
  cert.sign(args.issuer ? args.issuer.key : keys.privateKey, forge.md.sha256.create());
  return { pem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem, cert, key: keys.privateKey };
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();

describe("certificates: facts from PEM (node-forge)", function () {
  this.timeout(20_000);
  let ca: Issued;
  let otherCa: Issued;
  let leaf: Issued;

  before(() => {
    ca = issue({ subject: [{ shortName: "CN", value: "Cluster CA" }, { shortName: "O", value: "Example" }], serial: "01", notBefore: "2025-01-01T00:00:00Z", notAfter: "2035-01-01T00:00:00Z", ca: true });
    otherCa = issue({ subject: [{ shortName: "CN", value: "Cluster CA" }, { shortName: "O", value: "Example" }], serial: "02", notBefore: "2025-01-01T00:00:00Z", notAfter: "2035-01-01T00:00:00Z", ca: true });
    leaf = issue({
      subject: [{ shortName: "CN", value: "ccs_internode_encryption.node1.prod.example.com" }, { shortName: "OU", value: "prod.example.com" }],
      serial: "00a1b2c3d4",
      notBefore: "2026-01-01T00:00:00Z",
      notAfter: "2026-04-01T00:00:00Z",
      issuer: ca,
    });
  });

  it("describes a certificate: name, node, subject, issuer, serial, validity, SHA-256 fingerprint and whole days left", () => {
    const now = Date.parse("2026-02-15T12:00:00Z");
    assert.deepEqual(describeCertificate("ccs_internode_encryption", leaf.pem, now, 1), {
      name: "ccs_internode_encryption",
      node: 1,
      subject: "CN=ccs_internode_encryption.node1.prod.example.com, OU=prod.example.com",
      issuer: "CN=Cluster CA, O=Example",
      serial: "a1b2c3d4",
      notBefore: "2026-01-01T00:00:00.000Z",
      notAfter: "2026-04-01T00:00:00.000Z",
      fingerprintSha256: fingerprintOf(leaf.pem),
      // 44.5 days left: rounded down, so it is below a 45-day threshold.
      daysRemaining: 44,
    });
    assert.equal(describeCertificate("x", leaf.pem, Date.parse("2026-04-03T00:00:00Z")).daysRemaining, -2);
    assert.equal("node" in describeCertificate("x", leaf.pem, now), false);
  });

  it("numbers: serials lose leading zero bytes, days round down", () => {
    assert.equal(normalizeSerial("0000FF01"), "ff01");
    assert.equal(normalizeSerial("00"), "00");
    assert.equal(normalizeSerial("10"), "10");
    assert.equal(daysBetween(Date.parse("2026-01-01T00:00:00Z"), new Date("2026-01-31T00:00:00Z")), 30);
    assert.equal(daysBetween(Date.parse("2026-01-01T00:00:01Z"), new Date("2026-01-31T00:00:00Z")), 29);
  });

  it("verifies the chain to the cluster CA by signature, not by name, and through intermediates", () => {
    assert.equal(chainsTo(leaf.pem, ca.pem), true);
    // Same subject name, different key: not the cluster CA.
    assert.equal(chainsTo(leaf.pem, otherCa.pem), false);
    assert.equal(chainsTo(leaf.pem, otherCa.pem + ca.pem), true);
    const intermediate = issue({ subject: [{ shortName: "CN", value: "Intermediate" }], serial: "03", notBefore: "2025-01-01T00:00:00Z", notAfter: "2030-01-01T00:00:00Z", issuer: ca, ca: true });
    const customer = issue({ subject: [{ shortName: "CN", value: "customer" }], serial: "04", notBefore: "2026-01-01T00:00:00Z", notAfter: "2027-01-01T00:00:00Z", issuer: intermediate });
    assert.equal(chainsTo(customer.pem + intermediate.pem, ca.pem), true);
    assert.equal(chainsTo(customer.pem, ca.pem), false);
    assert.equal(chainsTo(leaf.pem, "not a pem"), false);
  });

  it("keeps only certificates from the GET /v1/cluster/certificates map: private keys are dropped", () => {
    const map = certificatesFromMap({ api_cert: leaf.pem, api_key: leaf.keyPem, proxy_key: leaf.keyPem, mtls_trusted_ca_cert: ca.pem, odd_cert: 7 });
    assert.deepEqual([...map.keys()], ["api", "mtls_trusted_ca"]);
    assert.ok(![...map.values()].some((value) => value.includes("PRIVATE KEY")));
    assert.deepEqual([...certificatesFromMap(null).keys()], []);
    // A PEM text that also carries a key is described from its certificate only.
    assert.equal(describeCertificate("api", leaf.pem + leaf.keyPem, 0).fingerprintSha256, fingerprintOf(leaf.pem));
    assert.throws(() => describeCertificate("api", leaf.keyPem, 0), (error: Error) => !error.message.includes("PRIVATE") && /no -----BEGIN CERTIFICATE----- block/.test(error.message));
  });

  it("expiry within N days: strictly fewer days left than the threshold", () => {
    const at = (name: string, daysRemaining: number) => ({ name, daysRemaining }) as CertificateInfo;
    assert.deepEqual(expiringCertificates([at("a", 44), at("b", 45), at("c", -1), at("a", 10)], 45), ["a", "c"]);
    assert.deepEqual(expiringCertificates([at("a", 89)], 45), []);
  });

  it("a rotation shows as a new certificate whose validity did not move backwards", () => {
    const before = describeCertificate("proxy", leaf.pem, 0);
    const renewed = issue({ subject: [{ shortName: "CN", value: "proxy" }], serial: "05", notBefore: "2026-02-01T00:00:00Z", notAfter: "2026-05-02T00:00:00Z", issuer: ca });
    const after = describeCertificate("proxy", renewed.pem, 0);
    assert.equal(rotationProblem(before, after), undefined);
    assert.match(rotationProblem(before, before)!, /proxy is the same certificate as before the rotation/);
    const older = describeCertificate("proxy", issue({ subject: [{ shortName: "CN", value: "proxy" }], serial: "06", notBefore: "2025-12-01T00:00:00Z", notAfter: "2026-03-01T00:00:00Z", issuer: ca }).pem, 0);
    assert.match(rotationProblem(before, older)!, /validity did not move forward/);
  });

  it("verifyRotation checks the chain to the CA when the old certificates chained to it, and otherwise the issuer name", () => {
    const renewed = issue({ subject: [{ shortName: "CN", value: "n" }], serial: "07", notBefore: "2026-02-01T00:00:00Z", notAfter: "2026-05-02T00:00:00Z", issuer: ca });
    const foreign = issue({ subject: [{ shortName: "CN", value: "n" }], serial: "08", notBefore: "2026-02-01T00:00:00Z", notAfter: "2026-05-02T00:00:00Z", issuer: otherCa });
    const info = (pem: string) => describeCertificate("data_internode_encryption", pem, 0);
    const run = (afterPem: string, caPem?: string) =>
      verifyRotation({
        names: ["data_internode_encryption"],
        before: [info(leaf.pem)],
        after: [info(afterPem)],
        beforePems: new Map([["data_internode_encryption", leaf.pem]]),
        afterPems: new Map([["data_internode_encryption", afterPem]]),
        ...(caPem ? { caPem } : {}),
      });
    assert.deepEqual(run(renewed.pem, ca.pem), { problems: [], unchecked: [] });
    assert.deepEqual(run(foreign.pem, ca.pem).problems, ["data_internode_encryption does not chain to the cluster CA (issuer CN=Cluster CA, O=Example)"]);
    // Without a CA the signature is not judged, and the note says so.
    assert.deepEqual(run(renewed.pem), { problems: [], unchecked: ["data_internode_encryption"] });
    // A CA that never signed the old certificates (the API's own CA on a real cluster) is not held against the
    // new ones: the issuer name is compared instead, and the note lists the certificate as unchecked.
    assert.deepEqual(run(renewed.pem, otherCa.pem), { problems: [], unchecked: ["data_internode_encryption"] });
  });
});

describe("cluster: the 6.2.4 rule with versions as numbers", () => {
  it("names every node older than 6.2.4 or with an unreadable version", () => {
    const nodes = ["100.0.21-16135", "7.22.0-95", "6.2.4", "6.2.3-12", "10.0.0", "garbage", "6.2.12-1", "6.10.0", ""].map((softwareVersion, index) => ({ uid: index + 1, softwareVersion }));
    assert.deepEqual(internodeEncryptionBlockers(nodes), ["node 4 (6.2.3-12)", "node 6 (garbage)", "node 9 (version unknown)"]);
    assert.equal(internodeEncryptionReady(nodes), false);
    assert.equal(internodeEncryptionReady([{ uid: 1, softwareVersion: "100.0.21-16135" }, { uid: 2, softwareVersion: "6.2.4-1" }]), true);
    // A string comparison would put "10.0.0" before "6.2.4".
    assert.equal(internodeEncryptionReady([{ uid: 1, softwareVersion: "10.0.0" }]), true);
    assert.equal(internodeEncryptionReady([]), false);
  });
});

describe("cluster: bootstrap answers", () => {
  it("reads the real answer after create", function () {
    const real = loadFixture("bootstrap_status.json");
    if (!real) this.skip();
    assert.deepEqual(parseBootstrapStatus(real), { state: "completed", nodeUid: 1, address: "192.168.16.2" });
  });

  it("reads an error with its code and details, and the error keeps the password out", () => {
    const status = parseBootstrapStatus({ bootstrap_status: { state: "error", error_code: "access_denied", error_details: { message: "bad credentials s3cret-pass" } }, local_node_info: {} });
    assert.deepEqual(status, { state: "error", errorCode: "access_denied", errorMessage: "bad credentials s3cret-pass" });
    const error = bootstrapFailure("join_cluster", "https://10.0.0.2:9443", status, "s3cret-pass");
    assert.match(error.message, /^node https:\/\/10\.0\.0\.2:9443: bootstrap join_cluster failed: access_denied: bad credentials \[redacted\]/i);
    assert.ok(!error.message.includes("s3cret-pass"));
    assert.deepEqual(parseBootstrapStatus({ bootstrap_status: { state: "error", error_code: "insufficient_node_memory", error_details: { required_memory: 100 } } }), {
      state: "error",
      errorCode: "insufficient_node_memory",
      errorMessage: '{"required_memory":100}',
    });
    assert.deepEqual(parseBootstrapStatus(undefined), { state: "" });
  });
});

describe("rotation: what makes an update rotate", () => {
  const olds = { triggers: [1], requestedCertificates: null, expiringCertificates: [], rotationDue: false, lastRotatedAt: "2026-01-01T00:00:00.000Z" };

  it("a change of triggers or of the selection rotates; the same inputs do not", () => {
    assert.deepEqual(diffRotation(olds, { triggers: [1] }), { changes: false, rotate: false, requested: false, reasons: [] });
    assert.deepEqual(diffRotation(olds, { triggers: [2] }), { changes: true, rotate: true, requested: true, reasons: ["triggers changed"] });
    assert.deepEqual(diffRotation(olds, { triggers: [1], certificates: ["proxy"] }).reasons, ["the selected certificates changed"]);
  });

  it("expiry found by a read is drift; a threshold change alone is recorded without a rotation", () => {
    const due = { ...olds, expiringCertificates: ["ccs_internode_encryption"], rotationDue: true, rotateWhenExpiringWithinDays: 30 };
    assert.deepEqual(diffRotation(due, { triggers: [1], rotateWhenExpiringWithinDays: 30 }), {
      changes: true,
      rotate: true,
      requested: false,
      reasons: ["ccs_internode_encryption has fewer than 30 days left"],
    });
    assert.deepEqual(diffRotation(olds, { triggers: [1], rotateWhenExpiringWithinDays: 60 }), { changes: true, rotate: false, requested: false, reasons: [] });
  });

  it("a rotation that did not complete rotates at the next update", () => {
    assert.deepEqual(diffRotation({ ...olds, lastRotatedAt: null }, { triggers: [1] }).reasons, ["the last rotation did not complete"]);
  });

  it("a rotation recorded as pending is finished by the next update, which is no new request unless triggers or the selection changed", () => {
    const cert = (name: string, serial: string) => ({ name, serial, notBefore: "2026-01-01T00:00:00.000Z", fingerprintSha256: serial }) as CertificateInfo;
    const pendingRotation = { names: ["proxy"], before: [cert("proxy", "aa")] };
    const recorded = { ...olds, pendingRotation };
    assert.deepEqual(diffRotation(recorded, { triggers: [1] }), {
      changes: true,
      rotate: true,
      requested: false,
      reasons: ["the last rotation was sent but not verified"],
    });
    // A new rotation asked for supersedes the pending one, which is then no reason of its own.
    assert.deepEqual(diffRotation(recorded, { triggers: [2] }), { changes: true, rotate: true, requested: true, reasons: ["triggers changed"] });
    assert.equal(diffRotation({ ...olds, pendingRotation: null }, { triggers: [1] }).rotate, false, "null: nothing pending");
    // A record this provider did not write is not taken for a pending rotation.
    assert.equal(pendingRotationOf({ pendingRotation: { names: "proxy", before: [] } }), undefined);
    assert.deepEqual(pendingRotationOf(recorded), pendingRotation);
  });

  it("what the next up does about a pending rotation: verify what changed, rotate what did not", () => {
    const cert = (name: string, serial: string) => ({ name, serial, notBefore: "2026-01-01T00:00:00.000Z", fingerprintSha256: serial }) as CertificateInfo;
    const pending = { names: ["cm", "proxy", "syncer"], before: [cert("cm", "01"), cert("proxy", "02"), cert("syncer", "03")] };
    assert.deepEqual(pendingRotationOutcome(pending, [cert("cm", "11"), cert("proxy", "12"), cert("syncer", "13")]), { applied: ["cm", "proxy", "syncer"], rotate: [] });
    assert.deepEqual(pendingRotationOutcome(pending, [cert("cm", "01"), cert("proxy", "02"), cert("syncer", "03")]), { applied: [], rotate: ["cm", "proxy", "syncer"] });
    // Rotated one by one and cut short after the first.
    assert.deepEqual(pendingRotationOutcome(pending, [cert("cm", "11"), cert("proxy", "02"), cert("syncer", "03")]), { applied: ["cm"], rotate: ["proxy", "syncer"] });
    // No certificate recorded before: no change can be seen, so it is rotated.
    assert.deepEqual(pendingRotationOutcome({ names: ["cm"], before: [] }, [cert("cm", "11")]), { applied: [], rotate: ["cm"] });
  });

  it("outputs: expiry judged by days left against the threshold (45 by default), never by serials", () => {
    const at = (name: string, daysRemaining: number, serial: string) => ({ name, daysRemaining, serial }) as CertificateInfo;
    const fresh = rotationOutputs({}, [at("proxy", 89, "aa")], "t");
    assert.deepEqual([fresh.expiringCertificates, fresh.rotationDue], [[], false]);
    const renewedBehindOurBack = rotationOutputs({}, [at("proxy", 60, "bb")], "t");
    assert.deepEqual([renewedBehindOurBack.expiringCertificates, renewedBehindOurBack.rotationDue], [[], false]);
    const old = rotationOutputs({ rotateWhenExpiringWithinDays: 45 }, [at("proxy", 44, "aa")], "t");
    assert.deepEqual([old.expiringCertificates, old.rotationDue, old.rotateWhenExpiringWithinDays], [["proxy"], true, 45]);
  });

  it("check names bad inputs", () => {
    const { failures } = checkRotation({ certificates: ["proxy", "ldap_client", "proxy"], triggers: "x", rotateWhenExpiringWithinDays: 0, colour: 1 });
    assert.deepEqual(
      failures.map((failure) => failure.property),
      ["certificates[1]", "certificates[2]", "triggers", "rotateWhenExpiringWithinDays", "colour"],
    );
    assert.match(failures[0]!.reason, /must be an internal certificate name, one of api, cm, proxy, syncer, metrics_exporter, ccs_internode_encryption, data_internode_encryption/);
    assert.match(failures[1]!.reason, /"proxy" is listed twice/);
    assert.deepEqual(checkRotation({ certificates: ["ccs_internode_encryption"], triggers: [new Date(0).toISOString()], rotateWhenExpiringWithinDays: 30 }).failures, []);
  });
});

describe("cluster: settings leaf by leaf, one request per REST object", () => {
  const live = {
    name: "c.example.com",
    nodes: [{ url: "https://10.0.0.1:9443", uid: 1 }],
    dataInternodeEncryptionDefault: false,
    clusterCertsAboutToExpireAlert: { enabled: true, thresholdDays: 45 },
    nodeInternalCertsAboutToExpireAlert: { enabled: false, thresholdDays: 45 },
    certificateRotationJob: { enabled: true, expiryDaysBeforeRotation: 60 },
  };
  const declared = {
    name: "c.example.com",
    nodes: [{ url: "https://10.0.0.1:9443" }],
    dataInternodeEncryptionDefault: true,
    clusterCertsAboutToExpireAlert: { thresholdDays: 30 },
    nodeInternalCertsAboutToExpireAlert: { enabled: true },
    certificateRotationJob: { enabled: true },
  };

  it("compares only declared leaves and words each change as a Cluster fact", () => {
    const diff = diffCluster(live, declared);
    assert.deepEqual(
      diff.changed.map((change) => [change.property, change.old, change.new]),
      [
        ["dataInternodeEncryptionDefault", false, true],
        ["clusterCertsAboutToExpireAlert.thresholdDays", 45, 30],
        ["nodeInternalCertsAboutToExpireAlert.enabled", false, true],
      ],
    );
    assert.deepEqual(diff.notes, [
      'Cluster "c.example.com": dataInternodeEncryptionDefault false -> true applies to databases created afterwards; no existing database changes',
      'Cluster "c.example.com": clusterCertsAboutToExpireAlert.thresholdDays 45 -> 30 changes when the cluster raises the alert; no certificate changes',
      'Cluster "c.example.com": nodeInternalCertsAboutToExpireAlert.enabled false -> true changes when the cluster raises the alert; no certificate changes',
    ]);
  });

  it("sends each object's changes once, both alerts in one alert_settings, undeclared leaves kept at their live value", () => {
    assert.deepEqual(settingsPayloads(live, declared), {
      policy: { data_internode_encryption: true },
      cluster: {
        alert_settings: {
          cluster_certs_about_to_expire: { enabled: true, threshold: "30" },
          node_internal_certs_about_to_expire: { enabled: true, threshold: "45" },
        },
      },
    });
    assert.deepEqual(settingsPayloads({ ...live, ...declared, clusterCertsAboutToExpireAlert: { enabled: true, thresholdDays: 30 }, nodeInternalCertsAboutToExpireAlert: { enabled: true, thresholdDays: 45 } }, declared), {});
  });
});
