// Two stacks to run the policy pack against (README.md here; test/policy/pack.test.ts runs both with the real
// CLI). The connection comes from stack config (redisenterprise:url, :username, :password, :caCertPem).
import { CertificateRotation, Database } from "../../sdk";

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
