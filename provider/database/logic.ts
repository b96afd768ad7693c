// The Database resource's pure logic: the functions the I/O provider (provider.ts) calls around each REST call.
// Everything here is a function of its arguments; the provider prints the note lines and throws the failures.

import {
  type CheckFailure,
  type JsonObject,
  type PropertyChange,
  type PropertyBag,
  type PropertyDiff,
  checkInputs,
  containsUnknown,
  deepEqual,
  diffProperties,
  disruptionFailures,
  gateChanges,
  describeChange,
  isDeclared,
  isPlainObject,
  isUnknown,
  noteLines,
  parseSoftwareVersion,
  compareSoftwareVersions,
  payloadFor,
  readProperties,
  renderCompact,
  renderMarkdownRules,
  renderMarkdownTable,
} from "../core";
import { DISRUPTION_POLICIES, type DisruptionPolicy } from "../settings";
import { DATABASE_NAME_PATTERN, DATABASE_TABLE, firstEndpoint } from "./table";
import type {
  AdoptOptions,
  CheckedDatabaseInputs,
  DatabaseEndpoint,
  DatabaseInputs,
  DatabaseOutputs,
  DatabaseProperties,
  DatabaseSettings,
  LiveDatabase,
  NodeVersionInfo,
} from "./types";

/** Data internode encryption needs every node at this version or later (RS/security/encryption/internode-encryption.md). */
export const INE_MINIMUM_VERSION = "6.2.4";

/** The non-table inputs, echoed into the outputs. */
export const DATABASE_SETTINGS: readonly (keyof DatabaseSettings)[] = ["disruptionPolicy", "adopt", "connection", "timeouts"];

/** Output-only keys: tolerated in inputs (a resource class may seed them) but never treated as inputs. */
export const DATABASE_OUTPUT_KEYS = ["uid", "status", "endpoint", "managedProperties", "lastUpdateImpacts"] as const satisfies readonly (keyof DatabaseOutputs)[];

const ROW_NAMES: readonly string[] = DATABASE_TABLE.rows.map((row) => row.name);

type Bag = Readonly<Record<string, unknown>>;

/** Inputs or outputs of a Database: typed, or as the engine hands them over. */
export type DatabaseBag = PropertyBag<DatabaseProperties> | DatabaseOutputs | CheckedDatabaseInputs | DatabaseInputs;

function bag(value: DatabaseBag): Bag {
  return value as Bag;
}

/** `Database "orders"`: how notes and errors name the resource. */
export function databaseLabel(name: unknown): string {
  return typeof name === "string" && !isUnknown(name) ? `Database "${name}"` : "Database (name not known yet)";
}

function labelFor(news: Bag, olds: Bag): string {
  return databaseLabel(typeof news.name === "string" && !isUnknown(news.name) ? news.name : olds.name);
}

/** True when the previous inputs or outputs describe an existing database (check gets {} on create). */
function describesExisting(olds: Bag): boolean {
  return ROW_NAMES.some((name) => isDeclared(olds, name));
}

function effectivePolicy(declared: unknown, fallback: DisruptionPolicy | undefined): DisruptionPolicy {
  return declared === "allow" || declared === "deny" ? declared : fallback ?? "allow";
}

function checkAdopt(value: unknown): { adopt?: AdoptOptions; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  if (!isPlainObject(value)) {
    return { failures: [{ property: "adopt", reason: `adopt must be an object { name?: string; uid?: number; applyChanges?: boolean }; got ${renderCompact(value)}` }] };
  }
  const adopt: AdoptOptions = {};
  for (const key of Object.keys(value)) {
    if (!["name", "uid", "applyChanges"].includes(key)) failures.push({ property: `adopt.${key}`, reason: `adopt has an unknown field "${key}"; expected name, uid, applyChanges` });
  }
  const { name, uid, applyChanges } = value;
  if (name !== undefined && name !== null && !isUnknown(name)) {
    if (typeof name === "string" && DATABASE_NAME_PATTERN.test(name)) adopt.name = name;
    else failures.push({ property: "adopt.name", reason: `adopt.name must be a database name (letters, digits and '-'); got ${renderCompact(name)}` });
  }
  if (uid !== undefined && uid !== null && !isUnknown(uid)) {
    if (typeof uid === "number" && Number.isSafeInteger(uid) && uid > 0) adopt.uid = uid;
    else failures.push({ property: "adopt.uid", reason: `adopt.uid must be a positive integer (the database uid); got ${renderCompact(uid)}` });
  }
  if (applyChanges !== undefined && applyChanges !== null && !isUnknown(applyChanges)) {
    if (typeof applyChanges === "boolean") adopt.applyChanges = applyChanges;
    else failures.push({ property: "adopt.applyChanges", reason: `adopt.applyChanges must be true or false; got ${renderCompact(applyChanges)}` });
  }
  return { adopt, failures };
}

