// Refresh at stack scale: 10, 100 and 500 databases read through the real @pulumi/pulumi provider host over gRPC,
// 8 at a time (the engine's default --parallel here) and all at once, against one raw GET /v1/bdbs (the list of
// every database) on the same emulator in the same run. REST calls are counted at the emulator, bytes at a relay
// in front of it (bench/support.ts).
//
// Rows per size:
//   raw list          one GET /v1/bdbs: the least a client can do to learn every database's state;
//   raw list, the read's fields  one GET /v1/bdbs?fields=... with the fields the Database's read asks for;
//   raw per uid       GET /v1/bdbs/{uid} for every database at once (what one read per resource costs on the wire);
//   raw per uid, P at a time  the same, P at a time: the floor at that parallelism for any provider that keeps
//                  nothing between requests, since a list serves no more reads than run at once;
//   host check        a Check of every resource at once through the host (no REST);
//   host read, no REST  a Read of every resource through the host with a provider whose read returns the stored
//                  properties (and the same input keys) with no I/O, its serialized text padded to the length of
//                  the Database's shim (__provider travels twice in every request and once in every answer): the
//                  host's own cost of a Read of the same state, which is the per-resource overhead the goal
//                  allows on top of the list call; ... shortest provider text  the same unpadded (662 bytes);
//   ... answered together  (all at once only) the same, every read held until all have come, then all answered:
//                  what the host pays for holding the reads of a refresh on one shared answer, as a list does;
//   host refresh      a Read of every resource through the host with the Database provider, reads of one cluster
//                  coalesced (provider/rest/coalesce.ts, the default);
//   ... one GET each  the same with REDISENTERPRISE_READ_COALESCING=off (how every read went before);
//   ... list always   the same with REDISENTERPRISE_READ_COALESCING=always (a list whenever two reads run together),
//                  which shows where the cost rule's choice of list or single GETs pays;
//   provider read, no host  the Database provider's read of every resource called in this process (no host, no
//                  gRPC), coalesced: what the provider itself adds to the REST calls, apart from the host;
//   ... new host each time  host refresh and host read (no REST) through a provider host started for each
//                  refresh, as `pulumi refresh` does (the start is not timed): the first Read loads the
//                  implementation, and the coalescer knows nothing of the cluster yet.
// The goal: host refresh - host read (no REST) <= 1.5 x raw list, in time, at each parallelism; calls and bytes as
// ratios to the list call. Where the time goes: for the host refresh and host reads, when the first REST request
// reached the cluster (counted at the relay) and when the first and last answers came back, from the first Read sent.
// Run: `npm run bench -- refresh` or `node dist/bench/refresh.js [--repetitions N] [sizes...]` (5 turns by default).
import { performance } from "node:perf_hooks";
import { startCluster } from "../emulator";
import { PEAK_IDLE_RESET_MS, RsClient, coalescedRead, type Connection } from "../provider/rest";
import type * as pulumi from "@pulumi/pulumi";
import { DATABASE_READ_FIELDS } from "../provider/database/logic";
import { databaseProvider } from "../provider/database/provider";
import { providerShim } from "../sdk/shim";
import { startProviderHost, serializeProvider, type ProviderHost, type PropertyMap } from "../test/engine/harness";
import { EmulatorMeter, RawRest, inParallel, machineLine, median, type Counts } from "./support";

