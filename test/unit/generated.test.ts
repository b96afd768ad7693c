// Generated, not restated: the SDK source generated from the resource definitions must be current, and what the
// SDK classes use (kind, output keys, secret outputs) must be what the tables say.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "mocha";
import { GENERATED_SDK_PATH, generatedSdkSource } from "../../docs/generate-sdk";
import { erasedRows, outputKeysOf, secretOutputsOf, typeOfShape } from "../../provider/core";
import { DATABASE_RESOURCE } from "../../provider/database";
import { providers } from "../../provider";
import { RESOURCE_DEFINITIONS } from "../../provider/resources";
import { FIREWALL_RESOURCE, FIREWALL_SECRET_OUTPUTS } from "../../provider/firewall";
import { ROTATION_RESOURCE } from "../../provider/rotation/logic";
import {
  CERTIFICATE_ROTATION_KIND,
  CERTIFICATE_ROTATION_OUTPUT_KEYS,
  CERTIFICATE_ROTATION_SECRET_OUTPUTS,
  DATABASE_KIND, DATABASE_OUTPUT_KEYS, DATABASE_SECRET_OUTPUTS, INTERNODE_FIREWALL_KIND, INTERNODE_FIREWALL_OUTPUT_KEYS, INTERNODE_FIREWALL_SECRET_OUTPUTS,
} from "../../sdk/generated/resources";

describe("generated from the tables", () => {
  it("sdk/generated/resources.ts is current (run `npm run docs` after changing a table)", () => {
    assert.equal(readFileSync(GENERATED_SDK_PATH, "utf8"), generatedSdkSource());
  });

  it("secret outputs come from the rows' secret flags and the secret settings", () => {
    assert.deepEqual(secretOutputsOf(DATABASE_RESOURCE), ["password", "connection"]);
    assert.deepEqual([...DATABASE_SECRET_OUTPUTS], secretOutputsOf(DATABASE_RESOURCE));
    for (const row of DATABASE_RESOURCE.table.rows) assert.equal(DATABASE_SECRET_OUTPUTS.includes(row.name as never), row.secret === true, row.name);
  });

  it("InternodeFirewall: registered, its kind, seeded outputs and secret outputs (the declared nodes hold ssh keys) generated", () => {
    assert.ok(RESOURCE_DEFINITIONS.includes(FIREWALL_RESOURCE as never));
    assert.equal(INTERNODE_FIREWALL_KIND, "InternodeFirewall");
    assert.deepEqual([...INTERNODE_FIREWALL_SECRET_OUTPUTS], secretOutputsOf(FIREWALL_RESOURCE));
    assert.deepEqual([...INTERNODE_FIREWALL_SECRET_OUTPUTS], [...FIREWALL_SECRET_OUTPUTS]);
    assert.deepEqual([...INTERNODE_FIREWALL_OUTPUT_KEYS], ["nodes", "ports", "allowedSources", "table", "rules", "declaredNodes", "managedProperties", "lastUpdateImpacts"]);
  });

  it("output keys are every row then the output-only keys", () => {
    assert.deepEqual([...DATABASE_OUTPUT_KEYS], outputKeysOf(DATABASE_RESOURCE));
    assert.deepEqual(DATABASE_OUTPUT_KEYS.slice(0, DATABASE_RESOURCE.table.rows.length), DATABASE_RESOURCE.table.rows.map((row) => row.name));
  });

  it("CertificateRotation: kind, output keys (its certificates names under requestedCertificates, the parsed entries under certificates) and secret outputs come from its definition", () => {
    assert.equal(CERTIFICATE_ROTATION_KIND, ROTATION_RESOURCE.kind);
    assert.deepEqual([...CERTIFICATE_ROTATION_OUTPUT_KEYS], outputKeysOf(ROTATION_RESOURCE));
    assert.ok(CERTIFICATE_ROTATION_OUTPUT_KEYS.includes("requestedCertificates") && CERTIFICATE_ROTATION_OUTPUT_KEYS.includes("certificates"));
    assert.ok(CERTIFICATE_ROTATION_OUTPUT_KEYS.includes("expiresWithinThreshold"));
    assert.deepEqual([...CERTIFICATE_ROTATION_SECRET_OUTPUTS], secretOutputsOf(ROTATION_RESOURCE));
    assert.deepEqual([...CERTIFICATE_ROTATION_SECRET_OUTPUTS], ["connection"]);
    assert.ok(RESOURCE_DEFINITIONS.includes(ROTATION_RESOURCE as never));
  });

  it("every definition's kind is a provider the shim can forward to", () => {
    assert.equal(DATABASE_KIND, "Database");
    for (const definition of RESOURCE_DEFINITIONS) assert.ok(definition.kind in providers, `${definition.kind} has no provider in provider/index.ts`);
  });

  it("every row's schema has a shape, so its SDK type is generated rather than unknown", () => {
    for (const definition of RESOURCE_DEFINITIONS) {
      for (const row of erasedRows(definition.table)) {
        assert.notEqual(typeOfShape(row.schema.shape, "input"), "unknown", `${definition.kind}.${row.name} has no schema shape`);
      }
    }
  });

  it("renders shapes as TypeScript types", () => {
    assert.equal(typeOfShape({ kind: "bytes" }, "input"), "number | string");
    assert.equal(typeOfShape({ kind: "bytes" }, "output"), "number");
    assert.equal(typeOfShape({ kind: "list", items: { kind: "enum", values: ["a", "b"] } }, "input"), '("a" | "b")[]');
    assert.equal(
      typeOfShape({ kind: "object", fields: { secs: { shape: { kind: "integer" }, optional: false }, args: { shape: { kind: "string" }, optional: true } } }, "input"),
      "{ secs: number; args?: string }",
    );
  });
});
