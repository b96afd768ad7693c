// Value schemas for property tables. A schema does three things from one definition: it parses a user input
// into the canonical form (or says exactly what is wrong), it describes the type for the README, and it
// states what is expected in error messages. Parsing never throws, whatever the input.

import { isPlainObject } from "./json";

/** The outcome of parsing: the canonical value, or where (path below the property) and why it is invalid. */
export type Parsed<V> =
  | { readonly ok: true; readonly value: V }
  | {
      readonly ok: false;
      /** Below the property, e.g. "[1].name"; "" for the property itself. */
      readonly path: string;
      /** A predicate phrase that follows the property name, e.g. "must be an integer from 1 to 512". */
      readonly reason: string;
      /** The offending value, rendered after "; got" (unless the property is secret). */
      readonly got: unknown;
    };

/**
 * What a schema accepts, as data: the SDK's TypeScript types and the tests' fast-check arbitraries are generated
 * from it, so neither restates a row. `custom` covers schemas whose valid set is not a plain shape (a regular
 * expression with a named group, PEM certificates): it names its TypeScript types and gives valid samples.
 */
export type SchemaShape =
  | { readonly kind: "boolean" }
  | { readonly kind: "integer"; readonly min?: number; readonly max?: number; readonly excluded?: readonly number[] }
  | { readonly kind: "string"; readonly minLength?: number; readonly maxLength?: number; readonly pattern?: RegExp }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "list"; readonly items: SchemaShape; readonly minItems?: number; readonly maxItems?: number }
  | { readonly kind: "object"; readonly fields: Readonly<Record<string, { readonly shape: SchemaShape; readonly optional: boolean }>> }
  | { readonly kind: "record"; readonly values: SchemaShape }
  | { readonly kind: "bytes" }
  | { readonly kind: "custom"; readonly inputType: string; readonly outputType: string; readonly samples: readonly unknown[] };

export interface Schema<V> {
  /** The type for the README, e.g. "integer 1-512". */
  readonly display: string;
  /** What it accepts, as data (generators read it); absent on a schema built from a bare parse function. */
  readonly shape?: SchemaShape;
  /** Parses an input into the canonical value. */
  parse(input: unknown): Parsed<V>;
}

export function ok<V>(value: V): Parsed<V> {
  return { ok: true, value };
}

export function invalid<V>(reason: string, got: unknown, path = ""): Parsed<V> {
  return { ok: false, path, reason, got };
}

/** A schema from a display text, a parse function and (for the generators) its shape. */
export function schema<V>(display: string, parse: (input: unknown) => Parsed<V>, shape?: SchemaShape): Schema<V> {
  return shape ? { display, parse, shape } : { display, parse };
}

/**
 * Parses with `base`, then applies a further check or normalisation to the parsed value. The shape stays the
 * base's unless `shape` narrows it (generators filter their samples through `parse` either way).
 */
export function refine<V, W>(base: Schema<V>, next: (value: V) => Parsed<W>, display = base.display, shape = base.shape): Schema<W> {
  return schema(
    display,
    (input) => {
      const parsed = base.parse(input);
      return parsed.ok ? next(parsed.value) : parsed;
    },
    shape,
  );
}

/** The same schema with another shape (for generators), e.g. a custom one with valid samples. */
export function withShape<V>(base: Schema<V>, shape: SchemaShape): Schema<V> {
  return { display: base.display, parse: (input) => base.parse(input), shape };
}

export function booleanSchema(): Schema<boolean> {
  return schema("boolean", (input) => (typeof input === "boolean" ? ok(input) : invalid("must be true or false", input)), { kind: "boolean" });
}

export interface IntegerOptions {
  readonly min?: number;
  readonly max?: number;
  /** Values inside the range that are still not allowed (e.g. port 10050). */
  readonly excluded?: readonly number[];
}

