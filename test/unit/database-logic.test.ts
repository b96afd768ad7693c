// The Database logic the provider calls: check, diff (notes, deny gate, refusals), payloads, read, adopt, the
// version gate and the README table, with exact values; and the real bdb answer read without false drift.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { UNKNOWN_VALUE } from "../../provider/core";
import {
  DATABASE_TABLE,
  UNCONFIRMED_STATUS,
  adoptMismatches,
  adoptTarget,
  adoptionProblems,
  checkDatabase,
  confirmedUid,
  createPayload,
  dryRunRefusal,
  databaseOutputs,
  databaseReferenceMarkdown,
  diffDatabase,
  findAdoptCandidate,
  inputsFromOutputs,
  ineVersionFailures,
  provisionalId,
  provisionalName,
  resolveProvisional,
  unconfirmedRecord,
  readDatabase,
  updatePayload,
  type CheckedDatabaseInputs,
  type LiveDatabase,
} from "../../provider/database";
import { fixturesDir, loadFixture, samplePem } from "./helpers";

/** A small live bdb, shaped like the real answer (port 0 at the top, the real one in endpoints). */
function liveBdb(overrides: Record<string, unknown> = {}): LiveDatabase {
  return {
    uid: 7,
    name: "orders",
    status: "active",
    memory_size: 1073741824,
    port: 0,
    endpoints: [{ port: 12000, dns_name: "redis-12000.cluster.local", addr: ["10.0.0.1", "10.0.0.2"], proxy_policy: "single" }],
    replication: false,
    sharding: false,
    shards_count: 1,
    shard_key_regex: [],
    proxy_policy: "single",
    data_persistence: "disabled",
    aof_policy: "appendfsync-every-sec",
    snapshot_policy: [],
    eviction_policy: "volatile-lru",
    authentication_redis_pass: "live-pass",
    tls_mode: "disabled",
    authentication_ssl_client_certs: [],
    oss_cluster: false,
    resp3: true,
    module_list: [],
    redis_version: "7.4",
    version: "7.4.2",
    tags: [],
    data_internode_encryption: false,
    ...overrides,
  };
}

function checked(news: Record<string, unknown>): CheckedDatabaseInputs {
  const result = checkDatabase({}, news);
  assert.deepEqual(result.failures, []);
  return result.inputs;
}

const reasons = (result: { failures: { property: string; reason: string }[] }) => result.failures.map((failure) => `${failure.property}: ${failure.reason}`);

