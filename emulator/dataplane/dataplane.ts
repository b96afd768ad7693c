// The data plane of one emulated cluster: one agent per node (agent.ts), and the reconciliation that turns the
// model's databases into what the agents run. The emulator calls reconcile() through its one hook
// (emulator/reconcile.ts) after every change of a database, a certificate rotation and a reset; each call
// compares the whole model with what runs, so calls can never get out of step, and they run one at a time.
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shardPlacement } from "../bdbs";
import type { EmulatorCore } from "../core";
import { isJsonObject, type JsonObject } from "../json";
import type { BdbRecord } from "../state";
import type { DataPlaneChange, DataPlaneHook } from "../reconcile";
import { AgentClient } from "./agent-client";
import { registerCleanup } from "./cleanup";
import { findRedisServer, REDIS_SERVER_ENV, loopbackNetwork, namespaceNetwork, namespacesUnavailable, type DataPlaneLayout, type DataPlaneMode, type Network } from "./layout";
import type { AgentNotice, ShardRoute, TlsMaterial } from "./protocol";

/** The internode TLS port of the product (reference §7). */
export const INTERNODE_PORT = 3342;
/** Internode connections remembered for inspection (the oldest are dropped first). */
const MAX_CONNECTIONS_KEPT = 500;
const MAX_PROBLEMS_KEPT = 20;

export interface DataPlaneNode {
  uid: number;
  address: string;
  namespace?: string;
  /** Host-side end of the node's link (namespaces layout). */
  link?: string;
  agentPid: number;
}

export interface RunningShard {
  uid: number;
  role: "master" | "replica";
  nodeUid: number;
  address: string;
  port: number;
  pid: number;
}

export interface RunningDatabase {
  bdbUid: number;
  encrypted: boolean;
  proxies: Array<{ nodeUid: number; address: string; port: number }>;
  shards: RunningShard[];
  /** What went wrong on this database's data plane (internode failures, shards that died), newest last. */
  problems: string[];
}

export interface InternodeConnection {
  /** Which end reported it: the node that dialled (client) or the node whose 3342 accepted (server). */
  side: "client" | "server";
  nodeUid: number;
  peerNodeUid: number | null;
  localFingerprintSha256: string;
  peerFingerprintSha256: string;
  purpose: string;
}

interface NodeState extends DataPlaneNode {
  agent: AgentClient;
  hostname: string;
  /** The agent got its address, certificate and listener (a node does once it is a cluster member). */
  initialised: boolean;
}

interface Desired {
  bdbUid: number;
  encrypted: boolean;
  port: number;
  maxmemory: number;
  password?: string;
  masters: Array<{ uid: number; nodeUid: number }>;
  replicas: Array<{ uid: number; nodeUid: number; masterIndex: number }>;
  proxyNodes: number[];
}

/** The configuration a database runs with now: an update or delete in flight keeps the old one until applied. */
function runningConfig(record: BdbRecord, applying: number | undefined): JsonObject | undefined {
  const pending = record.pending;
  const uid = record.object.uid as number;
  if (!pending) return record.object.status === "active" ? record.object : undefined;
  if (uid === applying) return pending.kind === "delete" ? undefined : record.object;
  if (pending.kind === "create") return undefined;
  return pending.previous;
}

function desiredOf(core: EmulatorCore, object: JsonObject): Desired {
  const placement = shardPlacement(core, object);
  const masters = placement.filter((p) => p.role === "master").map((p) => ({ uid: p.shard, nodeUid: p.nodeUid }));
  const replicas = placement.filter((p) => p.role === "slave").map((p, i) => ({ uid: p.shard, nodeUid: p.nodeUid, masterIndex: i }));
  const members = core.members().map((node) => node.uid);
  const masterNodes = [...new Set(masters.map((m) => m.nodeUid))];
  // Where proxies run follows the endpoint addresses the REST object shows (bdbs.ts endpointAddresses).
  const proxyNodes = object.proxy_policy === "all-nodes" ? members : object.proxy_policy === "single" || object.proxy_policy === undefined ? masterNodes.slice(0, 1) : masterNodes;
  const endpoints = object.endpoints;
  const port = Array.isArray(endpoints) && isJsonObject(endpoints[0]) && typeof endpoints[0].port === "number" ? endpoints[0].port : Number(object.port);
  const shardCount = Math.max(1, masters.length);
  const desired: Desired = {
    bdbUid: object.uid as number,
    encrypted: object.data_internode_encryption === true,
    port,
    maxmemory: Math.max(1, Math.floor(Number(object.memory_size) / shardCount)),
    masters,
    replicas,
    proxyNodes,
  };
  const password = object.authentication_redis_pass;
  if (typeof password === "string" && password !== "") desired.password = password;
  return desired;
}

