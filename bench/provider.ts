// What the provider costs over the raw REST calls it stands for, measured in one run against one emulated
// cluster: a database's create-wait-delete cycle and a refresh (read), each done three ways:
//   raw      the minimal REST sequence with undici (POST, poll GET until active, DELETE, poll GET until 404),
//            polling on the same schedule as the provider's waiter (at once, then 200 ms doubling);
//   provider the Database provider's check + create + delete (validation, name lookup, waiter, read back);
//   host     the same through the real @pulumi/pulumi provider host over gRPC (as the engine drives it).
// Run: `npm run bench` (all benchmarks) or `node dist/bench/provider.js`.
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import { startCluster, type EmulatedCluster } from "../emulator";
import { configure, providers } from "../provider";
import { startProviderHost, serializeProvider, type ProviderHost } from "../test/engine/harness";
import { providerShim } from "../sdk/shim";

export interface ProviderBenchOptions {
  /** Cycles per variant. @default 20 */
  iterations?: number;
  /**
   * The emulator's asynchronous delay. Every variant polls on the same schedule (at once, then 200 ms doubling),
   * so with 500 ms each wait ends at the 600 ms poll whatever the variant: the cycle then shows whether the
   * provider adds time beyond the cluster's own, instead of which variant happened to catch a 0 ms flip on its
   * first poll. @default 500
   */
  operationDelayMs?: number;
}

export interface ProviderBenchRow {
  scenario: string;
  variant: "raw" | "provider" | "host";
  medianMs: number;
  p90Ms: number;
  ratioToRaw: number;
}

export interface ProviderBenchResult {
  iterations: number;
  operationDelayMs: number;
  rows: ProviderBenchRow[];
  /** REST requests one raw create-wait-delete cycle takes (the provider adds a name lookup and a read back). */
  rawRequestsPerCycle: number;
  serializedProviderBytes: number;
}

