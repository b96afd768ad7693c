// The waiter's schedule at stack scale (issue 11, "Waiting"): its default cap bounds how late a wait notices the
// finish, and the time a probe takes is part of its interval. Timing against a fake clock, never the machine's.
import assert from "node:assert/strict";
import { DEFAULT_INITIAL_INTERVAL_MS, DEFAULT_MAX_INTERVAL_MS, pollUntil, type WaiterClock } from "../../provider/rest";
import { scheduleWorstOvershootMs } from "../../bench/waiter";

/** A clock that moves when the waiter sleeps and when a probe says it took time. */
function fakeClock(): WaiterClock & { sleeps: number[]; advance(ms: number): void; now(): number } {
  let now = 5_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe("waiter schedule", () => {
  it("polls at once, then 200 ms doubling to a 400 ms cap by default", async () => {
    const clock = fakeClock();
    let probes = 0;
    await pollUntil(async () => ({ done: ++probes === 7 }), { deadlineMs: 60_000, description: "x", clock });
    assert.equal(DEFAULT_INITIAL_INTERVAL_MS, 200);
    assert.equal(DEFAULT_MAX_INTERVAL_MS, 400);
    assert.deepEqual(clock.sleeps, [200, 400, 400, 400, 400, 400]);
  });

  it("counts the time a probe takes as part of its interval, and never sleeps a negative time", async () => {
    const clock = fakeClock();
    const probeMs = [150, 150, 500, 0];
    let probes = 0;
    await pollUntil(
      async () => {
        clock.advance(probeMs[probes]!);
        probes += 1;
        return { done: probes === probeMs.length };
      },
      { deadlineMs: 60_000, description: "x", clock },
    );
    // Intervals 200, 400, 400 from the start of each probe: 200-150, 400-150, and nothing after a 500 ms probe.
    assert.deepEqual(clock.sleeps, [50, 250, 0]);
  });

  it("keeps the schedule's overshoot within 0.5 s for operations of 0.1 s to 60 s with the default cap, not with 5 s", () => {
    const durations = [100, 1_000, 10_000, 60_000];
    const now = durations.map((d) => scheduleWorstOvershootMs(d, DEFAULT_INITIAL_INTERVAL_MS, DEFAULT_MAX_INTERVAL_MS));
    const before = durations.map((d) => scheduleWorstOvershootMs(d, 200, 5_000));
    assert.deepEqual(now, [100, 400, 200, 200]);
    assert.deepEqual(before, [100, 400, 1_200, 1_200]);
  });
});