export interface DatabaseCheckContext {
  /** The stack's default disruption policy (stack config), used when the resource declares none. */
  readonly defaultDisruptionPolicy?: DisruptionPolicy;
}

export interface DatabaseCheckResult {
  readonly inputs: CheckedDatabaseInputs;
  readonly failures: CheckFailure[];
}

/**
 * Validates and normalises a Database's inputs. `oldInputs` are the previous inputs ({} on create): under
 * disruptionPolicy "deny", a disruptive change between a property declared in both is a failure here, so
 * preview shows it as an error on the resource (diffDatabase's `blocked` covers the rest against live values).
 * Unknown values (preview) are passed through, never reported.
 */
export function checkDatabase(oldInputs: DatabaseBag, newInputs: DatabaseBag, context: DatabaseCheckContext = {}): DatabaseCheckResult {
  const olds = bag(oldInputs ?? {});
  const news = bag(newInputs);
  if (!isPlainObject(news)) {
    return { inputs: {}, failures: [{ property: "", reason: `Database inputs must be an object; got ${renderCompact(news)}` }] };
  }
  const existing = isPlainObject(olds) && describesExisting(olds);
  const table = checkInputs(DATABASE_TABLE, news);
  const failures = [...table.failures];
  const inputs: CheckedDatabaseInputs = { ...table.inputs };

  const policy = news.disruptionPolicy;
  if (isDeclared(news, "disruptionPolicy")) {
    if (isUnknown(policy) || policy === "allow" || policy === "deny") inputs.disruptionPolicy = policy as DisruptionPolicy;
    else failures.push({ property: "disruptionPolicy", reason: `disruptionPolicy must be ${DISRUPTION_POLICIES.map((p) => `"${p}"`).join(" or ")}; got ${renderCompact(policy)}` });
  }
  if (isDeclared(news, "adopt")) {
    if (containsUnknown(news.adopt)) {
      inputs.adopt = news.adopt as AdoptOptions;
    } else {
      const adopt = checkAdopt(news.adopt);
      failures.push(...adopt.failures);
      if (adopt.adopt) inputs.adopt = adopt.adopt;
    }
  }
  // Validated by the provider (provider/connection.ts, provider/timeouts.ts); passed through untouched here.
  if (isDeclared(news, "connection")) inputs.connection = news.connection;
  if (isDeclared(news, "timeouts")) inputs.timeouts = news.timeouts;

  if (!isDeclared(news, "name")) {
    failures.push({ property: "name", reason: "name is required: the database name (letters, digits and '-', at most 63 characters)" });
  }
  if (!isDeclared(news, "memorySize") && !isDeclared(news, "adopt")) {
    failures.push({ property: "memorySize", reason: 'memorySize is required to create a database: bytes, or a string like "1GB"' });
  }
  for (const key of Object.keys(news)) {
    if (key.startsWith("__") || ROW_NAMES.includes(key) || (DATABASE_SETTINGS as readonly string[]).includes(key) || (DATABASE_OUTPUT_KEYS as readonly string[]).includes(key)) continue;
    if (news[key] === undefined || news[key] === null) continue;
    failures.push({ property: key, reason: `${key} is not a Database input; expected one of ${[...ROW_NAMES, ...DATABASE_SETTINGS].join(", ")}` });
  }

  if (existing) {
    const resolved = effectivePolicy(inputs.disruptionPolicy, context.defaultDisruptionPolicy);
    failures.push(...disruptionFailures(DATABASE_TABLE, olds, inputs, resolved, labelFor(news, olds)));
  }
  return { inputs, failures };
}