describe("checkDatabase", () => {
  it("returns canonical inputs for a valid database", () => {
    assert.deepEqual(checked({ name: "orders", memorySize: "1GB", port: "12000", tags: [{ key: "b", value: "2" }, { key: "a", value: "1" }] }), {
      name: "orders",
      memorySize: 1073741824,
      port: 12000,
      tags: { a: "1", b: "2" },
    });
  });

  it("requires name, and memorySize unless adopting", () => {
    assert.deepEqual(reasons(checkDatabase({}, {})), [
      "name: name is required: the database name (letters, digits and '-', at most 63 characters)",
      'memorySize: memorySize is required to create a database: bytes, or a string like "1GB"',
    ]);
    assert.deepEqual(checkDatabase({}, { name: "orders", adopt: {} }), { inputs: { name: "orders", adopt: {} }, failures: [] });
  });

  it("names an input that is not a Database property, and tolerates engine keys and seeded outputs", () => {
    assert.deepEqual(reasons(checkDatabase({}, { name: "orders", memorySize: 1, memory: "1GB", __provider: "code", uid: undefined, status: null })), [
      "memory: memory is not a Database input; expected one of name, memorySize, port, replication, sharding, shardsCount, shardKeyRegex, proxyPolicy, dataPersistence, aofPolicy, snapshotPolicy, evictionPolicy, password, tlsMode, enforceClientAuthentication, clientCertificates, ossCluster, resp3, modules, redisVersion, tags, dataInternodeEncryption, disruptionPolicy, adopt, connection, timeouts",
    ]);
  });

  it("rejects a non-object", () => {
    assert.deepEqual(reasons(checkDatabase({}, [] as unknown as Record<string, unknown>)), [": Database inputs must be an object; got []"]);
  });

  it("passes connection and timeouts through untouched (the provider validates them)", () => {
    const connection = { url: "https://node1:9443", username: "admin", password: "pw" };
    const inputs = checked({ name: "orders", memorySize: 1, connection, timeouts: { create: "5m" } });
    assert.equal(inputs.connection, connection);
    assert.deepEqual(inputs.timeouts, { create: "5m" });
  });

  it("validates disruptionPolicy and adopt, field by field", () => {
    assert.deepEqual(reasons(checkDatabase({}, { name: "orders", memorySize: 1, disruptionPolicy: "never" })), ['disruptionPolicy: disruptionPolicy must be "allow" or "deny"; got "never"']);
    assert.deepEqual(reasons(checkDatabase({}, { name: "orders", adopt: { uid: 0, name: "bad name", applyChanges: "yes", by: 1 } })), [
      'adopt.by: adopt has an unknown field "by"; expected name, uid, applyChanges',
      "adopt.name: adopt.name must be a database name (letters, digits and '-'); got \"bad name\"",
      "adopt.uid: adopt.uid must be a positive integer (the database uid); got 0",
      'adopt.applyChanges: adopt.applyChanges must be true or false; got "yes"',
    ]);
    assert.deepEqual(checked({ name: "orders", adopt: { uid: 3, applyChanges: true } }).adopt, { uid: 3, applyChanges: true });
  });

  describe("rules between properties", () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["shardKeyRegex without sharding", { shardKeyRegex: ["(?<tag>.*)"] }, "shardKeyRegex: shardKeyRegex needs sharding: true (a hashing policy applies only to a sharded database); declare sharding: true or remove shardKeyRegex"],
      ["shardsCount above 1 without sharding", { shardsCount: 2, sharding: false }, "shardsCount: shardsCount 2 needs sharding: true; declare sharding: true or set shardsCount to 1"],
      ["ossCluster with the single proxy", { ossCluster: true, proxyPolicy: "single" }, 'ossCluster: ossCluster: true needs proxyPolicy "all-master-shards" or "all-nodes"; got "single"'],
      ["ossCluster with custom hashing", { ossCluster: true, sharding: true, shardKeyRegex: ["user:(?<tag>.*)"] }, "ossCluster: ossCluster: true needs the standard hashing policy; remove shardKeyRegex or set it to the standard rules"],
      ["ossCluster with timeseries", { ossCluster: true, modules: [{ name: "TimeSeries" }] }, 'ossCluster: ossCluster: true cannot run with the module "TimeSeries"; remove the module or set ossCluster: false'],
      ["aofPolicy without aof", { aofPolicy: "appendfsync-always", dataPersistence: "snapshot", snapshotPolicy: [{ secs: 60, writes: 1 }] }, 'aofPolicy: aofPolicy applies only with dataPersistence "aof"; declare dataPersistence: "aof" or remove aofPolicy'],
      ["snapshotPolicy without snapshot", { snapshotPolicy: [{ secs: 60, writes: 1 }] }, 'snapshotPolicy: snapshotPolicy applies only with dataPersistence "snapshot"; declare dataPersistence: "snapshot" or remove snapshotPolicy'],
      ["snapshot without a policy", { dataPersistence: "snapshot" }, 'dataPersistence: dataPersistence "snapshot" needs snapshotPolicy, e.g. [{ secs: 3600, writes: 1 }]'],
      ["client authentication without TLS", { enforceClientAuthentication: true, clientCertificates: [samplePem("client")] }, 'enforceClientAuthentication: enforceClientAuthentication: true needs tlsMode "enabled" (not declared)'],
      ["client authentication without certificates", { enforceClientAuthentication: true, tlsMode: "enabled" }, "enforceClientAuthentication: enforceClientAuthentication: true needs at least one certificate in clientCertificates, or no client could connect"],
    ];
    for (const [title, extra, expected] of cases) {
      it(`reports ${title}`, () => {
        assert.deepEqual(reasons(checkDatabase({}, { name: "orders", memorySize: "1GB", ...extra })), [expected]);
      });
    }
    it("accepts the combinations the rules allow", () => {
      checked({ name: "orders", memorySize: 1, sharding: true, shardsCount: 4, ossCluster: true, proxyPolicy: "all-master-shards", shardKeyRegex: [".*\\{(?<tag>.*)\\}.*", "(?<tag>.*)"] });
      checked({ name: "orders", memorySize: 1, dataPersistence: "aof", aofPolicy: "appendfsync-always" });
      checked({ name: "orders", memorySize: 1, tlsMode: "enabled", enforceClientAuthentication: true, clientCertificates: [samplePem("client")] });
    });
  });

  describe("preview unknowns", () => {
    it("never fail, and a value holding an unknown anywhere becomes unknown as a whole", () => {
      const result = checkDatabase({}, { name: UNKNOWN_VALUE, memorySize: UNKNOWN_VALUE, port: UNKNOWN_VALUE, modules: [{ name: UNKNOWN_VALUE }], sharding: UNKNOWN_VALUE, shardsCount: 4, disruptionPolicy: UNKNOWN_VALUE, adopt: { name: UNKNOWN_VALUE } });
      assert.deepEqual(result, {
        inputs: { name: UNKNOWN_VALUE, memorySize: UNKNOWN_VALUE, port: UNKNOWN_VALUE, sharding: UNKNOWN_VALUE, shardsCount: 4, modules: UNKNOWN_VALUE, disruptionPolicy: UNKNOWN_VALUE, adopt: { name: UNKNOWN_VALUE } },
        failures: [],
      });
    });
  });

  describe("disruption gate (old inputs -> new inputs)", () => {
    const olds = { name: "orders", memorySize: 1073741824, port: 12000, resp3: true, tlsMode: "disabled", sharding: true, shardKeyRegex: ["a(?<tag>.*)"], dataInternodeEncryption: false };
    const gate = (change: Record<string, unknown>, policy?: string, defaultDisruptionPolicy?: "allow" | "deny") =>
      reasons(checkDatabase(olds, { ...olds, ...change, ...(policy ? { disruptionPolicy: policy } : {}) }, { defaultDisruptionPolicy }));
    const advice = 'Set disruptionPolicy: "allow" on this resource for this change, or revert the property.';
    it("with deny, fails each disruptive impact, naming property, values and consequence", () => {
      assert.deepEqual(gate({ dataInternodeEncryption: true }, "deny"), [
        `dataInternodeEncryption: Database "orders": dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients, and disruptionPolicy is "deny". ${advice}`,
      ]);
      assert.deepEqual(gate({ resp3: false }, "deny"), [`resp3: Database "orders": resp3 true -> false disconnects clients connected with RESP3, and disruptionPolicy is "deny". ${advice}`]);
      assert.deepEqual(gate({ shardKeyRegex: ["b(?<tag>.*)"] }, "deny"), [
        `shardKeyRegex: Database "orders": shardKeyRegex ["a(?<tag>.*)"] -> ["b(?<tag>.*)"] flushes all data in the database (FLUSHDB), and disruptionPolicy is "deny". ${advice}`,
      ]);
      assert.deepEqual(gate({ port: 12001 }, "deny"), [
        `port: Database "orders": port 12000 -> 12001 deletes the database and creates a new one: all data is lost and every client is disconnected, and disruptionPolicy is "deny". ${advice}`,
      ]);
    });
    it("with deny, lets harmless and new-connections-only changes through", () => {
      assert.deepEqual(gate({ memorySize: 2147483648, tlsMode: "enabled", resp3: true }, "deny"), []);
    });
    it("with allow (explicit or default), passes everything", () => {
      assert.deepEqual(gate({ dataInternodeEncryption: true, resp3: false }, "allow", "deny"), []);
      assert.deepEqual(gate({ dataInternodeEncryption: true }), []);
    });
    it("uses the stack default when the resource declares no policy", () => {
      assert.equal(gate({ dataInternodeEncryption: true }, undefined, "deny").length, 1);
    });
    it("does not gate a create, nor a property that was not declared before, nor an unknown value", () => {
      assert.deepEqual(reasons(checkDatabase({}, { name: "orders", memorySize: 1, dataInternodeEncryption: true, disruptionPolicy: "deny" })), []);
      assert.deepEqual(reasons(checkDatabase({ name: "orders", memorySize: 1 }, { name: "orders", memorySize: 1, dataInternodeEncryption: true, disruptionPolicy: "deny" })), []);
      assert.deepEqual(gate({ dataInternodeEncryption: UNKNOWN_VALUE }, "deny"), []);
    });
  });
});

