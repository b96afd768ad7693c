// The example projects' wiring, checked without the Pulumi CLI (test/e2e/examples.test.ts runs them with it, and
// skips where the CLI is not built): each Pulumi.yaml names a Node.js program that the build really produced, and
// each README says how to run it against the emulator and a real cluster.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { repositoryRoot } from "../engine/harness";

const EXAMPLES = path.join(repositoryRoot(), "examples");

/** The top-level `key: value` lines of a Pulumi.yaml (enough for name and main; nested blocks are skipped). */
function topLevel(manifest: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of manifest.split("\n")) {
    const match = /^([A-Za-z]+):\s*(\S.*)?$/.exec(line);
    if (match && match[2] !== undefined) values[match[1]!] = match[2].trim();
  }
  return values;
}

describe("examples/: Pulumi projects", () => {
  const projects = fs
    .readdirSync(EXAMPLES)
    .filter((folder) => fs.existsSync(path.join(EXAMPLES, folder, "Pulumi.yaml")))
    .sort();

  it("are the four the README lists, at least", () => {
    for (const expected of ["cloud-security-group", "production", "quickstart", "scheduled-rotation"]) assert.ok(projects.includes(expected), `examples/${expected}/Pulumi.yaml is missing`);
  });

  for (const folder of ["cloud-security-group", "production", "quickstart", "scheduled-rotation"]) {
    it(`${folder}: Pulumi.yaml runs a compiled Node.js program, and the README says how to run it`, () => {
      const manifest = fs.readFileSync(path.join(EXAMPLES, folder, "Pulumi.yaml"), "utf8");
      const values = topLevel(manifest);
      assert.match(values.name ?? "", /^redis-enterprise-[a-z-]+$/, "name");
      assert.match(manifest, /^runtime:\s*\n\s+name: nodejs\s*$/m, "runtime");
      const main = values.main;
      assert.ok(main, "no main");
      const compiled = path.resolve(EXAMPLES, folder, main);
      assert.ok(compiled.startsWith(path.join(repositoryRoot(), "dist", "examples", folder) + path.sep), `main ${main} is not this example's compiled program`);
      assert.ok(fs.existsSync(compiled), `main ${main} does not exist after npm run build`);
      const source = path.join(EXAMPLES, folder, path.basename(compiled).replace(/\.js$/, ".ts"));
      assert.ok(fs.existsSync(source), `no ${path.relative(EXAMPLES, source)} for ${main}`);

      const readme = fs.readFileSync(path.join(EXAMPLES, folder, "README.md"), "utf8");
      assert.match(readme, /^## Running it/m, "README: how to run it");
      assert.match(readme, /rs-emulator|npm run emulator/, "README: the emulator");
      assert.match(readme, /own project/, "README: what to copy into your own project");
    });
  }
});
