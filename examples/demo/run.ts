// `npm run demo`: the demo stack against the embedded emulator, with no licence needed. It starts an emulated
// three-node cluster and goes through a day in the life of the stack:
//   up -> preview an encryption flip (with its disconnect note) -> up, observed by a real client of each
//   database when a data plane runs -> drift made behind Pulumi's back ->
//   refresh -> up corrects it -> destroy.
// With a `pulumi` CLI on the PATH (or named by PULUMI_CLI), the real engine runs every step (real-engine.ts).
// Without one, this file plays the engine's part with the real @pulumi/pulumi provider host over gRPC (see
// test/engine/harness). The first lines say which.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { RespConnection, startCluster, type EmulatedCluster } from "../../emulator";
import {
  destroy,
  refresh,
  runProgram,
  startProviderHost,
  type EngineState,
  type ProviderHost,
  type RunOptions,
  type Step,
} from "../../test/engine/harness";
import { demoProgram, type DemoSettings } from "./program";
import { cliVersion, runWithCli } from "./real-engine";

const PROJECT = "redis-enterprise-demo";
const STACK = "demo";

function heading(text: string): void {
  console.log(`\n== ${text}`);
}

function showSteps(steps: Step[]): void {
  for (const step of steps) console.log(`   ${step.op.padEnd(8)} ${step.urn.split("::").at(-1)} ${step.id ? `(uid ${step.id})` : ""}`);
}

/** What the provider printed during the last operation: the notes the engine shows under "Diagnostics". */
function showNotes(host: ProviderHost, mark: number): void {
  const lines = host.stderrSince(mark).filter((line) => line.trim() !== "");
  for (const line of lines) console.log(`   note: ${line}`);
  if (lines.length === 0) console.log("   (no notes)");
}

/** A real client on each database's endpoint (none without a data plane). */
async function connectClients(cluster: EmulatedCluster, state: EngineState): Promise<Array<{ name: string; client: RespConnection }>> {
  if (cluster.dataPlane.layout === "off") return [];
  await cluster.dataPlane.settled();
  const clients: Array<{ name: string; client: RespConnection }> = [];
  for (const [urn, resource] of Object.entries(state)) {
    const proxy = cluster.dataPlane.database(Number(resource.id))?.proxies[0];
    if (proxy) clients.push({ name: urn.split("::").at(-1)!, client: await RespConnection.connect(proxy.address, proxy.port) });
  }
  return clients;
}

/** What each client saw: its connection closed by the proxy restart, or still answering. */
async function showClients(cluster: EmulatedCluster, clients: Array<{ name: string; client: RespConnection }>): Promise<void> {
  await cluster.dataPlane.settled();
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const { name, client } of clients) {
    // A connection that still answers is still connected (a password-protected one answers NOAUTH).
    const answered = await client.send("PING").then(() => true, () => false);
    console.log(`   client of ${name}: ${answered ? "still connected (answers PING)" : "disconnected by the proxy restart"}`);
    client.close();
  }
}

/** The CLI to use: PULUMI_CLI (a path to the binary), else the first `pulumi` on the PATH. */
export function findPulumiCli(env: NodeJS.ProcessEnv = process.env): { path?: string; reason: string } {
  const named = env.PULUMI_CLI;
  if (named) {
    if (!fs.existsSync(named)) throw new Error(`PULUMI_CLI is ${named}, which does not exist; point it at the pulumi binary or unset it`);
    return { path: path.resolve(named), reason: "named by PULUMI_CLI" };
  }
  for (const folder of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(folder, "pulumi");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return { path: candidate, reason: "found on the PATH" };
    } catch {
      // not here
    }
  }
  return { reason: "no pulumi CLI on the PATH and PULUMI_CLI is not set" };
}

