// A refresh of many databases through the real Pulumi CLI: with `--parallel` at least the number of databases, the
// engine sends every Read at once, the host hands them to the provider one after another, and the reads of the
// cluster share one GET /v1/bdbs (provider/rest/coalesce.ts, the rising stream) instead of one GET each. Counted at
// the emulator; the refresh must also find no change (the shared list gives the same outputs as one GET each).
import assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import { startCluster, type EmulatedCluster } from "../../emulator";
import { Database } from "../../sdk";
import { inlineStack, makeSandbox, requireCli, type PulumiSandbox } from "./support/pulumi";

const PROJECT = "rs-refresh";
const STACK = "dev";
const DATABASES = 40;

describe(`e2e: pulumi refresh of ${DATABASES} databases with --parallel ${DATABASES * 2}`, function () {
  this.timeout(300_000);
  let sandbox: PulumiSandbox | undefined;
  let cluster: EmulatedCluster;
  let stack: Stack;

  const program = async () => {
    const connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
    for (let i = 1; i <= DATABASES; i++) new Database(`db-${i}`, { name: `refresh-${i}`, memorySize: "100MB", connection });
    return {};
  };

  before(async function () {
    const cliFolder = requireCli(this);
    sandbox = makeSandbox(cliFolder);
    cluster = await startCluster({ nodes: 1, operationDelayMs: 10, keyBits: 1024 });
    stack = await inlineStack(sandbox, PROJECT, STACK, program);
    await stack.up();
  });

  after(async () => {
    try {
      await stack?.destroy();
    } finally {
      await cluster?.stop();
      sandbox?.dispose();
    }
  });

  it("reads every database with a few REST calls instead of one each, and finds no change", async () => {
    // Rules that match and do nothing count the reads (the path without its query).
    const list = cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs$", latencyMs: 0 }).id;
    const single = cluster.admin.addFault({ method: "GET", path: "^/v1/bdbs/[0-9]+$", latencyMs: 0 }).id;
    const hits = (id: string) => cluster.admin.faults().find((rule) => rule.id === id)?.hits ?? 0;
    try {
      const result = await stack.refresh({ parallel: DATABASES * 2 });
      const lists = hits(list);
      const singles = hits(single);
      assert.ok(lists >= 1, `no list was shared (${singles} single GETs)`);
      assert.ok(lists + singles <= 5, `${DATABASES} reads made ${lists} lists and ${singles} single GETs (one GET each would be ${DATABASES})`);
      assert.equal(result.summary.resourceChanges?.update ?? 0, 0, "the refresh found changes that are not there");
    } finally {
      cluster.admin.removeFault(list);
      cluster.admin.removeFault(single);
    }
    await stack.preview({ expectNoChanges: true });
  });
});
