// The generic machinery over a property table. A resource describes each of its properties once, as a row
// (REST field, schema, read mapping, equality, how each kind of change is applied and what it does to clients),
// and everything else is derived here: check validation, diff, payloads, read, preview notes, the
// disruption-policy gate and the README reference table. Everything in this file is pure.

import type { DisruptionPolicy } from "./policy";
import { type ClientImpact, impactConsequence, impactLabel, impactSeverity, isDisruptive } from "./impact";
import { deepEqual, type JsonObject, renderCompact } from "./json";
import type { Schema } from "./schema";
import { containsUnknown, isUnknown, type Previewable, UNKNOWN_VALUE } from "./unknown";

/** How a change reaches the server: an update in place, a delete and re-create, or not at all. */
export type ChangeMode = "in-place" | "replace" | "refused";

/**
 * One kind of change of a property (e.g. "true -> false"). A row lists its cases in order; the first whose
 * `when` accepts (old, next) classifies the change, and the last case has no `when` (it takes the rest).
 */
export interface ChangeCase<V> {
  /** For the README: which changes this case covers, e.g. "true -> false". Omitted on a single catch-all case. */
  readonly label?: string;
  /** `old` is undefined when the previous value is not known (never read, or not managed before). */
  when?(old: V | undefined, next: V): boolean;
  readonly mode: ChangeMode;
  readonly impact: ClientImpact;
  /** Why the change is refused or needs a replacement, and what to do instead. Required for those modes. */
  readonly reason?: string;
}

/**
 * One property of a resource. `P` is the resource's canonical property bag (every property required), `K` this
 * row's key, `Live` the server object read back.
 */
export interface PropertyRow<P, K extends keyof P & string, Live> {
  /** SDK name, camelCase. */
  readonly name: K;
  /** The REST field(s) it maps to, for the README (the payload comes from `toRest`). */
  readonly restField: string;
  /** Validates user input and brings it to the canonical form; also gives the README type. */
  readonly schema: Schema<P[K]>;
  /** One line for the README. */
  readonly description: string;
  /** Where the facts in this row come from (documentation page). */
  readonly source: string;
  /** Never rendered in notes, errors or impact records. */
  readonly secret?: boolean;
  /** Extra README notes: defaults, read normalisation. */
  readonly notes?: string;
  /** The REST fields for a canonical value; `inputs` gives access to related properties. */
  toRest(value: P[K], inputs: Readonly<Partial<P>>): JsonObject;
  /** The canonical value from the live object; undefined when the server does not report it. */
  fromRest(live: Live): P[K] | undefined;
  /** Semantic equality of a declared value with the live one; structural equality when omitted. */
  equals?(declared: P[K], live: P[K]): boolean;
  /** How a value appears in notes and impact records (e.g. certificate fingerprints instead of PEMs). */
  display?(value: P[K]): unknown;
  readonly changes: readonly ChangeCase<P[K]>[];
}

/** Any row of a table over `P` (a union of the per-key row types). */
export type RowOf<P, Live> = { [K in keyof P & string]: PropertyRow<P, K, Live> }[keyof P & string];

/** A rule between properties, checked on the declared, known values after each property parsed. */
export interface CrossRule<P> {
  /** The property a failure is reported on. */
  readonly property: keyof P & string;
  /** All properties the rule reads; the rule is skipped while any of them is unknown (preview) or invalid. */
  readonly involves: readonly (keyof P & string)[];
  /** For the README. */
  readonly description: string;
  /** A failure reason (a sentence naming the property and what to do), or undefined when the rule holds. */
  check(inputs: Readonly<Partial<P>>): string | undefined;
}

export interface PropertyTable<P, Live> {
  /** The resource kind, e.g. "Database". */
  readonly resource: string;
  readonly rows: readonly RowOf<P, Live>[];
  readonly rules: readonly CrossRule<P>[];
}

/** Returns a row builder for tables over `P`, so each row is type-checked against its own property type. */
export function rowBuilder<P, Live>(): <K extends keyof P & string>(row: PropertyRow<P, K, Live>) => PropertyRow<P, K, Live> {
  return (row) => row;
}

