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

/**
 * Deepest nesting accepted in a request body. Real bodies nest a few levels (alert_settings.<name>.threshold,
 * module_list[i].module_args); 32 leaves room for any of them. Deeper bodies are refused before they are
 * parsed into state: a value nested thousands of levels deep would otherwise be stored, and every later copy,
 * comparison or answer of it would overflow the stack (issue 10, item 1).
 */
export const MAX_JSON_DEPTH = 32;

/**
 * How deeply the JSON text nests arrays and objects ("[]" is 1), scanning iteratively so that hostile input
 * cannot overflow the stack. Brackets inside strings do not count. Stops early once `limit` is exceeded.
 */
export function textNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
    }
  }
  return deepest;
}

/** How deeply a value nests arrays and objects (a scalar is 0), iteratively; stops once `limit` is exceeded. */
export function valueNestingDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    const level = depth + 1;
    if (level > deepest) {
      deepest = level;
      if (deepest > limit) return deepest;
    }
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) stack.push([child, level]);
  }
  return deepest;
}

/**
 * A function that rewrites JSON text so that a whole number under one of `floatKeys` is written as a float
 * ("0.0", "1081100128256.0"), the way the real API writes those fields. JSON has one number type, but typed
 * clients read `0` and `0.0` into different types (integer vs float), so the emulator writes what the captures
 * show. It works on the text JSON.stringify produced, in one pass: `"key":123` followed by `,` or `}` cannot
 * occur inside a string there, since every quote in a string is escaped; fractions and exponents are left alone.
 */
export function floatWriter(floatKeys: Iterable<string>): (jsonText: string) => string {
  const names = [...floatKeys].map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (names.length === 0) return (text) => text;
  const pattern = new RegExp(`"(${names.join("|")})":(-?\\d+)(?=[,}])`, "g");
  return (text) => text.replace(pattern, '"$1":$2.0');
}
