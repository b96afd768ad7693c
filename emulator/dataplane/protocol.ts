// Messages between the emulator and a node agent (one JSON object per line on the agent's stdin and stdout).
// The emulator decides what each node runs; the agent, living in the node's network (its own namespace in the
// namespaces layout), runs it: shards, proxies, the internode TLS listener and replication tunnels.

/** The node's data-plane certificate and the cluster CA that every peer's chain is verified against. */
export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** SHA-256 of the certificate, hex, lower case (reported with every internode connection). */
  fingerprintSha256: string;
}

/** Where a proxy or a replica reaches a master shard. */
export interface ShardRoute {
  nodeUid: number;
  address: string;
  port: number;
  /** Through the peer's internode TLS listener (data internode encryption on and the shard on another node). */
  viaInternode: boolean;
  /** The peer's host name, which its data-plane certificate names (checked like a server name). */
  peerHostname: string;
}

export interface ShardSpec {
  uid: number;
  bdbUid: number;
  role: "master" | "replica";
  /** Bytes (maxmemory); applied with CONFIG SET when it changes, without touching connections. */
  maxmemory: number;
  password?: string;
  /** Replicas: the master they follow. */
  master?: ShardRoute;
}

export interface ProxySpec {
  bdbUid: number;
  port: number;
  upstream: ShardRoute;
}

export type AgentRequest =
  | { id: number; op: "init"; nodeUid: number; address: string; internodePort: number; tls: TlsMaterial; redisServer: string; workDir: string }
  | { id: number; op: "tls"; tls: TlsMaterial }
  | { id: number; op: "shard"; shard: ShardSpec }
  | { id: number; op: "dropShard"; uid: number }
  /** restart: close the listener and every client connection, then listen again. */
  | { id: number; op: "proxy"; proxy: ProxySpec; restart: boolean }
  | { id: number; op: "dropProxy"; bdbUid: number }
  | { id: number; op: "stop" };

export type AgentReply = { id: number; ok: true; result?: { port?: number; pid?: number } } | { id: number; ok: false; error: string };

/** Things the agent reports on its own: internode connections made and failed, shards that died. */
export type AgentNotice =
  | { notice: "internode_connected"; side: "client" | "server"; nodeUid: number; peerNodeUid: number | null; localFingerprintSha256: string; peerFingerprintSha256: string; purpose: string }
  | { notice: "internode_failed"; nodeUid: number; peerNodeUid: number; bdbUid: number; purpose: string; error: string }
  | { notice: "upstream_failed"; nodeUid: number; bdbUid: number; error: string }
  | { notice: "shard_exited"; nodeUid: number; shardUid: number; bdbUid: number; code: number | null; output: string };

export type AgentMessage = AgentReply | AgentNotice;

/** The header a tunnel client sends after the TLS handshake: which local shard port it wants. */
export const TUNNEL_HEADER = /^SHARD (\d{1,5})\n$/;
export const TUNNEL_OK = "OK\n";
/** Upper bound of the header and of the answer line, so a peer cannot make the listener buffer without end. */
export const TUNNEL_LINE_MAX = 32;
