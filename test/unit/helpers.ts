// Shared helpers for the pure-logic tests: fixtures, sample certificates, and single-property diffs.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type PropertyChange, diffProperties } from "../../provider/core";
import { DATABASE_TABLE, type LiveDatabase } from "../../provider/database";

/** <repo root>/../shared/fixtures/rs-real, or $RS_FIXTURES_DIR. Compiled tests run from dist/test/unit. */
export function fixturesDir(): string {
  return process.env.RS_FIXTURES_DIR ?? resolve(__dirname, "..", "..", "..", "..", "shared", "fixtures", "rs-real");
}

/** A real answer from fixtures/rs-real, or undefined when the directory is absent (the test then skips). */
export function loadFixture(file: string): LiveDatabase | undefined {
  const path = join(fixturesDir(), file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as LiveDatabase) : undefined;
}

/** A syntactically valid PEM certificate with a distinct body (the table does not parse DER). */
export function samplePem(seed: string, lineEnd = "\n", width = 64): string {
  const body = Buffer.from(`sample client certificate ${seed} `.repeat(4)).toString("base64");
  const lines = body.match(new RegExp(`.{1,${width}}`, "g")) ?? [];
  return ["-----BEGIN CERTIFICATE-----", ...lines, "-----END CERTIFICATE-----", ""].join(lineEnd);
}

/** What a row test exercised: its schema, its REST payload, its change classification. */
export type RowAspect = "schema" | "payload" | "change";

/**
 * Which aspects of which rows the helpers were asked about since the last reset. test/unit/database-rows.test.ts
 * resets it before its tests and then requires every row of the table to have each aspect exercised, so deleting
 * a row's tests (or adding a row without tests) fails that file.
 */
export const exercisedRows = new Map<string, Set<RowAspect>>();

export function recordExercised(name: string, aspect: RowAspect): void {
  const aspects = exercisedRows.get(name) ?? new Set<RowAspect>();
  aspects.add(aspect);
  exercisedRows.set(name, aspects);
}

/** The only change (or undefined) when one property goes from `old` (live) to `next` (declared). */
export function changeOf(property: string, old: unknown, next: unknown): PropertyChange | undefined {
  recordExercised(property, "change");
  const diff = diffProperties(DATABASE_TABLE, old === undefined ? {} : { [property]: old }, { [property]: next });
  if (diff.changed.length > 1) throw new Error(`expected at most one change, got ${diff.changed.length}`);
  return diff.changed[0];
}

/** A table row by name (throws for a typo, so a test cannot silently test nothing). */
export function rowNamed(name: string): (typeof DATABASE_TABLE.rows)[number] {
  recordExercised(name, "schema");
  const row = DATABASE_TABLE.rows.find((candidate) => candidate.name === name);
  if (!row) throw new Error(`no row named ${name}`);
  return row;
}