describe("diffDatabase", () => {
  const outputs = databaseOutputs(liveBdb(), checked({ name: "orders", memorySize: "1GB", dataInternodeEncryption: false, resp3: true, port: 12000 }));

  it("finds no change when the declared values match the live ones, whatever is undeclared", () => {
    const diff = diffDatabase(outputs, checked({ name: "orders", memorySize: "1GB", port: 12000 }));
    assert.deepEqual(diff, { changes: false, replaces: [], refused: [], changed: [], deleteBeforeReplace: false, notes: [], settingsChanged: [], blocked: [] });
  });

  it("ignores __-prefixed keys on both sides", () => {
    assert.equal(diffDatabase({ ...outputs, __provider: "old code" }, { ...checked({ name: "orders", memorySize: "1GB" }), __provider: "new code" }).changes, false);
  });

  it("writes one note per change that affects clients, in table order", () => {
    const diff = diffDatabase(outputs, checked({ name: "orders", memorySize: "2GB", tlsMode: "enabled", resp3: false, dataInternodeEncryption: true }));
    assert.deepEqual(diff.notes, [
      'Database "orders": tlsMode "disabled" -> "enabled" applies to new connections only; existing clients keep their connection until they reconnect',
      'Database "orders": resp3 true -> false disconnects clients connected with RESP3',
      'Database "orders": dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients',
    ]);
    assert.deepEqual(diff.changed.map((change) => [change.property, change.mode, change.impact]), [
      ["memorySize", "in-place", "none"],
      ["tlsMode", "in-place", "new-connections-only"],
      ["resp3", "in-place", "disconnects-resp3-clients"],
      ["dataInternodeEncryption", "in-place", "disconnects-all-clients"],
    ]);
    assert.equal(diff.changes, true);
    assert.equal(diff.deleteBeforeReplace, false);
  });

  it("writes the flushes-data note for a hashing-policy change", () => {
    const sharded = databaseOutputs(liveBdb({ sharding: true, shards_count: 2, shard_key_regex: [{ regex: ".*\\{(?<tag>.*)\\}.*" }, { regex: "(?<tag>.*)" }] }), checked({ name: "orders", memorySize: "1GB" }));
    const diff = diffDatabase(sharded, checked({ name: "orders", memorySize: "1GB", sharding: true, shardKeyRegex: ["user:(?<tag>.*)", "(?<tag>.*)"] }));
    assert.deepEqual(diff.notes, [
      'Database "orders": shardKeyRegex [".*\\\\{(?<tag>.*)\\\\}.*","(?<tag>.*)"] -> ["user:(?<tag>.*)","(?<tag>.*)"] flushes all data in the database (FLUSHDB)',
    ]);
    assert.deepEqual(updatePayload(sharded, checked({ name: "orders", memorySize: "1GB", sharding: true, shardKeyRegex: ["user:(?<tag>.*)", "(?<tag>.*)"] })), {
      shard_key_regex: [{ regex: "user:(?<tag>.*)" }, { regex: "(?<tag>.*)" }],
    });
  });

  it("marks a port change as a replacement that deletes first", () => {
    const diff = diffDatabase(outputs, checked({ name: "orders", memorySize: "1GB", port: 12001 }));
    assert.deepEqual(diff.replaces, ["port"]);
    assert.equal(diff.deleteBeforeReplace, true);
    assert.deepEqual(diff.notes, ['Database "orders": port 12000 -> 12001 deletes the database and creates a new one: all data is lost and every client is disconnected']);
  });

  it("reports refused changes with one message ready to throw", () => {
    const diff = diffDatabase(outputs, checked({ name: "orders", memorySize: "1GB", redisVersion: "8.0", modules: [{ name: "search" }] }));
    assert.equal(diff.changes, true);
    assert.equal(
      diff.refusalMessage,
      'Database "orders": modules [] -> [{"name":"search"}] cannot be applied: modules can only be chosen when the database is created; create a new database with the modules and migrate; ' +
        'redisVersion "7.4" -> "8.0" cannot be applied: the version changes only through an upgrade (POST /v1/bdbs/{uid}/upgrade), which this provider does not manage yet; upgrade the database with rladmin or the REST API, run pulumi refresh, then declare the new version',
    );
    assert.deepEqual(diff.notes, []);
  });

  it("treats an unknown value as a possible change with the worst impact its row allows", () => {
    const diff = diffDatabase(outputs, { ...checked({ name: "orders", memorySize: "1GB" }), port: UNKNOWN_VALUE, dataInternodeEncryption: UNKNOWN_VALUE, tlsMode: UNKNOWN_VALUE });
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.replaces, ["port"]);
    assert.equal(diff.deleteBeforeReplace, true);
    assert.deepEqual(diff.notes, [
      'Database "orders": port 12000 -> (unknown) may change; if it does, it deletes the database and creates a new one: all data is lost and every client is disconnected',
      'Database "orders": tlsMode "disabled" -> (unknown) may change; if it does, it applies to new connections only; existing clients keep their connection until they reconnect',
      'Database "orders": dataInternodeEncryption false -> (unknown) may change; if it does, it restarts the database proxy and disconnects all connected clients',
    ]);
    assert.deepEqual(diff.blocked, []);
  });

  it("counts changed settings (e.g. a new connection) as a change without a property payload", () => {
    const withConnection = databaseOutputs(liveBdb(), checked({ name: "orders", memorySize: "1GB", connection: { url: "https://a:9443", username: "u", password: "p1" } }));
    const news = checked({ name: "orders", memorySize: "1GB", connection: { url: "https://a:9443", username: "u", password: "p2" } });
    const diff = diffDatabase(withConnection, news);
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.settingsChanged, ["connection"]);
    assert.deepEqual(diff.changed, []);
    assert.equal(JSON.stringify(diff).includes("p2"), false);
    assert.deepEqual(updatePayload(withConnection, news), {});
  });

  it("under deny, blocks disruptive changes against the live values, including newly declared properties", () => {
    const diff = diffDatabase(outputs, checked({ name: "orders", memorySize: "1GB", shardsCount: 1, ossCluster: true, dataInternodeEncryption: true }), { defaultDisruptionPolicy: "deny" });
    assert.deepEqual(diff.blocked.map((failure) => failure.property), ["dataInternodeEncryption"]);
    const liveTrue = databaseOutputs(liveBdb({ data_internode_encryption: true }), checked({ name: "orders", memorySize: "1GB" }));
    assert.deepEqual(diffDatabase(liveTrue, checked({ name: "orders", memorySize: "1GB", dataInternodeEncryption: true, disruptionPolicy: "deny" })).blocked, []);
  });

  it("refuses, rather than guesses, a replacement or refusal when the recorded state lacks the old value", () => {
    // E.g. a create recorded as a partial failure with only { uid, name }: replacing would delete that database.
    const partial = { uid: 7, name: "orders" };
    const diff = diffDatabase(partial, checked({ name: "orders", memorySize: "1GB", port: 12000, modules: [{ name: "search" }] }));
    assert.deepEqual(diff.replaces, []);
    assert.equal(diff.deleteBeforeReplace, false);
    assert.deepEqual(diff.changed, [
      { property: "memorySize", new: 1073741824, mode: "in-place", impact: "none" },
      { property: "port", new: 12000, mode: "refused", impact: "none", reason: "the current port is not known (the recorded state has no value for it); run pulumi refresh, then apply again" },
      { property: "modules", new: [{ name: "search" }], mode: "refused", impact: "none", reason: "the current modules is not known (the recorded state has no value for it); run pulumi refresh, then apply again" },
    ]);
    const unreadable = diffDatabase({ ...partial, port: "not a port" }, checked({ name: "orders", memorySize: "1GB", port: 12000 }));
    assert.deepEqual(unreadable.refused, [
      { property: "port", reason: 'port "not a port" -> 12000 cannot be applied: the current port is not known (the recorded value is not readable); run pulumi refresh, then apply again' },
    ]);
  });

  it("never compares an undeclared property, however the server changed it", () => {
    const drifted = databaseOutputs(liveBdb({ data_internode_encryption: true, eviction_policy: "noeviction", resp3: false }), checked({ name: "orders", memorySize: "1GB" }));
    assert.equal(diffDatabase(drifted, checked({ name: "orders", memorySize: "1GB" })).changes, false);
  });
});

