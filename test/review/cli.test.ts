// The `pulumi-redis-enterprise` command: the package's bin entry, run as a consumer runs it, and its errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "mocha";
import { main } from "../../review/cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const FIXTURE = path.join(ROOT, "test", "review", "fixtures", "preview-databases.json");

function run(argv: string[], stdin = "") {
  let out = "";
  let err = "";
  const code = main(argv, { out: (text) => (out += text), err: (text) => (err += text), stdin: () => stdin });
  return { code, out, err };
}

describe("pulumi-redis-enterprise review (command)", () => {
  it("is the package's bin next to rs-emulator, and prints the report of a file through node", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    assert.deepEqual(pkg.bin, { "pulumi-redis-enterprise": "dist/review/cli.js", "rs-emulator": "dist/emulator/cli.js" });
    const bin = path.join(ROOT, pkg.bin["pulumi-redis-enterprise"]!);
    assert.match(fs.readFileSync(bin, "utf8"), /^#!\/usr\/bin\/env node\n/);
    const result = spawnSync(process.execPath, [bin, "review", FIXTURE], { encoding: "utf8", timeout: 20_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^## Redis Enterprise: review of `pulumi preview`\n/);
    assert.match(result.stdout, /\| \*\*disconnects all clients\*\* \| Database `orders` \| `dataInternodeEncryption` \| `false` \| `true` \|/);
  });

  it("reads the answer from stdin with -", () => {
    const result = run(["review", "-"], fs.readFileSync(FIXTURE, "utf8"));
    assert.equal(result.code, 0);
    assert.match(result.out, /Database `cache` \(replace\)/);
  });

  it("exits 2 with a message that says what to do: no file, a missing file, not JSON, not a preview, an unknown command", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "review-cli-"));
    try {
      const notJson = path.join(dir, "out.txt");
      fs.writeFileSync(notJson, "Previewing update (dev):\n");
      const notPreview = path.join(dir, "other.json");
      fs.writeFileSync(notPreview, "[]");
      const cases: Array<[string[], RegExp]> = [
        [["review"], /^review needs the preview file\nusage: pulumi-redis-enterprise review/],
        [["review", path.join(dir, "missing.json")], /^cannot read .*missing\.json: ENOENT; write it with `pulumi preview --json > /],
        [["review", notJson], /out\.txt is not JSON \(.*\); write it with `pulumi preview --json > .*` \(--json, and nothing else on stdout\)/],
        [["review", notPreview], /other\.json: the input is not a `pulumi preview --json` answer/],
        [["preview", "x.json"], /^unknown command "preview"\n/],
        [[], /^no command given\n/],
        [["review", "--bogus"], /Unknown option '--bogus'/],
      ];
      for (const [argv, expected] of cases) {
        const result = run(argv);
        assert.equal(result.code, 2, argv.join(" "));
        assert.equal(result.out, "", argv.join(" "));
        assert.match(result.err, expected, argv.join(" "));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
