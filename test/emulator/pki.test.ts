import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import forge from "node-forge";
import {
  CertificateError,
  ClusterPki,
  INTERNAL_CERTIFICATE_NAMES,
  type IssuedCertificate,
  type PkiNode,
  type PkiSnapshot,
  clearKeyPool,
  describeCertificate,
  keyPoolSize,
  prewarmKeyPool,
} from "../../emulator/pki";

const DAY_MS = 86_400_000;
/** A fixed virtual start (a whole second), so expected times are exact. */
const START_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
/** Most tests use 1024-bit keys: a 3-node cluster then costs ~0.1 s instead of ~2 s. */
const TEST_KEY_BITS = 1024;

interface VirtualClock {
  ms: number;
  now: () => number;
  advanceDays(days: number): void;
}

function virtualClock(startMs = START_MS): VirtualClock {
  const clock: VirtualClock = {
    ms: startMs,
    now: () => clock.ms,
    advanceDays: (days: number) => {
      clock.ms += days * DAY_MS;
    },
  };
  return clock;
}

function testNode(uid: number): PkiNode {
  return { uid, address: `10.0.0.${uid}`, hostname: `node${uid}.cluster.local` };
}

async function threeNodeCluster(
  clock: VirtualClock,
  options: { validityDays?: number; keyBits?: number } = {},
): Promise<ClusterPki> {
  const pki = await ClusterPki.create({
    clusterName: "cluster.local",
    now: clock.now,
    keyBits: options.keyBits ?? TEST_KEY_BITS,
    validityDays: options.validityDays,
  });
  await Promise.all([1, 2, 3].map((uid) => pki.addNode(testNode(uid))));
  return pki;
}

function serialsByKey(certificates: IssuedCertificate[]): Map<string, string> {
  return new Map(certificates.map((c) => [`${c.nodeUid}/${c.name}`, c.serialHex]));
}

