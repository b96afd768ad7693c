// Benchmark of the emulator's data plane: requests per second through a database's proxy to its master shard
// on another node, with data internode encryption off (plain TCP between the nodes) and on (mutual TLS through
// the nodes' internode listeners on 3342), in the same run, alternating so both see the same machine load. A
// row straight to the shard (no proxy) is the reference. Every layout this machine can run is measured.
// Run: npm run build && node dist/bench/dataplane.js  (or call runDataPlaneBench() from a bench runner).
import { cpus } from "node:os";
import { Pool } from "undici";
import { RespConnection, startCluster, type DataPlaneLayout, type EmulatedCluster } from "../emulator";

export interface DataPlaneBenchOptions {
  /** How long each measurement runs, default 2 s (each setting is measured twice). */
  durationMs?: number;
  /** Concurrent client connections, default 8. */
  concurrency?: number;
}

export interface DataPlaneRow {
  layout: DataPlaneLayout;
  path: "proxy, encryption off" | "proxy, encryption on" | "shard directly";
  /** Commands in flight per connection: 1 (request, reply, next) or a pipelined batch. */
  pipeline: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
}

export interface DataPlaneBenchResult {
  rows: DataPlaneRow[];
  concurrency: number;
  machine: string;
  node: string;
  skipped: string[];
}

const MiB = 1024 * 1024;
const VALUE = "v".repeat(64);

