// A resource definition: the property table plus what surrounds it (settings, required inputs, output-only keys,
// labels, the outputs read from the live object), and the pure logic every resource derives from it: check,
// diff, outputs after create/update and after refresh, inputs rebuilt from outputs, update payloads and
// adoption. The life cycle (../framework/lifecycle.ts) calls these around its I/O; a resource writes none of it.
import { deepEqual, isPlainObject, type JsonObject, renderCompact } from "./json";
import { DISRUPTION_POLICIES, type DisruptionPolicy, effectivePolicy } from "./policy";
import {
  type CheckFailure,
  type GateContext,
  type PropertyBag,
  type PropertyChange,
  type PropertyDiff,
  type PropertyTable,
  bothDeclared,
  checkInputs,
  describeChange,
  diffProperties,
  disruptionFailures,
  erasedRows,
  gateChanges,
  isDeclared,
  leafEntries,
  noteLines,
  outputKeyOf,
  readProperties,
  rowOfPath,
  updatePayloads,
} from "./table";
import { containsUnknown } from "./unknown";

type Bag = Readonly<Record<string, unknown>>;

/**
 * An input that steers the provider rather than the server (disruptionPolicy, adopt, connection, timeouts):
 * validated here or by the framework, and echoed into the outputs.
 */
export interface SettingSpec {
  readonly name: string;
  /** Stored as a secret output whatever the program passed (a connection holds the admin password). */
  readonly secret?: boolean;
  /**
   * Validates a declared value that holds no preview unknown: the canonical value, or failures. Omitted: the
   * value passes through (the framework validates it, as for `connection` and `timeouts`).
   */
  check?(value: unknown): { readonly value?: unknown; readonly failures: readonly CheckFailure[] };
  /**
   * Whether a declared value and the recorded one (previous outputs) are the same setting; structural equality
   * when omitted. A setting recorded in another form than declared needs it (the Cluster's nodes are declared
   * as { url } and recorded as the cluster reports them).
   */
  equals?(declared: unknown, recorded: unknown): boolean;
  /** The input a recorded value stands for, for a refresh's inputs; the value itself when omitted. */
  fromOutput?(recorded: unknown): unknown;
}

export interface ResourceDefinition<P, Live> {
  /** The kind name: type token suffix, shim key, SDK class ("Database"). */
  readonly kind: string;
  /** The object in sentences: "database", "cluster". */
  readonly noun: string;
  /** What its id is called in sentences: "uid". */
  readonly idName: string;
  readonly table: PropertyTable<P, Live>;
  /** Non-table inputs, in the order their failures are reported. */
  readonly settings: readonly SettingSpec[];
  /** Output-only keys: tolerated in inputs (a resource class seeds them) but never treated as inputs. */
  readonly outputKeys: readonly string[];
  /** How notes and errors name the resource, from the new inputs (and the old ones while the new are unknown). */
  label(news: Bag, olds?: Bag): string;
  /** Required inputs and other checks on the raw inputs that no row or setting owns. */
  requirements?(news: Bag): CheckFailure[];
  /**
   * Outputs read from the live object besides the rows (ids, status, endpoints). May throw on a bad answer.
   * `inputs` are the declared inputs (create, update) or the previous outputs (refresh), for an output built
   * from them (the Cluster's connection).
   */
  liveOutputs(live: Live, values: Readonly<Partial<P>>, inputs: Bag): Record<string, unknown>;
  /** The id of a live object, for adoption messages. */
  idOf(live: Live): unknown;
  /** True when a replacement must delete first (two objects cannot share a name or a port). */
  readonly deleteBeforeReplace: boolean;
  /**
   * Why the recorded object can only be replaced, whatever the inputs say (a database whose creation failed
   * can never become ready): a sentence for the preview, or undefined. The replacement shows in the preview, so
   * `pulumi up` asks before it deletes anything.
   */
  replaceReason?(oldOutputs: Bag): string | undefined;
  /** Output-only keys that hold a secret (a Cluster's `connection` carries the admin password). */
  readonly secretOutputKeys?: readonly string[];
  /**
   * The rows' values as the outputs record them, for a resource whose output under a row's name is not that row's
   * value (the InternodeFirewall's `nodes` output is per-node statuses; the declared nodes are in
   * `declaredNodes`). Diff, update payloads and refresh read the recorded values through it. Omitted: the
   * outputs hold each row's value under its own name.
   */
  recordedValues?(outputs: Bag): Record<string, unknown>;
  /**
   * The rows' live values that a refresh returns as inputs, when they differ from `recordedValues`: the
   * InternodeFirewall leaves out a node whose table drifted, so the engine shows the drift as a property-level
   * diff of `nodes`. Omitted: the recorded values.
   */
  refreshedValues?(outputs: Bag): Record<string, unknown>;
}

