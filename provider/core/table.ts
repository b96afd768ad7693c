// The generic machinery over a property table. A resource describes each of its properties once, as a row
// (REST field, schema, read mapping, equality, how each kind of change is applied and what it does to clients),
// and everything else is derived here: check validation, diff, payloads, read, preview notes, the
// disruption-policy gate and the README reference table. Everything in this file is pure.
//
// Beyond flat properties of one REST object, a row can name the REST object it lives in (a Cluster spans
// /v1/cluster, /v1/cluster/policy and /v1/job_scheduler), be a nested object managed leaf by leaf, carry a
// precondition evaluated against facts read from the cluster, be an action (a change triggers a call), or be
// computed from live state with an expected value (drift such as "a certificate expires within N days").

import type { DisruptionPolicy } from "./policy";
import { type ClientImpact, type ImpactWording, impactConsequence, impactLabel, impactSeverity, isDisruptive } from "./impact";
import { deepEqual, isPlainObject, type JsonObject, mergeJsonDeep, renderCompact } from "./json";
import type { Schema } from "./schema";
import { containsUnknown, isUnknown, type Previewable, UNKNOWN_VALUE } from "./unknown";

/**
 * How a change reaches the server: an update in place, a delete and re-create, not at all, or as an action (a
 * call such as a certificate rotation, rather than a value sent in the update payload).
 */
export type ChangeMode = "in-place" | "replace" | "refused" | "action";

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
  /** The note's sentence for this case, instead of the resource's wording of `impact`. */
  readonly consequence?: string;
  /** For mode "action": the name of the action hook the life cycle calls (e.g. "rotate"). */
  readonly action?: string;
  /** For a nested row: the case applies only to leaves at or below this path (e.g. "clusterCertsAboutToExpire"). */
  readonly leaf?: string;
}

/** Facts read from the cluster for preconditions, by name (e.g. "nodes"). */
export type Facts = Readonly<Record<string, unknown>>;

/**
 * A condition a change needs, evaluated against facts read from the cluster (e.g. every node at 6.2.4 or later
 * before data internode encryption is turned on). Declared once on the row; the life cycle evaluates it at
 * check (best effort), create, update and adopt, with `old` always the row's own reading of the live value.
 */
export interface Precondition<P, V> {
  /** For the README: "every node at 6.2.4 or later and active". */
  readonly description: string;
  /** The facts `check` reads; the life cycle reads each once per operation. */
  readonly facts: readonly string[];
  /** Whether the change old -> next needs the condition; `old` is undefined on create. */
  applies(old: V | undefined, next: V): boolean;
  /** A failure per unmet condition, each a full sentence naming the resource, property and what to do. */
  check(facts: Facts, context: { readonly label: string; readonly inputs: Readonly<Partial<P>> }): CheckFailure[];
}

