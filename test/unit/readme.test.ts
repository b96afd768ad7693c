// The README's generated sections must equal what the property tables render now (npm run docs rewrites them).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { README_PATH, withGeneratedSections } from "../../docs/update-readme";

describe("README.md", () => {
  it("holds the current generated property reference (run `npm run docs` after changing a table)", () => {
    const readme = fs.readFileSync(README_PATH, "utf8");
    assert.equal(readme, withGeneratedSections(readme));
  });
});
