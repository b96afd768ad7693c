// The emulator and the provider each encode the reference's value lists on their own (emulator/validation/bdb.ts
// says why: a shared definition would let a wrong fact pass both sides). This test holds them against each other,
// row by row, derived from the provider's table: every enumerated or bounded Database row must have its emulator
// counterpart, and the two may differ only where DIFFERENCES below says why. The internal certificate names are
// held the same way.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { erasedRows, type SchemaShape } from "../../provider/core";
import { DATABASE_TABLE } from "../../provider/database";
import * as emulator from "../../emulator/validation/bdb";
import { INTERNAL_CERTIFICATE_NAMES as EMULATOR_CERTIFICATE_NAMES } from "../../emulator/pki/names";
import { INTERNAL_CERTIFICATE_NAMES } from "../../provider/certificates";

/** The emulator's list for each REST field the provider enumerates. */
const EMULATOR_ENUMS: Readonly<Record<string, readonly string[]>> = {
  proxy_policy: emulator.PROXY_POLICIES,
  eviction_policy: emulator.EVICTION_POLICIES,
  data_persistence: emulator.DATA_PERSISTENCE_MODES,
  aof_policy: emulator.AOF_POLICIES,
  tls_mode: emulator.TLS_MODES,
};

/** Values one side knows and the other does not, each with the reason. None today. */
const DIFFERENCES: Readonly<Record<string, { onlyProvider?: readonly string[]; onlyEmulator?: readonly string[]; why: string }>> = {};

function enumRows(): { name: string; restField: string; values: readonly string[] }[] {
  return erasedRows(DATABASE_TABLE).flatMap((row) => {
    const shape: SchemaShape | undefined = row.schema.shape;
    return shape?.kind === "enum" ? [{ name: row.name, restField: row.restField, values: shape.values }] : [];
  });
}

describe("the emulator's value lists against the provider's", () => {
  it("every enumerated row has the emulator's list for its REST field, with the same values", () => {
    const rows = enumRows();
    assert.ok(rows.length >= 5, "the table's enumerated rows were not found");
    for (const row of rows) {
      const list = EMULATOR_ENUMS[row.restField];
      assert.ok(list, `${row.name} (${row.restField}) has no emulator list in this test; add it`);
      const known = DIFFERENCES[row.restField];
      const onlyProvider = row.values.filter((value) => !list.includes(value));
      const onlyEmulator = list.filter((value) => !row.values.includes(value));
      assert.deepEqual(onlyProvider, [...(known?.onlyProvider ?? [])], `${row.restField}: values only the provider accepts`);
      assert.deepEqual(onlyEmulator, [...(known?.onlyEmulator ?? [])], `${row.restField}: values only the emulator accepts`);
    }
  });

  it("bounded rows agree: port range, shard count, name pattern", () => {
    const shapeOf = (name: string) => erasedRows(DATABASE_TABLE).find((row) => row.name === name)?.schema.shape;
    const port = shapeOf("port");
    assert.ok(port?.kind === "integer");
    assert.deepEqual([port.min, port.max], [emulator.MIN_DB_PORT, emulator.MAX_DB_PORT]);
    const shards = shapeOf("shardsCount");
    assert.ok(shards?.kind === "integer");
    assert.equal(shards.max, emulator.MAX_SHARDS);
    const name = shapeOf("name");
    assert.ok(name?.kind === "string");
    assert.equal(name.pattern?.source, emulator.DB_NAME_PATTERN.source);
  });

  it("the internal certificate names CertificateRotation accepts are the ones the emulator's cluster carries", () => {
    assert.deepEqual([...INTERNAL_CERTIFICATE_NAMES].sort(), [...EMULATOR_CERTIFICATE_NAMES].sort());
  });
});
