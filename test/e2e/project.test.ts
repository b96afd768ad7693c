// The `pulumi` command itself on this repository's Pulumi.yaml (the demo project), as a user runs it: stack init,
// config, up (a Cluster bootstrapped from three idle emulated nodes, three databases on its connection, a
// certificate rotation), a `preview --json` of turning encryption on for orders, refresh, destroy. The demo's
// InternodeFirewall needs node namespaces (config demo:firewallNamespaces), which `npm run demo` sets up; here it
// is left out, as a user without them would. This needs the Node.js language host;
// scripts/pulumi-cli.sh builds the old one from sdk/v3 v3.68.0 (the newer one's module is not served), which is
// only for this test: users run their own installed CLI.
//
// The `preview --json` answer is kept as test/e2e/fixtures/preview-encrypt-orders.json for the review tool
// (issue 12): the test compares the stable part of the live answer with it, so the fixture stays what the real
// engine prints. UPDATE_E2E_FIXTURES=1 rewrites it.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { demoConfigFor } from "../../examples/demo/story";
import { repositoryRoot } from "../engine/harness";
import { exportedState, makeSandbox, requireCli, runPulumi, type CliResult, type PulumiSandbox } from "./support/pulumi";

const FIXTURE = path.join(repositoryRoot(), "test", "e2e", "fixtures", "preview-encrypt-orders.json");
// `pulumi stack init` writes Pulumi.<stack>.yaml next to Pulumi.yaml (it has no --config-file): a name of its own
// keeps a user's Pulumi.dev.yaml in the checkout untouched, and the file is removed afterwards. The fixture
// names the stack "dev".
const STACK = `e2e${crypto.randomBytes(4).toString("hex")}`;
const ORDERS_URN = `urn:pulumi:${STACK}::redis-enterprise-demo::pulumi-nodejs:dynamic/redisenterprise:Database::orders`;

type Json = Record<string, unknown>;

/**
 * The preview answer with the serialized provider (a few KB of code per resource) replaced by a marker, the stack
 * named "dev", and what differs from run to run in the Cluster's inputs replaced too: the nodes' free ports and
 * the emulator's CA certificate.
 */
function forFixture(preview: Json): Json {
  const text = JSON.stringify(preview, (key, value: unknown) => {
    if (key === "__provider") return "<serialized provider>";
    if (typeof value === "string" && value.startsWith("-----BEGIN CERTIFICATE-----")) return "<the emulator's CA certificate>";
    if (typeof value === "string") return value.replace(/(https:\/\/127\.0\.0\.\d+):\d+/g, "$1:<port>");
    return value;
  });
  return JSON.parse(text.split(STACK).join("dev")) as Json;
}

/** What a review tool reads and what does not change between runs: steps, their inputs, diagnostics, summary. */
function stablePart(preview: Json): Json {
  // Sorted: the engine runs independent steps in parallel, so they come in any order.
  const steps = (preview.steps as Json[]).map((step) => ({
    op: step.op,
    urn: step.urn,
    diffReasons: step.diffReasons,
    replaceReasons: step.replaceReasons,
    oldInputs: (step.oldState as Json | undefined)?.inputs,
    newInputs: (step.newState as Json | undefined)?.inputs,
  })).sort((a, b) => String(a.urn).localeCompare(String(b.urn)));
  const diagnostics = ((preview.diagnostics as Json[] | undefined) ?? [])
    .map((d) => ({ urn: d.urn, severity: d.severity, message: d.message }))
    .sort((a, b) => String(a.message).localeCompare(String(b.message)));
  return { steps, diagnostics, changeSummary: preview.changeSummary };
}

