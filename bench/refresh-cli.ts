// Refresh at stack scale through the real Pulumi CLI, timed by the Go engine itself. bench/refresh.ts drives the
// provider host with a gRPC client written in JavaScript, in the process that also runs the emulator; here the
// engine is the real one, and PULUMI_DEBUG_GRPC makes it log every gRPC call it makes with a timestamp. From that
// log, the refresh's provider phase is measured where the engine sees it: from the first Read sent to the last Read
// answered ("reads"), and to the last Diff answered ("reads and diffs": since CLI v3.27x a refresh diffs every
// resource it read). The CLI's start, the state writes and the display are outside both.
//
// Two stacks of one project hold the same resources:
//   Database      `pulumi up` of N Databases, then refreshed: the provider's reads, coalesced (the default);
//   Database, one GET each  the same with REDISENTERPRISE_READ_COALESCING=off;
//   no REST       the same state imported into a second stack with each `__provider` replaced by the same shim
//                 whose read returns the stored properties (and the same input keys) with no I/O, its text padded
//                 to the shim's length: the engine's and the host's own cost of a Read of the same state. Its diff
//                 is the Database's own (the shim loads the provider for everything else), so a refresh diffs the
//                 same values in both stacks;
//   no REST, answered together  (all at once only) a third stack whose no-I/O reads are held until every read has
//                 come, then answered together: what the engine and the host pay when the reads of a refresh wait
//                 for one shared answer, as they do for a list.
// Each stack is refreshed in turns, at the CLI's default --parallel (8 on this 2-core machine) and with
// --parallel above N (every Read at once), each turn after the others'; the medians are compared with one raw
// GET /v1/bdbs (the list) timed in the same run. The goal's figure is (Database - no REST) / list on the reads and
// diffs: a shared list answers every read at the end, so the engine's diffs, which follow each read, all come
// after it, where the no-REST reads let them run alongside. REST calls are counted at the emulator, bytes at a relay.
//
// Run: `npm run build && node dist/bench/refresh-cli.js [--repetitions N] [sizes...]` (5 turns, 100 and 500
// databases by default); the CLI comes from scripts/pulumi-cli.sh (built once, cached).
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { Deployment, Stack } from "@pulumi/pulumi/automation";
import { startCluster, type EmulatedCluster } from "../emulator";
import { Database } from "../sdk";
import { cachedCliFolder, inlineStack, makeSandbox, type PulumiSandbox } from "../test/e2e/support/pulumi";
import { EmulatorMeter, RawRest, machineLine, median } from "./support";

const PROJECT = "bench-refresh-cli";
const DATABASE_TYPE = "pulumi-nodejs:dynamic/redisenterprise:Database";
const ONE_GET_EACH = "Database, one GET each";
const ANSWERED_TOGETHER = "no REST, answered together";

/** One refresh as the engine's gRPC log shows it. */
interface EngineTiming {
  /** First Read sent to last Read answered, ms. */
  readsMs: number;
  /** First Read sent to last Diff answered, ms (the reads when no Diff was logged). */
  readsAndDiffsMs: number;
  reads: number;
  diffs: number;
}

export interface CliRefreshRow {
  databases: number;
  parallel: string;
  variant: string;
  readsMs: number;
  readsAndDiffsMs: number;
  wallMs: number;
  calls: number;
  bytes: number;
  /** Reads and diffs, ms, per turn. */
  turns: number[];
}

export interface CliRefreshSummary {
  databases: number;
  parallel: string;
  listMs: number;
  /** (Database - no REST) / list, from the medians, for the reads and for the reads and diffs. */
  readsRatio: number;
  readsAndDiffsRatio: number;
  /** Reads and diffs turn by turn (each Database refresh against the no-REST refresh before it). */
  paired: { median: number; low: number; high: number };
  /** (one GET each - no REST) / list, reads and diffs. */
  oneGetEachRatio: number;
  /** (Database - no REST answered together) / list, reads and diffs (all at once only). */
  answeredTogetherRatio?: number;
}

export interface CliRefreshResult {
  machine: string;
  cli: string;
  rows: CliRefreshRow[];
  summaries: CliRefreshSummary[];
}

/**
 * Reads the engine's PULUMI_DEBUG_GRPC log (one JSON object per line: method, progress, timestamp, duration) and
 * times the provider's Read and Diff calls. A call's start is its timestamp minus its duration when the entry is
 * the answer; a "request_started" entry is its own start.
 */