describe("payloads", () => {
  it("create sends the declared properties only, with type redis", () => {
    assert.deepEqual(createPayload(checked({ name: "orders", memorySize: "1GB", port: 12000, tags: { team: "payments" } })), {
      type: "redis",
      name: "orders",
      memory_size: 1073741824,
      port: 12000,
      tags: [{ key: "team", value: "payments" }],
    });
  });
  it("create leaves data_internode_encryption to the cluster policy when omitted, and sends it when declared", () => {
    assert.equal("data_internode_encryption" in createPayload(checked({ name: "orders", memorySize: 1 })), false);
    assert.equal(createPayload(checked({ name: "orders", memorySize: 1, dataInternodeEncryption: false })).data_internode_encryption, false);
  });
  it("create of a sharded database without rules sends the standard hashing rules", () => {
    assert.deepEqual(createPayload(checked({ name: "orders", memorySize: 1, sharding: true, shardsCount: 2 })), {
      type: "redis",
      name: "orders",
      memory_size: 1,
      sharding: true,
      shard_key_regex: [{ regex: ".*\\{(?<tag>.*)\\}.*" }, { regex: "(?<tag>.*)" }],
      shards_count: 2,
    });
  });
  it("update sends only declared properties that changed in place", () => {
    const outputs = databaseOutputs(liveBdb(), checked({ name: "orders", memorySize: "1GB" }));
    assert.deepEqual(updatePayload(outputs, checked({ name: "orders", memorySize: "2GB", port: 12001, redisVersion: "8.0", resp3: true, dataInternodeEncryption: true })), {
      memory_size: 2147483648,
      data_internode_encryption: true,
    });
    assert.deepEqual(updatePayload(outputs, checked({ name: "orders", memorySize: "1GB" })), {});
  });
  it("create refuses a value that is still unknown", () => {
    assert.throws(() => createPayload({ name: "orders", memorySize: UNKNOWN_VALUE }), /Database: cannot build the request body because memorySize is not known yet/);
  });
});