/** Run SET/GET pairs on `connections` for `durationMs`; returns how many commands were answered. */
async function drive(connections: RespConnection[], pipeline: number, durationMs: number): Promise<{ requests: number; seconds: number }> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  let requests = 0;
  await Promise.all(
    connections.map(async (connection, index) => {
      const batch = Array.from({ length: pipeline }, (_, i) => (i % 2 === 0 ? ["SET", `bench:${index}:${i}`, VALUE] : ["GET", `bench:${index}:${i - 1}`]));
      while (Date.now() < deadline) {
        if (pipeline === 1) await connection.send("SET", `bench:${index}`, VALUE);
        else await connection.pipeline(batch);
        requests += pipeline;
      }
    }),
  );
  return { requests, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function connectAll(address: string, port: number, count: number): Promise<RespConnection[]> {
  return Promise.all(Array.from({ length: count }, () => RespConnection.connect(address, port)));
}

async function setEncryption(cluster: EmulatedCluster, uid: number, on: boolean): Promise<void> {
  const pool = new Pool(cluster.nodes[0]!.url, { connect: { ca: cluster.caCertPem } });
  const authorization = `Basic ${Buffer.from(`${cluster.username}:${cluster.password}`).toString("base64")}`;
  try {
    const put = await pool.request({ method: "PUT", path: `/v1/bdbs/${uid}`, headers: { authorization, "content-type": "application/json" }, body: JSON.stringify({ data_internode_encryption: on }) });
    await put.body.text();
    if (put.statusCode !== 200) throw new Error(`PUT data_internode_encryption answered ${put.statusCode}`);
    for (let i = 0; i < 500; i += 1) {
      const get = await pool.request({ method: "GET", path: `/v1/bdbs/${uid}`, headers: { authorization } });
      const body = (await get.body.json()) as { status?: string };
      if (body.status === "active") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await cluster.dataPlane.settled();
  } finally {
    await pool.close();
  }
}

async function createDatabase(cluster: EmulatedCluster): Promise<number> {
  const pool = new Pool(cluster.nodes[0]!.url, { connect: { ca: cluster.caCertPem } });
  const authorization = `Basic ${Buffer.from(`${cluster.username}:${cluster.password}`).toString("base64")}`;
  try {
    const post = await pool.request({
      method: "POST",
      path: "/v1/bdbs",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ name: "bench", memory_size: 256 * MiB, proxy_policy: "all-nodes", data_internode_encryption: false }),
    });
    const body = (await post.body.json()) as { uid: number };
    if (post.statusCode !== 200) throw new Error(`POST /v1/bdbs answered ${post.statusCode}`);
    for (let i = 0; i < 500; i += 1) {
      const get = await pool.request({ method: "GET", path: `/v1/bdbs/${body.uid}`, headers: { authorization } });
      if (((await get.body.json()) as { status?: string }).status === "active") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await cluster.dataPlane.settled();
    return body.uid;
  } finally {
    await pool.close();
  }
}

async function benchLayout(layout: DataPlaneLayout, options: Required<DataPlaneBenchOptions>): Promise<DataPlaneRow[]> {
  const second = 100 + Math.floor(Math.random() * 150);
  const cluster = await startCluster({ nodes: 2, keyBits: 2048, operationDelayMs: 0, addresses: [`127.${second}.7.1`, `127.${second}.7.2`], dataPlane: layout });
  try {
    if (cluster.dataPlane.layout !== layout) throw new Error(`the ${layout} layout did not start: ${cluster.dataPlane.reason ?? ""}`);
    const uid = await createDatabase(cluster);
    const database = cluster.dataPlane.database(uid)!;
    const master = database.shards.find((s) => s.role === "master")!;
    // The proxy on the other node: its traffic to the shard crosses between nodes, where encryption applies.
    const remote = database.proxies.find((p) => p.nodeUid !== master.nodeUid)!;
    const rows: DataPlaneRow[] = [];
    const measure = async (path: DataPlaneRow["path"], address: string, port: number, pipeline: number): Promise<void> => {
      const connections = await connectAll(address, port, options.concurrency);
      try {
        await drive(connections, pipeline, 200);
        const { requests, seconds } = await drive(connections, pipeline, options.durationMs);
        rows.push({ layout, path, pipeline, requests, seconds, requestsPerSecond: requests / seconds });
      } finally {
        for (const connection of connections) connection.close();
      }
    };
    for (const pipeline of [1, 32]) {
      // off, on, off, on: both settings see the same drift in machine load.
      for (const on of [false, true, false, true]) {
        await setEncryption(cluster, uid, on);
        await measure(on ? "proxy, encryption on" : "proxy, encryption off", remote.address, remote.port, pipeline);
      }
      await measure("shard directly", master.address, master.port, pipeline);
    }
    return rows;
  } finally {
    await cluster.stop();
  }
}

export async function runDataPlaneBench(options: DataPlaneBenchOptions = {}): Promise<DataPlaneBenchResult> {
  const resolved = { durationMs: options.durationMs ?? 2000, concurrency: options.concurrency ?? 8 };
  const rows: DataPlaneRow[] = [];
  const skipped: string[] = [];
  for (const layout of ["loopback", "namespaces"] as const) {
    const probe = layout === "namespaces" && typeof process.getuid === "function" && process.getuid() !== 0;
    if (probe) {
      skipped.push("namespaces (needs root)");
      continue;
    }
    rows.push(...(await benchLayout(layout, resolved)));
  }
  return { rows, concurrency: resolved.concurrency, machine: `${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"})`, node: process.version, skipped };
}

/** Markdown: requests/s per layout, path and pipeline depth (the two runs of a setting summed), with ratios. */
export function formatDataPlaneBench(result: DataPlaneBenchResult): string {
  const groups = new Map<string, { layout: string; path: string; pipeline: number; requests: number; seconds: number }>();
  for (const row of result.rows) {
    const key = `${row.layout}|${row.path}|${row.pipeline}`;
    const group = groups.get(key) ?? { layout: row.layout, path: row.path, pipeline: row.pipeline, requests: 0, seconds: 0 };
    group.requests += row.requests;
    group.seconds += row.seconds;
    groups.set(key, group);
  }
  const rate = (layout: string, path: string, pipeline: number): number => {
    const group = groups.get(`${layout}|${path}|${pipeline}`);
    return group ? group.requests / group.seconds : NaN;
  };
  const lines = [
    `${result.concurrency} connections, SET/GET of 64-byte values, through the proxy on the node without the shard.`,
    "",
    "| Layout | Path | Pipeline | Requests/s | Requests | Seconds | Ratio to encryption off |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const group of groups.values()) {
    const perSecond = group.requests / group.seconds;
    const ratio = perSecond / rate(group.layout, "proxy, encryption off", group.pipeline);
    lines.push(`| ${group.layout} | ${group.path} | ${group.pipeline} | ${perSecond.toFixed(0)} | ${group.requests} | ${group.seconds.toFixed(1)} | ${ratio.toFixed(2)} |`);
  }
  if (result.skipped.length > 0) lines.push("", `Not measured: ${result.skipped.join(", ")}.`);
  return lines.join("\n");
}

if (require.main === module) {
  runDataPlaneBench()
    .then((result) => console.log(`Machine: ${result.machine}, Node ${result.node}\n\n${formatDataPlaneBench(result)}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
