// Four stacks to run the policy pack against (README.md here; test/policy/pack.test.ts previews each with the
// real CLI). The connection comes from stack config (redisenterprise:url, :username, :password, :caCertPem), and
// the compliant stack's Cluster takes the same values (and `policyExample:clusterName`).
import * as pulumi from "@pulumi/pulumi";
import { CertificateRotation, Cluster, Database, InternodeFirewall } from "../../sdk";

/**
 * Keeps all three rules: the Cluster (adopted from its one node), an InternodeFirewall over that node's address,
 * every database encrypted, and a rotation 30 days ahead. The firewall's node addresses are written out (the host
 * of each node's url) rather than taken from `cluster.nodes`, which a preview of a new Cluster does not know yet:
 * the coverage rule then has addresses to compare instead of passing for want of them.
 */
export function compliant() {
  clusterStack({ firewallAddresses: (hosts) => hosts, rotateWhenExpiringWithinDays: 30 });
}

/**
 * The compliant stack with two faults: the firewall names another address (a loopback one no node has, never
 * reached: a preview applies nothing) instead of the Cluster's node, and the rotation waits until 60 days before
 * expiry. Rules 2 and 3 are reported; rule 1 is kept.
 */
export function uncoveredNodeLateRotation() {
  clusterStack({ firewallAddresses: (hosts) => hosts.map(() => "127.255.255.254"), rotateWhenExpiringWithinDays: 60 });
}

function clusterStack(options: { firewallAddresses: (hosts: string[]) => string[]; rotateWhenExpiringWithinDays: number }) {
  const connection = new pulumi.Config("redisenterprise");
  const urls = [connection.require("url")];
  new Cluster("cluster", {
    name: new pulumi.Config("policyExample").require("clusterName"),
    nodes: urls.map((url) => ({ url })),
    username: connection.require("username"),
    password: connection.requireSecret("password"),
    tls: { caCertPem: connection.require("caCertPem") },
  });
  const hosts = urls.map((url) => new URL(url).hostname.replace(/^\[|\]$/g, ""));
  new InternodeFirewall("ine-port", {
    nodes: options.firewallAddresses(hosts).map((address) => ({ address, transport: { type: "local" as const } })),
  });
  new Database("orders", { name: "orders", memorySize: "64MB", dataInternodeEncryption: true });
  new Database("cache", { name: "cache", memorySize: "64MB", dataInternodeEncryption: true });
  new CertificateRotation("ine", {
    certificates: ["ccs_internode_encryption", "data_internode_encryption"],
    rotateWhenExpiringWithinDays: options.rotateWhenExpiringWithinDays,
  });
}

/** Breaks all three rules: a database left unencrypted, one encrypted without a firewall, and no rotation. */
export function nonCompliant() {
  new Database("cache", { name: "cache", memorySize: "64MB" });
  new Database("orders", { name: "orders", memorySize: "64MB", dataInternodeEncryption: true });
}

/**
 * Keeps rules 1 and 3: every database encrypted, a rotation 30 days ahead. Rule 2 also needs an InternodeFirewall
 * over the cluster's nodes, which this stack (whose cluster is managed elsewhere) does not declare.
 */
export function encryptedWithRotation() {
  new Database("orders", { name: "orders", memorySize: "64MB", dataInternodeEncryption: true });
  new CertificateRotation("ine", { certificates: ["ccs_internode_encryption", "data_internode_encryption"], rotateWhenExpiringWithinDays: 30 });
}
