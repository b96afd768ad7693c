// A node agent: the data plane of one emulated node, run as its own process (inside the node's network
// namespace in the namespaces layout, so every socket it opens is on that node). It starts redis-server shards
// on the node's internal ports (20000-29999), listens on the database endpoint ports with a proxy that
// forwards each client to the master shard, and serves the node's internode TLS listener (TCP 3342 by
// default): mutual TLS with the node's data-plane certificate, the peer's chain verified against the cluster
// CA. The emulator drives it over stdin/stdout (protocol.ts). When stdin closes (the emulator stopped or
// died), the agent kills its shards, removes its files and exits, so nothing outlives the emulator.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import readline from "node:readline";
import tls from "node:tls";
import { RespConnection, RespError } from "./resp";
import {
  TUNNEL_HEADER,
  TUNNEL_LINE_MAX,
  TUNNEL_OK,
  type AgentMessage,
  type AgentRequest,
  type ProxySpec,
  type ShardRoute,
  type ShardSpec,
  type TlsMaterial,
} from "./protocol";

/** Bounds: connecting to an upstream (plain or through 3342), the tunnel header, a shard's start. */
const CONNECT_TIMEOUT_MS = 2000;
const HEADER_TIMEOUT_MS = 2000;
const SHARD_START_TIMEOUT_MS = 5000;
const MIN_INTERNAL_PORT = 20000;
const MAX_INTERNAL_PORT = 29999;
/** The data-plane certificate's common name: data_internode_encryption.node<uid>.<cluster>. */
const PEER_NAME = /^data_internode_encryption\.node(\d+)\./;

interface Shard {
  spec: ShardSpec;
  port: number;
  child: ChildProcess;
  output: string;
  /** Replicas whose master is reached through 3342: a local listener that tunnels to it. */
  forwarder?: { server: net.Server; port: number; route: ShardRoute };
}

interface Proxy {
  spec: ProxySpec;
  server: net.Server;
  clients: Set<net.Socket>;
}

interface Node {
  uid: number;
  address: string;
  internodePort: number;
  tls: TlsMaterial;
  redisServer: string;
  workDir: string;
  internode: tls.Server;
}

let node: Node | undefined;
const shards = new Map<number, Shard>();
const proxies = new Map<number, Proxy>();
const usedPorts = new Set<number>();
let stopping = false;

function send(message: AgentMessage): void {
  if (!stopping || "id" in message) process.stdout.write(`${JSON.stringify(message)}\n`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function required(): Node {
  if (!node) throw new Error("the agent has not been initialised");
  return node;
}

function listenOn(server: net.Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off("error", onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The lowest internal port that is free on this node's address (checked by binding it). */
async function freeInternalPort(address: string): Promise<number> {
  for (let port = MIN_INTERNAL_PORT; port <= MAX_INTERNAL_PORT; port += 1) {
    if (usedPorts.has(port)) continue;
    const probe = net.createServer();
    try {
      await listenOn(probe, address, port);
      await closeServer(probe);
      usedPorts.add(port);
      return port;
    } catch {
      // In use by something else: try the next one.
    }
  }
  throw new Error(`no free internal port in ${MIN_INTERNAL_PORT}-${MAX_INTERNAL_PORT} on ${address}`);
}

function secureOptions(material: TlsMaterial): tls.SecureContextOptions {
  // Product 7.4+: TLS 1.2 and 1.3 on the internode channel (reference §9); no configurable settings.
  return { ca: material.caPem, cert: material.certPem, key: material.keyPem, minVersion: "TLSv1.2" };
}

function fingerprintOf(certificate: tls.PeerCertificate | undefined): string {
  return (certificate?.fingerprint256 ?? "").replace(/:/g, "").toLowerCase();
}

function peerUidOf(certificate: tls.PeerCertificate | undefined): number | null {
  const match = PEER_NAME.exec(String(certificate?.subject?.CN ?? ""));
  return match ? Number(match[1]) : null;
}

/** Read one line of at most TUNNEL_LINE_MAX bytes; whatever follows it is pushed back on the socket. */
function readLine(socket: net.Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    const done = (error: Error | undefined, line?: string): void => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onClose);
      if (error) reject(error);
      else resolve(line!);
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\n");
      if (end >= 0) {
        socket.pause();
        const rest = buffer.subarray(end + 1);
        if (rest.length > 0) socket.unshift(rest);
        done(undefined, buffer.toString("utf8", 0, end + 1));
      } else if (buffer.length > TUNNEL_LINE_MAX) {
        done(new Error("line too long"));
      }
    };
    const onClose = (): void => done(new Error("closed before a line was received"));
    const timer = setTimeout(() => done(new Error(`no line within ${timeoutMs} ms`)), timeoutMs);
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("error", onClose);
  });
}