export interface DataPlaneStart {
  plane?: DataPlane;
  layout: "off" | DataPlaneLayout;
  /** Why the data plane is off although one was asked for. */
  reason?: string;
}

/** Decide the layout (saying why when none is possible) and start the agents. */
export async function startDataPlane(core: EmulatorCore, mode: DataPlaneMode, internodePort: number): Promise<DataPlaneStart> {
  if (mode === "off") return { layout: "off", reason: "not requested (startCluster option dataPlane, CLI --data-plane)" };
  const redisServer = findRedisServer();
  if (!redisServer) {
    const named = process.env[REDIS_SERVER_ENV];
    const reason = named ? `${REDIS_SERVER_ENV}=${named} is not an executable file` : "redis-server is not installed (Debian package redis-server; or set RS_EMULATOR_REDIS_SERVER)";
    return { layout: "off", reason };
  }
  let layout: DataPlaneLayout;
  if (mode === "auto") {
    layout = namespacesUnavailable() === undefined ? "namespaces" : "loopback";
  } else {
    layout = mode;
    const problem = layout === "namespaces" ? namespacesUnavailable() : undefined;
    if (problem) return { layout: "off", reason: problem };
  }
  const members = core.data.nodes.map((node) => ({ uid: node.uid, address: node.listenAddress }));
  const network = layout === "namespaces" ? namespaceNetwork(members.map((m) => m.uid)) : loopbackNetwork(members);
  sweepStaleWorkDirs();
  const plane = new DataPlane(core, network, redisServer, internodePort);
  try {
    await plane.start();
  } catch (error) {
    await plane.stop();
    throw error;
  }
  return { plane, layout };
}

const WORK_DIR_PREFIX = "rs-emulator-dp-";

/** The work directories this process made (and has not removed yet). */
const ownWorkDirs = new Set<string>();

/** Remove the work directories of emulator processes that died without cleaning up (SIGKILL). */
function sweepStaleWorkDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const match = new RegExp(`^${WORK_DIR_PREFIX}(\\d+)-[0-9a-f]+$`).exec(name);
    // A directory named after this pid that this process did not make is from an earlier process with the same pid.
    if (!match || ownWorkDirs.has(name)) continue;
    let alive = true;
    try {
      process.kill(Number(match[1]), 0);
    } catch (error) {
      alive = (error as NodeJS.ErrnoException).code === "EPERM";
    }
    if (!alive || Number(match[1]) === process.pid) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

