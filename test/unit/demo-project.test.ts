// Pulumi.yaml must name the compiled demo entry file: given a directory, the Node.js language host resolves it
// through the nearest package.json (this package's own "exports" -> dist/sdk/index.js) and `pulumi up` silently
// runs an empty program. Seen with the real CLI.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..", "..");

describe("Pulumi.yaml (the demo project)", () => {
  it("names the compiled demo program as a file that exists after the build", () => {
    const main = /^main:\s*(\S+)\s*$/m.exec(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"))?.[1];
    assert.equal(main, "dist/examples/demo/index.js");
    assert.ok(fs.statSync(path.join(ROOT, main)).isFile(), `${main} is not a file`);
  });
});
