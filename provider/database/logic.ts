// The Database resource's pure logic: the functions the I/O provider (provider.ts) calls around each REST call.
// Everything here is a function of its arguments; the provider prints the note lines and throws the failures.

import {
  type CheckFailure,
  type DisruptionPolicy,
  type JsonObject,
  type PropertyChange,
  type PropertyBag,
  type PropertyDiff,
  type ResourceDefinition,
  adoptionProblems as resourceAdoptionProblems,
  checkResource,
  diffResource,
  disruptionPolicySetting,
  inputsFromOutputs as resourceInputsFromOutputs,
  isDeclared,
  isPlainObject,
  isUnknown,
  liveFieldsRead,
  liveMismatches,
  passThroughSetting,
  payloadFor,
  pendingPreconditions,
  preconditionFailures,
  propertyOfErrorCode,
  readProperties,
  refreshedOutputs,
  renderCompact,
  renderMarkdownRules,
  renderMarkdownTable,
  resourceOutputs,
  resourceUpdatePayloads,
} from "../core";
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

/** The non-table inputs, echoed into the outputs. */
export const DATABASE_SETTINGS: readonly (keyof DatabaseSettings)[] = ["disruptionPolicy", "adopt", "connection", "timeouts"];

/** Output-only keys: tolerated in inputs (a resource class may seed them) but never treated as inputs. */
export const DATABASE_OUTPUT_KEYS = ["uid", "status", "endpoint", "managedProperties", "lastUpdateImpacts"] as const satisfies readonly (keyof DatabaseOutputs)[];

type Bag = Readonly<Record<string, unknown>>;

/** Inputs or outputs of a Database: typed, or as the engine hands them over. */
export type DatabaseBag = PropertyBag<DatabaseProperties> | DatabaseOutputs | CheckedDatabaseInputs | DatabaseInputs;

/** `Database "orders"`: how notes and errors name the resource. */
export function databaseLabel(name: unknown): string {
  return typeof name === "string" && !isUnknown(name) ? `Database "${name}"` : "Database (name not known yet)";
}

function labelFor(news: Bag, olds: Bag = {}): string {
  return databaseLabel(typeof news.name === "string" && !isUnknown(news.name) ? news.name : olds.name);
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
 * The Database as the framework sees it: its table plus the inputs around it. Everything below (check, diff,
 * outputs, adoption) is derived from this definition by provider/core/resource.ts.
 */
export const DATABASE_RESOURCE: ResourceDefinition<DatabaseProperties, LiveDatabase> = {
  kind: "Database",
  noun: "database",
  idName: "uid",
  table: DATABASE_TABLE,
  settings: [
    disruptionPolicySetting,
    {
      name: "adopt",
      check: (value) => {
        const { adopt, failures } = checkAdopt(value);
        return { value: adopt, failures };
      },
    },
    // Validated by the provider (provider/connection.ts, provider/timeouts.ts); passed through untouched here.
    // The connection holds the admin password: a secret output even when passed as plain strings.
    passThroughSetting("connection", { secret: true }),
    passThroughSetting("timeouts"),
  ],
  outputKeys: DATABASE_OUTPUT_KEYS,
  label: labelFor,
  requirements: (news) => {
    const failures: CheckFailure[] = [];
    if (!isDeclared(news, "name")) {
      failures.push({ property: "name", reason: "name is required: the database name (letters, digits and '-', at most 63 characters)" });
    }
    if (!isDeclared(news, "memorySize") && !isDeclared(news, "adopt")) {
      failures.push({ property: "memorySize", reason: 'memorySize is required to create a database: bytes, or a string like "1GB"' });
    }
    return failures;
  },
  liveOutputs: (live, values) => ({
    uid: liveUid(live),
    status: typeof live.status === "string" ? live.status : "unknown",
    endpoint: endpointOf(live, values.port),
  }),
  idOf: (live) => live.uid,
  // Two databases cannot share a port or a name, so a replacement deletes first.
  deleteBeforeReplace: true,
  // A database in creation-failed never becomes active (RS cannot repair it; only DELETE works on it), so every
  // later apply would fail the same way. It holds no data and no client can reach it: the next preview proposes a
  // replacement (delete, then create again), which the user sees and confirms like any other.
  replaceReason: (olds) =>
    olds.status === "creation-failed"
      ? `${labelFor(olds)}: uid ${String(olds.uid)} is in status creation-failed (its creation failed and RS cannot finish it); ` +
        "it holds no data, so it is replaced: deleted, then created again"
      : undefined,
};

/**
 * The bdb fields a refresh's read uses: the table's (liveFieldsRead) and what liveOutputs reads (uid, status,
 * endpoints). The read asks for only these (`?fields=`, documented for GET /v1/bdbs and /v1/bdbs/{uid}): a real
 * bdb has about 139 keys and the read uses 26, so the answers are about a quarter the size, and a list of 500 is
 * rendered and parsed in less than half the time (docs/benchmarks.md "Refresh").
 */
export const DATABASE_READ_FIELDS: readonly string[] = [...new Set([...liveFieldsRead(DATABASE_TABLE), "uid", "status", "endpoints"])];

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
  const { inputs, failures } = checkResource(DATABASE_RESOURCE, oldInputs ?? {}, newInputs, context);
  return { inputs: inputs as CheckedDatabaseInputs, failures };
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
  return diffResource(DATABASE_RESOURCE, oldOutputs, newInputs, options);
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
  // The Database lives in one REST object (the bdb), so there is one body at most.
  return resourceUpdatePayloads(DATABASE_RESOURCE, oldOutputs, inputs)[""] ?? {};
}