/**
 * The outputs every resource records about itself (buildOutputs below), documented once for the README's
 * output tables (a field table's rows: name, type, description).
 */
export const BOOKKEEPING_OUTPUT_DOCS = [
  { name: "managedProperties", type: "list of string", description: "The properties this program manages (a refresh never adds one); a nested one as its declared leaves, e.g. clusterCertsAboutToExpireAlert.thresholdDays." },
  { name: "lastUpdateImpacts", type: "list of changes", description: "What the last update changed, one record per change with its mode and impact (actions, such as a node joined or a rotation, included)." },
] as const;

/** The disruptionPolicy setting every resource has. */
export const disruptionPolicySetting: SettingSpec = {
  name: "disruptionPolicy",
  check: (value) =>
    value === "allow" || value === "deny"
      ? { value, failures: [] }
      : { failures: [{ property: "disruptionPolicy", reason: `disruptionPolicy must be ${DISRUPTION_POLICIES.map((p) => `"${p}"`).join(" or ")}; got ${renderCompact(value)}` }] },
};

/** A setting the framework validates (connection, timeouts): passed through by check. */
export function passThroughSetting(name: string, options: Omit<SettingSpec, "name" | "check"> = {}): SettingSpec {
  return { name, ...options };
}

function bag(value: unknown): Bag {
  return (isPlainObject(value) ? value : {}) as Bag;
}

function rowNames<P, Live>(definition: ResourceDefinition<P, Live>): string[] {
  return erasedRows(definition.table).map((row) => row.name);
}

function declarableRowNames<P, Live>(definition: ResourceDefinition<P, Live>): string[] {
  return erasedRows(definition.table)
    .filter((row) => row.expected === undefined)
    .map((row) => row.name);
}

function settingNames<P, Live>(definition: ResourceDefinition<P, Live>): string[] {
  return definition.settings.map((setting) => setting.name);
}

/** True when the previous inputs or outputs describe an existing object (check gets {} on create). */
function describesExisting<P, Live>(definition: ResourceDefinition<P, Live>, olds: Bag): boolean {
  return rowNames(definition).some((name) => isDeclared(olds, name));
}

export interface ResourceCheckOptions {
  /** The stack's default disruption policy, used when the resource declares none. */
  readonly defaultDisruptionPolicy?: DisruptionPolicy;
  /** The stack config key that default comes from, for messages ("redisenterprise:disruptionPolicy"). */
  readonly defaultPolicyConfigKey?: string;
}

/**
 * Keys the engine stores but never displays (it hides "__" keys from diffs), kept in inputs and outputs:
 * `__urn`, the resource's URN as the SDK computed it, so notes printed to stderr (which the engine shows under
 * the stack, not the resource) name the resource unambiguously; `__drifted`, the managed properties whose live
 * value a refresh found different from the last update's, so the policy gate words a correction as putting
 * back a change made outside Pulumi rather than as a change the program made.
 */
export const INTERNAL_KEYS = ["__urn", "__drifted"] as const;

/** The resource's URN when the SDK recorded it (`__urn`) in any of the bags. */
export function resourceUrn(...bags: unknown[]): string | undefined {
  for (const value of bags) {
    const urn = bag(value).__urn;
    if (typeof urn === "string" && urn.startsWith("urn:pulumi:")) return urn;
  }
  return undefined;
}

/** Where the policy came from and what the last refresh found drifted, for the gate's wording. */
function gateContext(olds: Bag, news: Bag, options: ResourceCheckOptions): GateContext {
  const fromResource = news.disruptionPolicy === "allow" || news.disruptionPolicy === "deny";
  const drifted = Array.isArray(olds.__drifted) ? olds.__drifted.filter((name): name is string => typeof name === "string") : [];
  const configKey = !fromResource && options.defaultDisruptionPolicy && options.defaultPolicyConfigKey ? options.defaultPolicyConfigKey : undefined;
  return { ...(configKey ? { configKey } : {}), drifted };
}

export interface ResourceCheck<P> {
  readonly inputs: Record<string, unknown> & Partial<P>;
  readonly failures: CheckFailure[];
}

/**
 * Validates and normalises new inputs: the table's rows and rules, the settings, the requirements, unknown keys
 * (almost always a typo), and, for an existing object, the disruption gate against the old inputs.
 */
