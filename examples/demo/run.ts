// `npm run demo`: the demo stack (program.ts, the program of the repository's Pulumi.yaml) against an emulated
// cluster, with no licence needed. It starts three idle emulated nodes, with real redis-server shards and proxies
// where the machine allows it, and goes through a day in the life of the stack:
//   up (a Cluster bootstrapped from the nodes, its InternodeFirewall, three databases, a CertificateRotation) ->
//   preview of turning encryption on for `orders` (its disconnect note) -> up, watched by a real client of each
//   database (the orders client drops, the others stay) -> a change behind Pulumi's back -> refresh, shown
//   property by property -> up puts it back -> destroy -> a summary.
// With a `pulumi` CLI on the PATH (or named by PULUMI_CLI), the real engine runs every step (real-engine.ts);
// without one, the real @pulumi/pulumi provider host driven over gRPC plays the engine's part (embedded-engine.ts).
// The first line says which. Whatever happens (failure, Ctrl-C), the emulator, its processes and namespaces, the
// provider host and the temporary Pulumi backend are gone when it exits.
import * as fs from "node:fs";
import * as net from "node:net";
import { RespConnection, RespError, startCluster, type EmulatedCluster } from "../../emulator";
import { EmbeddedEngine } from "./embedded-engine";
import type { DemoEngine } from "./engine";
import { CliEngine, cliVersion } from "./real-engine";
import { DEMO_CLUSTER_NAME, demoConfigFor, findPulumiCli, firewallPlan, onPath, formatDrift, formatSummary, refreshDrift, type DemoSummary, type PropertyDrift } from "./story";

export { findPulumiCli } from "./story";

const PROJECT = "redis-enterprise-demo";
const STACK = "demo";
const MiB = 1024 * 1024;
const PROBE_TIMEOUT_MS = 1500;

function heading(text: string): void {
  console.log(`\n== ${text}`);
}

function line(text: string): void {
  console.log(`   ${text}`);
}

