// The Database's read through the coalescer (provider/rest/coalesce.ts) against the emulator, called directly as
// the provider host calls it: many reads at once make far fewer REST calls than reads (counted at the emulator),
// with exactly the outputs and inputs of one GET per read; a read alone is one GET /v1/bdbs/{uid}; a read after a
// write sees the write; a list answered 500 falls back to one GET each.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { configure, providers } from "../../provider";
import { RsClient, type Connection } from "../../provider/rest";
import { captureStderr, type StderrCapture } from "./support/stderr";

type Props = Record<string, unknown>;
const db = providers.Database;

/** Counts GETs of the list and of single bdbs at the emulator (rules that match and do nothing). */
function countAtEmulator(cluster: EmulatedCluster) {
  const list = cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs$", latencyMs: 0 }).id;
  const single = cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs/[0-9]+$", latencyMs: 0 }).id;
  const hits = (id: string) => cluster.admin.faults().find((rule) => rule.id === id)?.hits ?? 0;
  let final: { lists: number; singles: number } | undefined;
  const read = () => final ?? { lists: hits(list), singles: hits(single) };
  return {
    read,
    /** Removes the rules; read() then gives the counts at that moment. */
    stop: () => {
      final = read();
      cluster.admin.removeFault(list);
      cluster.admin.removeFault(single);
    },
  };
}

async function withMode<T>(mode: string, work: () => Promise<T>): Promise<T> {
  const previous = process.env.REDISENTERPRISE_READ_COALESCING;
  process.env.REDISENTERPRISE_READ_COALESCING = mode;
  try {
    return await work();
  } finally {
    if (previous === undefined) delete process.env.REDISENTERPRISE_READ_COALESCING;
    else process.env.REDISENTERPRISE_READ_COALESCING = previous;
  }
}

describe("Database read, coalesced, against the emulator", function () {
  this.timeout(60_000);
  const COUNT = 40;
  let cluster: EmulatedCluster;
  let connection: Connection;
  let stderr: StderrCapture;
  /** What the stack holds for each database: id and the outputs of a first read. */
  let stack: Array<{ id: string; props: Props }>;

  before(async () => {
    cluster = await startCluster({ nodes: 3, operationDelayMs: 0, keyBits: 1024 });
    connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    await configure({ config: { get: () => undefined, require: () => undefined as unknown as string } });
    const client = new RsClient(connection);
    try {
      stack = [];
      for (let i = 1; i <= COUNT; i++) {
        const created = await client.post<{ uid: number }>("/v1/bdbs", { name: `coalesce-${i}`, type: "redis", memory_size: 104857600 });
        stack.push({ id: String(created.uid), props: { uid: created.uid, name: `coalesce-${i}`, connection } });
      }
    } finally {
      await client.close();
    }
    for (const entry of stack) entry.props = (await db.read!(entry.id, entry.props)).props as Props;
  });
  after(async () => {
    await cluster?.stop();
  });
  beforeEach(() => {
    delete process.env.REDISENTERPRISE_READ_COALESCING;
    stderr = captureStderr();
  });
  afterEach(() => stderr.stop());

  const readAll = () => Promise.all(stack.map((entry) => db.read!(entry.id, entry.props)));

  it(`reads ${COUNT} databases at once with far fewer REST calls than reads, and exactly what one GET each gives`, async () => {
    const one = await withMode("off", readAll);
    const meter = countAtEmulator(cluster);
    const coalesced = await readAll().finally(() => meter.stop());
    const counts = meter.read();
    assert.ok(counts.lists + counts.singles <= 3, `${COUNT} reads at once made ${counts.lists} lists and ${counts.singles} single GETs`);
    assert.ok(counts.lists >= 1);
    assert.deepEqual(coalesced, one, "same ids, outputs and inputs as one GET per read");
  });

  it("reads a database alone with exactly one GET /v1/bdbs/{uid}", async () => {
    const meter = countAtEmulator(cluster);
    try {
      const read = await db.read!(stack[3]!.id, stack[3]!.props);
      assert.equal(read.id, stack[3]!.id);
    } finally {
      assert.deepEqual(meter.read(), { lists: 0, singles: 1 });
      meter.stop();
    }
  });

  it("sees a write this process finished even while a list sent before it is still in flight", async () => {
    const target = stack[5]!;
    // The list is rendered when it arrives and answered 400 ms later.
    const slow = cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs$", latencyMs: 400, phase: "after", count: 1 }).id;
    const client = new RsClient(connection);
    try {
      const before = readAll();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await client.put(`/v1/bdbs/${target.id}`, { memory_size: 209715200 });
      const afterWrite = await db.read!(target.id, target.props);
      assert.equal((afterWrite.props as Props).memorySize, 209715200, "the read after the write sees the new memory size");
      const old = await before;
      assert.equal((old[5]!.props as Props).memorySize, 104857600, "the reads before the write got the list sent before it");
    } finally {
      cluster.admin.removeFault(slow);
      await client.put(`/v1/bdbs/${target.id}`, { memory_size: 104857600 });
      await client.close();
    }
  });

  it("falls back to one GET per read when the list is answered 500, and reads every database", async () => {
    const one = await withMode("off", readAll);
    const failing = cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs$", status: 500, errorCode: "internal_error", count: 1 }).id;
    const meter = countAtEmulator(cluster);
    try {
      const reads = await readAll();
      assert.deepEqual(reads, one);
      const counts = meter.read();
      assert.ok(counts.lists >= 1, "a list was tried");
      assert.ok(counts.singles >= COUNT / 2, `the reads it served fell back to their own GETs (${counts.singles})`);
    } finally {
      meter.stop();
      cluster.admin.removeFault(failing);
    }
  });
});
