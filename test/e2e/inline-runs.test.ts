// The e2e support's inline stacks close the gRPC clients each run of the program opened, when its operation ends.
// The SDK leaves them open, and a client left open by a failed up kept reconnecting to its CLI's dead port until a
// later CLI got that port: that later up then failed at its first call, "14 UNAVAILABLE: No connection established"
// (support/pulumi.ts, closeRunClients, says how).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { Stack } from "@pulumi/pulumi/automation";
import { currentRunClients, inlineStack, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";
import { failure } from "./support/watch";

/** grpc-js as the SDK loads it (a dependency of @pulumi/pulumi, not of this package). */
const grpc = createRequire(require.resolve("@pulumi/pulumi"))("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
type Client = { getChannel(): { getConnectivityState(tryToConnect: boolean): number } };

describe("e2e support: an inline run's gRPC clients are closed when its operation ends", function () {
  this.timeout(120_000);
  let sandbox: PulumiSandbox | undefined;
  let stack: Stack;
  /** The clients of the last run, as the program saw them. */
  let opened: Client[] = [];
  let failOnPurpose = false;

  before(async function () {
    sandbox = makeSandbox(requireCli(this));
    stack = await inlineStack(sandbox, "rs-inline-runs", "dev", async () => {
      const run = currentRunClients();
      assert.ok(run, "the program did not run in a store of its own");
      // By the time the program runs, the SDK has registered the stack through both clients.
      opened = [run.settings.monitor, run.settings.engine].filter((client) => client !== undefined) as unknown as Client[];
      if (failOnPurpose) throw new Error("this program fails on purpose");
      return {};
    });
  });

  after(() => sandbox?.dispose());

  const states = () => opened.map((client) => grpc.connectivityState[client.getChannel().getConnectivityState(false)]);

  it("after an up that succeeds", async () => {
    opened = [];
    await stack.up();
    assert.equal(opened.length, 2, "the run opened no monitor and engine clients");
    assert.deepEqual(states(), ["SHUTDOWN", "SHUTDOWN"]);
  });

  it("after an up that fails", async () => {
    opened = [];
    failOnPurpose = true;
    assert.match(await failure(stack.up()), /this program fails on purpose/);
    assert.equal(opened.length, 2, "the run opened no monitor and engine clients");
    assert.deepEqual(states(), ["SHUTDOWN", "SHUTDOWN"]);
  });
});
