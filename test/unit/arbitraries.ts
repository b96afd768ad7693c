// fast-check arbitraries generated from the property tables: each row's schema shape gives an arbitrary of
// inputs, filtered through the row's own parse so that only valid inputs come out. A new row gets its
// arbitrary without writing one; a row without a shape makes arbitraries.test.ts fail.
import fc from "fast-check";
import { type ErasedRow, type PropertyTable, type SchemaShape, erasedRows } from "../../provider/core";

/** An arbitrary of values of a shape (inputs: byte sizes also as "<n>MB" strings). */
export function arbitraryOfShape(shape: SchemaShape): fc.Arbitrary<unknown> {
  switch (shape.kind) {
    case "boolean":
      return fc.boolean();
    case "integer": {
      const min = shape.min ?? -1_000_000;
      const max = shape.max ?? Math.max(min, 0) + 1_000_000;
      const excluded = shape.excluded ?? [];
      return fc.integer({ min, max }).filter((value) => !excluded.includes(value));
    }
    case "string":
      if (shape.pattern) return fc.stringMatching(shape.pattern).filter((value) => value.length >= (shape.minLength ?? 0) && value.length <= (shape.maxLength ?? Infinity));
      return fc.string({ minLength: shape.minLength ?? 0, maxLength: Math.min(shape.maxLength ?? 20, 20) });
    case "enum":
      return fc.constantFrom(...shape.values);
    case "bytes":
      return fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 4096 }).map((mb) => `${mb}MB`));
    case "list":
      return fc.array(arbitraryOfShape(shape.items), { minLength: shape.minItems ?? 0, maxLength: Math.min(shape.maxItems ?? 4, 4) });
    case "record":
      return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), arbitraryOfShape(shape.values), { maxKeys: 3 });
    case "object": {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [name, field] of Object.entries(shape.fields)) {
        fields[name] = arbitraryOfShape(field.shape);
        if (!field.optional) required.push(name);
      }
      return fc.record(fields, { requiredKeys: required });
    }
    case "custom":
      return fc.constantFrom(...shape.samples);
  }
}

/** An arbitrary of valid inputs for one row, or undefined when its schema has no shape. */
export function rowArbitrary<P, Live>(row: ErasedRow<P, Live>): fc.Arbitrary<unknown> | undefined {
  const shape = row.schema.shape;
  return shape ? arbitraryOfShape(shape).filter((value) => row.schema.parse(value).ok) : undefined;
}

/** Valid-input arbitraries for every declarable row of a table, by row name (rows without a shape left out). */
export function tableArbitraries<P, Live>(table: PropertyTable<P, Live>): Record<string, fc.Arbitrary<unknown>> {
  const arbitraries: Record<string, fc.Arbitrary<unknown>> = {};
  for (const row of erasedRows(table)) {
    if (row.expected !== undefined) continue;
    const arbitrary = rowArbitrary(row);
    if (arbitrary) arbitraries[row.name] = arbitrary;
  }
  return arbitraries;
}
