// The envelope every resource's check runs in: inputs that are not an object (the engine can send null),
// values nested deeper than any input needs (a stack overflow in a recursive walk, far from the cause), and
// failure reasons that would echo a huge value. Each becomes a check failure that names the property; the
// resource's own check only ever sees an object of reasonable depth.
import { type CheckFailure, isPlainObject, renderCompact } from "../core";

type Props = Record<string, unknown>;

/** No input of any resource nests deeper than a few levels; 32 leaves room and stays far from the stack's limit. */
export const MAX_INPUT_DEPTH = 32;

/** The longest failure reason returned: enough for any real message, never a 1 MiB value in full. */
export const MAX_REASON_LENGTH = 1000;

/** True when `value` nests deeper than `limit` levels of objects or arrays (walked without recursion). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth >= limit) return true;
    for (const inner of Object.values(current as Props)) stack.push([inner, depth + 1]);
  }
  return false;
}

/** Cuts a text to `max` characters, saying that it was cut and how long it was. */
export function cutText(text: string, max = MAX_REASON_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (cut; ${text.length} characters in all)`;
}

/**
 * Runs a resource's check on inputs it can handle: non-object inputs and too-deep values are failures (the
 * rest of the inputs are still checked), and every reason is cut to MAX_REASON_LENGTH.
 */
export async function guardedCheck(
  kind: string,
  olds: unknown,
  news: unknown,
  check: (olds: Props, news: Props) => Promise<{ inputs?: Props; failures?: CheckFailure[] }> | { inputs?: Props; failures?: CheckFailure[] },
): Promise<{ inputs: Props; failures: CheckFailure[] }> {
  if (!isPlainObject(news)) {
    return { inputs: {}, failures: [{ property: "inputs", reason: `the inputs of a ${kind} must be an object; got ${renderCompact(news)}` }] };
  }
  const failures: CheckFailure[] = [];
  const usable: Props = {};
  for (const [key, value] of Object.entries(news)) {
    if (nestsDeeperThan(value, MAX_INPUT_DEPTH)) {
      failures.push({ property: key, reason: `${key} nests deeper than ${MAX_INPUT_DEPTH} levels, which no ${kind} input needs; declare it flat` });
    } else {
      usable[key] = value;
    }
  }
  const result = await check(isPlainObject(olds) ? olds : {}, usable);
  failures.push(...(result.failures ?? []));
  return {
    inputs: result.inputs ?? usable,
    failures: failures.map((failure) => ({ property: cutText(failure.property, 200), reason: cutText(failure.reason) })),
  };
}