describe("e2e: the pulumi command on the repository's Pulumi.yaml (demo project)", function () {
  this.timeout(300_000);
  let sandbox: PulumiSandbox | undefined;
  let cluster: EmulatedCluster;
  let configFile: string;
  let secrets: string[] = [];

  async function pulumi(...args: string[]): Promise<CliResult> {
    // Flags go before a "--" (after it, everything is a value: the CA certificate starts with dashes).
    const end = args.indexOf("--");
    const withStack = end < 0 ? [...args, "--stack", STACK] : [...args.slice(0, end), "--stack", STACK, ...args.slice(end)];
    return runPulumi(sandbox!, withStack, { cwd: repositoryRoot(), timeoutMs: 240_000 });
  }
  async function ok(...args: string[]): Promise<CliResult> {
    const result = await pulumi(...args);
    assert.equal(result.code, 0, `pulumi ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  before(async function () {
    const cliFolder = requireCli(this);
    sandbox = makeSandbox(cliFolder);
    // Stack config goes to the sandbox, not next to Pulumi.yaml in the checkout.
    configFile = path.join(sandbox.root, `Pulumi.${STACK}.yaml`);
    cluster = await startCluster({ nodes: 3, idle: true, operationDelayMs: 30, keyBits: 1024 });
    const init = await runPulumi(sandbox, ["stack", "init", STACK], { cwd: repositoryRoot() });
    assert.equal(init.code, 0, init.stderr);
    const set = (key: string, value: string, secret = false) => ok("config", "set", "--config-file", configFile, ...(secret ? ["--secret"] : []), key, "--", value);
    // The config `npm run demo` sets, without the firewall's namespaces.
    const config = demoConfigFor(cluster);
    for (const [key, { value, secret }] of Object.entries(config)) await set(key, value, secret);
    secrets = Object.values(config).filter((entry) => entry.secret).map((entry) => entry.value);
    assert.equal(secrets.length, 2);
  });

  after(async () => {
    await cluster?.stop();
    sandbox?.dispose();
    fs.rmSync(path.join(repositoryRoot(), `Pulumi.${STACK}.yaml`), { force: true });
  });

  it("up, preview --json of an encryption flip (kept as the review fixture), refresh, destroy", async () => {
    const up = await ok("up", "--yes", "--config-file", configFile);
    // The stack, the Cluster, three databases, the rotation.
    assert.match(up.stdout, /\+ 6 created/);
    assert.equal(cluster.clusterName, "demo.redis.local");
    assert.deepEqual(cluster.admin.events({ type: "join" }).map((event) => event.nodeUid), [2, 3]);

    await ok("config", "set", "--config-file", configFile, "demo:encryptOrders", "true");
    const preview = await ok("preview", "--json", "--config-file", configFile);
    const answer = forFixture(JSON.parse(preview.stdout) as Json);
    if (process.env.UPDATE_E2E_FIXTURES === "1") fs.writeFileSync(FIXTURE, `${JSON.stringify(answer, null, 2)}\n`);
    const stable = stablePart(answer);
    const orders = (stable.steps as Json[]).find((step) => step.urn === ORDERS_URN.split(STACK).join("dev"));
    assert.equal(orders?.op, "update");
    // A dynamic provider returns no detailed diff: a review tool compares the step's old and new inputs.
    assert.equal((orders?.oldInputs as Json).dataInternodeEncryption, false);
    assert.equal((orders?.newInputs as Json).dataInternodeEncryption, true);
    const note = (stable.diagnostics as Json[]).find((d) => String(d.message).includes("dataInternodeEncryption false -> true restarts the database proxy"));
    assert.ok(note, `no disconnect note in ${JSON.stringify(stable.diagnostics)}`);
    assert.ok(String(note.message).includes(ORDERS_URN.split(STACK).join("dev")), "the note does not name the resource's URN");

    const kept = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Json;
    assert.deepEqual(stable, stablePart(kept), "the preview --json answer changed: check it, then UPDATE_E2E_FIXTURES=1 npm test");

    const state = await exportedState(sandbox!, STACK, repositoryRoot());
    assert.ok(secrets.every((secret) => !state.includes(secret)), "a password is in the state");

    const refresh = await ok("refresh", "--yes", "--config-file", configFile);
    assert.match(refresh.stdout, /Resources:/);
    const destroy = await ok("destroy", "--yes", "--config-file", configFile);
    assert.match(destroy.stdout, /- 6 deleted/);
    assert.deepEqual((cluster.admin.state() as { bdbs: unknown[] }).bdbs, []);
  });
});