function connectPlain(address: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${address}:${port} timed out after ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * A connection to a master shard: straight to it when plain or local, otherwise through the peer node's
 * internode listener with mutual TLS (this node's data-plane certificate; the peer's verified against the
 * cluster CA and its host name).
 */
function connectUpstream(route: ShardRoute, purpose: string, bdbUid: number): Promise<net.Socket> {
  const self = required();
  if (!route.viaInternode) return connectPlain(route.address, route.port);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: route.address,
      port: self.internodePort,
      servername: route.peerHostname,
      ...secureOptions(self.tls),
    });
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      const message = `internode TLS to node ${route.nodeUid} (${route.address}:${self.internodePort}) failed: ${error.message}`;
      send({ notice: "internode_failed", nodeUid: self.uid, peerNodeUid: route.nodeUid, bdbUid, purpose, error: message });
      reject(new Error(message));
    };
    const timer = setTimeout(() => fail(new Error(`no TLS session within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    socket.once("error", fail);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.write(`SHARD ${route.port}\n`);
      readLine(socket, HEADER_TIMEOUT_MS).then(
        (line) => {
          if (line !== TUNNEL_OK) {
            fail(new Error(`the peer refused the tunnel: ${line.trim()}`));
            return;
          }
          socket.off("error", fail);
          socket.setNoDelay(true);
          send({
            notice: "internode_connected",
            side: "client",
            nodeUid: self.uid,
            peerNodeUid: peerUidOf(socket.getPeerCertificate()),
            localFingerprintSha256: self.tls.fingerprintSha256,
            peerFingerprintSha256: fingerprintOf(socket.getPeerCertificate()),
            purpose,
          });
          resolve(socket);
        },
        (error: Error) => fail(error),
      );
    });
  });
}

/** Join two sockets both ways; either closing closes the other. */
function splice(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = (): void => {
    a.destroy();
    b.destroy();
  };
  a.once("close", end);
  b.once("close", end);
  a.on("error", end);
  b.on("error", end);
  a.resume();
  b.resume();
}

/** The internode listener: a peer presents its data-plane certificate and names a local shard port. */
function startInternode(self: Omit<Node, "internode">): Promise<tls.Server> {
  const server = tls.createServer({ ...secureOptions(self.tls), requestCert: true, rejectUnauthorized: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    const peer = socket.getPeerCertificate();
    const peerUid = peerUidOf(peer);
    if (peerUid === null) {
      // A certificate from the cluster CA that is not a data-plane certificate (e.g. the API's) is refused.
      socket.end("ERR not a data-plane certificate\n");
      return;
    }
    readLine(socket, HEADER_TIMEOUT_MS).then(
      (line) => {
        const match = TUNNEL_HEADER.exec(line);
        const port = match ? Number(match[1]) : NaN;
        const local = [...shards.values()].some((shard) => shard.port === port);
        if (!local) {
          socket.end("ERR no such shard\n");
          return;
        }
        connectPlain(self.address, port).then(
          (shardSocket) => {
            socket.write(TUNNEL_OK);
            send({
              notice: "internode_connected",
              side: "server",
              nodeUid: self.uid,
              peerNodeUid: peerUid,
              localFingerprintSha256: required().tls.fingerprintSha256,
              peerFingerprintSha256: fingerprintOf(peer),
              purpose: "tunnel",
            });
            splice(socket, shardSocket);
          },
          () => socket.end("ERR shard unreachable\n"),
        );
      },
      () => socket.destroy(),
    );
  });
  return listenOn(server, self.address, self.internodePort).then(() => server);
}

function quoteConfig(value: string): string {
  // Every byte as \xHH inside double quotes: redis-server's config parser reads it back exactly.
  return `"${[...Buffer.from(value)].map((byte) => `\\x${byte.toString(16).padStart(2, "0")}`).join("")}"`;
}

/** Run one command on a local shard (authenticating first when it has a password). */
async function shardCommand(shard: Shard, ...args: (string | number)[]): Promise<void> {
  const connection = await RespConnection.connect(required().address, shard.port, CONNECT_TIMEOUT_MS);
  try {
    if (shard.spec.password !== undefined) await connection.send("AUTH", shard.spec.password);
    const reply = await connection.send(...args);
    if (reply instanceof RespError) throw new Error(`shard ${shard.spec.uid}: ${String(args[0])} failed: ${reply.message}`);
  } finally {
    connection.close();
  }
}

async function waitReady(shard: Shard): Promise<void> {
  const deadline = Date.now() + SHARD_START_TIMEOUT_MS;
  for (;;) {
    if (shard.child.exitCode !== null) throw new Error(`redis-server for shard ${shard.spec.uid} exited: ${shard.output.trim()}`);
    try {
      const connection = await RespConnection.connect(required().address, shard.port, 500);
      const reply = await connection.send("PING");
      connection.close();
      // NOAUTH also proves the server answers.
      if (reply === "PONG" || reply instanceof RespError) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`redis-server for shard ${shard.spec.uid} did not answer within ${SHARD_START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Where a replica should point redis-server's REPLICAOF: the master itself, or a local tunnel to it. */
async function replicaTarget(shard: Shard, route: ShardRoute): Promise<{ host: string; port: number }> {
  const self = required();
  if (!route.viaInternode) {
    if (shard.forwarder) {
      await closeServer(shard.forwarder.server);
      usedPorts.delete(shard.forwarder.port);
      delete shard.forwarder;
    }
    return { host: route.address, port: route.port };
  }
  if (shard.forwarder) {
    shard.forwarder.route = route;
    return { host: self.address, port: shard.forwarder.port };
  }
  const port = await freeInternalPort(self.address);
  const forwarder = { server: net.createServer({ pauseOnConnect: true }), port, route };
  forwarder.server.on("connection", (local: net.Socket) => {
    local.on("error", () => local.destroy());
    connectUpstream(forwarder.route, "replication", shard.spec.bdbUid).then(
      (remote) => splice(local, remote),
      () => local.destroy(),
    );
  });
  await listenOn(forwarder.server, self.address, port);
  shard.forwarder = forwarder;
  return { host: self.address, port };
}

async function startShard(spec: ShardSpec): Promise<Shard> {
  const self = required();
  const port = await freeInternalPort(self.address);
  const dir = join(self.workDir, `shard-${spec.uid}`);
  mkdirSync(dir, { recursive: true });
  const lines = [
    `bind ${self.address}`,
    `port ${port}`,
    'save ""',
    "appendonly no",
    "protected-mode no",
    "daemonize no",
    `dir ${quoteConfig(dir)}`,
    'logfile ""',
    "loglevel warning",
    // Full syncs stream over the socket: nothing is written to disk, and it crosses the same link.
    "repl-diskless-sync yes",
    "repl-diskless-sync-delay 0",
    "repl-diskless-load swapdb",
    `maxmemory ${spec.maxmemory}`,
  ];
  if (spec.password !== undefined) lines.push(`requirepass ${quoteConfig(spec.password)}`, `masterauth ${quoteConfig(spec.password)}`);
  // The configuration goes in on stdin so the password never shows in the process list.
  const child = spawn(self.redisServer, ["-"], { stdio: ["pipe", "pipe", "pipe"] });
  const shard: Shard = { spec, port, child, output: "" };
  const keep = (chunk: Buffer): void => {
    shard.output = (shard.output + chunk.toString()).slice(-2000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("error", (error) => keep(Buffer.from(error.message)));
  child.on("exit", (code) => {
    usedPorts.delete(port);
    if (!stopping && shards.get(spec.uid) === shard) {
      shards.delete(spec.uid);
      send({ notice: "shard_exited", nodeUid: self.uid, shardUid: spec.uid, bdbUid: spec.bdbUid, code, output: shard.output.trim() });
    }
  });
  child.stdin!.end(`${lines.join("\n")}\n`);
  shards.set(spec.uid, shard);
  try {
    await waitReady(shard);
    if (spec.role === "replica" && spec.master) {
      const target = await replicaTarget(shard, spec.master);
      await shardCommand(shard, "REPLICAOF", target.host, target.port);
    }
  } catch (error) {
    dropShard(spec.uid);
    throw error;
  }
  return shard;
}

async function ensureShard(spec: ShardSpec): Promise<Shard> {
  const shard = shards.get(spec.uid);
  if (!shard) return startShard(spec);
  const before = shard.spec;
  if (before.password !== spec.password) {
    await shardCommand(shard, "CONFIG", "SET", "requirepass", spec.password ?? "");
    shard.spec = { ...shard.spec, password: spec.password };
    await shardCommand(shard, "CONFIG", "SET", "masterauth", spec.password ?? "");
  }
  if (before.maxmemory !== spec.maxmemory) await shardCommand(shard, "CONFIG", "SET", "maxmemory", spec.maxmemory);
  if (spec.role === "master" && before.role !== "master") await shardCommand(shard, "REPLICAOF", "NO", "ONE");
  if (spec.role === "replica" && spec.master && JSON.stringify(before.master) !== JSON.stringify(spec.master)) {
    const target = await replicaTarget(shard, spec.master);
    await shardCommand(shard, "REPLICAOF", target.host, target.port);
  }
  shard.spec = spec;
  return shard;
}

function dropShard(uid: number): void {
  const shard = shards.get(uid);
  if (!shard) return;
  shards.delete(uid);
  shard.child.kill("SIGKILL");
  usedPorts.delete(shard.port);
  if (shard.forwarder) {
    shard.forwarder.server.close();
    usedPorts.delete(shard.forwarder.port);
  }
  rmSync(join(required().workDir, `shard-${uid}`), { recursive: true, force: true });
}

function proxyServer(proxy: Omit<Proxy, "server">): net.Server {
  const self = required();
  return net.createServer({ pauseOnConnect: true }, (client) => {
    proxy.clients.add(client);
    client.on("close", () => proxy.clients.delete(client));
    client.on("error", () => client.destroy());
    const { spec } = proxy;
    connectUpstream(spec.upstream, "proxy", spec.bdbUid).then(
      (upstream) => {
        if (client.destroyed) upstream.destroy();
        else splice(client, upstream);
      },
      (error: unknown) => {
        if (!spec.upstream.viaInternode) send({ notice: "upstream_failed", nodeUid: self.uid, bdbUid: spec.bdbUid, error: errorText(error) });
        // The client learns why in a RESP error before the close.
        client.end(`-ERR proxy of database ${spec.bdbUid} on node ${self.uid}: ${errorText(error).replace(/[\r\n]/g, " ")}\r\n`);
      },
    );
  });
}

async function ensureProxy(spec: ProxySpec, restart: boolean): Promise<number> {
  const self = required();
  const existing = proxies.get(spec.bdbUid);
  if (existing && existing.spec.port === spec.port && !restart) {
    existing.spec = spec;
    return spec.port;
  }
  if (existing) await dropProxy(spec.bdbUid);
  const proxy = { spec, clients: new Set<net.Socket>() };
  const server = proxyServer(proxy);
  await listenOn(server, self.address, spec.port);
  proxies.set(spec.bdbUid, { ...proxy, server });
  return spec.port;
}

/** Stop listening and drop every client (a proxy restart, or the database is gone). */
async function dropProxy(bdbUid: number): Promise<void> {
  const proxy = proxies.get(bdbUid);
  if (!proxy) return;
  proxies.delete(bdbUid);
  const closed = closeServer(proxy.server);
  for (const client of proxy.clients) client.destroy();
  await closed;
}

async function handle(request: AgentRequest): Promise<{ port?: number; pid?: number } | undefined> {
  switch (request.op) {
    case "init": {
      const base = {
        uid: request.nodeUid,
        address: request.address,
        internodePort: request.internodePort,
        tls: request.tls,
        redisServer: request.redisServer,
        workDir: request.workDir,
      };
      mkdirSync(base.workDir, { recursive: true });
      node = { ...base, internode: await startInternode(base) };
      return { pid: process.pid };
    }
    case "tls": {
      // New connections (both directions) use the new certificate; established ones keep their session.
      const self = required();
      self.tls = request.tls;
      self.internode.setSecureContext({ ...secureOptions(request.tls) });
      return undefined;
    }
    case "shard": {
      const shard = await ensureShard(request.shard);
      return { port: shard.port, pid: shard.child.pid ?? 0 };
    }
    case "dropShard":
      dropShard(request.uid);
      return undefined;
    case "proxy":
      return { port: await ensureProxy(request.proxy, request.restart) };
    case "dropProxy":
      await dropProxy(request.bdbUid);
      return undefined;
    case "stop":
      shutdown(0);
      return undefined;
  }
}

/** Kill every shard, remove the files, exit. Synchronous, so it also runs from the exit handler. */
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const shard of shards.values()) shard.child.kill("SIGKILL");
  for (const proxy of proxies.values()) for (const client of proxy.clients) client.destroy();
  if (node) rmSync(node.workDir, { recursive: true, force: true });
  process.exit(code);
}

function main(): void {
  process.on("exit", () => {
    for (const shard of shards.values()) shard.child.kill("SIGKILL");
  });
  process.on("SIGTERM", () => shutdown(0));
  process.on("SIGINT", () => shutdown(0));
  const input = readline.createInterface({ input: process.stdin });
  input.on("line", (line) => {
    let request: AgentRequest;
    try {
      request = JSON.parse(line) as AgentRequest;
    } catch {
      return;
    }
    handle(request).then(
      (result) => send(result === undefined ? { id: request.id, ok: true } : { id: request.id, ok: true, result }),
      (error: unknown) => send({ id: request.id, ok: false, error: errorText(error) }),
    );
  });
  // The emulator's end (stop, crash or kill) closes this pipe: nothing may outlive it.
  input.on("close", () => shutdown(0));
}

main();