export function engineTiming(logText: string): EngineTiming {
  let firstRead = Infinity;
  let lastRead = -Infinity;
  let lastDiff = -Infinity;
  let reads = 0;
  let diffs = 0;
  for (const line of logText.split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { method?: string; progress?: string; timestamp?: string; duration?: number };
    const method = entry.method ?? "";
    const isRead = method.endsWith("/pulumirpc.ResourceProvider/Read");
    const isDiff = method.endsWith("/pulumirpc.ResourceProvider/Diff");
    if ((!isRead && !isDiff) || entry.timestamp === undefined) continue;
    const at = Date.parse(entry.timestamp) + fractionMs(entry.timestamp);
    const answered = entry.progress !== "request_started";
    if (!answered) {
      if (isRead) firstRead = Math.min(firstRead, at);
      continue;
    }
    // Go's time.Duration marshals as nanoseconds.
    const startedAt = at - (entry.duration ?? 0) / 1e6;
    if (isRead) {
      reads += 1;
      firstRead = Math.min(firstRead, startedAt);
      lastRead = Math.max(lastRead, at);
    } else {
      diffs += 1;
      lastDiff = Math.max(lastDiff, at);
    }
  }
  if (reads === 0) throw new Error("the engine's gRPC log holds no answered Read: is PULUMI_DEBUG_GRPC supported by this CLI?");
  return { readsMs: lastRead - firstRead, readsAndDiffsMs: Math.max(lastRead, lastDiff) - firstRead, reads, diffs };
}

/** The sub-millisecond part of an RFC 3339 timestamp with nanoseconds (Date.parse keeps milliseconds only). */
function fractionMs(timestamp: string): number {
  const match = /\.(\d+)/.exec(timestamp);
  if (!match) return 0;
  const digits = match[1]!.padEnd(9, "0");
  return Number(digits.slice(3, 9)) / 1e6;
}

/**
 * The shim's text with its read answering from the stored properties, no I/O: the same input keys as the state
 * holds, and everything else (configure, diff) still the Database provider's. Padded with a comment to `length`
 * (what the engine and the host carry grows with the text), after shortening the shim's two error messages and its indentation to make room.
 * With `holdFor`, each read waits until that many have come (or none for 100 ms), then all are answered: what the
 * engine and the host pay when the reads of a refresh wait for one shared answer, as they do for a list.
 */
export function noRestShim(shim: string, inputKeys: readonly string[], length: number, holdFor?: number): string {
  const configure = "return load().configure(req);";
  if (!shim.includes(configure)) throw new Error("the Database shim no longer ends its configure with load().configure(req): update bench/refresh-cli.ts");
  const hold =
    holdFor === undefined
      ? ""
      : `await new Promise((go) => { h.w.push(go); clearTimeout(h.t); const all = () => h.w.splice(0).forEach((g) => g()); ` +
        `if (h.w.length >= ${holdFor}) all(); else h.t = setTimeout(all, 100); }); `;
  const read =
    `${holdFor === undefined ? "" : "const h = { w: [], t: undefined }; "}this.read = async (id, props) => { const inputs = {}; ` +
    `for (const key of ${JSON.stringify(inputKeys)}) if (key in props) inputs[key] = props[key]; ${hold}return { id, props, inputs }; };\n`;
  const text = shim
    .replace(/throw new Error\(`pulumi-redis-enterprise: the provider implementation[^;]*;/, "throw err;")
    .replace(/throw new Error\("pulumi-redis-enterprise: the provider host did not call configure first[^;]*;/, 'throw new Error("configure");')
    .replace(configure, `${read}${configure}`)
    .replace(/\n[ \t]+/g, "\n");
  if (text.length > length) throw new Error(`the no-REST shim is ${text.length} characters, longer than the shim's ${length}`);
  return length > text.length + 3 ? `${text}\n//${"x".repeat(length - text.length - 3)}` : text;
}

/** A copy of stack `from`'s deployment for stack `to`, with each Database's `__provider` replaced. */
function retargeted(deployment: Deployment, from: string, to: string, provider: (shim: string) => string): Deployment {
  const text = JSON.stringify(deployment.deployment)
    .split(`urn:pulumi:${from}::`)
    .join(`urn:pulumi:${to}::`)
    .split(`${PROJECT}-${from}`)
    .join(`${PROJECT}-${to}`);
  const copy = JSON.parse(text) as { resources?: Array<{ type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }> };
  for (const resource of copy.resources ?? []) {
    if (resource.type !== DATABASE_TYPE) continue;
    for (const bag of [resource.inputs, resource.outputs]) {
      if (bag && typeof bag.__provider === "string") bag.__provider = provider(bag.__provider);
    }
  }
  return { version: deployment.version, deployment: copy };
}

async function timedRefresh(stack: Stack, parallel: number, meter: EmulatorMeter, logFile: string, env: Record<string, string> = {}): Promise<{ timing: EngineTiming; wallMs: number; calls: number; bytes: number }> {
  fs.rmSync(logFile, { force: true });
  const variables = { PULUMI_DEBUG_GRPC: logFile, ...env };
  Object.assign(stack.workspace.envVars, variables);
  try {
    const { result, counts, ms } = await meter.count(() => stack.refresh({ parallel }));
    const changed = Object.entries(result.summary.resourceChanges ?? {}).filter(([kind, count]) => kind !== "same" && (count ?? 0) > 0);
    if (changed.length > 0) throw new Error(`the refresh of ${stack.name} found changes (${JSON.stringify(result.summary.resourceChanges)}): the two stacks no longer hold the same state`);
    return { timing: engineTiming(fs.readFileSync(logFile, "utf8")), wallMs: ms, ...counts };
  } finally {
    for (const key of Object.keys(variables)) delete stack.workspace.envVars[key];
  }
}

/** One raw GET /v1/bdbs on a warm connection: the median of 5, after one not timed. */
async function rawListMs(raw: RawRest): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= 5; i++) {
    const started = performance.now();
    const answer = await raw.call("GET", "/v1/bdbs");
    if (answer.status !== 200) throw new Error(`the raw list answered ${answer.status}`);
    if (i > 0) times.push(performance.now() - started);
  }
  return median(times);
}

