// Pure logic without sockets: versions, options, fault rule matching, bootstrap and bdb validation helpers,
// alert conditions.
import assert from "node:assert/strict";
import fc from "fast-check";
import { alertCondition } from "../../emulator/alerts";
import { FaultStore, parseFaultRule } from "../../emulator/faults";
import { OptionsError, resolveOptions } from "../../emulator/options";
import { portProblem, reservedPortRanges, validateBdbCreate, type BdbValidationContext } from "../../emulator/validation/bdb";
import { isValidClusterName, validateBootstrapRequest, type BootstrapContext } from "../../emulator/validation/bootstrap";
import { compareReleases, nodesBlockingDataIne, parseSoftwareVersion, supportsDataInternodeEncryption } from "../../emulator/version";
import { ApiError } from "../../emulator/errors";
import { defaultPolicy, SYSTEM_RESERVED_PORTS } from "../../emulator/defaults";

describe("emulator: software versions", function () {
  it("parses MAJOR.MINOR.PATCH-BUILD and refuses anything else", function () {
    assert.deepEqual(parseSoftwareVersion("7.22.2-14"), { major: 7, minor: 22, patch: 2, build: 14 });
    assert.deepEqual(parseSoftwareVersion("100.0.21-16135"), { major: 100, minor: 0, patch: 21, build: 16135 });
    assert.deepEqual(parseSoftwareVersion("6.2.4"), { major: 6, minor: 2, patch: 4 });
    for (const bad of ["6.2", "v6.2.4", "6.2.4-", "6.2.4-x", "", "6..4"]) assert.equal(parseSoftwareVersion(bad), undefined, bad);
  });

  it("compares releases numerically, as tuples (property)", function () {
    fc.assert(
      fc.property(fc.array(fc.nat(999), { minLength: 3, maxLength: 3 }), fc.array(fc.nat(999), { minLength: 3, maxLength: 3 }), (a, b) => {
        const left = parseSoftwareVersion(`${a.join(".")}-1`)!;
        const right = parseSoftwareVersion(`${b.join(".")}-2`)!;
        const tuple = a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
        return Math.sign(compareReleases(left, right)) === Math.sign(tuple);
      }),
    );
  });

  it("gates data internode encryption at 6.2.4: 6.10 passes although it sorts lower as text", function () {
    assert.equal(supportsDataInternodeEncryption("6.2.4-1"), true);
    assert.equal(supportsDataInternodeEncryption("6.10.0-1"), true);
    assert.equal(supportsDataInternodeEncryption("6.2.3-100"), false);
    assert.equal(supportsDataInternodeEncryption("garbage"), false);
    const nodes = [
      { uid: 3, softwareVersion: "6.0.20-1" },
      { uid: 1, softwareVersion: "7.22.2-14" },
      { uid: 2, softwareVersion: "6.2.2-30" },
    ];
    assert.deepEqual(nodesBlockingDataIne(nodes).map((n) => n.uid), [2, 3]);
  });
});

describe("emulator: startCluster options", function () {
  it("defaults to three loopback nodes on free ports with a random password", function () {
    const resolved = resolveOptions();
    assert.deepEqual(resolved.nodes, [
      { uid: 1, address: "127.0.0.1", softwareVersion: "7.22.2-14" },
      { uid: 2, address: "127.0.0.2", softwareVersion: "7.22.2-14" },
      { uid: 3, address: "127.0.0.3", softwareVersion: "7.22.2-14" },
    ]);
    assert.equal(resolved.httpsPort, 0);
    assert.equal(resolved.httpPort, 0);
    assert.equal(resolved.username, "admin@cluster.local");
    assert.equal(resolved.password.length, 24);
    assert.notEqual(resolveOptions().password, resolved.password);
    assert.equal(resolved.operationDelayMs, 100);
    assert.equal(resolved.certValidityDays, 90);
  });

  it("refuses bad options with a message naming the option", function () {
    const cases: Array<[Parameters<typeof resolveOptions>[0], RegExp]> = [
      [{ nodes: 0 }, /nodes must be an integer between 1 and 64/],
      [{ nodes: 3, addresses: ["127.0.0.1"] }, /3 nodes need 3 addresses/],
      [{ addresses: ["127.0.0.1", "127.0.0.1"] }, /must be distinct/],
      [{ addresses: ["localhost"] }, /not an IPv4 address/],
      [{ softwareVersions: ["7.22"] }, /MAJOR.MINOR.PATCH-BUILD/],
      [{ nodes: 1, softwareVersions: ["7.22.2-14", "7.22.2-14"] }, /2 entries for 1 nodes/],
      [{ clusterName: "bad_name" }, /not a valid FQDN/],
      [{ operationDelayMs: -1 }, /operationDelayMs/],
      [{ httpPort: -2 }, /httpPort must be an integer between -1 and 65535/],
      [{ certValidityDays: 0 }, /certValidityDays/],
      [{ password: "" }, /password must not be empty/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => resolveOptions(options), (error: Error) => error instanceof OptionsError && message.test(error.message), JSON.stringify(options));
    }
  });
});