/** A validation failure, as Pulumi's CheckFailure: the property and a reason that says what to do. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** One property whose declared value differs from the previous one. Secret values are never recorded. */
export interface PropertyChange {
  readonly property: string;
  /** The previous value (display form); absent when unset or secret. */
  readonly old?: unknown;
  /** The new value (display form); absent when unknown or secret. */
  readonly new?: unknown;
  readonly mode: ChangeMode;
  readonly impact: ClientImpact;
  /** The new value is not known yet (preview): mode and impact are the worst the row allows. */
  readonly unknown?: boolean;
  readonly secret?: boolean;
  /** Why a change is refused or replaces the resource. */
  readonly reason?: string;
}

export interface PropertyDiff {
  /** True when any declared property differs (refused ones included). */
  readonly changes: boolean;
  /** Properties whose change needs a replacement. */
  readonly replaces: string[];
  /** Changes that cannot be applied, with a full sentence each. */
  readonly refused: CheckFailure[];
  readonly changed: PropertyChange[];
}

// The erased view the generic functions work on. Rows are assignable to it because their members are
// methods (checked bivariantly), so no cast is needed.
interface ErasedRow<P, Live> {
  readonly name: keyof P & string;
  readonly restField: string;
  readonly schema: Schema<unknown>;
  readonly description: string;
  readonly source: string;
  readonly secret?: boolean;
  readonly notes?: string;
  toRest(value: unknown, inputs: Readonly<Partial<P>>): JsonObject;
  fromRest(live: Live): unknown;
  equals?(declared: unknown, live: unknown): boolean;
  display?(value: unknown): unknown;
  readonly changes: readonly ChangeCase<unknown>[];
}

function erasedRows<P, Live>(table: PropertyTable<P, Live>): readonly ErasedRow<P, Live>[] {
  return table.rows;
}

/**
 * A property bag over `P`: checked inputs or outputs (typed), or raw engine data (any keys). Functions that
 * accept one read only the table's keys.
 */
export type PropertyBag<P> = Readonly<Partial<Previewable<P>>> | Readonly<Record<string, unknown>>;

function entries<P>(bag: PropertyBag<P> | undefined): Readonly<Record<string, unknown>> {
  return (bag ?? {}) as Readonly<Record<string, unknown>>;
}

/** Whether a property bag declares a key: present and neither undefined nor null (null means "not set"). */
export function isDeclared(bag: object | undefined, key: string): boolean {
  if (bag === undefined || !Object.prototype.hasOwnProperty.call(bag, key)) return false;
  const value: unknown = (bag as Readonly<Record<string, unknown>>)[key];
  return value !== undefined && value !== null;
}

function describeFailure<P, Live>(row: ErasedRow<P, Live>, path: string, reason: string, got: unknown): string {
  const subject = `${row.name}${path}`;
  // A secret is never echoed, not even when it is invalid.
  return row.secret ? `${subject} ${reason}` : `${subject} ${reason}; got ${renderCompact(got)}`;
}

/** A stored or declared value as the diff sees it: absent, canonical, or present but no longer valid. */
type Reading = { readonly kind: "absent" } | { readonly kind: "value"; readonly value: unknown } | { readonly kind: "unreadable"; readonly raw: unknown; readonly reason: string };

function readValue<P, Live>(row: ErasedRow<P, Live>, raw: unknown): Reading {
  if (raw === undefined || raw === null || isUnknown(raw)) return { kind: "absent" };
  const parsed = row.schema.parse(raw);
  return parsed.ok ? { kind: "value", value: parsed.value } : { kind: "unreadable", raw, reason: `${row.name}${parsed.path} ${parsed.reason}` };
}

function rowEquals<P, Live>(row: ErasedRow<P, Live>, declared: unknown, live: unknown): boolean {
  return row.equals ? row.equals(declared, live) : deepEqual(declared, live);
}

/** The case that classifies old -> next. A table without a catch-all fails safe: the change is refused. */
function classify<P, Live>(row: ErasedRow<P, Live>, old: unknown, next: unknown): ChangeCase<unknown> {
  const found = row.changes.find((change) => change.when === undefined || change.when(old, next));
  return found ?? { mode: "refused", impact: "none", reason: `no rule of the ${row.name} row covers this change (a provider bug: please report it)` };
}

