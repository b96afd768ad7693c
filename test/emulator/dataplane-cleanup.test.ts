// Nothing the data plane starts outlives the process that started it: after an uncaught error without stop()
// (a failing test), every agent, shard, namespace and link is gone; after a SIGKILL, the agents notice their
// closed stdin and take their shards with them, and the next start removes the namespaces left behind.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import readline from "node:readline";
import { startCluster } from "../../emulator";
import { sleep, TEST_KEY_BITS, waitFor } from "./support/client";
import { loopbackAddresses, namespaceNames, processAlive, redisServerInstalled } from "./support/dataplane";

interface Report {
  layout: string;
  pids: number[];
  namespaces: string[];
  links: string[];
  workDirs: string[];
}

const FIXTURE = join(__dirname, "fixtures", "dataplane-crash.js");

/** Run the fixture until it reports what it runs; `ended` resolves when it exits. */
async function runFixture(layout: string, how: "throw" | "wait"): Promise<{ report: Report; child: ReturnType<typeof spawn>; ended: Promise<number | null> }> {
  const child = spawn(process.execPath, [FIXTURE, layout, how], { stdio: ["ignore", "pipe", "pipe"] });
  const ended = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines = readline.createInterface({ input: child.stdout! });
  const report = await new Promise<Report>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the fixture did not report within 20 s"));
    }, 20_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as Report);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the fixture exited (${String(code)}) before reporting`));
    });
  });
  return { report, child, ended };
}

/** The data-plane work directories a process made (named after its pid). */
function workDirsOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(`rs-emulator-dp-${pid}-`));
}

function linkExists(name: string): boolean {
  return spawnSync("ip", ["link", "show", name], { timeout: 5000 }).status === 0;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

describe("emulator data plane cleanup", function () {
  this.timeout(40_000);
  before(function () {
    if (!redisServerInstalled()) throw new Error("redis-server is not installed: apt-get install redis-server (.ci/run installs it)");
  });

  for (const layout of ["loopback", "namespaces"] as const) {
    it(`${layout}: a process that fails without stop() leaves no process, namespace or link`, async function () {
      if (layout === "namespaces" && !isRoot) this.skip();
      const { report, child, ended } = await runFixture(layout, "throw");
      assert.equal(report.workDirs.length, 1, "the fixture made a work directory");
      assert.equal(report.layout, layout);
      assert.equal(report.pids.length, 4, "two agents and two shards ran");
      if (layout === "namespaces") assert.equal(report.namespaces.length, 2);
      assert.notEqual(await ended, 0, "the fixture failed");
      await waitFor("every process to be gone", async () => (report.pids.some(processAlive) ? undefined : true), 3000, 20);
      assert.deepEqual(namespaceNames().filter((name) => report.namespaces.includes(name)), []);
      assert.deepEqual(report.links.filter(linkExists), []);
      assert.deepEqual(workDirsOf(child.pid!), [], "the work directory is removed");
    });
  }

  it("namespaces: after a SIGKILL the shards go with their agents, and the next start removes the namespaces left", async function () {
    if (!isRoot) this.skip();
    const { report, child, ended } = await runFixture("namespaces", "wait");
    child.kill("SIGKILL");
    await ended;
    await waitFor("the agents and shards to exit", async () => (report.pids.some(processAlive) ? undefined : true), 5000, 20);
    assert.deepEqual(namespaceNames().filter((name) => report.namespaces.includes(name)).sort(), [...report.namespaces].sort(), "a killed process cannot remove its namespaces");
    assert.deepEqual(workDirsOf(child.pid!), report.workDirs, "a killed process cannot remove its work directory");
    const next = await startCluster({ keyBits: TEST_KEY_BITS, nodes: 1, addresses: loopbackAddresses(1), dataPlane: "namespaces" });
    const own = next.dataPlane.nodes().map((n) => n.namespace!);
    try {
      assert.deepEqual(workDirsOf(child.pid!), [], "the killed process's work directory is swept at the next start");
      assert.equal(own.length, 1);
      assert.ok(namespaceNames().includes(own[0]!));
      assert.deepEqual(namespaceNames().filter((name) => report.namespaces.includes(name)), []);
      assert.deepEqual(report.links.filter(linkExists), []);
    } finally {
      await next.stop();
    }
    await sleep(10);
    assert.deepEqual(namespaceNames().filter((name) => own.includes(name)), [], "stop removes the namespaces it made");
  });
});
