// The emulator's library API: startCluster() brings up an emulated Redis Enterprise Software cluster (one
// HTTPS and one HTTP listener per node, a private CA, the REST API and the /__emulator/ test controls) and
// returns what a client needs to reach it. Many clusters can run in one process, each on its own ports.
import type http from "node:http";
import { EmulatorAdmin } from "./admin";
import { settleAll } from "./bdbs";
import { pkiNodeOf } from "./bootstrap";
import { runRotationJob } from "./certificates";
import { VirtualClock } from "./clock";
import { createPki, EmulatorCore, freshData, type CoreSettings } from "./core";
import { dataPlaneInfo, startDataPlane, type DataPlaneInfo } from "./dataplane";
import type { EmulatorData } from "./state";
import { loadSnapshot } from "./persistence";
import { ClusterPki } from "./pki";
import { resolveOptions, type EmulatorOptions } from "./options";
import { closeServer, createHttpServer, createHttpsServer, listen } from "./server";

export type { EmulatorOptions } from "./options";
export { OptionsError } from "./options";
export { EmulatorAdmin } from "./admin";
export type { AdvanceResult, ClockInfo, EventFilter, NodeChange, UserInput } from "./admin";
export type { FaultRule, FaultRuleInput } from "./faults";
export type { EmulatorEvent, Role, NodeStatus } from "./state";
export { ApiError } from "./errors";
export type { DataPlaneInfo, DataPlaneLayout, DataPlaneMode, DataPlaneNode, InternodeConnection, RunningDatabase, RunningShard } from "./dataplane";
export { RespConnection, RespError, type RespReply } from "./dataplane";

export interface EmulatedNode {
  uid: number;
  address: string;
  /** https://address:port */
  url: string;
  /** http://address:port, unless plain HTTP is disabled. */
  httpUrl?: string;
}

export interface EmulatedCluster {
  nodes: EmulatedNode[];
  /** The admin user (created at start, or the one a state file holds; in idle mode, the suggested one). */
  username: string;
  password: string;
  /** The cluster FQDN (in idle mode, the name given at start until a create_cluster names it). */
  clusterName: string;
  /** The cluster CA that signs every node's API certificate. */
  caCertPem: string;
  /** SHA-256 of the CA certificate DER, hex, lower case, no colons. */
  caFingerprintSha256: string;
  /** In-process test controls (the same operations as /__emulator/). */
  admin: EmulatorAdmin;
  /** The data plane: real shards and proxies behind the endpoints (layout "off" without one). */
  dataPlane: DataPlaneInfo;
  /** Close every listener, socket and timer. */
  stop(): Promise<void>;
}

/** Real-time period of the automatic rotation check (the virtual clock's advance also triggers it). */
const ROTATION_CHECK_INTERVAL_MS = 60_000;