const PROJECT = "bench";
const URN = (name: string) => `urn:pulumi:bench::${PROJECT}::pulumi-nodejs:dynamic/redisenterprise:Database::${name}`;

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The raw REST baseline: the fewest calls that create, await, delete and await a database. */
class RawClient {
  private readonly agent: Agent;
  private readonly authorization: string;
  requests = 0;
  constructor(private readonly cluster: EmulatedCluster) {
    this.agent = new Agent({ connect: { ca: cluster.caCertPem } });
    this.authorization = `Basic ${Buffer.from(`${cluster.username}:${cluster.password}`).toString("base64")}`;
  }
  async call(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
    this.requests++;
    const answer = await request(`${this.cluster.nodes[0]!.url}${path}`, {
      method,
      dispatcher: this.agent,
      headers: { authorization: this.authorization, accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await answer.body.text();
    return { status: answer.statusCode, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  }
  async pollUntil(done: () => Promise<boolean>): Promise<void> {
    for (let wait = 200; !(await done()); wait = Math.min(wait * 2, 5000)) await new Promise((r) => setTimeout(r, wait));
  }
  async cycle(name: string): Promise<void> {
    const created = await this.call("POST", "/v1/bdbs", { name, type: "redis", memory_size: 104857600 });
    const uid = Number(created.json?.uid);
    await this.pollUntil(async () => (await this.call("GET", `/v1/bdbs/${uid}`)).json?.status === "active");
    await this.call("DELETE", `/v1/bdbs/${uid}`);
    await this.pollUntil(async () => (await this.call("GET", `/v1/bdbs/${uid}`)).status === 404);
  }
  close(): Promise<void> {
    return this.agent.close();
  }
}

async function measure(iterations: number, run: (i: number) => Promise<void>): Promise<{ medianMs: number; p90Ms: number }> {
  await run(-1); // warm-up: connections, JIT, the host's first deserialization
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run(i);
    samples.push(performance.now() - start);
  }
  return { medianMs: quantile(samples, 0.5), p90Ms: quantile(samples, 0.9) };
}

export async function runProviderBench(options: ProviderBenchOptions = {}): Promise<ProviderBenchResult> {
  const iterations = options.iterations ?? 10;
  const operationDelayMs = options.operationDelayMs ?? 500;
  const cluster = await startCluster({ nodes: 3, operationDelayMs, keyBits: 1024 });
  const raw = new RawClient(cluster);
  let host: ProviderHost | undefined;
  const connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
  const rows: ProviderBenchRow[] = [];
  const quiet = process.stderr.write.bind(process.stderr);
  try {
    await configure({ config: { get: () => undefined, require: () => "" } });
    const shimText = await serializeProvider(providerShim("Database"));
    host = await startProviderHost({ project: PROJECT, config: {} });
    await host.configure({});
    const db = providers.Database;
    // The provider prints progress lines; they are not what is measured.
    process.stderr.write = (() => true) as typeof process.stderr.write;

    const cycleRaw = await measure(iterations, (i) => raw.cycle(`raw-${i + 1}`));
    raw.requests = 0;
    await raw.cycle("raw-count");
    const rawRequestsPerCycle = raw.requests;

    const cycleProvider = await measure(iterations, async (i) => {
      const { inputs } = await db.check!({}, { name: `prov-${i + 1}`, memorySize: "100MB", connection });
      const { id, outs } = await db.create(inputs);
      await db.delete!(id, outs);
    });
    const cycleHost = await measure(iterations, async (i) => {
      const news = { name: `host-${i + 1}`, memorySize: "100MB", connection, __provider: shimText };
      const urn = URN(`host-${i + 1}`);
      const { inputs } = await host!.check(urn, {}, news);
      const { id, properties } = await host!.create(urn, inputs);
      await host!.delete(id, urn, properties, inputs);
    });
    const cycle = "create, wait active, delete, wait gone";
    rows.push({ scenario: cycle, variant: "raw", ...cycleRaw, ratioToRaw: 1 });
    rows.push({ scenario: cycle, variant: "provider", ...cycleProvider, ratioToRaw: cycleProvider.medianMs / cycleRaw.medianMs });
    rows.push({ scenario: cycle, variant: "host", ...cycleHost, ratioToRaw: cycleHost.medianMs / cycleRaw.medianMs });

    // Refresh of one existing database.
    const { inputs } = await db.check!({}, { name: "refreshed", memorySize: "100MB", connection });
    const { id, outs } = await db.create(inputs);
    const readRaw = await measure(iterations * 10, async () => {
      await raw.call("GET", `/v1/bdbs/${id}`);
    });
    const readProvider = await measure(iterations * 10, async () => {
      await db.read!(id, outs);
    });
    const stored = { ...outs, __provider: shimText };
    const readHost = await measure(iterations * 10, async () => {
      await host!.read(id, URN("refreshed"), stored, inputs);
    });
    const read = "refresh (read) of one database";
    rows.push({ scenario: read, variant: "raw", ...readRaw, ratioToRaw: 1 });
    rows.push({ scenario: read, variant: "provider", ...readProvider, ratioToRaw: readProvider.medianMs / readRaw.medianMs });
    rows.push({ scenario: read, variant: "host", ...readHost, ratioToRaw: readHost.medianMs / readRaw.medianMs });
    await db.delete!(id, outs);
    return { iterations, operationDelayMs, rows, rawRequestsPerCycle, serializedProviderBytes: shimText.length };
  } finally {
    process.stderr.write = quiet;
    await host?.stop();
    await raw.close();
    await cluster.stop();
  }
}

export function formatProviderBench(result: ProviderBenchResult): string {
  const lines = [
    `Provider overhead against raw REST calls (${result.iterations} cycles and ${result.iterations * 10} reads per variant, emulator operation delay ${result.operationDelayMs} ms, medians):`,
    "",
    "| scenario | variant | median ms | p90 ms | ratio to raw |",
    "| --- | --- | ---: | ---: | ---: |",
    ...result.rows.map((row) => `| ${row.scenario} | ${row.variant} | ${row.medianMs.toFixed(1)} | ${row.p90Ms.toFixed(1)} | ${row.ratioToRaw.toFixed(2)} |`),
    "",
    `A raw cycle took ${result.rawRequestsPerCycle} REST requests.`,
    `Serialized provider (\`__provider\`) per resource: ${result.serializedProviderBytes} bytes.`,
  ];
  return lines.join("\n");
}

if (require.main === module) {
  runProviderBench().then(
    (result) => console.log(formatProviderBench(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
