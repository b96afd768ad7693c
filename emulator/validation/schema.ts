// Type checks for request bodies, shared by every resource. A body whose JSON types do not fit is a schema
// violation (400 invalid_schema); whether an allowed type carries an allowed value is each resource's business.
import { schemaError, type ApiError } from "../errors";
import { isJsonObject, jsonTypeOf, MAX_JSON_DEPTH, valueNestingDepth, type JsonObject, type JsonValue } from "../json";

export type FieldKind = "string" | "integer" | "number" | "boolean" | "array" | "object" | "string-or-array";

export interface FieldSpec {
  kind: FieldKind;
  /** Set by the server; a request may only repeat the current value. */
  readOnly?: boolean;
}

/** The kind a stored default value implies (integers stay integers: "memory_size": 1.5 is refused). */
export function kindOfValue(value: JsonValue): FieldKind {
  if (Array.isArray(value)) return "array";
  if (isJsonObject(value)) return "object";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "boolean") return "boolean";
  return "string";
}

/** A readable description of why `value` does not fit `kind`, or undefined when it fits. */
export function typeProblem(value: JsonValue, kind: FieldKind): string | undefined {
  const actual = jsonTypeOf(value);
  // A field value nested deeper than any real body is refused whatever its kind: stored, it would make every
  // later copy or answer of the object overflow the stack (issue 10, item 1).
  if (valueNestingDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH - 1) {
    return `a value nested at most ${MAX_JSON_DEPTH - 1} levels deep`;
  }
  switch (kind) {
    case "integer":
      // Beyond 2^53 - 1 a JSON number no longer names one integer (9007199254740992 + 1 reads back the same),
      // and typed clients read these fields as 64-bit or smaller integers: refused like a wrong type.
      if (typeof value === "number" && Number.isSafeInteger(value)) return undefined;
      if (typeof value === "number" && !Number.isFinite(value)) return "an integer, got a number too large to represent";
      if (typeof value === "number" && Number.isInteger(value)) return `an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}, got ${String(value)}`;
      return typeof value === "number" ? "an integer, got a fraction" : `an integer, got ${actual}`;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : `a number, got ${actual}`;
    case "string-or-array":
      return typeof value === "string" || Array.isArray(value) ? undefined : `a string or an array, got ${actual}`;
    default:
      return actual === kind ? undefined : `${kind === "array" || kind === "object" ? "an" : "a"} ${kind}, got ${actual}`;
  }
}

/** The body as a JSON object, or a 400 naming what was sent instead. */
export function requireObjectBody(body: JsonValue | undefined, what: string): JsonObject {
  if (body === undefined) throw schemaError(`${what}: the request needs a JSON object body`);
  if (!isJsonObject(body)) throw schemaError(`${what}: the body must be a JSON object, got ${jsonTypeOf(body)}`);
  return body;
}

/**
 * Check every field of `body` against `specs`: unknown fields (likely typos), wrong types and read-only fields
 * that differ from `current` are refused with 400 invalid_schema, before anything is applied.
 */
export function checkFields(
  body: JsonObject,
  specs: ReadonlyMap<string, FieldSpec>,
  what: string,
  current?: JsonObject,
): ApiError | undefined {
  for (const [field, value] of Object.entries(body)) {
    const spec = specs.get(field);
    if (!spec) {
      return schemaError(`${what}: unknown field '${field}' (a typo?); see the REST API reference for the fields of this object`);
    }
    const problem = typeProblem(value, spec.kind);
    if (problem) return schemaError(`${what}: field '${field}' must be ${problem}`);
    if (spec.readOnly) {
      const same = current !== undefined && JSON.stringify(current[field]) === JSON.stringify(value);
      if (!same) return schemaError(`${what}: field '${field}' is read-only; remove it from the request`);
    }
  }
  return undefined;
}

/** Field specs for an object whose stored defaults show every field's type. */
export function specsFromDefaults(
  defaults: JsonObject,
  overrides: Record<string, FieldSpec> = {},
  readOnly: readonly string[] = [],
): Map<string, FieldSpec> {
  const specs = new Map<string, FieldSpec>();
  for (const [field, value] of Object.entries(defaults)) specs.set(field, { kind: kindOfValue(value) });
  for (const [field, spec] of Object.entries(overrides)) specs.set(field, spec);
  for (const field of readOnly) {
    const spec = specs.get(field);
    if (spec) specs.set(field, { ...spec, readOnly: true });
  }
  return specs;
}
