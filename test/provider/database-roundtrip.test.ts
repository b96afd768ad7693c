// For random valid declarations, create against the emulator, refresh, and diff: never any drift. The pure
// property test (test/unit/database-properties.test.ts) simulates the server's quirks; this one meets the
// emulator's own defaulting, so the two sides' readings of the reference are held against each other.
import assert from "node:assert/strict";
import fc from "fast-check";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { configure, providers } from "../../provider";
import { captureStderr, type StderrCapture } from "./support/stderr";

type Props = Record<string, unknown>;
const db = providers.Database;
const SEED = Number(process.env.FC_SEED ?? 20261128);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Declarations a user could write, each valid on a 3-node cluster (undefined = not declared). */
const declarationArb = fc
  .record({
    memoryMb: fc.integer({ min: 1, max: 2048 }),
    port: optional(fc.integer({ min: 10000, max: 19999 }).filter((port) => port !== 10050)),
    replication: optional(fc.boolean()),
    sharding: optional(fc.record({ shardsCount: fc.constantFrom(1, 2, 3, 4), customRegex: fc.boolean() })),
    proxyPolicy: optional(fc.constantFrom("single", "all-master-shards", "all-nodes")),
    persistence: optional(
      fc.oneof(
        fc.constant({ dataPersistence: "disabled" }),
        fc.record({ dataPersistence: fc.constant("aof"), aofPolicy: optional(fc.constantFrom("appendfsync-every-sec", "appendfsync-always")) }),
        fc.record({
          dataPersistence: fc.constant("snapshot"),
          snapshotPolicy: fc.uniqueArray(fc.record({ secs: fc.integer({ min: 1, max: 86400 }), writes: fc.integer({ min: 0, max: 1000 }) }), {
            minLength: 1,
            maxLength: 3,
            selector: (rule) => `${rule.secs}/${rule.writes}`,
          }),
        }),
      ),
    ),
    evictionPolicy: optional(fc.constantFrom("volatile-lru", "allkeys-lru", "noeviction", "volatile-ttl")),
    password: optional(fc.stringMatching(/^[A-Za-z0-9]{8,20}$/)),
    tlsMode: optional(fc.constantFrom("enabled", "disabled")),
    ossCluster: optional(fc.boolean()),
    resp3: optional(fc.boolean()),
    modules: optional(fc.subarray(["search", "ReJSON", "bf", "timeseries"], { minLength: 1 })),
    redisVersion: optional(fc.constantFrom("7.4", "8.0")),
    tags: optional(fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z0-9]{0,6}$/), { maxKeys: 3 })),
    dataInternodeEncryption: optional(fc.boolean()),
  })
  .map((d) => {
    const inputs: Props = { memorySize: `${d.memoryMb}MB` };
    const set = (key: string, value: unknown) => {
      if (value !== undefined) inputs[key] = value;
    };
    set("port", d.port);
    set("replication", d.replication);
    if (d.sharding) {
      inputs.sharding = true;
      inputs.shardsCount = d.sharding.shardsCount;
      if (d.sharding.customRegex) inputs.shardKeyRegex = ["(?<tag>.*)"];
    }
    set("proxyPolicy", d.proxyPolicy);
    if (d.persistence) Object.assign(inputs, Object.fromEntries(Object.entries(d.persistence).filter(([, v]) => v !== undefined)));
    set("evictionPolicy", d.evictionPolicy);
    set("password", d.password);
    set("tlsMode", d.tlsMode);
    set("resp3", d.resp3);
    set("redisVersion", d.redisVersion);
    set("tags", d.tags);
    set("dataInternodeEncryption", d.dataInternodeEncryption);
    if (d.modules) inputs.modules = d.modules.map((name) => ({ name }));
    // The OSS Cluster API needs a proxy on every master shard, the standard hashing and no TimeSeries.
    if (d.ossCluster === true && d.proxyPolicy !== "single" && !(d.sharding?.customRegex ?? false) && !d.modules?.includes("timeseries")) {
      inputs.ossCluster = true;
      inputs.proxyPolicy = d.proxyPolicy ?? "all-master-shards";
    } else if (d.ossCluster === false) {
      inputs.ossCluster = false;
    }
    return inputs;
  });

describe("Database create -> refresh -> diff against the emulator (fast-check)", function () {
  this.timeout(120_000);
  let cluster: EmulatedCluster;
  let stderr: StderrCapture;

  before(async () => {
    cluster = await startCluster({ nodes: 3, operationDelayMs: 5, keyBits: 1024 });
    await configure({ config: { get: () => undefined, require: () => "" } });
    stderr = captureStderr();
  });
  after(async () => {
    stderr?.stop();
    await cluster?.stop();
  });

  it("shows no changes after create for any valid combination of declared properties", async () => {
    const connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(declarationArb, async (declared) => {
        run += 1;
        const news = { ...declared, name: `roundtrip-${run}`, connection };
        const { inputs, failures } = await db.check!({}, news);
        assert.deepEqual(failures, [], `the generated declaration is invalid: ${JSON.stringify(declared)}`);
        const { id, outs } = await db.create(inputs as Props);
        try {
          const read = await db.read!(id, outs as Props);
          const diff = await db.diff!(id, read.props as Props, inputs as Props);
          assert.equal(diff.changes, false, `drift after create of ${JSON.stringify(declared)}: ${stderr.take()}`);
        } finally {
          await db.delete!(id, outs as Props);
        }
      }),
      { seed: SEED, numRuns: Number(process.env.FC_RUNS ?? 15) },
    );
  });
});