describe("reading outputs", () => {
  it("records live values, managed properties, endpoint and echoed settings", () => {
    const outputs = databaseOutputs(liveBdb({ tags: [{ key: "team", value: "payments" }] }), checked({ name: "orders", memorySize: "1GB", disruptionPolicy: "deny", tags: { team: "payments" } }));
    assert.deepEqual(outputs, {
      name: "orders",
      memorySize: 1073741824,
      port: 12000,
      replication: false,
      sharding: false,
      shardsCount: 1,
      proxyPolicy: "single",
      dataPersistence: "disabled",
      aofPolicy: "appendfsync-every-sec",
      snapshotPolicy: [],
      evictionPolicy: "volatile-lru",
      tlsMode: "disabled",
      enforceClientAuthentication: false,
      clientCertificates: [],
      ossCluster: false,
      resp3: true,
      modules: [],
      redisVersion: "7.4",
      tags: { team: "payments" },
      dataInternodeEncryption: false,
      disruptionPolicy: "deny",
      uid: 7,
      status: "active",
      endpoint: { host: "redis-12000.cluster.local", port: 12000, dnsName: "redis-12000.cluster.local", addresses: ["10.0.0.1", "10.0.0.2"] },
      managedProperties: ["name", "memorySize", "tags"],
      lastUpdateImpacts: [],
    });
  });
  it("records the password only when it is declared", () => {
    assert.equal("password" in databaseOutputs(liveBdb(), checked({ name: "orders", memorySize: 1 })), false);
    assert.equal(databaseOutputs(liveBdb(), checked({ name: "orders", memorySize: 1, password: "live-pass" })).password, "live-pass");
  });
  it("refresh keeps the managed list and settings from the previous outputs, never adding to them", () => {
    const previous = databaseOutputs(liveBdb(), checked({ name: "orders", memorySize: "1GB", password: "live-pass", timeouts: { update: "1h" } }), [
      { property: "memorySize", old: 1, new: 1073741824, mode: "in-place", impact: "none" },
    ]);
    const refreshed = readDatabase(liveBdb({ memory_size: 2147483648, data_internode_encryption: true, authentication_redis_pass: "rotated" }), previous);
    assert.deepEqual(refreshed.managedProperties, ["name", "memorySize", "password"]);
    assert.equal(refreshed.memorySize, 2147483648);
    assert.equal(refreshed.dataInternodeEncryption, true);
    assert.equal(refreshed.password, "rotated");
    assert.deepEqual(refreshed.timeouts, { update: "1h" });
    assert.deepEqual(refreshed.lastUpdateImpacts, [{ property: "memorySize", old: 1, new: 1073741824, mode: "in-place", impact: "none" }]);
    assert.deepEqual(inputsFromOutputs(refreshed), { name: "orders", memorySize: 2147483648, password: "rotated", timeouts: { update: "1h" } });
  });
  it("a refresh that shows drift makes the next diff propose the correction", () => {
    const previous = databaseOutputs(liveBdb(), checked({ name: "orders", memorySize: "1GB", dataInternodeEncryption: false }));
    const refreshed = readDatabase(liveBdb({ data_internode_encryption: true }), previous);
    const diff = diffDatabase(refreshed, checked({ name: "orders", memorySize: "1GB", dataInternodeEncryption: false }));
    assert.deepEqual(diff.notes, ['Database "orders": dataInternodeEncryption true -> false restarts the database proxy and disconnects all connected clients']);
  });
  it("state from before managedProperties existed reads as nothing managed, so a secret is not recorded", () => {
    const refreshed = readDatabase(liveBdb(), { name: "orders", uid: 7 });
    assert.deepEqual(refreshed.managedProperties, []);
    assert.equal("password" in refreshed, false);
  });
  it("fails with a clear message when the answer has no uid", () => {
    assert.throws(() => readDatabase(liveBdb({ uid: undefined }), {}), /the cluster returned a database object without a valid uid \(got undefined\); cannot record it/);
  });
});

