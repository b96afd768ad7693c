// Waiting: the time from the cluster finishing an operation to the provider returning (the overshoot), for
// operations of 0.1 s, 1 s, 10 s and 60 s (the emulator's operationDelayMs), with the waiter's cap before (5 s)
// and after (DEFAULT_MAX_INTERVAL_MS), and through the Database provider's create with its defaults.
//
// When the cluster finishes: the emulator records the moment its create action completed (epoch ms, the virtual
// clock at offset zero, which is the real clock); the overshoot is the provider's return minus that moment.
//
// Variants per duration, all on one emulator per duration, run at the same time (they mostly sleep):
//   waiter, cap 5 s     POST, then waitForDatabase with maxIntervalMs 5000 (the cap before this change);
//   waiter, default cap POST, then waitForDatabase with its defaults;
//   provider create     the Database provider's check + create, as the engine calls it.
// Run: `npm run bench -- waiter` or `node dist/bench/waiter.js [durations ms...]`.
import { startCluster, type EmulatedCluster } from "../emulator";
import { configure, providers } from "../provider";
import { DEFAULT_INITIAL_INTERVAL_MS, DEFAULT_MAX_INTERVAL_MS, RsClient, waitForDatabase } from "../provider/rest";
import { machineLine, median, quietStderr } from "./support";

export interface WaiterBenchOptions {
  /** Operation durations, ms. @default [100, 1000, 10000, 60000] */
  durationsMs?: number[];
}

export interface WaiterRow {
  durationMs: number;
  variant: string;
  samples: number;
  medianOvershootMs: number;
  maxOvershootMs: number;
  /** The waiter's schedule: the worst overshoot polls on it allow for this duration, before request time. */
  scheduleWorstMs: number;
}

export interface WaiterBenchResult {
  machine: string;
  capBeforeMs: number;
  capAfterMs: number;
  rows: WaiterRow[];
}

const CAP_BEFORE_MS = 5_000;

/** Samples per duration: enough to see the spread for short operations, one for a minute. */
function samplesFor(durationMs: number): number {
  return durationMs <= 1_000 ? 5 : durationMs <= 10_000 ? 2 : 1;
}

/**
 * The worst overshoot the schedule itself allows for an operation of `durationMs`: from the finish to the first
 * poll after it (at once, then `initialMs` doubling to `capMs`), a poll at the very moment counted as missing it.
 */
export function scheduleWorstOvershootMs(durationMs: number, initialMs: number, capMs: number): number {
  let t = 0;
  for (let wait = initialMs; t <= durationMs; wait = Math.min(wait * 2, capMs)) t += wait;
  return t - durationMs;
}

/** When the emulator finished creating database `uid` (its create action's finish, epoch ms). */
function finishedAt(cluster: EmulatedCluster, uid: number): number {
  const actions = (cluster.admin.state() as { actions: Array<{ name: string; objectName?: string; finishedAtMs?: number }> }).actions;
  const action = actions.find((candidate) => candidate.name === "SMCreateBDB" && candidate.objectName === `bdb:${uid}`);
  if (action?.finishedAtMs === undefined) throw new Error(`the emulator has no finished create action for database ${uid}`);
  return action.finishedAtMs;
}

/** Overshoots of `samples` runs; `run` returns the uid it created, right when the waiter or provider returned. */
async function overshoots(cluster: EmulatedCluster, samples: number, run: (i: number) => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < samples; i++) {
    const uid = await run(i);
    const returned = Date.now();
    results.push(returned - finishedAt(cluster, uid));
  }
  return results;
}

async function measureDuration(durationMs: number): Promise<WaiterRow[]> {
  const cluster: EmulatedCluster = await startCluster({ nodes: 1, operationDelayMs: durationMs, keyBits: 1024 });
  const connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
  const samples = samplesFor(durationMs);
  try {
    const waiterWith = (cap: number | undefined, prefix: string) =>
      overshoots(cluster, samples, async (i) => {
        const client = new RsClient(connection);
        try {
          const created = await client.post<{ uid: number; action_uid?: string }>("/v1/bdbs", { name: `${prefix}-${i}`, type: "redis", memory_size: 104857600 });
          await waitForDatabase(client, created.uid, {
            until: "active",
            actionUid: created.action_uid,
            deadlineMs: durationMs + 60_000,
            ...(cap !== undefined ? { maxIntervalMs: cap } : {}),
          });
          return created.uid;
        } finally {
          await client.close();
        }
      });
    const provider = overshoots(cluster, samples, async (i) => {
      const db = providers.Database;
      const { inputs } = await db.check!({}, { name: `provider-${i}`, memorySize: "100MB", connection, timeouts: { create: `${Math.ceil(durationMs / 1000) + 60}s` } });
      const { id } = await db.create(inputs);
      return Number(id);
    });
    const [before, after, viaProvider] = await Promise.all([waiterWith(CAP_BEFORE_MS, "before"), waiterWith(undefined, "after"), provider]);
    const row = (variant: string, values: number[], cap: number): WaiterRow => ({
      durationMs,
      variant,
      samples: values.length,
      medianOvershootMs: median(values),
      maxOvershootMs: Math.max(...values),
      scheduleWorstMs: scheduleWorstOvershootMs(durationMs, DEFAULT_INITIAL_INTERVAL_MS, cap),
    });
    return [
      row(`waiter, cap ${CAP_BEFORE_MS} ms (before)`, before, CAP_BEFORE_MS),
      row(`waiter, cap ${DEFAULT_MAX_INTERVAL_MS} ms (default now)`, after, DEFAULT_MAX_INTERVAL_MS),
      row("provider create (default cap)", viaProvider, DEFAULT_MAX_INTERVAL_MS),
    ];
  } finally {
    await cluster.stop();
  }
}

export async function runWaiterBench(options: WaiterBenchOptions = {}): Promise<WaiterBenchResult> {
  const durations = options.durationsMs ?? [100, 1_000, 10_000, 60_000];
  const machine = machineLine();
  await configure({ config: { get: () => undefined, require: () => "" } });
  const perDuration = await quietStderr(() => Promise.all(durations.map(measureDuration)));
  return { machine, capBeforeMs: CAP_BEFORE_MS, capAfterMs: DEFAULT_MAX_INTERVAL_MS, rows: perDuration.flat() };
}

export function formatWaiterBench(result: WaiterBenchResult): string {
  return [
    result.machine,
    "",
    `Overshoot: time from the cluster finishing a create to the provider returning (goal <= 500 ms); the waiter polls at once, then every ${DEFAULT_INITIAL_INTERVAL_MS} ms doubling to its cap:`,
    "",
    "| operation | variant | samples | median overshoot ms | max overshoot ms | schedule's worst ms |",
    "| ---: | --- | ---: | ---: | ---: | ---: |",
    ...result.rows.map(
      (row) =>
        `| ${row.durationMs / 1000} s | ${row.variant} | ${row.samples} | ${row.medianOvershootMs.toFixed(0)} | ${row.maxOvershootMs.toFixed(0)} | ${row.scheduleWorstMs.toFixed(0)} |`,
    ),
  ].join("\n");
}

if (require.main === module) {
  const durations = process.argv.slice(2).map(Number).filter((n) => Number.isFinite(n) && n > 0);
  runWaiterBench(durations.length > 0 ? { durationsMs: durations } : {}).then(
    (result) => console.log(formatWaiterBench(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