/** A REST object (or request body) a resource's rows live in. */
export interface RestObject {
  /** Short name rows refer to, e.g. "policy". */
  readonly name: string;
  /** For the README and messages, e.g. "/v1/cluster/policy". */
  readonly path: string;
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
  /**
   * Top-level REST fields `fromRest` reads besides `restField` (the port from `endpoints`). A read that asks the
   * server for only the fields it uses (`?fields=`, liveFieldsRead) asks for these too.
   */
  readonly readsAlso?: readonly string[];
  /** The REST object it lives in, a name from the table's `objects`; the first object when omitted. */
  readonly object?: string;
  /**
   * The output key the row's value is recorded under, when its input name is also an output of another shape
   * (CertificateRotation's input `certificates` is a list of names, its output `certificates` the parsed
   * entries: the names are recorded as `requestedCertificates`). Diff reads the old value there when the bag
   * has it (outputs) and under the row's name otherwise (old inputs); a refresh's inputs take it from there.
   */
  readonly outputKey?: string;
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
  /**
   * The REST fields for a canonical value; `inputs` gives access to related properties. Omitted on a row that is
   * never sent (an action trigger, a value computed from live state).
   */
  toRest?(value: P[K], inputs: Readonly<Partial<P>>): JsonObject;
  /**
   * The canonical value from the live object; undefined when the server does not report it. `context` holds the
   * declared (or previously recorded) values, for a value computed against them (e.g. an expiry threshold).
   */
  fromRest(live: Live, context: Readonly<Partial<P>>): P[K] | undefined;
  /** A nested object compared, noted and managed leaf by leaf (only the declared leaves are managed). */
  readonly nested?: boolean;
  /** A condition a change needs, checked against facts read from the cluster. */
  readonly precondition?: Precondition<P, P[K]>;
  /**
   * A row computed from live state and always managed with this expected value; the program cannot declare it.
   * A live value that differs is drift (e.g. certificates fresh: `true`, computed from their expiry).
   */
  readonly expected?: P[K];
  /** Semantic equality of a declared value with the live one; structural equality when omitted. */
  equals?(declared: P[K], live: P[K]): boolean;
  /** How a value appears in notes and impact records (e.g. certificate fingerprints instead of PEMs). */
  display?(value: P[K]): unknown;
  readonly changes: readonly ChangeCase<P[K]>[];
  /**
   * The cluster's `error_code`s that refuse this property's value (`port_unavailable` for the port): a refusal
   * the cluster gives (a dry run at preview) is reported on the property that carries one of them.
   */
  readonly errorCodes?: readonly string[];
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
  /** The REST objects the rows live in; one unnamed object when omitted. */
  readonly objects?: readonly RestObject[];
  /** How this resource words each impact in notes and errors; the data-plane wording when omitted. */
  readonly wording?: ImpactWording;
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
  /** The case's own sentence for the note, when it words the impact differently from the resource. */
  readonly consequence?: string;
  /** For mode "action": the action hook the change triggers. */
  readonly action?: string;
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
export interface ErasedRow<P, Live> {
  readonly name: keyof P & string;
  readonly restField: string;
  readonly readsAlso?: readonly string[];
  readonly object?: string;
  readonly outputKey?: string;
  readonly schema: Schema<unknown>;
  readonly description: string;
  readonly source: string;
  readonly secret?: boolean;
  readonly notes?: string;
  toRest?(value: unknown, inputs: Readonly<Partial<P>>): JsonObject;
  fromRest(live: Live, context: Readonly<Partial<P>>): unknown;
  equals?(declared: unknown, live: unknown): boolean;
  display?(value: unknown): unknown;
  readonly nested?: boolean;
  readonly precondition?: Precondition<P, unknown>;
  readonly expected?: unknown;
  readonly changes: readonly ChangeCase<unknown>[];
  readonly errorCodes?: readonly string[];
}

/**
 * The top-level REST fields the table's rows read (`restField` and `readsAlso`), in row order: what a read asks for
 * with `?fields=` when only the table's values (and the fields the caller adds) are needed.
 */
export function liveFieldsRead<P, Live>(table: PropertyTable<P, Live>): string[] {
  return [...new Set(erasedRows(table).flatMap((row) => [row.restField, ...(row.readsAlso ?? [])]))];
}

export function erasedRows<P, Live>(table: PropertyTable<P, Live>): readonly ErasedRow<P, Live>[] {
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

function coversLeaf(change: ChangeCase<unknown>, leaf: string | undefined): boolean {
  return change.leaf === undefined || (leaf !== undefined && (leaf === change.leaf || leaf.startsWith(`${change.leaf}.`)));
}

/**
 * The case that classifies old -> next (for a nested row, of the leaf at `leaf`; `old` and `next` stay the
 * whole values). A table without a catch-all fails safe: the change is refused.
 */
function classify<P, Live>(row: ErasedRow<P, Live>, old: unknown, next: unknown, leaf?: string): ChangeCase<unknown> {
  const found = row.changes.find((change) => coversLeaf(change, leaf) && (change.when === undefined || change.when(old, next)));
  return found ?? { mode: "refused", impact: "none", reason: `no rule of the ${row.name} row covers this change (a provider bug: please report it)` };
}

/**
 * Without a readable previous value (a partly recorded create, state from another version) a replacement or a
 * refusal would be a guess, and a wrong replacement loses data: such a change is refused until a refresh has
 * read the live value. In-place changes go ahead (they only send the declared value).
 */
function classifyWithoutOld<P, Live>(row: ErasedRow<P, Live>, old: Reading, next: unknown, leaf?: string): ChangeCase<unknown> {
  const change = classify(row, undefined, next, leaf);
  if (change.mode === "in-place" || change.mode === "action") return change;
  const why = old.kind === "absent" ? "the recorded state has no value for it" : "the recorded value is not readable";
  return { mode: "refused", impact: "none", reason: `the current ${row.name} is not known (${why}); run pulumi refresh, then apply again` };
}

/** The worst a change to an unknown value could do: replacement if any case replaces, and the worst impact. */
function worstCase<P, Live>(row: ErasedRow<P, Live>): { mode: ChangeMode; impact: ClientImpact; reason?: string } {
  const applied = row.changes.filter((change) => change.mode !== "refused");
  const replacing = applied.find((change) => change.mode === "replace");
  let worst: ChangeCase<unknown> | undefined;
  for (const change of applied) if (!worst || impactSeverity(change.impact) > impactSeverity(worst.impact)) worst = change;
  const mode: ChangeMode = replacing ? "replace" : applied.length > 0 && applied.every((change) => change.mode === "action") ? "action" : "in-place";
  return { mode, impact: worst?.impact ?? "none", reason: replacing?.reason };
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
    if (row.expected !== undefined) {
      failures.push({ property: row.name, reason: `${row.name} is computed from the cluster's live state and cannot be declared; remove it` });
      unusable.add(row.name);
      continue;
    }
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
    // A row computed from live state is always managed, against its expected value; the others only when declared.
    const computed = row.expected !== undefined;
    if (!computed && !isDeclared(news, row.name)) continue;
    // An old value that no longer parses (state from another version, an odd live answer) is shown as it is
    // and classified as "previous value not known"; semantic equality only ever sees canonical values.
    const old = readValue(row, recordedValue(row, olds));
    if (computed && old.kind !== "value") continue; // nothing read yet: no drift to report
    const oldValue = old.kind === "value" ? old.value : undefined;
    const shown = (value: unknown) => (row.display ? row.display(value) : value);
    const values = (next: unknown) => {
      if (row.secret) return { secret: true };
      const oldShown = old.kind === "value" ? { old: shown(old.value) } : old.kind === "unreadable" ? { old: old.raw } : {};
      return { ...oldShown, ...(next === undefined ? {} : { new: shown(next) }) };
    };
    if (!computed && containsUnknown(news[row.name])) {
      const worst = worstCase(row);
      changed.push({ property: row.name, ...values(undefined), mode: worst.mode, impact: worst.impact, unknown: true, ...(worst.reason ? { reason: worst.reason } : {}) });
      continue;
    }
    const next: Reading = computed ? { kind: "value", value: row.expected } : readValue(row, news[row.name]);
    if (next.kind !== "value") {
      // Check normalises inputs before diff, so this is a caller bug; refuse rather than guess.
      const reason = next.kind === "unreadable" ? `${next.reason} (the inputs were not checked)` : "the value is missing";
      const record: PropertyChange = { property: row.name, ...values(undefined), mode: "refused", impact: "none", reason };
      changed.push(record);
      refused.push({ property: row.name, reason: `${describeChange(record)} cannot be applied: ${reason}` });
      continue;
    }
    const push = (record: PropertyChange) => {
      changed.push(record);
      if (record.mode === "refused") {
        refused.push({ property: record.property, reason: `${describeChange(record)} cannot be applied: ${record.reason ?? "the table refuses it"}` });
      }
    };
    if (row.nested) {
      // Leaf by leaf: only the declared leaves are managed; each changed leaf is its own record.
      const oldLeaves = old.kind === "value" ? new Map(leafEntries(old.value)) : undefined;
      for (const [path, value] of leafEntries(next.value)) {
        const had = oldLeaves?.has(path) === true;
        if (had && deepEqual(oldLeaves?.get(path), value)) continue;
        const change = old.kind === "value" ? classify(row, oldValue, next.value, path) : classifyWithoutOld(row, old, next.value, path);
        const leafValues = row.secret ? { secret: true } : { ...(had ? { old: oldLeaves?.get(path) } : {}), new: value };
        push({ property: `${row.name}.${path}`, ...leafValues, ...caseFields(change) });
      }
      continue;
    }
    if (old.kind === "value" && rowEquals(row, next.value, old.value)) continue;
    const change = old.kind === "value" ? classify(row, oldValue, next.value) : classifyWithoutOld(row, old, next.value);
    push({ property: row.name, ...values(next.value), ...caseFields(change) });
  }
  return {
    changes: changed.length > 0,
    replaces: [...new Set(changed.filter((change) => change.mode === "replace").map((change) => rowOfPath(change.property)))],
    refused,
    changed,
  };
}

/** A row's value in a bag of outputs (under its outputKey) or of inputs (under its name). */
export function recordedValue<P, Live>(row: ErasedRow<P, Live>, bag: Readonly<Record<string, unknown>>): unknown {
  return row.outputKey !== undefined && Object.prototype.hasOwnProperty.call(bag, row.outputKey) ? bag[row.outputKey] : bag[row.name];
}

/** The key a row's value is recorded under in the outputs. */
export function outputKeyOf<P, Live>(row: ErasedRow<P, Live>): string {
  return row.outputKey ?? row.name;
}

/** The fields a change record takes from the case that classified it. */
function caseFields(change: ChangeCase<unknown>): Pick<PropertyChange, "mode" | "impact" | "reason" | "consequence" | "action"> {
  return {
    mode: change.mode,
    impact: change.impact,
    ...(change.reason ? { reason: change.reason } : {}),
    ...(change.consequence ? { consequence: change.consequence } : {}),
    ...(change.action ? { action: change.action } : {}),
  };
}

/** The property a cluster's `error_code` is about (the row listing it in errorCodes), or undefined. */
export function propertyOfErrorCode<P, Live>(table: PropertyTable<P, Live>, errorCode: string | undefined): string | undefined {
  if (errorCode === undefined) return undefined;
  return erasedRows(table).find((row) => row.errorCodes?.includes(errorCode))?.name;
}

/** The row a change record belongs to: "alerts" for "alerts.clusterCertsAboutToExpire.enabled". */
export function rowOfPath(property: string): string {
  const dot = property.indexOf(".");
  return dot < 0 ? property : property.slice(0, dot);
}

/**
 * The leaves of a nested value as [path, value] pairs: plain objects are walked, anything else (lists included)
 * is a leaf. An empty object has no leaves.
 */
export function leafEntries(value: unknown, prefix = ""): [string, unknown][] {
  if (!isPlainObject(value)) return prefix === "" ? [] : [[prefix, value]];
  const leaves: [string, unknown][] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (isPlainObject(inner)) leaves.push(...leafEntries(inner, path));
    else leaves.push([path, inner]);
  }
  return leaves;
}

