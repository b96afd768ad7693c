// Plain JSON values: everything the emulator stores and answers is one of these, so state files, dumps and
// responses never carry class instances or undefined.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The JSON type name of a value, as the contract tests compare them. */
export type JsonTypeName = "object" | "array" | "string" | "number" | "boolean" | "null";

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function jsonTypeOf(value: unknown): JsonTypeName | "undefined" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "object":
      return "object";
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      return "undefined";
  }
}

/** A deep copy; stored objects are never handed out by reference, so callers cannot corrupt state. */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** Structural equality of two JSON values (key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * Merge `patch` into `target` (mutating it): nested plain objects merge key by key, anything else (arrays,
 * scalars) replaces. Used for out-of-band edits and for partial settings such as alert_settings.
 */
export function deepMerge(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    const current = hasOwn(target, key) ? target[key] : undefined;
    if (isJsonObject(current) && isJsonObject(value)) deepMerge(current, value);
    // defineProperty keeps a "__proto__" key an ordinary data key instead of replacing the prototype.
    else Object.defineProperty(target, key, { value: cloneJson(value), enumerable: true, writable: true, configurable: true });
  }
  return target;
}

/** Own-property test: body keys such as "constructor" or "__proto__" must never match inherited members. */
export function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** Only the named keys of an object (the `?fields=` query parameter). */
export function pickFields(object: JsonObject, fields: readonly string[]): JsonObject {
  const picked: JsonObject = {};
  for (const field of fields) {
    if (Object.prototype.hasOwnProperty.call(object, field)) picked[field] = object[field];
  }
  return picked;
}
