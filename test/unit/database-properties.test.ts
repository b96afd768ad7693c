// Property-based tests (fast-check) over the Database table, where the input space is too large for examples:
// - create, then read back through a simulated server with the real server's quirks: never any drift;
// - for any two valid declarations, every difference is classified by the table, refusals carry their reason;
// - check never throws on arbitrary JSON, and never fails on the preview sentinel.
// The seed is fixed for reproducible CI (FC_SEED overrides it); fast-check prints seed and path on failure.
import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "mocha";
import { CLIENT_IMPACTS, type JsonObject, UNKNOWN_VALUE, isDisruptive } from "../../provider/core";
import {
  AOF_POLICIES,
  DATABASE_TABLE,
  DATA_PERSISTENCE_MODES,
  EVICTION_POLICIES,
  PROXY_POLICIES,
  STANDARD_SHARD_KEY_REGEX,
  TLS_MODES,
  type CheckedDatabaseInputs,
  type DatabaseInputs,
  type DatabaseOutputs,
  type LiveDatabase,
  checkDatabase,
  createPayload,
  databaseOutputs,
  diffDatabase,
  readDatabase,
} from "../../provider/database";
import { loadFixture, samplePem } from "./helpers";

const SEED = Number(process.env.FC_SEED ?? 20251014);
const RUNS = 300;
const settings = { seed: SEED, numRuns: RUNS };

// ---- A small simulated server: applies a create payload the way a real cluster answers GET /v1/bdbs/{uid}.

interface Quirks {
  /** The port the cluster picks when the payload has none (the top-level port then reads 0). */
  assignedPort: number;
  /** Numbers answered as strings, as some real fields are (rs-rest-api.md §6). */
  numbersAsStrings: boolean;
  /** Lists answered in another order. */
  reorderLists: boolean;
  /** Certificates answered with CRLF line ends. */
  crlfCertificates: boolean;
  /** The cluster policy for data_internode_encryption (applies when the payload omits it). */
  clusterIne: boolean;
  /** The cluster's default Redis version. */
  defaultVersion: "7.4" | "8.0";
}

const quirksArb: fc.Arbitrary<Quirks> = fc.record({
  assignedPort: fc.integer({ min: 10000, max: 19999 }).filter((port) => port !== 10050),
  numbersAsStrings: fc.boolean(),
  reorderLists: fc.boolean(),
  crlfCertificates: fc.boolean(),
  clusterIne: fc.boolean(),
  defaultVersion: fc.constantFrom("7.4" as const, "8.0" as const),
});

// Redis 8 databases get these modules whether asked for or not (bdb_single.json shows all four).
const BUNDLED_REDIS8_MODULES = ["search", "ReJSON", "timeseries", "bf"];
// The server's spelling of module names (the fixture says "ReJSON").
const SERVER_MODULE_NAMES: Record<string, string> = { rejson: "ReJSON", search: "search", timeseries: "timeseries", bf: "bf", graph: "graph" };

function fixtureBase(): Record<string, unknown> {
  const fixture = loadFixture("bdb_single.json");
  // Without the fixture, only the fields this provider reads are simulated.
  return fixture ? (JSON.parse(JSON.stringify(fixture)) as Record<string, unknown>) : {};
}
const BASE = fixtureBase();

