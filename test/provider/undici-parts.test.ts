// The REST client loads only the parts of undici it uses (provider/rest/undici.ts), not the package's index, which
// costs a new provider host (every `pulumi` command starts one) about 30 ms more. The parts must be undici's own,
// with the request API the index would have put on every dispatcher.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { Agent, PART_FILES, buildConnector, undiciLoadedFrom } from "../../provider/rest/undici";

describe("undici's parts, loaded without its index", () => {
  it("come from their own files in the installed undici (an upgrade that moved them falls back to the index, and fails here)", () => {
    assert.equal(undiciLoadedFrom, "parts");
    for (const file of Object.values(PART_FILES)) assert.ok(require.resolve(file), file);
  });

  it("loading the provider does not load undici's index", () => {
    const providerEntry = path.resolve(__dirname, "..", "..", "provider");
    const script = `require(${JSON.stringify(providerEntry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((f) => /[\\\\/]undici[\\\\/]/.test(f)).map((f) => f.split(/[\\\\/]undici[\\\\/]/)[1])))`;
    const loaded = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" })) as string[];
    assert.ok(loaded.includes("lib/dispatcher/agent.js"), `the provider loaded no undici Agent: ${loaded.join(", ")}`);
    assert.ok(!loaded.includes("index.js"), "the provider loaded undici's whole index");
    assert.ok(!loaded.some((file) => file.startsWith("lib/web/")), "the provider loaded undici's fetch or WebSocket");
  });

  it("are the very classes and functions the index exports, with its request API on the Agent", () => {
    const undici = require("undici") as typeof import("undici");
    assert.equal(Agent, undici.Agent);
    assert.equal(buildConnector, undici.buildConnector);
    for (const method of ["request", "stream", "pipeline", "upgrade", "connect"] as const) {
      assert.equal(typeof Agent.prototype[method], "function", method);
      assert.equal(Agent.prototype[method], undici.Dispatcher.prototype[method], method);
    }
  });
});