describe("emulator: fault rules", function () {
  it("matches method and path, counts hits, expires after count, and orders effects", function () {
    const store = new FaultStore();
    const slow = store.add(parseFaultRule({ path: "^/v1/bdbs", latencyMs: 5 }), 0);
    const fail = store.add(parseFaultRule({ method: "post", path: "^/v1/bdbs$", status: 500, count: 1, failAction: true }), 0);
    assert.equal(store.decide("GET", "/v1/cluster", 0), undefined);
    const post = store.decide("POST", "/v1/bdbs", 0)!;
    assert.deepEqual(post.ruleIds, [slow.id, fail.id]);
    assert.equal(post.latencyBeforeMs, 5);
    assert.equal(post.failAction, true);
    assert.deepEqual(post.effect, { kind: "status", phase: "before", status: 500, errorCode: "internal_error", description: "injected fault: 500 for POST /v1/bdbs" });
    const again = store.decide("POST", "/v1/bdbs", 0)!;
    assert.deepEqual(again.ruleIds, [slow.id]);
    assert.equal(again.effect, undefined);
  });

  it("busy windows end at busyMs; probability uses the random source", function () {
    const store = new FaultStore();
    store.add(parseFaultRule({ path: ".*", busyMs: 100 }), 1000);
    assert.equal(store.decide("GET", "/x", 1099)?.effect?.kind, "busy");
    assert.equal(store.decide("GET", "/x", 1100), undefined);
    store.add(parseFaultRule({ path: ".*", status: 503, probability: 0.5 }), 0);
    assert.equal(store.decide("GET", "/x", 0, () => 0.5), undefined);
    assert.equal(store.decide("GET", "/x", 0, () => 0.49)?.effect?.kind, "status");
  });
});

describe("emulator: bootstrap validation", function () {
  const context: BootstrapContext = {
    nodeAddresses: ["127.0.0.2"],
    clusterExists: true,
    memberAddresses: ["127.0.0.1"],
    isClusterAdmin: (username, password) => username === "a@b.c" && password === "pw",
  };

  it("accepts FQDNs up to 64 characters and single labels", function () {
    assert.equal(isValidClusterName("docker-cluster"), true);
    assert.equal(isValidClusterName("a.b.example.com"), true);
    assert.equal(isValidClusterName(`${"a".repeat(60)}.com`), true);
    assert.equal(isValidClusterName(`${"a".repeat(61)}.com`), false);
    for (const bad of ["", "-a.com", "a-.com", "a..com", "a_b.com"]) assert.equal(isValidClusterName(bad), false, bad);
  });

  it("join: connect_error, access_denied, or the member it goes through", function () {
    const join = (nodes: string[], password = "pw"): unknown =>
      validateBootstrapRequest("join_cluster", { cluster: { nodes }, credentials: { username: "a@b.c", password } }, context);
    assert.deepEqual(join(["10.0.0.1"]), { ok: false, errorCode: "connect_error", message: "cannot reach a cluster member at 10.0.0.1 (members: 127.0.0.1)" });
    assert.deepEqual(join(["127.0.0.1"], "nope"), {
      ok: false,
      errorCode: "access_denied",
      message: "the cluster at 127.0.0.1 refused the credentials of 'a@b.c'; use an admin user of that cluster",
    });
    assert.deepEqual(join(["127.0.0.1:9443"]), { ok: true, action: "join_cluster", joinVia: "127.0.0.1", username: "a@b.c", password: "pw" });
  });
});

describe("emulator: bdb validation helpers", function () {
  const context: BdbValidationContext = {
    databases: [{ uid: 4, name: "taken", port: 0, endpoints: [{ port: 15000 }] }],
    nodes: [{ uid: 1, softwareVersion: "7.22.2-14", status: "active" }],
    policy: defaultPolicy(),
    reservedPorts: ["11000", "13000-13010", "junk"],
    systemReservedPorts: SYSTEM_RESERVED_PORTS,
  };

  it("parses reserved port entries and explains why a port is unavailable", function () {
    assert.deepEqual(reservedPortRanges(["11000", "13000-13010", "junk", "20-10"]), [[11000, 11000], [13000, 13010], [10, 20]]);
    assert.equal(portProblem(15000, context), "port 15000 is in use by database 4 ('taken')");
    assert.equal(portProblem(15000, context, 4), undefined);
    assert.equal(portProblem(13010, context), "port 13010 is in cluster.reserved_ports (13000-13010)");
    assert.equal(portProblem(10050, context), "port 10050 is reserved by the system");
    assert.equal(portProblem(12000, context), undefined);
  });

  it("keeps the requested uid and port apart from the stored fields", function () {
    const result = validateBdbCreate({ name: "new", memory_size: 100, uid: 9, port: 12000 }, context);
    assert.equal(result.uid, 9);
    assert.equal(result.port, 12000);
    assert.equal("uid" in result.fields, false);
    assert.equal(result.fields.memory_size, 100);
    assert.throws(
      () => validateBdbCreate({ name: "taken", memory_size: 1 }, context),
      (error: ApiError) => error.status === 409 && error.errorCode === "name_exists",
    );
  });
});

describe("emulator: certificate alert conditions", function () {
  it("fire when fewer days remain than the threshold; non-numeric thresholds never fire", function () {
    const days = { clusterCerts: 44.9, internalCerts: 45, ca: 3000 };
    assert.equal(alertCondition("cluster_certs_about_to_expire", "45", days), true);
    assert.equal(alertCondition("node_internal_certs_about_to_expire", "45", days), false);
    assert.equal(alertCondition("node_internal_certs_about_to_expire", "46", days), true);
    assert.equal(alertCondition("cluster_ca_cert_about_to_expire", "90", days), false);
    assert.equal(alertCondition("cluster_certs_about_to_expire", "", days), false);
    assert.equal(alertCondition("node_free_flash", "70", days), false);
  });
});
