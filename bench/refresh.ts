// Refresh at stack scale: 10, 100 and 500 databases read through the real @pulumi/pulumi provider host over gRPC,
// all at once as the engine's refresh issues them, against one raw GET /v1/bdbs (the list of every database) on
// the same emulator in the same run. REST calls are counted at the emulator, bytes at a relay in front of it
// (bench/support.ts).
//
// Rows per size:
//   raw list       one GET /v1/bdbs: the least a client can do to learn every database's state;
//   raw per uid    GET /v1/bdbs/{uid} for every database at once (what one read per resource costs on the wire);
//   host check     a Check of every resource at once through the host: no REST at all, so its time is the host's
//                  own per-resource cost (gRPC, Struct conversion, the serialized provider), the overhead the goal
//                  allows on top of the list call;
//   host refresh   a Read of every resource at once through the host.
// The goal: host refresh <= 1.5 x raw list + host check, in time; calls and bytes as ratios to the list call.
// Run: `npm run bench -- refresh` or `node dist/bench/refresh.js [sizes...]`.
import { startCluster } from "../emulator";
import { providerShim } from "../sdk/shim";
import { startProviderHost, serializeProvider, type ProviderHost, type PropertyMap } from "../test/engine/harness";
import { EmulatorMeter, RawRest, inParallel, machineLine, median, type Counts } from "./support";

export interface RefreshBenchOptions {
  /** Stack sizes (databases). @default [10, 100, 500] */
  sizes?: number[];
  /** Repetitions per row; the median is reported. @default 3 */
  repetitions?: number;
}

export interface RefreshRow {
  size: number;
  variant: string;
  ms: number;
  calls: number;
  bytes: number;
}

export interface RefreshSummary {
  size: number;
  /** host refresh time / raw list time. */
  timeRatio: number;
  /** (host refresh time - host check time) / raw list time: the goal is <= 1.5. */
  timeRatioBeyondHost: number;
  callsRatio: number;
  bytesRatio: number;
}

export interface RefreshBenchResult {
  machine: string;
  repetitions: number;
  rows: RefreshRow[];
  summaries: RefreshSummary[];
}

/**
 * How many reads the engine runs at once by default: `pulumi refresh --help` of CLI v3.274.1 on the 2-core bench
 * machine says `--parallel` defaults to 8.
 */
const ENGINE_DEFAULT_PARALLEL = 8;

const URN = (name: string) => `urn:pulumi:bench::bench::pulumi-nodejs:dynamic/redisenterprise:Database::${name}`;

interface Resource {
  id: string;
  urn: string;
  properties: PropertyMap;
  inputs: PropertyMap;
}

async function measured(repetitions: number, meter: EmulatorMeter, work: () => Promise<unknown>): Promise<{ ms: number } & Counts> {
  await work(); // warm-up: connections, JIT
  const samples: Array<{ ms: number } & Counts> = [];
  for (let i = 0; i < repetitions; i++) {
    const { counts, ms } = await meter.count(work);
    samples.push({ ms, ...counts });
  }
  return { ms: median(samples.map((s) => s.ms)), calls: median(samples.map((s) => s.calls)), bytes: median(samples.map((s) => s.bytes)) };
}

