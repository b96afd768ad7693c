// Create, update and delete of 50 databases through the real @pulumi/pulumi provider host, against the minimal
// raw REST sequence doing the same work on the same emulator in the same run:
//   create  raw: POST /v1/bdbs, poll GET /v1/bdbs/{uid} until active;  host: Check, Create
//   update  raw: PUT /v1/bdbs/{uid} (memory_size), poll until active;   host: Check, Diff, Update
//   delete  raw: DELETE /v1/bdbs/{uid}, poll until 404;                  host: Delete
// Both run at most 8 resources at a time, the engine's default --parallel on the bench machine (2 cores), and
// the raw polls follow the provider waiter's schedule (at once, then 200 ms doubling to its cap), so the ratio
// shows what the provider adds (validation, the name lookup before a create, action polls, gRPC), not a different
// polling rhythm. Calls are counted at the emulator, bytes at a relay in front of it (bench/support.ts).
// Run: `npm run bench -- crud` or `node dist/bench/crud.js [databases] [operationDelayMs]`.
import { startCluster } from "../emulator";
import { DEFAULT_INITIAL_INTERVAL_MS, DEFAULT_MAX_INTERVAL_MS } from "../provider/rest";
import { providerShim } from "../sdk/shim";
import { startProviderHost, serializeProvider, type PropertyMap, type ProviderHost } from "../test/engine/harness";
import { EmulatorMeter, RawRest, inParallel, machineLine, type Counts } from "./support";

export interface CrudBenchOptions {
  /** @default 50 */
  databases?: number;
  /** The emulator's time to finish each change. @default 1000 */
  operationDelayMs?: number;
  /** Resources at a time. @default 8 (the engine's default --parallel on 2 cores) */
  parallel?: number;
}

export interface CrudRow {
  phase: "create" | "update" | "delete";
  variant: "raw" | "host";
  ms: number;
  calls: number;
  bytes: number;
}

export interface CrudBenchResult {
  machine: string;
  databases: number;
  operationDelayMs: number;
  parallel: number;
  rows: CrudRow[];
}

const URN = (name: string) => `urn:pulumi:bench::bench::pulumi-nodejs:dynamic/redisenterprise:Database::${name}`;
const MB100 = 104857600;

