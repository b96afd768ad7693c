// Properties of every row of every framework resource, on inputs generated from the rows' own schemas
// (test/unit/arbitraries.ts): the canonical form is stable, a value never differs from itself, and a payload
// can be built from it. Derived from the tables: a new row is covered without a new test.
import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "mocha";
import { diffProperties, erasedRows, payloadFor } from "../../provider/core";
import { RESOURCE_DEFINITIONS } from "../../provider/resources";
import { tableArbitraries } from "./arbitraries";

describe("arbitraries generated from the tables", () => {
  for (const definition of RESOURCE_DEFINITIONS) {
    const { table } = definition;
    const arbitraries = tableArbitraries(table);

    it(`${definition.kind}: every declarable row has a generated arbitrary`, () => {
      const declarable = erasedRows(table).filter((row) => row.expected === undefined).map((row) => row.name);
      assert.deepEqual(Object.keys(arbitraries), declarable);
    });

    for (const row of erasedRows(table)) {
      const arbitrary = arbitraries[row.name];
      if (!arbitrary) continue;
      it(`${definition.kind}.${row.name}: canonical values are stable, equal to themselves, and make a payload`, () => {
        fc.assert(
          fc.property(arbitrary, (input) => {
            const first = row.schema.parse(input);
            assert.ok(first.ok);
            const again = row.schema.parse(first.value);
            assert.ok(again.ok, `${row.name}: the canonical value ${JSON.stringify(first.value)} does not parse again`);
            assert.deepEqual(again.value, first.value);
            assert.deepEqual(diffProperties(table, { [row.name]: first.value }, { [row.name]: first.value }).changed, []);
            if (row.toRest) assert.equal(typeof payloadFor(table, { [row.name]: first.value }, [row.name]), "object");
          }),
          { numRuns: 50 },
        );
      });
    }
  }
});