export interface DatabaseDiffOptions {
  /** The stack's default disruption policy, used when the resource declares none. */
  readonly defaultDisruptionPolicy?: DisruptionPolicy;
}

export interface DatabaseDiff extends PropertyDiff {
  /** True whenever there is a replacement: two databases cannot share a port or a name. */
  readonly deleteBeforeReplace: boolean;
  /** One line per change that affects clients, for the provider to print. */
  readonly notes: string[];
  /** Settings (non-table inputs) that differ from their echo: an update without a REST call refreshes them. */
  readonly settingsChanged: string[];
  /** Under disruptionPolicy "deny": every disruptive change against the live values. Throw them from diff. */
  readonly blocked: CheckFailure[];
  /** When changes are refused: one message naming each, ready to throw. */
  readonly refusalMessage?: string;
}

/**
 * Compares the previous outputs (live values) with the checked inputs. Only declared properties are compared.
 * `changes` is true for any property change (refused ones included: the provider must throw
 * `refusalMessage`) or changed setting.
 */
export function diffDatabase(oldOutputs: DatabaseBag, newInputs: DatabaseBag, options: DatabaseDiffOptions = {}): DatabaseDiff {
  const olds = bag(oldOutputs);
  const news = bag(newInputs);
  const properties = diffProperties(DATABASE_TABLE, olds, news);
  const label = labelFor(news, olds);
  const settingsChanged = DATABASE_SETTINGS.filter((key) => isDeclared(news, key) || isDeclared(olds, key)).filter((key) => !deepEqual(news[key], olds[key]));
  const policy = effectivePolicy(news.disruptionPolicy, options.defaultDisruptionPolicy);
  return {
    ...properties,
    changes: properties.changes || settingsChanged.length > 0,
    deleteBeforeReplace: properties.replaces.length > 0,
    notes: noteLines(label, properties.changed),
    settingsChanged,
    blocked: gateChanges(label, properties.changed, policy),
    ...(properties.refused.length > 0
      ? { refusalMessage: `${label}: ${properties.refused.map((refusal) => refusal.reason).join("; ")}` }
      : {}),
  };
}

/** The POST /v1/bdbs body for the declared properties (omitted ones are left to the server's defaults). */
export function createPayload(inputs: CheckedDatabaseInputs): JsonObject {
  return { type: "redis", ...payloadFor(DATABASE_TABLE, inputs) };
}

/**
 * The PUT /v1/bdbs/{uid} body: only declared properties that differ from `oldOutputs` (live values) and can be
 * applied in place. Empty when nothing needs sending (e.g. only settings changed).
 */
export function updatePayload(oldOutputs: DatabaseBag, inputs: CheckedDatabaseInputs): JsonObject {
  const inPlace = diffProperties(DATABASE_TABLE, bag(oldOutputs), inputs)
    .changed.filter((change) => change.mode === "in-place" && !change.unknown)
    .map((change) => change.property);
  return inPlace.length === 0 ? {} : payloadFor(DATABASE_TABLE, inputs, inPlace);
}

/** Every table property's canonical value read from a live bdb object. */
export function liveProperties(live: LiveDatabase): Partial<DatabaseProperties> {
  return readProperties(DATABASE_TABLE, live);
}

function liveUid(live: LiveDatabase): number {
  const uid = typeof live.uid === "string" && /^\d+$/.test(live.uid) ? Number(live.uid) : live.uid;
  if (typeof uid !== "number" || !Number.isSafeInteger(uid) || uid <= 0) {
    throw new Error(`the cluster returned a database object without a valid uid (got ${renderCompact(live.uid)}); cannot record it. Check the cluster's REST API answer for GET /v1/bdbs`);
  }
  return uid;
}

function endpointOf(live: LiveDatabase, port: number | undefined): DatabaseEndpoint {
  const endpoint = firstEndpoint(live);
  const dnsName = typeof endpoint?.dns_name === "string" ? endpoint.dns_name : "";
  const rawAddresses = endpoint?.addr;
  const addresses = (Array.isArray(rawAddresses) ? rawAddresses : [rawAddresses]).filter((address): address is string => typeof address === "string" && address !== "");
  return { host: dnsName || addresses[0] || "", port: port ?? 0, dnsName, addresses };
}

