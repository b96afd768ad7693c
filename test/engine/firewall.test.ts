// The InternodeFirewall through the engine's own path: the real @pulumi/pulumi provider host, driven over gRPC by
// the harness, applying nftables tables in network namespaces this test makes (two nodes through `netns`, a third
// through `ssh` to a real sshd inside its namespace), with real TCP traffic checked at each step: create, adding
// a node, drift made by hand found by refresh and undone by up, removing a node, a wrong host key, destroy.
import assert from "node:assert/strict";
import { InternodeFirewall } from "../../sdk";
import type { FirewallNodeStatus, FirewallRule } from "../../provider/firewall";
import { namespacesForbidden, startLab, type Lab, type LabHost } from "../provider/support/netns";
import { startSshd, type Sshd } from "../provider/support/sshd";
import { DeploymentError, destroy, refresh, runProgram, startProviderHost, unmarkedInputs, unmarkedOutputs, type EngineState, type ProviderHost, type RunOptions } from "./harness";

const PROJECT = "redis-enterprise-firewall";
const STACK = "engine-test";
const TYPE = "pulumi-nodejs:dynamic/redisenterprise:InternodeFirewall";
const URN = `urn:pulumi:${STACK}::${PROJECT}::${TYPE}::ine-port`;
const PORT = 3342;