export async function runCliRefreshBench(options: { sizes?: number[]; repetitions?: number } = {}): Promise<CliRefreshResult> {
  const sizes = options.sizes ?? [100, 500];
  const repetitions = options.repetitions ?? 5;
  const cliFolder = cachedCliFolder();
  if (!cliFolder) throw new Error("the Pulumi CLI is not built on this machine: run scripts/pulumi-cli.sh first (once, about 15 minutes)");
  const machine = machineLine();
  const cluster: EmulatedCluster = await startCluster({ nodes: 1, operationDelayMs: 0, keyBits: 1024 });
  const meter = await new EmulatorMeter(cluster).start();
  const raw = new RawRest(meter.url, cluster);
  const sandboxes: PulumiSandbox[] = [];
  const rows: CliRefreshRow[] = [];
  const summaries: CliRefreshSummary[] = [];
  try {
    for (const size of sizes) {
      const sandbox = makeSandbox(cliFolder);
      sandboxes.push(sandbox);
      const logFile = path.join(sandbox.root, "grpc.log");
      const connection = { url: meter.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
      const program = async () => {
        for (let i = 1; i <= size; i++) new Database(`db-${i}`, { name: `cli-${size}-${i}`, memorySize: "100MB", connection });
        return {};
      };
      const withRest = await inlineStack(sandbox, PROJECT, `rest-${size}`, program);
      await withRest.up({ parallel: 64 });
      const noRest = await inlineStack(sandbox, PROJECT, `norest-${size}`, program);
      const exported = await withRest.exportStack();
      const sample = (exported.deployment as { resources: Array<{ type: string; inputs: Record<string, unknown> }> }).resources.find((r) => r.type === DATABASE_TYPE)!;
      const inputKeys = Object.keys(sample.inputs).filter((key) => key !== "__provider");
      await noRest.importStack(retargeted(exported, `rest-${size}`, `norest-${size}`, (shim) => noRestShim(shim, inputKeys, shim.length)));
      const held = await inlineStack(sandbox, PROJECT, `held-${size}`, program);
      await held.importStack(retargeted(exported, `rest-${size}`, `held-${size}`, (shim) => noRestShim(shim, inputKeys, shim.length, size)));

      const list: number[] = [];
      // 8 is the CLI's default --parallel on this 2-core machine (pulumi refresh --help).
      const parallels: Array<[string, number]> = [["8 at a time", 8], ["all at once", size * 2]];
      // Name, stack and environment of each variant, in the order of a turn and of the table.
      const variants: Array<[string, Stack, Record<string, string>]> = [
        ["no REST", noRest, {}],
        [ANSWERED_TOGETHER, held, {}],
        ["Database", withRest, {}],
        [ONE_GET_EACH, withRest, { REDISENTERPRISE_READ_COALESCING: "off" }],
      ];
      const samples = new Map<string, Array<Awaited<ReturnType<typeof timedRefresh>>>>();
      // One refresh of each stack first, not timed (the CLI's and the OS's first reads of its files).
      for (const stack of [withRest, noRest, held]) await timedRefresh(stack, size * 2, meter, logFile);
      for (let turn = 0; turn < repetitions; turn++) {
        for (const [label, parallel] of parallels) {
          for (const [variant, stack, env] of variants) {
            // Held reads only all at once: 8 at a time, each 8 would wait out the 100 ms.
            if (variant === ANSWERED_TOGETHER && parallel <= size) continue;
            const key = `${label}|${variant}`;
            samples.set(key, [...(samples.get(key) ?? []), await timedRefresh(stack, parallel, meter, logFile, env)]);
          }
        }
        list.push(await rawListMs(raw));
      }
      const listMs = median(list);
      for (const [label] of parallels) {
        for (const [variant] of variants) {
          const runs = samples.get(`${label}|${variant}`);
          if (runs === undefined) continue;
          rows.push({
            databases: size,
            parallel: label,
            variant,
            readsMs: median(runs.map((run) => run.timing.readsMs)),
            readsAndDiffsMs: median(runs.map((run) => run.timing.readsAndDiffsMs)),
            wallMs: median(runs.map((run) => run.wallMs)),
            calls: median(runs.map((run) => run.calls)),
            bytes: median(runs.map((run) => run.bytes)),
            turns: runs.map((run) => run.timing.readsAndDiffsMs),
          });
        }
        const mine = rows.filter((row) => row.databases === size && row.parallel === label);
        const of = (variant: string) => mine.find((row) => row.variant === variant);
        const [base, together, database, oneEach] = [of("no REST")!, of(ANSWERED_TOGETHER), of("Database")!, of(ONE_GET_EACH)!];
        const paired = database.turns.map((ms, turn) => (ms - base.turns[turn]!) / listMs);
        summaries.push({
          databases: size,
          parallel: label,
          listMs,
          readsRatio: (database.readsMs - base.readsMs) / listMs,
          readsAndDiffsRatio: (database.readsAndDiffsMs - base.readsAndDiffsMs) / listMs,
          paired: { median: median(paired), low: Math.min(...paired), high: Math.max(...paired) },
          oneGetEachRatio: (oneEach.readsAndDiffsMs - base.readsAndDiffsMs) / listMs,
          ...(together ? { answeredTogetherRatio: (database.readsAndDiffsMs - together.readsAndDiffsMs) / listMs } : {}),
        });
      }
      await withRest.destroy({ parallel: 64 });
    }
  } finally {
    await raw.close();
    await meter.stop();
    await cluster.stop();
    for (const sandbox of sandboxes) sandbox.dispose();
  }
  return { machine, cli: path.basename(path.dirname(cliFolder)), rows, summaries };
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

export function formatCliRefreshBench(result: CliRefreshResult): string {
  const lines = [
    `${result.machine}; CLI ${result.cli}`,
    "",
    "| databases | parallelism | variant | reads ms (engine) | reads and diffs ms (engine) | CLI run ms | REST calls | KiB on the wire |",
    "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...result.rows.map(
      (row) =>
        `| ${row.databases} | ${row.parallel} | ${row.variant} | ${fixed(row.readsMs)} | ${fixed(row.readsAndDiffsMs)} | ${fixed(row.wallMs, 0)} | ${row.calls} | ${fixed(row.bytes / 1024)} |`,
    ),
    "",
    "| databases | parallelism | raw list ms | (Database - no REST) / list, reads and diffs (goal <= 1.5) | the same turn by turn: median (lowest to highest) | the same, reads only | (Database - no REST answered together) / list | one GET each: (refresh - no REST) / list |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...result.summaries.map(
      (s) =>
        `| ${s.databases} | ${s.parallel} | ${fixed(s.listMs)} | ${fixed(s.readsAndDiffsRatio, 2)} | ${fixed(s.paired.median, 2)} (${fixed(s.paired.low, 2)} to ${fixed(s.paired.high, 2)}) | ${fixed(s.readsRatio, 2)} | ${s.answeredTogetherRatio === undefined ? "-" : fixed(s.answeredTogetherRatio, 2)} | ${fixed(s.oneGetEachRatio, 2)} |`,
    ),
  ];
  return lines.join("\n");
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--repetitions");
  const repetitions = at >= 0 ? Number(args.splice(at, 2)[1]) : undefined;
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  runCliRefreshBench({ sizes: sizes.length > 0 ? sizes : undefined, repetitions })
    .then((result) => console.log(formatCliRefreshBench(result)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
