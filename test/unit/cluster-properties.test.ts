// Property-based: for any declared Cluster settings, what the provider sends, read back as the cluster stores it
// (alert thresholds as strings, one object per REST path), gives no drift; and a declared leaf left out is
// never sent nor compared.
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkCluster, diffCluster, settingsPayloads } from "../../provider/cluster/logic";
import { CLUSTER_TABLE } from "../../provider/cluster/table";
import { readProperties } from "../../provider/core";

const alertArb = fc.record({ enabled: fc.boolean(), thresholdDays: fc.integer({ min: 1, max: 3650 }) }, { requiredKeys: [] });
const settingsArb = fc.record(
  {
    dataInternodeEncryptionDefault: fc.boolean(),
    clusterCertsAboutToExpireAlert: alertArb,
    nodeInternalCertsAboutToExpireAlert: alertArb,
    certificateRotationJob: fc.record({ enabled: fc.boolean(), expiryDaysBeforeRotation: fc.integer({ min: 1, max: 90 }) }, { requiredKeys: [] }),
    minControlTlsVersion: fc.constantFrom("1.2", "1.3"),
    minDataTlsVersion: fc.constantFrom("1.2", "1.3"),
    minSentinelTlsVersion: fc.constantFrom("1.2", "1.3"),
    handleRedirects: fc.boolean(),
  },
  { requiredKeys: [] },
);

/** A cluster's three objects with the product defaults (REAL cluster.json values). */
function defaults(): { cluster: Record<string, unknown>; policy: Record<string, unknown>; jobScheduler: Record<string, unknown> } {
  return {
    cluster: {
      name: "c.example.com",
      alert_settings: {
        cluster_certs_about_to_expire: { enabled: true, threshold: "45" },
        node_internal_certs_about_to_expire: { enabled: true, threshold: "45" },
      },
      min_control_TLS_version: "1.2",
      min_data_TLS_version: "1.2",
      min_sentinel_TLS_version: "1.2",
      handle_redirects: false,
    },
    policy: { data_internode_encryption: false },
    jobScheduler: { cert_rotation_job_settings: { cron_expression: "0 * * * *", enabled: true, expiry_days_before_rotation: 60 } },
  };
}

/** Applies PUT bodies the way the cluster merges them (nested objects merge). */
function apply(target: Record<string, unknown>, body: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(body)) {
    const existing = target[key];
    if (typeof value === "object" && value !== null && !Array.isArray(value) && typeof existing === "object" && existing !== null) apply(existing as Record<string, unknown>, value as Record<string, unknown>);
    else target[key] = value;
  }
}

describe("cluster settings (property-based)", () => {
  it("declared settings, sent and read back, show no drift; the payload carries thresholds as strings", () => {
    fc.assert(
      fc.property(settingsArb, (settings) => {
        const declared = { name: "c.example.com", nodes: [{ url: "https://10.0.0.1:9443" }], username: "u", password: "p", ...settings };
        const { inputs, failures } = checkCluster({}, declared);
        assert.deepEqual(failures, []);
        const live = defaults();
        const before = readProperties(CLUSTER_TABLE, live) as Record<string, unknown>;
        const payloads = settingsPayloads(before, inputs);
        for (const alert of Object.values((payloads.cluster?.alert_settings ?? {}) as Record<string, { threshold?: unknown }>)) {
          if (alert.threshold !== undefined) assert.equal(typeof alert.threshold, "string");
        }
        apply(live.cluster, payloads.cluster ?? {});
        apply(live.policy, payloads.policy ?? {});
        apply(live.jobScheduler, payloads.jobScheduler ?? {});
        const after = { ...readProperties(CLUSTER_TABLE, live), name: "c.example.com", nodes: [{ url: "https://10.0.0.1:9443", uid: 1 }], username: "u", password: "p" };
        const diff = diffCluster(after, inputs);
        assert.deepEqual(diff.changed, []);
        assert.equal(diff.changes, false);
        // Nothing left to send once the cluster holds the declared values.
        assert.deepEqual(settingsPayloads(after, inputs), {});
      }),
      { numRuns: 300 },
    );
  });
});