/** `base` with the declared leaves of `declared` written over it (a nested update keeps undeclared leaves). */
export function mergeLeaves(base: unknown, declared: unknown): unknown {
  if (!isPlainObject(declared)) return declared;
  const merged: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
  for (const [key, inner] of Object.entries(declared)) {
    if (inner !== undefined) merged[key] = mergeLeaves(merged[key], inner);
  }
  return merged;
}

/**
 * The REST object for the declared properties in `inputs` (create), or only those named in `only` (update).
 * Rows without `toRest` (actions, computed rows) contribute nothing. Throws when a value is still unknown: create
 * and update never run during preview, so that is a bug upstream.
 */
export function payloadFor<P, Live>(table: PropertyTable<P, Live>, inputs: PropertyBag<P>, only?: readonly string[]): JsonObject {
  return payloadsByObject(table, inputs, only, true)[ALL_OBJECTS] ?? {};
}

const ALL_OBJECTS = "\u0000all";

/** The name of the REST object a row lives in ("" for a table with a single, unnamed object). */
export function objectOf<P, Live>(table: PropertyTable<P, Live>, row: { readonly object?: string }): string {
  return row.object ?? table.objects?.[0]?.name ?? "";
}

/**
 * Like payloadFor, but one body per REST object the rows live in (e.g. { cluster: {...}, policy: {...} }), so
 * the life cycle sends one request per object. Objects with nothing to send are absent.
 */