/**
 * Outputs after a create or update: the live values, the properties `inputs` declares as managed, the echoed
 * settings and what the update changed. A secret property is recorded only when declared.
 */
export function databaseOutputs(live: LiveDatabase, inputs: CheckedDatabaseInputs, lastUpdateImpacts: readonly PropertyChange[] = []): DatabaseOutputs {
  const declared = bag(inputs);
  return buildOutputs(live, ROW_NAMES.filter((name) => isDeclared(declared, name)), declared, lastUpdateImpacts);
}

/**
 * Outputs after a refresh: the live values, with the managed list, settings and last impacts kept from the
 * previous outputs, so a refresh never turns an unmanaged property into a managed one.
 */
export function readDatabase(live: LiveDatabase, previousOutputs: DatabaseBag): DatabaseOutputs {
  const previous = bag(previousOutputs);
  const managed = Array.isArray(previous.managedProperties)
    ? previous.managedProperties.filter((name): name is string => typeof name === "string" && ROW_NAMES.includes(name))
    : [];
  const impacts = Array.isArray(previous.lastUpdateImpacts) ? (previous.lastUpdateImpacts as PropertyChange[]) : [];
  return buildOutputs(live, managed, previous, impacts);
}

function buildOutputs(live: LiveDatabase, managed: readonly string[], settingsSource: Bag, impacts: readonly PropertyChange[]): DatabaseOutputs {
  if (!isPlainObject(live)) throw new Error(`the cluster returned a database answer that is not an object (${renderCompact(live)}); cannot read it`);
  const values: Record<string, unknown> = { ...liveProperties(live) };
  for (const row of DATABASE_TABLE.rows) {
    if (row.secret && !managed.includes(row.name)) delete values[row.name];
  }
  const settings: Record<string, unknown> = {};
  for (const key of DATABASE_SETTINGS) if (isDeclared(settingsSource, key)) settings[key] = settingsSource[key];
  return {
    ...(values as Partial<DatabaseProperties>),
    ...(settings as DatabaseSettings),
    uid: liveUid(live),
    status: typeof live.status === "string" ? live.status : "unknown",
    endpoint: endpointOf(live, values.port as number | undefined),
    managedProperties: ROW_NAMES.filter((name) => managed.includes(name)),
    lastUpdateImpacts: impacts.map((impact) => ({ ...impact })),
  };
}

/**
 * Inputs rebuilt from outputs, for a refresh's ReadResult.inputs: the managed properties at their live values,
 * plus the settings. Later diffs compare the program's inputs with the live outputs, so this never hides drift;
 * it lets check's disruption gate see the live value of a managed property.
 */
export function inputsFromOutputs(outputs: DatabaseOutputs): CheckedDatabaseInputs {
  const values = bag(outputs);
  const inputs: Record<string, unknown> = {};
  for (const name of outputs.managedProperties) if (isDeclared(values, name)) inputs[name] = values[name];
  for (const key of DATABASE_SETTINGS) if (isDeclared(values, key)) inputs[key] = values[key];
  return inputs as CheckedDatabaseInputs;
}

/** Every declared property whose live value differs, with the mode and impact applying it would have. */
export function adoptMismatches(inputs: CheckedDatabaseInputs, live: LiveDatabase): PropertyChange[] {
  return diffProperties(DATABASE_TABLE, liveProperties(live), inputs).changed;
}

/** How an adopt input finds its database. */
export type AdoptTarget = { readonly by: "uid"; readonly uid: number } | { readonly by: "name"; readonly name: string };

/** The adoption target, or undefined when the inputs do not adopt. */
export function adoptTarget(inputs: CheckedDatabaseInputs): AdoptTarget | undefined {
  const adopt = inputs.adopt;
  if (!adopt) return undefined;
  if (adopt.uid !== undefined) return { by: "uid", uid: adopt.uid };
  const name = adopt.name ?? inputs.name;
  if (typeof name !== "string" || isUnknown(name)) throw new Error("Database: adopt needs a name or a uid, and the name is not known");
  return { by: "name", name };
}

/**
 * Picks the database to adopt from GET /v1/bdbs. Names are case-sensitive; several databases with the name is
 * an error (adopt by uid instead), as is none.
 */