/** An integer; a string of digits is accepted too (stack config values arrive as strings). */
export function integerSchema(options: IntegerOptions = {}): Schema<number> {
  const { min, max, excluded = [] } = options;
  const range =
    min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : "";
  const except = excluded.length > 0 ? ` except ${excluded.join(", ")}` : "";
  const expectation = `must be an integer${range}${except}`;
  const display = `integer${min !== undefined && max !== undefined ? ` ${min}-${max}` : range}${excluded.length > 0 ? `, not ${excluded.join(", ")}` : ""}`;
  return schema(display, (input) => {
    const value = typeof input === "string" && /^-?\d{1,15}$/.test(input.trim()) ? Number(input.trim()) : input;
    if (typeof value !== "number" || !Number.isSafeInteger(value)) return invalid(expectation, input);
    if ((min !== undefined && value < min) || (max !== undefined && value > max) || excluded.includes(value)) {
      return invalid(expectation, input);
    }
    return ok(value);
  }, { kind: "integer", min, max, excluded });
}

export interface StringOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: RegExp;
  /** What the pattern means in words, for messages: "letters, digits and '-' only". */
  readonly patternHint?: string;
  /** README display; defaults to "string". */
  readonly display?: string;
}

export function stringSchema(options: StringOptions = {}): Schema<string> {
  const { minLength = 0, maxLength, pattern, patternHint } = options;
  return schema(options.display ?? "string", (input) => {
    if (typeof input !== "string") return invalid("must be a string", input);
    if (input.length < minLength) return invalid(minLength === 1 ? "must not be empty" : `must be at least ${minLength} characters long`, input);
    if (maxLength !== undefined && input.length > maxLength) return invalid(`must be at most ${maxLength} characters long (got ${input.length})`, input);
    if (pattern && !pattern.test(input)) return invalid(`must match ${pattern.source}${patternHint ? ` (${patternHint})` : ""}`, input);
    return ok(input);
  }, { kind: "string", minLength, maxLength, pattern });
}

/** One of a fixed set of strings. */
export function enumSchema<T extends string>(values: readonly T[]): Schema<T> {
  const listed = values.map((value) => `"${value}"`).join(", ");
  return schema(values.map((value) => `\`${value}\``).join(" \\| "), (input) =>
    typeof input === "string" && (values as readonly string[]).includes(input) ? ok(input as T) : invalid(`must be one of ${listed}`, input),
    { kind: "enum", values },
  );
}

export interface ListOptions {
  readonly minItems?: number;
  readonly maxItems?: number;
}

export function listSchema<T>(items: Schema<T>, options: ListOptions = {}): Schema<T[]> {
  const { minItems = 0, maxItems } = options;
  return schema(`list of ${items.display}`, (input) => {
    if (!Array.isArray(input)) return invalid(`must be a list of ${items.display}`, input);
    if (input.length < minItems) return invalid(minItems === 1 ? "must not be empty" : `must have at least ${minItems} items`, input);
    if (maxItems !== undefined && input.length > maxItems) return invalid(`must have at most ${maxItems} items`, input);
    const values: T[] = [];
    for (const [index, item] of input.entries()) {
      const parsed = items.parse(item);
      if (!parsed.ok) return invalid(parsed.reason, parsed.got, `[${index}]${parsed.path}`);
      values.push(parsed.value);
    }
    return ok(values);
  }, items.shape ? { kind: "list", items: items.shape, minItems, maxItems } : undefined);
}

/** One field of an object schema. */
export interface FieldSpec<V, Optional extends boolean = boolean> {
  readonly schema: Schema<V>;
  readonly optional: Optional;
}

export function field<V>(fieldSchema: Schema<V>): FieldSpec<V, false> {
  return { schema: fieldSchema, optional: false };
}

export function optionalField<V>(fieldSchema: Schema<V>): FieldSpec<V, true> {
  return { schema: fieldSchema, optional: true };
}

type FieldMap = Record<string, FieldSpec<unknown>>;
type FieldValue<F> = F extends FieldSpec<infer V> ? V : never;
type Simplify<T> = { [K in keyof T]: T[K] };

