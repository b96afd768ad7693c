// Public entry point of the package: the resource classes a Pulumi program declares.
export { Database } from "./database";
export type { DatabaseArgs, ConnectionArgs } from "./database";
export { Cluster } from "./cluster";
export type { ClusterArgs } from "./cluster";
export { CertificateRotation } from "./certificate-rotation";
export type { CertificateRotationArgs } from "./certificate-rotation";
export type { DatabaseInputs, DatabaseOutputs, DatabaseEndpoint, DatabaseModule, SnapshotRule } from "../provider/database/types";
export type { ClusterInputs, ClusterOutputs, ClusterNode, ClusterNodeInput, ClusterTls, ClusterSettings, CertificateExpiryAlert, CertificateRotationJob, TlsVersion } from "../provider/cluster/types";
export type { CertificateInfo } from "../provider/certificates";
export type { TimeoutsInput } from "../provider/timeouts";
export type { ClientImpact, PropertyChange } from "../provider/core";
export { InternodeFirewall } from "./internode-firewall";
export type { InternodeFirewallArgs, InternodeFirewallNodeArgs } from "./internode-firewall";
export { internodeFirewallRules, PORT_PROFILES, DEFAULT_PORTS } from "../provider/firewall";
export type { FirewallRule, FirewallNode, FirewallNodeStatus, FirewallTransport, RulesArgs, PortsInput, PortProfile } from "../provider/firewall";
