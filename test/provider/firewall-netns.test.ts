// The InternodeFirewall's side effects on real nftables, with real TCP traffic, in network namespaces this test
// makes (test/provider/support/netns.ts): three nodes and an outsider on a bridge. Commands reach the nodes
// through the netns and ssh transports exactly as the provider runs them.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FirewallApplyError,
  applyNodes,
  commandRunner,
  inspectNodes,
  parseFirewallSpec,
  removeTables,
  type CommandRunner,
  type FirewallNode,
  type FirewallSpec,
} from "../../provider/firewall";
import { firewallProvider } from "../../provider/firewall/provider";
import { namespacesForbidden, startLab, type Lab, type LabHost } from "./support/netns";
import { startSshd, type Sshd } from "./support/sshd";

const TABLE = "fw_test";
const PORT = 3342;
const OTHER_PORT = 3343;

describe("InternodeFirewall on nftables in network namespaces (real traffic)", function () {
  this.timeout(60_000);
  let lab: Lab;

  before(async function () {
    const forbidden = await namespacesForbidden();
    if (forbidden) {
      console.log(`      skipped: ${forbidden}`);
      this.skip();
    }
    lab = await startLab();
    for (const node of lab.nodes) await lab.listen(node, [PORT, OTHER_PORT]);
  });
  after(async () => {
    await lab?.close();
  });
  afterEach(async () => {
    // Each test starts from nodes without the table.
    if (lab) for (const node of lab.nodes) await lab.exec(node, ["nft", "-f", "-"], `table inet ${TABLE}\ndelete table inet ${TABLE}\n`);
  });

  const netnsNode = (host: LabHost, address = host.ipv4): FirewallNode => ({ address, transport: { type: "netns", namespace: host.namespace } });
  const specOf = (inputs: Record<string, unknown>): FirewallSpec => {
    const parsed = parseFirewallSpec({ table: TABLE, ...inputs });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.failures));
    return parsed.spec;
  };
  const threeNodes = () => specOf({ nodes: lab.nodes.map((node) => netnsNode(node)) });
  const label = 'InternodeFirewall "test"';
  const tableOn = async (host: LabHost) => (await lab.exec(host, ["nft", "list", "table", "inet", TABLE])).code === 0;

  it("before apply the outsider reaches 3342; after, only the peers do, and another port stays open", async () => {
    const [n1, n2, n3] = lab.nodes;
    assert.equal(await lab.probe(lab.outsider, n1.ipv4, PORT), "open");
    const statuses = await applyNodes(threeNodes(), label, { refuseForeignTable: true });
    assert.deepEqual(statuses, lab.nodes.map((node) => ({ address: node.ipv4, transport: "netns", tableInPlace: true, drift: [] })));
    const results = await Promise.all([
      lab.probe(n2, n1.ipv4, PORT),
      lab.probe(n3, n1.ipv4, PORT),
      lab.probe(n1, n2.ipv4, PORT),
      lab.probe(n3, n2.ipv4, PORT),
      lab.probe(n1, n3.ipv4, PORT),
      lab.probe(n2, n3.ipv4, PORT),
      lab.probe(lab.outsider, n1.ipv4, PORT),
      lab.probe(lab.outsider, n2.ipv4, PORT),
      lab.probe(lab.outsider, n3.ipv4, PORT),
      lab.probe(lab.outsider, n1.ipv4, OTHER_PORT),
    ]);
    assert.deepEqual(results, ["open", "open", "open", "open", "open", "open", "dropped", "dropped", "dropped", "open"]);
    // Re-applying is atomic and idempotent: same table, no error.
    await applyNodes(threeNodes(), label, { refuseForeignTable: false });
    assert.deepEqual((await inspectNodes(threeNodes())).map((status) => status.drift), [[], [], []]);
  });

  it("lets allowedSources in, and handles IPv6 peers the same way", async () => {
    const [n1, n2] = lab.nodes;
    await applyNodes(specOf({ nodes: [netnsNode(n1, n1.ipv6), netnsNode(n2, n2.ipv6)], allowedSources: [`${lab.outsider.ipv4}/32`] }), label, { refuseForeignTable: true });
    assert.deepEqual(
      await Promise.all([lab.probe(n2, n1.ipv6, PORT), lab.probe(lab.outsider, n1.ipv6, PORT), lab.probe(lab.outsider, n1.ipv4, PORT), lab.probe(lab.nodes[2], n1.ipv4, PORT)]),
      ["open", "dropped", "open", "dropped"],
    );
  });

  it("reports a table deleted by hand, a rule deleted by hand and a peer removed from the set, and apply restores them", async () => {
    const [n1, n2, n3] = lab.nodes;
    const spec = threeNodes();
    await applyNodes(spec, label, { refuseForeignTable: true });
    await lab.exec(n1, ["nft", "delete", "table", "inet", TABLE]);
    const listing = (await lab.exec(n2, ["nft", "-a", "list", "chain", "inet", TABLE, "input"])).stdout;
    const dropHandle = /tcp dport @ports drop comment .* # handle (\d+)/.exec(listing)?.[1];
    assert.ok(dropHandle, listing);
    await lab.exec(n2, ["nft", "delete", "rule", "inet", TABLE, "input", "handle", dropHandle]);
    await lab.exec(n3, ["nft", "delete", "element", "inet", TABLE, "peers_v4", `{ ${n1.ipv4} }`]);
    assert.deepEqual(
      (await inspectNodes(spec)).map((status) => [status.address, status.tableInPlace, status.drift]),
      [
        [n1.ipv4, false, [`table inet ${TABLE} is missing`]],
        [n2.ipv4, false, ["rule removed from chain input: tcp dport @ports drop"]],
        [n3.ipv4, false, [`peer ${n1.ipv4} missing from set peers_v4`]],
      ],
    );
    // The drift is real: the outsider gets into n1 and n2, and n1 is shut out of n3.
    assert.deepEqual(await Promise.all([lab.probe(lab.outsider, n1.ipv4, PORT), lab.probe(lab.outsider, n2.ipv4, PORT), lab.probe(n1, n3.ipv4, PORT)]), ["open", "open", "dropped"]);
    await applyNodes(spec, label, { refuseForeignTable: false });
    assert.deepEqual((await inspectNodes(spec)).map((status) => status.tableInPlace), [true, true, true]);
    assert.deepEqual(await Promise.all([lab.probe(lab.outsider, n1.ipv4, PORT), lab.probe(lab.outsider, n2.ipv4, PORT), lab.probe(n1, n3.ipv4, PORT)]), ["dropped", "dropped", "open"]);
  });

  it("reports a rule added by hand, which lets the outsider in, and apply removes it", async () => {
    const [n1] = lab.nodes;
    const spec = threeNodes();
    await applyNodes(spec, label, { refuseForeignTable: true });
    await lab.exec(n1, ["nft", "insert", "rule", "inet", TABLE, "input", "ip", "saddr", lab.outsider.ipv4, "tcp", "dport", String(PORT), "accept"]);
    assert.equal(await lab.probe(lab.outsider, n1.ipv4, PORT), "open");
    assert.deepEqual((await inspectNodes(spec))[0].drift, [
      `rule added to chain input: ip saddr ${lab.outsider.ipv4} tcp dport ${PORT} accept`,
    ]);
    await applyNodes(spec, label, { refuseForeignTable: false });
    assert.deepEqual((await inspectNodes(spec))[0].drift, []);
    assert.equal(await lab.probe(lab.outsider, n1.ipv4, PORT), "dropped");
  });

  it("never touches another table, and delete removes only its own", async () => {
    const [n1] = lab.nodes;
    const other = "table inet other_owner {\n\tchain input {\n\t\ttype filter hook input priority 10; policy accept;\n\t\ttcp dport 9999 counter accept\n\t}\n}\n";
    assert.equal((await lab.exec(n1, ["nft", "-f", "-"], other)).code, 0);
    try {
      const before = (await lab.exec(n1, ["nft", "list", "table", "inet", "other_owner"])).stdout;
      await applyNodes(threeNodes(), label, { refuseForeignTable: true });
      await applyNodes(threeNodes(), label, { refuseForeignTable: false });
      await removeTables(threeNodes().nodes, TABLE, label);
      assert.equal((await lab.exec(n1, ["nft", "list", "table", "inet", "other_owner"])).stdout, before);
      assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [false, false, false]);
      assert.equal(await lab.probe(lab.outsider, n1.ipv4, PORT), "open");
      // Removing again is not an error.
      await removeTables(threeNodes().nodes, TABLE, label);
    } finally {
      await lab.exec(n1, ["nft", "delete", "table", "inet", "other_owner"]);
    }
  });

  it("refuses to overwrite a table of the same name that it did not make, changing nothing", async () => {
    const [n1, n2] = lab.nodes;
    await lab.exec(n2, ["nft", "add", "table", "inet", TABLE]);
    await assert.rejects(applyNodes(threeNodes(), label, { refuseForeignTable: true }), (error: unknown) => {
      assert.ok(error instanceof FirewallApplyError);
      assert.equal(error.statuses, undefined);
      assert.match(error.message, new RegExp(`^InternodeFirewall "test": nothing was changed on any node: node ${n2.ipv4} \\(netns ${n2.namespace}\\): a table inet ${TABLE} exists that this resource did not make`));
      return true;
    });
    assert.equal(await tableOn(n1), false);
  });

  it("fails before changing anything when a node cannot be reached, naming the node, the transport and the error", async () => {
    const [n1] = lab.nodes;
    const spec = specOf({ nodes: [netnsNode(n1), { address: "198.51.100.77", transport: { type: "netns", namespace: "rsfw-no-such-namespace" } }] });
    await assert.rejects(applyNodes(spec, label, { refuseForeignTable: true }), (error: unknown) => {
      assert.ok(error instanceof FirewallApplyError);
      assert.match(
        error.message,
        /^InternodeFirewall "test": nothing was changed on any node: node 198\.51\.100\.77 \(netns rsfw-no-such-namespace\): nft -j list table inet fw_test failed: exit status 255: Cannot open network namespace "rsfw-no-such-namespace": No such file or directory \(the network namespace rsfw-no-such-namespace does not exist \(ip netns list\)\)$/,
      );
      return true;
    });
    assert.equal(await tableOn(n1), false);
  });

  it("reports a node that failed after others took the new rules as a partial failure naming both", async () => {
    const [n1, n2, n3] = lab.nodes;
    // n3's nft refuses the write (as a full disk or a kernel without a feature would), after the preflight read.
    const runners = (node: FirewallNode): CommandRunner => {
      const real = commandRunner(node.transport);
      if (node.address !== n3.ipv4) return real;
      return {
        describe: real.describe,
        run: (argv, options) => (argv.includes("-f") ? Promise.resolve({ exitCode: 1, stdout: "", stderr: "Error: Could not process rule: No buffer space available\n" }) : real.run(argv, options)),
      };
    };
    await assert.rejects(applyNodes(threeNodes(), label, { refuseForeignTable: true, runners }), (error: unknown) => {
      assert.ok(error instanceof FirewallApplyError);
      assert.equal(
        error.message,
        `InternodeFirewall "test": partial failure: the new rules are in place on ${n1.ipv4}, ${n2.ipv4}, but not on ${n3.ipv4}: ` +
          `node ${n3.ipv4} (netns ${n3.namespace}): nft -f - (script on stdin) failed: exit status 1: Error: Could not process rule: No buffer space available. ` +
          "Fix the cause and run pulumi up again: it rewrites every node's table",
      );
      assert.deepEqual(error.statuses?.map((status) => [status.address, status.tableInPlace]), [[n1.ipv4, true], [n2.ipv4, true], [n3.ipv4, false]]);
      return true;
    });
    assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [true, true, false]);
  });

  describe("through the provider on the framework's life cycle", () => {
    type Props = Record<string, unknown>;
    const URN = "urn:pulumi:test::fw::pulumi-nodejs:dynamic/redisenterprise:InternodeFirewall::ine";
    const writeFailsOn = (address: string) => (node: FirewallNode): CommandRunner => {
      const real = commandRunner(node.transport);
      if (node.address !== address) return real;
      return {
        describe: real.describe,
        run: (argv, options) => (argv.includes("-f") ? Promise.resolve({ exitCode: 1, stdout: "", stderr: "Error: Could not process rule: No buffer space available\n" }) : real.run(argv, options)),
      };
    };
    const checked = async (provider: ReturnType<typeof firewallProvider>, olds: Props, news: Props): Promise<Props> => {
      const result = await provider.check!(olds, { __provider: "shim", __urn: URN, table: TABLE, ...news });
      assert.deepEqual(result.failures, []);
      return result.inputs as Props;
    };

    it("records a create that failed on one node after others took the rules, with the id and which nodes carry them", async () => {
      const [n1, n2, n3] = lab.nodes;
      const provider = firewallProvider(undefined, writeFailsOn(n3.ipv4));
      const inputs = await checked(provider, {}, { nodes: lab.nodes.map((node) => netnsNode(node)) });
      const error = (await provider.create(inputs).then(
        () => assert.fail("the create should have failed"),
        (failure: unknown) => failure,
      )) as Error & { id?: string; properties?: Props; reasons?: string[] };
      assert.match(error.id ?? "", new RegExp(`^${TABLE}-[0-9a-f]{8}$`));
      assert.equal(
        error.message,
        `InternodeFirewall (table inet ${TABLE}): partial failure: the new rules are in place on ${n1.ipv4}, ${n2.ipv4}, but not on ${n3.ipv4}: ` +
          `node ${n3.ipv4} (netns ${n3.namespace}): nft -f - (script on stdin) failed: exit status 1: Error: Could not process rule: No buffer space available. ` +
          "Fix the cause and run pulumi up again: it rewrites every node's table. " +
          `The firewall is recorded in the stack as ${error.id}, not orphaned: \`pulumi refresh\` shows each node's table`,
      );
      // The record says what each node really carries (read back by listing), and keeps what refresh and destroy need.
      const properties = error.properties!;
      assert.deepEqual((properties.nodes as Array<{ address: string; tableInPlace: boolean }>).map((status) => [status.address, status.tableInPlace]), [
        [n1.ipv4, true],
        [n2.ipv4, true],
        [n3.ipv4, false],
      ]);
      assert.equal(properties.__provider, "shim");
      assert.equal(properties.__urn, URN);
      assert.deepEqual(properties.declaredNodes, inputs.nodes);
      assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [true, true, false]);
      // The engine then updates the recorded firewall: every node gets the table.
      const diff = await firewallProvider().diff!(error.id!, properties, inputs);
      assert.equal(diff.changes, true);
      await firewallProvider().update!(error.id!, properties, inputs);
      assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [true, true, true]);
    });

    it("creates nothing (no id) when no node took the rules", async () => {
      const [n1] = lab.nodes;
      const provider = firewallProvider(undefined, writeFailsOn(n1.ipv4));
      const inputs = await checked(provider, {}, { nodes: [netnsNode(n1)] });
      const error = (await provider.create(inputs).then(
        () => assert.fail("the create should have failed"),
        (failure: unknown) => failure,
      )) as Error & { id?: string };
      assert.equal(error.id, undefined);
      assert.match(error.message, /the rules could not be written on any node \(nothing was changed\)/);
      assert.equal(await tableOn(n1), false);
    });

    it("read reports a rule deleted by hand as drift and returns the drifted node left out of the inputs; update restores it", async () => {
      const [n1, n2, n3] = lab.nodes;
      const provider = firewallProvider();
      const inputs = await checked(provider, {}, { nodes: lab.nodes.map((node) => netnsNode(node)) });
      const { id, outs } = await provider.create(inputs);
      assert.deepEqual(outs.managedProperties, ["nodes", "ports", "allowedSources", "table"]);
      assert.equal((await provider.read!(id, outs)).inputs?.nodes?.length, 3, "no drift: every node is in the inputs");
      const listing = (await lab.exec(n2, ["nft", "-a", "list", "chain", "inet", TABLE, "input"])).stdout;
      const dropHandle = /tcp dport @ports drop comment .* # handle (\d+)/.exec(listing)?.[1];
      assert.ok(dropHandle, listing);
      await lab.exec(n2, ["nft", "delete", "rule", "inet", TABLE, "input", "handle", dropHandle]);
      assert.equal(await lab.probe(lab.outsider, n2.ipv4, PORT), "open");

      const read = await provider.read!(id, outs);
      const props = read.props as Props;
      assert.deepEqual((props.nodes as unknown[])[1], { address: n2.ipv4, transport: "netns", tableInPlace: false, drift: ["rule removed from chain input: tcp dport @ports drop"] });
      assert.deepEqual(props.declaredNodes, inputs.nodes, "the declaration is kept whole for update and delete");
      // The inputs hold the live values: n2 does not carry the declared table, so the engine shows `nodes` changed.
      // (`__drifted` is the framework's record of what a refresh found changed; the engine hides "__" keys.)
      assert.deepEqual(read.inputs, { nodes: [netnsNode(n1), netnsNode(n3)], ports: [PORT], allowedSources: [], table: TABLE, __urn: URN, __drifted: ["nodes"] });

      // Preview: check against the refreshed inputs is clean, diff plans an update (never throws), and update restores.
      const again = await checked(provider, read.inputs as Props, { nodes: lab.nodes.map((node) => netnsNode(node)) });
      const diff = await provider.diff!(id, props, again);
      assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
      const { outs: restored } = await provider.update!(id, props, again);
      assert.deepEqual((restored!.nodes as Array<{ tableInPlace: boolean }>).map((status) => status.tableInPlace), [true, true, true]);
      assert.equal(await lab.probe(lab.outsider, n2.ipv4, PORT), "dropped");
      assert.deepEqual(await provider.diff!(id, restored!, again), { changes: false, replaces: [], deleteBeforeReplace: false });
      await provider.delete!(id, restored!);
      assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [false, false, false]);
    });
  });

  describe("through ssh to a real sshd inside a node's namespace", () => {
    let sshd: Sshd;
    before(async function () {
      if (!lab) this.skip();
      sshd = await startSshd(lab, lab.nodes[0]);
    });
    after(async () => {
      await sshd?.close();
    });
    const sshNode = (hostKey: string | undefined): FirewallNode => ({
      address: lab.nodes[0].ipv4,
      transport: { type: "ssh", host: "127.0.0.1", port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, ...(hostKey ? { hostKey } : {}) },
    });

    it("applies, reads and removes the table on the node, with its host key checked", async () => {
      const [n1, n2, n3] = lab.nodes;
      const spec = specOf({ nodes: [sshNode(sshd.hostKey), netnsNode(n2), netnsNode(n3)] });
      const statuses = await applyNodes(spec, label, { refuseForeignTable: true });
      assert.deepEqual(statuses.map((status) => [status.address, status.transport, status.tableInPlace]), [[n1.ipv4, "ssh", true], [n2.ipv4, "netns", true], [n3.ipv4, "netns", true]]);
      assert.equal(await tableOn(n1), true);
      assert.deepEqual(await Promise.all([lab.probe(n2, n1.ipv4, PORT), lab.probe(lab.outsider, n1.ipv4, PORT)]), ["open", "dropped"]);
      await lab.exec(n1, ["nft", "delete", "table", "inet", TABLE]);
      assert.deepEqual((await inspectNodes(spec))[0].drift, [`table inet ${TABLE} is missing`]);
      await removeTables(spec.nodes, TABLE, label);
      assert.deepEqual(await Promise.all(lab.nodes.map(tableOn)), [false, false, false]);
    });

    it("refuses a wrong host key, changes nothing, and never shows the private key", async () => {
      const [n1, n2] = lab.nodes;
      const spec = specOf({ nodes: [sshNode(sshd.wrongHostKey), netnsNode(n2)] });
      await assert.rejects(applyNodes(spec, label, { refuseForeignTable: true }), (error: unknown) => {
        assert.ok(error instanceof FirewallApplyError);
        assert.match(
          error.message,
          new RegExp(
            `^InternodeFirewall "test": nothing was changed on any node: node ${n1.ipv4.replace(/\./g, "\\.")} \\(ssh root@127\\.0\\.0\\.1:${sshd.port}\\): ` +
              "nft -j list table inet fw_test failed: exit status 255: .*Host key verification failed\\..* \\(the host key the node presented is not the declared hostKey; check the node, then update hostKey\\)$",
          ),
        );
        const body = sshd.privateKey.split("\n").filter((line) => line && !line.startsWith("-----"));
        for (const line of body) assert.ok(!error.message.includes(line), "the error must not contain the private key");
        return true;
      });
      assert.deepEqual(await Promise.all([tableOn(n1), tableOn(n2)]), [false, false]);
    });

    it("names the node and the transport when the key is refused", async () => {
      const dir = mkdtempSync(join(tmpdir(), "rs-fw-key-"));
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")], { stdio: "ignore" });
      const unknownKey = readFileSync(join(dir, "k"), "utf8");
      rmSync(dir, { recursive: true, force: true });
      const node: FirewallNode = { address: lab.nodes[0].ipv4, transport: { type: "ssh", host: "127.0.0.1", port: sshd.port, user: "root", privateKey: unknownKey, hostKey: sshd.hostKey } };
      await assert.rejects(inspectNodes(specOf({ nodes: [node] })), (error: unknown) => {
        assert.match((error as Error).message, /^node 198\.51\.100\.1 \(ssh root@127\.0\.0\.1:\d+\): nft -j list table inet fw_test failed: exit status 255: .*Permission denied.*\(the node refused the private key for this user\)$/);
        return true;
      });
    });
  });
});