async function main(): Promise<void> {
  const cli = findPulumiCli();
  if (cli.path) console.log(`Engine: the real Pulumi CLI, ${cli.path} (${cliVersion(cli.path)}, ${cli.reason})`);
  else console.log(`Engine: the embedded provider host (${cli.reason}); the steps below play the engine's part`);
  heading("Starting an emulated 3-node Redis Enterprise Software cluster");
  // A data plane when this machine can run one (redis-server; namespaces as root), so the disconnect is real.
  const cluster: EmulatedCluster = await startCluster({ nodes: 3, operationDelayMs: 300, dataPlane: "auto" });
  let host: ProviderHost | undefined;
  try {
    for (const node of cluster.nodes) console.log(`   node ${node.uid}: ${node.url}`);
    console.log(`   API certificate verified against the cluster CA (SHA-256 ${cluster.caFingerprintSha256.slice(0, 16)}...)`);
    console.log(`   data plane: ${cluster.dataPlane.layout === "off" ? `off (${cluster.dataPlane.reason ?? ""}); disconnects are not observed` : `${cluster.dataPlane.layout} layout, real redis-server shards`}`);
    if (cli.path) {
      await runWithCli(cli.path, cluster);
      console.log("\nDone, with the real Pulumi CLI.");
      return;
    }
    const config = {
      "redisenterprise:url": cluster.nodes[0]!.url,
      "redisenterprise:username": cluster.username,
      "redisenterprise:password": cluster.password,
      "redisenterprise:caCertPem": cluster.caCertPem,
      "demo:sessionsPassword": crypto.randomBytes(12).toString("base64url"),
    };
    host = await startProviderHost({ project: PROJECT, config });
    const options = (mode: RunOptions["mode"]): RunOptions => ({
      host: host!,
      project: PROJECT,
      stack: STACK,
      config,
      secretConfigKeys: ["redisenterprise:password", "demo:sessionsPassword"],
      mode,
    });
    const run = (settings: DemoSettings, state: EngineState, mode: RunOptions["mode"]) =>
      runProgram(() => demoProgram(settings), state, options(mode));

    heading("pulumi up: two databases");
    let mark = host.mark();
    const created = await run({ encryptOrders: false, sessionsMemory: "128MB" }, {}, "up");
    showSteps(created.steps);
    console.log(`   orders endpoint:   ${String(created.outputs.ordersEndpoint)}`);
    console.log(`   sessions endpoint: ${String(created.outputs.sessionsEndpoint)} (password stored as a secret)`);
    showNotes(host, mark);

    heading("pulumi preview: turn on data internode encryption for orders");
    mark = host.mark();
    const preview = await run({ encryptOrders: true, sessionsMemory: "128MB" }, created.state, "preview");
    showSteps(preview.steps);
    showNotes(host, mark);

    heading("pulumi up: apply it, with a client connected to each database");
    const clients = await connectClients(cluster, created.state);
    mark = host.mark();
    const encrypted = await run({ encryptOrders: true, sessionsMemory: "128MB" }, created.state, "up");
    showSteps(encrypted.steps);
    showNotes(host, mark);
    await showClients(cluster, clients);

    heading("Someone changes the sessions database in the UI (eviction policy -> noeviction)");
    const sessionsId = encrypted.state[Object.keys(encrypted.state).find((urn) => urn.endsWith("::sessions"))!]!.id;
    cluster.admin.patchObject(`bdbs/${sessionsId}`, { eviction_policy: "noeviction" });

    heading("pulumi refresh");
    const refreshed = await refresh(encrypted.state, options("up"));
    for (const resource of refreshed.resources) {
      console.log(`   ${resource.urn.split("::").at(-1)}: ${resource.outputsChanged ? "drifted" : "unchanged"}`);
    }

    heading("pulumi up: put it back");
    mark = host.mark();
    const corrected = await run({ encryptOrders: true, sessionsMemory: "128MB" }, refreshed.state, "up");
    showSteps(corrected.steps);
    showNotes(host, mark);

    heading("pulumi destroy");
    await destroy(corrected.state, options("up"));
    console.log(`   databases left on the cluster: ${(cluster.admin.state() as { bdbs: unknown[] }).bdbs.length}`);
    console.log("\nDone. See README.md for running the same program with the real Pulumi CLI.");
  } finally {
    await host?.stop();
    await cluster.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
