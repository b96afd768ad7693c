// Reading answer bodies, as pure functions: JSON when it is JSON, text kept for error descriptions otherwise.
import { STATUS_CODES } from "node:http";

export type ParsedBody = { kind: "empty" } | { kind: "json"; value: unknown } | { kind: "text"; text: string };

/** Empty (or whitespace only) -> empty; valid JSON -> its value; anything else -> the text as received. */
export function parseBody(text: string): ParsedBody {
  if (text.trim() === "") return { kind: "empty" };
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch {
    return { kind: "text", text };
  }
}

/** Longest raw-body excerpt put into an error description. */
export const MAX_EXCERPT_CHARS = 300;

/** Whitespace collapsed, trimmed, capped at MAX_EXCERPT_CHARS with an ellipsis. */
export function excerpt(text: string, maxChars = MAX_EXCERPT_CHARS): string {
  const compact = text.replace(/\s+/g, " ").trim();
  return compact.length <= maxChars ? compact : `${compact.slice(0, maxChars - 1)}…`;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * The RS error fields of an error answer: `error_code`, and `description` falling back to `message` (the prose
 * docs name it so), then to an excerpt of the raw body, then to the HTTP reason phrase.
 */
export function describeErrorBody(
  body: ParsedBody,
  rawText: string,
  status: number,
): { errorCode: string | undefined; description: string } {
  let errorCode: string | undefined;
  let description: string | undefined;
  if (body.kind === "json" && typeof body.value === "object" && body.value !== null && !Array.isArray(body.value)) {
    const fields = body.value as Record<string, unknown>;
    errorCode = nonEmptyString(fields.error_code);
    description = nonEmptyString(fields.description) ?? nonEmptyString(fields.message);
  }
  if (description === undefined && body.kind !== "empty") description = excerpt(rawText);
  return { errorCode, description: description ?? STATUS_CODES[status] ?? "no description" };
}

/**
 * The same fields from a body already parsed (what a request with `acceptStatuses` returns for an error status:
 * the JSON value, or undefined when the answer had no JSON body).
 */
export function describeErrorValue(value: unknown, status: number): { errorCode: string | undefined; description: string } {
  return value === undefined
    ? describeErrorBody({ kind: "empty" }, "", status)
    : describeErrorBody({ kind: "json", value }, JSON.stringify(value) ?? "", status);
}
