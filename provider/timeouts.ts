// Per-operation deadlines. The engine's `customTimeouts` never reaches a dynamic provider (the host ignores
// the request timeout), so each resource takes a `timeouts` input of its own.
import { isUnknown, renderCompact } from "./core";

export type Operation = "create" | "update" | "delete";

/** `timeouts` input: seconds as a number, or a duration string such as "90s", "20m", "1h30m". */
export type TimeoutsInput = Partial<Record<Operation, number | string>>;

/** Defaults in milliseconds, generous like the Redis Cloud provider's (an RS change can take minutes). */
export const DEFAULT_TIMEOUTS_MS: Readonly<Record<Operation, number>> = {
  create: 30 * 60_000,
  update: 30 * 60_000,
  delete: 10 * 60_000,
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest timeout accepted: 7 days. Far beyond any RS operation, and well inside what a timer can hold
 * (Node's setTimeout fires at once past 2^31-1 ms, about 24.8 days), so a huge value such as 1e308 is refused at
 * check instead of failing after the object was created.
 */
export const MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;

/** Parses "1h30m", "90s", "250ms" or a number of seconds into milliseconds; undefined when malformed or out of range. */
export function parseDuration(value: number | string): number | undefined {
  let total: number;
  if (typeof value === "number") {
    total = value * 1000;
  } else {
    const text = value.trim();
    // Bounded length: a duration never needs more, and a long string is not scanned by the pattern.
    if (text.length > 64 || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
    total = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * UNIT_MS[unit];
  }
  return Number.isFinite(total) && total > 0 && total <= MAX_TIMEOUT_MS ? total : undefined;
}

/** Problems with a declared `timeouts` input, each naming the property and the accepted forms. */
export function timeoutsProblems(value: unknown): { property: string; reason: string }[] {
  if (value === undefined || isUnknown(value)) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ property: "timeouts", reason: 'timeouts must be an object like { create: "30m", update: "30m", delete: "10m" }' }];
  }
  const problems: { property: string; reason: string }[] = [];
  for (const [key, v] of Object.entries(value)) {
    // Own keys only: "toString" or "__proto__" are not operations, even though every object inherits them.
    if (!Object.hasOwn(DEFAULT_TIMEOUTS_MS, key)) {
      problems.push({ property: `timeouts.${key}`, reason: `unknown operation "${key}"; expected create, update or delete` });
    } else if (!isUnknown(v) && ((typeof v !== "number" && typeof v !== "string") || parseDuration(v) === undefined)) {
      problems.push({ property: `timeouts.${key}`, reason: `must be a positive number of seconds or a duration like "90s", "20m", "1h30m", at most 7 days; got ${renderCompact(v)}` });
    }
  }
  return problems;
}

/** The deadline for one operation in milliseconds (the declared value, else the default). */
export function timeoutFor(operation: Operation, timeouts: TimeoutsInput | undefined): number {
  const declared = timeouts !== null && typeof timeouts === "object" && Object.hasOwn(timeouts, operation) ? timeouts[operation] : undefined;
  return (declared !== undefined && parseDuration(declared)) || DEFAULT_TIMEOUTS_MS[operation];
}