export interface RefreshBenchOptions {
  /** Stack sizes (databases). @default [10, 100, 500] */
  sizes?: number[];
  /** Repetitions per row; the median is reported. @default 5 */
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
  /** "8 at a time" or "all at once". */
  parallelism: string;
  /** host refresh time / raw list time. */
  timeRatio: number;
  /** (host refresh time - host read time with no REST) / raw list time: the goal is <= 1.5. */
  timeRatioBeyondHost: number;
  /** The same taken turn by turn (each refresh against the host read of its turn): median, lowest and highest. */
  timeRatioBeyondHostPaired: PairedRatio;
  /** Where the time goes (medians): the host refresh, the host read with no REST, and the same answered together. */
  phases: { refresh: Phases | undefined; hostRead: Phases | undefined; answeredTogether: Phases | undefined };
  /**
   * (host refresh time - host read time with no REST, every read answered together) / raw list time, all at once
   * only: what the provider and its list add beyond what the host pays for holding the reads of a refresh.
   */
  timeRatioBeyondHostAnsweredTogether: number | undefined;
  /** (host refresh - host read with no REST and the shortest provider text) / raw list time. */
  timeRatioBeyondHostShortestText: number;
  /** (host refresh - host read with no REST), each through a new host per refresh, / raw list time. */
  timeRatioBeyondHostNewHost: number;
  /** The same against a raw list of only the fields the read asks for (what the read's own list costs). */
  timeRatioBeyondHostToFieldsList: number;
  /** Raw GETs per uid at this parallelism / raw list time: no provider keeping nothing between requests does better. */
  rawPerUidRatio: number;
  callsRatio: number;
  bytesRatio: number;
  /** The same time ratio with one GET per read (coalescing off), for comparison. */
  timeRatioBeyondHostOneGetEach: number;
  /** The cost rule's fit from this run's raw rows: raw list ms / (raw per-uid ms / size). */
  listCostInGets: number;
  /** The provider's reads called directly (no host), at this parallelism, / raw list time. */
  providerRatio: number;
}

/** A ratio taken in each turn: its median, and the lowest and highest turn. */
export interface PairedRatio {
  median: number;
  low: number;
  high: number;
}

export interface RefreshBenchResult {
  machine: string;
  repetitions: number;
  rows: RefreshRow[];
  summaries: RefreshSummary[];
  /** A read with no other read running, median ms over LONE_READS: through the coalescer, and a plain GET. */
  loneRead: { coalescedMs: number; directMs: number; samples: number };
}

/** Samples of the lone-read latency (alternating coalesced and direct, one at a time). */
const LONE_READS = 200;

/** The latency the coalescer adds to a read that runs alone: it must not wait for company. */
async function measureLoneRead(connection: Connection, uid: string): Promise<RefreshBenchResult["loneRead"]> {
  const client = new RsClient(connection);
  try {
    const coalesced: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < LONE_READS + 20; i++) {
      let started = performance.now();
      await coalescedRead(client, "/v1/bdbs", uid);
      const a = performance.now() - started;
      started = performance.now();
      await client.request("GET", `/v1/bdbs/${uid}`, { acceptStatuses: [404] });
      const b = performance.now() - started;
      if (i >= 20) {
        coalesced.push(a);
        direct.push(b);
      }
    }
    return { coalescedMs: median(coalesced), directMs: median(direct), samples: LONE_READS };
  } finally {
    await client.close();
  }
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

/** The median time, calls and bytes of some samples of one work. */
function medianSample(samples: ReadonlyArray<{ ms: number } & Counts>): { ms: number } & Counts {
  return { ms: median(samples.map((s) => s.ms)), calls: median(samples.map((s) => s.calls)), bytes: median(samples.map((s) => s.bytes)) };
}

async function measured(repetitions: number, meter: EmulatorMeter, work: () => Promise<unknown>): Promise<{ ms: number } & Counts> {
  await work(); // warm-up: connections, JIT
  const samples: Array<{ ms: number } & Counts> = [];
  for (let i = 0; i < repetitions; i++) {
    const { counts, ms } = await meter.count(work);
    samples.push({ ms, ...counts });
  }
  return medianSample(samples);
}

/**
 * A pause between two refreshes through one host, longer than the coalescer's memory of how many reads ran at once
 * (PEAK_IDLE_RESET_MS): a real `pulumi refresh` starts a new provider host, which remembers nothing of the last one.
 */
function idleBetweenRefreshes(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, PEAK_IDLE_RESET_MS + 100));
}

/**
 * Like `measured` for several works compared with one another: each is warmed up, then the repetitions take
 * turns (one of each, then the next round), so a change in the machine's load during the run falls on all of
 * them alike rather than on whichever ran last (the bench machine is shared).
 */
async function measuredInTurns(repetitions: number, meter: EmulatorMeter, works: ReadonlyArray<() => Promise<unknown>>): Promise<Array<Measured>> {
  for (const work of works) {
    await work();
    await idleBetweenRefreshes();
  }
  const samples = works.map(() => [] as Array<{ ms: number } & Counts & Partial<Phases>>);
  for (let i = 0; i < repetitions; i++) {
    for (const [index, work] of works.entries()) {
      const { counts, ms, firstRequestMs, result } = await meter.count(work);
      await idleBetweenRefreshes();
      samples[index]!.push({ ms, ...counts, firstRequestMs, ...(isAnswerTimes(result) ? result : {}) });
    }
  }
  return samples.map((own) => ({ ...medianSample(own), turns: own.map((sample) => sample.ms), phases: medianPhases(own) }));
}

