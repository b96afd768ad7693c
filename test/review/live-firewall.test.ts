// The review report on the InternodeFirewall answers the real Pulumi CLI gives now: the fixture generator's
// firewall sequence (fixtures/README.md, steps 6-9: up on three network namespaces, a preview per stage, a
// --refresh preview after tables edited by hand, destroy) into a temporary folder, and each answer's report equal
// to the committed fixture's once namespace names (which carry the generating process's pid) are set aside.
// Needs the CLI and language host (scripts/pulumi-cli.sh, or PULUMI_BIN) and network namespaces (root); skipped
// with the reason without them.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "mocha";
import { renderReview, reviewPreview } from "../../review/report";
import { namespacesForbidden } from "../provider/support/netns";
import { cliFolder, generateFirewallFixtures } from "./fixtures/generate";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "review", "fixtures");
const NAMES = ["preview-firewall.json", "preview-table.json", "preview-firewall-refresh-drift.json"];

describe("review report on the real CLI's InternodeFirewall answers, made now", function () {
  this.timeout(180_000);

  it("reports each answer as the committed fixture of the same stage", async function () {
    const bin = cliFolder();
    if (!bin) {
      console.log("      skipped: the Pulumi CLI and language host are not built here (scripts/pulumi-cli.sh, or PULUMI_BIN)");
      this.skip();
    }
    const forbidden = await namespacesForbidden();
    if (forbidden) {
      console.log(`      skipped: ${forbidden}`);
      this.skip();
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "review-live-firewall-"));
    try {
      await generateFirewallFixtures(bin!, out);
      const report = (folder: string, name: string) =>
        renderReview(reviewPreview(JSON.parse(fs.readFileSync(path.join(folder, name), "utf8")))).replace(/rsfw-\d+-\d+-/g, "rsfw-<pid>-<lab>-");
      for (const name of NAMES) assert.equal(report(out, name), report(FIXTURES, name), name);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