/**
 * Without a readable previous value (a partly recorded create, state from another version) a replacement or a
 * refusal would be a guess, and a wrong replacement loses data: such a change is refused until a refresh has
 * read the live value. In-place changes go ahead (they only send the declared value).
 */
function classifyWithoutOld<P, Live>(row: ErasedRow<P, Live>, old: Reading, next: unknown): ChangeCase<unknown> {
  const change = classify(row, undefined, next);
  if (change.mode === "in-place") return change;
  const why = old.kind === "absent" ? "the recorded state has no value for it" : "the recorded value is not readable";
  return { mode: "refused", impact: "none", reason: `the current ${row.name} is not known (${why}); run pulumi refresh, then apply again` };
}

/** The worst a change to an unknown value could do: replacement if any case replaces, and the worst impact. */
function worstCase<P, Live>(row: ErasedRow<P, Live>): { mode: ChangeMode; impact: ClientImpact; reason?: string } {
  const applied = row.changes.filter((change) => change.mode !== "refused");
  const replacing = applied.find((change) => change.mode === "replace");
  let worst: ChangeCase<unknown> | undefined;
  for (const change of applied) if (!worst || impactSeverity(change.impact) > impactSeverity(worst.impact)) worst = change;
  return { mode: replacing ? "replace" : "in-place", impact: worst?.impact ?? "none", reason: replacing?.reason };
}

export interface CheckResult<P> {
  /** Canonical values of the declared properties; a value holding an unknown anywhere becomes the sentinel. */
  readonly inputs: Partial<Previewable<P>>;
  readonly failures: CheckFailure[];
}

/**
 * Validates and normalises the table's properties in `newInputs` (keys that are not rows are ignored here),
 * then applies the rules between properties. Refused changes are not judged here: check only sees the old
 * inputs, and a change that looks refused against them may already match the live object (a module the server
 * bundles, a version upgraded out of band), so diff judges them against the live outputs.
 */
export function checkInputs<P, Live>(table: PropertyTable<P, Live>, newInputs: PropertyBag<P>): CheckResult<P> {
  const news = entries(newInputs);
  const inputs: Partial<Record<keyof P & string, unknown>> = {};
  const known: Partial<Record<keyof P & string, unknown>> = {};
  const unusable = new Set<string>();
  const failures: CheckFailure[] = [];
  for (const row of erasedRows(table)) {
    if (!isDeclared(news, row.name)) continue;
    const raw = news[row.name];
    if (containsUnknown(raw)) {
      inputs[row.name] = UNKNOWN_VALUE;
      unusable.add(row.name);
      continue;
    }
    const parsed = row.schema.parse(raw);
    if (parsed.ok) {
      inputs[row.name] = parsed.value;
      known[row.name] = parsed.value;
    } else {
      unusable.add(row.name);
      failures.push({ property: row.name, reason: describeFailure(row, parsed.path, parsed.reason, parsed.got) });
    }
  }
  const knownInputs = known as Partial<P>;
  for (const rule of table.rules) {
    if (rule.involves.some((name) => unusable.has(name))) continue;
    const reason = rule.check(knownInputs);
    if (reason !== undefined) failures.push({ property: rule.property, reason });
  }
  return { inputs: inputs as Partial<Previewable<P>>, failures };
}

/**
 * Compares the declared properties in `news` (checked inputs) with `olds` (the previous outputs: live values).
 * A property absent from `news` is unmanaged and never compared, so server defaults cause no drift.
 */
