// Types of the InternodeFirewall resource: what users declare, the canonical form the provider works on, and the
// rules and per-node status it reports.
import type { PortsInput } from "./ports";

/** Run the commands on the machine (and in the network namespace) the provider runs in. */
export interface LocalTransport {
  type: "local";
}

/** Run the commands in a network namespace of the provider's machine, with `ip netns exec <namespace>`. */
export interface NetnsTransport {
  type: "netns";
  namespace: string;
}

/** Run the commands on the node through the system OpenSSH client (`ssh`), with key authentication only. */
export interface SshTransport {
  type: "ssh";
  /** Host name or address that ssh connects to (it may differ from the node's firewall `address`). */
  host: string;
  /** @default 22 */
  port?: number;
  /** The user to log in as; it must be allowed to run `nft` (root, or a user with CAP_NET_ADMIN). */
  user: string;
  /** The private key (OpenSSH or PEM text). Secret: never written to logs, errors or unmarked outputs. */
  privateKey: string;
  /**
   * The node's public host key, as in its `/etc/ssh/ssh_host_*_key.pub` or a `ssh-keyscan` line (several lines
   * for several key types). When given, only that key is accepted. When omitted, the known_hosts files of the
   * user running Pulumi decide, and an unknown host is refused (BatchMode never asks).
   */
  hostKey?: string;
}

export type FirewallTransport = LocalTransport | NetnsTransport | SshTransport;
export type TransportType = FirewallTransport["type"];

/** One node of the cluster: the address its peers connect from, and how to run commands on it. */
export interface FirewallNode {
  /** The node's address as its peers see it (IPv4 or IPv6); a Cluster's `nodes` output gives it. */
  address: string;
  transport: FirewallTransport;
}

/** What a program declares. */
export interface InternodeFirewallInputs {
  nodes: FirewallNode[];
  /** TCP ports and "FROM-TO" ranges, or "internode-only" for the product's whole internal port set. @default [3342] */
  ports?: PortsInput;
  /** Addresses or CIDR prefixes that may also connect to the ports (monitoring, a bastion). @default [] */
  allowedSources?: string[];
  /** The nftables table (family inet) the resource owns on each node. @default "redis_enterprise" */
  table?: string;
}

/** The inputs in canonical form, defaults applied. */
export interface FirewallSpec {
  nodes: FirewallNode[];
  ports: PortsInput;
  allowedSources: string[];
  table: string;
}

/**
 * One rule as data, for cloud firewalls (security groups) as well as for review: TCP to `port` on
 * `destination` from `source`. Rules are listed per destination node and port, accepts first, then the drop of
 * everything else. Only sources of the destination's address family are listed (an IPv6 peer cannot reach an
 * IPv4 address).
 */
export interface FirewallRule {
  protocol: "tcp";
  /** A port (3342) or a range ("20000-29999"). */
  port: number | string;
  fromPort: number;
  toPort: number;
  /** A CIDR prefix: a peer node ("198.51.100.2/32"), an allowed source, or everyone ("0.0.0.0/0", "::/0"). */
  source: string;
  /** The node's address as a CIDR prefix ("198.51.100.1/32"). */
  destination: string;
  action: "accept" | "drop";
  description: string;
}

/** Per node, what the provider found or made. */
export interface FirewallNodeStatus {
  address: string;
  transport: TransportType;
  /** The resource's table is on the node and matches the declaration. */
  tableInPlace: boolean;
  /** What differs from the declaration ("missing table", "rule removed: ...", "peer missing from set ..."). */
  drift: string[];
}

/** The outputs recorded in state. */
export interface InternodeFirewallOutputs {
  /** Per node: address, transport type, whether the table is in place, and any drift. */
  nodes: FirewallNodeStatus[];
  ports: PortsInput;
  allowedSources: string[];
  table: string;
  rules: FirewallRule[];
  /**
   * The declared nodes with their transports, which read and delete need (they get only the outputs). Stored as
   * a secret output: an ssh transport holds a private key.
   */
  declaredNodes: FirewallNode[];
}
