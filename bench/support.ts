// What the stack-scale benchmarks (refresh, crud, waiter, preview) share: counting at the emulator, a raw REST
// baseline, the provider host set up as the engine runs it, and small statistics.
//
// Counting at the emulator: REST calls are the hits of a fault rule that matches every API path and does nothing
// (latency 0), so the emulator itself counts what reached it, whichever process sent it; bytes are counted by a
// TCP relay on loopback in front of the emulator's HTTPS port (TLS records both ways, headers included), since a
// request sent by the provider host's process cannot be counted from here otherwise. Raw and provider traffic go
// through the same relay.
import * as net from "node:net";
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import type { EmulatedCluster } from "../emulator";

export interface Counts {
  calls: number;
  bytes: number;
}

/** Counts REST calls (at the emulator) and bytes (at a relay in front of it); `url` is the relay's API URL. */
export class EmulatorMeter {
  private relay: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private ruleId = "";
  private bytes = 0;
  /** When the first byte from a client reached the relay since `count` began (performance.now()). */
  private firstUpstreamAt: number | undefined;
  url = "";

  constructor(private readonly cluster: EmulatedCluster) {}

  async start(): Promise<this> {
    const target = new URL(this.cluster.nodes[0]!.url);
    this.relay = net.createServer((client) => {
      const server = net.connect(Number(target.port), target.hostname);
      for (const socket of [client, server]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          server.destroy();
        });
      }
      client.on("data", (chunk: Buffer) => {
        this.bytes += chunk.length;
        this.firstUpstreamAt ??= performance.now();
      });
      server.on("data", (chunk: Buffer) => (this.bytes += chunk.length));
      client.pipe(server);
      server.pipe(client);
    });
    await new Promise<void>((resolve) => this.relay!.listen(0, target.hostname, resolve));
    const { port } = this.relay.address() as net.AddressInfo;
    this.url = `https://${target.hostname}:${port}`;
    this.ruleId = this.cluster.admin.addFault({ path: "^/", latencyMs: 0 }).id;
    return this;
  }

  /** Calls and bytes so far. */
  read(): Counts {
    const rule = this.cluster.admin.faults().find((candidate) => candidate.id === this.ruleId);
    return { calls: rule?.hits ?? 0, bytes: this.bytes };
  }

  /**
   * Calls and bytes of `work`, and when its first request reached the relay (ms after `work` started; undefined
   * when it sent none): with one call, when that call was sent.
   */
  async count<T>(work: () => Promise<T>): Promise<{ result: T; counts: Counts; ms: number; firstRequestMs: number | undefined }> {
    const before = this.read();
    this.firstUpstreamAt = undefined;
    const started = performance.now();
    const result = await work();
    const ms = performance.now() - started;
    const after = this.read();
    const firstRequestMs = this.firstUpstreamAt === undefined ? undefined : this.firstUpstreamAt - started;
    return { result, counts: { calls: after.calls - before.calls, bytes: after.bytes - before.bytes }, ms, firstRequestMs };
  }

  async stop(): Promise<void> {
    this.cluster.admin.removeFault(this.ruleId);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.relay ? this.relay.close(() => resolve()) : resolve()));
  }
}

/** The raw REST baseline: undici, Basic auth, JSON, nothing else. */
export class RawRest {
  private readonly agent: Agent;
  private readonly authorization: string;

  constructor(
    private readonly url: string,
    cluster: EmulatedCluster,
  ) {
    this.agent = new Agent({ connect: { ca: cluster.caCertPem } });
    this.authorization = `Basic ${Buffer.from(`${cluster.username}:${cluster.password}`).toString("base64")}`;
  }

  async call<T = Record<string, unknown>>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<{ status: number; json: T | undefined }> {
    const answer = await request(`${this.url}${path}`, {
      method,
      dispatcher: this.agent,
      headers: { authorization: this.authorization, accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await answer.body.text();
    return { status: answer.statusCode, json: text ? (JSON.parse(text) as T) : undefined };
  }

  /**
   * Polls until `done`, at once and then on the provider waiter's schedule (`initialMs` doubling to `capMs`), so
   * a raw wait ends at the same poll as the provider's and the comparison shows what the provider adds.
   */
  async pollUntil(done: () => Promise<boolean>, initialMs: number, capMs: number): Promise<void> {
    for (let wait = initialMs; !(await done()); wait = Math.min(wait * 2, capMs)) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Runs `work` on every item with at most `limit` at a time (the engine's --parallel). */
export async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Swallows the provider's progress lines on this process's stderr while `work` runs (they are not measured). */
export async function quietStderr<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await work();
  } finally {
    process.stderr.write = write;
  }
}

/** One line about the machine and its load, for the report. */
export function machineLine(): string {
  const os = require("node:os") as typeof import("node:os");
  const [one, five] = os.loadavg();
  return `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z, load average ${one!.toFixed(1)} (1 min) ${five!.toFixed(1)} (5 min)`;
}