/** Things to undo at the end, newest first; each runs once, also on Ctrl-C. */
class Cleanup {
  private readonly actions: Array<{ what: string; run: () => Promise<void> | void }> = [];
  add(what: string, run: () => Promise<void> | void): void {
    this.actions.push({ what, run });
  }
  async runAll(): Promise<void> {
    for (const action of this.actions.splice(0).reverse()) {
      try {
        await action.run();
      } catch (error) {
        console.error(`cleanup: ${action.what} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

/** Processes this one started that are still running (the pulumi CLI the Automation API runs), by pid. */
function childProcesses(): Array<{ pid: number; name: string }> {
  const children: Array<{ pid: number; name: string }> = [];
  for (const entry of fs.readdirSync("/proc", { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry.name}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ")".
      const close = stat.lastIndexOf(")");
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === process.pid) children.push({ pid: Number(entry.name), name: stat.slice(stat.indexOf("(") + 1, close) });
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** Asks the pulumi processes this demo started to stop (SIGINT: the CLI cancels and stops its plugins), then kills them. */
async function stopPulumiChildren(): Promise<void> {
  const running = childProcesses().filter((child) => child.name === "pulumi");
  for (const child of running) process.kill(child.pid, "SIGINT");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && childProcesses().some((child) => running.some((r) => r.pid === child.pid))) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (const child of childProcesses().filter((c) => running.some((r) => r.pid === c.pid))) process.kill(child.pid, "SIGKILL");
}

/** TCP to address:port from this machine: "open", "refused" (no listener) or "dropped" (no answer: a firewall). */
function probe(address: string, port: number): Promise<"open" | "refused" | "dropped"> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("dropped");
    }, PROBE_TIMEOUT_MS);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve("open");
    });
    socket.once("error", () => {
      clearTimeout(timer);
      resolve("refused");
    });
  });
}

type Bdb = { uid: number; name: string; memory_size: number; data_internode_encryption: boolean };
const liveDatabases = (cluster: EmulatedCluster) => (cluster.admin.state() as { bdbs: Array<{ object: Bdb }> }).bdbs.map((bdb) => bdb.object);

interface Client {
  database: string;
  connection: RespConnection;
}

/** A real client on each database, through the proxy of its endpoint (none without a data plane). */
async function connectClients(cluster: EmulatedCluster, names: readonly string[]): Promise<Client[]> {
  if (cluster.dataPlane.layout === "off") return [];
  await cluster.dataPlane.settled();
  const clients: Client[] = [];
  for (const name of names) {
    const bdb = liveDatabases(cluster).find((candidate) => candidate.name === name);
    const proxy = bdb ? cluster.dataPlane.database(bdb.uid)?.proxies[0] : undefined;
    if (!bdb || !proxy) {
      line(`${name}: no proxy runs for it, no client`);
      continue;
    }
    const connection = await RespConnection.connect(proxy.address, proxy.port);
    const reply = await connection.send("PING");
    // A password-protected database answers NOAUTH: the connection is up all the same.
    line(`client of ${name.padEnd(8)} connected to ${proxy.address}:${proxy.port} (node ${proxy.nodeUid}'s proxy), PING -> ${reply instanceof RespError ? reply.message.split(" ")[0] : String(reply)}`);
    clients.push({ database: name, connection });
  }
  return clients;
}

/** What each client saw during the last up: its connection closed by the proxy restart, or still answering. */
async function observeClients(cluster: EmulatedCluster, clients: readonly Client[]): Promise<Array<{ database: string; dropped: boolean }>> {
  await cluster.dataPlane.settled();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const seen: Array<{ database: string; dropped: boolean }> = [];
  for (const { database, connection } of clients) {
    const answered = !connection.isClosed && (await connection.send("PING").then(() => true, () => false));
    line(`client of ${database.padEnd(8)} ${answered ? "still connected: it answers PING on the same connection" : "DISCONNECTED: the proxy restart closed its connection"}`);
    seen.push({ database, dropped: !answered });
    connection.close();
  }
  return seen;
}

/** The firewall seen from outside and from inside: this machine (not a node) is dropped, the nodes reach each other. */
async function showFirewall(cluster: EmulatedCluster): Promise<void> {
  const port = cluster.dataPlane.internodePort;
  const outsider = cluster.dataPlane.hostAddress ?? "this machine";
  for (const node of cluster.dataPlane.nodes()) {
    line(`from ${outsider} (not a node) to node ${node.uid} ${node.address}:${port}: ${await probe(node.address, port)}`);
  }
  const payments = liveDatabases(cluster).find((bdb) => bdb.name === "payments");
  const running = payments ? cluster.dataPlane.database(payments.uid) : undefined;
  if (!payments || !running) return;
  const before = cluster.dataPlane.internodeConnections().length;
  // Through every proxy (proxyPolicy all-nodes): one on a node without the master shard crosses 3342 (TLS) to it.
  for (const proxy of running.proxies) {
    const client = await RespConnection.connect(proxy.address, proxy.port);
    const reply = await client.send("SET", "demo:last-order", "42").catch((error: Error) => error);
    client.close();
    line(`payments through node ${proxy.nodeUid}'s proxy: SET -> ${reply instanceof Error ? reply.message : String(reply)}`);
  }
  const crossings = cluster.dataPlane.internodeConnections().slice(before).filter((connection) => connection.side === "client" && connection.purpose === "proxy");
  const master = running.shards.find((shard) => shard.role === "master");
  if (crossings.length > 0) {
    line(`between the nodes, 3342 stays open: ${crossings.map((c) => `node ${c.nodeUid} -> node ${c.peerNodeUid ?? "?"}`).join(", ")} over TLS with the data-plane certificates (master shard on node ${master?.nodeUid ?? "?"})`);
  }
}

async function main(cleanup: Cleanup, options: DemoOptions): Promise<void> {
  const env = options.env ?? process.env;
  const cli = findPulumiCli(env);
  const engineName = cli.path ? `the real Pulumi CLI, ${cli.path} (${cliVersion(cli.path)}, ${cli.reason})` : `the embedded provider host (${cli.reason})`;
  console.log(`Engine: ${engineName}${cli.path ? "" : "; the steps below play the engine's part"}`);

  heading("Starting an emulated Redis Enterprise Software cluster: three idle nodes");
  // A data plane where the machine allows it (redis-server; network namespaces as root), so disconnects are real.
  const cluster = await startCluster({
    nodes: 3,
    idle: true,
    clusterName: DEMO_CLUSTER_NAME,
    dataPlane: "auto",
    ...(options.keyBits === undefined ? {} : { keyBits: options.keyBits }),
    operationDelayMs: options.operationDelayMs ?? 100,
  });
  cleanup.add("stopping the emulated cluster", () => cluster.stop());
  options.onClusterStarted?.(cluster);
  for (const node of cluster.nodes) line(`node ${node.uid}: REST API ${node.url} (not bootstrapped)`);
  line(`API certificate verified against the cluster CA (SHA-256 ${cluster.caFingerprintSha256.slice(0, 16)}...)`);
  const layout = cluster.dataPlane.layout;
  line(
    layout === "off"
      ? `data plane: off (${cluster.dataPlane.reason ?? "unavailable"}); client disconnects are not observed`
      : `data plane: ${layout} layout, real redis-server shards and proxies${layout === "namespaces" ? ", one network namespace per node: " + cluster.dataPlane.nodes().map((n) => `${n.namespace} ${n.address}`).join(", ") : ""}`,
  );
  const plan = firewallPlan({ layout, ...(cluster.dataPlane.reason ? { reason: cluster.dataPlane.reason } : {}), nodes: cluster.dataPlane.nodes(), nftOnPath: onPath("nft", env) !== undefined });
  const firewall = "skipped" in plan ? `not declared: ${plan.skipped}` : "netns transport, an nftables table in each node's namespace";
  line(`InternodeFirewall: ${firewall}`);

  const config = demoConfigFor(cluster, "namespaces" in plan ? plan.namespaces : undefined);

  let engine: DemoEngine;
  if (cli.path) {
    const cliEngine = new CliEngine(cli.path);
    cleanup.add("removing the temporary Pulumi backend", () => cliEngine.dispose());
    line(`Pulumi state: a file backend in ${cliEngine.folders.join(" and ")} (removed at the end)`);
    cleanup.add("stopping the pulumi CLI", stopPulumiChildren);
    await cliEngine.init(PROJECT, STACK, config);
    engine = cliEngine;
  } else {
    const embedded = await EmbeddedEngine.start(PROJECT, STACK, config);
    cleanup.add("stopping the provider host", () => embedded.dispose());
    engine = embedded;
  }
  const summary: DemoSummary = { engine: engineName, created: [], firewall, clients: [], driftFound: [], driftFixed: false, destroyed: false };

  heading("pulumi up: bootstrap the cluster from the three nodes, its InternodeFirewall, three databases, certificate rotation");
  await engine.up();
  const created = await engine.resources();
  summary.created = created.map((resource) => `${resource.type} ${resource.name}`);
  const clusterOutputs = created.find((resource) => resource.type === "Cluster")?.outputs;
  for (const node of (clusterOutputs?.nodes ?? []) as Array<{ uid: number; address: string; softwareVersion: string; status: string }>) {
    line(`cluster node ${node.uid}: ${node.address}, ${node.softwareVersion}, ${node.status}`);
  }
  for (const bdb of liveDatabases(cluster)) line(`database ${bdb.name.padEnd(8)} uid ${bdb.uid}, ${bdb.memory_size / MiB}MB, data internode encryption ${bdb.data_internode_encryption ? "on" : "off"}`);
  const rotated = cluster.admin.events({ type: "certificate_rotation" });
  const rotation = created.find((resource) => resource.type === "CertificateRotation");
  if (rotation) line(`certificate rotation: ${String(rotation.outputs.lastRotatedAt ?? "")} (${((rotation.outputs.certificates ?? []) as unknown[]).length} certificates tracked${rotated.length > 0 ? `, ${rotated.length} rotation event(s) on the cluster` : ""})`);
  if ("namespaces" in plan) {
    heading("The InternodeFirewall on the nodes' real traffic");
    await showFirewall(cluster);
  }

  heading("Clients connect to each database");
  const clients = await connectClients(cluster, ["payments", "orders", "sessions"]);
  cleanup.add("closing the clients", () => clients.forEach((client) => client.connection.close()));

  heading("pulumi preview --diff: turn on data internode encryption for orders (pulumi config set demo:encryptOrders true)");
  await engine.setConfig("demo:encryptOrders", { value: "true", secret: false });
  await engine.preview();

  heading("pulumi up: apply it, with the clients connected");
  const since = cluster.admin.events().at(-1)?.seq ?? 0;
  await engine.up();
  for (const event of cluster.admin.events({ type: "proxy_restart", since })) {
    const name = liveDatabases(cluster).find((bdb) => bdb.uid === event.bdbUid)?.name ?? String(event.bdbUid);
    line(`cluster: the proxy of ${name} restarted (${String(event.reason)})`);
  }
  summary.clients = await observeClients(cluster, clients);

  const sessions = liveDatabases(cluster).find((bdb) => bdb.name === "sessions");
  if (!sessions) throw new Error("the sessions database is not on the cluster after up");
  const resized = sessions.memory_size * 2;
  heading(`Behind Pulumi's back: someone resizes sessions in the admin UI (${sessions.memory_size / MiB}MB -> ${resized / MiB}MB)`);
  cluster.admin.patchObject(`bdbs/${sessions.uid}`, { memory_size: resized });

  heading("pulumi refresh: what changed, property by property");
  const before = await engine.resources();
  await engine.refresh();
  const changes: PropertyDrift[] = refreshDrift(before, await engine.resources());
  summary.driftFound = changes.filter((change) => change.declared);
  for (const change of summary.driftFound) line(`drift   ${change.resource}: ${formatDrift(change)}`);
  if (summary.driftFound.length === 0) line("no drift in any declared property");
  for (const change of changes.filter((c) => !c.declared)) line(`updated ${change.resource}: ${formatDrift(change)} (a reported fact, not a declared property)`);

  heading("pulumi up: put it back");
  await engine.up();
  const restored = liveDatabases(cluster).find((bdb) => bdb.name === "sessions");
  summary.driftFixed = restored?.memory_size === sessions.memory_size;
  line(`sessions on the cluster: ${(restored?.memory_size ?? 0) / MiB}MB`);

  heading("pulumi destroy");
  await engine.destroy();
  line(`databases left on the cluster: ${liveDatabases(cluster).length} (the cluster itself stays: there is no API to destroy one)`);
  summary.destroyed = true;

  heading("Summary");
  for (const text of formatSummary(summary)) line(text);
}

/** Emulator settings: the defaults are the emulator's own (2048-bit keys); a test passes faster ones. */
export interface DemoOptions {
  /** RSA key size of the emulated cluster's keys. */
  keyBits?: number;
  /** How long the emulated cluster's asynchronous operations take. @default 100 */
  operationDelayMs?: number;
  /** Where to look for `pulumi` (PULUMI_CLI, PATH) and `nft` (PATH). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Called once the emulated cluster runs (tests watch its processes). */
  onClusterStarted?: (cluster: EmulatedCluster) => void;
}

/**
 * Runs the whole demo, printing as it goes, and resolves true when every step passed. Whatever happens (a failed
 * step, SIGINT or SIGTERM), what it started is stopped and removed before it resolves (or, on a signal, before
 * the process exits with 130).
 */
export async function runDemo(options: DemoOptions = {}): Promise<boolean> {
  const cleanup = new Cleanup();
  let stopping = false;
  const interrupted = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the demo and everything it started...`);
    void cleanup.runAll().finally(() => process.exit(130));
  };
  // `on`, not `once`, and kept until the end: execa (under the Automation API) re-raises a signal that it thinks
  // nobody else handles (signal-exit counts the listeners), which would end the process before the cleanup.
  process.on("SIGINT", interrupted);
  process.on("SIGTERM", interrupted);
  let succeeded = false;
  try {
    await main(cleanup, options);
    succeeded = true;
  } catch (error) {
    if (!stopping) console.error(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (stopping) return new Promise<boolean>(() => undefined); // the signal handler ends the process
  await cleanup.runAll();
  process.removeListener("SIGINT", interrupted);
  process.removeListener("SIGTERM", interrupted);
  if (succeeded) console.log("\nDone; nothing is left running.");
  return succeeded;
}

if (require.main === module) {
  void runDemo().then((succeeded) => {
    if (!succeeded) process.exitCode = 1;
  });
}