export class DataPlane implements DataPlaneHook {
  private readonly nodes = new Map<number, NodeState>();
  private readonly running = new Map<number, RunningDatabase>();
  private readonly connections: InternodeConnection[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly workDirName = `${WORK_DIR_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`;
  private readonly workDir = join(tmpdir(), this.workDirName);
  private stopped = false;
  /** Removes the work directory if the process exits without stop() (agents are killed by their own entries). */
  private readonly unregisterWorkDir = registerCleanup("data-plane work directory", () => rmSync(this.workDir, { recursive: true, force: true }));

  constructor(
    private readonly core: EmulatorCore,
    readonly network: Network,
    private readonly redisServer: string,
    readonly internodePort: number,
  ) {
    ownWorkDirs.add(this.workDirName);
  }

  get layout(): DataPlaneLayout {
    return this.network.layout;
  }

  private tlsOf(nodeUid: number): TlsMaterial {
    const certificate = this.core.pki.certificates(nodeUid).find((c) => c.name === "data_internode_encryption");
    if (!certificate) throw new Error(`node ${nodeUid} has no data_internode_encryption certificate`);
    return { caPem: this.core.pki.caCertPem, certPem: certificate.certPem, keyPem: certificate.keyPem, fingerprintSha256: certificate.fingerprintSha256 };
  }

  async start(): Promise<void> {
    const clusterName = String(this.core.settings.clusterName);
    await Promise.all(
      this.network.nodes.map(async (net) => {
        const record = this.core.node(net.uid)!;
        const agent = AgentClient.spawn(net.uid, net.namespace, (notice) => this.onNotice(notice));
        const state: NodeState = { ...net, agent, agentPid: agent.pid, hostname: `${record.hostname}.${clusterName}`, initialised: false };
        this.nodes.set(net.uid, state);
        // Endpoints show the address clients reach the proxies on.
        record.object.addr = net.address;
      }),
    );
    await this.reconcile({ kind: "reset" });
  }

  /** Members get their agent set up (at start, or on the first reconciliation after they bootstrap or join). */
  private async initialiseMembers(): Promise<void> {
    const waiting = [...this.nodes.values()].filter((node) => !node.initialised && this.core.node(node.uid)?.member && this.core.pki.certificates(node.uid).length > 0);
    await Promise.all(
      waiting.map(async (node) => {
        await node.agent.request({
          op: "init",
          nodeUid: node.uid,
          address: node.address,
          internodePort: this.internodePort,
          tls: this.tlsOf(node.uid),
          redisServer: this.redisServer,
          workDir: join(this.workDir, `node${node.uid}`),
        });
        node.initialised = true;
      }),
    );
  }

  private onNotice(notice: AgentNotice): void {
    switch (notice.notice) {
      case "internode_connected": {
        const { notice: _kind, ...connection } = notice;
        void _kind;
        this.connections.push(connection);
        if (this.connections.length > MAX_CONNECTIONS_KEPT) this.connections.shift();
        return;
      }
      case "internode_failed":
      case "upstream_failed":
      case "shard_exited": {
        const text =
          notice.notice === "shard_exited"
            ? `shard ${notice.shardUid} on node ${notice.nodeUid} exited (code ${String(notice.code)})`
            : notice.error;
        this.problem(notice.bdbUid, text);
        return;
      }
    }
  }

  private problem(bdbUid: number, text: string): void {
    const database = this.running.get(bdbUid);
    // A replica retries its master every second: the same failure again is not news.
    if (database?.problems.at(-1) === text) return;
    if (database) {
      database.problems.push(text);
      if (database.problems.length > MAX_PROBLEMS_KEPT) database.problems.shift();
    }
    if (!this.core.isStopped) this.core.event("dataplane_error", { bdbUid, error: text });
  }

  /** One reconciliation at a time; the promise settles when this one is done (errors are reported, not thrown). */
  reconcile(change: DataPlaneChange): Promise<void> {
    const run = this.chain.then(() => this.apply(change));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every reconciliation asked for so far has finished. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async apply(change: DataPlaneChange): Promise<void> {
    if (this.stopped) return;
    await this.initialiseMembers();
    if (change.kind !== "database") {
      // A reset also brings the PKI back to its reset point: the agents take its certificates again.
      await Promise.all([...this.nodes.values()].filter((n) => n.initialised).map((n) => n.agent.request({ op: "tls", tls: this.tlsOf(n.uid) })));
      if (change.kind === "certificates") return;
    }
    const applying = change.kind === "database" ? change.bdbUid : undefined;
    const desired = new Map<number, Desired>();
    for (const record of this.core.data.bdbs) {
      const config = runningConfig(record, applying);
      if (config) desired.set(record.object.uid as number, desiredOf(this.core, config));
    }
    for (const uid of [...this.running.keys()]) {
      if (!desired.has(uid)) await this.remove(uid);
    }
    for (const want of desired.values()) {
      try {
        await this.converge(want);
      } catch (error) {
        this.problem(want.bdbUid, `data plane of database ${want.bdbUid} could not be set up: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private nodeState(uid: number): NodeState {
    const node = this.nodes.get(uid);
    if (!node) throw new Error(`node ${uid} has no data-plane agent`);
    return node;
  }

  private route(from: number, shard: RunningShard, encrypted: boolean): ShardRoute {
    const peer = this.nodeState(shard.nodeUid);
    return { nodeUid: shard.nodeUid, address: peer.address, port: shard.port, viaInternode: encrypted && from !== shard.nodeUid, peerHostname: peer.hostname };
  }

  private async converge(want: Desired): Promise<void> {
    let database = this.running.get(want.bdbUid);
    if (!database) {
      database = { bdbUid: want.bdbUid, encrypted: want.encrypted, proxies: [], shards: [], problems: [] };
      this.running.set(want.bdbUid, database);
    }
    const wasEncrypted = database.encrypted;
    const keep = new Set([...want.masters, ...want.replicas].map((s) => s.uid));
    for (const shard of database.shards.filter((s) => !keep.has(s.uid))) {
      await this.nodeState(shard.nodeUid).agent.request({ op: "dropShard", uid: shard.uid });
    }
    database.shards = database.shards.filter((s) => keep.has(s.uid));
    const masters: RunningShard[] = [];
    for (const master of want.masters) {
      masters.push(await this.ensureShard(database, { ...master, role: "master" }, want));
    }
    for (const replica of want.replicas) {
      const master = masters[replica.masterIndex];
      if (master) await this.ensureShard(database, { uid: replica.uid, nodeUid: replica.nodeUid, role: "replica" }, want, this.route(replica.nodeUid, master, want.encrypted));
    }
    // The proxy forwards every client to the first master shard (the emulator does not route by hash slot).
    const target = masters[0];
    if (!target) return;
    // Changing data internode encryption restarts the proxy and drops every client (reference §8).
    const restart = wasEncrypted !== want.encrypted;
    database.encrypted = want.encrypted;
    const proxies: RunningDatabase["proxies"] = [];
    for (const old of database.proxies) {
      if (!want.proxyNodes.includes(old.nodeUid) || old.port !== want.port) {
        await this.nodeState(old.nodeUid).agent.request({ op: "dropProxy", bdbUid: want.bdbUid });
      }
    }
    for (const nodeUid of want.proxyNodes) {
      const node = this.nodeState(nodeUid);
      await node.agent.request({ op: "proxy", proxy: { bdbUid: want.bdbUid, port: want.port, upstream: this.route(nodeUid, target, want.encrypted) }, restart });
      proxies.push({ nodeUid, address: node.address, port: want.port });
    }
    database.proxies = proxies;
  }

  private async ensureShard(
    database: RunningDatabase,
    shard: { uid: number; nodeUid: number; role: "master" | "replica" },
    want: Desired,
    master?: ShardRoute,
  ): Promise<RunningShard> {
    const existing = database.shards.find((s) => s.uid === shard.uid);
    if (existing && existing.nodeUid !== shard.nodeUid) {
      await this.nodeState(existing.nodeUid).agent.request({ op: "dropShard", uid: shard.uid });
      database.shards = database.shards.filter((s) => s !== existing);
    }
    const node = this.nodeState(shard.nodeUid);
    const spec: Parameters<AgentClient["request"]>[0] = {
      op: "shard",
      shard: { uid: shard.uid, bdbUid: want.bdbUid, role: shard.role, maxmemory: want.maxmemory, ...(want.password !== undefined ? { password: want.password } : {}), ...(master ? { master } : {}) },
    };
    const result = await node.agent.request(spec);
    const running: RunningShard = { uid: shard.uid, role: shard.role, nodeUid: shard.nodeUid, address: node.address, port: result.port ?? 0, pid: result.pid ?? 0 };
    database.shards = [...database.shards.filter((s) => s.uid !== shard.uid), running];
    return running;
  }

  private async remove(bdbUid: number): Promise<void> {
    const database = this.running.get(bdbUid);
    this.running.delete(bdbUid);
    if (!database) return;
    for (const proxy of database.proxies) await this.nodeState(proxy.nodeUid).agent.request({ op: "dropProxy", bdbUid }).catch(() => undefined);
    for (const shard of database.shards) await this.nodeState(shard.nodeUid).agent.request({ op: "dropShard", uid: shard.uid }).catch(() => undefined);
  }

  database(bdbUid: number): RunningDatabase | undefined {
    const database = this.running.get(bdbUid);
    return database && structuredClone(database);
  }

  nodeList(): DataPlaneNode[] {
    return [...this.nodes.values()].map(({ uid, address, namespace, link, agentPid }) => ({ uid, address, agentPid, ...(namespace ? { namespace } : {}), ...(link ? { link } : {}) }));
  }

  internodeConnections(): InternodeConnection[] {
    return this.connections.map((c) => ({ ...c }));
  }

  /** Agents and shards this data plane runs now (process ids). */
  processIds(): number[] {
    const shards = [...this.running.values()].flatMap((d) => d.shards.map((s) => s.pid));
    return [...[...this.nodes.values()].map((n) => n.agentPid), ...shards].filter((pid) => pid > 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.nodes.values()].map((node) => node.agent.stop()));
    this.nodes.clear();
    this.running.clear();
    this.network.teardown();
    rmSync(this.workDir, { recursive: true, force: true });
    ownWorkDirs.delete(this.workDirName);
    this.unregisterWorkDir();
  }
}
