// The InternodeFirewall through the real Pulumi engine (the CLI built by scripts/pulumi-cli.sh), with an Automation
// API inline program, against nftables in network namespaces this test makes (test/provider/support/netns.ts):
// three nodes reached with `netns` and an outsider (and a second firewall on the third node through `ssh` to a
// real sshd inside its namespace), with real TCP traffic at each step of a user's day: up, a second preview with no changes, a rule
// deleted by hand that refresh records and preview shows property by property, up putting it back, and destroy
// removing only its own table. The steps run in order and share one stack.
import assert from "node:assert/strict";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { InternodeFirewall } from "../../sdk";
import { repositoryRoot } from "../engine/harness";
import { namespacesForbidden, startLab, type Lab, type LabHost } from "../provider/support/netns";
import { startSshd, type Sshd } from "../provider/support/sshd";
import { exportedState, inlineStack, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";

const PROJECT = "rs-e2e-firewall";
const STACK = "dev";
const URN = `urn:pulumi:${STACK}::${PROJECT}::pulumi-nodejs:dynamic/redisenterprise:InternodeFirewall::ine-port`;
const TABLE = "redis_enterprise";
const PORT = 3342;
const OTHER_PORT = 3343;
const SSH_PORT = 3344;
const SSH_TABLE = "fw_ssh";

/** Everything a CLI operation printed, and its engine events' diagnostics. */
function watcher(): { output: () => string; diagnostics: Array<{ urn?: string; message: string }>; onOutput: (out: string) => void; onEvent: (event: EngineEvent) => void } {
  let output = "";
  const diagnostics: Array<{ urn?: string; message: string }> = [];
  return {
    output: () => output,
    diagnostics,
    onOutput: (out) => (output += out),
    onEvent: (event) => {
      if (event.diagnosticEvent) diagnostics.push({ urn: event.diagnosticEvent.urn, message: event.diagnosticEvent.message });
    },
  };
}

describe("e2e: the InternodeFirewall through the real Pulumi CLI, on nftables in network namespaces", function () {
  this.timeout(120_000);
  let sandbox: PulumiSandbox | undefined;
  let lab: Lab | undefined;
  let sshd: Sshd | undefined;
  let stack: Stack;

  const netns = (node: LabHost) => ({ address: node.ipv4, transport: { type: "netns" as const, namespace: node.namespace } });
  const program = async () => {
    const [n1, n2, n3] = lab!.nodes;
    const firewall = new InternodeFirewall("ine-port", { nodes: [netns(n1), netns(n2), netns(n3)] });
    // A second firewall reaches n3 over ssh (its own table and port): the key must stay out of the state. It is
    // apart because a node list holding a key is a secret, which the CLI prints as [secret], diff or not.
    new InternodeFirewall("ine-ssh", {
      nodes: [{ address: n3.ipv4, transport: { type: "ssh", host: "127.0.0.1", port: sshd!.port, user: sshd!.user, privateKey: sshd!.privateKey, hostKey: sshd!.hostKey } }],
      ports: [SSH_PORT],
      table: SSH_TABLE,
    });
    return { rules: firewall.rules };
  };
  const tableOn = async (node: LabHost) => (await lab!.exec(node, ["nft", "list", "table", "inet", TABLE])).code === 0;

  before(async function () {
    const cliFolder = requireCli(this);
    const forbidden = await namespacesForbidden();
    if (forbidden) {
      console.log(`      skipped: ${forbidden}`);
      this.skip();
    }
    // Every namespace and process is removed by lab.close() in `after`, also when this `before` fails halfway.
    lab = await startLab();
    for (const node of lab.nodes) await lab.listen(node, [PORT, OTHER_PORT, SSH_PORT]);
    sshd = await startSshd(lab, lab.nodes[2]);
    sandbox = makeSandbox(cliFolder);
    stack = await inlineStack(sandbox, PROJECT, STACK, program);
  });

  after(async () => {
    await sshd?.close();
    await lab?.close();
    sandbox?.dispose();
  });

  it("up: only the peers reach 3342, the outsider does not, and another port stays open", async () => {
    const lab_ = lab!;
    const [n1, n2, n3] = lab_.nodes;
    assert.equal(await lab_.probe(lab_.outsider, n1.ipv4, PORT), "open", "before apply, the outsider reaches 3342");
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(up.summary.resourceChanges, { create: 3 });
    const results = await Promise.all([
      lab_.probe(n2, n1.ipv4, PORT),
      lab_.probe(n3, n1.ipv4, PORT),
      lab_.probe(n1, n3.ipv4, PORT),
      lab_.probe(n2, n3.ipv4, PORT),
      lab_.probe(lab_.outsider, n1.ipv4, PORT),
      lab_.probe(lab_.outsider, n2.ipv4, PORT),
      lab_.probe(lab_.outsider, n3.ipv4, PORT),
      lab_.probe(lab_.outsider, n1.ipv4, OTHER_PORT),
      lab_.probe(lab_.outsider, n3.ipv4, SSH_PORT),
    ]);
    assert.deepEqual(results, ["open", "open", "open", "open", "dropped", "dropped", "dropped", "open", "dropped"]);
  });

  it("a second preview has no changes", async () => {
    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 3 });
  });

  it("a rule deleted by hand: refresh records it, preview shows the property-level diff and a note with the URN, up restores it", async () => {
    const lab_ = lab!;
    const [n1] = lab_.nodes;
    const listing = (await lab_.exec(n1, ["nft", "-a", "list", "chain", "inet", TABLE, "input"])).stdout;
    const dropHandle = /tcp dport @ports drop comment .* # handle (\d+)/.exec(listing)?.[1];
    assert.ok(dropHandle, listing);
    await lab_.exec(n1, ["nft", "delete", "rule", "inet", TABLE, "input", "handle", dropHandle]);
    assert.equal(await lab_.probe(lab_.outsider, n1.ipv4, PORT), "open", "the drift is real: the outsider gets in");

    const refreshed = await stack.refresh();
    assert.equal(refreshed.summary.result, "succeeded");
    const w = watcher();
    const preview = await stack.preview({ diff: true, onOutput: w.onOutput, onEvent: w.onEvent });
    assert.deepEqual(preview.changeSummary, { same: 2, update: 1 });
    // The engine computes the displayed diff from the old inputs (what read returned) and the new ones.
    assert.match(w.output(), /~ nodes\s*:/, w.output());
    const note = w.diagnostics.find((d) => d.message.includes(`node ${n1.ipv4} (netns) differs from the declaration (rule removed from chain input: tcp dport @ports drop)`));
    assert.ok(note, `no drift note among ${JSON.stringify(w.diagnostics)}`);
    assert.ok(note.urn === URN || note.message.includes(URN), `the note neither has nor names the URN: ${JSON.stringify(note)}`);
    const brief = watcher();
    await stack.preview({ onOutput: brief.onOutput });
    assert.match(brief.output(), /\[diff: ~nodes\]/, brief.output());

    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { same: 2, update: 1 });
    assert.equal(await lab_.probe(lab_.outsider, n1.ipv4, PORT), "dropped");
    assert.deepEqual((await stack.preview()).changeSummary, { same: 3 });
  });

  it("the exported state holds no ssh private key and no checkout path", async () => {
    // Refresh again first: read returns the declared nodes (with the ssh transport) as inputs.
    await stack.refresh();
    const state = await exportedState(sandbox!, STACK, sandbox!.workDir);
    assert.ok(state.includes(URN), "the export holds the firewall");
    assert.doesNotMatch(state, /PRIVATE KEY/);
    for (const line of sshd!.privateKey.split("\n").filter((text) => text.length > 20 && !text.startsWith("-----"))) {
      assert.ok(!state.includes(line), "a line of the ssh private key is in the state");
    }
    assert.ok(!state.includes(repositoryRoot()), `the state holds the checkout's path ${repositoryRoot()}`);
  });

  it("destroy removes its table from every node and leaves another table alone", async () => {
    const lab_ = lab!;
    const [n1] = lab_.nodes;
    const other = "table inet other_owner {\n\tchain input {\n\t\ttype filter hook input priority 10; policy accept;\n\t\ttcp dport 9999 counter accept\n\t}\n}\n";
    assert.equal((await lab_.exec(n1, ["nft", "-f", "-"], other)).code, 0);
    const before = (await lab_.exec(n1, ["nft", "list", "table", "inet", "other_owner"])).stdout;
    const destroyed = await stack.destroy();
    assert.equal(destroyed.summary.result, "succeeded");
    assert.deepEqual(await Promise.all(lab_.nodes.map(tableOn)), [false, false, false]);
    assert.notEqual((await lab_.exec(lab_.nodes[2], ["nft", "list", "table", "inet", SSH_TABLE])).code, 0, "the ssh firewall's table is gone");
    assert.equal((await lab_.exec(n1, ["nft", "list", "table", "inet", "other_owner"])).stdout, before);
    assert.equal(await lab_.probe(lab_.outsider, n1.ipv4, PORT), "open");
  });
});