/** Every table property's canonical value read from a live bdb object. */
export function liveProperties(live: LiveDatabase): Partial<DatabaseProperties> {
  return readProperties(DATABASE_TABLE, live);
}

/**
 * Outputs after a create or update: the live values, the properties `inputs` declares as managed, the echoed
 * settings and what the update changed. A secret property is recorded only when declared.
 */
export function databaseOutputs(live: LiveDatabase, inputs: CheckedDatabaseInputs, lastUpdateImpacts: readonly PropertyChange[] = []): DatabaseOutputs {
  return resourceOutputs(DATABASE_RESOURCE, live, inputs, lastUpdateImpacts) as unknown as DatabaseOutputs;
}

/**
 * Outputs after a refresh: the live values, with the managed list, settings and last impacts kept from the
 * previous outputs, so a refresh never turns an unmanaged property into a managed one.
 */
export function readDatabase(live: LiveDatabase, previousOutputs: DatabaseBag): DatabaseOutputs {
  return refreshedOutputs(DATABASE_RESOURCE, live, previousOutputs) as unknown as DatabaseOutputs;
}

/**
 * Inputs rebuilt from outputs, for a refresh's ReadResult.inputs: the managed properties at their live values,
 * plus the settings. Later diffs compare the program's inputs with the live outputs, so this never hides drift;
 * it lets check's disruption gate see the live value of a managed property.
 */
export function inputsFromOutputs(outputs: DatabaseOutputs): CheckedDatabaseInputs {
  return resourceInputsFromOutputs(DATABASE_RESOURCE, outputs) as CheckedDatabaseInputs;
}

/** Every declared property whose live value differs, with the mode and impact applying it would have. */
export function adoptMismatches(inputs: CheckedDatabaseInputs, live: LiveDatabase): PropertyChange[] {
  return liveMismatches(DATABASE_RESOURCE, inputs, live);
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
  return resourceAdoptionProblems(DATABASE_RESOURCE, inputs, live, inputs.adopt?.applyChanges === true, defaultPolicy);
}

/**
 * The version gate for data internode encryption: when `dataInternodeEncryption: true` would turn it on
 * (the live value `current` is not already true), a failure for every node below 6.2.4, every node whose
 * version cannot be read, and every node that is not active. The gate itself is declared once, on the row
 * (table.ts); this evaluates that declaration.
 */
export function ineVersionFailures(inputs: CheckedDatabaseInputs, nodes: readonly NodeVersionInfo[], current?: boolean): CheckFailure[] {
  const pending = pendingPreconditions(DATABASE_TABLE, current === undefined ? {} : { dataInternodeEncryption: current }, inputs, ["dataInternodeEncryption"]);
  return preconditionFailures(DATABASE_TABLE, pending, { nodes }, databaseLabel(inputs.name), inputs);
}

