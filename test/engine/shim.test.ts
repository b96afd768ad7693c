// How the serialized shim finds the implementation when the package name does not resolve, as under the real
// CLI in this repository (the host runs in the program's folder, dist/examples/demo, and no node_modules holds
// the package): it walks up to this package, so state does not depend on where the checkout was; only outside
// any copy of the package does it use the path recorded at serialization time.
import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { providerShim } from "../../sdk/shim";
import { repositoryRoot, serializeProvider, startProviderHost, type ProviderHost } from "./harness";

const URN = "urn:pulumi:dev::shim::pulumi-nodejs:dynamic/redisenterprise:Database::db";
const RECORDED_PATH = "/nonexistent/checkout/dist/provider/index.js";

describe("the serialized shim without the package on the module path", function () {
  this.timeout(30_000);
  let shimText: string;
  const hosts: ProviderHost[] = [];

  before(async () => {
    // A shim whose recorded path no longer exists, as after moving the checkout.
    shimText = await serializeProvider(providerShim("Database", RECORDED_PATH));
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

  it("outside any copy of the package, falls back to the recorded path and says which", async () => {
    await assert.rejects(checkFrom(os.tmpdir()), new RegExp(RECORDED_PATH.replace(/[/.]/g, "\\$&")));
  });
});