/** A work's median sample, its time in each turn (in the order the turns ran), and its phases (refreshes only). */
type Measured = { ms: number; turns: number[]; phases: Phases | undefined } & Counts;

/**
 * Where the time of one refresh goes, in ms after its first Read was sent: when the first REST request reached the
 * cluster (undefined when it sent none; with one call, that call), and when the first and the last answers came back.
 */
export interface Phases {
  firstRequestMs: number | undefined;
  firstAnswerMs: number;
  lastAnswerMs: number;
}

type AnswerTimes = Pick<Phases, "firstAnswerMs" | "lastAnswerMs">;

function isAnswerTimes(value: unknown): value is AnswerTimes {
  return typeof value === "object" && value !== null && "firstAnswerMs" in value && "lastAnswerMs" in value;
}

/** The median of each phase over the turns that have it. */
function medianPhases(samples: ReadonlyArray<Partial<Phases>>): Phases | undefined {
  const of = (key: keyof Phases) => samples.map((sample) => sample[key]).filter((value): value is number => value !== undefined);
  const [requests, firsts, lasts] = [of("firstRequestMs"), of("firstAnswerMs"), of("lastAnswerMs")];
  if (firsts.length === 0 || lasts.length === 0) return undefined;
  return { firstRequestMs: requests.length === samples.length ? median(requests) : undefined, firstAnswerMs: median(firsts), lastAnswerMs: median(lasts) };
}

/**
 * (a - b) / unit in each turn, a and b measured in the same turns: its median and its range. A pair of refreshes
 * of one turn runs within a few seconds, so a change of the machine's load falls on both; the difference of two
 * medians of 5 swung from 1.3 to 6.4 lists at 500 databases in three runs of the same code within an hour.
 */