export async function runCrudBench(options: CrudBenchOptions = {}): Promise<CrudBenchResult> {
  const databases = options.databases ?? 50;
  const operationDelayMs = options.operationDelayMs ?? 1_000;
  const parallel = options.parallel ?? 8;
  const machine = machineLine();
  const cluster = await startCluster({ nodes: 3, operationDelayMs, keyBits: 1024 });
  const meter = await new EmulatorMeter(cluster).start();
  const raw = new RawRest(meter.url, cluster);
  let host: ProviderHost | undefined;
  const rows: CrudRow[] = [];
  const poll = (done: () => Promise<boolean>) => raw.pollUntil(done, DEFAULT_INITIAL_INTERVAL_MS, DEFAULT_MAX_INTERVAL_MS);
  const record = (phase: CrudRow["phase"], variant: CrudRow["variant"], ms: number, counts: Counts) => rows.push({ phase, variant, ms, ...counts });
  try {
    const connection = { url: meter.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    const shim = await serializeProvider(providerShim("Database"));
    host = await startProviderHost({ project: "bench", config: {} });
    await host.configure({});
    const indexes = Array.from({ length: databases }, (_, i) => i + 1);

    // Warm-up of both paths (connections, the host's first load of the provider), not measured.
    const warm = await raw.call<{ uid: number }>("POST", "/v1/bdbs", { name: "warm-raw", type: "redis", memory_size: MB100 });
    await poll(async () => (await raw.call("GET", `/v1/bdbs/${warm.json!.uid}`)).json?.status === "active");
    await raw.call("DELETE", `/v1/bdbs/${warm.json!.uid}`);
    const warmHost = await host.check(URN("warm-host"), {}, { name: "warm-host", memorySize: "100MB", connection, __provider: shim });
    const warmed = await host.create(URN("warm-host"), warmHost.inputs);
    await host.delete(warmed.id, URN("warm-host"), warmed.properties, warmHost.inputs);

    // Raw.
    const rawUids: number[] = [];
    const rawCreate = await meter.count(() =>
      inParallel(indexes, parallel, async (i) => {
        const created = await raw.call<{ uid: number }>("POST", "/v1/bdbs", { name: `raw-${i}`, type: "redis", memory_size: MB100 });
        const uid = created.json!.uid;
        rawUids.push(uid);
        await poll(async () => (await raw.call("GET", `/v1/bdbs/${uid}`)).json?.status === "active");
      }),
    );
    record("create", "raw", rawCreate.ms, rawCreate.counts);
    const rawUpdate = await meter.count(() =>
      inParallel(rawUids, parallel, async (uid) => {
        await raw.call("PUT", `/v1/bdbs/${uid}`, { memory_size: 2 * MB100 });
        await poll(async () => (await raw.call("GET", `/v1/bdbs/${uid}`)).json?.status === "active");
      }),
    );
    record("update", "raw", rawUpdate.ms, rawUpdate.counts);
    const rawDelete = await meter.count(() =>
      inParallel(rawUids, parallel, async (uid) => {
        await raw.call("DELETE", `/v1/bdbs/${uid}`);
        await poll(async () => (await raw.call("GET", `/v1/bdbs/${uid}`)).status === 404);
      }),
    );
    record("delete", "raw", rawDelete.ms, rawDelete.counts);

    // Through the host, as the engine drives a create, an update and a delete.
    interface Created {
      urn: string;
      id: string;
      inputs: PropertyMap;
      outputs: PropertyMap;
    }
    const created: Created[] = [];
    const hostCreate = await meter.count(() =>
      inParallel(indexes, parallel, async (i) => {
        const urn = URN(`host-${i}`);
        const { inputs, failures } = await host!.check(urn, {}, { name: `host-${i}`, memorySize: "100MB", connection, __provider: shim });
        if (failures.length > 0) throw new Error(`check failed: ${JSON.stringify(failures)}`);
        const { id, properties } = await host!.create(urn, inputs);
        created.push({ urn, id, inputs, outputs: properties });
      }),
    );
    record("create", "host", hostCreate.ms, hostCreate.counts);
    const hostUpdate = await meter.count(() =>
      inParallel(created, parallel, async (resource) => {
        const news = { ...resource.inputs, memorySize: "200MB" };
        const { inputs } = await host!.check(resource.urn, resource.inputs, news);
        const diff = await host!.diff(resource.id, resource.urn, resource.outputs, inputs, resource.inputs);
        if (diff.changes !== "DIFF_SOME") throw new Error(`expected a change, diff said ${diff.changes}`);
        const { properties } = await host!.update(resource.id, resource.urn, resource.outputs, inputs, resource.inputs);
        resource.inputs = inputs;
        resource.outputs = properties;
      }),
    );
    record("update", "host", hostUpdate.ms, hostUpdate.counts);
    const hostDelete = await meter.count(() =>
      inParallel(created, parallel, (resource) => host!.delete(resource.id, resource.urn, resource.outputs, resource.inputs)),
    );
    record("delete", "host", hostDelete.ms, hostDelete.counts);
    return { machine, databases, operationDelayMs, parallel, rows };
  } finally {
    await host?.stop();
    await raw.close();
    await meter.stop();
    await cluster.stop();
  }
}

export function formatCrudBench(result: CrudBenchResult): string {
  const rawOf = (phase: CrudRow["phase"]) => result.rows.find((row) => row.phase === phase && row.variant === "raw")!;
  return [
    result.machine,
    "",
    `${result.databases} databases, ${result.parallel} at a time, emulator operation delay ${result.operationDelayMs} ms (wall time of each phase; calls counted at the emulator, bytes at a relay in front of it):`,
    "",
    "| phase | variant | ms | REST calls | KiB on the wire | time ratio to raw (goal <= 1.2) |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
    ...result.rows.map((row) => {
      const base = rawOf(row.phase);
      return `| ${row.phase} | ${row.variant} | ${row.ms.toFixed(0)} | ${row.calls} | ${(row.bytes / 1024).toFixed(1)} | ${(row.ms / base.ms).toFixed(2)} |`;
    }),
  ].join("\n");
}

if (require.main === module) {
  const [databases, operationDelayMs] = process.argv.slice(2).map(Number);
  runCrudBench({
    ...(Number.isInteger(databases) && databases! > 0 ? { databases } : {}),
    ...(Number.isFinite(operationDelayMs) && operationDelayMs! >= 0 ? { operationDelayMs } : {}),
  }).then(
    (result) => console.log(formatCrudBench(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