/**
 * A dry run's refusal (POST /v1/bdbs?dry_run of a create, PUT /v1/bdbs/{uid}?dry_run of an update) in words, on
 * the property its error_code is about (the table's errorCodes; none when no row claims it), with what to do.
 * Only the statuses the docs give a refused database (400, 406, and 409 but for busy: rs-rest-api.md §2.2) are
 * refusals; undefined for any other answer, which is not about the database (401/403 the credentials, 404 a path
 * something in between does not serve, 409 busy).
 */
export function dryRunRefusal(
  label: string,
  change: "create" | "update",
  answer: { status: number; errorCode?: string; message: string },
): CheckFailure | undefined {
  const { status, errorCode, message } = answer;
  if (!(status === 400 || status === 406 || status === 409) || errorCode === "busy") return undefined;
  const advice =
    errorCode === "name_exists"
      ? change === "create"
        ? "; to manage the existing database, set adopt: {} on this resource, or choose another name"
        : "; choose another name"
      : "";
  return {
    property: propertyOfErrorCode(DATABASE_TABLE, errorCode) ?? "",
    reason: `${label}: the cluster would refuse to ${change} it (a dry run at preview): ${message}${advice}`,
  };
}

/** The README reference table for the Database resource, followed by the rules between properties. */
export function databaseReferenceMarkdown(): string {
  return `${renderMarkdownTable(DATABASE_TABLE)}\n\nRules between properties (checked on declared values):\n\n${renderMarkdownRules(DATABASE_TABLE)}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// The provisional record of a create that was sent but not answered (finding F1)

/**
 * The prefix of the id the stack records for a database whose create was sent but not confirmed: the answer was
 * lost or late, and the lookup by name found nothing yet (or never answered). A lost answer never proves that
 * nothing was created, so the stack keeps this record and every later operation resolves it by name. Names
 * cannot hold ':' and uids are numeric, so it never clashes with a real id.
 */
export const PROVISIONAL_ID_PREFIX = "pending-create:";

/** The status output of a provisional record: the create is not confirmed. */
export const UNCONFIRMED_STATUS = "unconfirmed";

/** The provisional id of a database named `name`. */
export function provisionalId(name: string): string {
  if (!DATABASE_NAME_PATTERN.test(name)) throw new Error(`no provisional id for ${renderCompact(name)}: not a database name (a provider bug: please report it)`);
  return `${PROVISIONAL_ID_PREFIX}${name}`;
}

/** The database name a provisional id names, or undefined for any other id (a uid). */
export function provisionalName(id: unknown): string | undefined {
  if (typeof id !== "string" || !id.startsWith(PROVISIONAL_ID_PREFIX)) return undefined;
  const name = id.slice(PROVISIONAL_ID_PREFIX.length);
  return DATABASE_NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * The uid a record under a provisional id already confirmed: an update that found or created the database
 * recorded its outputs (uid, a real status), but the engine keeps the id it has (an update cannot change it).
 * Undefined while the record is still unconfirmed.
 */
export function confirmedUid(recorded: Bag | undefined): number | undefined {
  const uid = recorded?.uid;
  if (recorded?.status === UNCONFIRMED_STATUS || typeof uid !== "number" || !Number.isSafeInteger(uid) || uid <= 0) return undefined;
  return uid;
}

/**
 * The record of an unconfirmed create: the name, the status that says so, and the settings later operations
 * need (the connection, to reach the cluster at refresh and destroy; it is a secret output of the resource).
 * No uid: none is known.
 */
export function unconfirmedRecord(inputs: Bag): Record<string, unknown> {
  const record: Record<string, unknown> = { name: inputs.name, status: UNCONFIRMED_STATUS };
  for (const key of DATABASE_SETTINGS) if (isDeclared(inputs, key)) record[key] = inputs[key];
  if (typeof inputs.__urn === "string") record.__urn = inputs.__urn;
  return record;
}

/**
 * Which database a provisional id names, from the databases of that name the list shows: its uid, undefined
 * when none (the cluster never created it), or an error naming the uids when several (never a guess).
 */
export function resolveProvisional(name: string, named: readonly { uid?: unknown }[], label: string): { uid?: number; error?: string } {
  if (named.length === 0) return {};
  if (named.length > 1) {
    return {
      error:
        `${label}: the create was not confirmed and ${named.length} databases are named "${name}" ` +
        `(uid ${named.map((database) => String(database.uid)).join(", ")}); keep the one this stack should manage ` +
        "(adopt it by uid), delete the others, then apply again",
    };
  }
  return { uid: Number(named[0]!.uid) };
}