function pairedRatio(a: Measured, b: Measured, unit: number): PairedRatio {
  const ratios = a.turns.map((ms, turn) => (ms - b.turns[turn]!) / unit);
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

/**
 * `text` (a serialized provider) made `length` characters long with a trailing comment: what the host decodes and
 * encodes for a resource depends on the length of its __provider, so a baseline must carry as much as the shim.
 */
function paddedTo(text: string, length: number): string {
  return length > text.length + 3 ? `${text}\n//${"x".repeat(length - text.length - 3)}` : text;
}

/**
 * Like measuredInTurns, each refresh through a provider host started for it (not timed) and stopped after it, as
 * every `pulumi refresh` starts one: the implementation is loaded by the first Read, and nothing is known yet.
 */
async function measuredInNewHosts(repetitions: number, meter: EmulatorMeter, works: ReadonlyArray<(host: ProviderHost) => Promise<unknown>>): Promise<Array<{ ms: number } & Counts>> {
  const samples = works.map(() => [] as Array<{ ms: number } & Counts>);
  for (let i = 0; i < repetitions; i++) {
    for (const [index, work] of works.entries()) {
      const host = await startProviderHost({ project: "bench", config: {} });
      try {
        await host.configure({});
        const { counts, ms } = await meter.count(() => work(host));
        samples[index]!.push({ ms, ...counts });
      } finally {
        await host.stop();
      }
    }
  }
  return samples.map(medianSample);
}

/**
 * A dynamic provider whose read returns what the engine sent, and as inputs the same keys the Database's read
 * returns, with no I/O: the host's own cost of a Read with the same payload sizes.
 */
function noRestProvider(inputKeys: readonly string[]): pulumi.dynamic.ResourceProvider {
  return {
    async read(id: string, props: Record<string, unknown>) {
      const inputs: Record<string, unknown> = {};
      for (const key of inputKeys) if (key in props) inputs[key] = props[key];
      return { id, props, inputs };
    },
  } as pulumi.dynamic.ResourceProvider;
}

/**
 * The same with every read of a refresh answered together: each read waits until `readsPerRefresh` reads have come
 * (or none came for 100 ms), then all return. What the host itself costs when the reads of a refresh wait
 * for one shared answer, as they do for a list: the host holds them all and encodes every answer at the end instead
 * of each as it goes. Only meaningful all at once (8 at a time, 8 reads would wait for 500).
 */
function noRestAnsweredTogetherProvider(inputKeys: readonly string[], readsPerRefresh: number): pulumi.dynamic.ResourceProvider {
  const state: { held: Array<() => void>; timer: ReturnType<typeof setTimeout> | undefined } = { held: [], timer: undefined };
  return {
    async read(id: string, props: Record<string, unknown>) {
      const inputs: Record<string, unknown> = {};
      for (const key of inputKeys) if (key in props) inputs[key] = props[key];
      await new Promise<void>((resolve) => {
        state.held.push(resolve);
        clearTimeout(state.timer);
        const releaseAll = () => {
          for (const release of state.held.splice(0)) release();
        };
        if (state.held.length >= readsPerRefresh) releaseAll();
        else state.timer = setTimeout(releaseAll, 100);
      });
      return { id, props, inputs };
    },
  } as pulumi.dynamic.ResourceProvider;
}

const MODES = ["auto", "off", "always"] as const;
type Mode = (typeof MODES)[number];
const MODE_LABEL: Record<Mode, string> = { auto: "host refresh", off: "host refresh, one GET each", always: "host refresh, list always" };

export async function runRefreshBench(options: RefreshBenchOptions = {}): Promise<RefreshBenchResult> {
  const sizes = options.sizes ?? [10, 100, 500];
  const repetitions = options.repetitions ?? 5;
  const machine = machineLine();
  const cluster = await startCluster({ nodes: 3, operationDelayMs: 0, keyBits: 1024 });
  const meter = await new EmulatorMeter(cluster).start();
  const raw = new RawRest(meter.url, cluster);
  const hosts = new Map<Mode, ProviderHost>();
  const rows: RefreshRow[] = [];
  const summaries: RefreshSummary[] = [];
  try {
    const connection = { url: meter.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    const shim = await serializeProvider(providerShim("Database"));
    // One host per coalescing mode: the provider reads the mode from its environment at each read.
    for (const mode of MODES) {
      const host = await startProviderHost({ project: "bench", config: {}, env: { REDISENTERPRISE_READ_COALESCING: mode } });
      hosts.set(mode, host);
      await host.configure({});
    }
    const host = hosts.get("auto")!;
    // The same provider the host runs, called here: its reads coalesce as in the host (this process's mode is auto).
    const provider = databaseProvider(() => ({ connection: {} }));
    let noRest: string | undefined;
    let noRestShortest: string | undefined;
    let inputKeys: string[] | undefined;
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
        inputKeys ??= Object.keys(read.inputs ?? {}).filter((key) => key !== "__provider");
        noRestShortest ??= await serializeProvider(noRestProvider(inputKeys));
        noRest ??= paddedTo(noRestShortest, shim.length);
      }
      const withProvider = (text: string) => resources.map((r) => ({ ...r, properties: { ...r.properties, __provider: text }, inputs: { ...r.inputs, __provider: text } }));
      const noRestResources = withProvider(noRest!);
      const shortestTextResources = withProvider(noRestShortest!);
      const answeredTogetherResources = withProvider(paddedTo(await serializeProvider(noRestAnsweredTogetherProvider(inputKeys!, size)), shim.length));
      const list = await measured(repetitions, meter, () => raw.call("GET", "/v1/bdbs"));
      const fieldsList = await measured(repetitions, meter, () => raw.call("GET", `/v1/bdbs?fields=${encodeURIComponent(DATABASE_READ_FIELDS.join(","))}`));
      const perUid = await measured(repetitions, meter, () => Promise.all(resources.map((r) => raw.call("GET", `/v1/bdbs/${r.id}`))));
      const check = await measured(repetitions, meter, () => Promise.all(resources.map((r) => host.check(r.urn, r.inputs, r.inputs))));
      const readAt = (through: ProviderHost, stack: Resource[], parallel: number) => async (): Promise<AnswerTimes> => {
        const started = performance.now();
        const answeredAt: number[] = [];
        const results = await inParallel(stack, parallel, async (r) => {
          const result = await through.read(r.id, r.urn, r.properties, r.inputs);
          answeredAt.push(performance.now() - started);
          return result;
        });
        const lost = results.filter((result) => result.id === "").length;
        if (lost > 0) throw new Error(`${lost} databases read as gone`);
        return { firstAnswerMs: answeredAt[0]!, lastAnswerMs: answeredAt[answeredAt.length - 1]! };
      };
      rows.push({ size, variant: "raw list", ...list });
      rows.push({ size, variant: "raw list, the read's fields", ...fieldsList });
      rows.push({ size, variant: "raw per uid", ...perUid });
      rows.push({ size, variant: "host check", ...check });
      for (const [parallelism, parallel] of [
        [`${ENGINE_DEFAULT_PARALLEL} at a time`, ENGINE_DEFAULT_PARALLEL],
        ["all at once", Number.MAX_SAFE_INTEGER],
      ] as const) {
        // The floor for any provider that keeps nothing between requests, at this parallelism: one raw GET per
        // database with this many at a time (a list cannot serve more reads than run at once).
        const rawFloor = await measured(repetitions, meter, () => inParallel(resources, parallel, (r) => raw.call("GET", `/v1/bdbs/${r.id}`)));
        rows.push({ size, variant: `raw per uid, ${parallelism}`, ...rawFloor });
        const direct = await measured(repetitions, meter, async () => {
          const results = await inParallel(resources, parallel, (r) => provider.read!(r.id, r.properties));
          if (results.some((result) => result.id === "")) throw new Error("a database read as gone");
        });
        rows.push({ size, variant: `provider read, no host, ${parallelism}`, ...direct });
        const allAtOnce = parallel >= resources.length;
        const [overhead, shortest, ...refreshes] = await measuredInTurns(repetitions, meter, [
          readAt(host, noRestResources, parallel),
          readAt(host, shortestTextResources, parallel),
          ...(allAtOnce ? [readAt(host, answeredTogetherResources, parallel)] : []),
          ...MODES.map((mode) => readAt(hosts.get(mode)!, resources, parallel)),
        ]);
        const together = allAtOnce ? refreshes.shift() : undefined;
        rows.push({ size, variant: `host read, no REST, ${parallelism}`, ...overhead! });
        rows.push({ size, variant: `host read, no REST, shortest provider text, ${parallelism}`, ...shortest! });
        if (together !== undefined) rows.push({ size, variant: `host read, no REST, answered together, ${parallelism}`, ...together });
        const byMode = new Map<Mode, Measured>();
        for (const [index, mode] of MODES.entries()) {
          byMode.set(mode, refreshes[index]!);
          rows.push({ size, variant: `${MODE_LABEL[mode]}, ${parallelism}`, ...refreshes[index]! });
        }
        const [newHostOverhead, newHostRefresh] = await measuredInNewHosts(repetitions, meter, [
          (fresh) => readAt(fresh, noRestResources, parallel)(),
          (fresh) => readAt(fresh, resources, parallel)(),
        ]);
        rows.push({ size, variant: `host read, no REST, new host each time, ${parallelism}`, ...newHostOverhead! });
        rows.push({ size, variant: `host refresh, new host each time, ${parallelism}`, ...newHostRefresh! });
        const refresh = byMode.get("auto")!;
        summaries.push({
          size,
          parallelism,
          timeRatio: refresh.ms / list.ms,
          timeRatioBeyondHost: Math.max(0, refresh.ms - overhead!.ms) / list.ms,
          timeRatioBeyondHostPaired: pairedRatio(refresh, overhead!, list.ms),
          phases: { refresh: refresh.phases, hostRead: overhead!.phases, answeredTogether: together?.phases },
          timeRatioBeyondHostShortestText: Math.max(0, refresh.ms - shortest!.ms) / list.ms,
          timeRatioBeyondHostNewHost: Math.max(0, newHostRefresh!.ms - newHostOverhead!.ms) / list.ms,
          timeRatioBeyondHostAnsweredTogether: together === undefined ? undefined : Math.max(0, refresh.ms - together.ms) / list.ms,
          timeRatioBeyondHostToFieldsList: Math.max(0, refresh.ms - overhead!.ms) / fieldsList.ms,
          rawPerUidRatio: rawFloor.ms / list.ms,
          callsRatio: refresh.calls / list.calls,
          bytesRatio: refresh.bytes / list.bytes,
          timeRatioBeyondHostOneGetEach: Math.max(0, byMode.get("off")!.ms - overhead!.ms) / list.ms,
          listCostInGets: list.ms / (perUid.ms / size),
          providerRatio: direct.ms / list.ms,
        });
      }
    }
    const loneRead = await measureLoneRead(connection, resources[0]!.id);
    return { machine, repetitions, rows, summaries, loneRead };
  } finally {
    for (const running of hosts.values()) await running.stop();
    await raw.close();
    await meter.stop();
    await cluster.stop();
  }
}

