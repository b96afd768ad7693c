// A refresh's read asks the cluster for only the fields it uses (`?fields=`, DATABASE_READ_FIELDS): every field the
// read's mapping touches must be in that list, or a refresh would show a property as unset (and as drift) that
// is set. Held two ways: on live objects (the real cluster's answer and variants of it that take every branch of
// the table's fromRest), the fields touched are in the list and the outputs from only those fields equal the
// outputs from the whole object; and on the emulator, the read sends `fields=` and gives what the whole object
// gives.
import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { configure, providers } from "../../provider";
import { DATABASE_READ_FIELDS, readDatabase } from "../../provider/database/logic";
import { DATABASE_TABLE } from "../../provider/database/table";
import { RsClient, type Connection } from "../../provider/rest";
import { fixturesDir } from "../unit/helpers";
import { captureStderr, type StderrCapture } from "./support/stderr";

type Live = Record<string, unknown>;

const realBdb = (): Live => JSON.parse(readFileSync(join(fixturesDir(), "bdb_single.json"), "utf8")) as Live;

/** The real answer, and variants that take the table's other branches (each row's fromRest). */
function liveVariants(): Array<{ name: string; live: Live }> {
  const real = realBdb();
  const endpoint = (real.endpoints as Live[])[0]!;
  return [
    { name: "the real cluster's bdb", live: real },
    {
      name: "TLS with client certificates, sharded with rules, modules, tags, persistence",
      live: {
        ...real,
        tls_mode: "enabled",
        enforce_client_authentication: "enabled",
        authentication_ssl_client_certs: [{ client_cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }],
        sharding: true,
        shards_count: 2,
        shard_key_regex: [{ regex: ".*\\{(?<tag>.*)\\}.*" }, { regex: "(?<tag>.*)" }],
        module_list: [{ module_name: "search", module_args: "", semantic_version: "2.8.4" }],
        tags: [{ key: "team", value: "payments" }],
        data_persistence: "aof",
        aof_policy: "appendfsync-always",
        snapshot_policy: [{ secs: 3600, writes: 1 }],
        authentication_redis_pass: "a-secret",
        data_internode_encryption: true,
      },
    },
    {
      name: "port only at the top level, proxy policy only on the endpoint, version without redis_version",
      live: (() => {
        const variant: Live = { ...real, port: 12000, endpoints: [{ ...endpoint, port: 0, proxy_policy: "all-nodes" }], version: "7.2.0" };
        delete variant.proxy_policy;
        delete variant.redis_version;
        return variant;
      })(),
    },
    { name: "a minimal bdb (most fields absent)", live: { uid: 7, name: "bare", status: "active", memory_size: 104857600 } },
  ];
}

/** Previous outputs that manage every property of the table, so every row reads its value. */
const everythingManaged = { managedProperties: DATABASE_TABLE.rows.map((row) => row.name), lastUpdateImpacts: [] };

/** A proxy that records every top-level field read, and refuses enumeration (which would need every field). */
function recording(live: Live, touched: Set<string>): Live {
  return new Proxy(live, {
    get(target, key) {
      if (typeof key === "string") touched.add(key);
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (typeof key === "string") touched.add(key);
      return Reflect.has(target, key);
    },
    ownKeys() {
      throw new Error("the read enumerated the whole bdb object: it cannot ask for only some fields");
    },
  });
}

const pick = (live: Live, fields: readonly string[]): Live => Object.fromEntries(fields.filter((field) => field in live).map((field) => [field, live[field]]));

describe("Database read: only the fields it uses", () => {
  it("names each field once, with uid, status, endpoints and every row's field", () => {
    assert.equal(new Set(DATABASE_READ_FIELDS).size, DATABASE_READ_FIELDS.length);
    for (const field of ["uid", "status", "endpoints", "version", ...DATABASE_TABLE.rows.map((row) => row.restField)]) {
      assert.ok(DATABASE_READ_FIELDS.includes(field), `${field} is read`);
    }
    assert.ok(DATABASE_READ_FIELDS.length < Object.keys(realBdb()).length / 3, "far fewer than the real bdb's keys");
  });

  for (const { name, live } of liveVariants()) {
    it(`touches no field outside the list, and gives the same outputs from those fields alone: ${name}`, () => {
      const touched = new Set<string>();
      const whole = readDatabase(recording(live, touched) as never, everythingManaged);
      const outside = [...touched].filter((field) => !DATABASE_READ_FIELDS.includes(field));
      assert.deepEqual(outside, [], "fields the read uses but does not ask for");
      assert.deepEqual(readDatabase(pick(live, DATABASE_READ_FIELDS) as never, everythingManaged), whole);
    });
  }
});