export function checkResource<P, Live>(definition: ResourceDefinition<P, Live>, oldInputs: unknown, newInputs: unknown, options: ResourceCheckOptions = {}): ResourceCheck<P> {
  if (!isPlainObject(newInputs)) {
    return { inputs: {} as Record<string, unknown> & Partial<P>, failures: [{ property: "", reason: `${definition.kind} inputs must be an object; got ${renderCompact(newInputs)}` }] };
  }
  const news = newInputs as Bag;
  const olds = bag(oldInputs);
  const existing = isPlainObject(oldInputs) && describesExisting(definition, olds);
  const table = checkInputs(definition.table, news);
  const failures = [...table.failures];
  const inputs: Record<string, unknown> = { ...table.inputs };
  for (const setting of definition.settings) {
    if (!isDeclared(news, setting.name)) continue;
    const value = news[setting.name];
    if (!setting.check || containsUnknown(value)) {
      inputs[setting.name] = value;
      continue;
    }
    const checked = setting.check(value);
    failures.push(...checked.failures);
    if (checked.value !== undefined) inputs[setting.name] = checked.value;
  }
  failures.push(...(definition.requirements?.(news) ?? []));
  if (typeof news.__urn === "string") inputs.__urn = news.__urn;
  const rows = rowNames(definition);
  const settings = settingNames(definition);
  for (const key of Object.keys(news)) {
    if (key.startsWith("__") || rows.includes(key) || settings.includes(key) || definition.outputKeys.includes(key)) continue;
    if (news[key] === undefined || news[key] === null) continue;
    failures.push({ property: key, reason: `${key} is not a ${definition.kind} input; expected one of ${[...declarableRowNames(definition), ...settings].join(", ")}` });
  }
  if (existing) {
    // Refused changes and the policy are checked here, against the previous inputs (the live values after a
    // refresh), because a check failure is the one clean way to refuse at preview: an error thrown from diff is
    // printed three times with a stack trace, and diff also runs during refresh, which must never fail.
    const label = definition.label(news, olds);
    if (failures.length === 0) {
      const refused = diffProperties(definition.table, olds, bothDeclared(definition.table, olds, inputs as PropertyBag<P>)).refused;
      failures.push(...refused.map((refusal) => ({ property: refusal.property, reason: `${label}: ${refusal.reason}` })));
    }
    const resolved = effectivePolicy(inputs.disruptionPolicy, options.defaultDisruptionPolicy);
    failures.push(...disruptionFailures(definition.table, olds, inputs, resolved, label, gateContext(olds, inputs, options)));
  }
  return { inputs: inputs as Record<string, unknown> & Partial<P>, failures };
}

/** The rows' values that outputs record (see ResourceDefinition.recordedValues). */
export function recordedValues<P, Live>(definition: ResourceDefinition<P, Live>, outputs: unknown): Bag {
  const values = bag(outputs);
  return definition.recordedValues ? { ...values, ...definition.recordedValues(values) } : values;
}

export interface ResourceDiff extends PropertyDiff {
  /** True when a replacement must delete first. */
  readonly deleteBeforeReplace: boolean;
  /** One line per change that affects clients, for the provider to print. */
  readonly notes: string[];
  /** Settings that differ from their echo: an update without a REST call refreshes them. */
  readonly settingsChanged: string[];
  /**
   * Under disruptionPolicy "deny": every disruptive change against the live values. Check has refused those it
   * can see; update throws the rest (a property newly declared); diff only prints them, never throws.
   */
  readonly blocked: CheckFailure[];
  /** When changes are refused: one message naming each, for update to throw. */
  readonly refusalMessage?: string;
}

/**
 * Compares the previous outputs (live values) with the checked inputs. Only declared properties are compared
 * (and rows computed from live state, against their expected value).
 */
export function diffResource<P, Live>(definition: ResourceDefinition<P, Live>, oldOutputs: unknown, newInputs: unknown, options: ResourceCheckOptions = {}): ResourceDiff {
  const olds = bag(oldOutputs);
  const news = bag(newInputs);
  const properties = diffProperties(definition.table, recordedValues(definition, olds), news);
  const label = definition.label(news, olds);
  const settingsChanged = definition.settings
    .filter(({ name }) => isDeclared(news, name) || isDeclared(olds, name))
    .filter(({ name, equals }) => (equals && isDeclared(news, name) && isDeclared(olds, name) ? !equals(news[name], olds[name]) : !deepEqual(news[name], olds[name])))
    .map(({ name }) => name);
  const policy = effectivePolicy(news.disruptionPolicy, options.defaultDisruptionPolicy);
  return {
    ...properties,
    changes: properties.changes || settingsChanged.length > 0,
    deleteBeforeReplace: definition.deleteBeforeReplace && properties.replaces.length > 0,
    notes: noteLines(label, properties.changed, definition.table.wording),
    settingsChanged,
    blocked: gateChanges(label, properties.changed, policy, definition.table.wording, gateContext(olds, news, options)),
    ...(properties.refused.length > 0 ? { refusalMessage: `${label}: ${properties.refused.map((refusal) => refusal.reason).join("; ")}` } : {}),
  };
}

