// Runs `npm run demo` (examples/demo/run.ts, runDemo) in this process with its output captured, watching what
// the emulated cluster starts, so a test can check the story it told and that nothing outlived it. Shared by the
// embedded-host test (test/engine/demo.test.ts) and the real-CLI one (test/e2e/demo.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import type { EmulatedCluster } from "../../emulator";
import { runDemo } from "../../examples/demo/run";

export interface DemoRun {
  succeeded: boolean;
  output: string;
  layout: "off" | "loopback" | "namespaces";
  /** Every agent and shard process the data plane ran during the demo. */
  pids: number[];
  namespaces: string[];
}

/** The demo with 1024-bit keys and 20 ms operations (the story is the same; the emulator is faster). */
export async function runDemoCaptured(env: NodeJS.ProcessEnv): Promise<DemoRun> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeError = process.stderr.write.bind(process.stderr);
  const capture = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
    const callback = rest.find((item) => typeof item === "function") as (() => void) | undefined;
    callback?.();
    return true;
  };
  const listeners = process.listenerCount("SIGINT") + process.listenerCount("SIGTERM");
  const pids = new Set<number>();
  const namespaces = new Set<string>();
  let cluster: EmulatedCluster | undefined;
  const watch = setInterval(() => cluster?.dataPlane.processIds().forEach((pid) => pids.add(pid)), 200);
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  let succeeded: boolean;
  try {
    succeeded = await runDemo({
      keyBits: 1024,
      operationDelayMs: 20,
      env,
      onClusterStarted: (started) => {
        cluster = started;
        for (const node of started.dataPlane.nodes()) if (node.namespace) namespaces.add(node.namespace);
      },
    });
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeError;
    clearInterval(watch);
  }
  assert.ok(cluster, "the demo started no cluster");
  assert.equal(process.listenerCount("SIGINT") + process.listenerCount("SIGTERM"), listeners, "the demo left its signal handlers installed");
  return { succeeded, output: chunks.join(""), layout: cluster.dataPlane.layout, pids: [...pids], namespaces: [...namespaces] };
}

/** The text between two headings ("== ..."), from the first that starts with `from`. */
export function section(output: string, from: string): string {
  const start = output.indexOf(`\n== ${from}`);
  assert.ok(start >= 0, `no section "${from}" in:\n${output}`);
  const end = output.indexOf("\n== ", start + 4);
  return output.slice(start, end < 0 ? undefined : end);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** No process, namespace or folder of the demo is left. */
export function assertNothingLeft(run: DemoRun, folders: readonly string[] = []): void {
  assert.deepEqual(run.pids.filter(alive), [], "data-plane processes outlived the demo");
  const listed = spawnSync("ip", ["netns", "list"], { encoding: "utf8", timeout: 5000 }).stdout ?? "";
  assert.deepEqual(run.namespaces.filter((name) => listed.includes(name)), [], "network namespaces outlived the demo");
  assert.deepEqual(folders.filter((folder) => fs.existsSync(folder)), [], "temporary folders outlived the demo");
}

/**
 * The story both engines tell: the firewall on the nodes' real traffic (or why it is skipped), the disconnect note
 * in the preview, the orders client dropped and the others kept, the drift found property by property and put
 * back, destroy, and the summary.
 */
export function assertStory(run: DemoRun): void {
  const { output } = run;
  assert.ok(run.succeeded, `the demo failed:\n${output}`);
  const start = section(output, "Starting an emulated");
  assert.match(start, /node 3: REST API https:\/\/127\.0\.0\.3:\d+ \(not bootstrapped\)/);
  const up = section(output, "pulumi up: bootstrap the cluster");
  for (const node of [1, 2, 3]) assert.match(up, new RegExp(`cluster node ${node}: \\S+, 7\\.22\\.2-14, active`));
  assert.match(up, /database payments uid \d+, 128MB, data internode encryption on/);
  assert.match(up, /database orders +uid \d+, 256MB, data internode encryption off/);
  assert.match(up, /certificate rotation: \d{4}-\d\d-\d\dT.* \(2 certificates tracked, 2 rotation event\(s\) on the cluster\)/);
  if (run.layout === "namespaces") {
    const firewall = section(output, "The InternodeFirewall on the nodes' real traffic");
    assert.equal((firewall.match(/\(not a node\) to node \d [\d.]+:3342: dropped/g) ?? []).length, 3, firewall);
    assert.equal((firewall.match(/payments through node \d's proxy: SET -> OK/g) ?? []).length, 3, firewall);
    assert.match(firewall, /between the nodes, 3342 stays open: node \d -> node \d, node \d -> node \d over TLS/);
  } else {
    assert.match(start, /InternodeFirewall: not declared: \S/);
  }
  const preview = section(output, "pulumi preview --diff: turn on data internode encryption for orders");
  assert.match(preview, /Database "orders": dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients/);
  const apply = section(output, "pulumi up: apply it");
  if (run.layout !== "off") {
    assert.match(apply, /cluster: the proxy of orders restarted \(data_internode_encryption false -> true\)/);
    assert.match(apply, /client of orders +DISCONNECTED: the proxy restart closed its connection/);
    assert.match(apply, /client of payments still connected/);
    assert.match(apply, /client of sessions still connected/);
  }
  const refresh = section(output, "pulumi refresh: what changed, property by property");
  assert.match(refresh, /drift +sessions: ~ memorySize: 134217728 => 268435456 \(128MB => 256MB\)/);
  assert.doesNotMatch(refresh, /drift +(checkout|payments|orders|internode)/, "drift reported where nothing changed");
  assert.match(section(output, "pulumi up: put it back"), /sessions on the cluster: 128MB/);
  assert.match(section(output, "pulumi destroy"), /databases left on the cluster: 0/);
  const summary = section(output, "Summary");
  const created = ["Cluster checkout", "Database payments", "Database orders", "Database sessions", "CertificateRotation internal-certificates"];
  if (run.layout === "namespaces") created.push("InternodeFirewall internode");
  const listed = /created: +(.*)/.exec(summary)?.[1]?.split(", ") ?? [];
  assert.deepEqual(listed.sort(), created.sort(), summary);
  if (run.layout !== "off") assert.match(summary, /clients: +dropped by the encryption change: orders; kept: payments, sessions/);
  assert.match(summary, /drift: +sessions memorySize found by refresh, put back by up/);
  assert.match(output, /\nDone; nothing is left running\.\n/);
}
