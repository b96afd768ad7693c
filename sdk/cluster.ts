// The Cluster resource a Pulumi program declares: bootstraps nodes into a cluster (or adopts a running one),
// manages its settings, and outputs the `connection` a Database or CertificateRotation takes. What each
// setting does is in the README's reference table (generated from provider/cluster/table.ts).
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_KIND, CLUSTER_OUTPUT_KEYS, CLUSTER_SECRET_OUTPUTS, type ClusterTableInputs } from "./generated/resources";
import type { ClusterInputs, ClusterNode, ClusterNodeInput, ClusterSettings, ClusterTls } from "../provider/cluster/types";
import type { PropertyChange } from "../provider/core";
import type { Connection } from "../provider/rest";
import type { TimeoutsInput } from "../provider/timeouts";
import { providerShim } from "./shim";
import { expectedUrn } from "./urn";

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The arguments of a Cluster. `name`, `nodes`, `username` and `password` are required. */
export interface ClusterArgs extends Inputs<Omit<ClusterInputs, "nodes" | "tls" | "timeouts">> {
  /** Each node's REST API in order: the first creates the cluster, the others join it. */
  nodes: pulumi.Input<pulumi.Input<ClusterNodeInput>[]>;
  /** How to verify the nodes' API certificate before and after bootstrap. */
  tls?: pulumi.Input<ClusterTls>;
  /** Deadlines. @default { create: "30m", update: "30m", delete: "10m" } */
  timeouts?: pulumi.Input<TimeoutsInput>;
}

type SettingOutputs = { readonly [K in keyof ClusterSettings]: pulumi.Output<ClusterSettings[K]> };

// The generated table inputs and the documented settings name the same properties (checked at compile time).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const settingsMatchTable: Same<keyof ClusterTableInputs, keyof ClusterSettings> = true;
void settingsMatchTable;

let shim: pulumi.dynamic.ResourceProvider | undefined;

export interface Cluster extends SettingOutputs {}

export class Cluster extends pulumi.dynamic.Resource {
  /** The cluster's FQDN. */
  declare readonly name: pulumi.Output<string>;
  /** uid, address, external addresses, software version and status of each node (with its declared url). */
  declare readonly nodes: pulumi.Output<ClusterNode[]>;
  /** Every node at 6.2.4 or later, the condition for data internode encryption. */
  declare readonly internodeEncryptionReady: pulumi.Output<boolean>;
  /** The nodes that keep internodeEncryptionReady false, e.g. ["node 2 (6.2.3)"]. */
  declare readonly internodeEncryptionBlockers: pulumi.Output<string[]>;
  /** The cluster's ccs_internode_encryption (control-plane encryption, always on since 6.2.4). */
  declare readonly controlPlaneInternodeEncryption: pulumi.Output<boolean>;
  /** SHA-256 of the cluster's API certificate. */
  declare readonly apiCertificateFingerprintSha256: pulumi.Output<string | undefined>;
  /** Secret: { url, username, password, caCertPem?, caFingerprintSha256? }, for a Database or CertificateRotation. */
  declare readonly connection: pulumi.Output<Connection>;
  declare readonly managedProperties: pulumi.Output<string[]>;
  declare readonly lastUpdateImpacts: pulumi.Output<PropertyChange[]>;
  /** What deleting this resource does: nothing to the cluster. */
  declare readonly deleteBehavior: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.CustomResourceOptions) {
    const seeds: Record<string, undefined> = {};
    for (const key of CLUSTER_OUTPUT_KEYS) seeds[key] = undefined;
    shim ??= providerShim(CLUSTER_KIND);
    super(
      shim,
      name,
      // The URN rides along so that every note the provider prints names this resource (the engine shows a
      // dynamic provider's notes under the stack, not the resource).
      { ...seeds, ...args, __urn: expectedUrn(CLUSTER_KIND, name, opts) },
      // The admin password and the connection that carries it stay secret even when passed as plain strings.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: [...CLUSTER_SECRET_OUTPUTS] }),
      "redisenterprise",
      CLUSTER_KIND,
    );
  }
}
