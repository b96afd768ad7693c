// Transports: how the InternodeFirewall runs a command on a node. `local` runs it here, `netns` inside a network
// namespace (`ip netns exec`), `ssh` on another machine through the system OpenSSH client (no npm dependency:
// the user's ssh is the one their operations already trust). Every command is bounded in time and output, and
// every failure names the node, the transport and the command's own error, never the private key.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandResult, CommandRunner, RunOptions } from "../framework/transport";
import type { FirewallTransport } from "./types";

// The shapes are the framework's (provider/framework/transport.ts): a runner per node, results rather than
// exceptions for a command that ran and failed; what runs is rendered by the pure functions of nft.ts.
export type { CommandResult, CommandRunner, RunOptions };

/** A command that failed on a node; the message names the node, the transport, the command and its error. */
export class NodeCommandError extends Error {
  constructor(
    readonly node: string,
    readonly transport: string,
    readonly command: string,
    readonly detail: string,
  ) {
    super(`node ${node} (${transport}): ${command} failed: ${detail}`);
    this.name = "NodeCommandError";
  }
}

const MAX_OUTPUT = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

/** Spawns a process without a shell, feeds stdin, collects bounded output, and kills it at the deadline. */
export function spawnCollect(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: string | undefined;
    const collect = (chunks: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT) chunks.push(chunk);
      else if (!failure) {
        failure = `printed more than ${MAX_OUTPUT} bytes; stopped`;
        child.kill("SIGKILL");
      }
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    const timer = setTimeout(() => {
      failure ??= `did not finish within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}; stopped`;
      child.kill("SIGKILL");
    }, timeoutMs);
    let started = true;
    child.on("error", (error: NodeJS.ErrnoException) => {
      started = false;
      failure ??= error.code === "ENOENT" ? `${file}: command not found` : `${file} could not be started: ${error.message}`;
    });
    child.stdin.on("error", () => {
      // The command may exit before reading its input (a missing table, a refused login); its status says why.
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      // Node reports a process that never started with a negative errno as its code; the contract says null.
      resolve({ exitCode: started ? code : null, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), ...(failure ? { failure } : {}) });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** Quotes one word for the remote POSIX shell that sshd runs the command with. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The ssh options, in the order they are passed; exported for tests. */
export function sshArguments(transport: Extract<FirewallTransport, { type: "ssh" }>, files: { identity: string; knownHosts?: string }, argv: readonly string[]): string[] {
  const options = [
    "BatchMode=yes", // never prompt: a password or passphrase prompt would hang the provider
    "IdentitiesOnly=yes",
    "IdentityAgent=none", // only the declared key, not whatever an agent holds
    "PasswordAuthentication=no",
    "KbdInteractiveAuthentication=no",
    "ConnectTimeout=10",
    "ServerAliveInterval=5",
    "ServerAliveCountMax=3",
    "StrictHostKeyChecking=yes",
    ...(files.knownHosts ? [`UserKnownHostsFile=${files.knownHosts}`, "GlobalKnownHostsFile=/dev/null", "CheckHostIP=no"] : []),
    "ControlMaster=no",
    "ControlPath=none",
    "ClearAllForwardings=yes",
    "LogLevel=ERROR",
  ];
  // sbin is not on a non-login PATH everywhere, and nft lives there.
  const remote = `PATH="$PATH:/usr/sbin:/sbin"; export PATH; exec ${argv.map(shellQuote).join(" ")}`;
  return [
    "-F", "none", // the user's ssh_config could change any of the above
    "-T",
    "-i", files.identity,
    "-p", String(transport.port ?? 22),
    "-l", transport.user,
    ...options.flatMap((option) => ["-o", option]),
    "--",
    transport.host,
    remote,
  ];
}

function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let result = text.split(secret).join("[private key]");
  // Any single line of the key body, in case a tool echoed part of it.
  for (const line of secret.split("\n")) if (line.length >= 16 && !line.startsWith("-----")) result = result.split(line).join("[private key]");
  return result;
}

/** "local", "netns n1", "ssh root@10.0.0.1:22": how messages name a transport (never a secret). */
export function describeTransport(transport: FirewallTransport): string {
  switch (transport.type) {
    case "local":
      return "local";
    case "netns":
      return `netns ${transport.namespace}`;
    case "ssh":
      return `ssh ${transport.user}@${transport.host}:${transport.port ?? 22}`;
  }
}

/** A runner for a (canonical) transport. */
export function commandRunner(transport: FirewallTransport): CommandRunner {
  const describe = describeTransport(transport);
  switch (transport.type) {
    case "local":
      return { describe, run: (argv, options) => spawnCollect(argv[0], argv.slice(1), options) };
    case "netns":
      return { describe, run: (argv, options) => spawnCollect("ip", ["netns", "exec", transport.namespace, ...argv], options) };
    case "ssh":
      return {
        describe,
        async run(argv, options) {
          // The key goes to a file only this user can read, in a directory only this user can list, removed
          // afterwards whatever happens; it is never on a command line or in the environment.
          const dir = await mkdtemp(join(tmpdir(), "rs-fw-ssh-"));
          try {
            const identity = join(dir, "id");
            const key = transport.privateKey.endsWith("\n") ? transport.privateKey : `${transport.privateKey}\n`;
            await writeFile(identity, key, { mode: 0o600, flag: "wx" });
            let knownHosts: string | undefined;
            if (transport.hostKey) {
              knownHosts = join(dir, "known_hosts");
              // "*": this file is used for this one connection, to this one host, so the key is all that matters.
              const lines = transport.hostKey.split("\n").map((line) => `* ${line}`);
              await writeFile(knownHosts, `${lines.join("\n")}\n`, { mode: 0o600, flag: "wx" });
            }
            const result = await spawnCollect("ssh", sshArguments(transport, { identity, knownHosts }, argv), options);
            return { ...result, stderr: redact(result.stderr, transport.privateKey), stdout: redact(result.stdout, transport.privateKey) };
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      };
  }
}

/** Turns a failed result into the sentence after "failed:", with a hint where the cause is a known one. */
export function describeFailure(transport: FirewallTransport, result: CommandResult): string {
  const stderr = result.stderr.trim().replace(/\s*\n\s*/g, " | ");
  if (result.failure) {
    const text = stderr ? `${result.failure} (${stderr})` : result.failure;
    return /^nft: command not found/.test(result.failure) ? `${text} (nft is not installed here (package nftables))` : text;
  }
  const parts: string[] = [`exit status ${result.exitCode === null ? "(killed)" : result.exitCode}`];
  if (stderr) parts.push(stderr);
  let hint = "";
  if (transport.type === "ssh" && result.exitCode === 255) {
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* not known/i.test(result.stderr)) {
      hint = transport.hostKey
        ? "the host key the node presented is not the declared hostKey; check the node, then update hostKey"
        : "the node's host key is not in known_hosts; declare it as hostKey (ssh-keyscan, or /etc/ssh/ssh_host_ed25519_key.pub on the node)";
    } else if (/Permission denied/i.test(result.stderr)) hint = "the node refused the private key for this user";
    else hint = "ssh could not reach or log in to the node";
  } else if (result.exitCode === 127 || /nft: (command )?not found|exec of "nft" failed/i.test(result.stderr)) {
    hint = "nft is not installed on the node (package nftables)";
  } else if (/Operation not permitted|Permission denied/i.test(result.stderr)) {
    hint = "nft needs the CAP_NET_ADMIN capability: run it as root";
  } else if (transport.type === "netns" && /Cannot open network namespace/i.test(result.stderr)) {
    hint = `the network namespace ${transport.namespace} does not exist (ip netns list)`;
  }
  return hint ? `${parts.join(": ")} (${hint})` : parts.join(": ");
}