describe("the real bdb answer (fixtures/rs-real/bdb_single.json)", () => {
  it("reads without error and without false drift for the values it shows", function () {
    const live = loadFixture("bdb_single.json");
    if (!live) {
      console.log(`      skipped: ${fixturesDir()}/bdb_single.json is absent (set RS_FIXTURES_DIR)`);
      this.skip();
    }
    const inputs = checked({ name: "default-db", memorySize: 1073741824 });
    const outputs = readDatabase(live, databaseOutputs(live, inputs));
    assert.equal(outputs.name, "default-db");
    assert.equal(outputs.port, 14968);
    assert.equal(outputs.uid, 1);
    assert.deepEqual(outputs.endpoint, { host: "redis-14968.docker-cluster", port: 14968, dnsName: "redis-14968.docker-cluster", addresses: ["192.168.16.2"] });
    assert.deepEqual(outputs.modules, [{ name: "bf" }, { name: "ReJSON" }, { name: "search" }, { name: "timeseries" }]);
    assert.equal(outputs.redisVersion, "8.0");
    assert.equal(outputs.enforceClientAuthentication, false);
    assert.equal("shardKeyRegex" in outputs, false);
    assert.equal("password" in outputs, false);
    assert.equal(diffDatabase(outputs, inputs).changes, false);
    // Declaring everything the answer shows is no change either (bundled modules, port 0, absent fields).
    const everything = checked({
      name: "default-db", memorySize: "1GB", port: 14968, replication: false, sharding: false, shardsCount: 1, proxyPolicy: "single",
      dataPersistence: "disabled", evictionPolicy: "volatile-lru", password: "", tlsMode: "disabled", enforceClientAuthentication: false,
      clientCertificates: [], ossCluster: false, resp3: true, modules: [{ name: "rejson" }, { name: "search" }], redisVersion: "8.0", tags: {},
      dataInternodeEncryption: false,
    });
    const full = databaseOutputs(live, everything);
    assert.deepEqual(diffDatabase(full, everything).changed, []);
    assert.deepEqual(adoptMismatches(everything, live), []);
  });
});

