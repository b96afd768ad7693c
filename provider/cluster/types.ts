// Types of the Cluster resource: what users declare, the canonical settings the table manages, and the outputs.
// Facts come from ../shared/reference/rs-rest-api.md §3 (cluster, policy, bootstrap), §4.5 (alerts and the
// rotation job) and §5 (nodes).
import type { PropertyChange } from "../core";
import type { Connection } from "../rest";
import type { TimeoutsInput } from "../timeouts";

export type TlsVersion = "1.2" | "1.3";

/** One node's REST API, e.g. { url: "https://10.0.0.1:9443" }. */
export interface ClusterNodeInput {
  url: string;
}

/** How to verify the nodes' API certificate, before and after bootstrap (see README "Declaring a cluster"). */
export interface ClusterTls {
  /** PEM; may hold several certificates (each node's install-time certificate and the cluster's CA). */
  caCertPem?: string;
  /** SHA-256 pin of a certificate in the presented chain. */
  caFingerprintSha256?: string;
  /** No verification at all; a warning is printed on every use. */
  insecureSkipVerify?: boolean;
}

/** A certificate-expiry alert of `cluster.alert_settings`: on or off, and its threshold in days. */
export interface CertificateExpiryAlert {
  enabled?: boolean;
  /** Days before expiry; the API holds it as a string ("45"), the provider converts. */
  thresholdDays?: number;
}

/** The cluster's own rotation job (`/v1/job_scheduler` cert_rotation_job_settings). */
export interface CertificateRotationJob {
  enabled?: boolean;
  /** Rotate an internal certificate once fewer than this many days are left (1-90; the product's default is 60). */
  expiryDaysBeforeRotation?: number;
}

/**
 * The settings of the property table (provider/cluster/table.ts), in canonical form. Each is managed only when
 * declared; nested objects only in the fields declared.
 */
export interface ClusterSettings {
  dataInternodeEncryptionDefault: boolean;
  clusterCertsAboutToExpireAlert: CertificateExpiryAlert;
  nodeInternalCertsAboutToExpireAlert: CertificateExpiryAlert;
  certificateRotationJob: CertificateRotationJob;
  minControlTlsVersion: TlsVersion;
  minDataTlsVersion: TlsVersion;
  minSentinelTlsVersion: TlsVersion;
  handleRedirects: boolean;
}

/** What a program declares. */
export interface ClusterInputs extends Partial<ClusterSettings> {
  /** The cluster's FQDN, set once at bootstrap. */
  name: string;
  /** Every node's REST API in order: the first creates the cluster, the others join it. */
  nodes: ClusterNodeInput[];
  /** The admin user the bootstrap creates, or the existing admin when adopting. */
  username: string;
  /** Secret. */
  password: string;
  tls?: ClusterTls;
  /** Take over a running cluster instead of bootstrapping one. */
  adopt?: boolean;
  /** Opt in to removing nodes from `nodes` (the provider stops managing them; see README). */
  allowNodeRemoval?: boolean;
  timeouts?: TimeoutsInput;
}

/** A node as the cluster reports it. */
export interface ClusterNode {
  /** The declared API URL of this node, when it is one of `nodes`. */
  url?: string;
  uid: number;
  address: string;
  externalAddresses: string[];
  softwareVersion: string;
  status: string;
}

export interface ClusterOutputs extends Partial<ClusterSettings> {
  name: string;
  nodes: ClusterNode[];
  username: string;
  password: string;
  tls?: ClusterTls;
  adopt?: boolean;
  allowNodeRemoval?: boolean;
  timeouts?: TimeoutsInput;
  /** Every node at 6.2.4 or later (versions compared as numbers). */
  internodeEncryptionReady: boolean;
  /** The nodes that hold internode encryption back, e.g. ["node 2 (6.2.3)"]; empty when ready. */
  internodeEncryptionBlockers: string[];
  /** The cluster's `ccs_internode_encryption`. */
  controlPlaneInternodeEncryption: boolean;
  apiCertificateFingerprintSha256?: string;
  /** Secret: ready to pass as a Database's or CertificateRotation's `connection`. */
  connection: Connection;
  managedProperties: string[];
  lastUpdateImpacts: PropertyChange[];
  /** Says what deleting this resource does (nothing to the cluster). */
  deleteBehavior: string;
}

/** The REST objects the table's rows live in, read together, with the nodes and the API certificate. */
export interface ClusterLive {
  cluster: Record<string, unknown>;
  policy: Record<string, unknown>;
  jobScheduler: Record<string, unknown>;
  /** GET /v1/nodes, each paired with its declared URL (by uid) when known. */
  nodes?: ClusterNode[];
  apiCertificateFingerprintSha256?: string;
}