export async function runRefreshBench(options: RefreshBenchOptions = {}): Promise<RefreshBenchResult> {
  const sizes = options.sizes ?? [10, 100, 500];
  const repetitions = options.repetitions ?? 3;
  const machine = machineLine();
  const cluster = await startCluster({ nodes: 3, operationDelayMs: 0, keyBits: 1024 });
  const meter = await new EmulatorMeter(cluster).start();
  const raw = new RawRest(meter.url, cluster);
  let host: ProviderHost | undefined;
  const rows: RefreshRow[] = [];
  const summaries: RefreshSummary[] = [];
  try {
    const connection = { url: meter.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    const shim = await serializeProvider(providerShim("Database"));
    host = await startProviderHost({ project: "bench", config: {} });
    await host.configure({});
    const resources: Resource[] = [];
    for (const size of sizes) {
      // Grow the stack to `size` databases (raw POSTs; the emulator makes them active at once).
      const names = Array.from({ length: size - resources.length }, (_, i) => `refresh-${resources.length + i + 1}`);
      const created = await inParallel(names, 20, async (name) => {
        const answer = await raw.call<{ uid: number }>("POST", "/v1/bdbs", { name, type: "redis", memory_size: 104857600 });
        if (answer.status !== 200) throw new Error(`creating ${name} answered ${answer.status}`);
        return { name, uid: String(answer.json!.uid) };
      });
      // What a stack holds for each: the outputs a first read gives, with the serialized provider.
      for (const { name, uid } of created) {
        const urn = URN(name);
        const inputs = { name, memorySize: "100MB", connection, __provider: shim };
        const read = await host.read(uid, urn, { uid: Number(uid), name, connection, __provider: shim }, inputs);
        resources.push({ id: uid, urn, properties: { ...read.properties, __provider: shim }, inputs: { ...(read.inputs ?? inputs), __provider: shim } });
      }
      const list = await measured(repetitions, meter, () => raw.call("GET", "/v1/bdbs"));
      const perUid = await measured(repetitions, meter, () => Promise.all(resources.map((r) => raw.call("GET", `/v1/bdbs/${r.id}`))));
      const check = await measured(repetitions, meter, () => Promise.all(resources.map((r) => host!.check(r.urn, r.inputs, r.inputs))));
      const refreshAt = (parallel: number) =>
        measured(repetitions, meter, async () => {
          const results = await inParallel(resources, parallel, (r) => host!.read(r.id, r.urn, r.properties, r.inputs));
          const lost = results.filter((result) => result.id === "").length;
          if (lost > 0) throw new Error(`${lost} databases read as gone`);
        });
      const refresh8 = await refreshAt(ENGINE_DEFAULT_PARALLEL);
      const refresh = await refreshAt(Number.MAX_SAFE_INTEGER);
      rows.push({ size, variant: "raw list", ...list });
      rows.push({ size, variant: "raw per uid", ...perUid });
      rows.push({ size, variant: "host check", ...check });
      rows.push({ size, variant: `host refresh, ${ENGINE_DEFAULT_PARALLEL} at a time`, ...refresh8 });
      rows.push({ size, variant: "host refresh, all at once", ...refresh });
      summaries.push({
        size,
        timeRatio: refresh.ms / list.ms,
        timeRatioBeyondHost: Math.max(0, refresh.ms - check.ms) / list.ms,
        callsRatio: refresh.calls / list.calls,
        bytesRatio: refresh.bytes / list.bytes,
      });
    }
    return { machine, repetitions, rows, summaries };
  } finally {
    await host?.stop();
    await raw.close();
    await meter.stop();
    await cluster.stop();
  }
}

export function formatRefreshBench(result: RefreshBenchResult): string {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  return [
    result.machine,
    "",
    `Refresh of every database at once (median of ${result.repetitions}; calls counted at the emulator, bytes at a relay in front of it):`,
    "",
    "| databases | variant | ms | REST calls | KiB on the wire |",
    "| ---: | --- | ---: | ---: | ---: |",
    ...result.rows.map((row) => `| ${row.size} | ${row.variant} | ${row.ms.toFixed(1)} | ${row.calls} | ${kib(row.bytes)} |`),
    "",
    "| databases | refresh time / list | (refresh - host check) / list (goal <= 1.5) | calls / list | bytes / list |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...result.summaries.map(
      (s) => `| ${s.size} | ${s.timeRatio.toFixed(2)} | ${s.timeRatioBeyondHost.toFixed(2)} | ${s.callsRatio.toFixed(2)} | ${s.bytesRatio.toFixed(2)} |`,
    ),
  ].join("\n");
}

if (require.main === module) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  runRefreshBench(sizes.length > 0 ? { sizes } : {}).then(
    (result) => console.log(formatRefreshBench(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
