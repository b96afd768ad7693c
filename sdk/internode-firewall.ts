// The InternodeFirewall resource a Pulumi program declares: TCP 3342 (or the product's whole internal port set)
// open between the cluster's nodes and dropped from everyone else, as one nftables table per node.
//
//   new InternodeFirewall("ine-port", {
//     nodes: cluster.nodes.apply((nodes) => nodes.map((node) => ({ address: node.address, transport: { type: "ssh", host: node.address, user: "root", privateKey, hostKey } }))),
//   });
import * as pulumi from "@pulumi/pulumi";
import type { PropertyChange } from "../provider/core";
import type { PortsInput } from "../provider/firewall/ports";
import type { FirewallNode, FirewallNodeStatus, FirewallRule, FirewallTransport, InternodeFirewallInputs } from "../provider/firewall/types";
import {
  INTERNODE_FIREWALL_KIND,
  INTERNODE_FIREWALL_OUTPUT_KEYS,
  INTERNODE_FIREWALL_SECRET_OUTPUTS,
  type InternodeFirewallTableInputs,
  type InternodeFirewallTableOutputs,
} from "./generated/resources";
import { providerShim } from "./shim";
import { expectedUrn } from "./urn";

// The generated types (sdk/generated/resources.ts, from the table's schemas) and the hand-documented ones must be
// the same types: the compiler fails here when a row and its documentation drift apart. (The `nodes` output is
// per-node statuses, not the row's value: the public contract of issue 8.)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inputsMatchTable: Same<Partial<InternodeFirewallInputs>, InternodeFirewallTableInputs> = true;
const outputsMatchTable: Same<
  { readonly [K in Exclude<keyof InternodeFirewallInputs, "nodes">]-?: pulumi.Output<NonNullable<InternodeFirewallInputs[K]>> },
  Omit<InternodeFirewallTableOutputs, "nodes">
> = true;
void inputsMatchTable;
void outputsMatchTable;


/** One node: the address its peers connect from, and how the provider runs `nft` on it. */
export interface InternodeFirewallNodeArgs {
  address: pulumi.Input<string>;
  transport: pulumi.Input<FirewallTransport>;
}

export interface InternodeFirewallArgs {
  /** The cluster's nodes (a Cluster's `nodes` output gives the addresses). */
  nodes: pulumi.Input<pulumi.Input<InternodeFirewallNodeArgs>[]>;
  /** TCP ports and "FROM-TO" ranges, or "internode-only" for every internal port of the product. @default [3342] */
  ports?: pulumi.Input<PortsInput>;
  /** Addresses or CIDR prefixes that may also connect (monitoring, a bastion). @default [] */
  allowedSources?: pulumi.Input<pulumi.Input<string>[]>;
  /** The nftables table (family inet) this resource owns on each node. @default "redis_enterprise" */
  table?: pulumi.Input<string>;
}

let shim: pulumi.dynamic.ResourceProvider | undefined;

/** Makes every ssh private key a secret input, so state never holds it in plain text, however it was passed. */
function withSecretKeys(nodes: InternodeFirewallArgs["nodes"]): pulumi.Input<unknown> {
  return pulumi.output(nodes).apply((list) =>
    (list ?? []).map((node) => {
      const transport = node?.transport as FirewallTransport | undefined;
      return transport?.type === "ssh" ? { ...node, transport: { ...transport, privateKey: pulumi.secret(transport.privateKey) } } : node;
    }),
  );
}

export class InternodeFirewall extends pulumi.dynamic.Resource {
  /** Per node: address, transport type, whether the table is in place, and what differs if not. */
  declare readonly nodes: pulumi.Output<FirewallNodeStatus[]>;
  /** The rules as data (protocol, port, source, destination, description), for cloud firewalls. */
  declare readonly rules: pulumi.Output<FirewallRule[]>;
  declare readonly ports: pulumi.Output<PortsInput>;
  declare readonly allowedSources: pulumi.Output<string[]>;
  declare readonly table: pulumi.Output<string>;
  /** The declared nodes with their transports (secret: an ssh transport holds a private key). */
  declare readonly declaredNodes: pulumi.Output<FirewallNode[]>;
  /** The properties this program manages (every input: each has a default). */
  declare readonly managedProperties: pulumi.Output<string[]>;
  /** What the last update changed (nodes shown by address and transport, never a key). */
  declare readonly lastUpdateImpacts: pulumi.Output<PropertyChange[]>;

  constructor(name: string, args: InternodeFirewallArgs, opts?: pulumi.CustomResourceOptions) {
    const seeds: Record<string, undefined> = {};
    for (const key of INTERNODE_FIREWALL_OUTPUT_KEYS) seeds[key] = undefined;
    shim ??= providerShim(INTERNODE_FIREWALL_KIND);
    super(
      shim,
      name,
      // The URN lets every note the provider prints name this resource (the engine shows them under the stack).
      { ...seeds, ...args, nodes: withSecretKeys(args.nodes), __urn: expectedUrn(INTERNODE_FIREWALL_KIND, name, opts) },
      // Generated from the definition: the declared nodes (with their transports' keys) stay secret in state.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: [...INTERNODE_FIREWALL_SECRET_OUTPUTS] }),
      "redisenterprise",
      INTERNODE_FIREWALL_KIND,
    );
  }
}