/** What the program manages: declared row names, and for a nested row the declared leaf paths, in table order. */
export function managedPaths<P, Live>(definition: ResourceDefinition<P, Live>, inputs: unknown): string[] {
  const declared = bag(inputs);
  const managed: string[] = [];
  for (const row of erasedRows(definition.table)) {
    if (row.expected !== undefined || !isDeclared(declared, row.name)) continue;
    if (row.nested) managed.push(...leafEntries(declared[row.name]).map(([path]) => `${row.name}.${path}`));
    else managed.push(row.name);
  }
  return managed;
}

/** Builds outputs from a live object: values (secrets only when managed), settings, live outputs, bookkeeping. */
function buildOutputs<P, Live>(
  definition: ResourceDefinition<P, Live>,
  live: Live,
  managed: readonly string[],
  settingsSource: Bag,
  impacts: readonly PropertyChange[],
): Record<string, unknown> {
  if (!isPlainObject(live)) throw new Error(`the cluster returned a ${definition.noun} answer that is not an object (${renderCompact(live)}); cannot read it`);
  const values: Record<string, unknown> = { ...readProperties(definition.table, live, settingsSource) };
  const managedRows = new Set(managed.map(rowOfPath));
  for (const row of erasedRows(definition.table)) {
    if (row.secret && !managedRows.has(row.name)) delete values[row.name];
    // A row recorded under another key leaves its name to the output of that name (see PropertyRow.outputKey).
    if (row.outputKey !== undefined && row.name in values) {
      values[row.outputKey] = values[row.name];
      delete values[row.name];
    }
  }
  const settings: Record<string, unknown> = {};
  for (const key of settingNames(definition)) if (isDeclared(settingsSource, key)) settings[key] = settingsSource[key];
  if (typeof settingsSource.__urn === "string") settings.__urn = settingsSource.__urn;
  const order: string[] = erasedRows(definition.table).map((row) => row.name);
  const ordered = [...managed].sort((a, b) => order.indexOf(rowOfPath(a)) - order.indexOf(rowOfPath(b)));
  return {
    ...values,
    ...settings,
    ...definition.liveOutputs(live, values as Partial<P>, settingsSource),
    managedProperties: ordered,
    lastUpdateImpacts: impacts.map((impact) => ({ ...impact })),
  };
}

/**
 * Outputs after a create or update: the live values, the properties `inputs` declares as managed, the echoed
 * settings and what the update changed.
 */
export function resourceOutputs<P, Live>(definition: ResourceDefinition<P, Live>, live: Live, inputs: unknown, lastUpdateImpacts: readonly PropertyChange[] = []): Record<string, unknown> {
  return buildOutputs(definition, live, managedPaths(definition, inputs), bag(inputs), lastUpdateImpacts);
}

/**
 * Outputs after a refresh: the live values, with the managed list, settings and last impacts kept from the
 * previous outputs, so a refresh never turns an unmanaged property into a managed one. `__drifted` adds every
 * managed property whose live value differs from the previous outputs to those an earlier refresh found (an
 * update clears it).
 */
export function refreshedOutputs<P, Live>(definition: ResourceDefinition<P, Live>, live: Live, previousOutputs: unknown): Record<string, unknown> {
  const previous = bag(previousOutputs);
  const rows = rowNames(definition);
  const managed = Array.isArray(previous.managedProperties)
    ? previous.managedProperties.filter((name): name is string => typeof name === "string" && rows.includes(rowOfPath(name)))
    : // State written before the list was kept: a resource that records its declaration manages what it recorded.
      definition.recordedValues
      ? managedPaths(definition, definition.recordedValues(previous))
      : [];
  const impacts = Array.isArray(previous.lastUpdateImpacts) ? (previous.lastUpdateImpacts as PropertyChange[]) : [];
  const outputs = buildOutputs(definition, live, managed, previous, impacts);
  const earlier = Array.isArray(previous.__drifted) ? previous.__drifted.filter((name): name is string => typeof name === "string") : [];
  const found = diffProperties(definition.table, recordedValues(definition, previous) as PropertyBag<P>, inputsFromOutputs(definition, outputs) as PropertyBag<P>).changed.map(
    (change) => change.property,
  );
  const drifted = [...earlier, ...found.filter((name) => !earlier.includes(name))];
  return drifted.length > 0 ? { ...outputs, __drifted: drifted } : outputs;
}

