// Every row of the Database table on concrete values: normalisation, REST payload, read mapping, semantic
// equality and change classification, with exact expected values.
import assert from "node:assert/strict";
import { before, describe, it } from "mocha";
import { payloadFor, propertyOfErrorCode } from "../../provider/core";
import {
  DATABASE_TABLE,
  STANDARD_SHARD_KEY_REGEX,
  certificateFingerprint,
  checkDatabase,
  liveProperties,
  normalisePem,
} from "../../provider/database";
import { changeOf, exercisedRows, recordExercised, rowNamed, samplePem } from "./helpers";

const parse = (name: string, value: unknown) => rowNamed(name).schema.parse(value);
const parsedValue = (name: string, value: unknown) => {
  const parsed = parse(name, value);
  assert.ok(parsed.ok, `expected ${name} ${JSON.stringify(value)} to parse`);
  return parsed.value;
};
const toRest = (name: string, value: unknown, others: Record<string, unknown> = {}) => {
  recordExercised(name, "payload");
  return payloadFor(DATABASE_TABLE, { ...others, [name]: parsedValue(name, value) }, [name]);
};
/** The failures check reports for a minimal valid database plus `extra`. */
const failuresFor = (extra: Record<string, unknown>) => {
  for (const name of Object.keys(extra)) recordExercised(name, "schema");
  return checkDatabase({}, { name: "orders", memorySize: "1GB", ...extra }).failures.map((failure) => `${failure.property}: ${failure.reason}`);
};