export function findAdoptCandidate(target: AdoptTarget, databases: readonly LiveDatabase[]): { live: LiveDatabase } | { error: string } {
  const matches = databases.filter((database) => (target.by === "uid" ? Number(database.uid) === target.uid : database.name === target.name));
  const wanted = target.by === "uid" ? `uid ${target.uid}` : `name "${target.name}"`;
  if (matches.length === 1) return { live: matches[0] };
  if (matches.length === 0) return { error: `adopt: no database with ${wanted} exists in the cluster; remove adopt to create it, or fix the ${target.by}` };
  return { error: `adopt: ${matches.length} databases have the ${wanted} (uids ${matches.map((m) => renderCompact(m.uid)).join(", ")}); adopt by uid instead` };
}

/**
 * Whether adopting `live` may proceed. Without applyChanges every difference is a failure (listed, so the user
 * can declare the live values). With it, refused changes and replacements (adoption never deletes) still fail,
 * and disruptive ones fail under "deny". `changes` are what the adoption update will apply.
 */
export function adoptionProblems(
  inputs: CheckedDatabaseInputs,
  live: LiveDatabase,
  defaultPolicy?: DisruptionPolicy,
): { changes: PropertyChange[]; failures: CheckFailure[] } {
  const changes = adoptMismatches(inputs, live);
  const label = databaseLabel(inputs.name);
  const uid = renderCompact(live.uid);
  if (!inputs.adopt?.applyChanges) {
    const failures = changes.map((change) => ({
      property: change.property,
      reason: `${label}: adopting uid ${uid}: ${describeChange(change)} differs from the live database; declare the live value, or set adopt.applyChanges: true to apply it`,
    }));
    return { changes, failures };
  }
  const failures: CheckFailure[] = [];
  for (const change of changes) {
    if (change.mode === "refused" || change.mode === "replace") {
      failures.push({ property: change.property, reason: `${label}: adopting uid ${uid}: ${describeChange(change)} cannot be applied to an adopted database: ${change.reason ?? "refused"}; declare the live value` });
    }
  }
  failures.push(...gateChanges(label, changes.filter((change) => change.mode === "in-place"), effectivePolicy(inputs.disruptionPolicy, defaultPolicy)));
  return { changes, failures };
}

/**
 * The version gate for data internode encryption: when `dataInternodeEncryption: true` would turn it on
 * (the live value `current` is not already true), a failure for every node below 6.2.4, every node whose
 * version cannot be read, and every node that is not active.
 */
export function ineVersionFailures(inputs: CheckedDatabaseInputs, nodes: readonly NodeVersionInfo[], current?: boolean): CheckFailure[] {
  if (inputs.dataInternodeEncryption !== true || current === true) return [];
  const minimum = parseSoftwareVersion(INE_MINIMUM_VERSION);
  if (!minimum) throw new Error(`INE_MINIMUM_VERSION "${INE_MINIMUM_VERSION}" does not parse`);
  const label = databaseLabel(inputs.name);
  const failures: CheckFailure[] = [];
  const fail = (reason: string) => failures.push({ property: "dataInternodeEncryption", reason: `${label}: dataInternodeEncryption: true ${reason}` });
  for (const node of nodes) {
    const version = parseSoftwareVersion(node.softwareVersion);
    if (!version) {
      fail(`needs every node at ${INE_MINIMUM_VERSION} or later, and node ${node.uid} reports the software version ${renderCompact(node.softwareVersion)}, which cannot be read as MAJOR.MINOR.PATCH-BUILD; check GET /v1/nodes/${node.uid}`);
    } else if (compareSoftwareVersions(version, minimum) < 0) {
      fail(`needs every node at ${INE_MINIMUM_VERSION} or later, and node ${node.uid} runs ${node.softwareVersion}; upgrade the node, then apply again`);
    }
    if (node.status !== "active") {
      fail(`needs every node active, and node ${node.uid} is "${node.status}"; wait until it is active (or remove it from the cluster), then apply again`);
    }
  }
  return failures;
}

/** The README reference table for the Database resource, followed by the rules between properties. */
export function databaseReferenceMarkdown(): string {
  return `${renderMarkdownTable(DATABASE_TABLE)}\n\nRules between properties (checked on declared values):\n\n${renderMarkdownRules(DATABASE_TABLE)}\n`;
}
