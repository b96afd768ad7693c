// The demo project: Pulumi.yaml names the compiled program, and the pure pieces of `npm run demo`
// (examples/demo/story.ts): which engine, whether the firewall can be declared, the config the runner sets, the
// property-level drift a refresh found, the summary.
//
// Pulumi.yaml must name the compiled demo entry file: given a directory, the Node.js language host resolves it
// through the nearest package.json (this package's own "exports" -> dist/sdk/index.js) and `pulumi up` silently
// runs an empty program. Seen with the real CLI.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  DEMO_CLUSTER_NAME,
  demoConfig,
  demoConfigFor,
  findPulumiCli,
  firewallPlan,
  formatDrift,
  formatSummary,
  onPath,
  refreshDrift,
  type DataPlaneFacts,
  type ResourceSnapshot,
} from "../../examples/demo/story";

const ROOT = path.join(__dirname, "..", "..", "..");

describe("Pulumi.yaml (the demo project)", () => {
  it("names the compiled demo program as a file that exists after the build", () => {
    const main = /^main:\s*(\S+)\s*$/m.exec(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"))?.[1];
    assert.equal(main, "dist/examples/demo/index.js");
    assert.ok(fs.statSync(path.join(ROOT, main)).isFile(), `${main} is not a file`);
  });
});

describe("npm run demo: the pure pieces", () => {
  describe("findPulumiCli and onPath", () => {
    let folder: string;
    before(() => {
      folder = fs.mkdtempSync(path.join(os.tmpdir(), "demo-story-"));
      fs.writeFileSync(path.join(folder, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
      fs.writeFileSync(path.join(folder, "nft"), "not executable\n", { mode: 0o644 });
    });
    after(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("takes PULUMI_CLI first, then the first executable pulumi on the PATH, else says why there is none", () => {
      assert.deepEqual(findPulumiCli({ PULUMI_CLI: path.join(folder, "pulumi"), PATH: "" }), { path: path.join(folder, "pulumi"), reason: "named by PULUMI_CLI" });
      assert.deepEqual(findPulumiCli({ PATH: ["/nonexistent", folder].join(path.delimiter) }), { path: path.join(folder, "pulumi"), reason: "found on the PATH" });
      assert.deepEqual(findPulumiCli({ PATH: "/nonexistent" }), { reason: "no pulumi CLI on the PATH and PULUMI_CLI is not set" });
    });

    it("refuses a PULUMI_CLI that does not exist, naming it", () => {
      assert.throws(() => findPulumiCli({ PULUMI_CLI: path.join(folder, "missing") }), /PULUMI_CLI is .*missing, which does not exist; point it at the pulumi binary or unset it/);
    });

    it("finds only executable files", () => {
      assert.equal(onPath("nft", { PATH: folder }), undefined);
      assert.equal(onPath("pulumi", { PATH: folder }), path.join(folder, "pulumi"));
    });
  });

  describe("firewallPlan", () => {
    const nodes = [
      { uid: 1, address: "10.213.7.11", namespace: "rsd-1-1-node1" },
      { uid: 2, address: "10.213.7.12", namespace: "rsd-1-1-node2" },
    ];
    const facts = (overrides: Partial<DataPlaneFacts>): DataPlaneFacts => ({ layout: "namespaces", nodes, nftOnPath: true, ...overrides });

    it("maps each node's uid to its namespace in the namespaces layout", () => {
      assert.deepEqual(firewallPlan(facts({})), { namespaces: { "1": "rsd-1-1-node1", "2": "rsd-1-1-node2" } });
    });

    it("says plainly why the firewall is skipped otherwise", () => {
      assert.deepEqual(firewallPlan(facts({ layout: "off", reason: "redis-server is not installed", nodes: [] })), {
        skipped: "no data plane runs here (redis-server is not installed), so there are no node network stacks to put nftables tables on",
      });
      const loopback = firewallPlan(facts({ layout: "loopback" }));
      assert.ok("skipped" in loopback && /share this machine's network stack .*run as root/.test(loopback.skipped), JSON.stringify(loopback));
      assert.deepEqual(firewallPlan(facts({ nftOnPath: false })), { skipped: "nft (package nftables) is not on the PATH, and the firewall's tables are written with it" });
      assert.deepEqual(firewallPlan(facts({ nodes: [{ uid: 3, address: "10.213.7.13" }] })), { skipped: "node 3 (10.213.7.13) has no network namespace" });
    });
  });

  describe("demoConfig", () => {
    const input = {
      nodeUrls: ["https://127.0.0.1:9443", "https://127.0.0.2:9443"],
      clusterName: "demo.redis.local",
      adminUsername: "admin@demo.redis.local",
      adminPassword: "admin-pass",
      caCertPem: "-----BEGIN CERTIFICATE-----\n...",
      sessionsPassword: "sessions-pass",
    };

    it("sets the keys demoStackSettingsFromConfig reads, the passwords as secrets", () => {
      const config = demoConfig(input);
      assert.deepEqual(Object.keys(config).sort(), ["demo:adminPassword", "demo:adminUsername", "demo:caCertPem", "demo:clusterName", "demo:nodes", "demo:sessionsPassword"]);
      assert.deepEqual(JSON.parse(config["demo:nodes"]!.value), input.nodeUrls);
      assert.deepEqual(
        Object.keys(config).filter((key) => config[key]!.secret).sort(),
        ["demo:adminPassword", "demo:sessionsPassword"],
      );
    });

    it("declares the firewall's namespaces only when there are some", () => {
      assert.equal(demoConfig(input)["demo:firewallNamespaces"], undefined);
      assert.deepEqual(demoConfig({ ...input, firewallNamespaces: { "1": "ns1" } })["demo:firewallNamespaces"], { value: '{"1":"ns1"}', secret: false });
    });

    it("demoConfigFor: an emulated cluster's URLs and CA, the demo's name, fresh secret passwords on every call", () => {
      const cluster = { nodes: [{ url: "https://127.0.0.1:1" }, { url: "https://127.0.0.2:2" }], caCertPem: "PEM" };
      const first = demoConfigFor(cluster);
      const second = demoConfigFor(cluster, { "1": "ns1" });
      assert.equal(first["demo:nodes"]!.value, '["https://127.0.0.1:1","https://127.0.0.2:2"]');
      assert.equal(first["demo:caCertPem"]!.value, "PEM");
      assert.equal(first["demo:clusterName"]!.value, DEMO_CLUSTER_NAME);
      assert.equal(first["demo:adminUsername"]!.value, `admin@${DEMO_CLUSTER_NAME}`);
      for (const key of ["demo:adminPassword", "demo:sessionsPassword"]) {
        assert.equal(first[key]!.secret, true);
        assert.ok(first[key]!.value.length >= 16, key);
        assert.notEqual(first[key]!.value, second[key]!.value, `${key} is the same twice`);
      }
      assert.equal(first["demo:firewallNamespaces"], undefined);
      assert.equal(second["demo:firewallNamespaces"]!.value, '{"1":"ns1"}');
    });
  });

  describe("refreshDrift and formatDrift", () => {
    const sessions = (memorySize: number, password: string): ResourceSnapshot => ({
      name: "sessions",
      type: "Database",
      inputs: { memorySize: "128MB", password: "[secret]" },
      outputs: { memorySize, password, lastUpdateImpacts: [memorySize], __provider: `code ${memorySize}`, __drifted: memorySize > 134217728 ? ["memorySize"] : undefined },
      secretKeys: ["password"],
    });
    const rotation = (days: number): ResourceSnapshot => ({
      name: "internal-certificates",
      type: "CertificateRotation",
      inputs: { certificates: ["ccs_internode_encryption", "data_internode_encryption"] },
      outputs: { certificates: [{ name: "ccs_internode_encryption", daysRemaining: 89 }, { name: "data_internode_encryption", daysRemaining: days }] },
      secretKeys: [],
    });

    it("reports each changed leaf, declared properties apart from reported facts, never a secret or bookkeeping", () => {
      const drift = refreshDrift([sessions(134217728, "a"), rotation(90)], [sessions(268435456, "b"), rotation(89)]);
      assert.deepEqual(drift, [
        { resource: "sessions", declared: true, path: "memorySize", before: 134217728, after: 268435456 },
        { resource: "internal-certificates", declared: false, path: "certificates[1].daysRemaining", before: 90, after: 89 },
      ]);
      assert.equal(formatDrift(drift[0]!), "~ memorySize: 134217728 => 268435456 (128MB => 256MB)");
      assert.equal(formatDrift(drift[1]!), "~ certificates[1].daysRemaining: 90 => 89");
    });

    it("finds nothing when nothing changed, and reports a resource that disappeared", () => {
      assert.deepEqual(refreshDrift([sessions(1, "a")], [sessions(1, "a")]), []);
      assert.deepEqual(refreshDrift([rotation(90)], []), [{ resource: "internal-certificates", declared: true, path: "(resource)", before: "exists", after: "gone" }]);
    });
  });

  describe("formatSummary", () => {
    it("names the engine, what was created, the firewall, the clients dropped and kept, the drift and the destroy", () => {
      const lines = formatSummary({
        engine: "the embedded provider host (no pulumi CLI on the PATH and PULUMI_CLI is not set)",
        created: ["Cluster checkout", "Database orders"],
        firewall: "not declared: no data plane runs here",
        clients: [
          { database: "payments", dropped: false },
          { database: "orders", dropped: true },
        ],
        driftFound: [{ resource: "sessions", declared: true, path: "memorySize", before: 1, after: 2 }],
        driftFixed: true,
        destroyed: true,
      });
      assert.deepEqual(lines, [
        "engine:   the embedded provider host (no pulumi CLI on the PATH and PULUMI_CLI is not set)",
        "created:  Cluster checkout, Database orders",
        "firewall: not declared: no data plane runs here",
        "clients:  dropped by the encryption change: orders; kept: payments",
        "drift:    sessions memorySize found by refresh, put back by up",
        "destroy:  every resource deleted; the emulated cluster, its processes and namespaces stopped",
      ]);
      const bare = formatSummary({ engine: "x", created: [], firewall: "y", clients: [], driftFound: [], driftFixed: false, destroyed: false });
      assert.deepEqual(bare.slice(1), ["created:  nothing", "firewall: y", "clients:  none connected (no data plane)", "drift:    none found", "destroy:  not reached"]);
    });
  });
});