export function diffProperties<P, Live>(
  table: PropertyTable<P, Live>,
  oldValues: PropertyBag<P>,
  newInputs: PropertyBag<P>,
): PropertyDiff {
  const olds = entries(oldValues);
  const news = entries(newInputs);
  const changed: PropertyChange[] = [];
  const refused: CheckFailure[] = [];
  for (const row of erasedRows(table)) {
    if (!isDeclared(news, row.name)) continue;
    // An old value that no longer parses (state from another version, an odd live answer) is shown as it is
    // and classified as "previous value not known"; semantic equality only ever sees canonical values.
    const old = readValue(row, olds[row.name]);
    const oldValue = old.kind === "value" ? old.value : undefined;
    const shown = (value: unknown) => (row.display ? row.display(value) : value);
    const values = (next: unknown) => {
      if (row.secret) return { secret: true };
      const oldShown = old.kind === "value" ? { old: shown(old.value) } : old.kind === "unreadable" ? { old: old.raw } : {};
      return { ...oldShown, ...(next === undefined ? {} : { new: shown(next) }) };
    };
    if (containsUnknown(news[row.name])) {
      const worst = worstCase(row);
      changed.push({ property: row.name, ...values(undefined), mode: worst.mode, impact: worst.impact, unknown: true, ...(worst.reason ? { reason: worst.reason } : {}) });
      continue;
    }
    const next = readValue(row, news[row.name]);
    if (next.kind !== "value") {
      // Check normalises inputs before diff, so this is a caller bug; refuse rather than guess.
      const reason = next.kind === "unreadable" ? `${next.reason} (the inputs were not checked)` : "the value is missing";
      const record: PropertyChange = { property: row.name, ...values(undefined), mode: "refused", impact: "none", reason };
      changed.push(record);
      refused.push({ property: row.name, reason: `${describeChange(record)} cannot be applied: ${reason}` });
      continue;
    }
    if (old.kind === "value" && rowEquals(row, next.value, old.value)) continue;
    const change = old.kind === "value" ? classify(row, oldValue, next.value) : classifyWithoutOld(row, old, next.value);
    const record: PropertyChange = { property: row.name, ...values(next.value), mode: change.mode, impact: change.impact, ...(change.reason ? { reason: change.reason } : {}) };
    changed.push(record);
    if (change.mode === "refused") {
      refused.push({ property: row.name, reason: `${describeChange(record)} cannot be applied: ${change.reason ?? "the table refuses it"}` });
    }
  }
  return {
    changes: changed.length > 0,
    replaces: changed.filter((change) => change.mode === "replace").map((change) => change.property),
    refused,
    changed,
  };
}

/**
 * The REST object for the declared properties in `inputs` (create), or only those named in `only` (update).
 * Throws when a value is still unknown: create and update never run during preview, so that is a bug upstream.
 */
export function payloadFor<P, Live>(table: PropertyTable<P, Live>, inputs: PropertyBag<P>, only?: readonly string[]): JsonObject {
  const bag = entries(inputs);
  const payload: JsonObject = {};
  for (const row of erasedRows(table)) {
    if (!isDeclared(bag, row.name) || (only && !only.includes(row.name))) continue;
    if (containsUnknown(bag[row.name])) {
      throw new Error(`${table.resource}: cannot build the request body because ${row.name} is not known yet (preview value); run pulumi up, not a preview`);
    }
    Object.assign(payload, row.toRest(bag[row.name], inputs as Readonly<Partial<P>>));
  }
  return payload;
}

/** Every row's canonical value read from the live object (undefined values left out). */
export function readProperties<P, Live>(table: PropertyTable<P, Live>, live: Live): Partial<P> {
  const values: Partial<Record<keyof P & string, unknown>> = {};
  for (const row of erasedRows(table)) {
    const value = row.fromRest(live);
    if (value !== undefined) values[row.name] = value;
  }
  return values as Partial<P>;
}

function renderValue(change: PropertyChange, side: "old" | "new"): string {
  if (change.secret) return "[secret]";
  if (side === "new" && change.unknown) return "(unknown)";
  const value = side === "old" ? change.old : change.new;
  return value === undefined ? "(unset)" : renderCompact(value, 200);
}

/** "dataInternodeEncryption false -> true" (secrets as [secret], unknowns as (unknown)). */
export function describeChange(change: PropertyChange): string {
  return `${change.property} ${renderValue(change, "old")} -> ${renderValue(change, "new")}`;
}

/** What applying the change does, as a phrase; conditional when the new value is not known yet. */
function consequenceOf(change: PropertyChange): string {
  const consequence = impactConsequence(change.impact);
  return change.unknown ? `may change; if it does, it ${consequence}` : consequence;
}

/**
 * One plain line per change that affects clients, e.g.
 * `Database "orders": dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients`.
 */
export function noteLines(resourceLabel: string, changes: readonly PropertyChange[]): string[] {
  return changes
    .filter((change) => change.impact !== "none" && change.mode !== "refused")
    .map((change) => `${resourceLabel}: ${describeChange(change)} ${consequenceOf(change)}`);
}