/** The value at a dotted path inside nested plain objects. */
function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) current = isPlainObject(current) ? current[key] : undefined;
  return current;
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(current[key])) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[path[path.length - 1]] = value;
}

/**
 * Inputs rebuilt from outputs, for a refresh's ReadResult.inputs: the managed properties (and leaves) at their
 * live values, plus the settings. Later diffs compare the program's inputs with the live outputs, so this never
 * hides drift.
 */
export function inputsFromOutputs<P, Live>(definition: ResourceDefinition<P, Live>, outputs: unknown): Record<string, unknown> {
  const values = bag(outputs);
  const live = definition.refreshedValues ? { ...values, ...definition.refreshedValues(values) } : recordedValues(definition, values);
  const inputs: Record<string, unknown> = {};
  const managed = Array.isArray(values.managedProperties) ? values.managedProperties.filter((name): name is string => typeof name === "string") : [];
  const rows = erasedRows(definition.table);
  for (const name of managed) {
    const path = name.split(".");
    const row = rows.find((candidate) => candidate.name === path[0]);
    const value = valueAt(live, row ? [outputKeyOf(row), ...path.slice(1)] : path);
    if (value !== undefined && value !== null) setAt(inputs, path, value);
  }
  for (const { name, fromOutput } of definition.settings) {
    if (isDeclared(values, name)) inputs[name] = fromOutput ? fromOutput(values[name]) : values[name];
  }
  return inputs;
}

/**
 * The inputs read returns after a refresh: `inputsFromOutputs` (the engine shows a dynamic resource's diff from
 * old and new inputs, so without them drift shows as an update with every property "unchanged", and check then
 * compares the program with the live values) and the internal keys.
 */
export function refreshedInputs<P, Live>(definition: ResourceDefinition<P, Live>, outputs: unknown): Record<string, unknown> {
  const inputs = inputsFromOutputs(definition, outputs);
  const values = bag(outputs);
  for (const key of INTERNAL_KEYS) if (values[key] !== undefined) inputs[key] = values[key];
  return inputs;
}

/** The update bodies per REST object (see updatePayloads); one object's body for a single-object resource. */
export function resourceUpdatePayloads<P, Live>(definition: ResourceDefinition<P, Live>, oldOutputs: unknown, inputs: unknown): Record<string, JsonObject> {
  return updatePayloads(definition.table, recordedValues(definition, oldOutputs) as PropertyBag<P>, bag(inputs) as PropertyBag<P>);
}

/** Every declared property whose live value differs, with the mode and impact applying it would have. */
export function liveMismatches<P, Live>(definition: ResourceDefinition<P, Live>, inputs: unknown, live: Live): PropertyChange[] {
  const declared = bag(inputs);
  return diffProperties(definition.table, readProperties(definition.table, live, declared), declared).changed;
}

/**
 * Whether adopting `live` may proceed. Without `applyChanges` every difference is a failure (listed, so the user
 * can declare the live values). With it, refused changes and replacements (adoption never deletes) still fail,
 * and disruptive ones fail under "deny". `changes` are what the adoption update will apply.
 */
export function adoptionProblems<P, Live>(
  definition: ResourceDefinition<P, Live>,
  inputs: unknown,
  live: Live,
  applyChanges: boolean,
  defaultPolicy?: DisruptionPolicy,
): { changes: PropertyChange[]; failures: CheckFailure[] } {
  const declared = bag(inputs);
  const changes = liveMismatches(definition, declared, live);
  const label = definition.label(declared);
  const id = `${definition.idName} ${renderCompact(definition.idOf(live))}`;
  const { noun } = definition;
  if (!applyChanges) {
    const failures = changes.map((change) => ({
      property: change.property,
      reason: `${label}: adopting ${id}: ${describeChange(change)} differs from the live ${noun}; declare the live value, or set adopt.applyChanges: true to apply it`,
    }));
    return { changes, failures };
  }
  const failures: CheckFailure[] = [];
  for (const change of changes) {
    if (change.mode === "refused" || change.mode === "replace") {
      failures.push({ property: change.property, reason: `${label}: adopting ${id}: ${describeChange(change)} cannot be applied to an adopted ${noun}: ${change.reason ?? "refused"}; declare the live value` });
    }
  }
  const applied = changes.filter((change) => change.mode === "in-place" || change.mode === "action");
  failures.push(...gateChanges(label, applied, effectivePolicy(declared.disruptionPolicy, defaultPolicy), definition.table.wording));
  return { changes, failures };
}
