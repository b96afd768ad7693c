// The policy pack through the real Pulumi CLI: `pulumi preview --policy-pack examples/policy/analyzer` on a
// Pulumi.yaml project (the language host runs the program) against an emulated cluster, for a stack that keeps
// the three rules, one that breaks them all, and two that break one each.
//
// The pack is named by its launcher (examples/policy/analyzer), not its folder: the CLI (v3.274) starts a
// `runtime: nodejs` pack folder through the language host's RunPlugin, which the only host the Go module proxy
// serves (v3.68.0, what scripts/pulumi-cli.sh builds) answers with "not supported"; an executable file it starts
// itself as the analyzer plugin. Needs the CLI and language host that scripts/pulumi-cli.sh builds: without them
// the suite skips with the reason, or fails in CI (test/e2e/support/pulumi.ts).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "mocha";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { repositoryRoot } from "../engine/harness";
import { makeSandbox, requireCli, runPulumi, type PulumiSandbox } from "../e2e/support/pulumi";

const ROOT = repositoryRoot();
const LAUNCHER = path.join(ROOT, "examples", "policy", "analyzer");
const PACK = /redis-enterprise@v0\.1\.0 \(local: .*examples\/policy\/analyzer\)/;

describe("policy pack with the real Pulumi CLI (pulumi preview --policy-pack)", function () {
  this.timeout(120_000);
  let sandbox: PulumiSandbox | undefined;
  let emulator: EmulatedCluster | undefined;

  const pulumi = async (args: string[], env: Record<string, string> = {}) => {
    const result = await runPulumi(sandbox!, args, { cwd: sandbox!.workDir, env, timeoutMs: 90_000 });
    return { code: result.code, out: result.stdout + result.stderr };
  };

  before(async function () {
    sandbox = makeSandbox(requireCli(this));
    emulator = await startCluster({ nodes: 1, operationDelayMs: 10, keyBits: 1024 });
    fs.writeFileSync(path.join(sandbox.workDir, "Pulumi.yaml"), "name: policy-e2e\nruntime: nodejs\nmain: index.js\n");
    const programs = path.join(ROOT, "dist", "examples", "policy", "programs.js");
    fs.writeFileSync(path.join(sandbox.workDir, "index.js"), `require(${JSON.stringify(programs)})[process.env.POLICY_EXAMPLE]();\n`);
    for (const args of [
      ["stack", "init", "dev"],
      ["config", "set", "redisenterprise:url", emulator.nodes[0]!.url],
      ["config", "set", "redisenterprise:username", emulator.username],
      ["config", "set", "--secret", "redisenterprise:password", "--", emulator.password],
      ["config", "set", "redisenterprise:caCertPem", "--", emulator.caCertPem],
      ["config", "set", "policyExample:clusterName", emulator.clusterName],
    ]) {
      const result = await pulumi(args);
      assert.equal(result.code, 0, result.out);
    }
  });

  after(async () => {
    await emulator?.stop();
    sandbox?.dispose();
  });

  const preview = (example: string) => pulumi(["preview", "--policy-pack", LAUNCHER], { POLICY_EXAMPLE: example });

  /** The rule names reported as mandatory violations, in the CLI's Policies section. */
  const violated = (out: string) => [...out.matchAll(/\[mandatory\]\s+(\S+)/g)].map((match) => match[1]).sort();

  it("a stack that keeps all three rules (a Cluster, a firewall over its node, encrypted databases, a 30-day rotation): the preview passes", async () => {
    const result = await preview("compliant");
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, new RegExp(`✅ ${PACK.source}`), result.out);
    assert.deepEqual(violated(result.out), [], result.out);
  });

  it("a stack that breaks all three rules: the preview fails with each rule's violation", async () => {
    const result = await preview("nonCompliant");
    assert.notEqual(result.code, 0, result.out);
    assert.match(result.out, new RegExp(`❌ ${PACK.source}`), result.out);
    assert.match(result.out, /error: preview failed/);
    assert.deepEqual(violated(result.out), ["certificate-rotation-threshold", "database-data-internode-encryption", "internode-firewall-covers-cluster-nodes"], result.out);
    assert.match(result.out, /database-data-internode-encryption\s+\(pulumi-nodejs:dynamic\/redisenterprise:Database: cache\)/);
    assert.match(result.out, /Database "cache": dataInternodeEncryption must be true; it is not declared/);
    assert.doesNotMatch(result.out, /Database "orders": dataInternodeEncryption must be true/);
    assert.match(result.out, /databases "orders" encrypt internode traffic, but the stack declares no InternodeFirewall/);
    assert.match(result.out, /the stack declares no CertificateRotation/);
  });

  it("a stack that keeps rules 1 and 3: only the firewall rule is reported", async () => {
    const result = await preview("encryptedWithRotation");
    assert.notEqual(result.code, 0, result.out);
    assert.deepEqual(violated(result.out), ["internode-firewall-covers-cluster-nodes"], result.out);
    assert.match(result.out, /the stack declares no InternodeFirewall/);
  });

  it("the compliant stack with its firewall on another address and a 60-day rotation: the Cluster's node is not covered, the threshold is too high", async () => {
    const result = await preview("uncoveredNodeLateRotation");
    assert.notEqual(result.code, 0, result.out);
    assert.deepEqual(violated(result.out), ["certificate-rotation-threshold", "internode-firewall-covers-cluster-nodes"], result.out);
    const host = new URL(emulator!.nodes[0]!.url).hostname;
    assert.match(result.out, new RegExp(`Cluster "cluster": nodes ${host.replace(/\./g, "\\.")} are not covered by an InternodeFirewall while databases "cache", "orders" encrypt internode traffic`));
    assert.match(result.out, /CertificateRotation "ine": rotateWhenExpiringWithinDays is 60; it must be at most 45/);
  });
});
