// `npm run demo` on the embedded provider host (no pulumi CLI on the PATH): the whole story, checked line by line
// where it matters, and nothing left running afterwards, also after a Ctrl-C in the middle of it. The real-CLI
// run is test/e2e/demo.test.ts.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertNothingLeft, assertStory, runDemoCaptured } from "./demo-run";
import { onPath } from "../../examples/demo/story";

/** This process's environment without any pulumi CLI: no PULUMI_CLI, and no PATH folder that holds `pulumi`. */
function withoutCli(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: (process.env.PATH ?? "").split(path.delimiter).filter((folder) => !onPath("pulumi", { PATH: folder })).join(path.delimiter) };
  delete env.PULUMI_CLI;
  return env;
}

describe("npm run demo on the embedded provider host", function () {
  this.timeout(180_000);

  it("bootstraps, firewalls, encrypts, previews the disconnect, drops only the orders client, finds and fixes drift, destroys, and leaves nothing", async () => {
    const run = await runDemoCaptured(withoutCli());
    assert.match(run.output, /^Engine: the embedded provider host \(no pulumi CLI on the PATH and PULUMI_CLI is not set\)/);
    assertStory(run);
    assert.match(run.output, /engine: +the embedded provider host/);
    assertNothingLeft(run);
  });

  it("on Ctrl-C in the middle of the first up, stops everything it started and exits 130", async () => {
    const runJs = path.join(__dirname, "..", "..", "examples", "demo", "run.js");
    const script = `require(${JSON.stringify(runJs)}).runDemo({ keyBits: 1024, operationDelayMs: 20 }).then((ok) => { process.exitCode = ok ? 0 : 1; })`;
    const child = spawn(process.execPath, ["-e", script], { env: withoutCli(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    try {
      // Interrupted while the engine is busy: the cluster bootstrap of the first up (its first note).
      const deadline = Date.now() + 60_000;
      while (!output.includes("creating the cluster on node") && Date.now() < deadline && child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(output.includes("creating the cluster on node"), `the demo did not reach the cluster's bootstrap:\n${output}`);
      child.kill("SIGINT");
      assert.equal(await exited, 130, output);
    } finally {
      clearTimeout(killer);
    }
    assert.match(output, /SIGINT: stopping the demo and everything it started\.\.\./);
    const pid = child.pid!;
    const namespaces = (spawnSync("ip", ["netns", "list"], { encoding: "utf8", timeout: 5000 }).stdout ?? "").split("\n").filter((line) => line.startsWith(`rsd-${pid}-`));
    assert.deepEqual(namespaces, [], "network namespaces outlived the interrupted demo");
    assert.deepEqual(fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(`rs-emulator-dp-${pid}-`)), [], "data-plane work folders outlived the interrupted demo");
    const processes = (spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8", timeout: 5000 }).stdout ?? "").split("\n").filter((line) => line.includes(`rs-emulator-dp-${pid}-`) || line.includes(`rsd-${pid}-`));
    assert.deepEqual(processes, [], "processes of the interrupted demo are still running");
  });
});