function simulateServer(payload: JsonObject, quirks: Quirks): LiveDatabase {
  const number = (value: number) => (quirks.numbersAsStrings ? String(value) : value);
  const reorder = <T>(items: T[]) => (quirks.reorderLists ? [...items].reverse() : items);
  const has = (field: string) => Object.prototype.hasOwnProperty.call(payload, field);
  const sharding = payload.sharding === true;
  const proxyPolicy = has("proxy_policy") ? payload.proxy_policy : sharding ? "all-master-shards" : "single";
  const port = has("port") ? (payload.port as number) : quirks.assignedPort;
  const tlsMode = has("tls_mode") ? payload.tls_mode : "disabled";
  const redisVersion = has("redis_version") ? (payload.redis_version as string) : quirks.defaultVersion;
  const requested = ((payload.module_list as { module_name: string; module_args: string }[] | undefined) ?? []).map((module) => ({
    module_name: SERVER_MODULE_NAMES[module.module_name.toLowerCase()] ?? module.module_name,
    module_args: module.module_args,
  }));
  const modules = [...requested];
  if (redisVersion.startsWith("8.")) {
    for (const bundled of BUNDLED_REDIS8_MODULES) {
      if (!modules.some((module) => module.module_name.toLowerCase() === bundled.toLowerCase())) modules.push({ module_name: bundled, module_args: "" });
    }
  }
  const live: Record<string, unknown> = {
    ...BASE,
    uid: 1,
    status: "active",
    type: "redis",
    name: payload.name,
    memory_size: number(payload.memory_size as number),
    // A port chosen by the cluster reads 0 at the top level; the endpoint has the real one.
    port: has("port") ? number(port) : 0,
    endpoints: [{ addr: ["192.168.16.2"], addr_type: "external", dns_name: `redis-${port}.docker-cluster`, port, proxy_policy: proxyPolicy, uid: "1:1" }],
    replication: payload.replication ?? false,
    sharding,
    shards_count: number((payload.shards_count as number | undefined) ?? 1),
    shard_key_regex: payload.shard_key_regex ?? [],
    proxy_policy: proxyPolicy,
    data_persistence: payload.data_persistence ?? "disabled",
    aof_policy: payload.aof_policy ?? "appendfsync-every-sec",
    snapshot_policy: reorder(((payload.snapshot_policy as { secs: number; writes: number }[] | undefined) ?? []).map((rule) => ({ secs: number(rule.secs), writes: number(rule.writes) }))),
    eviction_policy: payload.eviction_policy ?? "volatile-lru",
    authentication_redis_pass: payload.authentication_redis_pass ?? "",
    tls_mode: tlsMode,
    authentication_ssl_client_certs: reorder(
      ((payload.authentication_ssl_client_certs as { client_cert: string }[] | undefined) ?? []).map((entry) => ({
        client_cert: quirks.crlfCertificates ? entry.client_cert.replace(/\n/g, "\r\n") : entry.client_cert,
      })),
    ),
    oss_cluster: payload.oss_cluster ?? false,
    resp3: payload.resp3 ?? true,
    module_list: reorder(modules.map((module, index) => ({ ...module, module_id: `id-${index}`, semantic_version: "8.0.1" }))),
    redis_version: redisVersion,
    version: `${redisVersion}.0`,
    data_internode_encryption: payload.data_internode_encryption ?? quirks.clusterIne,
  };
  // Without TLS the real answer has no enforce_client_authentication field at all.
  if (has("enforce_client_authentication")) live.enforce_client_authentication = payload.enforce_client_authentication;
  else if (tlsMode === "disabled") delete live.enforce_client_authentication;
  else live.enforce_client_authentication = "enabled";
  // A database without tags has no tags field in the real answer.
  const tags = (payload.tags as { key: string; value: string }[] | undefined) ?? [];
  if (tags.length > 0) live.tags = reorder(tags);
  else delete live.tags;
  return live;
}

// ---- Valid declarations.

const moduleArb = fc.record(
  { name: fc.constantFrom("search", "rejson", "ReJSON", "bf", "timeseries", "graph"), args: fc.constantFrom("", "MAXSEARCHRESULTS 100", "x y") },
  { requiredKeys: ["name"] },
);

const rawInputsArb = fc.record(
  {
    name: fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?$/),
    memorySize: fc.oneof(
      fc.integer({ min: 1, max: 2 ** 40 }),
      fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.constantFrom("MB", "GB", "MiB", "gb", "KB", "GiB")).map(([amount, unit]) => `${amount}${unit}`),
    ),
    port: fc.integer({ min: 10000, max: 19999 }).filter((port) => port !== 10050),
    replication: fc.boolean(),
    sharding: fc.boolean(),
    shardsCount: fc.integer({ min: 1, max: 512 }),
    shardKeyRegex: fc.array(fc.stringMatching(/^[a-z:]{0,6}$/).map((prefix) => `${prefix}(?<tag>.*)`), { minLength: 1, maxLength: 3 }),
    proxyPolicy: fc.constantFrom(...PROXY_POLICIES),
    dataPersistence: fc.constantFrom(...DATA_PERSISTENCE_MODES),
    aofPolicy: fc.constantFrom(...AOF_POLICIES),
    snapshotPolicy: fc.array(fc.record({ secs: fc.integer({ min: 1, max: 86400 }), writes: fc.integer({ min: 0, max: 10000 }) }), { maxLength: 3 }),
    evictionPolicy: fc.constantFrom(...EVICTION_POLICIES),
    password: fc.string({ maxLength: 12 }),
    tlsMode: fc.constantFrom(...TLS_MODES),
    enforceClientAuthentication: fc.boolean(),
    clientCertificates: fc.uniqueArray(fc.constantFrom("a", "b", "c", "d"), { maxLength: 3 }).map((seeds) => seeds.map((seed) => samplePem(seed))),
    ossCluster: fc.boolean(),
    resp3: fc.boolean(),
    modules: fc.uniqueArray(moduleArb, { selector: (module) => module.name.toLowerCase(), maxLength: 3 }),
    redisVersion: fc.constantFrom("6.2", "7.2", "7.4", "8.0"),
    tags: fc.oneof(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 4 }),
      fc.uniqueArray(fc.record({ key: fc.string({ minLength: 1, maxLength: 6 }), value: fc.string({ maxLength: 6 }) }), { selector: (tag) => tag.key, maxLength: 4 }),
    ),
    dataInternodeEncryption: fc.boolean(),
  },
  { requiredKeys: ["name", "memorySize"] },
);