/** Runs `action` (sync or async) and checks that it throws a CertificateError with this status and code. */
async function expectCertificateError(action: () => unknown, status: number, errorCode: string): Promise<CertificateError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof CertificateError, `expected a CertificateError, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.errorCode, errorCode);
    return error;
  }
  assert.fail(`expected CertificateError ${status} ${errorCode}, nothing was thrown`);
}

/** A customer's own CA, independent of the emulator's code, built with node-forge directly. */
interface TestCa {
  certPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

function forgeKeyPair(): { privateKeyPem: string; key: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 1024,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return {
    privateKeyPem: privateKey,
    key: forge.pki.privateKeyFromPem(privateKey),
    publicKey: forge.pki.publicKeyFromPem(publicKey),
  };
}

function makeTestCa(commonName = "Customer Test CA"): TestCa {
  const { key, publicKey } = forgeKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date(START_MS - 365 * DAY_MS);
  cert.validity.notAfter = new Date(START_MS + 3650 * DAY_MS);
  const subject = [{ shortName: "CN", value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), cert, key };
}

/** A leaf issued by the customer's CA: PEM of leaf + CA chain, and its PKCS#8 key. */
function makeCustomerCertificate(
  ca: TestCa,
  options: { commonName: string; notBefore: number; notAfter: number; clientAuth?: boolean; serialHex?: string },
): { certificate: string; leafPem: string; key: string } {
  const { privateKeyPem, publicKey } = forgeKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = options.serialHex ?? "0a1b2c3d";
  cert.validity.notBefore = new Date(options.notBefore);
  cert.validity.notAfter = new Date(options.notAfter);
  cert.setSubject([{ shortName: "CN", value: options.commonName }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: "extKeyUsage", serverAuth: true, clientAuth: options.clientAuth ?? true },
    { name: "subjectAltName", altNames: [{ type: 2, value: options.commonName }] },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  const leafPem = forge.pki.certificateToPem(cert);
  return { certificate: leafPem + ca.certPem, leafPem, key: privateKeyPem };
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
}

/** The state that must not change after a refused request. */
function observableState(pki: ClusterPki): unknown {
  return { flat: pki.flatMap(), certificates: pki.certificates(), json: pki.toJSON() };
}

describe("emulator/pki: the cluster's private CA", function () {
  const clock = virtualClock();
  let pki: ClusterPki;
  let otherPki: ClusterPki;

  before(async function () {
    pki = await threeNodeCluster(clock);
    otherPki = await ClusterPki.create({ clusterName: "other.example", now: clock.now, keyBits: TEST_KEY_BITS });
  });

  it("is a CA: CA:true critical with path length 0, keyCertSign+cRLSign, self-signed, subject names the cluster", function () {
    const ca = new X509Certificate(pki.caCertPem);
    assert.equal(ca.ca, true);
    assert.equal(ca.subject, "CN=cluster.local internal CA\nO=Redis Enterprise Cluster (emulated)");
    assert.equal(ca.issuer, ca.subject);
    assert.equal(ca.verify(ca.publicKey), true);
    assert.equal(pki.caFingerprintSha256, ca.fingerprint256.replace(/:/g, "").toLowerCase());
    assert.match(pki.caFingerprintSha256, /^[0-9a-f]{64}$/);

    const forgeCa = forge.pki.certificateFromPem(pki.caCertPem);
    assert.deepEqual(
      pickDefined(forgeCa.getExtension("basicConstraints"), ["cA", "pathLenConstraint", "critical"]),
      { cA: true, pathLenConstraint: 0, critical: true },
    );
    assert.deepEqual(
      pickDefined(forgeCa.getExtension("keyUsage"), ["keyCertSign", "cRLSign", "digitalSignature", "critical"]),
      { keyCertSign: true, cRLSign: true, digitalSignature: false, critical: true },
    );
    assert.equal(forgeCa.siginfo.algorithmOid, forge.pki.oids["sha256WithRSAEncryption"]);
    assert.equal(pki.caNotAfter.getTime() - new Date(ca.validFrom).getTime(), 3650 * DAY_MS);
  });

  it("issues the seven internal certificates per node, each verifying to the CA with node-forge and with Node", function () {
    const certificates = pki.certificates();
    assert.deepEqual(
      certificates.map((c) => `${c.nodeUid}/${c.name}`),
      [1, 2, 3].flatMap((uid) => INTERNAL_CERTIFICATE_NAMES.map((name) => `${uid}/${name}`)),
    );
    const caStore = forge.pki.createCaStore([pki.caCertPem]);
    const foreignStore = forge.pki.createCaStore([otherPki.caCertPem]);
    const caPublicKey = new X509Certificate(pki.caCertPem).publicKey;
    const foreignPublicKey = new X509Certificate(otherPki.caCertPem).publicKey;
    for (const certificate of certificates) {
      const leaf = forge.pki.certificateFromPem(certificate.certPem);
      const at = { validityCheckDate: new Date(clock.ms) };
      assert.equal(forge.pki.verifyCertificateChain(caStore, [leaf], at), true, `${certificate.name} on ${certificate.nodeUid}`);
      assert.throws(() => forge.pki.verifyCertificateChain(foreignStore, [leaf], at));
      const x509 = new X509Certificate(certificate.certPem);
      assert.equal(x509.verify(caPublicKey), true);
      assert.equal(x509.verify(foreignPublicKey), false);
      assert.equal(x509.ca, false);
      assert.equal(x509.checkPrivateKey(createPrivateKey(certificate.keyPem)), true);
      assert.equal(certificate.issuerCommonName, "cluster.local internal CA");
      assert.equal(certificate.subjectCommonName, `${certificate.name}.node${certificate.nodeUid}.cluster.local`);
      assert.equal(certificate.customerProvided, false);
      assert.equal(leaf.siginfo.algorithmOid, forge.pki.oids["sha256WithRSAEncryption"]);
    }
  });

  it("never uses one key pair for two certificates, and serials are random positive 128-bit numbers", async function () {
    const api = await Promise.all([1, 2, 3].map((uid) => pki.apiServerCredentials(testNode(uid))));
    const pems = [...pki.certificates().map((c) => c.certPem), ...api.map((a) => a.certPem), pki.caCertPem];
    const publicKeys = pems.map((pem) => new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" }).toString("hex"));
    assert.equal(new Set(publicKeys).size, pems.length);
    const serials = pki.certificates().map((c) => c.serialHex);
    assert.equal(new Set(serials).size, serials.length);
    for (const serial of serials) {
      assert.match(serial, /^[4-7][0-9a-f]{31}$/); // 16 bytes, top bit clear, next bit set
    }
  });

  it("gives each name its usage: serverAuth for services, serverAuth+clientAuth for syncer and both internode planes", function () {
    const serverAuth = "1.3.6.1.5.5.7.3.1";
    const clientAuth = "1.3.6.1.5.5.7.3.2";
    const usages = Object.fromEntries(
      pki.certificates(2).map((c) => [c.name, new X509Certificate(c.certPem).keyUsage]),
    );
    assert.deepEqual(usages, {
      api: [serverAuth],
      cm: [serverAuth],
      proxy: [serverAuth],
      syncer: [serverAuth, clientAuth],
      metrics_exporter: [serverAuth],
      ccs_internode_encryption: [serverAuth, clientAuth],
      data_internode_encryption: [serverAuth, clientAuth],
    });
    const altNames = Object.fromEntries(
      pki.certificates(2).map((c) => [c.name, new X509Certificate(c.certPem).subjectAltName]),
    );
    const nodeNames = "DNS:node2.cluster.local, IP Address:10.0.0.2";
    assert.deepEqual(altNames, {
      api: "DNS:node2.cluster.local, DNS:localhost, IP Address:10.0.0.2, IP Address:127.0.0.1",
      cm: nodeNames,
      proxy: nodeNames,
      syncer: nodeNames,
      metrics_exporter: nodeNames,
      ccs_internode_encryption: nodeNames,
      data_internode_encryption: nodeNames,
    });
  });

  it("refuses a second addNode for the same uid (409) and a node that cannot go into a certificate (400)", async function () {
    await expectCertificateError(() => pki.addNode(testNode(2)), 409, "node_exists");
    await expectCertificateError(() => pki.addNode({ uid: 9, address: "10.0.0.300", hostname: "n9" }), 400, "invalid_node");
    await expectCertificateError(() => pki.addNode({ uid: 9, address: "10.0.0.9", hostname: "bad host" }), 400, "invalid_node");
    await expectCertificateError(() => pki.addNode({ uid: 0, address: "10.0.0.9", hostname: "n9" }), 400, "invalid_node");
    assert.deepEqual(pki.nodes().map((n) => n.uid), [1, 2, 3]);
  });
});

function pickDefined(extension: unknown, keys: string[]): Record<string, unknown> {
  assert.ok(extension !== undefined && extension !== null && typeof extension === "object", "extension missing");
  const record = extension as Record<string, unknown>;
  return Object.fromEntries(keys.map((key) => [key, record[key] ?? false]));
}

describe("emulator/pki: the API server credentials work for HTTPS", function () {
  const servers: https.Server[] = [];

  after(async function () {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  async function serve(credentials: { certPem: string; keyPem: string }, host: string): Promise<number> {
    const server = https.createServer({ cert: credentials.certPem, key: credentials.keyPem }, (_request, response) => {
      response.writeHead(200, { "content-type": "text/plain", connection: "close" });
      response.end("ok");
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  function get(options: https.RequestOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      const request = https.request({ ...options, method: "GET", path: "/", agent: false }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve(`${response.statusCode} ${body}`));
      });
      request.on("error", reject);
      request.end();
    });
  }

  for (const keyBits of [2048, 1024]) {
    it(`serves TLS that verifies with the CA by node IP and hostname, and fails with another CA (RSA-${keyBits})`, async function () {
      // The virtual clock runs 200 days ahead of the wall clock, as after tests advanced it: TLS checks the
      // wall clock, so the credentials must still verify.
      const clock = virtualClock(Math.floor(Date.now() / 1000) * 1000 + 200 * DAY_MS);
      const pki = await ClusterPki.create({ clusterName: "cluster.local", now: clock.now, keyBits });
      const other = await ClusterPki.create({ clusterName: "cluster.local", now: clock.now, keyBits: TEST_KEY_BITS });
      const node: PkiNode = { uid: 2, address: "127.0.0.2", hostname: "node2.cluster.local" };
      const [credentials, concurrent] = await Promise.all([pki.apiServerCredentials(node), pki.apiServerCredentials(node)]);
      assert.deepEqual(concurrent, credentials, "concurrent calls share one issuance");
      assert.deepEqual(await pki.apiServerCredentials(node), credentials, "issued once per node");
      const x509 = new X509Certificate(credentials.certPem);
      assert.equal(x509.subjectAltName, "DNS:node2.cluster.local, DNS:localhost, IP Address:127.0.0.2, IP Address:127.0.0.1");
      assert.deepEqual(x509.keyUsage, ["1.3.6.1.5.5.7.3.1"]);
      assert.equal(createPublicKey(credentials.keyPem).asymmetricKeyDetails?.modulusLength, keyBits);

      const port = await serve(credentials, "127.0.0.2");
      assert.equal(await get({ host: "127.0.0.2", port, ca: pki.caCertPem }), "200 ok");
      assert.equal(await get({ host: "127.0.0.2", port, ca: pki.caCertPem, servername: "node2.cluster.local" }), "200 ok");
      await assert.rejects(get({ host: "127.0.0.2", port, ca: other.caCertPem }), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
      await assert.rejects(get({ host: "127.0.0.2", port, ca: pki.caCertPem, servername: "node3.cluster.local" }), {
        code: "ERR_TLS_CERT_ALTNAME_INVALID",
      });
    });
  }
});

describe("emulator/pki: validity follows the virtual clock", function () {
  it("makes internal certificates valid exactly validityDays (default 90) from the clock's now", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    assert.equal(pki.validityDays, 90);
    for (const certificate of pki.certificates()) {
      assert.equal(certificate.notBefore.getTime(), START_MS);
      assert.equal(certificate.notAfter.getTime() - certificate.notBefore.getTime(), 90 * DAY_MS);
      const x509 = new X509Certificate(certificate.certPem);
      assert.equal(new Date(x509.validFrom).getTime(), START_MS);
      assert.equal(new Date(x509.validTo).getTime(), START_MS + 90 * DAY_MS);
    }
  });

  it("supports the 45-day validity of the 6.2.4 era, at creation and by setting validityDays later", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock, { validityDays: 45 });
    assert.deepEqual(
      new Set(pki.certificates().map((c) => c.notAfter.getTime() - c.notBefore.getTime())),
      new Set([45 * DAY_MS]),
    );
    pki.validityDays = 90;
    clock.advanceDays(1);
    const rotated = await pki.rotate("cm");
    assert.deepEqual(rotated.map((c) => [c.notBefore.getTime(), c.notAfter.getTime()]), [
      [START_MS + DAY_MS, START_MS + 91 * DAY_MS],
      [START_MS + DAY_MS, START_MS + 91 * DAY_MS],
      [START_MS + DAY_MS, START_MS + 91 * DAY_MS],
    ]);
    assert.throws(() => (pki.validityDays = 0), RangeError);
    assert.throws(() => (pki.validityDays = Number.NaN), RangeError);
    assert.equal(pki.validityDays, 90);
  });

  it("truncates a clock reading with milliseconds to the second (X.509 precision) and keeps the exact length", async function () {
    const clock = virtualClock(START_MS + 1_750);
    const pki = await ClusterPki.create({ clusterName: "cluster.local", now: clock.now, keyBits: TEST_KEY_BITS });
    await pki.addNode(testNode(1));
    const [api] = pki.certificates(1);
    assert.equal(api.notBefore.getTime(), START_MS + 1_000);
    assert.equal(api.notAfter.getTime(), START_MS + 1_000 + 90 * DAY_MS);
  });

  it("reports days to the soonest expiry and per name, as floats", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    clock.advanceDays(10);
    await pki.rotate("proxy");
    clock.advanceDays(5.5);
    const expected: Record<string, number> = Object.fromEntries(INTERNAL_CERTIFICATE_NAMES.map((n) => [n, 74.5]));
    expected.proxy = 84.5;
    assert.deepEqual(pki.daysToExpiry(), { soonest: 74.5, byName: expected });

    const ca = makeTestCa();
    const ldap = makeCustomerCertificate(ca, { commonName: "ldap.example", notBefore: START_MS, notAfter: clock.ms + 3 * DAY_MS });
    pki.replace([{ name: "ldap_client", certificate: ldap.certificate, key: ldap.key }]);
    assert.deepEqual(pki.daysToExpiry(), { soonest: 74.5, byName: { ...expected, ldap_client: 3 } });

    const empty = await ClusterPki.create({ clusterName: "cluster.local", now: clock.now, keyBits: TEST_KEY_BITS });
    assert.deepEqual(empty.daysToExpiry(), { soonest: Number.POSITIVE_INFINITY, byName: {} });
  });
});

describe("emulator/pki: rotation on request", function () {
  it("rotate() gives every internal certificate on every node a new serial, a new key and notBefore = now", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const before = pki.certificates();
    clock.advanceDays(10);
    const rotated = await pki.rotate();
    const after = pki.certificates();
    assert.deepEqual(rotated, after);
    assert.equal(after.length, 21);
    for (const [index, certificate] of after.entries()) {
      const old = before[index];
      assert.equal(`${certificate.nodeUid}/${certificate.name}`, `${old.nodeUid}/${old.name}`);
      assert.notEqual(certificate.serialHex, old.serialHex);
      assert.notEqual(certificate.keyPem, old.keyPem);
      assert.equal(certificate.notBefore.getTime(), START_MS + 10 * DAY_MS);
      assert.equal(certificate.notAfter.getTime(), START_MS + 100 * DAY_MS);
      assert.equal(new X509Certificate(certificate.certPem).verify(new X509Certificate(pki.caCertPem).publicKey), true);
    }
  });

  it('rotate("proxy") changes only the proxy certificate of each node', async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const before = serialsByKey(pki.certificates());
    clock.advanceDays(1);
    const rotated = await pki.rotate("proxy");
    assert.deepEqual(rotated.map((c) => `${c.nodeUid}/${c.name}`), ["1/proxy", "2/proxy", "3/proxy"]);
    const after = serialsByKey(pki.certificates());
    for (const [key, serial] of after) {
      if (key.endsWith("/proxy")) {
        assert.notEqual(serial, before.get(key), key);
      } else {
        assert.equal(serial, before.get(key), key);
      }
    }
  });

  it("refuses with 403 a name that is not an internal certificate (unknown or optional), changing nothing", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const state = observableState(pki);
    const bogus = await expectCertificateError(() => pki.rotate("bogus"), 403, "unsupported_certificate");
    assert.match(bogus.message, /"bogus".*not a certificate name/);
    const optional = await expectCertificateError(() => pki.rotate("ldap_client"), 403, "unsupported_certificate");
    assert.match(optional.message, /"ldap_client".*optional certificate/);
    assert.deepEqual(observableState(pki), state);
  });

  it("leaves a certificate uploaded while a rotation was generating keys alone", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const ca = makeTestCa();
    const proxy = makeCustomerCertificate(ca, { commonName: "proxy.example", notBefore: START_MS, notAfter: START_MS + 365 * DAY_MS });
    const rotation = pki.rotate();
    pki.replace([{ name: "proxy", certificate: proxy.certificate, key: proxy.key }]);
    const rotated = await rotation;
    assert.equal(rotated.length, 18);
    assert.equal(rotated.some((c) => c.name === "proxy"), false);
    assert.deepEqual(
      pki.certificates().filter((c) => c.name === "proxy").map((c) => [c.fingerprintSha256, c.customerProvided]),
      [1, 2, 3].map(() => [fingerprintOf(proxy.leafPem), true]),
    );
  });
});

describe("emulator/pki: automatic rotation", function () {
  it("with validity 90 and threshold 60 rotates nothing after 29 days and everything after 31", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const initial = serialsByKey(pki.certificates());
    clock.advanceDays(29);
    assert.deepEqual(await pki.rotateDue(60), []);
    assert.deepEqual(serialsByKey(pki.certificates()), initial);
    clock.advanceDays(2);
    const rotated = await pki.rotateDue();
    assert.equal(rotated.length, 21);
    for (const certificate of pki.certificates()) {
      assert.notEqual(certificate.serialHex, initial.get(`${certificate.nodeUid}/${certificate.name}`));
      assert.equal(certificate.notBefore.getTime(), START_MS + 31 * DAY_MS);
    }
    assert.deepEqual(await pki.rotateDue(60), [], "freshly rotated certificates are not due");
  });

  it("never rotates customer-provided certificates, even with fewer days left than the threshold", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const ca = makeTestCa();
    const proxy = makeCustomerCertificate(ca, { commonName: "proxy.example", notBefore: START_MS, notAfter: START_MS + 40 * DAY_MS });
    pki.replace([{ name: "proxy", certificate: proxy.certificate, key: proxy.key }]);
    clock.advanceDays(31);
    const rotated = await pki.rotateDue(60);
    assert.equal(rotated.length, 18);
    assert.equal(rotated.some((c) => c.name === "proxy"), false);
    const proxies = pki.certificates().filter((c) => c.name === "proxy");
    assert.deepEqual(proxies.map((c) => [c.nodeUid, c.customerProvided, c.fingerprintSha256]), [
      [1, true, fingerprintOf(proxy.leafPem)],
      [2, true, fingerprintOf(proxy.leafPem)],
      [3, true, fingerprintOf(proxy.leafPem)],
    ]);
  });

  it("replaces an unrenewed customer internode certificate with CA-signed ones 5 days before it expires", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const ca = makeTestCa();
    const ine = makeCustomerCertificate(ca, { commonName: "ine.example", notBefore: START_MS, notAfter: START_MS + 10 * DAY_MS });
    pki.replace([{ name: "data_internode_encryption", certificate: ine.certificate, key: ine.key }]);
    clock.advanceDays(4); // 6 days left
    assert.deepEqual(await pki.rotateDue(60), []);
    clock.advanceDays(1.5); // 4.5 days left
    const replaced = await pki.rotateDue(60);
    assert.deepEqual(replaced.map((c) => [c.nodeUid, c.name, c.customerProvided, c.issuerCommonName]), [
      [1, "data_internode_encryption", false, "cluster.local internal CA"],
      [2, "data_internode_encryption", false, "cluster.local internal CA"],
      [3, "data_internode_encryption", false, "cluster.local internal CA"],
    ]);
    assert.deepEqual(pki.certificates().filter((c) => c.name === "data_internode_encryption"), replaced);
  });

  it("rejects a threshold that is not a positive number", async function () {
    const pki = await ClusterPki.create({ clusterName: "cluster.local", now: virtualClock().now, keyBits: TEST_KEY_BITS });
    await assert.rejects(pki.rotateDue(0), RangeError);
    await assert.rejects(pki.rotateDue(Number.NaN), RangeError);
  });
});

describe("emulator/pki: customer certificates (PUT /v1/cluster/certificates, update_cert)", function () {
  const clock = virtualClock();
  let pki: ClusterPki;
  let ca: TestCa;
  let valid: { certificate: string; leafPem: string; key: string };

  before(async function () {
    pki = await threeNodeCluster(clock);
    ca = makeTestCa();
    valid = makeCustomerCertificate(ca, { commonName: "proxy.example", notBefore: START_MS - DAY_MS, notAfter: START_MS + 365 * DAY_MS });
  });

  const refusals: Array<{
    title: string;
    status: number;
    errorCode: string;
    bad: () => { name: string; certificate: string; key?: string };
  }> = [
    { title: "a certificate that is not PEM", status: 400, errorCode: "invalid_certificate", bad: () => ({ name: "cm", certificate: "hello", key: valid.key }) },
    {
      title: "a PEM block that is not X.509",
      status: 400,
      errorCode: "invalid_certificate",
      bad: () => ({ name: "cm", certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key: valid.key }),
    },
    { title: "an unknown name", status: 403, errorCode: "unknown_certificate", bad: () => ({ name: "bogus", certificate: valid.certificate, key: valid.key }) },
    {
      title: "an expired certificate (per the virtual clock)",
      status: 406,
      errorCode: "certificate_expired",
      bad: () => {
        const expired = makeCustomerCertificate(ca, { commonName: "old.example", notBefore: START_MS - 30 * DAY_MS, notAfter: START_MS - 1000 });
        return { name: "cm", certificate: expired.certificate, key: expired.key };
      },
    },
    {
      title: "a key that does not belong to the certificate",
      status: 400,
      errorCode: "certificate_key_mismatch",
      bad: () => {
        const other = makeCustomerCertificate(ca, { commonName: "other.example", notBefore: START_MS, notAfter: START_MS + DAY_MS * 30 });
        return { name: "cm", certificate: valid.certificate, key: other.key };
      },
    },
    { title: "a missing key", status: 400, errorCode: "missing_key", bad: () => ({ name: "cm", certificate: valid.certificate }) },
    {
      title: "a key that is not a PEM private key",
      status: 400,
      errorCode: "invalid_key",
      bad: () => ({ name: "cm", certificate: valid.certificate, key: valid.key.replace(/\n[^\n]+\n/, "\nAAAA\n") }),
    },
    {
      title: "an internode certificate without TLS Web Client Authentication",
      status: 400,
      errorCode: "invalid_certificate",
      bad: () => {
        const serverOnly = makeCustomerCertificate(ca, {
          commonName: "ine.example",
          notBefore: START_MS,
          notAfter: START_MS + 30 * DAY_MS,
          clientAuth: false,
        });
        return { name: "ccs_internode_encryption", certificate: serverOnly.certificate, key: serverOnly.key };
      },
    },
    {
      title: "a private key for a trust anchor (mtls_trusted_ca)",
      status: 400,
      errorCode: "unexpected_key",
      bad: () => ({ name: "mtls_trusted_ca", certificate: ca.certPem, key: valid.key }),
    },
    { title: "the same name twice", status: 400, errorCode: "duplicate_certificate", bad: () => ({ name: "proxy", certificate: valid.certificate, key: valid.key }) },
  ];

  for (const refusal of refusals) {
    it(`refuses the whole batch for ${refusal.title} (${refusal.status} ${refusal.errorCode}) and changes nothing`, async function () {
      const state = observableState(pki);
      const error = await expectCertificateError(
        () => pki.replace([{ name: "proxy", certificate: valid.certificate, key: valid.key }, refusal.bad()]),
        refusal.status,
        refusal.errorCode,
      );
      assert.doesNotMatch(error.message, /PRIVATE KEY/);
      assert.equal(error.message.includes(valid.key.split("\n")[1]), false, "no key material in the message");
      assert.deepEqual(observableState(pki), state);
    });
  }

  it("refuses an empty batch (400 missing_certificates)", async function () {
    await expectCertificateError(() => pki.replace([]), 400, "missing_certificates");
  });

  it("accepts a certificate that the virtual clock still finds valid, even if the wall clock would not", async function () {
    const pastClock = virtualClock(Date.UTC(2020, 0, 1));
    const pastPki = await ClusterPki.create({ clusterName: "cluster.local", now: pastClock.now, keyBits: TEST_KEY_BITS });
    const old = makeCustomerCertificate(ca, { commonName: "old.example", notBefore: Date.UTC(2019, 0, 1), notAfter: Date.UTC(2021, 0, 1) });
    pastPki.replace([{ name: "ldap_client", certificate: old.certificate, key: old.key }]);
    assert.equal(pastPki.flatMap().ldap_client_cert, old.certificate);
  });

  it("stores a valid batch on every node, flagged as customer provided, and serves it in the flat map", function () {
    const ldap = makeCustomerCertificate(ca, { commonName: "ldap.example", notBefore: START_MS, notAfter: START_MS + 100 * DAY_MS, serialHex: "7f01" });
    pki.replace([
      { name: "proxy", certificate: valid.certificate, key: valid.key },
      { name: "ldap_client", certificate: ldap.certificate, key: ldap.key },
      { name: "mtls_trusted_ca", certificate: ca.certPem },
    ]);
    for (const uid of [1, 2, 3]) {
      const byName = new Map(pki.certificates(uid).map((c) => [c.name, c]));
      const proxy = byName.get("proxy");
      assert.deepEqual(
        proxy && [proxy.customerProvided, proxy.subjectCommonName, proxy.issuerCommonName, proxy.fingerprintSha256, proxy.keyPem],
        [true, "proxy.example", "Customer Test CA", fingerprintOf(valid.leafPem), valid.key.trim()],
      );
      const ldapCertificate = byName.get("ldap_client");
      assert.deepEqual(ldapCertificate && [ldapCertificate.customerProvided, ldapCertificate.serialHex], [true, "7f01"]);
      const trusted = byName.get("mtls_trusted_ca");
      assert.deepEqual(trusted && [trusted.customerProvided, trusted.keyPem], [true, ""]);
      assert.equal(byName.get("cm")?.customerProvided, false);
    }
    const flat = pki.flatMap();
    assert.equal(flat.proxy_cert, valid.certificate);
    assert.equal(flat.proxy_key, valid.key.trim());
    assert.equal(flat.ldap_client_cert, ldap.certificate);
    assert.equal(flat.mtls_trusted_ca_cert, ca.certPem);
    assert.equal("mtls_trusted_ca_key" in flat, false);
  });
});

describe("emulator/pki: deleting certificates", function () {
  it("deletes an uploaded optional certificate, answers 404 for an unknown or absent one and 403 for a required one", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const ca = makeTestCa();
    const sso = makeCustomerCertificate(ca, { commonName: "sso.example", notBefore: START_MS, notAfter: START_MS + 100 * DAY_MS });
    pki.replace([{ name: "sso_service", certificate: sso.certificate, key: sso.key }]);
    assert.equal(pki.flatMap().sso_service_cert, sso.certificate);
    pki.delete("sso_service");
    assert.equal("sso_service_cert" in pki.flatMap(), false);
    assert.equal(pki.certificates().some((c) => c.name === "sso_service"), false);
    await expectCertificateError(() => pki.delete("sso_service"), 404, "certificate_not_found");
    await expectCertificateError(() => pki.delete("bogus"), 404, "unknown_certificate");
    const state = observableState(pki);
    for (const name of INTERNAL_CERTIFICATE_NAMES) {
      await expectCertificateError(() => pki.delete(name), 403, "required_certificate");
    }
    assert.deepEqual(observableState(pki), state);
  });
});

describe("emulator/pki: GET /v1/cluster/certificates flat map", function () {
  it("has exactly <name>_cert and <name>_key for present certificates, from the lowest-uid node", async function () {
    const clock = virtualClock();
    const pki = await ClusterPki.create({ clusterName: "cluster.local", now: clock.now, keyBits: TEST_KEY_BITS });
    assert.deepEqual(pki.flatMap(), {});
    for (const uid of [3, 1, 2]) {
      await pki.addNode(testNode(uid));
    }
    const internalKeys = INTERNAL_CERTIFICATE_NAMES.flatMap((name) => [`${name}_cert`, `${name}_key`]);
    const flat = pki.flatMap();
    assert.deepEqual(Object.keys(flat), internalKeys);
    const master = new Map(pki.certificates(1).map((c) => [c.name, c]));
    for (const name of INTERNAL_CERTIFICATE_NAMES) {
      assert.equal(flat[`${name}_cert`], master.get(name)?.certPem);
      assert.equal(flat[`${name}_key`], master.get(name)?.keyPem);
    }

    const ca = makeTestCa();
    const make = (cn: string) => makeCustomerCertificate(ca, { commonName: cn, notBefore: START_MS, notAfter: START_MS + 50 * DAY_MS });
    const ldap = make("ldap.example");
    const sso = make("sso.example");
    pki.replace([
      { name: "sso_issuer", certificate: ca.certPem },
      { name: "ldap_client", certificate: ldap.certificate, key: ldap.key },
      { name: "mtls_trusted_ca", certificate: ca.certPem },
      { name: "sso_service", certificate: sso.certificate, key: sso.key },
    ]);
    assert.deepEqual(Object.keys(pki.flatMap()), [
      ...internalKeys,
      "ldap_client_cert",
      "ldap_client_key",
      "mtls_trusted_ca_cert",
      "sso_service_cert",
      "sso_service_key",
      "sso_issuer_cert",
    ]);

    pki.removeNode(1);
    assert.deepEqual(pki.certificates(1), []);
    assert.equal(pki.flatMap().api_cert, pki.certificates(2)[0].certPem, "node 2 is now the lowest uid");
  });
});

describe("emulator/pki: node life cycle", function () {
  it("cancels an addNode that is still generating keys when the node is removed", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const joining = pki.addNode(testNode(4));
    pki.removeNode(4);
    await joining;
    assert.deepEqual(pki.nodes().map((n) => n.uid), [1, 2, 3]);
    assert.deepEqual(pki.certificates(4), []);

    // Removed and added again while the first join still runs: only the second join's node is installed.
    const first = pki.addNode(testNode(5));
    pki.removeNode(5);
    const second = pki.addNode({ uid: 5, address: "10.0.1.5", hostname: "moved5.cluster.local" });
    await Promise.all([first, second]);
    assert.deepEqual(pki.nodes().at(-1), { uid: 5, address: "10.0.1.5", hostname: "moved5.cluster.local" });
    const altNames = pki.certificates(5).map((c) => new X509Certificate(c.certPem).subjectAltName ?? "");
    assert.equal(altNames.length, 7);
    for (const names of altNames) {
      assert.match(names, /^DNS:moved5\.cluster\.local, .*IP Address:10\.0\.1\.5/);
    }
  });

  it("gives a node that joins after an upload the customer's certificate for that name", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const ca = makeTestCa();
    const proxy = makeCustomerCertificate(ca, { commonName: "proxy.example", notBefore: START_MS, notAfter: START_MS + 90 * DAY_MS });
    pki.replace([{ name: "proxy", certificate: proxy.certificate, key: proxy.key }]);
    await pki.addNode(testNode(4));
    const joined = new Map(pki.certificates(4).map((c) => [c.name, c]));
    assert.deepEqual([...joined.keys()], [...INTERNAL_CERTIFICATE_NAMES]);
    assert.equal(joined.get("proxy")?.fingerprintSha256, fingerprintOf(proxy.leafPem));
    assert.equal(joined.get("cm")?.issuerCommonName, "cluster.local internal CA");
  });
});

describe("emulator/pki: state file round trip", function () {
  it("toJSON/fromJSON preserves CA, nodes, serials, PEMs, validity, flags and API credentials", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock, { validityDays: 45 });
    const api = await pki.apiServerCredentials(testNode(1));
    clock.advanceDays(3);
    await pki.rotate("syncer");
    const ca = makeTestCa();
    const proxy = makeCustomerCertificate(ca, { commonName: "proxy.example", notBefore: START_MS, notAfter: START_MS + 90 * DAY_MS });
    pki.replace([
      { name: "proxy", certificate: proxy.certificate, key: proxy.key },
      { name: "mtls_trusted_ca", certificate: ca.certPem },
    ]);

    const snapshot = JSON.parse(JSON.stringify(pki.toJSON())) as PkiSnapshot;
    const restored = ClusterPki.fromJSON(snapshot, clock.now);
    assert.deepEqual(restored.toJSON(), pki.toJSON());
    assert.deepEqual(restored.certificates(), pki.certificates());
    assert.deepEqual(restored.flatMap(), pki.flatMap());
    assert.deepEqual(restored.nodes(), pki.nodes());
    assert.deepEqual(restored.daysToExpiry(), pki.daysToExpiry());
    assert.equal(restored.caCertPem, pki.caCertPem);
    assert.equal(restored.caFingerprintSha256, pki.caFingerprintSha256);
    assert.equal(restored.validityDays, 45);
    assert.deepEqual(await restored.apiServerCredentials(testNode(1)), api);

    // The restored CA key still signs: a rotation after the restart verifies against the original CA.
    const [rotated] = await restored.rotate("cm");
    assert.equal(new X509Certificate(rotated.certPem).verify(new X509Certificate(pki.caCertPem).publicKey), true);
    assert.equal(rotated.notAfter.getTime() - rotated.notBefore.getTime(), 45 * DAY_MS);
  });

  it("refuses a corrupt snapshot with a message that names the part and never a key", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const snapshot = pki.toJSON();
    const swapped: PkiSnapshot = {
      ...snapshot,
      issued: snapshot.issued.map((entry, index) =>
        index === 1 ? { ...entry, keyPem: snapshot.issued[0].keyPem } : entry,
      ),
    };
    assert.throws(() => ClusterPki.fromJSON(swapped, clock.now), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.message, "PKI snapshot: certificate cm of node 1: the key does not belong to the certificate");
      return true;
    });
    const incomplete: PkiSnapshot = { ...snapshot, issued: snapshot.issued.filter((e) => !(e.nodeUid === 3 && e.name === "api")) };
    assert.throws(() => ClusterPki.fromJSON(incomplete, clock.now), {
      message: "PKI snapshot: incomplete, no certificate for api on node 3",
    });
    const wrongCaKey: PkiSnapshot = { ...snapshot, ca: { ...snapshot.ca, keyPem: snapshot.issued[0].keyPem } };
    assert.throws(() => ClusterPki.fromJSON(wrongCaKey, clock.now), {
      message: "PKI snapshot: the CA cannot be loaded: the key does not belong to the certificate",
    });
    assert.throws(() => ClusterPki.fromJSON({ ...snapshot, format: 2 } as unknown as PkiSnapshot, clock.now), /unsupported format/);
    assert.throws(() => ClusterPki.fromJSON({ ...snapshot, uploaded: undefined } as unknown as PkiSnapshot, clock.now), {
      message: 'PKI snapshot: "uploaded" must be an array (the file was not written by ClusterPki.toJSON)',
    });
  });
});

describe("emulator/pki: describeCertificate", function () {
  it("returns the facts X509Certificate sees for an issued certificate", async function () {
    const clock = virtualClock();
    const pki = await threeNodeCluster(clock);
    const [, cm] = pki.certificates(3);
    const x509 = new X509Certificate(cm.certPem);
    assert.deepEqual(describeCertificate(cm.certPem), {
      subjectCommonName: "cm.node3.cluster.local",
      issuerCommonName: "cluster.local internal CA",
      serialHex: x509.serialNumber.toLowerCase().replace(/^(00)+/, ""),
      notBefore: new Date(x509.validFrom),
      notAfter: new Date(x509.validTo),
      fingerprintSha256: x509.fingerprint256.replace(/:/g, "").toLowerCase(),
    });
    assert.equal(describeCertificate(cm.certPem).fingerprintSha256, cm.fingerprintSha256);
  });

  it("describes the leaf of a chain, strips the sign byte of a serial, and never echoes bad input", function () {
    const ca = makeTestCa();
    const leaf = makeCustomerCertificate(ca, { commonName: "leaf.example", notBefore: START_MS, notAfter: START_MS + DAY_MS, serialHex: "00ff01" });
    const facts = describeCertificate(leaf.certificate);
    assert.equal(facts.subjectCommonName, "leaf.example");
    assert.equal(facts.issuerCommonName, "Customer Test CA");
    assert.equal(facts.serialHex, "ff01");
    assert.equal(facts.fingerprintSha256, fingerprintOf(leaf.leafPem));
    assert.throws(() => describeCertificate(leaf.key), {
      message: "the PEM text holds no '-----BEGIN CERTIFICATE-----' block",
    });
    assert.throws(() => describeCertificate("secret-looking text"), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.doesNotMatch(error.message, /secret-looking/);
      return true;
    });
  });
});

describe("emulator/pki: key pool", function () {
  afterEach(function () {
    clearKeyPool();
  });

  it("hands each pre-generated key out once, then generates fresh ones", async function () {
    clearKeyPool();
    await prewarmKeyPool(TEST_KEY_BITS, 3);
    assert.equal(keyPoolSize(TEST_KEY_BITS), 3);
    const clock = virtualClock();
    const pki = await ClusterPki.create({ clusterName: "cluster.local", now: clock.now, keyBits: TEST_KEY_BITS });
    assert.equal(keyPoolSize(TEST_KEY_BITS), 2);
    await pki.addNode(testNode(1));
    assert.equal(keyPoolSize(TEST_KEY_BITS), 0);
    const keys = [pki.caCertPem, ...pki.certificates().map((c) => c.certPem)].map((pem) =>
      new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" }).toString("hex"),
    );
    assert.equal(new Set(keys).size, 8);
    await assert.rejects(prewarmKeyPool(512, 1), RangeError);
  });
});
