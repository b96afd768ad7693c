// The Cluster's table rows one by one: schema (what is accepted, what is refused and how it is said), payload
// (the REST object and fields), reading back, and the change case with its Cluster wording. The last test is
// derived from the table: a row without its three kinds of test fails it.
import assert from "node:assert/strict";
import { checkCluster, diffCluster, settingsPayloads } from "../../provider/cluster/logic";
import { CLUSTER_TABLE } from "../../provider/cluster/table";
import type { ClusterLive } from "../../provider/cluster/types";
import { readProperties } from "../../provider/core";

type Aspect = "schema" | "payload" | "change";
const exercised = new Map<string, Set<Aspect>>();
const record = (name: string, aspect: Aspect) => exercised.set(name, (exercised.get(name) ?? new Set<Aspect>()).add(aspect));

const base = { name: "c.example.com", nodes: [{ url: "https://10.0.0.1:9443" }], username: "u", password: "p" };
/** check's failures for one setting, as "property: reason". */
const failuresFor = (name: string, value: unknown) => {
  record(name, "schema");
  return checkCluster({}, { ...base, [name]: value }).failures.map((failure) => `${failure.property}: ${failure.reason}`);
};
/** The payloads that bring `live` (canonical values) to the declared value. */
const payloadFor = (name: string, live: Record<string, unknown>, value: unknown) => {
  record(name, "payload");
  return settingsPayloads(live, { ...base, [name]: value });
};
/** The notes and change records of one setting's change. */
const changeFor = (name: string, old: unknown, next: unknown) => {
  record(name, "change");
  const diff = diffCluster({ ...base, [name]: old }, { ...base, [name]: next });
  return { changed: diff.changed.map((change) => [change.property, change.mode, change.impact]), notes: diff.notes };
};
const read = (live: Partial<ClusterLive>) => readProperties(CLUSTER_TABLE, { cluster: {}, policy: {}, jobScheduler: {}, ...live });

describe("Cluster table rows", () => {
  it("dataInternodeEncryptionDefault: a boolean in the policy, for databases created afterwards", () => {
    assert.deepEqual(failuresFor("dataInternodeEncryptionDefault", "yes"), ['dataInternodeEncryptionDefault: dataInternodeEncryptionDefault must be true or false; got "yes"']);
    assert.deepEqual(payloadFor("dataInternodeEncryptionDefault", { dataInternodeEncryptionDefault: false }, true), { policy: { data_internode_encryption: true } });
    assert.equal(read({ policy: { data_internode_encryption: true } }).dataInternodeEncryptionDefault, true);
    assert.deepEqual(changeFor("dataInternodeEncryptionDefault", true, false), {
      changed: [["dataInternodeEncryptionDefault", "in-place", "none"]],
      notes: ['Cluster "c.example.com": dataInternodeEncryptionDefault true -> false applies to databases created afterwards; no existing database changes'],
    });
  });

  for (const [name, field] of [
    ["clusterCertsAboutToExpireAlert", "cluster_certs_about_to_expire"],
    ["nodeInternalCertsAboutToExpireAlert", "node_internal_certs_about_to_expire"],
  ] as const) {
    it(`${name}: { enabled?, thresholdDays? } in alert_settings.${field}, the threshold sent and read as a string`, () => {
      assert.deepEqual(failuresFor(name, { thresholdDays: 0 }), [`${name}: ${name}.thresholdDays must be an integer from 1 to 3650; got 0`]);
      assert.match(failuresFor(name, { threshold: "45" })[0]!, /has an unknown field "threshold"; expected enabled, thresholdDays/);
      assert.deepEqual(payloadFor(name, { [name]: { enabled: false, thresholdDays: 45 } }, { thresholdDays: 30 }), {
        cluster: { alert_settings: { [field]: { enabled: false, threshold: "30" } } },
      });
      assert.deepEqual(read({ cluster: { alert_settings: { [field]: { enabled: true, threshold: "45" } } } })[name], { enabled: true, thresholdDays: 45 });
      assert.deepEqual(changeFor(name, { enabled: true, thresholdDays: 45 }, { thresholdDays: 30 }), {
        changed: [[`${name}.thresholdDays`, "in-place", "none"]],
        notes: [`Cluster "c.example.com": ${name}.thresholdDays 45 -> 30 changes when the cluster raises the alert; no certificate changes`],
      });
    });
  }

  it("certificateRotationJob: the job scheduler's cert_rotation_job_settings, leaf by leaf", () => {
    assert.deepEqual(failuresFor("certificateRotationJob", { expiryDaysBeforeRotation: 91 }), [
      "certificateRotationJob: certificateRotationJob.expiryDaysBeforeRotation must be an integer from 1 to 90; got 91",
    ]);
    assert.deepEqual(payloadFor("certificateRotationJob", { certificateRotationJob: { enabled: true, expiryDaysBeforeRotation: 60 } }, { enabled: false }), {
      jobScheduler: { cert_rotation_job_settings: { enabled: false, expiry_days_before_rotation: 60 } },
    });
    assert.deepEqual(read({ jobScheduler: { cert_rotation_job_settings: { cron_expression: "0 * * * *", enabled: true, expiry_days_before_rotation: 60 } } }).certificateRotationJob, { enabled: true, expiryDaysBeforeRotation: 60 });
    assert.deepEqual(changeFor("certificateRotationJob", { enabled: true, expiryDaysBeforeRotation: 60 }, { enabled: false }).changed, [["certificateRotationJob.enabled", "in-place", "none"]]);
  });

  for (const [name, field] of [
    ["minControlTlsVersion", "min_control_TLS_version"],
    ["minDataTlsVersion", "min_data_TLS_version"],
    ["minSentinelTlsVersion", "min_sentinel_TLS_version"],
  ] as const) {
    it(`${name}: "1.2" or "1.3" in ${field}, applying to new TLS connections`, () => {
      assert.deepEqual(failuresFor(name, "1.1"), [`${name}: ${name} must be one of "1.2", "1.3"; got "1.1"`]);
      assert.deepEqual(payloadFor(name, { [name]: "1.2" }, "1.3"), { cluster: { [field]: "1.3" } });
      assert.equal(read({ cluster: { [field]: "1.3" } })[name], "1.3");
      assert.equal(read({ cluster: { [field]: "1.0" } })[name], undefined);
      assert.deepEqual(changeFor(name, "1.2", "1.3"), {
        changed: [[name, "in-place", "new-connections-only"]],
        notes: [`Cluster "c.example.com": ${name} "1.2" -> "1.3" applies to new TLS connections; clients on an older TLS version can no longer connect`],
      });
    });
  }

  it("handleRedirects: a boolean in handle_redirects", () => {
    assert.deepEqual(failuresFor("handleRedirects", 1), ["handleRedirects: handleRedirects must be true or false; got 1"]);
    assert.deepEqual(payloadFor("handleRedirects", { handleRedirects: false }, true), { cluster: { handle_redirects: true } });
    assert.equal(read({ cluster: { handle_redirects: true } }).handleRedirects, true);
    assert.deepEqual(changeFor("handleRedirects", false, true).changed, [["handleRedirects", "in-place", "none"]]);
  });

  it("covers every row: each row of the table has its schema, payload and change tested here", () => {
    const missing = CLUSTER_TABLE.rows.flatMap((row) =>
      (["schema", "payload", "change"] as const).filter((aspect) => !exercised.get(row.name)?.has(aspect)).map((aspect) => `${row.name}: ${aspect}`),
    );
    assert.deepEqual(missing, []);
  });
});