describe("InternodeFirewall through the real provider host", function () {
  this.timeout(120_000);
  let lab: Lab;
  let sshd: Sshd;
  let host: ProviderHost;

  before(async function () {
    const forbidden = await namespacesForbidden();
    if (forbidden) {
      console.log(`      skipped: ${forbidden}`);
      this.skip();
    }
    lab = await startLab();
    for (const node of lab.nodes) await lab.listen(node, [PORT]);
    sshd = await startSshd(lab, lab.nodes[2]);
    host = await startProviderHost({ project: PROJECT });
  });
  after(async () => {
    await host?.stop();
    await sshd?.close();
    await lab?.close();
  });

  const options = (mode: RunOptions["mode"]): RunOptions => ({ host, project: PROJECT, stack: STACK, mode });
  const netns = (node: LabHost) => ({ address: node.ipv4, transport: { type: "netns" as const, namespace: node.namespace } });
  const ssh = (node: LabHost, hostKey: string) => ({
    address: node.ipv4,
    transport: { type: "ssh" as const, host: "127.0.0.1", port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey },
  });
  type NodeArg = ReturnType<typeof netns> | ReturnType<typeof ssh>;
  const program = (nodes: () => NodeArg[]) => () => {
    const firewall = new InternodeFirewall("ine-port", { nodes: nodes() });
    return { nodes: firewall.nodes, rules: firewall.rules };
  };
  const tableOn = async (node: LabHost) => (await lab.exec(node, ["nft", "list", "table", "inet", "redis_enterprise"])).code === 0;
  const statusesOf = (state: EngineState) => state[URN]!.outputs.nodes as unknown as FirewallNodeStatus[];

  it("creates, adds a node, reports drift on refresh, restores it, removes a node and destroys, with real traffic at each step", async () => {
    const [n1, n2, n3] = lab.nodes;
    const start = host.mark();
    assert.equal(await lab.probe(lab.outsider, n1.ipv4, PORT), "open");

    // Two nodes: only they reach each other's 3342.
    const created = await runProgram(program(() => [netns(n1), netns(n2)]), {}, options("up"));
    assert.deepEqual(created.steps.map((step) => step.op), ["create"]);
    assert.deepEqual(created.outputs.nodes, [
      { address: n1.ipv4, transport: "netns", tableInPlace: true, drift: [] },
      { address: n2.ipv4, transport: "netns", tableInPlace: true, drift: [] },
    ]);
    assert.deepEqual((created.outputs.rules as unknown as FirewallRule[]).map((rule) => `${rule.action} ${rule.port} ${rule.source} -> ${rule.destination}`), [
      `accept 3342 ${n2.ipv4}/32 -> ${n1.ipv4}/32`,
      `drop 3342 0.0.0.0/0 -> ${n1.ipv4}/32`,
      `accept 3342 ${n1.ipv4}/32 -> ${n2.ipv4}/32`,
      `drop 3342 0.0.0.0/0 -> ${n2.ipv4}/32`,
    ]);
    assert.deepEqual(await Promise.all([lab.probe(n2, n1.ipv4, PORT), lab.probe(lab.outsider, n1.ipv4, PORT), lab.probe(n3, n1.ipv4, PORT)]), ["open", "dropped", "dropped"]);

    // A third node, reached over ssh: it gets the table, and every node's peer set gains it.
    const three = program(() => [netns(n1), netns(n2), ssh(n3, sshd.hostKey)]);
    const preview = await runProgram(three, created.state, options("preview"));
    assert.deepEqual(preview.steps.map((step) => step.op), ["update"]);
    assert.equal(await tableOn(n3), false, "a preview changes nothing");
    let mark = host.mark();
    const grown = await runProgram(three, created.state, options("up"));
    assert.deepEqual(grown.steps.map((step) => step.op), ["update"]);
    assert.match(
      host.stderrSince(mark).join("\n"),
      new RegExp(`nodes \\[.*\\] -> \\[.*"${n3.ipv4.replace(/\./g, "\\.")} \\(ssh root@127\\.0\\.0\\.1:${sshd.port}\\)"\\] writes the table on each added node, updates every node's peer set`),
    );
    assert.deepEqual(statusesOf(grown.state).map((status) => [status.address, status.transport, status.tableInPlace]), [
      [n1.ipv4, "netns", true],
      [n2.ipv4, "netns", true],
      [n3.ipv4, "ssh", true],
    ]);
    assert.deepEqual(await Promise.all([lab.probe(n3, n1.ipv4, PORT), lab.probe(n1, n3.ipv4, PORT), lab.probe(lab.outsider, n3.ipv4, PORT)]), ["open", "open", "dropped"]);
    assert.ok(grown.state[URN]!.secretOutputKeys.includes("declaredNodes"));

    // Drift: the table deleted by hand on n2. Refresh shows it, preview plans an update, up restores it.
    await lab.exec(n2, ["nft", "delete", "table", "inet", "redis_enterprise"]);
    assert.equal(await lab.probe(lab.outsider, n2.ipv4, PORT), "open");
    const refreshed = await refresh(grown.state, options("up"));
    assert.equal(refreshed.resources[0]!.outputsChanged, true);
    assert.deepEqual(statusesOf(refreshed.state)[1], { address: n2.ipv4, transport: "netns", tableInPlace: false, drift: ["table inet redis_enterprise is missing"] });
    mark = host.mark();
    const planned = await runProgram(three, refreshed.state, options("preview"));
    assert.deepEqual(planned.steps.map((step) => step.op), ["update"]);
    assert.match(host.stderrSince(mark).join("\n"), new RegExp(`node ${n2.ipv4.replace(/\./g, "\\.")} \\(netns\\) differs from the declaration \\(table inet redis_enterprise is missing\\); the update rewrites its table`));
    // The note names the resource by its URN: the engine shows a dynamic provider's stderr under the stack.
    assert.ok(host.stderrSince(mark).some((line) => line.includes("differs from the declaration") && line.endsWith(`[${URN}]`)), host.stderrSince(mark).join("\n"));
    const restored = await runProgram(three, refreshed.state, options("up"));
    assert.deepEqual(restored.steps.map((step) => step.op), ["update"]);
    assert.equal(await lab.probe(lab.outsider, n2.ipv4, PORT), "dropped");
    const clean = await refresh(restored.state, options("up"));
    assert.equal(clean.resources[0]!.outputsChanged, false);
    const steady = await runProgram(three, clean.state, options("preview"));
    assert.deepEqual(steady.steps.map((step) => step.op), ["same"]);

    // A wrong host key for n3: refused, naming the node and the transport, and nothing changes.
    const wrong = program(() => [netns(n1), netns(n2), ssh(n3, sshd.wrongHostKey)]);
    const refused = await runProgram(wrong, clean.state, options("up")).then(
      () => assert.fail("the update should have failed"),
      (error: unknown) => error as DeploymentError,
    );
    assert.ok(refused instanceof DeploymentError);
    assert.match(refused.causes.map((cause) => cause.message).join("\n"), new RegExp(`nothing was changed on any node: node ${n3.ipv4.replace(/\./g, "\\.")} \\(ssh root@127\\.0\\.0\\.1:${sshd.port}\\): .*Host key verification failed`));
    assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [true, true, true]);

    // n3 leaves: its table goes (removed over ssh with the recorded transport) and the others stop accepting it.
    const shrunk = await runProgram(program(() => [netns(n1), netns(n2)]), clean.state, options("up"));
    assert.deepEqual(shrunk.steps.map((step) => step.op), ["update"]);
    assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [true, true, false]);
    assert.deepEqual(await Promise.all([lab.probe(n3, n1.ipv4, PORT), lab.probe(n2, n1.ipv4, PORT)]), ["dropped", "open"]);

    await destroy(shrunk.state, options("up"));
    assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [false, false, false]);
    assert.equal(await lab.probe(lab.outsider, n1.ipv4, PORT), "open");

    // The private key is in no unmarked input or output of any state, and in nothing the host printed.
    const keyLines = sshd.privateKey.split("\n").filter((line) => line.length > 20 && !line.startsWith("-----"));
    const hostOutput = host.linesSince(start).map((line) => line.text).join("\n");
    for (const state of [grown.state, refreshed.state, restored.state, clean.state, shrunk.state]) {
      const plain = JSON.stringify({ outputs: unmarkedOutputs(state), inputs: unmarkedInputs(state) });
      for (const line of keyLines) assert.ok(!plain.includes(line), "the private key is stored unmarked in state");
    }
    for (const line of keyLines) assert.ok(!hostOutput.includes(line), "the private key appeared in the provider host's output");
  });

  it("fails check with the property named for bad input", async () => {
    const bad = () => {
      const firewall = new InternodeFirewall("ine-port", { nodes: [{ address: "node1", transport: { type: "local" } }], ports: [70000] });
      return { nodes: firewall.nodes };
    };
    const error = await runProgram(bad, {}, options("preview")).then(
      () => assert.fail("check should have failed"),
      (failure: unknown) => failure as DeploymentError,
    );
    const text = [error.message, ...error.causes.map((cause) => cause.message)].join("\n");
    assert.match(text, /nodes\[0\]\.address must be an IPv4 or IPv6 address/);
    assert.match(text, /ports\[0\] must be a TCP port from 1 to 65535/);
  });
});
