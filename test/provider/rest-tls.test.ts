// TLS trust of RsClient against real local HTTPS servers whose certificates come from the emulator's cluster PKI.
import assert from "node:assert/strict";
import { X509Certificate, randomBytes } from "node:crypto";
import { ClusterPki } from "../../emulator/pki";
import { RsClient, TLS_TRUST_ADVICE, checkPinnedChain, isRsTlsError, type Connection } from "../../provider/rest";
import { closeIdleAgents, sharedAgentCount } from "../../provider/rest/agents";
import { captureStderr, sendJson, startServer, type TestServer } from "./support/servers";
import { DISTINCTIVE_PASSWORD, USERNAME, assertNoSecrets, basicToken } from "./support/secrets";

const SECRETS = [DISTINCTIVE_PASSWORD, basicToken(USERNAME, DISTINCTIVE_PASSWORD)];
const NO_RETRY = { deadlineMs: 0, initialDelayMs: 0, maxDelayMs: 0 };

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
}

/** "AB:CD:..." as operators copy it from openssl, to exercise normalisation. */
function opensslStyle(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(":");
}

describe("RsClient TLS trust", function () {
  // Key generation for two CAs and two leaves.
  this.timeout(60_000);

  let clusterCa: ClusterPki;
  let lookalikeCa: ClusterPki;
  let leafPem: string;
  let otherLeafPem: string;
  /** Leaf + its CA: what a cluster node presents. */
  let goodServer: TestServer;
  /** The same leaf, but the chain carries a look-alike CA (same subject) that did not sign it. */
  let wrongChainServer: TestServer;
  /** A certificate from the right CA that does not name 127.0.0.2, served on 127.0.0.2. */
  let otherHostServer: TestServer;
  const clients: RsClient[] = [];

  const answer = (_request: unknown, response: Parameters<typeof sendJson>[0]) => sendJson(response, 200, { name: "cluster-one" });

  before(async () => {
    const now = () => Date.now();
    clusterCa = await ClusterPki.create({ clusterName: "cluster-one.example.com", now });
    lookalikeCa = await ClusterPki.create({ clusterName: "cluster-one.example.com", now });
    const leaf = await clusterCa.apiServerCredentials({ uid: 1, address: "127.0.0.1", hostname: "node1.cluster-one.example.com" });
    const otherLeaf = await clusterCa.apiServerCredentials({ uid: 2, address: "10.1.2.3", hostname: "node2.cluster-one.example.com" });
    leafPem = leaf.certPem;
    otherLeafPem = otherLeaf.certPem;
    goodServer = await startServer(answer, { tls: { keyPem: leaf.keyPem, certPem: leaf.certPem + clusterCa.caCertPem } });
    wrongChainServer = await startServer(answer, { tls: { keyPem: leaf.keyPem, certPem: leaf.certPem + lookalikeCa.caCertPem } });
    otherHostServer = await startServer(answer, {
      host: "127.0.0.2",
      tls: { keyPem: otherLeaf.keyPem, certPem: otherLeaf.certPem + clusterCa.caCertPem },
    });
  });

  after(async () => {
    await Promise.all([goodServer, wrongChainServer, otherHostServer].filter(Boolean).map((server) => server.close()));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  function connect(url: string, trust: Omit<Connection, "url" | "username" | "password">, onEvent?: (line: string) => void) {
    const client = new RsClient({ url, username: USERNAME, password: DISTINCTIVE_PASSWORD, ...trust }, { retry: NO_RETRY, onEvent });
    clients.push(client);
    return client;
  }

  async function tlsFailure(client: RsClient) {
    const error = await client.get("/v1/cluster").then(
      () => assert.fail("expected the TLS check to refuse the server"),
      (caught: unknown) => caught,
    );
    assert.ok(isRsTlsError(error), `expected RsTlsError, got ${String(error)}`);
    assertNoSecrets(error, SECRETS);
    return error;
  }

  it("accepts the server with the cluster's CA PEM", async () => {
    const client = connect(goodServer.url, { caCertPem: clusterCa.caCertPem });
    assert.deepEqual(await client.get("/v1/cluster"), { name: "cluster-one" });
  });

  it("refuses a server whose certificate another CA signed, and says what to do", async () => {
    const before = goodServer.requests.length;
    const error = await tlsFailure(connect(goodServer.url, { caCertPem: lookalikeCa.caCertPem }));
    assert.equal(error.method, "GET");
    assert.equal(error.path, "/v1/cluster");
    assert.equal(error.origin, goodServer.url);
    assert.ok(error.message.startsWith(`GET /v1/cluster: TLS verification of ${goodServer.url} failed (`), error.message);
    assert.ok(error.message.endsWith(`); ${TLS_TRUST_ADVICE}`), error.message);
    assert.match(
      error.message,
      /provide connection\.caCertPem \(the cluster's CA certificate\) or connection\.caFingerprintSha256, or set connection\.insecureSkipVerify: true to skip verification \(not recommended\)$/,
    );
    assert.equal(goodServer.requests.length, before, "no request may reach an unverified server");
  });

  it("refuses a self-signed cluster CA with Node's default CAs (no trust settings)", async () => {
    const error = await tlsFailure(connect(goodServer.url, {}));
    assert.ok(
      ["SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"].includes(error.causeCode),
      error.causeCode,
    );
    assert.ok(error.message.endsWith(TLS_TRUST_ADVICE));
  });

  it("refuses a certificate that does not name the host, with the CA PEM", async () => {
    const error = await tlsFailure(connect(otherHostServer.url, { caCertPem: clusterCa.caCertPem }));
    assert.equal(error.causeCode, "ERR_TLS_CERT_ALTNAME_INVALID");
    assert.match(error.message, /the certificate does not name the host of https:\/\/127\.0\.0\.2:\d+: use a host name or address listed/);
    assert.equal(otherHostServer.requests.length, 0);
  });

  it("accepts a pin of the CA fingerprint (colons and case ignored) when the chain carries the CA", async () => {
    const client = connect(goodServer.url, { caFingerprintSha256: opensslStyle(clusterCa.caFingerprintSha256) });
    assert.deepEqual(await client.get("/v1/cluster"), { name: "cluster-one" });
  });

  it("accepts a pin of the leaf certificate itself", async () => {
    const client = connect(goodServer.url, { caFingerprintSha256: fingerprint(leafPem) });
    assert.deepEqual(await client.get("/v1/cluster"), { name: "cluster-one" });
  });

  it("accepts a pin regardless of the host name (a pin is an identity, not a name)", async () => {
    const client = connect(otherHostServer.url, { caFingerprintSha256: clusterCa.caFingerprintSha256 });
    assert.deepEqual(await client.get("/v1/cluster"), { name: "cluster-one" });
  });

  it("refuses a wrong pin and lists what the server presented", async () => {
    const wrongPin = randomBytes(32).toString("hex");
    const error = await tlsFailure(connect(goodServer.url, { caFingerprintSha256: wrongPin }));
    assert.equal(error.causeCode, "RS_TLS_PIN_MISMATCH");
    assert.deepEqual(error.presentedFingerprintsSha256, [fingerprint(leafPem), clusterCa.caFingerprintSha256]);
    assert.ok(error.message.includes(`no presented certificate has the pinned SHA-256 fingerprint ${wrongPin}`), error.message);
    assert.ok(error.message.endsWith(TLS_TRUST_ADVICE));
  });

  it("refuses a pin that matches a CA in the chain which did not sign the leaf", async () => {
    const error = await tlsFailure(connect(wrongChainServer.url, { caFingerprintSha256: lookalikeCa.caFingerprintSha256 }));
    assert.equal(error.causeCode, "RS_TLS_PIN_MISMATCH");
    assert.equal(wrongChainServer.requests.length, 0);
  });

  it("requires both the CA and the pin when both are given", async () => {
    const wrongPin = randomBytes(32).toString("hex");
    const bothRight = connect(goodServer.url, { caCertPem: clusterCa.caCertPem, caFingerprintSha256: clusterCa.caFingerprintSha256 });
    assert.deepEqual(await bothRight.get("/v1/cluster"), { name: "cluster-one" });
    const pinWrong = await tlsFailure(connect(goodServer.url, { caCertPem: clusterCa.caCertPem, caFingerprintSha256: wrongPin }));
    assert.equal(pinWrong.causeCode, "RS_TLS_PIN_MISMATCH");
    const caWrong = await tlsFailure(
      connect(goodServer.url, { caCertPem: lookalikeCa.caCertPem, caFingerprintSha256: clusterCa.caFingerprintSha256 }),
    );
    assert.notEqual(caWrong.causeCode, "RS_TLS_PIN_MISMATCH");
  });

  it("connects with insecureSkipVerify and warns on stderr every time a client is made", async () => {
    const events: string[] = [];
    const expected = `WARNING: TLS certificate verification is disabled for ${goodServer.url} (connection.insecureSkipVerify)\n`;
    const first = captureStderr(() => connect(goodServer.url, { insecureSkipVerify: true }, (line) => events.push(line)));
    const second = captureStderr(() => connect(goodServer.url, { insecureSkipVerify: true }));
    assert.equal(first.stderr, expected);
    assert.equal(second.stderr, expected);
    assert.deepEqual(events, [expected.trimEnd()]);
    assert.deepEqual(await first.result.get("/v1/cluster"), { name: "cluster-one" });
    // insecureSkipVerify wins over a wrong CA, and says that the CA is ignored.
    const overridden = captureStderr(() => connect(wrongChainServer.url, { insecureSkipVerify: true, caCertPem: lookalikeCa.caCertPem }));
    assert.equal(overridden.stderr.split("\n").length, 3);
    assert.match(overridden.stderr, /\nWARNING: connection\.caCertPem and connection\.caFingerprintSha256 are ignored for https:\/\/127\.0\.0\.1:\d+ because connection\.insecureSkipVerify is true\n$/);
    assert.deepEqual(await overridden.result.get("/v1/cluster"), { name: "cluster-one" });
  });

  it("does not warn when verification is on", () => {
    const { stderr } = captureStderr(() => connect(goodServer.url, { caCertPem: clusterCa.caCertPem }));
    assert.equal(stderr, "");
  });

  it("shares one keep-alive connection pool per (origin, trust) across clients, kept a moment after the last", async () => {
    await closeIdleAgents();
    const agentsBefore = sharedAgentCount();
    const ports: number[] = [];
    const leaf = await clusterCa.apiServerCredentials({ uid: 1, address: "127.0.0.1", hostname: "node1.cluster-one.example.com" });
    const server = await startServer(
      (_request, response, { socket }) => {
        ports.push(socket.remotePort ?? -1);
        sendJson(response, 200, {});
      },
      { tls: { keyPem: leaf.keyPem, certPem: leaf.certPem + clusterCa.caCertPem } },
    );
    try {
      const first = connect(server.url, { caCertPem: clusterCa.caCertPem });
      const second = connect(server.url, { caCertPem: clusterCa.caCertPem });
      const pinned = connect(server.url, { caFingerprintSha256: clusterCa.caFingerprintSha256 });
      assert.equal(sharedAgentCount(), agentsBefore + 2);
      // undici checks an idle keep-alive socket for one event-loop turn before reusing it (and opens another
      // connection meanwhile), so give it a moment between calls.
      const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
      await first.get("/v1/cluster");
      await settle();
      await second.get("/v1/cluster");
      await settle();
      await pinned.get("/v1/cluster");
      assert.equal(ports[0], ports[1], "the second client should reuse the first client's connection");
      assert.notEqual(ports[2], ports[0], "other trust settings must not share a connection");
      await first.close();
      assert.equal(sharedAgentCount(), agentsBefore + 2, "still held by the second client");
      await second.close();
      await pinned.close();
      assert.equal(sharedAgentCount(), agentsBefore + 2, "idle agents stay open for the grace period");
      // The next operation of the same run (a new client) reuses the idle connection: no new handshake.
      await settle();
      const next = connect(server.url, { caCertPem: clusterCa.caCertPem });
      await next.get("/v1/cluster");
      await next.close();
      assert.equal(ports[3], ports[0], "a client made after the last one closed should reuse its connection");
      await closeIdleAgents();
      assert.equal(sharedAgentCount(), agentsBefore);
    } finally {
      await server.close();
    }
  });

  describe("checkPinnedChain", () => {
    const x509 = (pem: string) => new X509Certificate(pem);

    it("accepts the leaf pinned directly, or a CA that signed it", () => {
      const chain = [x509(leafPem), x509(clusterCa.caCertPem)];
      assert.deepEqual(checkPinnedChain(chain, fingerprint(leafPem)), { ok: true });
      assert.deepEqual(checkPinnedChain(chain, clusterCa.caFingerprintSha256), { ok: true });
    });

    it("refuses a presented look-alike CA (same subject) that did not sign the leaf", () => {
      const check = checkPinnedChain([x509(leafPem), x509(lookalikeCa.caCertPem)], lookalikeCa.caFingerprintSha256);
      assert.deepEqual(check, {
        ok: false,
        reason:
          'the pinned certificate (subject "CN=cluster-one.example.com internal CA, O=Redis Enterprise Cluster (emulated)") ' +
          'was presented but did not sign the server\'s certificate (subject "' +
          x509(leafPem).subject.split("\n").join(", ") +
          '", issuer "CN=cluster-one.example.com internal CA, O=Redis Enterprise Cluster (emulated)")',
      });
    });

    it("refuses a pinned certificate that is not a CA, even from the same CA", () => {
      const check = checkPinnedChain([x509(leafPem), x509(otherLeafPem)], fingerprint(otherLeafPem));
      assert.equal(check.ok, false);
      assert.match(
        check.ok ? "" : check.reason,
        /^the pinned certificate \(subject "CN=api\.node2\.cluster-one\.example\.com, O=[^"]+"\) was presented but did not sign/,
      );
    });

    it("refuses a pin absent from the chain, and an empty chain", () => {
      assert.deepEqual(checkPinnedChain([x509(leafPem)], clusterCa.caFingerprintSha256), {
        ok: false,
        reason:
          `no presented certificate has the pinned SHA-256 fingerprint ${clusterCa.caFingerprintSha256}; ` +
          `presented (leaf first): ${fingerprint(leafPem)}`,
      });
      assert.deepEqual(checkPinnedChain([], clusterCa.caFingerprintSha256), { ok: false, reason: "the server presented no certificate" });
    });
  });
});
