// Small helpers over plain JSON data: structural equality and a compact, never-throwing rendering used in
// notes and error messages.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Structural equality of JSON-like values: arrays by position, objects by key set (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const leftKeys = Object.keys(left).filter((key) => left[key] !== undefined);
  const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  return leftKeys.length === rightKeys.length && leftKeys.every((key) => deepEqual(left[key], right[key]));
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `target` with `source` merged in, object by object (arrays and other values are replaced), as a new object:
 * two rows that write different leaves of one REST field (the Cluster's two alert settings both live in
 * `alert_settings`) must both reach the request body.
 */
export function mergeJsonDeep(target: JsonObject, source: JsonObject): JsonObject {
  const merged: JsonObject = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const existing = merged[key];
    merged[key] = isPlainObject(existing) && isPlainObject(value) ? mergeJsonDeep(existing as JsonObject, value as JsonObject) : value;
  }
  return merged;
}

/**
 * Compact one-line rendering of any value for messages: JSON where possible, cut at `maxLength` characters.
 * Never throws (bigint, cycles, functions and symbols are rendered by description).
 */
export function renderCompact(value: unknown, maxLength = 120): string {
  let text: string;
  if (value === undefined) text = "undefined";
  else if (typeof value === "bigint") text = `${value.toString()}n`;
  else if (typeof value === "function") text = "[function]";
  else if (typeof value === "symbol") text = value.toString();
  else if (typeof value === "number" && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? `${inner.toString()}n` : inner)) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}