/** Adjusts a random declaration so it satisfies the rules between properties (as a careful user would). */
function repair(raw: Record<string, unknown>): DatabaseInputs {
  const inputs = { ...raw } as DatabaseInputs & Record<string, unknown>;
  if (inputs.shardKeyRegex !== undefined || (inputs.shardsCount ?? 1) > 1) inputs.sharding = true;
  if (inputs.ossCluster === true) {
    if (inputs.proxyPolicy === "single") inputs.proxyPolicy = "all-master-shards";
    if (inputs.shardKeyRegex !== undefined) inputs.shardKeyRegex = [...STANDARD_SHARD_KEY_REGEX];
    if (inputs.modules) inputs.modules = inputs.modules.filter((module) => module.name !== "timeseries");
  }
  if (inputs.aofPolicy !== undefined || inputs.dataPersistence === "aof") {
    inputs.dataPersistence = "aof";
    delete inputs.snapshotPolicy;
  } else if (inputs.snapshotPolicy !== undefined || inputs.dataPersistence === "snapshot") {
    inputs.dataPersistence = "snapshot";
    if (!inputs.snapshotPolicy || inputs.snapshotPolicy.length === 0) inputs.snapshotPolicy = [{ secs: 3600, writes: 1 }];
  }
  if (inputs.enforceClientAuthentication === true) {
    inputs.tlsMode = "enabled";
    if (!inputs.clientCertificates || inputs.clientCertificates.length === 0) inputs.clientCertificates = [samplePem("enforced")];
  }
  return inputs;
}

const validInputsArb: fc.Arbitrary<CheckedDatabaseInputs> = rawInputsArb.map((raw) => {
  const result = checkDatabase({}, repair(raw));
  if (result.failures.length > 0) throw new Error(`the generator made an invalid declaration: ${JSON.stringify(result.failures)}`);
  return result.inputs;
});

/** The outputs after creating `inputs` on a simulated server, then refreshing once. */
function createdOutputs(inputs: CheckedDatabaseInputs, quirks: Quirks): DatabaseOutputs {
  const live = simulateServer(createPayload(inputs), quirks);
  return readDatabase(live, databaseOutputs(live, inputs));
}

