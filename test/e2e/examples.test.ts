// The example projects under examples/ (issue 12, part 3), each run with the real `pulumi` command in its own
// folder, as its README says, against an emulated cluster: the CLI built by scripts/pulumi-cli.sh with the old
// Node.js language host, a file backend and a passphrase in a temporary sandbox (support/pulumi.ts). The examples
// that need a bootstrapped cluster share one emulator; the steps of each example run in order on one stack.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { demoConfigFor } from "../../examples/demo/story";
import { clientFor, type TestClient } from "../emulator/support/client";
import { repositoryRoot } from "../engine/harness";
import { exportedState, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";
import { initProject, type ConfigValue, type PulumiProject } from "./support/project";
import { assertNoSecrets, privateKeyLines } from "./support/secrets";

const DATABASE = "pulumi-nodejs:dynamic/redisenterprise:Database";

interface LiveDatabase {
  uid: number;
  name: string;
  memory_size: number;
  data_internode_encryption: boolean;
  authentication_redis_pass?: string;
}

/** Stack config that points the provider at an emulated cluster (redisenterprise:*), the password secret. */
function connectionConfig(cluster: EmulatedCluster): Record<string, ConfigValue> {
  return {
    "redisenterprise:url": cluster.nodes[0]!.url,
    "redisenterprise:username": cluster.username,
    "redisenterprise:password": cluster.password,
    "redisenterprise:caCertPem": cluster.caCertPem,
  };
}

/** The cluster's databases as its REST API answers them (the admin state dump redacts passwords). */
async function liveDatabases(api: TestClient): Promise<LiveDatabase[]> {
  const answer = await api.get("/v1/bdbs");
  assert.equal(answer.status, 200, answer.text);
  return answer.body as LiveDatabase[];
}

function rotationEvents(cluster: EmulatedCluster, automatic: boolean): number {
  return cluster.admin.events({ type: "certificate_rotation" }).filter((event) => event.automatic === automatic).length;
}

describe("e2e: the example projects with the pulumi command (examples/)", function () {
  this.timeout(600_000);
  let sandbox: PulumiSandbox | undefined;
  let cluster: EmulatedCluster | undefined;
  let api: TestClient | undefined;
  const projects: PulumiProject[] = [];

  async function project(folder: string): Promise<PulumiProject> {
    const made = await initProject(sandbox!, folder);
    projects.push(made);
    return made;
  }

  before(async function () {
    const cliFolder = requireCli(this);
    sandbox = makeSandbox(cliFolder);
    cluster = await startCluster({ nodes: 3, operationDelayMs: 30, keyBits: 1024 });
    api = clientFor(cluster);
  });

  after(async () => {
    for (const made of projects) made.dispose();
    await api?.close();
    await cluster?.stop();
    sandbox?.dispose();
  });

  describe("cloud-security-group: the InternodeFirewall's rules as security-group ingress rules", () => {
    let stack: PulumiProject;

    before(async () => {
      stack = await project("cloud-security-group");
    });

    it("refuses a bad node address in stack config, naming the key", async () => {
      await stack.configure({ nodes: ["10.0.1.10", "10.0.2.300"] });
      const preview = await stack.run("preview");
      assert.notEqual(preview.code, 0, preview.stdout);
      assert.match(preview.stdout + preview.stderr, /stack config of redis-enterprise-security-group: InternodeFirewall: nodes\[1\]\.address .*10\.0\.2\.300/);
    });

    it("up exports one ingress rule per port range and source, as plain data", async () => {
      await stack.configure({ nodes: ["10.0.1.10", "10.0.2.10", "10.0.3.10"], ports: [3342, "20000-29999"], allowedSources: ["10.0.9.0/24"], namePrefix: "shop-redis" });
      await stack.ok("up", "--yes");
      const { ingressRules } = await stack.outputs();
      const rule = (port: string, from: number, to: number, source: string) => ({
        name: `shop-redis-${from}-${to}-${source.replace(/[./]/g, "-")}`,
        args: { type: "ingress", protocol: "tcp", fromPort: from, toPort: to, cidrBlocks: [source], description: `Redis Enterprise internode TCP ${port} from ${source}` },
      });
      // Node 10.0.1.10 as the destination gives every rule from its peers and the allowed range; the other nodes
      // add only the rules from 10.0.1.10 (the group is shared, so a (ports, source) pair appears once).
      assert.deepEqual(ingressRules, [
        rule("3342", 3342, 3342, "10.0.2.10/32"),
        rule("3342", 3342, 3342, "10.0.3.10/32"),
        rule("3342", 3342, 3342, "10.0.9.0/24"),
        rule("20000-29999", 20000, 29999, "10.0.2.10/32"),
        rule("20000-29999", 20000, 29999, "10.0.3.10/32"),
        rule("20000-29999", 20000, 29999, "10.0.9.0/24"),
        rule("3342", 3342, 3342, "10.0.1.10/32"),
        rule("20000-29999", 20000, 29999, "10.0.1.10/32"),
      ]);
    });
  });

  describe("production: disruptionPolicy deny from project config, secret passwords, protect", () => {
    let stack: PulumiProject;
    const passwords = {
      paymentsPassword: crypto.randomBytes(12).toString("base64url"),
      cartsPassword: crypto.randomBytes(12).toString("base64url"),
      catalogPassword: crypto.randomBytes(12).toString("base64url"),
    };

    before(async () => {
      stack = await project("production");
      await stack.configure({ ...connectionConfig(cluster!), ...passwords }, ["redisenterprise:password", ...Object.keys(passwords)]);
    });

    it("up creates the three databases, encrypted, each with its password from secret config", async () => {
      const up = await stack.ok("up", "--yes");
      assert.match(up.stdout, /\+ 4 created/);
      const live = await liveDatabases(api!);
      assert.deepEqual(live.map((bdb) => bdb.name).sort(), ["carts", "catalog", "payments"]);
      for (const bdb of live) {
        assert.equal(bdb.data_internode_encryption, true, `${bdb.name} is not encrypted`);
        assert.equal(bdb.authentication_redis_pass, passwords[`${bdb.name}Password` as keyof typeof passwords], `${bdb.name} has not its configured password`);
      }
    });

    it("a change with no impact on clients goes through the deny policy", async () => {
      await stack.configure({ catalogMemory: "512MB" });
      const up = await stack.ok("up", "--yes", "--diff");
      assert.match(up.stdout, /~ memorySize\s*: 268435456 => 536870912/);
      assert.match(up.stdout + up.stderr, /Database "catalog": memorySize 268435456 -> 536870912 \(no impact on connected clients\)/);
      assert.equal((await liveDatabases(api!)).find((bdb) => bdb.name === "catalog")!.memory_size, 536870912);
    });

    it("turning encryption off is refused at preview, naming redisenterprise:disruptionPolicy, and nothing is sent", async () => {
      await stack.configure({ dataInternodeEncryption: false });
      const encryption = async () => (await liveDatabases(api!)).map((bdb) => `${bdb.name}: ${bdb.data_internode_encryption}`).sort();
      const before = await encryption();
      const preview = await stack.run("preview");
      assert.notEqual(preview.code, 0, `the preview should fail:\n${preview.stdout}`);
      const text = preview.stdout + preview.stderr;
      // The engine stops at the first refusal (its checks run in parallel, so which database comes first varies).
      const refused = ["payments", "carts", "catalog"].filter((name) =>
        text.includes(
          `Database "${name}": dataInternodeEncryption true -> false restarts the database proxy and disconnects all connected clients, ` +
            `and disruptionPolicy is "deny" (stack config redisenterprise:disruptionPolicy). ` +
            `Allow it with disruptionPolicy: "allow" on this resource (or pulumi config set redisenterprise:disruptionPolicy allow) for this change, or revert the property.`,
        ),
      );
      assert.ok(refused.length > 0, `no refusal in:\n${text}`);
      assert.deepEqual(await encryption(), before);
      assert.deepEqual(before, ["carts: true", "catalog: true", "payments: true"]);
    });

    it("destroy is refused by protect before anything is deleted", async () => {
      const destroy = await stack.run("destroy", "--yes");
      assert.notEqual(destroy.code, 0, `destroy should fail:\n${destroy.stdout}`);
      const text = destroy.stdout + destroy.stderr;
      for (const name of ["payments", "carts", "catalog"]) {
        const urn = stack.urn(DATABASE, name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        assert.match(text, new RegExp(`resource "${urn}" cannot be deleted\\s+because it is protected`), `no protect refusal for ${name}`);
      }
      assert.equal((await liveDatabases(api!)).length, 3);
    });

    it("no password in the state or anything the CLI printed, and no checkout path in the state", async () => {
      const state = await exportedState(sandbox!, stack.stack, stack.folder);
      const secrets = { passwords: [...Object.values(passwords), cluster!.password], keyLines: [] };
      assertNoSecrets("the exported state", state, secrets);
      assertNoSecrets("the CLI's output", stack.printed(), secrets);
      assert.ok(!state.includes(repositoryRoot()), `the state holds the checkout's path ${repositoryRoot()}`);
    });
  });

  describe("scheduled-rotation: a scheduled up --refresh rotates what is within the threshold", () => {
    let stack: PulumiProject;
    // The private keys the cluster held at each point (a rotation makes new ones): none may reach state or output.
    const keyLines: string[] = [];

    before(async () => {
      stack = await project("scheduled-rotation");
      await stack.configure(connectionConfig(cluster!), ["redisenterprise:password"]);
      // The cluster's own rotation job renews at 60 days left by default, before any 45-day threshold. Here it is
      // a late safety net (30 days, as an operator might set it), so the scheduled run is what renews.
      const job = await api!.put("/v1/job_scheduler", { cert_rotation_job_settings: { enabled: true, expiry_days_before_rotation: 30 } });
      assert.equal(job.status, 200, job.text);
    });

    it("up rotates once at creation; a scheduled run with nothing due changes nothing", async () => {
      const manual = rotationEvents(cluster!, false);
      keyLines.push(...(await privateKeyLines(cluster!, cluster!)));
      await stack.ok("up", "--yes");
      keyLines.push(...(await privateKeyLines(cluster!, cluster!)));
      assert.equal(rotationEvents(cluster!, false), manual + 1);
      const created = await stack.outputs();
      assert.equal(created.rotationDue, false);
      const expiry = created.certificateExpiry as string[];
      assert.ok(expiry.some((line) => /^data_internode_encryption \S+ \((89|90) days\)$/.test(line)), expiry.join("\n"));

      const scheduled = await stack.ok("up", "--refresh", "--yes");
      assert.equal(rotationEvents(cluster!, false), manual + 1, `a run with nothing due rotated:\n${scheduled.stdout}`);
    });

    it("fifty days later, preview --refresh shows the rotation and up --refresh rotates", async () => {
      const advanced = await cluster!.admin.advanceClock({ days: 50 });
      assert.deepEqual(advanced.rotated.names, [], "the cluster's own job rotated: its threshold is below 40 days left");
      const manual = rotationEvents(cluster!, false);

      const preview = await stack.ok("preview", "--refresh", "--diff");
      assert.match(preview.stdout + preview.stderr, /CertificateRotation: the update rotates the certificates: .*data_internode_encryption.* have fewer than 45 days left/);
      assert.equal(rotationEvents(cluster!, false), manual, "the preview rotated");

      await stack.ok("up", "--refresh", "--yes");
      assert.equal(rotationEvents(cluster!, false), manual + 1);
      const after = await stack.outputs();
      assert.equal(after.rotationDue, false);
      const expiry = after.certificateExpiry as string[];
      assert.ok(expiry.some((line) => /^data_internode_encryption \S+ \((89|90) days\)$/.test(line)), expiry.join("\n"));
      assert.equal(String(after.lastRotatedAt).slice(0, 10), cluster!.admin.clock().now.slice(0, 10), "lastRotatedAt is not on the cluster's clock");
      keyLines.push(...(await privateKeyLines(cluster!, cluster!)));
    });

    it("no private key or admin password in the state or anything the CLI printed", async () => {
      const state = await exportedState(sandbox!, stack.stack, stack.folder);
      const secrets = { passwords: [cluster!.password], keyLines };
      assertNoSecrets("the exported state", state, secrets);
      assertNoSecrets("the CLI's output", stack.printed(), secrets);
    });
  });

  describe("quickstart: the demo's stack as a project of its own", () => {
    let stack: PulumiProject;
    // The program bootstraps its cluster, so it gets nodes of its own, idle.
    let nodes: EmulatedCluster | undefined;

    before(async () => {
      nodes = await startCluster({ nodes: 3, idle: true, operationDelayMs: 30, keyBits: 1024 });
      stack = await project("quickstart");
      // The config `npm run demo` sets (examples/demo/story.ts), without the firewall's namespaces.
      const config = demoConfigFor(nodes);
      await stack.configure(
        Object.fromEntries(Object.entries(config).map(([key, entry]) => [key, entry.value])),
        Object.keys(config).filter((key) => config[key]!.secret),
      );
    });

    after(async () => {
      await nodes?.stop();
    });

    it("up bootstraps the cluster with an encrypted database and a rotation; a preview has no changes; destroy leaves the cluster", async () => {
      const up = await stack.ok("up", "--yes");
      assert.match(up.stdout, /\+ 6 created/);
      const state = nodes!.admin.state() as unknown as { clusterCreated: boolean; cluster: { name: string } };
      assert.equal(state.clusterCreated, true);
      const outputs = await stack.outputs();
      assert.equal(outputs.clusterName, state.cluster.name);
      assert.equal(outputs.paymentsEncrypted, true);
      assert.equal(outputs.internodeEncryptionReady, true);
      assert.equal(rotationEvents(nodes!, false), 2, "the two internode-encryption certificates, one rotate call each");
      await stack.ok("preview", "--expect-no-changes");
      const destroy = await stack.ok("destroy", "--yes");
      assert.match(destroy.stdout, /- 6 deleted/);
      assert.equal((nodes!.admin.state() as unknown as { bdbs: unknown[] }).bdbs.length, 0);
      assert.equal((nodes!.admin.state() as unknown as { clusterCreated: boolean }).clusterCreated, true, "the cluster is still there");
    });
  });
});