function formatPaired(ratio: PairedRatio): string {
  return `${ratio.median.toFixed(2)} (${ratio.low.toFixed(2)} to ${ratio.high.toFixed(2)})`;
}

export function formatRefreshBench(result: RefreshBenchResult): string {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  return [
    result.machine,
    "",
    `Refresh of every database (median of ${result.repetitions}; calls counted at the emulator, bytes at a relay in front of it):`,
    "",
    "| databases | variant | ms | REST calls | KiB on the wire |",
    "| ---: | --- | ---: | ---: | ---: |",
    ...result.rows.map((row) => `| ${row.size} | ${row.variant} | ${row.ms.toFixed(1)} | ${row.calls} | ${kib(row.bytes)} |`),
    "",
    "| databases | parallelism | refresh time / list | (refresh - host read) / list (goal <= 1.5) | the same turn by turn: median (lowest to highest) | the same, new host each time | (refresh - host read, shortest provider text) / list | (refresh - host read answered together) / list | (refresh - host read) / list of the read's fields | raw per uid at this parallelism / list | calls / list | bytes / list | one GET each: (refresh - host read) / list | list cost in single GETs (raw) | provider, no host / list |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...result.summaries.map(
      (s) =>
        `| ${s.size} | ${s.parallelism} | ${s.timeRatio.toFixed(2)} | ${s.timeRatioBeyondHost.toFixed(2)} | ${formatPaired(s.timeRatioBeyondHostPaired)} | ${s.timeRatioBeyondHostNewHost.toFixed(2)} | ${s.timeRatioBeyondHostShortestText.toFixed(2)} | ${s.timeRatioBeyondHostAnsweredTogether?.toFixed(2) ?? "-"} | ${s.timeRatioBeyondHostToFieldsList.toFixed(2)} | ${s.rawPerUidRatio.toFixed(2)} | ${s.callsRatio.toFixed(2)} | ` +
        `${s.bytesRatio.toFixed(2)} | ${s.timeRatioBeyondHostOneGetEach.toFixed(2)} | ${s.listCostInGets.toFixed(1)} | ` +
        `${s.providerRatio.toFixed(2)} |`,
    ),
    "",
    "Where the time goes (medians of the turns, ms after the first Read was sent; with one REST call, the first request is that call):",
    "",
    "| databases | parallelism | variant | first REST request reached the cluster | first answer | last answer |",
    "| ---: | --- | --- | ---: | ---: | ---: |",
    ...result.summaries.flatMap((s) => {
      const variants: Array<[string, Phases | undefined]> = [
        ["host read, no REST", s.phases.hostRead],
        ["host read, no REST, answered together", s.phases.answeredTogether],
        ["host refresh", s.phases.refresh],
      ];
      return variants.flatMap(([variant, phases]) =>
        phases === undefined ? [] : [`| ${s.size} | ${s.parallelism} | ${variant} | ${phases.firstRequestMs?.toFixed(1) ?? "-"} | ${phases.firstAnswerMs.toFixed(1)} | ${phases.lastAnswerMs.toFixed(1)} |`],
      );
    }),
    "",
    `A read alone (median of ${result.loneRead.samples}, one at a time, in this process): through the coalescer ` +
      `${result.loneRead.coalescedMs.toFixed(3)} ms, a plain GET /v1/bdbs/{uid} ${result.loneRead.directMs.toFixed(3)} ms.`,
  ].join("\n");
}

if (require.main === module) {
  // node dist/bench/refresh.js [--repetitions N] [sizes...]
  const args = process.argv.slice(2);
  const flag = args.indexOf("--repetitions");
  const repetitions = flag >= 0 ? Number(args.splice(flag, 2)[1]) : undefined;
  if (repetitions !== undefined && !(Number.isInteger(repetitions) && repetitions > 0)) throw new Error("--repetitions: give a whole number of turns, such as 11");
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  runRefreshBench({ ...(sizes.length > 0 ? { sizes } : {}), ...(repetitions !== undefined ? { repetitions } : {}) }).then(
    (result) => console.log(formatRefreshBench(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
