// The data plane's switches: off by default with no process started, a bad mode refused naming the option, RESP
// encoding and parsing exact, and a data plane that cannot run here (namespaces without root, no redis-server)
// leaves the control plane running and says why at start.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { OptionsError, RespError, startCluster } from "../../emulator";
import { encodeCommand, parseReply } from "../../emulator/dataplane/resp";
import { resolveOptions } from "../../emulator/options";
import { TEST_KEY_BITS } from "./support/client";
import { loopbackAddresses, redisServerInstalled } from "./support/dataplane";

describe("emulator data plane options", function () {
  this.timeout(30_000);

  it("is off by default: no agent runs and the reason says how to ask for one", async function () {
    const cluster = await startCluster({ keyBits: TEST_KEY_BITS, nodes: 1, addresses: loopbackAddresses(1) });
    try {
      assert.equal(cluster.dataPlane.layout, "off");
      assert.match(cluster.dataPlane.reason ?? "", /dataPlane/);
      assert.deepEqual(cluster.dataPlane.processIds(), []);
      assert.deepEqual(cluster.dataPlane.nodes(), []);
    } finally {
      await cluster.stop();
    }
  });

  it("refuses an unknown mode and a bad internode port, naming the option", function () {
    assert.throws(() => resolveOptions({ dataPlane: "everywhere" as never }), (error: unknown) => error instanceof OptionsError && /dataPlane must be one of off, auto, loopback, namespaces/.test(error.message));
    assert.throws(() => resolveOptions({ internodePort: 70000 }), /internodePort must be an integer between 1 and 65535/);
    assert.equal(resolveOptions({}).dataPlane, "off");
    assert.equal(resolveOptions({}).internodePort, 3342);
  });

  it("encodes commands and parses every RESP2 reply type exactly, waiting for incomplete input", function () {
    assert.equal(encodeCommand(["SET", "k", "v1"]).toString(), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n");
    assert.deepEqual(parseReply(Buffer.from("+OK\r\n")), { value: "OK", end: 5 });
    assert.deepEqual(parseReply(Buffer.from(":42\r\n")), { value: 42, end: 5 });
    assert.deepEqual(parseReply(Buffer.from("$-1\r\n")), { value: null, end: 5 });
    assert.deepEqual(parseReply(Buffer.from("$5\r\nhe\r\no\r\n")), { value: "he\r\no", end: 11 });
    assert.deepEqual(parseReply(Buffer.from("*2\r\n$1\r\na\r\n:1\r\n")), { value: ["a", 1], end: 15 });
    const error = parseReply(Buffer.from("-ERR no\r\n"))!.value;
    assert.ok(error instanceof RespError && error.message === "ERR no");
    assert.equal(parseReply(Buffer.from("$5\r\nhel")), undefined);
    assert.equal(parseReply(Buffer.from("*2\r\n$1\r\na\r\n")), undefined);
    assert.throws(() => parseReply(Buffer.from("?x\r\n")), /not a RESP reply/);
  });

  it("namespaces asked for without root: the control plane runs and start-up says why", async function () {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) this.skip();
    if (!redisServerInstalled()) throw new Error("redis-server is not installed: apt-get install redis-server (.ci/run installs it)");
    // A child process as an unprivileged user (nobody) starts the cluster and reports what it got. When nobody
    // cannot reach this node binary or this checkout (Node 22 from root's cache, a clone under /root), the child
    // runs as root but reports a non-root uid, which is what the emulator's layout decision reads.
    const emulatorPath = join(__dirname, "..", "..", "emulator");
    const probe = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(emulatorPath)})`], { uid: 65534, gid: 65534, cwd: "/", timeout: 15_000, stdio: "ignore" });
    const asNobody = probe.error === undefined && probe.status === 0;
    const prelude = asNobody ? "" : "process.getuid = () => 65534;";
    const script = prelude + `
      const { startCluster } = require(${JSON.stringify(join(__dirname, "..", "..", "emulator"))});
      startCluster({ keyBits: ${TEST_KEY_BITS}, nodes: 1, addresses: ${JSON.stringify(loopbackAddresses(1))}, dataPlane: "namespaces" })
        .then(async (cluster) => {
          const response = await fetch(cluster.nodes[0].httpUrl + "/v1/cluster", { headers: { authorization: "Basic " + Buffer.from(cluster.username + ":" + cluster.password).toString("base64") } });
          console.log(JSON.stringify({ layout: cluster.dataPlane.layout, reason: cluster.dataPlane.reason, api: response.status }));
          await cluster.stop();
        })
        .catch((error) => { console.error(error); process.exit(1); });`;
    const identity = asNobody ? { uid: 65534, gid: 65534 } : {};
    const child = spawn(process.execPath, ["-e", script], { ...identity, stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    clearTimeout(killer);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout.trim()) as { layout: string; reason: string; api: number };
    assert.equal(report.layout, "off");
    assert.match(report.reason, /namespaces layout needs root/);
    assert.equal(report.api, 200, "the control plane answers");
    assert.match(stderr, /rs-emulator: no data plane, control plane only: the namespaces layout needs root/);
  });

  it("without redis-server the control plane runs and start-up says why", async function () {
    const script = `
      const { startCluster } = require(${JSON.stringify(join(__dirname, "..", "..", "emulator"))});
      startCluster({ keyBits: ${TEST_KEY_BITS}, nodes: 1, addresses: ${JSON.stringify(loopbackAddresses(1))}, dataPlane: "loopback" })
        .then(async (cluster) => {
          console.log(JSON.stringify({ layout: cluster.dataPlane.layout, reason: cluster.dataPlane.reason, pids: cluster.dataPlane.processIds() }));
          await cluster.stop();
        })
        .catch((error) => { console.error(error); process.exit(1); });`;
    const child = spawn(process.execPath, ["-e", script], { env: { ...process.env, RS_EMULATOR_REDIS_SERVER: "/nonexistent/redis-server" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    clearTimeout(killer);
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout.trim()), { layout: "off", reason: "RS_EMULATOR_REDIS_SERVER=/nonexistent/redis-server is not an executable file", pids: [] });
    assert.match(stderr, /rs-emulator: no data plane, control plane only: RS_EMULATOR_REDIS_SERVER=\/nonexistent\/redis-server is not an executable file/);
  });
});
