// Benchmark of the emulator on loopback over HTTPS with keep-alive (undici): how many requests per second it
// sustains for GET /v1/bdbs with 10 databases, and how many full create -> active -> delete -> gone cycles.
// Run: npm run build && node dist/bench/emulator.js  (or call runEmulatorBench() from a bench runner).
import { cpus } from "node:os";
import { Pool } from "undici";
import { startCluster, type EmulatedCluster } from "../emulator";

export interface EmulatorBenchOptions {
  /** How long each throughput measurement runs, default 3 s. */
  durationMs?: number;
  /** Concurrent clients for the throughput measurements, default 8. */
  concurrency?: number;
  /** RSA key size of the emulated cluster, default 2048 (as a real deployment would use). */
  keyBits?: number;
}

export interface BenchRow {
  name: string;
  concurrency: number;
  operations: number;
  requests: number;
  seconds: number;
  /** Operations per second (requests for GET rows, cycles for cycle rows). */
  perSecond: number;
  requestsPerSecond: number;
}

export interface EmulatorBenchResult {
  startupMs: number;
  keyBits: number;
  rows: BenchRow[];
  machine: string;
  node: string;
}

/** The few fields of an answer the bench reads. */
interface Answer {
  status: number;
  /** The parsed body; only arrays (lists) and objects with uid/status matter here. */
  body: unknown;
}

function field(body: unknown, name: string): unknown {
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
}

interface Api {
  request(method: string, path: string, body?: unknown): Promise<Answer>;
  close(): Promise<void>;
}

function apiFor(cluster: EmulatedCluster, connections: number): Api {
  const pool = new Pool(cluster.nodes[0]!.url, { connections, pipelining: 1, connect: { ca: cluster.caCertPem } });
  const authorization = `Basic ${Buffer.from(`${cluster.username}:${cluster.password}`).toString("base64")}`;
  return {
    async request(method, path, body) {
      const response = await pool.request({
        method: method as "GET",
        path,
        headers: body === undefined ? { authorization } : { authorization, "content-type": "application/json" },
        body: body === undefined ? null : JSON.stringify(body),
      });
      const text = await response.body.text();
      return { status: response.statusCode, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    close: () => pool.close(),
  };
}

/** Run `worker` in `concurrency` loops until `durationMs` has passed; each call returns how many requests it made. */
async function measure(name: string, concurrency: number, durationMs: number, worker: (id: number) => Promise<number>): Promise<BenchRow> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  let operations = 0;
  let requests = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, id) => {
      while (Date.now() < deadline) {
        const made = await worker(id);
        requests += made;
        operations += 1;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { name, concurrency, operations, requests, seconds, perSecond: operations / seconds, requestsPerSecond: requests / seconds };
}

async function waitStatus(api: Api, uid: number, until: "active" | "gone"): Promise<number> {
  let requests = 0;
  for (;;) {
    const response = await api.request("GET", `/v1/bdbs/${uid}`);
    requests += 1;
    if (until === "gone" ? response.status === 404 : field(response.body, "status") === "active") return requests;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export async function runEmulatorBench(options: EmulatorBenchOptions = {}): Promise<EmulatorBenchResult> {
  const durationMs = options.durationMs ?? 3000;
  const concurrency = options.concurrency ?? 8;
  const keyBits = options.keyBits ?? 2048;
  const startedAt = Date.now();
  const cluster = await startCluster({ operationDelayMs: 0, keyBits, httpPort: -1 });
  const startupMs = Date.now() - startedAt;
  const api = apiFor(cluster, concurrency);
  const rows: BenchRow[] = [];
  try {
    for (let i = 0; i < 10; i += 1) {
      const created = await api.request("POST", "/v1/bdbs", { name: `bench-list-${i}`, memory_size: 1073741824 });
      if (created.status !== 200) throw new Error(`bench setup: POST /v1/bdbs answered ${created.status}`);
    }
    for (let uid = 1; uid <= 10; uid += 1) await waitStatus(api, uid, "active");
    const list = async (): Promise<number> => {
      const response = await api.request("GET", "/v1/bdbs");
      if (response.status !== 200 || !Array.isArray(response.body) || response.body.length !== 10) throw new Error(`GET /v1/bdbs answered ${response.status}`);
      return 1;
    };
    rows.push(await measure("GET /v1/bdbs (10 databases)", 1, durationMs, list));
    rows.push(await measure("GET /v1/bdbs (10 databases)", concurrency, durationMs, list));

    let counter = 0;
    const cycle = async (): Promise<number> => {
      counter += 1;
      const created = await api.request("POST", "/v1/bdbs", { name: `bench-cycle-${counter}`, memory_size: 1073741824 });
      if (created.status !== 200) throw new Error(`POST /v1/bdbs answered ${created.status}: ${JSON.stringify(created.body)}`);
      const uid = Number(field(created.body, "uid"));
      let requests = 1 + (await waitStatus(api, uid, "active"));
      const deleted = await api.request("DELETE", `/v1/bdbs/${uid}`);
      if (deleted.status !== 200) throw new Error(`DELETE /v1/bdbs/${uid} answered ${deleted.status}`);
      requests += 1 + (await waitStatus(api, uid, "gone"));
      return requests;
    };
    rows.push(await measure("create, wait active, delete, wait 404 (operationDelayMs 0)", 1, durationMs, cycle));
    rows.push(await measure("create, wait active, delete, wait 404 (operationDelayMs 0)", concurrency, durationMs, cycle));
  } finally {
    await api.close();
    await cluster.stop();
  }
  const cpu = cpus();
  return { startupMs, keyBits, rows, machine: `${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}`, node: process.version };
}

export function formatEmulatorBench(result: EmulatorBenchResult): string {
  const lines = [
    `Machine: ${result.machine}, Node ${result.node}. startCluster (3 nodes, ${result.keyBits}-bit keys): ${result.startupMs} ms.`,
    "",
    "| Measurement | Clients | Operations/s | Requests/s | Operations | Seconds |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...result.rows.map(
      (row) =>
        `| ${row.name} | ${row.concurrency} | ${row.perSecond.toFixed(1)} | ${row.requestsPerSecond.toFixed(0)} | ${row.operations} | ${row.seconds.toFixed(1)} |`,
    ),
  ];
  return lines.join("\n");
}

if (require.main === module) {
  runEmulatorBench().then(
    (result) => process.stdout.write(`${formatEmulatorBench(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`emulator bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
