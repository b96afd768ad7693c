// The chaos run of issue 11: a stack of many databases, a fixed share of the cluster's REST requests faulted at
// random (a seeded PRNG picks the request and the fault kind, so a run is repeatable from its seed), and `up`
// repeated through the real provider host (test/engine/harness) until one ends without error, within a bound.
// It then checks that exactly the declared databases exist, once each, active, with the ids the stack records,
// and that one more `up` without faults changes nothing.
//
// The faults are the emulator's own rules (emulator/faults.ts), each added for the one request the PRNG picked
// at the moment it arrives (test/reliability/tap.ts), and a node taken down for a second. The harness handles
// registrations one at a time, in the order they arrive, as the report's numbers assume.
import { Database } from "../../sdk";
import { startCluster, type EmulatedCluster, type FaultRuleInput } from "../../emulator";
import { DeploymentError, runProgram, startProviderHost, type EngineState, type ProviderHost, type RunOptions } from "../engine/harness";
import { seededRandom, tapRequests } from "./tap";

export interface ChaosOptions {
  databases: number;
  seed: number;
  /** Share of requests faulted, 0..1. */
  rate: number;
  /** How many `up`s at most before the run counts as not converged. */
  maxAttempts: number;
}

export interface ChaosReport {
  options: ChaosOptions;
  /** REST requests the cluster received during the faulted `up`s. */
  requests: number;
  faults: number;
  faultsByKind: Record<string, number>;
  /** Retries the provider reported (client retries, resent creates, repeated lookups). */
  retries: number;
  /** `up`s run until one ended without error. */
  attempts: number;
  /** One line per failed `up`: its first cause, cut. */
  failedUps: string[];
  converged: boolean;
  /** What is wrong with the end state (empty when it is exactly the declared set). */
  problems: string[];
  /** Steps of the last `up` without faults that were not "same" (must be none). */
  changesAfter: number;
  wallMs: number;
}

interface ChaosKind {
  name: string;
  rule?: Omit<FaultRuleInput, "method" | "path">;
  /** Only for a request that starts a database action. */
  actionOnly?: boolean;
  nodeDown?: boolean;
}

/** The fault kinds drawn from, uniformly among those that apply to the request. */
const KINDS: readonly ChaosKind[] = [
  { name: "500", rule: { status: 500, errorCode: "internal_error" } },
  { name: "503", rule: { status: 503, errorCode: "service_unavailable" } },
  { name: "409 busy", rule: { status: 409, errorCode: "busy" } },
  { name: "500 after applying", rule: { status: 500, errorCode: "internal_error", phase: "after" } },
  { name: "drop before", rule: { drop: true } },
  { name: "drop after applying", rule: { drop: true, phase: "after" } },
  { name: "latency 1 s before", rule: { latencyMs: 1000 } },
  { name: "latency 1 s after", rule: { latencyMs: 1000, phase: "after" } },
  { name: "busy window 1 s", rule: { busyMs: 1000 } },
  { name: "failed action", rule: { failAction: true }, actionOnly: true },
  { name: "node 1 down 1 s", nodeDown: true },
];

const PROJECT = "chaos";
const STACK = "chaos";
const DATABASE_TYPE = "pulumi-nodejs:dynamic/redisenterprise:Database";

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function declaredNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `chaos-${String(index).padStart(3, "0")}`);
}