describe("Database read against the emulator: asks for only its fields", function () {
  this.timeout(60_000);
  let cluster: EmulatedCluster;
  let connection: Connection;
  let stderr: StderrCapture;

  before(async () => {
    cluster = await startCluster({ nodes: 3, operationDelayMs: 0, keyBits: 1024 });
    connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    await configure({ config: { get: () => undefined, require: () => undefined as unknown as string } });
  });
  after(async () => {
    await cluster?.stop();
  });
  beforeEach(() => (stderr = captureStderr()));
  afterEach(() => stderr.stop());

  it("sends fields= on the list and on the single GETs, and gives the outputs of the whole object", async () => {
    const client = new RsClient(connection);
    const stack: Array<{ id: string; whole: Live }> = [];
    try {
      for (let i = 0; i < 6; i++) {
        const created = await client.post<{ uid: number }>("/v1/bdbs", {
          name: `fields-${i}`,
          type: "redis",
          memory_size: 104857600 * (i + 1),
          replication: i % 2 === 0,
          sharding: true,
          shards_count: 2,
          shard_key_regex: [{ regex: ".*\\{(?<tag>.*)\\}.*" }, { regex: "(?<tag>.*)" }],
          eviction_policy: "allkeys-lru",
          data_persistence: "snapshot",
          snapshot_policy: [{ secs: 600, writes: 10 }],
          tls_mode: i === 0 ? "enabled" : "disabled",
          tags: [{ key: "index", value: String(i) }],
        });
        stack.push({ id: String(created.uid), whole: {} });
      }
    } finally {
      await client.close();
    }
    // Single GETs (one read at a time), then a list (all at once); every one must carry the fields. Requests are
    // seen as undici creates them (its diagnostics channel), with the path and query as sent.
    const paths: string[] = [];
    const onRequest = (message: unknown) => paths.push((message as { request: { path: string } }).request.path);
    diagnosticsChannel.subscribe("undici:request:create", onRequest);
    try {
      const props = (id: string) => ({ uid: Number(id), name: "", connection, managedProperties: everythingManaged.managedProperties });
      const oneByOne: unknown[] = [];
      for (const { id } of stack) oneByOne.push((await providers.Database.read!(id, props(id))).props);
      const together = (await Promise.all(stack.map(({ id }) => providers.Database.read!(id, props(id))))).map((read) => read.props);
      diagnosticsChannel.unsubscribe("undici:request:create", onRequest);
      const reads = paths.filter((path) => /^\/v1\/bdbs(\/[0-9]+)?(\?|$)/.test(path));
      assert.ok(reads.some((path) => path.startsWith("/v1/bdbs?")), `the reads together shared a list: ${reads.join(" ")}`);
      assert.ok(reads.filter((path) => /^\/v1\/bdbs\/[0-9]+/.test(path)).length >= stack.length, "the reads one by one sent their own GETs");
      const fields = `fields=${encodeURIComponent(DATABASE_READ_FIELDS.join(","))}`;
      assert.deepEqual(reads.filter((path) => !path.endsWith(`?${fields}`)), [], "every GET of the read asked for only its fields");
      const full = new RsClient(connection);
      try {
        for (const [index, { id }] of stack.entries()) {
          const whole = await full.get<Live>(`/v1/bdbs/${id}`);
          const expected = readDatabase(whole as never, { ...props(id), lastUpdateImpacts: [] }) as unknown as Record<string, unknown>;
          for (const got of [oneByOne[index], together[index]] as Array<Record<string, unknown>>) {
            for (const [key, value] of Object.entries(expected)) assert.deepEqual(got[key], value, `${key} of database ${id}`);
          }
        }
      } finally {
        await full.close();
      }
    } finally {
      diagnosticsChannel.unsubscribe("undici:request:create", onRequest);
    }
  });
});
