// The policy pack's rules (examples/policy/rules.ts) over resources as a policy sees them.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { databaseEncryptionViolations, firewallCoverageViolations, rotationViolations, TYPE_PREFIX } from "../../examples/policy/rules";

const resource = (kind: string, name: string, props: Record<string, unknown>) => ({ type: `${TYPE_PREFIX}${kind}`, name, props });
const cluster = resource("Cluster", "prod", { nodes: [{ url: "https://10.0.0.1:9443" }, { url: "https://10.0.0.2:9443" }, { url: "https://[fd00::3]:9443" }] });
const encrypted = resource("Database", "orders", { dataInternodeEncryption: true });
const firewall = (addresses: string[]) => resource("InternodeFirewall", "fw", { nodes: addresses.map((address) => ({ address, transport: { type: "local" } })) });

describe("policy pack rules", () => {
  it("rule 1: a Database without data internode encryption is a violation naming it and what to set", () => {
    assert.deepEqual(databaseEncryptionViolations(encrypted), []);
    assert.deepEqual(databaseEncryptionViolations(resource("Database", "cache", { dataInternodeEncryption: false })), [
      'Database "cache": dataInternodeEncryption must be true; it is false. Set dataInternodeEncryption: true',
    ]);
    assert.deepEqual(databaseEncryptionViolations(resource("Database", "cache", {})), [
      "Database \"cache\": dataInternodeEncryption must be true; it is not declared (the cluster's policy default applies). Set dataInternodeEncryption: true",
    ]);
    assert.deepEqual(databaseEncryptionViolations({ type: "aws:s3/bucket:Bucket", name: "b", props: {} }), []);
  });

  it("rule 2: encrypted databases need an InternodeFirewall over every node of every Cluster", () => {
    assert.deepEqual(firewallCoverageViolations([cluster, firewall(["10.0.0.1", "10.0.0.2", "fd00::3"]), encrypted]), []);
    assert.deepEqual(firewallCoverageViolations([cluster, firewall(["10.0.0.1"]), encrypted]), [
      'Cluster "prod": nodes 10.0.0.2, fd00::3 are not covered by an InternodeFirewall while databases "orders" encrypt internode traffic; add them to the firewall\'s nodes',
    ]);
    assert.match(firewallCoverageViolations([cluster, encrypted])[0]!, /^databases "orders" encrypt internode traffic, but the stack declares no InternodeFirewall/);
    // Several encrypted databases are named in sorted order, whatever order the engine registered them in.
    const orders = firewallCoverageViolations([resource("Database", "payments", { dataInternodeEncryption: true }), cluster, encrypted, firewall(["10.0.0.1"])]);
    assert.match(orders[0]!, /while databases "orders", "payments" encrypt internode traffic/);
    assert.match(firewallCoverageViolations([resource("Database", "payments", { dataInternodeEncryption: true }), encrypted])[0]!, /^databases "orders", "payments" encrypt/);
    // No encrypted database: nothing to protect. Outputs unknown in a preview: no judgement.
    assert.deepEqual(firewallCoverageViolations([cluster, resource("Database", "cache", {})]), []);
    assert.deepEqual(firewallCoverageViolations([resource("Cluster", "prod", { nodes: [{}] }), firewall(["10.0.0.1"]), encrypted]), []);
    // The Cluster's nodes output gives addresses directly.
    assert.deepEqual(firewallCoverageViolations([resource("Cluster", "prod", { nodes: [{ address: "10.0.0.9", url: "https://node9:9443" }] }), firewall(["10.0.0.9"]), encrypted]), []);
  });

  it("rule 3: a CertificateRotation must exist, with a threshold of at most 45 days (the default is 45)", () => {
    assert.deepEqual(rotationViolations([resource("CertificateRotation", "ine", {})]), []);
    assert.deepEqual(rotationViolations([resource("CertificateRotation", "ine", { rotateWhenExpiringWithinDays: 45 })]), []);
    assert.deepEqual(rotationViolations([resource("CertificateRotation", "ine", { rotateWhenExpiringWithinDays: 46 })]), [
      'CertificateRotation "ine": rotateWhenExpiringWithinDays is 46; it must be at most 45',
    ]);
    assert.match(rotationViolations([cluster])[0]!, /^the stack declares no CertificateRotation: add one with rotateWhenExpiringWithinDays of at most 45/);
  });
});