describe("adopt", () => {
  it("targets the uid, else the adopt name, else the declared name", () => {
    assert.deepEqual(adoptTarget(checked({ name: "orders", adopt: { uid: 4 } })), { by: "uid", uid: 4 });
    assert.deepEqual(adoptTarget(checked({ name: "orders", adopt: { name: "legacy" } })), { by: "name", name: "legacy" });
    assert.deepEqual(adoptTarget(checked({ name: "orders", adopt: {} })), { by: "name", name: "orders" });
    assert.equal(adoptTarget(checked({ name: "orders", memorySize: 1 })), undefined);
  });
  it("finds exactly one database, or says why not", () => {
    const dbs = [liveBdb({ uid: 1, name: "orders" }), liveBdb({ uid: 2, name: "carts" }), liveBdb({ uid: 3, name: "carts" })];
    assert.deepEqual(findAdoptCandidate({ by: "name", name: "orders" }, dbs), { live: dbs[0] });
    assert.deepEqual(findAdoptCandidate({ by: "uid", uid: 3 }, dbs), { live: dbs[2] });
    assert.deepEqual(findAdoptCandidate({ by: "name", name: "Orders" }, dbs), { error: 'adopt: no database with name "Orders" exists in the cluster; remove adopt to create it, or fix the name' });
    assert.deepEqual(findAdoptCandidate({ by: "name", name: "carts" }, dbs), { error: 'adopt: 2 databases have the name "carts" (uids 2, 3); adopt by uid instead' });
  });
  it("lists every difference with its impact, and fails without applyChanges", () => {
    const inputs = checked({ name: "orders", memorySize: "2GB", dataInternodeEncryption: true, adopt: {} });
    assert.deepEqual(adoptMismatches(inputs, liveBdb()), [
      { property: "memorySize", old: 1073741824, new: 2147483648, mode: "in-place", impact: "none" },
      { property: "dataInternodeEncryption", old: false, new: true, mode: "in-place", impact: "disconnects-all-clients" },
    ]);
    assert.deepEqual(reasons(adoptionProblems(inputs, liveBdb())), [
      'memorySize: Database "orders": adopting uid 7: memorySize 1073741824 -> 2147483648 differs from the live database; declare the live value, or set adopt.applyChanges: true to apply it',
      'dataInternodeEncryption: Database "orders": adopting uid 7: dataInternodeEncryption false -> true differs from the live database; declare the live value, or set adopt.applyChanges: true to apply it',
    ]);
  });
  it("with applyChanges, refuses replacements and refused changes, and gates disruption", () => {
    const inputs = checked({ name: "orders", memorySize: "2GB", port: 12001, dataInternodeEncryption: true, disruptionPolicy: "deny", adopt: { applyChanges: true } });
    assert.deepEqual(adoptionProblems(inputs, liveBdb()).failures.map((failure) => failure.property), ["port", "dataInternodeEncryption"]);
    assert.match(adoptionProblems(inputs, liveBdb()).failures[0].reason, /^Database "orders": adopting uid 7: port 12000 -> 12001 cannot be applied to an adopted database: the port cannot change/);
    const allowed = checked({ name: "orders", memorySize: "2GB", dataInternodeEncryption: true, adopt: { applyChanges: true } });
    assert.deepEqual(adoptionProblems(allowed, liveBdb()).failures, []);
    assert.deepEqual(updatePayload(liveBdbOutputs(), allowed), { memory_size: 2147483648, data_internode_encryption: true });
  });
});

function liveBdbOutputs() {
  return databaseOutputs(liveBdb(), checked({ name: "orders", adopt: {} }));
}

describe("ineVersionFailures", () => {
  const inputs = checked({ name: "orders", memorySize: 1, dataInternodeEncryption: true });
  it("names each node below 6.2.4 with its version, each unreadable version and each inactive node", () => {
    const nodes = [
      { uid: 1, softwareVersion: "100.0.21-16135", status: "active" },
      { uid: 2, softwareVersion: "6.2.3-10", status: "active" },
      { uid: 3, softwareVersion: "7.4.6-22", status: "down" },
      { uid: 4, softwareVersion: "n/a", status: "active" },
    ];
    assert.deepEqual(reasons({ failures: ineVersionFailures(inputs, nodes) }), [
      'dataInternodeEncryption: Database "orders": dataInternodeEncryption: true needs every node at 6.2.4 or later, and node 2 runs 6.2.3-10; upgrade the node, then apply again',
      'dataInternodeEncryption: Database "orders": dataInternodeEncryption: true needs every node active, and node 3 is "down"; wait until it is active (or remove it from the cluster), then apply again',
      'dataInternodeEncryption: Database "orders": dataInternodeEncryption: true needs every node at 6.2.4 or later, and node 4 reports the software version "n/a", which cannot be read as MAJOR.MINOR.PATCH-BUILD; check GET /v1/nodes/4',
    ]);
  });
  it("passes when every node is recent and active, when encryption is not being turned on, or is already on", () => {
    const old = [{ uid: 2, softwareVersion: "6.0.20-97", status: "active" }];
    assert.deepEqual(ineVersionFailures(inputs, [{ uid: 1, softwareVersion: "6.2.4-1", status: "active" }]), []);
    assert.deepEqual(ineVersionFailures(checked({ name: "orders", memorySize: 1 }), old), []);
    assert.deepEqual(ineVersionFailures(checked({ name: "orders", memorySize: 1, dataInternodeEncryption: false }), old), []);
    assert.deepEqual(ineVersionFailures(inputs, old, true), []);
  });
});

describe("README reference table", () => {
  it("has one line per row, in table order, then the rules", () => {
    const markdown = databaseReferenceMarkdown();
    const rows = markdown.split("\n").filter((line) => line.startsWith("| `"));
    assert.deepEqual(rows.map((line) => /^\| `([^`]+)`/.exec(line)?.[1]), DATABASE_TABLE.rows.map((row) => row.name));
    assert.equal(
      rows[DATABASE_TABLE.rows.findIndex((row) => row.name === "dataInternodeEncryption")],
      "| `dataInternodeEncryption` | `data_internode_encryption` | boolean | in place | disconnects all clients | Encrypt this database's data-plane traffic between nodes (RS 6.2.4+, TCP 3342 open between nodes). When omitted: the cluster policy applies at creation and the provider never touches it. Turning it on needs TCP 3342 open between every pair of nodes, which the product does not check: declare an InternodeFirewall and make the database depend on it. Source: RS/security/encryption/internode-encryption.md. |",
    );
    assert.equal(markdown.split("\n").filter((line) => line.startsWith("- `")).length, DATABASE_TABLE.rules.length);
  });
});

