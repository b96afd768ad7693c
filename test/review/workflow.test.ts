// The GitHub Actions example (examples/review-workflow/review-comment.yml) against the tools it calls: every flag
// of its `pulumi` commands is one the real CLI's `pulumi preview` accepts (its --help, global flags included), and
// its report command is this package's bin with the `review <file>` form the command parses. Needs the CLI that
// scripts/pulumi-cli.sh builds for the first part: without it, skipped with the reason (failed in CI).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "mocha";
import { main } from "../../review/cli";
import { repositoryRoot } from "../engine/harness";
import { requireCli } from "../e2e/support/pulumi";

const ROOT = repositoryRoot();
const WORKFLOW = fs.readFileSync(path.join(ROOT, "examples", "review-workflow", "review-comment.yml"), "utf8");

/** The workflow's command lines that start with the given program (after `run: ` or an indented block). */
const commands = (program: string) =>
  WORKFLOW.split("\n")
    .map((line) => line.replace(/^\s*(-\s*)?(run:\s*)?/, ""))
    .filter((line) => line.startsWith(`${program} `));

describe("the review workflow example (examples/review-workflow)", () => {
  it("passes `pulumi preview` only flags the real CLI accepts", function () {
    const bin = requireCli(this);
    const help = execFileSync(path.join(bin, "pulumi"), ["preview", "--help"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    const previews = commands("pulumi").filter((line) => line.startsWith("pulumi preview "));
    assert.equal(previews.length, 1, WORKFLOW);
    const flags = [...previews[0]!.matchAll(/(?<=\s)--?[a-z][a-z-]*/g)].map((match) => match[0]);
    assert.deepEqual(flags, ["--stack", "--refresh", "--json", "--non-interactive"]);
    for (const flag of flags) assert.match(help, new RegExp(`(^|\\s)${flag}[\\s=]`, "m"), `pulumi preview --help has no ${flag}`);
  });

  it("runs this package's bin as `review <file>`, which prints the report", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    const reviews = commands("npx");
    assert.deepEqual(reviews, ["npx pulumi-redis-enterprise review preview.json > review.md"]);
    const [, name, ...argv] = reviews[0]!.split(" > ")[0]!.split(" ");
    assert.ok(pkg.bin[name!], `package.json has no bin ${name}`);
    let out = "";
    const file = path.join(ROOT, "test", "review", "fixtures", "preview-deny.json"); // a failed preview's JSON, as the workflow keeps it
    const code = main(argv.map((arg) => (arg === "preview.json" ? file : arg)), { out: (text) => (out += text), err: () => undefined, stdin: () => "" });
    assert.equal(code, 0);
    assert.match(out, /### Refused/);
  });
});