export function payloadsByObject<P, Live>(table: PropertyTable<P, Live>, inputs: PropertyBag<P>, only?: readonly string[], merged = false): Record<string, JsonObject> {
  const bag = entries(inputs);
  const payloads: Record<string, JsonObject> = {};
  for (const row of erasedRows(table)) {
    if (!isDeclared(bag, row.name) || (only && !only.includes(row.name)) || !row.toRest) continue;
    if (containsUnknown(bag[row.name])) {
      throw new Error(`${table.resource}: cannot build the request body because ${row.name} is not known yet (preview value); run pulumi up, not a preview`);
    }
    const object = merged ? ALL_OBJECTS : objectOf(table, row);
    payloads[object] = mergeJsonDeep(payloads[object] ?? {}, row.toRest(bag[row.name], inputs as Readonly<Partial<P>>));
  }
  return payloads;
}

/**
 * The update bodies, per REST object: only declared properties that differ from `oldValues` (live values) and
 * are applied in place. A nested row sends its live value with the declared leaves merged in.
 */
export function updatePayloads<P, Live>(table: PropertyTable<P, Live>, oldValues: PropertyBag<P>, inputs: PropertyBag<P>): Record<string, JsonObject> {
  const olds = entries(oldValues);
  const inPlace = [
    ...new Set(
      diffProperties(table, olds, inputs)
        .changed.filter((change) => change.mode === "in-place" && !change.unknown)
        .map((change) => rowOfPath(change.property)),
    ),
  ];
  if (inPlace.length === 0) return {};
  const values: Record<string, unknown> = { ...entries(inputs) };
  for (const row of erasedRows(table)) {
    if (row.nested && inPlace.includes(row.name)) values[row.name] = mergeLeaves(olds[row.name], values[row.name]);
  }
  return payloadsByObject(table, values, inPlace);
}

