// Cluster object, cluster policy, nodes and the job scheduler over HTTPS.
import assert from "node:assert/strict";
import { type EmulatedCluster } from "../../emulator";
import { type TestClient, useCluster } from "./support/client";

describe("emulator: cluster, policy, nodes, job scheduler", function () {
  let cluster: EmulatedCluster;
  let api: TestClient;

  useCluster({
      clusterName: "prod.example.com",
      softwareVersions: ["7.22.2-14", "7.4.6-22", "7.22.2-14"],
      operationDelayMs: 10,
    }, (started, client) => {
    cluster = started;
    api = client;
  });

  it("GET /v1/cluster shows the name, control-plane INE always on, string alert thresholds and the proxy/syncer certificates", async function () {
    const response = await api.get("/v1/cluster");
    assert.equal(response.status, 200);
    const body = response.body;
    assert.equal(body.name, "prod.example.com");
    assert.equal(body.ccs_internode_encryption, true);
    assert.deepEqual(body.alert_settings.node_internal_certs_about_to_expire, { enabled: true, threshold: "45" });
    assert.deepEqual(body.alert_settings.cluster_certs_about_to_expire, { enabled: true, threshold: "45" });
    assert.equal(body.min_control_TLS_version, "1.2");
    assert.match(body.proxy_certificate, /^-----BEGIN CERTIFICATE-----/);
    assert.match(body.syncer_certificate, /^-----BEGIN CERTIFICATE-----/);
    assert.equal(body.cnm_https_port, Number(new URL(cluster.nodes[0]!.url).port));
  });

  it("PUT /v1/cluster changes writable fields, merges alert_settings, answers the object, and dry_run changes nothing", async function () {
    const dry = await api.put("/v1/cluster?dry_run", { min_data_TLS_version: "1.3" });
    assert.equal(dry.status, 200);
    assert.equal(dry.body.min_data_TLS_version, "1.3");
    assert.equal((await api.get("/v1/cluster")).body.min_data_TLS_version, "1.2");

    const put = await api.put("/v1/cluster", {
      min_data_TLS_version: "1.3",
      data_cipher_list: "ECDHE-RSA-AES256-GCM-SHA384",
      alert_settings: { node_internal_certs_about_to_expire: { threshold: "30" } },
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.min_data_TLS_version, "1.3");
    assert.deepEqual(put.body.alert_settings.node_internal_certs_about_to_expire, { enabled: true, threshold: "30" });
    assert.deepEqual(put.body.alert_settings.cluster_certs_about_to_expire, { enabled: true, threshold: "45" });
    const read = (await api.get("/v1/cluster")).body;
    assert.equal(read.data_cipher_list, "ECDHE-RSA-AES256-GCM-SHA384");
    assert.deepEqual(cluster.admin.events({ type: "cluster_updated" }).map((e) => e.fields), [["alert_settings", "data_cipher_list", "min_data_TLS_version"]]);
  });

  it("PUT /v1/cluster refuses read-only and invalid values with 400", async function () {
    const before = (await api.get("/v1/cluster")).body;
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ name: "other.example.com" }, "invalid_schema", /read-only/],
      [{ created_time: "2020-01-01T00:00:00Z" }, "invalid_schema", /read-only/],
      [{ ccs_internode_encryption: false }, "invalid_value", /always on/],
      [{ min_control_TLS_version: "1.4" }, "invalid_value", /min_control_TLS_version/],
      [{ sentinel_tls_mode: "maybe" }, "invalid_value", /sentinel_tls_mode/],
      [{ alert_settings: { node_internal_certs_about_to_expire: { threshold: 45 } } }, "invalid_schema", /must be a string/],
      [{ alert_settings: { node_internal_certs_about_to_expire: { threshold: "soon" } } }, "invalid_value", /whole number/],
      [{ alert_settings: { no_such_alert: { enabled: true } } }, "invalid_schema", /unknown alert/],
      [{ reserved_ports: [11000] }, "invalid_value", /reserved_ports/],
      [{ cm_port: 70000 }, "invalid_value", /TCP port/],
    ];
    for (const [body, code, description] of cases) {
      const response = await api.put("/v1/cluster", body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error_code, code, JSON.stringify(body));
      assert.match(response.body.description, description);
    }
    assert.deepEqual((await api.get("/v1/cluster")).body, before);
  });

  it("GET/PUT /v1/cluster/policy: INE off by default, the new-database defaults, 200 with an empty body, 400 for bad values", async function () {
    const policy = (await api.get("/v1/cluster/policy")).body;
    assert.equal(policy.data_internode_encryption, false);
    assert.equal(policy.default_non_sharded_proxy_policy, "single");
    assert.equal(policy.default_sharded_proxy_policy, "all-master-shards");
    assert.equal(policy.default_shards_placement, "dense");
    assert.equal(policy.default_provisioned_redis_version, "8.0");
    assert.equal(policy.resp3_default, true);
    const put = await api.put("/v1/cluster/policy", { data_internode_encryption: true, default_provisioned_redis_version: "7.4" });
    assert.equal(put.status, 200);
    assert.equal(put.text, "");
    const after = (await api.get("/v1/cluster/policy")).body;
    assert.equal(after.data_internode_encryption, true);
    assert.equal(after.default_provisioned_redis_version, "7.4");
    for (const body of [{ default_shards_placement: "spread" }, { default_provisioned_redis_version: "5.0" }, { redis_upgrade_policy: "never" }]) {
      const refused = await api.put("/v1/cluster/policy", body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(refused.body.error_code, "invalid_value");
    }
    assert.deepEqual((await api.get("/v1/cluster/policy")).body, after);
  });

  it("lists nodes with their versions, the status map keyed by uid string, and 404 node_not_found", async function () {
    const nodes = (await api.get("/v1/nodes")).body;
    assert.deepEqual(
      nodes.map((n: { uid: number; addr: string; software_version: string; status: string }) => [n.uid, n.addr, n.software_version, n.status]),
      [
        [1, "127.0.0.1", "7.22.2-14", "active"],
        [2, "127.0.0.2", "7.4.6-22", "active"],
        [3, "127.0.0.3", "7.22.2-14", "active"],
      ],
    );
    const one = await api.get("/v1/nodes/2");
    assert.equal(one.body.uid, 2);
    assert.deepEqual(one.body.external_addr, []);
    const status = (await api.get("/v1/nodes/status")).body;
    assert.deepEqual(Object.keys(status), ["1", "2", "3"]);
    assert.equal(status["1"].role, "master");
    assert.equal(status["2"].role, "slave");
    assert.equal(status["2"].software_version, "7.4.6-22");
    assert.equal((await api.get("/v1/nodes/3/status")).body.hostname, "node3");
    const missing = await api.get("/v1/nodes/9");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error_code, "node_not_found");
  });

  it("PUT /v1/nodes/{uid}: 200 empty for writable fields; addr only while offline (406 node_not_offline); rack_id once; read-only 400", async function () {
    const ok = await api.put("/v1/nodes/2", { max_redis_servers: 50, external_addr: ["10.0.0.2"], rack_id: "rack-a" });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, "");
    const node = (await api.get("/v1/nodes/2")).body;
    assert.equal(node.max_redis_servers, 50);
    assert.deepEqual(node.external_addr, ["10.0.0.2"]);
    const online = await api.put("/v1/nodes/2", { addr: "10.0.0.20" });
    assert.equal(online.status, 406);
    assert.equal(online.body.error_code, "node_not_offline");
    const rack = await api.put("/v1/nodes/2", { rack_id: "rack-b" });
    assert.equal(rack.status, 406);
    assert.equal(rack.body.error_code, "node_already_has_rack_id");
    const readOnly = await api.put("/v1/nodes/2", { software_version: "8.0.0-1" });
    assert.equal(readOnly.status, 400);
    assert.equal((await api.put("/v1/nodes/9", { accept_servers: false })).status, 404);
    cluster.admin.setNode(3, { status: "down" });
    assert.equal((await api.put("/v1/nodes/3", { addr: "10.0.0.30" })).status, 200);
    assert.equal((await api.get("/v1/nodes/3")).body.addr, "10.0.0.30");
  });

  it("GET/PUT /v1/job_scheduler: the certificate rotation job settings, with range checks", async function () {
    const jobs = (await api.get("/v1/job_scheduler")).body;
    assert.deepEqual(jobs.cert_rotation_job_settings, { cron_expression: "0 * * * *", enabled: true, expiry_days_before_rotation: 60 });
    const put = await api.put("/v1/job_scheduler", { cert_rotation_job_settings: { expiry_days_before_rotation: 30 } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.cert_rotation_job_settings, { cron_expression: "0 * * * *", enabled: true, expiry_days_before_rotation: 30 });
    for (const body of [
      { cert_rotation_job_settings: { expiry_days_before_rotation: 91 } },
      { cert_rotation_job_settings: { expiry_days_before_rotation: 0 } },
      { cert_rotation_job_settings: { cron_expression: "hourly" } },
      { no_such_job: {} },
    ]) {
      assert.equal((await api.put("/v1/job_scheduler", body)).status, 400, JSON.stringify(body));
    }
    assert.equal((await api.get("/v1/job_scheduler")).body.cert_rotation_job_settings.expiry_days_before_rotation, 30);
  });

  it("GET /v1/cluster/alerts lists every alert of alert_settings; /alerts/{name} 404s for an unknown one", async function () {
    const alerts = (await api.get("/v1/cluster/alerts")).body;
    assert.deepEqual(Object.keys(alerts).sort(), Object.keys((await api.get("/v1/cluster")).body.alert_settings).sort());
    const alert = alerts.node_internal_certs_about_to_expire;
    assert.deepEqual(Object.keys(alert).sort(), ["change_time", "change_value", "enabled", "severity", "state", "threshold"]);
    assert.equal(alert.state, false);
    assert.equal(alert.threshold, "45");
    assert.deepEqual((await api.get("/v1/cluster/alerts/cluster_certs_about_to_expire")).body.change_value, {
      certs_about_to_expire: [],
      global_threshold: "45",
      state: false,
    });
    // A boolean alert has no threshold, and change_value holds only its state.
    const boolean = alerts.cluster_node_operation_failed;
    assert.deepEqual(Object.keys(boolean).sort(), ["change_time", "change_value", "enabled", "severity", "state"]);
    assert.deepEqual(boolean.change_value, { state: false });
    const missing = await api.get("/v1/cluster/alerts/no_such_alert");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error_code, "alert_not_found");
  });
});
