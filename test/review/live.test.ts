// The review report on answers the real Pulumi CLI gives now: the fixture generator's whole sequence (up, a
// preview per stage, a --refresh preview after out-of-band edits, destroy) into a temporary folder, and each
// answer's report equal to the committed fixture's (ports, certificates and timestamps differ between runs; the
// report prints none of them). Needs the CLI and language host (scripts/pulumi-cli.sh, or PULUMI_BIN); skipped
// with the reason without them.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "mocha";
import { renderReview, reviewPreview } from "../../review/report";
import { cliFolder, generateFixtures } from "./fixtures/generate";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "review", "fixtures");
const NAMES = ["preview-databases.json", "preview-cluster.json", "preview-deny.json", "preview-refresh-drift.json"];

describe("review report on the real CLI's answers, made now", function () {
  this.timeout(300_000);

  it("reports each answer exactly as the committed fixture of the same stage", async function () {
    const bin = cliFolder();
    if (!bin) {
      console.log("      skipped: the Pulumi CLI and language host are not built here (scripts/pulumi-cli.sh, or PULUMI_BIN)");
      this.skip();
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "review-live-"));
    try {
      await generateFixtures(bin!, out);
      const report = (folder: string, name: string) => renderReview(reviewPreview(JSON.parse(fs.readFileSync(path.join(folder, name), "utf8"))));
      for (const name of NAMES) assert.equal(report(out, name), report(FIXTURES, name), name);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
