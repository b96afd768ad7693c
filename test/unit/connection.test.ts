// The connection input is validated once (provider/rest/connection-fields.ts): what check accepts, the REST
// client accepts, and what the client refuses, check reports as a failure instead of a TypeError at create.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { connectionProblems } from "../../provider/connection";
import { providers } from "../../provider";
import { RsClient, type Connection } from "../../provider/rest";
import { CONNECTION_FIELDS } from "../../provider/rest/connection-fields";
import { readStackSettings } from "../../provider/settings";

const GOOD: Connection = { url: "https://127.0.0.1:9443", username: "admin@example.com", password: "s3cret-pass" };

/** Whether the REST client accepts the connection (it throws a TypeError when it does not). */
function clientAccepts(connection: Record<string, unknown>): boolean {
  try {
    void new RsClient(connection as unknown as Connection).close();
    return true;
  } catch (error) {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`);
    return false;
  }
}

describe("connection validation, written once", () => {
  it("a url with a query string fails check cleanly, with the client's own sentence", async () => {
    const connection = { ...GOOD, url: "https://127.0.0.1:9443/?x=1" };
    assert.deepEqual(connectionProblems(connection), [
      { property: "connection.url", reason: "connection.url must not have a query or fragment; got https://127.0.0.1:9443/..." },
    ]);
    const { failures } = await providers.Database.check!({}, { name: "orders", memorySize: "1GB", connection });
    assert.deepEqual(failures, [{ property: "connection.url", reason: "connection.url must not have a query or fragment; got https://127.0.0.1:9443/..." }]);
    assert.equal(clientAccepts(connection), false);
  });

  it("check and the client agree on every field's good and bad values", () => {
    const cases: Record<string, unknown>[] = [
      { ...GOOD },
      { ...GOOD, url: "https://127.0.0.1:9443#frag" },
      { ...GOOD, url: "ftp://127.0.0.1" },
      { ...GOOD, url: "https://user:pw@127.0.0.1:9443" },
      { ...GOOD, url: "not a url" },
      { ...GOOD, username: "" },
      { ...GOOD, password: "" },
      { ...GOOD, caFingerprintSha256: "abc" },
      { ...GOOD, caFingerprintSha256: "AB:".repeat(31) + "AB" },
      { ...GOOD, caCertPem: "not a pem" },
      { ...GOOD, insecureSkipVerify: "yes" },
      { ...GOOD, insecureSkipVerify: true },
    ];
    for (const connection of cases) {
      assert.equal(connectionProblems(connection).length === 0, clientAccepts(connection), JSON.stringify(connection));
    }
  });

  it("stack config reads every string field of the one field list", () => {
    const values: Record<string, string> = {};
    for (const field of CONNECTION_FIELDS) values[`redisenterprise:${field}`] = field === "insecureSkipVerify" ? "true" : `value-of-${field}`;
    const { settings, problems } = readStackSettings((key) => values[key]);
    assert.deepEqual(problems, []);
    assert.deepEqual(Object.keys(settings.connection).sort(), [...CONNECTION_FIELDS].sort());
  });

  it("reads redisenterprise:validateAtPreview as a boolean, off unless set, and names the key for anything else", () => {
    assert.equal(readStackSettings(() => undefined).settings.validateAtPreview, undefined);
    assert.equal(readStackSettings((key) => (key === "redisenterprise:validateAtPreview" ? "true" : undefined)).settings.validateAtPreview, true);
    assert.equal(readStackSettings((key) => (key === "redisenterprise:validateAtPreview" ? "false" : undefined)).settings.validateAtPreview, false);
    assert.deepEqual(readStackSettings((key) => (key === "redisenterprise:validateAtPreview" ? "yes" : undefined)).problems, [
      { key: "redisenterprise:validateAtPreview", reason: 'must be "true" or "false"; got "yes"' },
    ]);
  });

  it("an unknown field is reported by check, naming the expected fields", () => {
    assert.deepEqual(connectionProblems({ ...GOOD, uri: "x" }), [
      { property: "connection.uri", reason: 'connection has an unknown field "uri"; expected one of url, username, password, caCertPem, caFingerprintSha256, insecureSkipVerify' },
    ]);
  });
});