describe("Database table rows", () => {
  // Only this file's tests count towards "covers every row" (other files use the same helpers).
  before(() => exercisedRows.clear());

  describe("name", () => {
    it("accepts letters, digits and inner dashes up to 63 characters", () => {
      assert.equal(parsedValue("name", "orders-1"), "orders-1");
      assert.equal(parsedValue("name", "a".repeat(63)), "a".repeat(63));
    });
    it("rejects a leading dash, an underscore and 64 characters, saying why", () => {
      assert.deepEqual(failuresFor({ name: "-orders" }), [
        `name: name must match ^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$ (letters, digits and '-', starting and ending with a letter or digit); got "-orders"`,
      ]);
      assert.equal(parse("name", "orders_1").ok, false);
      assert.deepEqual(failuresFor({ name: "a".repeat(64) }), [`name: name must be at most 63 characters long (got 64); got "${"a".repeat(64)}"`]);
    });
    it("maps to name and changes in place without client impact", () => {
      assert.deepEqual(toRest("name", "orders"), { name: "orders" });
      assert.equal(liveProperties({ name: "default-db" }).name, "default-db");
      assert.deepEqual(changeOf("name", "orders", "orders-v2"), { property: "name", old: "orders", new: "orders-v2", mode: "in-place", impact: "none" });
    });
  });

  describe("memorySize", () => {
    it("reads sizes with 1024-based units, any case, and plain byte counts", () => {
      assert.equal(parsedValue("memorySize", "1GB"), 1073741824);
      assert.equal(parsedValue("memorySize", "1GiB"), 1073741824);
      assert.equal(parsedValue("memorySize", "512MiB"), 536870912);
      assert.equal(parsedValue("memorySize", "100MB"), 104857600);
      assert.equal(parsedValue("memorySize", "1.5gb"), 1610612736);
      assert.equal(parsedValue("memorySize", "2 GB"), 2147483648);
      assert.equal(parsedValue("memorySize", "1073741824"), 1073741824);
      assert.equal(parsedValue("memorySize", 1073741824), 1073741824);
    });
    it("rejects negative, zero, fractional bytes and unknown units with the accepted forms", () => {
      const expected = 'must be a positive number of bytes or a string like "1GB" (units B, KB, MB, GB, TB, 1024-based; KiB, MiB, GiB, TiB also accepted)';
      assert.deepEqual(failuresFor({ memorySize: -5 }), [`memorySize: memorySize ${expected}; got -5`]);
      assert.deepEqual(failuresFor({ memorySize: 0 }), [`memorySize: memorySize ${expected}; got 0`]);
      assert.deepEqual(failuresFor({ memorySize: 1.5 }), [`memorySize: memorySize ${expected}; got 1.5`]);
      assert.deepEqual(failuresFor({ memorySize: "1G" }), [`memorySize: memorySize ${expected}; got "1G"`]);
      assert.deepEqual(failuresFor({ memorySize: "0.1KB" }), ['memorySize: memorySize must be a whole number of bytes (0.1KB is not); got "0.1KB"']);
    });
    it("maps to memory_size, reads numeric strings, and changes in place", () => {
      assert.deepEqual(toRest("memorySize", "1GB"), { memory_size: 1073741824 });
      assert.equal(liveProperties({ memory_size: "2147483648" }).memorySize, 2147483648);
      assert.equal(changeOf("memorySize", 1073741824, 1073741824), undefined);
      assert.deepEqual(changeOf("memorySize", 1073741824, 2147483648), { property: "memorySize", old: 1073741824, new: 2147483648, mode: "in-place", impact: "none" });
    });
  });

  describe("port", () => {
    it("accepts 10000-19999 except 10050, numbers or digit strings", () => {
      assert.equal(parsedValue("port", 12000), 12000);
      assert.equal(parsedValue("port", "12000"), 12000);
      for (const bad of [9999, 20000, 10050, 12000.5]) assert.equal(parse("port", bad).ok, false, String(bad));
      assert.deepEqual(failuresFor({ port: 10050 }), ["port: port must be an integer from 10000 to 19999 except 10050; got 10050"]);
    });
    it("reads the real port from endpoints[0].port when the top-level port is 0", () => {
      assert.equal(liveProperties({ port: 0, endpoints: [{ port: 14968 }] }).port, 14968);
      assert.equal(liveProperties({ port: 12001, endpoints: [] }).port, 12001);
      assert.equal(liveProperties({ port: 0 }).port, undefined);
      assert.equal(liveProperties({ port: 0, endpoints: [{ port: "15001" }] }).port, 15001);
    });
    it("replaces the database on any change", () => {
      assert.deepEqual(toRest("port", 12000), { port: 12000 });
      const change = changeOf("port", 14968, 12000);
      assert.equal(change?.mode, "replace");
      assert.equal(change?.impact, "replaces-resource");
      assert.equal(
        change?.reason,
        "the port cannot change after the database is created, so the database is deleted first and created again on the new port (two databases cannot share a port)",
      );
    });
  });

  describe("replication", () => {
    it("is a boolean mapped to replication, changed in place", () => {
      assert.deepEqual(failuresFor({ replication: "yes" }), ['replication: replication must be true or false; got "yes"']);
      assert.deepEqual(toRest("replication", true), { replication: true });
      assert.equal(liveProperties({ replication: false }).replication, false);
      assert.deepEqual(changeOf("replication", false, true), { property: "replication", old: false, new: true, mode: "in-place", impact: "none" });
    });
  });

  describe("sharding", () => {
    it("turns on in place and sends the standard hashing rules when none are declared", () => {
      assert.deepEqual(changeOf("sharding", false, true), { property: "sharding", old: false, new: true, mode: "in-place", impact: "none" });
      assert.deepEqual(toRest("sharding", true), {
        sharding: true,
        shard_key_regex: [{ regex: ".*\\{(?<tag>.*)\\}.*" }, { regex: "(?<tag>.*)" }],
      });
      assert.deepEqual(toRest("sharding", true, { shardKeyRegex: ["user:(?<tag>.*)"] }), { sharding: true });
      assert.deepEqual(toRest("sharding", false), { sharding: false });
    });
    it("refuses to turn off, with the reason", () => {
      const change = changeOf("sharding", true, false);
      assert.equal(change?.mode, "refused");
      assert.equal(change?.reason, "sharding cannot be turned off once enabled; create a new database and migrate");
    });
  });

  describe("shardsCount", () => {
    it("accepts 1-512", () => {
      assert.equal(parsedValue("shardsCount", 512), 512);
      assert.deepEqual(
        checkDatabase({}, { name: "orders", memorySize: "1GB", sharding: true, shardsCount: 513 }).failures.map((f) => f.reason),
        ["shardsCount must be an integer from 1 to 512; got 513"],
      );
      assert.equal(parse("shardsCount", 0).ok, false);
    });
    it("grows in place by a multiple and refuses shrinking or a non-multiple, each with its reason", () => {
      assert.deepEqual(toRest("shardsCount", 6), { shards_count: 6 });
      assert.equal(liveProperties({ shards_count: 3 }).shardsCount, 3);
      assert.deepEqual(changeOf("shardsCount", 3, 6), { property: "shardsCount", old: 3, new: 6, mode: "in-place", impact: "none" });
      assert.equal(changeOf("shardsCount", 3, 9)?.mode, "in-place");
      assert.equal(changeOf("shardsCount", 1, 4)?.mode, "in-place");
      const nonMultiple = changeOf("shardsCount", 3, 5);
      assert.equal(nonMultiple?.mode, "refused");
      assert.equal(nonMultiple?.reason, "the shard count can only grow by a multiple of the current count (e.g. 3 -> 6, 9 or 12)");
      const shrink = changeOf("shardsCount", 6, 3);
      assert.equal(shrink?.mode, "refused");
      assert.equal(shrink?.reason, "the shard count can never shrink; create a new database with fewer shards and migrate");
    });
  });

  describe("shardKeyRegex", () => {
    it("needs a non-empty list of rules, each with a tag group", () => {
      assert.deepEqual(parsedValue("shardKeyRegex", ["user:(?<tag>.*)"]), ["user:(?<tag>.*)"]);
      assert.deepEqual(
        checkDatabase({}, { name: "orders", memorySize: "1GB", sharding: true, shardKeyRegex: ["(?<tag>.*)", "user:.*"] }).failures.map((f) => f.reason),
        ['shardKeyRegex[1] must capture the hashed part in a group named "tag", e.g. "user:(?<tag>.*)"; got "user:.*"'],
      );
      assert.equal(parse("shardKeyRegex", []).ok, false);
      assert.equal(parse("shardKeyRegex", Array.from({ length: 32 }, (_, i) => `k${i}:(?<tag>.*)`)).ok, true);
      assert.deepEqual(parse("shardKeyRegex", Array.from({ length: 33 }, (_, i) => `k${i}:(?<tag>.*)`)), {
        ok: false,
        path: "",
        reason: "must have at most 32 items",
        got: Array.from({ length: 33 }, (_, i) => `k${i}:(?<tag>.*)`),
      });
      assert.equal(parse("shardKeyRegex", [`${"a".repeat(250)}(?<tag>.*)`]).ok, false);
    });
    it("maps to [{regex}], reads an empty live list as unset, and flushes data on change (order matters)", () => {
      assert.deepEqual(toRest("shardKeyRegex", ["a(?<tag>.*)"]), { shard_key_regex: [{ regex: "a(?<tag>.*)" }] });
      assert.equal(liveProperties({ shard_key_regex: [] }).shardKeyRegex, undefined);
      assert.deepEqual(liveProperties({ shard_key_regex: [{ regex: ".*\\{(?<tag>.*)\\}.*" }, { regex: "(?<tag>.*)" }] }).shardKeyRegex, [...STANDARD_SHARD_KEY_REGEX]);
      const change = changeOf("shardKeyRegex", ["a(?<tag>.*)", "b(?<tag>.*)"], ["b(?<tag>.*)", "a(?<tag>.*)"]);
      assert.equal(change?.mode, "in-place");
      assert.equal(change?.impact, "flushes-data");
    });
  });

  describe("proxyPolicy", () => {
    it("is one of three policies, read from the bdb or its endpoint, changed in place", () => {
      assert.deepEqual(failuresFor({ proxyPolicy: "some" }), ['proxyPolicy: proxyPolicy must be one of "single", "all-master-shards", "all-nodes"; got "some"']);
      assert.deepEqual(toRest("proxyPolicy", "all-nodes"), { proxy_policy: "all-nodes" });
      assert.equal(liveProperties({ proxy_policy: "single" }).proxyPolicy, "single");
      assert.equal(liveProperties({ endpoints: [{ proxy_policy: "all-master-shards" }] }).proxyPolicy, "all-master-shards");
      assert.equal(changeOf("proxyPolicy", "single", "all-nodes")?.impact, "none");
    });
  });

  describe("persistence and eviction", () => {
    it("map dataPersistence, aofPolicy and evictionPolicy to their fields, in place", () => {
      assert.deepEqual(toRest("dataPersistence", "aof"), { data_persistence: "aof" });
      assert.deepEqual(toRest("aofPolicy", "appendfsync-always"), { aof_policy: "appendfsync-always" });
      assert.deepEqual(toRest("evictionPolicy", "allkeys-lru"), { eviction_policy: "allkeys-lru" });
      const live = liveProperties({ data_persistence: "disabled", aof_policy: "appendfsync-every-sec", eviction_policy: "volatile-lru" });
      assert.deepEqual([live.dataPersistence, live.aofPolicy, live.evictionPolicy], ["disabled", "appendfsync-every-sec", "volatile-lru"]);
      assert.equal(parse("evictionPolicy", "allkeys-lrm").ok, true);
      assert.equal(parse("evictionPolicy", "lru").ok, false);
      for (const [name, from, to] of [["dataPersistence", "disabled", "aof"], ["aofPolicy", "appendfsync-every-sec", "appendfsync-always"], ["evictionPolicy", "volatile-lru", "noeviction"]]) {
        assert.deepEqual(changeOf(name, from, to), { property: name, old: from, new: to, mode: "in-place", impact: "none" });
      }
    });
    it("compares snapshotPolicy without regard to order and reads numeric strings", () => {
      assert.deepEqual(parsedValue("snapshotPolicy", [{ secs: 3600, writes: 1 }, { secs: 60, writes: 1000 }]), [{ secs: 60, writes: 1000 }, { secs: 3600, writes: 1 }]);
      assert.deepEqual(toRest("snapshotPolicy", [{ secs: 3600, writes: 1 }]), { snapshot_policy: [{ secs: 3600, writes: 1 }] });
      assert.deepEqual(liveProperties({ snapshot_policy: [{ secs: "3600", writes: "1" }, { secs: 60, writes: 1000 }] }).snapshotPolicy, [{ secs: 60, writes: 1000 }, { secs: 3600, writes: 1 }]);
      assert.equal(changeOf("snapshotPolicy", [{ secs: 3600, writes: 1 }, { secs: 60, writes: 1000 }], [{ secs: 60, writes: 1000 }, { secs: 3600, writes: 1 }]), undefined);
      assert.deepEqual(
        checkDatabase({}, { name: "orders", memorySize: "1GB", dataPersistence: "snapshot", snapshotPolicy: [{ sec: 1, writes: 1 }] }).failures.map((f) => f.reason),
        ['snapshotPolicy[0] has an unknown field "sec"; expected secs, writes; got {"sec":1,"writes":1}'],
      );
    });
  });

  describe("password", () => {
    it("maps to authentication_redis_pass and is never echoed, not even when invalid", () => {
      assert.deepEqual(toRest("password", "s3cret"), { authentication_redis_pass: "s3cret" });
      assert.equal(liveProperties({ authentication_redis_pass: "" }).password, "");
      assert.deepEqual(failuresFor({ password: 123456789 }), ["password: password must be a string"]);
    });
    it("records a change without values, flagged secret, with no client impact", () => {
      assert.deepEqual(changeOf("password", "old-pass", "new-pass"), { property: "password", secret: true, mode: "in-place", impact: "none" });
    });
  });

  describe("TLS", () => {
    it("tlsMode applies to new connections only", () => {
      assert.deepEqual(toRest("tlsMode", "enabled"), { tls_mode: "enabled" });
      assert.equal(liveProperties({ tls_mode: "replica_ssl" }).tlsMode, "replica_ssl");
      assert.equal(changeOf("tlsMode", "disabled", "enabled")?.impact, "new-connections-only");
      assert.equal(changeOf("tlsMode", "enabled", "disabled")?.impact, "new-connections-only");
    });
    it("enforceClientAuthentication is sent as enabled/disabled and read as false when absent without TLS", () => {
      assert.deepEqual(toRest("enforceClientAuthentication", true), { enforce_client_authentication: "enabled" });
      assert.deepEqual(toRest("enforceClientAuthentication", false), { enforce_client_authentication: "disabled" });
      assert.equal(liveProperties({ tls_mode: "disabled" }).enforceClientAuthentication, false);
      assert.equal(liveProperties({}).enforceClientAuthentication, false);
      assert.equal(liveProperties({ tls_mode: "enabled" }).enforceClientAuthentication, true);
      assert.equal(liveProperties({ tls_mode: "enabled", enforce_client_authentication: "disabled" }).enforceClientAuthentication, false);
      assert.equal(changeOf("enforceClientAuthentication", false, true)?.impact, "new-connections-only");
    });
    it("clientCertificates are normalised PEMs compared as a set, shown by fingerprint", () => {
      const a = samplePem("a");
      const b = samplePem("b");
      const aCrlfNarrow = samplePem("a", "\r\n", 48);
      assert.equal(normalisePem(aCrlfNarrow), a);
      assert.deepEqual(parsedValue("clientCertificates", [b, aCrlfNarrow]), [a, b].sort());
      assert.deepEqual(toRest("clientCertificates", [a]), { authentication_ssl_client_certs: [{ client_cert: a }] });
      assert.deepEqual(liveProperties({ authentication_ssl_client_certs: [{ client_cert: samplePem("b", "\r\n") }, { client_cert: aCrlfNarrow }] }).clientCertificates, [a, b].sort());
      assert.equal(changeOf("clientCertificates", [a, b].sort(), [b, a]), undefined);
      const change = changeOf("clientCertificates", [a], [a, b]);
      assert.equal(change?.impact, "new-connections-only");
      assert.deepEqual(change?.old, [certificateFingerprint(a)]);
      assert.match(certificateFingerprint(a), /^sha256:[0-9a-f]{16}$/);
    });
    it("clientCertificates reject a non-PEM entry and a duplicate", () => {
      assert.deepEqual(failuresFor({ clientCertificates: ["not a cert"] }), [
        'clientCertificates: clientCertificates[0] must be one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----); got "not a cert..."',
      ]);
      const a = samplePem("a");
      assert.deepEqual(failuresFor({ clientCertificates: [a, samplePem("a", "\r\n")] }), [
        `clientCertificates: clientCertificates[1] repeats a certificate; each certificate may appear once (the server rejects duplicated_certs); got "${certificateFingerprint(a)}"`,
      ]);
    });
  });

  describe("ossCluster and resp3", () => {
    it("ossCluster applies to new connections only", () => {
      assert.deepEqual(toRest("ossCluster", true), { oss_cluster: true });
      assert.equal(liveProperties({ oss_cluster: false }).ossCluster, false);
      assert.equal(changeOf("ossCluster", false, true)?.impact, "new-connections-only");
    });
    it("resp3 off disconnects RESP3 clients; on affects nobody", () => {
      assert.deepEqual(toRest("resp3", false), { resp3: false });
      assert.equal(changeOf("resp3", true, false)?.impact, "disconnects-resp3-clients");
      assert.equal(changeOf("resp3", false, true)?.impact, "none");
      // Not known before: counted as on, so switching off is never under-reported.
      assert.equal(changeOf("resp3", undefined, false)?.impact, "disconnects-resp3-clients");
    });
  });

  describe("modules", () => {
    const live = liveProperties({
      module_list: [
        { module_name: "timeseries", module_args: "", module_id: "x" },
        { module_name: "search", module_args: "MAXSEARCHRESULTS 100" },
        { module_name: "ReJSON", module_args: "" },
      ],
    }).modules;
    it("reads module_list sorted by name, keeping only non-empty args", () => {
      assert.deepEqual(live, [{ name: "ReJSON" }, { name: "search", args: "MAXSEARCHRESULTS 100" }, { name: "timeseries" }]);
    });
    it("treats declared names as a case-insensitive subset of the live list; bundled extras are not drift", () => {
      assert.equal(changeOf("modules", live, [{ name: "rejson" }]), undefined);
      assert.equal(changeOf("modules", live, [{ name: "search", args: "MAXSEARCHRESULTS 100" }]), undefined);
      assert.equal(changeOf("modules", live, []), undefined);
    });
    it("refuses a missing module or different args, with the reason", () => {
      const missing = changeOf("modules", live, [{ name: "graph" }]);
      assert.equal(missing?.mode, "refused");
      assert.equal(missing?.reason, "modules can only be chosen when the database is created; create a new database with the modules and migrate");
      assert.equal(changeOf("modules", live, [{ name: "search", args: "MAXSEARCHRESULTS 5" }])?.mode, "refused");
    });
    it("rejects a repeated name (case-insensitive) and maps to module_list with empty args by default", () => {
      assert.deepEqual(failuresFor({ modules: [{ name: "search" }, { name: "Search" }] }), [
        'modules: modules[1].name names the module "Search" twice; each module may appear once (names are case-insensitive); got "Search"',
      ]);
      assert.deepEqual(failuresFor({ modules: [{ name: "" }] }), ['modules: modules[0].name must not be empty; got ""']);
      assert.deepEqual(toRest("modules", [{ name: "search" }, { name: "bf", args: "x" }]), {
        module_list: [{ module_name: "bf", module_args: "x" }, { module_name: "search", module_args: "" }],
      });
    });
  });

  describe("redisVersion", () => {
    it("takes MAJOR.MINOR only", () => {
      assert.equal(parsedValue("redisVersion", "7.4"), "7.4");
      assert.deepEqual(failuresFor({ redisVersion: "7.2.4" }), [
        'redisVersion: redisVersion must match ^\\d{1,4}\\.\\d{1,4}$ (MAJOR.MINOR, e.g. "7.4" or "8.0"; the server rejects "7.2.4"); got "7.2.4"',
      ]);
    });
    it("reads redis_version, falling back to version, and refuses any change with the upgrade path", () => {
      assert.deepEqual(toRest("redisVersion", "8.0"), { redis_version: "8.0" });
      assert.equal(liveProperties({ redis_version: "8.0", version: "8.0.0" }).redisVersion, "8.0");
      assert.equal(liveProperties({ version: "7.4.2" }).redisVersion, "7.4");
      assert.equal(changeOf("redisVersion", "8.0", "8.0"), undefined);
      const change = changeOf("redisVersion", "7.4", "8.0");
      assert.equal(change?.mode, "refused");
      assert.equal(
        change?.reason,
        "the version changes only through an upgrade (POST /v1/bdbs/{uid}/upgrade), which this provider does not manage yet; upgrade the database with rladmin or the REST API, run pulumi refresh, then declare the new version",
      );
    });
  });

  describe("tags", () => {
    it("accepts a record or a [{key, value}] list, sorted by key", () => {
      assert.deepEqual(Object.entries(parsedValue("tags", { team: "payments", env: "prod" }) as object), [["env", "prod"], ["team", "payments"]]);
      assert.deepEqual(parsedValue("tags", [{ key: "team", value: "payments" }, { key: "env", value: "prod" }]), { env: "prod", team: "payments" });
    });
    it("rejects a repeated key and non-string values", () => {
      assert.deepEqual(failuresFor({ tags: [{ key: "env", value: "a" }, { key: "env", value: "b" }] }), [
        'tags: tags[1].key has the key "env" twice; tag keys must be unique; got "env"',
      ]);
      assert.deepEqual(failuresFor({ tags: { env: 1 } }), ["tags: tags.env must have string values; got 1"]);
    });
    it("maps to [{key, value}] and compares without regard to order", () => {
      assert.deepEqual(toRest("tags", { team: "payments", env: "prod" }), { tags: [{ key: "env", value: "prod" }, { key: "team", value: "payments" }] });
      const live = liveProperties({ tags: [{ key: "team", value: "payments" }, { key: "env", value: "prod" }] }).tags;
      assert.equal(changeOf("tags", live, { env: "prod", team: "payments" }), undefined);
      assert.deepEqual(changeOf("tags", live, { env: "dev", team: "payments" })?.impact, "none");
    });
    it("reads an absent tags field (the real answer without tags) as no tags", () => {
      assert.deepEqual(liveProperties({}).tags, {});
      assert.equal(liveProperties({ tags: "x" }).tags, undefined);
      assert.deepEqual(liveProperties({}).clientCertificates, []);
      assert.deepEqual(liveProperties({}).snapshotPolicy, []);
    });
    it("keeps a '__proto__' key as an ordinary tag", () => {
      const tags = parsedValue("tags", JSON.parse('{"__proto__": "x"}')) as Record<string, string>;
      assert.deepEqual(Object.keys(tags), ["__proto__"]);
      assert.deepEqual(toRest("tags", JSON.parse('{"__proto__": "x"}')), { tags: [{ key: "__proto__", value: "x" }] });
    });
  });

  describe("dataInternodeEncryption", () => {
    it("maps to data_internode_encryption and disconnects all clients either way", () => {
      assert.deepEqual(toRest("dataInternodeEncryption", true), { data_internode_encryption: true });
      assert.equal(liveProperties({ data_internode_encryption: false }).dataInternodeEncryption, false);
      assert.equal(changeOf("dataInternodeEncryption", false, true)?.impact, "disconnects-all-clients");
      assert.equal(changeOf("dataInternodeEncryption", true, false)?.impact, "disconnects-all-clients");
      assert.equal(changeOf("dataInternodeEncryption", true, true), undefined);
    });
  });

  // A describe block of its own, last: mocha runs a suite's own tests before its child suites, and this must
  // run after every row's block.
  describe("every row", () => {
    it("covers every row: each row of the table has its schema, payload and change cases tested here", () => {
      // Derived from the table: a new row without tests, or a row whose tests were deleted, fails here.
      const missing = DATABASE_TABLE.rows.flatMap((row) =>
        (["schema", "payload", "change"] as const).filter((aspect) => !exercisedRows.get(row.name)?.has(aspect)).map((aspect) => `${row.name}: ${aspect}`),
      );
      assert.deepEqual(missing, [], "rows whose tests are missing in this file");
    });
  });

  it("gives each RS error code to one property at most, and every one it gives is a documented create or update code", () => {
    // D/requests/bdbs/_index.md (rs-rest-api.md §2.2), plus the two codes a refused name is answered with.
    const documented = new Set(
      (
        "uid_exists missing_db_name missing_memory_size missing_module port_unavailable invalid_sharding bad_shards_blueprint not_rack_aware " +
        "invalid_version busy invalid_data_persistence invalid_proxy_policy invalid_sasl_credentials invalid_replication insufficient_resources " +
        "rack_awareness_violation invalid_certificate certificate_expired duplicated_certs replication_violation eviction_policy_violation " +
        "invalid_oss_cluster_configuration memcached_cannot_use_modules missing_backup_interval wrong_cluster_state_id invalid_bdb_tags " +
        "unsupported_module_capabilities redis_acl_unsupported not_supported_action_on_crdt name_violation replication_node_violation " +
        "replication_size_violation crdt_sharding_violation name_exists invalid_db_name"
      ).split(" "),
    );
    const owner = new Map<string, string>();
    for (const row of DATABASE_TABLE.rows) {
      for (const code of row.errorCodes ?? []) {
        assert.ok(documented.has(code), `${row.name}: ${code} is not a documented error code`);
        assert.equal(owner.get(code), undefined, `${code} is claimed by ${owner.get(code)} and ${row.name}`);
        owner.set(code, row.name);
      }
    }
    assert.equal(propertyOfErrorCode(DATABASE_TABLE, "port_unavailable"), "port");
    assert.equal(propertyOfErrorCode(DATABASE_TABLE, "busy"), undefined);
    assert.equal(propertyOfErrorCode(DATABASE_TABLE, undefined), undefined);
  });

  it("ends every row's change cases with a catch-all and gives every refusal and replacement a reason", () => {
    for (const row of DATABASE_TABLE.rows) {
      const cases = row.changes as readonly { when?: unknown; mode: string; reason?: string }[];
      assert.equal(cases[cases.length - 1].when, undefined, `${row.name}: last case must be the catch-all`);
      for (const change of cases) if (change.mode !== "in-place") assert.ok(change.reason && change.reason.length > 20, `${row.name}: ${change.mode} needs a reason`);
    }
  });
});
