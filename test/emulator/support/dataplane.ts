// Helpers for the data-plane tests: loopback addresses of their own, RESP clients through an endpoint, and a
// check that a process is gone.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { RespConnection, type EmulatedCluster } from "../../../emulator";

/** Three distinct loopback addresses in a /24 no other test uses, so 3342 and the ports never collide. */
export function loopbackAddresses(count = 3): string[] {
  const second = 100 + Math.floor(Math.random() * 150);
  const third = Math.floor(Math.random() * 250);
  return Array.from({ length: count }, (_, i) => `127.${second}.${third}.${i + 1}`);
}

export function redisServerInstalled(): boolean {
  return spawnSync("redis-server", ["--version"], { timeout: 5000 }).status === 0;
}

/** A RESP connection to a database through the proxy on `nodeUid` (the first proxy when omitted). */
export async function connectToDatabase(cluster: EmulatedCluster, bdbUid: number, nodeUid?: number): Promise<RespConnection> {
  await cluster.dataPlane.settled();
  const database = cluster.dataPlane.database(bdbUid);
  if (!database) throw new Error(`database ${bdbUid} has no data plane`);
  const proxy = nodeUid === undefined ? database.proxies[0] : database.proxies.find((p) => p.nodeUid === nodeUid);
  if (!proxy) throw new Error(`database ${bdbUid} has no proxy on node ${String(nodeUid)} (${JSON.stringify(database.proxies)})`);
  return RespConnection.connect(proxy.address, proxy.port, 5000);
}

/** Whether a process runs (a zombie, dead but not yet reaped by its parent, does not count). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name: "pid (comm) S ...".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export function namespaceNames(): string[] {
  const result = spawnSync("ip", ["netns", "list"], { encoding: "utf8", timeout: 5000 });
  return String(result.stdout ?? "").split("\n").map((line) => line.split(" ")[0]!).filter((name) => name !== "");
}

/** Resolves when `closed` does, or false after `timeoutMs`. */
export async function closesWithin(closed: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const result = await Promise.race([closed.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}
