// Preview-time unknown values. During `pulumi preview` the engine hands check and diff the sentinel string
// below wherever an input depends on an output that does not exist yet (@pulumi/pulumi runtime/rpc.ts
// `unknownValue`). Validation must skip it, and diff must treat it as "may change".

/** The engine's sentinel for a value that is not known during preview. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as const;

/** The type of the preview sentinel. */
export type UnknownValue = typeof UNKNOWN_VALUE;

/** A property bag whose values may also be the preview sentinel (what check returns during preview). */
export type Previewable<T> = { [K in keyof T]: T[K] | UnknownValue };

/** True when the value itself is the preview sentinel. */
export function isUnknown(value: unknown): value is UnknownValue {
  return value === UNKNOWN_VALUE;
}

/** True when the value is the sentinel or holds it anywhere inside (list items, object fields). */
export function containsUnknown(value: unknown): boolean {
  return containsUnknownBelow(value, new Set());
}

function containsUnknownBelow(value: unknown, seen: Set<object>): boolean {
  if (isUnknown(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  // Guards against cyclic input; the engine never sends one, but check must never throw.
  if (seen.has(value)) return false;
  seen.add(value);
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.some((child) => containsUnknownBelow(child, seen));
}
