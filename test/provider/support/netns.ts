// A small network of network namespaces for the firewall tests: three "nodes" and an "outsider", each with one
// veth interface whose other end sits on a bridge inside a fifth "switch" namespace. Nothing is added to the
// host's own network namespace: every interface, address and route lives in namespaces this lab makes, with
// documentation addresses (TEST-NET-2 198.51.100.0/24 and 2001:db8:5342::/64) that exist only inside them.
//
// Every namespace is removed by `close()`, and also when the test process exits without calling it; a run that
// was killed outright leaves namespaces named rsfw-<pid>-..., which the next lab removes once that pid is gone.
// Every process the lab starts (listeners, sshd) is tracked by pid and killed by pid.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";

export interface LabHost {
  /** Network namespace name, usable as a `netns` transport. */
  readonly namespace: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

export type Reachability = "open" | "dropped" | "refused";

export interface Lab {
  readonly nodes: readonly LabHost[];
  readonly outsider: LabHost;
  /** Runs a command in a namespace; resolves with its exit status and output. */
  exec(host: LabHost, argv: readonly string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts a TCP listener on the given ports (IPv4 and IPv6) in a namespace. */
  listen(host: LabHost, ports: readonly number[]): Promise<void>;
  /** Tries a TCP connection from one namespace to an address: open, dropped (no answer in time) or refused. */
  probe(from: LabHost, address: string, port: number, timeoutSeconds?: number): Promise<Reachability>;
  /** Starts a long-running process inside a namespace; it is killed by `close()`. */
  spawnIn(host: LabHost, argv: readonly string[], options?: { stdin?: boolean }): ChildProcess;
  close(): Promise<void>;
}

const PREFIX = "rsfw";
let labCount = 0;
const liveNamespaces = new Set<string>();
const liveProcesses = new Set<ChildProcess>();
let exitHookInstalled = false;

function run(file: string, args: readonly string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.stdin.on("error", () => undefined);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

async function must(file: string, args: readonly string[]): Promise<string> {
  const result = await run(file, args);
  if (result.code !== 0) throw new Error(`${file} ${args.join(" ")} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes namespaces left by lab runs whose process is gone (a run killed before it could clean up). */
async function removeStaleNamespaces(): Promise<void> {
  const listing = await run("ip", ["netns", "list"]);
  for (const line of listing.stdout.split("\n")) {
    const match = new RegExp(`^(${PREFIX}-(\\d+)-\\S+)`).exec(line.trim());
    if (match && Number(match[2]) !== process.pid && !isAlive(Number(match[2]))) await run("ip", ["netns", "del", match[1]]);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of liveProcesses) if (child.pid !== undefined && child.exitCode === null) child.kill("SIGKILL");
    for (const namespace of liveNamespaces) {
      try {
        execFileSync("ip", ["netns", "del", namespace], { stdio: "ignore" });
      } catch {
        // Already gone.
      }
    }
  });
}

/**
 * Whether this machine lets the tests make network namespaces: undefined when it does, else the reason to print
 * when skipping. Only "not permitted" is a reason to skip; a missing `ip` or `nft` is an installation error.
 */
export async function namespacesForbidden(): Promise<string | undefined> {
  const name = `${PREFIX}-${process.pid}-probe${labCount++}`;
  const result = await run("ip", ["netns", "add", name]);
  if (result.code === 0) {
    await run("ip", ["netns", "del", name]);
    return undefined;
  }
  if (/Operation not permitted|Permission denied/i.test(result.stderr)) return `this machine forbids network namespaces (ip netns add: ${result.stderr.trim()})`;
  throw new Error(`ip netns add failed: ${result.stderr.trim()}`);
}

/** Builds the lab: node namespaces n1..n3 at 198.51.100.1-3 and 2001:db8:5342::1-3, the outsider at .100/::100. */
export async function startLab(nodeCount = 3): Promise<Lab> {
  installExitHook();
  await removeStaleNamespaces();
  const base = `${PREFIX}-${process.pid}-${labCount++}`;
  const switchNs = `${base}-sw`;
  const hosts: LabHost[] = [];
  const namespaces: string[] = [];
  const addNamespace = async (name: string) => {
    await must("ip", ["netns", "add", name]);
    liveNamespaces.add(name);
    namespaces.push(name);
  };
  const close = async () => {
    const children = [...liveProcesses];
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await once(child, "close").catch(() => undefined);
      }
      liveProcesses.delete(child);
    }
    for (const namespace of namespaces.reverse()) {
      await run("ip", ["netns", "del", namespace]);
      liveNamespaces.delete(namespace);
    }
  };
  try {
    await addNamespace(switchNs);
    await must("ip", ["-n", switchNs, "link", "add", "br0", "type", "bridge"]);
    await must("ip", ["-n", switchNs, "link", "set", "br0", "up"]);
    const plan = [...Array.from({ length: nodeCount }, (_, index) => ({ name: `n${index + 1}`, host: index + 1 })), { name: "out", host: 100 }];
    for (const { name, host } of plan) {
      const namespace = `${base}-${name}`;
      await addNamespace(namespace);
      const port = `p${host}`;
      // Made inside the switch namespace with its peer moved straight into the node's: never in the host's.
      await must("ip", ["-n", switchNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace]);
      await must("ip", ["-n", switchNs, "link", "set", port, "master", "br0", "up"]);
      await must("ip", ["-n", namespace, "link", "set", "lo", "up"]);
      await must("ip", ["-n", namespace, "addr", "add", `198.51.100.${host}/24`, "dev", "eth0"]);
      await must("ip", ["-n", namespace, "addr", "add", `2001:db8:5342::${host.toString(16)}/64`, "dev", "eth0", "nodad"]);
      await must("ip", ["-n", namespace, "link", "set", "eth0", "up"]);
      hosts.push({ namespace, ipv4: `198.51.100.${host}`, ipv6: `2001:db8:5342::${host.toString(16)}` });
    }
  } catch (error) {
    await close();
    throw error;
  }

  const spawnIn = (host: LabHost, argv: readonly string[], options: { stdin?: boolean } = {}): ChildProcess => {
    const child = spawn("ip", ["netns", "exec", host.namespace, ...argv], { stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    liveProcesses.add(child);
    child.on("close", () => liveProcesses.delete(child));
    return child;
  };

  const lab: Lab = {
    nodes: hosts.slice(0, nodeCount),
    outsider: hosts[nodeCount],
    exec: (host, argv, stdin) => run("ip", ["netns", "exec", host.namespace, ...argv], stdin),
    async listen(host, ports) {
      const script =
        "const net=require('net');let n=0;const ports=process.argv.slice(1).map(Number);" +
        "for(const p of ports){net.createServer(s=>{s.on('error',()=>{});s.end('ok\\n')}).listen({port:p,host:'::',ipv6Only:false},()=>{if(++n===ports.length)console.log('ready')});}";
      const child = spawnIn(host, [process.execPath, "-e", script, ...ports.map(String)]);
      let output = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("ready")) resolve();
        });
        child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.on("close", (code) => reject(new Error(`listener in ${host.namespace} exited (${code}): ${output}`)));
      });
    },
    async probe(from, address, port, timeoutSeconds = 2) {
      // bash's /dev/tcp connects with the namespace's own stack; `timeout` ends a connect whose SYN was dropped.
      const result = await run("ip", ["netns", "exec", from.namespace, "timeout", String(timeoutSeconds), "bash", "-c", 'exec 3<>"/dev/tcp/$0/$1"', address, String(port)]);
      if (result.code === 0) return "open";
      if (result.code === 124) return "dropped";
      return "refused";
    },
    spawnIn,
    close,
  };
  return lab;
}
