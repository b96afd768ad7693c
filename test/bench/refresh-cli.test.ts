// The real-engine refresh benchmark's two pieces of logic (bench/refresh-cli.ts): reading the engine's gRPC log
// (PULUMI_DEBUG_GRPC, one JSON object per line, as CLI v3.274.1 writes it) and the no-REST shim it compares with.
import assert from "node:assert/strict";
import { engineTiming, noRestShim } from "../../bench/refresh-cli";
import { providerShim } from "../../sdk/shim";
import { serializeProvider } from "../engine/harness";

/** A log line as the engine writes it: a call's start, or its answer with the time it took (nanoseconds). */
function entry(method: string, at: string, durationMs?: number): string {
  return JSON.stringify({
    method: `/pulumirpc.ResourceProvider/${method}`,
    progress: durationMs === undefined ? "request_started" : "response_completed",
    timestamp: at,
    ...(durationMs === undefined ? {} : { duration: durationMs * 1e6 }),
  });
}

describe("bench: refresh through the real CLI", () => {
  it("times the reads from the first Read sent to the last answered, and to the last Diff answered", () => {
    const log = [
      entry("Configure", "2026-12-03T09:02:28.300000000Z"),
      entry("Configure", "2026-12-03T09:02:28.310000000Z", 10),
      entry("Read", "2026-12-03T09:02:28.317305733Z"),
      entry("Read", "2026-12-03T09:02:28.318000000Z"),
      entry("Read", "2026-12-03T09:02:28.370501376Z", 53.195643),
      entry("Diff", "2026-12-03T09:02:28.371000000Z"),
      entry("Read", "2026-12-03T09:02:28.400000000Z", 82),
      entry("Diff", "2026-12-03T09:02:28.420250000Z", 49.25),
      "",
    ].join("\n");
    const timing = engineTiming(log);
    assert.equal(timing.reads, 2);
    assert.equal(timing.diffs, 1);
    // First Read sent at .317305733 (its start entry; the answer's timestamp minus its duration agrees).
    assert.ok(Math.abs(timing.readsMs - (400 - 317.305733)) < 1e-3, String(timing.readsMs));
    assert.ok(Math.abs(timing.readsAndDiffsMs - (420.25 - 317.305733)) < 1e-3, String(timing.readsAndDiffsMs));
  });

  it("refuses a log without an answered Read (a CLI that does not log), rather than time nothing", () => {
    assert.throws(() => engineTiming(entry("Configure", "2026-12-03T09:02:28.300000000Z", 1)), /no answered Read/);
  });

  it("builds a no-REST shim of the shim's exact length whose read answers the stored properties with the input keys", async () => {
    const shim = await serializeProvider(providerShim("Database"));
    for (const holdFor of [undefined, 2]) {
      const text = noRestShim(shim, ["name", "memorySize"], shim.length, holdFor);
      assert.equal(text.length, shim.length);
      const module = { exports: {} as { handler: () => { configure: (req: unknown) => unknown; read: (id: string, props: object) => Promise<unknown> } } };
      new Function("exports", "require", "module", text)(module.exports, require, module);
      const provider = module.exports.handler();
      // configure loads the implementation (this checkout's provider) and sets the read.
      await Promise.resolve(provider.configure({ config: {} })).catch(() => undefined);
      const props = { name: "orders", memorySize: "100MB", uid: 3 };
      const answers = await Promise.all([provider.read("3", props), provider.read("4", { ...props, uid: 4 })]);
      assert.deepEqual(answers[0], { id: "3", props, inputs: { name: "orders", memorySize: "100MB" } });
      assert.equal((answers[1] as { id: string }).id, "4");
    }
  });
});
