// A real OpenSSH server inside a lab namespace, for the ssh transport. The test generates the host key and the
// client key; sshd listens on the node's own address inside its namespace, and a relay on this process's
// loopback (127.0.0.1, a free port) forwards each connection into the namespace with a small process started
// there, so the ssh client (in the host's namespace) reaches it without any route or interface on the host.
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Lab, LabHost } from "./netns";

export interface Sshd {
  /** Loopback port of the relay: `{ type: "ssh", host: "127.0.0.1", port }`. */
  readonly port: number;
  readonly user: string;
  /** The client's private key (OpenSSH form), authorized for root. */
  readonly privateKey: string;
  /** The server's public host key line, "ssh-ed25519 AAAA...". */
  readonly hostKey: string;
  /** Another, valid host key that the server does not have. */
  readonly wrongHostKey: string;
  close(): Promise<void>;
}

function keygen(path: string): { privateKey: string; publicKey: string } {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path], { stdio: "ignore" });
  return { privateKey: readFileSync(path, "utf8"), publicKey: readFileSync(`${path}.pub`, "utf8").trim() };
}

export async function startSshd(lab: Lab, host: LabHost): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), "rs-fw-sshd-"));
  const processes: ChildProcess[] = [];
  let relay: net.Server | undefined;
  const close = async () => {
    if (relay) await new Promise<void>((resolve) => relay!.close(() => resolve()));
    for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const hostKey = keygen(join(dir, "host_key"));
    const wrong = keygen(join(dir, "wrong_host_key"));
    const client = keygen(join(dir, "client_key"));
    writeFileSync(join(dir, "authorized_keys"), `${client.publicKey}\n`, { mode: 0o600 });
    const config = join(dir, "sshd_config");
    writeFileSync(
      config,
      [
        "Port 22",
        `ListenAddress ${host.ipv4}`,
        `HostKey ${join(dir, "host_key")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        "StrictModes no", // the temp directory's owner and modes are the test's, not a home directory's
        "UsePAM no",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "LogLevel INFO",
        "",
      ].join("\n"),
    );
    // OpenSSH's privilege separation directory (Debian's sshd refuses to start without it).
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const sshd = lab.spawnIn(host, ["/usr/sbin/sshd", "-D", "-e", "-f", config]);
    processes.push(sshd);
    await new Promise<void>((resolve, reject) => {
      let log = "";
      const timer = setTimeout(() => reject(new Error(`sshd in ${host.namespace} did not start within 10 s: ${log}`)), 10_000);
      sshd.stderr!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        if (/Server listening on/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      sshd.on("close", (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd in ${host.namespace} exited (${code}): ${log}`));
      });
    });
    const forward = `const s=require('net').connect(22,${JSON.stringify(host.ipv4)});process.stdin.pipe(s);s.pipe(process.stdout);s.on('close',()=>process.exit(0));s.on('error',()=>process.exit(1));`;
    relay = net.createServer((socket) => {
      const child = lab.spawnIn(host, [process.execPath, "-e", forward], { stdin: true });
      processes.push(child);
      socket.on("error", () => child.kill("SIGKILL"));
      child.stdin!.on("error", () => socket.destroy());
      socket.pipe(child.stdin!);
      child.stdout!.pipe(socket);
      child.on("close", () => socket.end());
    });
    await new Promise<void>((resolve) => relay!.listen(0, "127.0.0.1", () => resolve()));
    const port = (relay.address() as net.AddressInfo).port;
    return {
      port,
      user: "root",
      privateKey: client.privateKey,
      hostKey: hostKey.publicKey.split(" ").slice(0, 2).join(" "),
      wrongHostKey: wrong.publicKey.split(" ").slice(0, 2).join(" "),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
