// How the serialized shim finds the implementation when the package name does not resolve, as under the real
// CLI in this repository (the host runs in the program's folder, dist/examples/demo, and no node_modules holds
// the package): it walks up to this package. The text records nothing about the machine (issue 7, defect 5:
// it embedded the checkout's absolute path), so state does not depend on where the package was installed.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { providerShim } from "../../sdk/shim";
import { repositoryRoot, serializeProvider, startProviderHost, type ProviderHost } from "./harness";

const URN = "urn:pulumi:dev::shim::pulumi-nodejs:dynamic/redisenterprise:Database::db";

describe("the serialized shim without the package on the module path", function () {
  this.timeout(30_000);
  let shimText: string;
  const hosts: ProviderHost[] = [];

  before(async () => {
    shimText = await serializeProvider(providerShim("Database"));
  });
  after(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
  });

  async function checkFrom(cwd: string) {
    const host = await startProviderHost({ project: "shim", config: {}, cwd, resolveOwnPackage: false });
    hosts.push(host);
    await host.configure({});
    return host.check(URN, {}, { name: "db", memorySize: "1GB", __provider: shimText });
  }

  it("finds this package by walking up from the program's folder", async () => {
    const result = await checkFrom(path.join(repositoryRoot(), "dist", "examples", "demo"));
    // The implementation ran: with no connection at all it answers with its own check failure.
    assert.equal(result.failures[0]?.property, "connection");
  });

  it("records no path of this machine in the serialized text", () => {
    const root = repositoryRoot();
    assert.ok(!shimText.includes(root), `the __provider text contains the checkout's path ${root}`);
    assert.ok(!shimText.includes(os.homedir()), "the __provider text contains the home folder");
    assert.doesNotMatch(shimText, /\/(dist|provider)\/index\.js/);
  });

  it("outside any copy of the package, fails saying where it looked and what to install", async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "shim-outside-"));
    try {
      await assert.rejects(checkFrom(outside), (error: Error) => {
        assert.match(error.message, /provider implementation cannot be loaded/);
        assert.ok(error.message.includes(outside), error.message);
        assert.match(error.message, /npm install pulumi-redis-enterprise/);
        return true;
      });
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
