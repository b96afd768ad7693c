// The stack-scale benchmarks' meter (bench/support.ts): what it counts is what the figures in docs/benchmarks.md
// rest on, so it is checked against requests whose number and timing the test knows.
import assert from "node:assert/strict";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { EmulatorMeter, RawRest } from "../../bench/support";
import { TEST_KEY_BITS } from "../emulator/support/client";

describe("bench meter", () => {
  let cluster: EmulatedCluster;
  let meter: EmulatorMeter;
  let raw: RawRest;

  before(async () => {
    cluster = await startCluster({ nodes: 1, operationDelayMs: 0, keyBits: TEST_KEY_BITS });
    meter = await new EmulatorMeter(cluster).start();
    raw = new RawRest(meter.url, cluster);
  });

  after(async () => {
    await raw.close();
    await meter.stop();
    await cluster.stop();
  });

  it("counts the calls of a work and says when its first request reached the cluster", async () => {
    const pause = 60;
    const { counts, ms, firstRequestMs } = await meter.count(async () => {
      await new Promise((resolve) => setTimeout(resolve, pause));
      await raw.call("GET", "/v1/bdbs");
      await raw.call("GET", "/v1/cluster");
    });
    assert.equal(counts.calls, 2);
    assert.ok(counts.bytes > 0);
    assert.ok(firstRequestMs !== undefined, "a work that sent requests has a first request");
    // Sent after the pause, and before the work ended.
    assert.ok(firstRequestMs >= pause - 1 && firstRequestMs <= ms, `first request at ${firstRequestMs} ms, work of ${ms} ms`);
  });

  it("gives no first request for a work that sends none, even right after one that did", async () => {
    await meter.count(() => raw.call("GET", "/v1/bdbs"));
    const { counts, firstRequestMs } = await meter.count(() => new Promise((resolve) => setTimeout(resolve, 20)));
    assert.equal(counts.calls, 0);
    assert.equal(firstRequestMs, undefined);
  });
});
