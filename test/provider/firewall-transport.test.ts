// The firewall's transports on this machine, without touching its firewall: the local runner with harmless
// commands (stdin, exit status, a missing program, the deadline), and the wording of failures (the hints for a
// missing nft, a refused permission, an unknown namespace, a host key or login refused over ssh, and that a
// private key never survives into a message).
import assert from "node:assert/strict";
import { commandRunner, describeFailure, type FirewallTransport } from "../../provider/firewall";

describe("firewall transports", () => {
  const local = commandRunner({ type: "local" });

  it("local: feeds stdin, returns stdout, stderr and the exit status of a command that ran", async () => {
    const result = await local.run([process.execPath, "-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{process.stdout.write(s.toUpperCase());process.stderr.write('warn');process.exit(3)})"], { stdin: "table inet x" });
    assert.deepEqual(result, { exitCode: 3, stdout: "TABLE INET X", stderr: "warn" });
    assert.equal(local.describe, "local");
  });

  it("local: a program that is not installed is a failure, not an exception", async () => {
    const result = await local.run(["rs-fw-no-such-program-xyz", "-f", "-"]);
    assert.equal(result.exitCode, null);
    assert.equal(result.failure, "rs-fw-no-such-program-xyz: command not found");
  });

  it("local: a command is killed at its deadline and says so", async () => {
    const started = Date.now();
    const result = await local.run([process.execPath, "-e", "setTimeout(()=>{}, 60000)"], { timeoutMs: 300 });
    assert.ok(Date.now() - started < 10_000);
    assert.equal(result.exitCode, null);
    assert.equal(result.failure, "did not finish within 300 ms; stopped");
  });

  it("names the transport in messages, never the key", () => {
    const ssh: FirewallTransport = { type: "ssh", host: "10.0.0.1", user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n" };
    assert.equal(commandRunner(ssh).describe, "ssh root@10.0.0.1:22");
    assert.equal(commandRunner({ type: "netns", namespace: "n1" }).describe, "netns n1");
  });

  it("words failures with the cause's hint", () => {
    const netns: FirewallTransport = { type: "netns", namespace: "n9" };
    const ssh: FirewallTransport = { type: "ssh", host: "h", user: "u", privateKey: "k", hostKey: "ssh-ed25519 AAAA" };
    const sshNoKey: FirewallTransport = { type: "ssh", host: "h", user: "u", privateKey: "k" };
    assert.equal(
      describeFailure(netns, { exitCode: 255, stdout: "", stderr: 'Cannot open network namespace "n9": No such file or directory\n' }),
      'exit status 255: Cannot open network namespace "n9": No such file or directory (the network namespace n9 does not exist (ip netns list))',
    );
    assert.equal(describeFailure(ssh, { exitCode: 127, stdout: "", stderr: "sh: 1: exec: nft: not found\n" }), "exit status 127: sh: 1: exec: nft: not found (nft is not installed on the node (package nftables))");
    assert.equal(
      describeFailure(netns, { exitCode: 255, stdout: "", stderr: 'exec of "nft" failed: No such file or directory\n' }),
      'exit status 255: exec of "nft" failed: No such file or directory (nft is not installed on the node (package nftables))',
    );
    assert.equal(describeFailure({ type: "local" }, { exitCode: null, stdout: "", stderr: "", failure: "nft: command not found" }), "nft: command not found (nft is not installed here (package nftables))");
    assert.equal(
      describeFailure(netns, { exitCode: 1, stdout: "", stderr: "Error: Could not process rule: Operation not permitted\n" }),
      "exit status 1: Error: Could not process rule: Operation not permitted (nft needs the CAP_NET_ADMIN capability: run it as root)",
    );
    assert.equal(
      describeFailure(ssh, { exitCode: 255, stdout: "", stderr: "Host key verification failed.\n" }),
      "exit status 255: Host key verification failed. (the host key the node presented is not the declared hostKey; check the node, then update hostKey)",
    );
    assert.equal(
      describeFailure(sshNoKey, { exitCode: 255, stdout: "", stderr: "Host key verification failed.\n" }),
      "exit status 255: Host key verification failed. (the node's host key is not in known_hosts; declare it as hostKey (ssh-keyscan, or /etc/ssh/ssh_host_ed25519_key.pub on the node))",
    );
    assert.equal(describeFailure(sshNoKey, { exitCode: 255, stdout: "", stderr: "u@h: Permission denied (publickey).\n" }), "exit status 255: u@h: Permission denied (publickey). (the node refused the private key for this user)");
    assert.equal(describeFailure(sshNoKey, { exitCode: 255, stdout: "", stderr: "ssh: connect to host h port 22: Connection refused\n" }), "exit status 255: ssh: connect to host h port 22: Connection refused (ssh could not reach or log in to the node)");
  });
});