describe("the provisional id of an unconfirmed create (finding F1)", () => {
  it("names the database and parses back; any other id (a uid, a malformed one) is not provisional", () => {
    assert.equal(provisionalId("orders-1"), "pending-create:orders-1");
    assert.equal(provisionalName("pending-create:orders-1"), "orders-1");
    for (const id of ["7", "", "pending-create:", "pending-create:a:b", "pending-create:-x", "Pending-create:orders", "pending-create:orders ", 7, undefined]) {
      assert.equal(provisionalName(id), undefined, String(id));
    }
    assert.throws(() => provisionalId("a:b"), /not a database name/);
  });

  it("a record is confirmed by a positive integer uid with a real status, not by the unconfirmed record", () => {
    assert.equal(confirmedUid({ name: "orders", status: "unconfirmed" }), undefined);
    assert.equal(confirmedUid({ uid: 9, name: "orders", status: "unconfirmed" }), undefined);
    assert.equal(confirmedUid({ uid: 9, name: "orders", status: "active" }), 9);
    assert.equal(confirmedUid({ uid: 9, status: "creation-failed" }), 9);
    for (const uid of [0, -1, 1.5, "9", null]) assert.equal(confirmedUid({ uid, status: "active" }), undefined, String(uid));
    assert.equal(confirmedUid(undefined), undefined);
  });

  it("the unconfirmed record keeps the name, says unconfirmed, and carries the settings later operations need", () => {
    const connection = { url: "https://127.0.0.1:9443", username: "u", password: "p" };
    assert.deepEqual(
      unconfirmedRecord({ name: "orders", memorySize: 100, connection, timeouts: { create: "3s" }, __urn: "urn:x", __provider: "shim" }),
      { name: "orders", status: UNCONFIRMED_STATUS, connection, timeouts: { create: "3s" }, __urn: "urn:x" },
    );
    assert.equal(UNCONFIRMED_STATUS, "unconfirmed");
  });

  it("resolves by name: none, one, or an error naming every uid when several match (never a guess)", () => {
    assert.deepEqual(resolveProvisional("orders", [], 'Database "orders"'), {});
    assert.deepEqual(resolveProvisional("orders", [{ uid: 4 }], 'Database "orders"'), { uid: 4 });
    const { uid, error } = resolveProvisional("orders", [{ uid: 4 }, { uid: 11 }], 'Database "orders"');
    assert.equal(uid, undefined);
    assert.equal(
      error,
      'Database "orders": the create was not confirmed and 2 databases are named "orders" (uid 4, 11); keep the one this stack ' +
        "should manage (adopt it by uid), delete the others, then apply again",
    );
  });
  describe("dryRunRefusal (a dry run's answer at preview)", () => {
    const label = 'Database "orders"';
    it("puts a refusal on the property its error code is about, with the server's words", () => {
      assert.deepEqual(dryRunRefusal(label, "create", { status: 406, errorCode: "port_unavailable", message: "POST /v1/bdbs?dry_run: 406 port_unavailable: port 12000 is in use" }), {
        property: "port",
        reason: 'Database "orders": the cluster would refuse to create it (a dry run at preview): POST /v1/bdbs?dry_run: 406 port_unavailable: port 12000 is in use',
      });
      assert.equal(dryRunRefusal(label, "create", { status: 406, errorCode: "invalid_version", message: "m" })?.property, "redisVersion");
      assert.equal(dryRunRefusal(label, "create", { status: 400, errorCode: "rack_awareness_violation", message: "m" })?.property, "");
    });
    it("points a name in use at adopt", () => {
      assert.match(dryRunRefusal(label, "create", { status: 409, errorCode: "name_exists", message: "m" })!.reason, /: m; to manage the existing database, set adopt: \{\} on this resource, or choose another name$/);
      assert.equal(dryRunRefusal(label, "create", { status: 409, errorCode: "name_exists", message: "m" })!.property, "name");
    });
    it("words an update's refusal as such, a name in use without adopt", () => {
      assert.deepEqual(dryRunRefusal(label, "update", { status: 409, errorCode: "name_exists", message: "m" }), {
        property: "name",
        reason: 'Database "orders": the cluster would refuse to update it (a dry run at preview): m; choose another name',
      });
    });
    it("takes no other answer for a refusal of the database", () => {
      for (const [status, code] of [[409, "busy"], [401, "unauthorized"], [403, "forbidden"], [404, "not_found"], [405, undefined], [500, "internal_error"], [503, undefined]] as const) {
        assert.equal(dryRunRefusal(label, "create", { status: status, errorCode: code, message: "m" }), undefined, `${status} ${code ?? ""}`);
      }
    });
  });
});
