// provider/core is the pure layer every resource builds on: it imports nothing outside its folder (no settings,
// no REST client, no node: modules), so its logic is testable on values alone and cannot grow an upward
// dependency again (core/table.ts once imported ../settings).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "mocha";

/** The source folder (tests run from dist/test/unit). */
const CORE = join(__dirname, "..", "..", "..", "provider", "core");

describe("provider/core purity", () => {
  it("imports only from inside provider/core", () => {
    const files = readdirSync(CORE).filter((file) => file.endsWith(".ts"));
    assert.ok(files.length >= 10, `expected the core sources in ${CORE}`);
    const outside: string[] = [];
    for (const file of files) {
      for (const match of readFileSync(join(CORE, file), "utf8").matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"/gm)) {
        if (!match[1].startsWith("./")) outside.push(`${file}: ${match[1]}`);
      }
    }
    assert.deepEqual(outside, []);
  });
});