/** The parsed type of an object schema: required fields, plus optional ones that may be absent. */
export type ObjectOf<F extends FieldMap> = Simplify<
  { [K in keyof F as F[K]["optional"] extends true ? never : K]: FieldValue<F[K]> } & {
    [K in keyof F as F[K]["optional"] extends true ? K : never]?: FieldValue<F[K]>;
  }
>;

/** An object with known fields; any other field is an error (it is almost always a typo). */
export function objectSchema<F extends FieldMap>(fields: F): Schema<ObjectOf<F>> {
  const names = Object.keys(fields);
  const display = `{ ${names.map((name) => `${name}${fields[name].optional ? "?" : ""}: ${fields[name].schema.display}`).join("; ")} }`;
  return schema(display, (input) => {
    if (!isPlainObject(input)) return invalid(`must be an object ${display}`, input);
    for (const key of Object.keys(input)) {
      if (!Object.prototype.hasOwnProperty.call(fields, key)) {
        return invalid(`has an unknown field "${key}"; expected ${names.join(", ")}`, input);
      }
    }
    const result: Record<string, unknown> = {};
    for (const name of names) {
      const value = input[name];
      if (value === undefined || value === null) {
        if (fields[name].optional) continue;
        return invalid(`is required`, value, `.${name}`);
      }
      const parsed = fields[name].schema.parse(value);
      if (!parsed.ok) return invalid(parsed.reason, parsed.got, `.${name}${parsed.path}`);
      result[name] = parsed.value;
    }
    return ok(result as ObjectOf<F>);
  }, objectShape(fields));
}

function objectShape(fields: FieldMap): SchemaShape | undefined {
  const shapes: Record<string, { shape: SchemaShape; optional: boolean }> = {};
  for (const [name, spec] of Object.entries(fields)) {
    if (!spec.schema.shape) return undefined;
    shapes[name] = { shape: spec.schema.shape, optional: spec.optional };
  }
  return { kind: "object", fields: shapes };
}

const BINARY_UNITS: Readonly<Record<string, bigint>> = {
  "": 1n,
  b: 1n,
  kb: 1024n,
  kib: 1024n,
  mb: 1024n ** 2n,
  mib: 1024n ** 2n,
  gb: 1024n ** 3n,
  gib: 1024n ** 3n,
  tb: 1024n ** 4n,
  tib: 1024n ** 4n,
};

/**
 * A memory size in bytes: a positive integer, or a string such as "100MB", "1.5GB" or "512MiB". Units are
 * 1024-based whichever way they are written (KB = KiB), as in Redis configuration ("1gb" = 1024^3) and in the
 * Redis Enterprise UI, whose "1 GB" default database reports memory_size 1073741824 (bdb_single.json).
 */
export function byteSizeSchema(): Schema<number> {
  const expectation = 'must be a positive number of bytes or a string like "1GB" (units B, KB, MB, GB, TB, 1024-based; KiB, MiB, GiB, TiB also accepted)';
  return schema('bytes: integer, or "100MB" / "1GB" / "512MiB" (1024-based)', (input) => {
    if (typeof input === "number") return Number.isSafeInteger(input) && input > 0 ? ok(input) : invalid(expectation, input);
    if (typeof input !== "string") return invalid(expectation, input);
    const match = /^(\d{1,15})(?:\.(\d{1,9}))?\s*([A-Za-z]{0,3})$/.exec(input.trim());
    const unit = match ? BINARY_UNITS[match[3].toLowerCase()] : undefined;
    if (!match || unit === undefined) return invalid(expectation, input);
    const fraction = match[2] ?? "";
    const scale = 10n ** BigInt(fraction.length);
    const scaled = BigInt(match[1] + fraction) * unit;
    if (scaled % scale !== 0n) return invalid(`must be a whole number of bytes (${input} is not)`, input);
    const bytes = scaled / scale;
    if (bytes <= 0n || bytes > BigInt(Number.MAX_SAFE_INTEGER)) return invalid(expectation, input);
    return ok(Number(bytes));
  }, { kind: "bytes" });
}
