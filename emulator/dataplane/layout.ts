// Where the data plane runs. `loopback`: every node is its own loopback address (127.0.0.x), no rights needed,
// but node-to-node traffic never leaves the loopback interface. `namespaces` (root): every node is a network
// namespace with its own address on a veth link to a bridge, so traffic between nodes crosses a real link that
// a capture and nftables can see; the host side of the bridge has an address too, so clients in this process
// reach the endpoints. Namespaces and links are named after this process's pid, so one left by a process that
// died (SIGKILL) is recognised and removed by the next start.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { registerCleanup } from "./cleanup";

export type DataPlaneLayout = "loopback" | "namespaces";
/** startCluster's `dataPlane` option: off (default), a layout, or auto (namespaces as root, else loopback). */
export type DataPlaneMode = "off" | "auto" | DataPlaneLayout;

export interface NodeNetwork {
  uid: number;
  /** The node's data-plane address (its namespace's address, or its loopback address). */
  address: string;
  /** Network namespace of the node (namespaces layout). */
  namespace?: string;
  /** The host-side end of the node's veth link, in this process's namespace (namespaces layout): capture here. */
  link?: string;
}

export interface Network {
  layout: DataPlaneLayout;
  nodes: NodeNetwork[];
  /** The host's address on the bridge (namespaces layout). */
  hostAddress?: string;
  teardown(): void;
}

const COMMAND_TIMEOUT_MS = 5000;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The environment variable that names the redis-server to run (for one outside PATH). */
export const REDIS_SERVER_ENV = "RS_EMULATOR_REDIS_SERVER";

/** redis-server: the one RS_EMULATOR_REDIS_SERVER names, else on PATH (or where Debian puts it); undefined if none. */
export function findRedisServer(): string | undefined {
  const named = process.env[REDIS_SERVER_ENV];
  if (named !== undefined && named !== "") return executable(named) ? named : undefined;
  const directories = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/sbin", "/usr/local/bin"];
  for (const directory of directories) {
    if (directory === "") continue;
    const candidate = join(directory, "redis-server");
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function run(args: string[], allowFailure = false): { ok: boolean; output: string } {
  const result = spawnSync("ip", args, { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
  const ok = result.status === 0;
  if (!ok && !allowFailure) throw new Error(`ip ${args.join(" ")} failed: ${output || result.error?.message || `exit ${String(result.status)}`}`);
  return { ok, output };
}

/** Why the namespaces layout cannot run here, or undefined when it can. */
export function namespacesUnavailable(): string | undefined {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "the namespaces layout needs root (ip netns, veth links)";
  const probe = spawnSync("ip", ["netns", "list"], { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS });
  if (probe.error || probe.status !== 0) return `'ip netns' is not usable: ${probe.error?.message ?? String(probe.stderr).trim()}`;
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Remove namespaces and links left by emulator processes that no longer exist. */
function sweepStale(): void {
  for (const line of run(["netns", "list"], true).output.split("\n")) {
    const match = /^(rsd-(\d+)-\S+)/.exec(line.trim());
    if (match && !alive(Number(match[2]))) run(["netns", "del", match[1]!], true);
  }
  for (const line of run(["-o", "link", "show"], true).output.split("\n")) {
    const match = /^\d+:\s+(rsd([0-9a-z]+)x[0-9a-z]+(?:br|p\d+))[@:]/.exec(line);
    if (match && !alive(parseInt(match[2]!, 36))) run(["link", "del", match[1]!], true);
  }
}

let networkCount = 0;

/** A /24 in 10.213.0.0/16 that no interface of this host uses yet. */
function freeSubnet(): string {
  const used = run(["-4", "-o", "addr", "show"], true).output;
  const start = Math.floor(Math.random() * 254);
  for (let i = 0; i < 254; i += 1) {
    const prefix = `10.213.${((start + i) % 254) + 1}`;
    if (!used.includes(` ${prefix}.`)) return prefix;
  }
  throw new Error("no free /24 left in 10.213.0.0/16 for the namespaces layout");
}

export function loopbackNetwork(nodes: ReadonlyArray<{ uid: number; address: string }>): Network {
  return { layout: "loopback", nodes: nodes.map((node) => ({ uid: node.uid, address: node.address })), teardown: () => undefined };
}

/** Make one namespace per node, a bridge on the host and a veth link from each namespace to it. */
export function namespaceNetwork(nodeUids: readonly number[]): Network {
  sweepStale();
  networkCount += 1;
  const tag = `rsd${process.pid.toString(36)}x${networkCount.toString(36)}`;
  const bridge = `${tag}br`;
  const prefix = freeSubnet();
  const made: Array<() => void> = [];
  const teardown = (): void => {
    for (const undo of made.splice(0).reverse()) undo();
  };
  const unregister = registerCleanup(`network ${bridge}`, teardown);
  try {
    run(["link", "add", bridge, "type", "bridge"]);
    made.push(() => void run(["link", "del", bridge], true));
    run(["addr", "add", `${prefix}.1/24`, "dev", bridge]);
    run(["link", "set", bridge, "up"]);
    const nodes: NodeNetwork[] = [];
    for (const uid of nodeUids) {
      const namespace = `rsd-${process.pid}-${networkCount}-node${uid}`;
      const hostEnd = `${tag}p${uid}`;
      const nodeEnd = `${tag}n${uid}`;
      const address = `${prefix}.${10 + uid}`;
      run(["netns", "add", namespace]);
      made.push(() => void run(["netns", "del", namespace], true));
      run(["link", "add", nodeEnd, "type", "veth", "peer", "name", hostEnd]);
      made.push(() => void run(["link", "del", hostEnd], true));
      run(["link", "set", nodeEnd, "netns", namespace]);
      run(["-n", namespace, "link", "set", nodeEnd, "name", "eth0"]);
      run(["-n", namespace, "addr", "add", `${address}/24`, "dev", "eth0"]);
      run(["-n", namespace, "link", "set", "eth0", "up"]);
      run(["-n", namespace, "link", "set", "lo", "up"]);
      run(["link", "set", hostEnd, "master", bridge, "up"]);
      nodes.push({ uid, address, namespace, link: hostEnd });
    }
    return {
      layout: "namespaces",
      nodes,
      hostAddress: `${prefix}.1`,
      teardown: () => {
        teardown();
        unregister();
      },
    };
  } catch (error) {
    teardown();
    unregister();
    throw error;
  }
}