/** Counts what the provider printed about retrying: the client's retry lines and the provider's own. */
export function countRetries(stderr: string): number {
  let retries = 0;
  for (const line of stderr.split("\n")) {
    const collapsed = /retried .* (\d+) more times/.exec(line);
    if (collapsed) retries += Number(collapsed[1]);
    else if (/\bretrying\b|sent again \(attempt|trying again until the deadline/.test(line)) retries += 1;
  }
  return retries;
}

export async function runChaos(options: ChaosOptions, log: (line: string) => void = () => undefined): Promise<ChaosReport> {
  const started = Date.now();
  const cluster: EmulatedCluster = await startCluster({ nodes: 3, operationDelayMs: 20, keyBits: 1024 });
  let host: ProviderHost | undefined;
  let untap: (() => void) | undefined;
  const nodeTimers = new Set<NodeJS.Timeout>();
  try {
    const config = {
      "redisenterprise:url": cluster.nodes[0]!.url,
      "redisenterprise:username": cluster.username,
      "redisenterprise:password": cluster.password,
      "redisenterprise:caCertPem": cluster.caCertPem,
    };
    host = await startProviderHost({ project: PROJECT, config });
    const names = declaredNames(options.databases);
    const program = () => {
      for (const name of names) {
        new Database(name, { name, memorySize: "100MB", timeouts: { create: "30s", update: "30s", delete: "30s" } });
      }
    };
    const runOptions: RunOptions = { host, project: PROJECT, stack: STACK, config, secretConfigKeys: ["redisenterprise:password"], mode: "up" };

    const random = seededRandom(options.seed);
    let requests = 0;
    const faultsByKind: Record<string, number> = {};
    untap = tapRequests(cluster, (method, path) => {
      requests += 1;
      if (!(random() < options.rate)) return;
      const startsAction = (method === "POST" && path === "/v1/bdbs") || ((method === "PUT" || method === "DELETE") && /^\/v1\/bdbs\/\d+$/.test(path));
      const applicable = KINDS.filter((kind) => !kind.actionOnly || startsAction);
      const kind = applicable[Math.floor(random() * applicable.length)]!;
      faultsByKind[kind.name] = (faultsByKind[kind.name] ?? 0) + 1;
      if (kind.nodeDown) {
        cluster.admin.setNode(1, { status: "down" });
        const timer = setTimeout(() => {
          nodeTimers.delete(timer);
          cluster.admin.setNode(1, { status: "active" });
        }, 1000);
        nodeTimers.add(timer);
        return;
      }
      const count = kind.rule?.busyMs !== undefined ? {} : { count: 1 };
      cluster.admin.addFault({ method, path: `^${escapeRegex(path)}$`, ...kind.rule, ...count });
    });

    const mark = host.mark();
    let state: EngineState = {};
    let attempts = 0;
    let converged = false;
    const failedUps: string[] = [];
    while (attempts < options.maxAttempts) {
      attempts += 1;
      try {
        state = (await runProgram(program, state, runOptions)).state;
        converged = true;
        log(`up ${attempts}: done`);
        break;
      } catch (error) {
        if (!(error instanceof DeploymentError)) throw error;
        state = error.state;
        const first = (error.causes[0]?.message ?? error.message).replace(/\s+/g, " ");
        failedUps.push(first.length > 400 ? `${first.slice(0, 400)}...` : first);
        log(`up ${attempts}: failed: ${failedUps.at(-1)}`);
      }
    }
    untap();
    untap = undefined;
    const retries = countRetries(host.stderrSince(mark).join("\n"));
    // Let faults still pending finish (a held-back answer, a node coming back), then look with faults gone.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    cluster.admin.clearFaults();

    const problems: string[] = [];
    const live = (cluster.admin.state() as { bdbs: Array<{ object: { uid: number; name: string; status: string } }> }).bdbs.map((entry) => entry.object);
    const recorded = Object.entries(state).filter(([, resource]) => resource.type === DATABASE_TYPE);
    const recordedIds = new Map(recorded.map(([urn, resource]) => [urn.split("::").at(-1)!, resource.id]));
    // A create that was never answered is recorded under a provisional id (pending-create:<name>), which an
    // update cannot change; the engine's next refresh reads the real uid. What that read says is the record.
    for (const [urn, resource] of recorded) {
      if (!resource.id.startsWith("pending-create:")) continue;
      const read = await host.read(resource.id, urn, resource.outputs, resource.inputs);
      recordedIds.set(urn.split("::").at(-1)!, read.id === "" ? `${resource.id} (read as gone)` : read.id);
    }
    for (const name of names) {
      const matching = live.filter((database) => database.name === name);
      if (matching.length === 0) problems.push(`${name} does not exist`);
      if (matching.length > 1) problems.push(`${name} exists ${matching.length} times (duplicate)`);
      for (const database of matching) {
        if (database.status !== "active") problems.push(`${name} (uid ${database.uid}) is ${database.status}`);
        if (recordedIds.get(name) !== String(database.uid)) problems.push(`${name} is uid ${database.uid} but the stack records ${recordedIds.get(name) ?? "nothing"} (orphan)`);
      }
    }
    for (const database of live) if (!names.includes(database.name)) problems.push(`${database.name} (uid ${database.uid}) was never declared`);
    if (recorded.length !== names.length) problems.push(`the stack records ${recorded.length} databases, ${names.length} declared`);

    let changesAfter = -1;
    if (converged) {
      const again = await runProgram(program, state, runOptions);
      changesAfter = again.steps.filter((step) => step.op !== "same").length;
      if (changesAfter > 0) problems.push(`${changesAfter} steps of a further up without faults were not "same"`);
    }
    return {
      options,
      requests,
      faults: Object.values(faultsByKind).reduce((sum, n) => sum + n, 0),
      faultsByKind,
      retries,
      attempts,
      failedUps,
      converged,
      problems,
      changesAfter,
      wallMs: Date.now() - started,
    };
  } finally {
    untap?.();
    for (const timer of nodeTimers) clearTimeout(timer);
    await host?.stop();
    await cluster.stop();
  }
}

/** The defaults of `npm run reliability -- --chaos`: issue 11's 100 databases and 10% of requests. */
export const CHAOS_DEFAULTS: ChaosOptions = { databases: 100, seed: 20261202, rate: 0.1, maxAttempts: 40 };

export function chaosSummary(report: ChaosReport): string {
  const kinds = Object.entries(report.faultsByKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
  return [
    `chaos: ${report.options.databases} databases, seed ${report.options.seed}, ${Math.round(report.options.rate * 100)}% of requests faulted`,
    `requests ${report.requests}, faults injected ${report.faults} (${kinds})`,
    `retries reported by the provider ${report.retries}; ups ${report.attempts} (${report.failedUps.length} failed, bound ${report.options.maxAttempts})`,
    `outcome: ${report.converged && report.problems.length === 0 ? "converged to exactly the declared set, no duplicate, no orphan; a further up changes nothing" : `NOT converged: ${report.problems.join("; ") || "the bound of ups was reached"}`}`,
    `wall time ${(report.wallMs / 1000).toFixed(0)} s`,
  ].join("\n");
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** `npm run reliability -- --chaos [--seed n] [--databases n] [--rate r] [--max-attempts n]`. */
export async function runChaosFromCli(): Promise<number> {
  const options: ChaosOptions = {
    databases: Number(option("--databases") ?? CHAOS_DEFAULTS.databases),
    seed: Number(option("--seed") ?? CHAOS_DEFAULTS.seed),
    rate: Number(option("--rate") ?? CHAOS_DEFAULTS.rate),
    maxAttempts: Number(option("--max-attempts") ?? CHAOS_DEFAULTS.maxAttempts),
  };
  const report = await runChaos(options, (line) => process.stdout.write(`${line}\n`));
  for (const line of report.failedUps) process.stdout.write(`  failed up: ${line}\n`);
  process.stdout.write(`\n${chaosSummary(report)}\n`);
  return report.converged && report.problems.length === 0 ? 0 : 1;
}
