// `npm run demo` with the real Pulumi CLI (named by PULUMI_CLI): every step is the CLI's own, through the
// Automation API with the demo's program; the same story as on the embedded host (test/engine/demo.test.ts),
// with the CLI's property-level preview diff, and its temporary backend gone afterwards.
import assert from "node:assert/strict";
import * as path from "node:path";
import { assertNothingLeft, assertStory, runDemoCaptured, section } from "../engine/demo-run";
import { requireCli } from "./support/pulumi";

describe("e2e: npm run demo with the real Pulumi CLI", function () {
  this.timeout(240_000);
  let cliFolder: string;
  before(function () {
    cliFolder = requireCli(this);
  });

  it("tells the whole story through the CLI, says so, and leaves nothing", async () => {
    const run = await runDemoCaptured({ ...process.env, PULUMI_CLI: path.join(cliFolder, "pulumi") });
    assert.match(run.output, /^Engine: the real Pulumi CLI, .*pulumi \(v\d+\.\d+\.\d+, named by PULUMI_CLI\)/);
    assertStory(run);
    const preview = section(run.output, "pulumi preview --diff");
    assert.match(preview, /~ dataInternodeEncryption: false => true/);
    assert.match(preview, /~ 1 to update/);
    assert.match(section(run.output, "pulumi up: bootstrap the cluster"), new RegExp(`\\+ ${run.layout === "namespaces" ? 7 : 6} created`));
    assert.match(section(run.output, "pulumi refresh"), /Database sessions updated .*\[diff: ~memorySize\]/);
    const folders = /Pulumi state: a file backend in (\S+) and (\S+) \(removed at the end\)/.exec(run.output);
    assert.ok(folders, "the demo did not say where the Pulumi state was");
    assertNothingLeft(run, [folders[1]!, folders[2]!]);
  });
});