export async function startCluster(options: EmulatorOptions = {}): Promise<EmulatedCluster> {
  const resolved = resolveOptions(options);
  const snapshot = resolved.stateFile ? loadSnapshot(resolved.stateFile) : undefined;
  const clock = new VirtualClock(snapshot?.clockOffsetMs ?? 0);

  let settings: CoreSettings;
  let data: EmulatorData;
  let pki: ClusterPki;
  if (snapshot) {
    // A state file wins for everything it holds (nodes, names, users, certificates); ports come from options.
    const { format: _format, pki: pkiSnapshot, ...stored } = snapshot;
    void _format;
    data = stored;
    pki = ClusterPki.fromJSON(pkiSnapshot, () => clock.now());
    settings = {
      nodes: data.nodes.map((node) => ({ uid: node.uid, address: node.listenAddress, softwareVersion: String(node.object.software_version) })),
      clusterName: pkiSnapshot.clusterName,
      username: resolved.username,
      password: resolved.password,
      idle: !data.clusterCreated,
      operationDelayMs: resolved.operationDelayMs,
      httpsPort: resolved.httpsPort,
      httpPort: resolved.httpPort,
    };
  } else {
    settings = {
      nodes: resolved.nodes,
      clusterName: resolved.clusterName,
      username: resolved.username,
      password: resolved.password,
      idle: resolved.idle,
      operationDelayMs: resolved.operationDelayMs,
      httpsPort: resolved.httpsPort,
      httpPort: resolved.httpPort,
    };
    // The CA exists from the start, so the CA PEM verifies the API before and after bootstrap. (A real
    // cluster's private CA appears at bootstrap; before that its API uses a self-signed certificate.)
    pki = await createPki(resolved.clusterName, clock, resolved.certValidityDays, resolved.keyBits);
    data = freshData(settings, clock.now());
  }
  if (resolved.stateFile) settings.stateFile = resolved.stateFile;
  const core = new EmulatorCore(settings, data, pki, clock);

  // Members get their internal certificates now (a node that joins later gets them at join).
  const missing = core.members().filter((node) => pki.certificates(node.uid).length === 0);
  const [credentials] = await Promise.all([
    Promise.all(core.data.nodes.map((node) => pki.apiServerCredentials(pkiNodeOf(core, node)))),
    Promise.all(missing.map((node) => pki.addNode(pkiNodeOf(core, node)))),
  ]);
  settleAll(core);

  const servers: http.Server[] = [];
  const nodes: EmulatedNode[] = [];
  try {
    for (const [index, node] of core.data.nodes.entries()) {
      const credential = credentials[index]!;
      const secure = await listen(createHttpsServer(core, node.uid, credential.certPem, credential.keyPem), node.listenAddress, resolved.httpsPort, `HTTPS API of node ${node.uid}`);
      servers.push(secure.server);
      const entry: EmulatedNode = { uid: node.uid, address: node.listenAddress, url: `https://${node.listenAddress}:${secure.port}` };
      if (resolved.httpPort >= 0) {
        const plain = await listen(createHttpServer(core, node.uid), node.listenAddress, resolved.httpPort, `HTTP API of node ${node.uid}`);
        servers.push(plain.server);
        entry.httpUrl = `http://${node.listenAddress}:${plain.port}`;
      }
      nodes.push(entry);
    }
  } catch (error) {
    core.stop();
    await Promise.all(servers.map(closeServer));
    throw error;
  }
  // The cluster object shows the ports clients use; with free ports (0) that is node 1's.
  core.data.cluster.cnm_https_port = Number(new URL(nodes[0]!.url).port);
  if (nodes[0]?.httpUrl) core.data.cluster.cnm_http_port = Number(new URL(nodes[0].httpUrl).port);
  // The data plane starts before the reset point is taken: in the namespaces layout it gives nodes new addresses.
  let dataPlane: DataPlaneInfo;
  try {
    const started = await startDataPlane(core, resolved.dataPlane, resolved.internodePort);
    if (started.plane) core.dataPlane = started.plane;
    if (resolved.dataPlane !== "off" && !started.plane) {
      process.stderr.write(`rs-emulator: no data plane, control plane only: ${started.reason ?? "unavailable"}\n`);
    }
    dataPlane = dataPlaneInfo(started.plane, started.layout, resolved.internodePort, started.reason);
  } catch (error) {
    core.stop();
    await Promise.all(servers.map(closeServer));
    throw error;
  }
  core.markResetPoint();
  core.persist();

  const rotationTimer = setInterval(() => {
    if (!core.isStopped) void runRotationJob(core).catch(() => undefined);
  }, ROTATION_CHECK_INTERVAL_MS);
  rotationTimer.unref();

  const admin = new EmulatorAdmin(core);
  const firstAdmin = (): { username: string; password: string } =>
    core.data.users.find((user) => user.role === "admin") ?? { username: settings.username, password: settings.password };
  let stopped: Promise<void> | undefined;
  return {
    nodes,
    get username() {
      return firstAdmin().username;
    },
    get password() {
      return firstAdmin().password;
    },
    get clusterName() {
      return String(core.data.cluster.name);
    },
    get caCertPem() {
      return core.pki.caCertPem;
    },
    get caFingerprintSha256() {
      return core.pki.caFingerprintSha256;
    },
    admin,
    dataPlane,
    stop() {
      stopped ??= (async () => {
        clearInterval(rotationTimer);
        core.persist();
        core.stop();
        await Promise.all([...servers.map(closeServer), core.dataPlane?.stop()]);
      })();
      return stopped;
    },
  };
}