// ---- An independent oracle for "differs" and "refused", written from the reference, not from the table.

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${sortedJson((value as Record<string, unknown>)[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const asSet = (items: unknown[]) => items.map(sortedJson).sort().join("|");
const pemKey = (pem: string) => pem.replace(/\s+/g, "");

function differs(property: string, live: unknown, declared: unknown): boolean {
  if (live === undefined) return true;
  switch (property) {
    case "modules": {
      const liveModules = live as { name: string; args?: string }[];
      return !(declared as { name: string; args?: string }[]).every((module) => {
        const match = liveModules.find((candidate) => candidate.name.toLowerCase() === module.name.toLowerCase());
        return match !== undefined && (module.args === undefined || module.args === (match.args ?? ""));
      });
    }
    case "snapshotPolicy":
      return asSet(live as unknown[]) !== asSet(declared as unknown[]);
    case "clientCertificates":
      return (live as string[]).map(pemKey).sort().join() !== (declared as string[]).map(pemKey).sort().join();
    default:
      return sortedJson(live) !== sortedJson(declared);
  }
}

function expectedMode(property: string, live: unknown, declared: unknown): "in-place" | "replace" | "refused" {
  switch (property) {
    case "port":
      return "replace";
    case "modules":
    case "redisVersion":
      return "refused";
    case "sharding":
      return live === true && declared === false ? "refused" : "in-place";
    case "shardsCount":
      return typeof live === "number" && ((declared as number) < live || (declared as number) % live !== 0) ? "refused" : "in-place";
    default:
      return "in-place";
  }
}

const ROW_NAMES = DATABASE_TABLE.rows.map((row) => row.name);

describe("Database table properties (fast-check)", () => {
  it("create, then read back through the server's quirks: no drift, before and after a refresh", () => {
    fc.assert(
      fc.property(validInputsArb, quirksArb, (inputs, quirks) => {
        const live = simulateServer(createPayload(inputs), quirks);
        const afterCreate = databaseOutputs(live, inputs);
        assert.deepEqual(diffDatabase(afterCreate, inputs).changed, []);
        const refreshed = readDatabase(live, afterCreate);
        const diff = diffDatabase(refreshed, inputs);
        assert.equal(diff.changes, false, JSON.stringify(diff.changed));
        assert.deepEqual(refreshed.managedProperties, ROW_NAMES.filter((name) => (inputs as Record<string, unknown>)[name] !== undefined));
      }),
      settings,
    );
  });

  it("for any two valid declarations, every difference is classified by the table and refusals carry their reason", () => {
    fc.assert(
      fc.property(validInputsArb, validInputsArb, quirksArb, (first, second, quirks) => {
        const outputs = createdOutputs(first, quirks) as unknown as Record<string, unknown>;
        const diff = diffDatabase(outputs, second);
        const declared = ROW_NAMES.filter((name) => (second as Record<string, unknown>)[name] !== undefined);
        const expected = declared.filter((name) => differs(name, outputs[name], (second as Record<string, unknown>)[name]));
        assert.deepEqual(diff.changed.map((change) => change.property), expected);
        for (const change of diff.changed) {
          const row = DATABASE_TABLE.rows.find((candidate) => candidate.name === change.property);
          assert.ok(row, change.property);
          assert.ok(CLIENT_IMPACTS.includes(change.impact));
          assert.equal(change.mode, expectedMode(change.property, outputs[change.property], (second as Record<string, unknown>)[change.property]), change.property);
          const cases = row.changes as readonly { mode: string; reason?: string }[];
          if (change.mode !== "in-place") assert.ok(cases.some((rule) => rule.mode === change.mode && rule.reason === change.reason), `${change.property}: reason from the table`);
        }
        const refusedNames = diff.changed.filter((change) => change.mode === "refused").map((change) => change.property);
        assert.deepEqual(diff.refused.map((refusal) => refusal.property), refusedNames);
        for (const refusal of diff.refused) {
          const change = diff.changed.find((candidate) => candidate.property === refusal.property);
          assert.ok(change?.reason && refusal.reason.endsWith(`cannot be applied: ${change.reason}`));
        }
        assert.equal(diff.refusalMessage !== undefined, refusedNames.length > 0);
        assert.deepEqual(diff.replaces, diff.changed.filter((change) => change.mode === "replace").map((change) => change.property));
        assert.equal(diff.deleteBeforeReplace, diff.replaces.length > 0);
        assert.equal(diff.notes.length, diff.changed.filter((change) => change.impact !== "none" && change.mode !== "refused").length);
        const deny = diffDatabase(outputs, { ...second, disruptionPolicy: "deny" });
        assert.deepEqual(
          deny.blocked.map((failure) => failure.property),
          diff.changed.filter((change) => change.mode !== "refused" && isDisruptive(change.impact)).map((change) => change.property),
        );
        // A secret value never appears anywhere in what diff returns.
        const password = (second as Record<string, unknown>).password;
        if (typeof password === "string" && password.length >= 4) assert.equal(JSON.stringify(diff).includes(password), false);
      }),
      settings,
    );
  });

  it("check never throws on arbitrary JSON, on either side", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (olds, news) => {
        const result = checkDatabase(olds as Record<string, unknown>, news as Record<string, unknown>);
        assert.ok(Array.isArray(result.failures));
        for (const failure of result.failures) assert.equal(typeof failure.reason, "string");
      }),
      { ...settings, numRuns: 500 },
    );
  });

  it("check never throws on arbitrary values for each property", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ROW_NAMES), fc.anything(), (name, value) => {
        const result = checkDatabase({ name: "orders", memorySize: 1 }, { name: "orders", memorySize: 1, [name]: value, disruptionPolicy: "deny" });
        for (const failure of result.failures) assert.ok(failure.reason.length > 0);
      }),
      settings,
    );
  });

  it("check never fails on the preview sentinel, wherever it appears, and diff then flags a possible change", () => {
    fc.assert(
      fc.property(validInputsArb, fc.func(fc.boolean()), quirksArb, (inputs, pick, quirks) => {
        const outputs = createdOutputs(inputs, quirks);
        const withUnknowns: Record<string, unknown> = { ...inputs };
        const replaced: string[] = [];
        for (const name of ROW_NAMES) {
          const value = withUnknowns[name];
          if (value === undefined || !pick(name)) continue;
          // Lists get the sentinel inside, scalars as themselves.
          withUnknowns[name] = Array.isArray(value) && value.length > 0 ? [UNKNOWN_VALUE, ...value.slice(1)] : UNKNOWN_VALUE;
          replaced.push(name);
        }
        const result = checkDatabase(inputs, withUnknowns, { defaultDisruptionPolicy: "deny" });
        assert.deepEqual(result.failures, []);
        for (const name of replaced) assert.equal((result.inputs as Record<string, unknown>)[name], UNKNOWN_VALUE);
        const diff = diffDatabase(outputs, result.inputs);
        assert.deepEqual(diff.changed.filter((change) => change.unknown).map((change) => change.property), replaced);
        assert.equal(diff.changes, replaced.length > 0);
        assert.deepEqual(diff.blocked, []);
      }),
      settings,
    );
  });
});
