// `npm run demo` on the embedded provider host (no pulumi CLI on the PATH): the whole story, checked line by line
// where it matters, and nothing left running afterwards. The real-CLI run is test/e2e/demo.test.ts.
import assert from "node:assert/strict";
import * as path from "node:path";
import { assertNothingLeft, assertStory, runDemoCaptured } from "./demo-run";
import { onPath } from "../../examples/demo/story";

describe("npm run demo on the embedded provider host", function () {
  this.timeout(180_000);

  it("bootstraps, firewalls, encrypts, previews the disconnect, drops only the orders client, finds and fixes drift, destroys, and leaves nothing", async () => {
    // The PATH without any folder that holds a pulumi CLI, and no PULUMI_CLI.
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: (process.env.PATH ?? "").split(path.delimiter).filter((folder) => !onPath("pulumi", { PATH: folder })).join(path.delimiter) };
    delete env.PULUMI_CLI;
    const run = await runDemoCaptured(env);
    assert.match(run.output, /^Engine: the embedded provider host \(no pulumi CLI on the PATH and PULUMI_CLI is not set\)/);
    assertStory(run);
    assert.match(run.output, /engine: +the embedded provider host/);
    assertNothingLeft(run);
  });
});