/**
 * Every row's canonical value read from the live object (undefined values left out). `context` (declared or
 * recorded values) is handed to rows computed against it.
 */
export function readProperties<P, Live>(table: PropertyTable<P, Live>, live: Live, context: PropertyBag<P> = {}): Partial<P> {
  const values: Partial<Record<keyof P & string, unknown>> = {};
  for (const row of erasedRows(table)) {
    const value = row.fromRest(live, context as Readonly<Partial<P>>);
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
function consequenceOf(change: PropertyChange, wording?: ImpactWording): string {
  const consequence = change.consequence ?? impactConsequence(change.impact, wording);
  return change.unknown ? `may change; if it does, it ${consequence}` : consequence;
}

/**
 * One plain line per change that affects clients, e.g.
 * `Database "orders": dataInternodeEncryption false -> true restarts the database proxy and disconnects all connected clients`.
 */
export function noteLines(resourceLabel: string, changes: readonly PropertyChange[], wording?: ImpactWording): string[] {
  return changes
    .filter((change) => (change.impact !== "none" || change.consequence !== undefined) && change.mode !== "refused")
    .map((change) => `${resourceLabel}: ${describeChange(change)} ${consequenceOf(change, wording)}`);
}

/** Where a resource's disruption policy came from, and which properties a refresh found changed outside Pulumi. */
export interface GateContext {
  /** The stack config key the policy came from, when the resource declares none (e.g. "redisenterprise:disruptionPolicy"). */
  readonly configKey?: string;
  /** Properties (or leaf paths) whose live value a refresh found changed outside Pulumi since the last update. */
  readonly drifted?: readonly string[];
}

/**
 * With policy "deny", a failure for every change that disconnects clients, loses data or replaces the
 * resource. Changes to unknown values (preview) are not gated: check runs again with known values before
 * anything is applied. The wording fits the situation: a change the program declares can be reverted, while
 * putting back a value changed outside Pulumi is a choice between declaring the live value and allowing the
 * disruption; and a policy from stack config is named by its key, so the user knows where to change it.
 */
export function gateChanges(
  resourceLabel: string,
  changes: readonly PropertyChange[],
  policy: DisruptionPolicy,
  wording?: ImpactWording,
  context: GateContext = {},
): CheckFailure[] {
  if (policy === "allow") return [];
  const source = context.configKey ? `disruptionPolicy is "deny" (stack config ${context.configKey})` : 'disruptionPolicy is "deny"';
  const allow = context.configKey
    ? `allow it with disruptionPolicy: "allow" on this resource (or pulumi config set ${context.configKey} allow)`
    : 'set disruptionPolicy: "allow" on this resource for this change';
  return changes
    .filter((change) => !change.unknown && change.mode !== "refused" && isDisruptive(change.impact))
    .map((change) => {
      const consequence = change.consequence ?? impactConsequence(change.impact, wording);
      if (context.drifted?.includes(change.property)) {
        const live = change.secret ? "" : ` (live value ${renderValue(change, "old")})`;
        const declared = change.secret ? "the declared value" : `the declared ${renderValue(change, "new")}`;
        return {
          property: change.property,
          reason:
            `${resourceLabel}: ${change.property} was changed outside Pulumi${live}, as the last refresh found; ` +
            `putting back ${declared} ${consequence}, and ${source}. ` +
            `To keep the live value, declare it in the program; to put the declared value back, ${allow}.`,
        };
      }
      const remedy = context.configKey ? `${allow.charAt(0).toUpperCase()}${allow.slice(1)} for this change, or revert the property.` : 'Set disruptionPolicy: "allow" on this resource for this change, or revert the property.';
      return { property: change.property, reason: `${resourceLabel}: ${describeChange(change)} ${consequence}, and ${source}. ${remedy}` };
    });
}

/** The rows of `newInputs` that `oldInputs` declares too (the ones check can compare without the live object). */
export function bothDeclared<P, Live>(table: PropertyTable<P, Live>, oldInputs: PropertyBag<P>, newInputs: PropertyBag<P>): PropertyBag<P> {
  const both: Record<string, unknown> = {};
  for (const row of erasedRows(table)) {
    if (isDeclared(oldInputs, row.name) && isDeclared(newInputs, row.name)) both[row.name] = entries(newInputs)[row.name];
  }
  return both as PropertyBag<P>;
}

/**
 * The disruption-policy gate for check: compares the old inputs with the new ones. Only properties declared
 * in both are compared (check cannot know the live value of a property that was not managed before; update,
 * which sees the live outputs, refuses that case before sending anything). After a refresh the old inputs are
 * the live values (read returns them as inputs), so this also sees drift that a correction would make disruptive.
 */
export function disruptionFailures<P, Live>(
  table: PropertyTable<P, Live>,
  oldInputs: PropertyBag<P>,
  newInputs: PropertyBag<P>,
  policy: DisruptionPolicy,
  resourceLabel: string,
  context: GateContext = {},
): CheckFailure[] {
  if (policy === "allow") return [];
  return gateChanges(resourceLabel, diffProperties(table, oldInputs, bothDeclared(table, oldInputs, newInputs)).changed, policy, table.wording, context);
}

const MODE_LABELS: Readonly<Record<ChangeMode, string>> = { "in-place": "in place", replace: "replace", refused: "refused", action: "action" };

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

function impactCell(changes: readonly ChangeCase<unknown>[], wording?: ImpactWording): string {
  const applied = changes.filter((change) => change.mode !== "refused");
  if (applied.length === 0) return "-";
  if (applied.every((change) => change.impact === applied[0].impact)) return impactLabel(applied[0].impact, wording);
  return applied.map((change) => `${change.label ?? "otherwise"}: ${impactLabel(change.impact, wording)}`).join("; ");
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
  // A precondition is not restated here: the row's description says what the change needs, in its words.
  if (row.nested) parts.push("Managed leaf by leaf: only the declared fields are compared");
  if (row.expected !== undefined) parts.push(`Computed from the live state; drift when not ${renderCompact(row.expected)}`);
  if (row.outputKey !== undefined) parts.push(`Recorded as the output \`${row.outputKey}\``);
  if (row.secret) parts.push("Secret: never shown in notes or errors.");
  parts.push(`Source: ${row.source}`);
  return parts.map((part) => (/[.!?]$/.test(part) ? part : `${part}.`)).join(" ");
}

/**
 * The README reference table: one line per row, in table order. A table over several REST objects gets a
 * column naming each row's object (its path).
 */
export function renderMarkdownTable<P, Live>(table: PropertyTable<P, Live>): string {
  const objects = table.objects ?? [];
  const several = objects.length > 1;
  const lines = several
    ? ["| SDK name | REST object | REST field | type | change | impact on clients | notes |", "| --- | --- | --- | --- | --- | --- | --- |"]
    : ["| SDK name | REST field | type | change | impact on clients | notes |", "| --- | --- | --- | --- | --- | --- |"];
  for (const row of erasedRows(table)) {
    const objectName = objectOf(table, row);
    const objectPath = objects.find((object) => object.name === objectName)?.path ?? objectName;
    const cells = [
      `\`${row.name}\``,
      ...(several ? [`\`${escapeCell(objectPath)}\``] : []),
      `\`${row.restField}\``,
      escapeDisplay(row.schema.display),
      escapeCell(changeCell(row.changes)),
      escapeCell(impactCell(row.changes, table.wording)),
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