/**
 * With policy "deny", a failure for every change that disconnects clients, loses data or replaces the
 * resource. Changes to unknown values (preview) are not gated: check runs again with known values before
 * anything is applied.
 */
export function gateChanges(resourceLabel: string, changes: readonly PropertyChange[], policy: DisruptionPolicy): CheckFailure[] {
  if (policy === "allow") return [];
  return changes
    .filter((change) => !change.unknown && change.mode !== "refused" && isDisruptive(change.impact))
    .map((change) => ({
      property: change.property,
      reason:
        `${resourceLabel}: ${describeChange(change)} ${impactConsequence(change.impact)}, and disruptionPolicy is "deny". ` +
        `Set disruptionPolicy: "allow" on this resource for this change, or revert the property.`,
    }));
}

/**
 * The disruption-policy gate for check: compares the old inputs with the new ones. Only properties declared
 * in both are compared (check cannot know the live value of a property that was not managed before; the diff
 * gate, which sees the live outputs, covers that case).
 */
export function disruptionFailures<P, Live>(
  table: PropertyTable<P, Live>,
  oldInputs: PropertyBag<P>,
  newInputs: PropertyBag<P>,
  policy: DisruptionPolicy,
  resourceLabel: string,
): CheckFailure[] {
  if (policy === "allow") return [];
  const bothDeclared: Record<string, unknown> = {};
  for (const row of erasedRows(table)) {
    if (isDeclared(oldInputs, row.name) && isDeclared(newInputs, row.name)) bothDeclared[row.name] = entries(newInputs)[row.name];
  }
  return gateChanges(resourceLabel, diffProperties(table, oldInputs, bothDeclared).changed, policy);
}

const MODE_LABELS: Readonly<Record<ChangeMode, string>> = { "in-place": "in place", replace: "replace", refused: "refused" };

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

// Escapes pipes that are not escaped yet (schema displays escape their own separators).
function escapeDisplay(text: string): string {
  return text.replace(/(?<!\\)\|/g, "\\|").replace(/\r?\n/g, " ");
}

function changeCell(changes: readonly ChangeCase<unknown>[]): string {
  if (changes.every((change) => change.mode === changes[0].mode)) return MODE_LABELS[changes[0].mode];
  return changes.map((change) => `${change.label ?? "otherwise"}: ${MODE_LABELS[change.mode]}`).join("; ");
}

function impactCell(changes: readonly ChangeCase<unknown>[]): string {
  const applied = changes.filter((change) => change.mode !== "refused");
  if (applied.length === 0) return "-";
  if (applied.every((change) => change.impact === applied[0].impact)) return impactLabel(applied[0].impact);
  return applied.map((change) => `${change.label ?? "otherwise"}: ${impactLabel(change.impact)}`).join("; ");
}

function notesCell<P, Live>(row: ErasedRow<P, Live>): string {
  const parts = [row.description];
  if (row.notes) parts.push(row.notes);
  for (const change of row.changes) {
    if (change.reason && change.mode !== "in-place") {
      const reason = `${change.reason.charAt(0).toUpperCase()}${change.reason.slice(1)}`;
      parts.push(change.label ? `${change.label}: ${change.reason}` : reason);
    }
  }
  if (row.secret) parts.push("Secret: never shown in notes or errors.");
  parts.push(`Source: ${row.source}`);
  return parts.map((part) => (/[.!?]$/.test(part) ? part : `${part}.`)).join(" ");
}

/** The README reference table: one line per row, in table order. */
export function renderMarkdownTable<P, Live>(table: PropertyTable<P, Live>): string {
  const lines = ["| SDK name | REST field | type | change | impact on clients | notes |", "| --- | --- | --- | --- | --- | --- |"];
  for (const row of erasedRows(table)) {
    const cells = [
      `\`${row.name}\``,
      `\`${row.restField}\``,
      escapeDisplay(row.schema.display),
      escapeCell(changeCell(row.changes)),
      escapeCell(impactCell(row.changes)),
      escapeCell(notesCell(row)),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** The rules between properties as a Markdown list, for the README next to the table. */
export function renderMarkdownRules<P, Live>(table: PropertyTable<P, Live>): string {
  return table.rules.map((rule) => `- \`${rule.property}\`: ${rule.description}`).join("\n");
}
