// The life cycle every resource shares, in the manner of the AWS CDK provider framework: a resource supplies
// its definition (provider/core/resource.ts) and a few hooks that start work and complete it (poll until done),
// and this turns them into the pulumi.dynamic.ResourceProvider the shim forwards to. What makes a resource safe
// is here, once: one deadline per operation, partial failures that carry the id, write then re-read and verify,
// preconditions before every write that needs them, adoption, actions, the notes, and the labels.
import type * as pulumi from "@pulumi/pulumi";
import {
  type CheckFailure,
  type Facts,
  type JsonObject,
  type PropertyChange,
  type ResourceDefinition,
  adoptionProblems,
  describeChange,
  diffResource,
  checkResource,
  containsUnknown,
  erasedRows,
  isPlainObject,
  liveMismatches,
  factsNeeded,
  noteLines,
  pendingPreconditions,
  preconditionFailures,
  refreshedInputs,
  refreshedOutputs,
  resourceOutputs,
  resourceUrn,
  resourceUpdatePayloads,
  rowOfPath,
} from "../core";
import { printLine } from "../output";
import { CONFIG_NAMESPACE, type StackSettings } from "../settings";
import { type Operation, timeoutsProblems } from "../timeouts";
import { Deadline } from "./deadline";
import { cutText, guardedCheck } from "./guard";

type Props = Record<string, unknown>;

/** What a session (a REST client, a set of transports) must offer the life cycle. */
export interface Session {
  close(): Promise<void> | void;
}

/** How a resource reaches what it manages: the inputs that locate it, checked and opened per operation. */
export interface SessionHooks<S extends Session> {
  /** The input a failure to open is reported on at check ("connection"). */
  readonly property: string;
  /** Problems with the inputs that locate the target, reported at check. */
  problems(news: Props): CheckFailure[];
  /** Whether those inputs are fully known (not during a preview with unknown values). */
  known(news: Props): boolean;
  /**
   * Opens a session for one operation; throws a message that says how to fix a missing or bad target. Every
   * request the session makes ends its retries at `deadlineAt` (the operation's deadline; none for read).
   * `recorded` is what the stack holds for the object (the previous outputs: read, update, delete; none on
   * create): a resource that reaches several endpoints finds the ones it recorded there (the Cluster's nodes).
   */
  open(inputs: Props, label: string, deadlineAt?: number, recorded?: Props): S;
}

/**
 * What a resource judges besides its table (the Cluster's nodes and name, CertificateRotation's selection of
 * "all"): more notes, refusals, and actions (a node to join), merged into diff, update, adopt and the settling
 * after a create. `tableChanges` are the table's own changes, for a note that words them together.
 */
export interface ChangesBeyondTable {
  /** True when something changes that the table's diff does not see (a refusal counts as a change). */
  readonly changes?: boolean;
  /** Lines printed once by diff (the label first, as the table's notes). */
  readonly notes?: readonly string[];
  /** Changes the resource cannot make: check should refuse them; diff notes them; update throws them. */
  readonly refused?: readonly CheckFailure[];
  /** Action changes run like an action row's, after the payloads: e.g. `{ property: "nodes", action: "join" }`. */
  readonly actions?: readonly PropertyChange[];
}

/** What every hook receives: the operation, its label, its one deadline and a way to print. */
export interface OperationContext {
  readonly operation: Operation | "read";
  readonly label: string;
  readonly deadline: Deadline;
  readonly settings: StackSettings;
  /** Prints one line prefixed with the label (and ending with the resource's URN when known: see noteWriter). */
  print(line: string): void;
}

/** Prints one note line to stderr. */
type Say = (line: string) => void;

/**
 * Notes end with the resource's URN when the SDK recorded it (`__urn`): the engine shows a dynamic provider's
 * stderr under the stack, not under the resource (there is no resource-attached log for it), so the line itself
 * must say which resource it is about; the label alone (`Database "orders"`) is not unique across stacks.
 */
function noteWriter(urn: string | undefined): Say {
  return (line) => printLine(urn ? `${line} [${urn}]` : line);
}

/** How long check may spend asking the cluster, when the stack asks for validation at preview. */
export const PREVIEW_VALIDATION_BUDGET_MS = 5_000;

/** The stack config key of the default disruption policy, named in refusals that come from it. */
const POLICY_CONFIG_KEY = `${CONFIG_NAMESPACE}:disruptionPolicy`;

/** A fact preconditions can name: how to read it through a session, and how to name it in a message. */
export interface FactSource<S> {
  readonly description: string;
  read(session: S): Promise<unknown>;
}

/** The hooks a resource supplies. Start hooks return as soon as the work exists; complete hooks poll until done. */
export interface LifecycleHooks<Live, S extends Session> {
  readonly session: SessionHooks<S>;
  readonly facts?: Readonly<Record<string, FactSource<S>>>;
  /**
   * Validates and normalises the inputs instead of the definition's checkResource, for a resource whose inputs
   * are more than rows and settings (the Cluster's name, nodes and credentials). The session's problems and the
   * timeouts are still checked by the life cycle (a failure reported twice is reported once).
   */
  check?(olds: Props, news: Props): { inputs: Props; failures: CheckFailure[] };
  /** What the resource judges besides its table (see ChangesBeyondTable); pure, never throws. */
  changesBeyondTable?(olds: Props, news: Props, tableChanges: readonly PropertyChange[]): ChangesBeyondTable;
  /**
   * The create sends only what creates the object (a bootstrap body holds no settings): after completeCreate,
   * the life cycle settles it like an adoption, applying the declared values that differ from the live ones and
   * the actions changesBeyondTable asks for (the other nodes join), then verifies; a failure there is a partial
   * failure carrying the id.
   */
  readonly settleAfterCreate?: boolean;
  /**
   * The sentence of a partial failure (default: "the <noun> was created as <id> but did not become ready"),
   * from what startCreate returned as pending; the life cycle adds nothing to it.
   */
  describePartialFailure?(id: string, pending: unknown, reason: string, ctx: OperationContext): string;
  /**
   * The sentence of an update's partial failure (an error marked appliedBeforeFailing), from its reason (default:
   * the reason, then that the cluster accepted the update and the next up finishes it).
   */
  describeUpdatePartialFailure?(reason: string, ctx: OperationContext): string;
  /** Before a create sends anything: e.g. refuse when an object with the name exists. */
  beforeCreate?(session: S, inputs: Props, ctx: OperationContext): Promise<void>;
  /**
   * With validation at preview (redisenterprise:validateAtPreview), after every local check of a new object
   * passed (no olds, and not the engine's second check of a replacement): asks the cluster whether it would
   * accept the create (a dry run) and returns its refusals as check failures. Throws when the cluster could not
   * be asked (the life cycle notes that, and the create is checked when applied).
   */
  validateOnCluster?(session: S, inputs: Props, label: string): Promise<CheckFailure[]>;
  /**
   * The same for an update, called by diff (which knows the object; it can only announce): asks the cluster
   * whether it would accept the update bodies `payloads` (per REST object) and returns its refusals. Throws when
   * the cluster could not be asked.
   */
  validateUpdateOnCluster?(session: S, olds: Props, payloads: Readonly<Record<string, JsonObject>>, news: Props, label: string): Promise<CheckFailure[]>;
  /**
   * Starts the create and returns the id as soon as the object exists, with a handle for completeCreate. When the
   * create was sent but neither answered nor found (it may still be applied), it throws unconfirmedCreate(): the
   * stack then records the provisional id it carries, and resolveId finds the object later.
   */
  startCreate(session: S, inputs: Props, ctx: OperationContext): Promise<{ id: string; pending?: unknown }>;
  /** Polls until the created object is ready (or ctx.deadline passes: then throws) and returns it. */
  completeCreate(session: S, id: string, pending: unknown, ctx: OperationContext): Promise<Live>;
  /** The live object, or undefined when it no longer exists. */
  read(session: S, id: string, ctx: OperationContext): Promise<Live | undefined>;
  /** A single attempt to read the object for the record of a partial failure (default: read). */
  readForRecord?(session: S, id: string, ctx: OperationContext): Promise<Live | undefined>;
  /**
   * The smallest record of an object that exists (the id is what matters for refresh and destroy); the session
   * knows what the operation found (the Cluster's nodes that joined).
   */
  minimalRecord(id: string, inputs: Props, session?: S): Props;
  /** Sends the update bodies (per REST object) and returns a handle for completeUpdate. */
  startUpdate(session: S, id: string, payloads: Readonly<Record<string, JsonObject>>, ctx: OperationContext): Promise<unknown>;
  /** Polls until the object is ready after an update (also when nothing was sent) and returns it. */
  completeUpdate(session: S, id: string, pending: unknown, ctx: OperationContext): Promise<Live>;
  /**
   * True when a failed update request may nevertheless have been applied (a 5xx, a lost answer). The life cycle
   * then re-reads the object (completeUpdate) and reports what the cluster really holds: the update succeeded
   * when every declared value is there, and failed naming what is not. Omitted: every failure is final.
   */
  outcomeUnknown?(error: unknown): boolean;
  /**
   * True when the stack's record is of a create that was never confirmed (a provisional id, see
   * unconfirmedCreate): diff proposes finishing it, update finds the object (or creates it), read and delete
   * resolve it first. Omitted: every record is of an object that was confirmed.
   */
  unconfirmed?(id: string, recorded: Props): boolean;
  /**
   * The real id behind a recorded one: the id itself when it is real (no request), the object's id when the
   * object of a provisional record is found, undefined when it does not exist. Throws when it cannot tell which
   * (several match). Read, update and delete call it before anything else; omitted: every id is real.
   */
  resolveId?(session: S, id: string, recorded: Props, ctx: OperationContext): Promise<string | undefined>;
  /** Deletes and waits until the object is gone (absent already is success). */
  delete(session: S, id: string, ctx: OperationContext): Promise<void>;
  /**
   * Action rows' calls, by the action name their change case gives. An action runs once per operation, however
   * many changes ask for it (two rows that rotate rotate once): `change` is the first of them, `all` every one.
   */
  readonly actions?: Readonly<Record<string, (session: S, id: string, change: PropertyChange, ctx: OperationContext, all: readonly PropertyChange[]) => Promise<void>>>;
  /** Taking over an existing object on create instead of creating one. */
  readonly adopt?: {
    /** Whether these inputs adopt. */
    wanted(inputs: Props): boolean;
    /** Whether differences are applied (else they fail, listed). */
    applyChanges(inputs: Props): boolean;
    /** Finds the object to adopt, or throws saying why none (or several) match. */
    find(session: S, inputs: Props, ctx: OperationContext): Promise<Live>;
    /** The id to record for it. */
    id(live: Live): string;
    /** The line printed when adopting (default: "adopting the existing <noun> <idName> <id> ..."). */
    describe?(live: Live, changes: readonly PropertyChange[]): string;
  };
}

/** An error the provider host turns into a partial failure: the engine records `id`, so nothing is orphaned. */
export interface PartialFailure extends Error {
  id: string;
  properties: Props;
  reasons: string[];
}

/** Errors marked by appliedBeforeFailing (a set, so that a frozen or foreign error can be marked too). */
const appliedErrors = new WeakSet<object>();

/**
 * Marks an error a hook throws after the cluster changed, or may have: an action applied and then its
 * verification failed, or its answer was lost. An update then fails as a partial failure, as a failed create does,
 * with the outputs as they can be read for the new inputs. The engine records them (with the old inputs:
 * pulumi/pulumi#2011), and the next diff, which compares the recorded outputs with the program's inputs, does not
 * ask for the change a second time. Returns the error.
 */
export function appliedBeforeFailing<E>(error: E): E {
  if (typeof error === "object" && error !== null) appliedErrors.add(error);
  return error;
}

export function isAppliedBeforeFailing(error: unknown): boolean {
  return typeof error === "object" && error !== null && appliedErrors.has(error);
}

/**
 * A partial failure: the engine records `id` with `properties`. Its reasons are the whole message, since the CLI
 * shows a partial failure by its reasons alone. The cause stays reachable with its class and fields (an
 * RsApiError's status and code) for a caller that drives the provider directly.
 */
function partialFailureError(message: string, id: string, properties: Props, cause?: unknown): PartialFailure {
  const error = (cause === undefined ? new Error(message) : new Error(message, { cause })) as PartialFailure;
  error.id = id;
  error.properties = properties;
  error.reasons = [message];
  return error;
}

/**
 * What startCreate throws when the create was sent and may have been applied, but no id is known: the engine is
 * given a partial failure with `unconfirmedId` (a provisional id the resource can resolve later), so the stack
 * always keeps a record; the message is the whole sentence the user reads.
 */
export interface UnconfirmedCreate extends Error {
  unconfirmedId: string;
}

export function unconfirmedCreate(message: string, unconfirmedId: string): UnconfirmedCreate {
  const error = new Error(message) as UnconfirmedCreate;
  error.unconfirmedId = unconfirmedId;
  return error;
}

export function isUnconfirmedCreate(error: unknown): error is UnconfirmedCreate {
  return error instanceof Error && typeof (error as Partial<UnconfirmedCreate>).unconfirmedId === "string";
}

export function failuresMessage(failures: readonly CheckFailure[]): string {
  return failures.map((failure) => failure.reason).join("; ");
}

/** An error's message for quoting in another message, cut so that a huge echoed value cannot flood the output. */
function messageOf(error: unknown): string {
  return cutText(error instanceof Error ? error.message : String(error), 2000);
}

/** Whether a message names the resource already (begins with its label, or quotes it as "label: ..."). */
function namesLabel(message: string, label: string): boolean {
  return message.startsWith(label) || message.includes(`${label}:`);
}

/** The message with the resource's label in front, unless it names the resource already. */
export function labelledMessage(message: string, label: string): string {
  return namesLabel(message, label) ? message : `${label}: ${message}`;
}

/**
 * The error with the resource's label in front of its message, once: a hook's REST error names the request
 * (`PUT /v1/cluster: 400 ...`), not the resource, and the engine shows it apart from the resource's notes. The
 * error object stays the same (its class and fields, so isRsApiError and the rest still tell what it was); a
 * partial failure (it carries the id) and a message that names the resource already are left as they are.
 */
export function labelled(error: unknown, label: string): unknown {
  if (!(error instanceof Error) || typeof (error as Partial<PartialFailure>).id === "string") return error;
  if (namesLabel(error.message, label)) return error;
  try {
    error.message = `${label}: ${error.message}`;
  } catch {
    // A frozen error keeps its message.
  }
  return error;
}

/** Prints the notes, and one line per in-place change without impact (so every change is visible once). */
function printChanges(say: Say, label: string, changes: readonly PropertyChange[], notes: readonly string[]): void {
  for (const note of notes) say(note);
  for (const change of changes) {
    if (change.impact === "none" && change.mode === "in-place" && change.consequence === undefined) {
      say(`${label}: ${describeChange(change)} (no impact on connected clients)`);
    }
  }
}

/** Builds the provider for one resource from its definition and hooks; `getSettings` is the stack config. */
export function resourceProvider<P, Live, S extends Session>(
  definition: ResourceDefinition<P, Live>,
  hooks: LifecycleHooks<Live, S>,
  getSettings: () => StackSettings,
): pulumi.dynamic.ResourceProvider {
  const { table } = definition;

  const policyOptions = () => ({ defaultDisruptionPolicy: getSettings().disruptionPolicy, defaultPolicyConfigKey: POLICY_CONFIG_KEY });

  const contextFor = (operation: OperationContext["operation"], label: string, timeouts: unknown, urn: string | undefined): OperationContext => {
    const say = noteWriter(urn);
    return {
      operation,
      label,
      deadline: operation === "read" ? new Deadline(Number.MAX_SAFE_INTEGER) : Deadline.forOperation(operation, timeouts),
      settings: getSettings(),
      print: (line) => say(`${label}: ${line}`),
    };
  };

  async function withSession<T>(inputs: Props, ctx: OperationContext, work: (session: S) => Promise<T>, recorded?: Props): Promise<T> {
    const session = hooks.session.open(inputs, ctx.label, ctx.operation === "read" ? undefined : ctx.deadline.at, recorded);
    try {
      return await work(session);
    } catch (error) {
      throw labelled(error, ctx.label);
    } finally {
      await session.close();
    }
  }

  async function readFacts(session: S, names: readonly string[]): Promise<Facts> {
    const facts: Record<string, unknown> = {};
    for (const name of names) {
      const source = hooks.facts?.[name];
      if (!source) throw new Error(`${definition.kind}: no fact source named "${name}" (a provider bug: please report it)`);
      facts[name] = await source.read(session);
    }
    return facts;
  }

  /** Throws when a change about to be sent needs a precondition the cluster does not meet. */
  async function requirePreconditions(session: S, olds: Props, news: Props, label: string, only?: readonly string[]): Promise<void> {
    const pending = pendingPreconditions(table, olds, news, only);
    if (pending.length === 0) return;
    const failures = preconditionFailures(table, pending, await readFacts(session, factsNeeded(pending)), label, news);
    if (failures.length > 0) throw new Error(failuresMessage(failures));
  }

  /**
   * What a partial failure records: the object's outputs, read with a single attempt, or `fallback` when it cannot
   * be read (the id is what matters for refresh and destroy).
   */
  async function recordOf(session: S, id: string, inputs: Props, ctx: OperationContext, fallback: Props): Promise<Props> {
    let properties = fallback;
    try {
      const live = await (hooks.readForRecord ?? hooks.read)(session, id, ctx);
      if (live !== undefined) properties = { ...resourceOutputs(definition, live, inputs) };
    } catch {
      // The fallback.
    }
    // Refresh and destroy find the provider in the recorded properties, so the shim must be there too.
    return { ...properties, __provider: inputs.__provider };
  }

  async function partialFailure(session: S, id: string, inputs: Props, cause: unknown, ctx: OperationContext, pending?: unknown): Promise<PartialFailure> {
    const reason = messageOf(cause);
    const properties = await recordOf(session, id, inputs, ctx, hooks.minimalRecord(id, inputs, session));
    const message =
      hooks.describePartialFailure?.(id, pending, reason, ctx) ??
      `${ctx.label}: the ${definition.noun} was created as ${definition.idName} ${id} but did not become ready: ${reason}. ` +
        "It is recorded in the stack, not orphaned: run `pulumi refresh` to see its state, then `pulumi up` to finish or `pulumi destroy` to remove it";
    return partialFailureError(message, id, properties, cause);
  }

  /**
   * An update that failed after the cluster accepted it (or may have), as a partial failure: the engine records the
   * outputs it carries (with the old inputs, pulumi/pulumi#2011) and updates the object at the next up even when
   * nothing differs (its init errors), which waits for it. The outputs are the object as read now, so the next
   * diff proposes only what the cluster does not hold yet; a preview does not announce again a change (and its
   * impact on clients) that already happened. When the object cannot be read, the old outputs stay, with what the
   * resource's minimal record knows (a rotation's pending one).
   */
  async function updatePartialFailure(session: S, id: string, olds: Props, news: Props, cause: unknown, ctx: OperationContext): Promise<PartialFailure> {
    const reason = messageOf(cause);
    const properties = await recordOf(session, id, news, ctx, { ...(olds ?? {}), ...hooks.minimalRecord(id, news, session) });
    const message =
      hooks.describeUpdatePartialFailure?.(reason, ctx) ??
      `${labelledMessage(reason, ctx.label)}. The cluster accepted the update: the ${definition.noun} as it could be read is recorded in the stack, ` +
        "and the next pulumi up sends only what it does not hold yet, then waits for it";
    return partialFailureError(message, id, properties, cause);
  }

  /**
   * Sends what differs from `olds` (live values), runs the actions the changes trigger, waits until the object
   * is ready, and checks that the cluster really holds the declared values: "apply succeeded while the server did
   * not change" is an error, not a silent success.
   */
  async function applyUpdate(session: S, id: string, olds: Props, news: Props, ctx: OperationContext, changes: readonly PropertyChange[]): Promise<Props> {
    const payloads = resourceUpdatePayloads(definition, olds, news);
    let live: Live;
    let unknownOutcome: unknown;
    if (Object.keys(payloads).length > 0) {
      const sent = changes.filter((change) => change.mode === "in-place" && !change.unknown).map((change) => rowOfPath(change.property));
      await requirePreconditions(session, olds, news, ctx.label, sent);
      let pending: unknown;
      try {
        pending = await hooks.startUpdate(session, id, payloads, ctx);
      } catch (error) {
        if (!hooks.outcomeUnknown?.(error)) throw error;
        unknownOutcome = error;
        printLine(`${ctx.label}: the update was answered ${messageOf(error)}; reading the ${definition.noun} to see whether the cluster applied it`);
      }
      try {
        live = await hooks.completeUpdate(session, id, pending, ctx);
      } catch (error) {
        // The cluster accepted the update (or may have) and then did not finish it: what it holds is recorded.
        throw appliedBeforeFailing(error);
      }
    } else {
      // Nothing to send, but the object must still be ready: after a partial failure the engine updates an
      // object that may still be pending or failed, and recording that as a success would hide it.
      live = await hooks.completeUpdate(session, id, undefined, ctx);
    }
    const actions = changes.filter((change) => change.mode === "action" && !change.unknown);
    if (actions.length > 0) {
      // Each action once, in the order of its first change, with every change that asked for it.
      const byAction = new Map<string | undefined, PropertyChange[]>();
      for (const change of actions) byAction.set(change.action, [...(byAction.get(change.action) ?? []), change]);
      for (const [name, asked] of byAction) {
        const run = name ? hooks.actions?.[name] : undefined;
        if (!run) throw new Error(`${ctx.label}: ${asked[0].property} triggers the action "${name ?? "(none)"}", which this provider does not implement (a provider bug: please report it)`);
        await run(session, id, asked[0], ctx, asked);
      }
      live = await hooks.completeUpdate(session, id, undefined, ctx);
    }
    // A value that is absent stays absent (an explicit undefined cannot be serialized into the engine's Struct).
    const impacts = changes
      .filter((change) => !change.unknown)
      .map(({ old, new: next, ...rest }) => (rest.secret ? rest : { ...rest, ...(old !== undefined ? { old } : {}), ...(next !== undefined ? { new: next } : {}) }));
    const outputs = resourceOutputs(definition, live, news, impacts);
    const notApplied = diffResource(definition, outputs, news).changed;
    if (notApplied.length > 0 && unknownOutcome !== undefined) {
      throw new Error(
        `${ctx.label}: the update failed (${messageOf(unknownOutcome)}) and the cluster did not apply it: it still shows ` +
          `${notApplied.map(describeChange).join("; ")}; apply again`,
      );
    }
    if (unknownOutcome !== undefined) printLine(`${ctx.label}: the cluster applied the update despite that answer`);
    if (notApplied.length > 0) {
      throw new Error(
        `${ctx.label}: the cluster accepted the update but still shows ${notApplied.map(describeChange).join("; ")}; ` +
          `look at the ${definition.noun} (pulumi refresh) and apply again`,
      );
    }
    return outputs;
  }

  /** What the resource judges besides its table, with nothing when it judges nothing. */
  function beyondTable(olds: Props, news: Props, tableChanges: readonly PropertyChange[]): Required<ChangesBeyondTable> {
    const beyond = hooks.changesBeyondTable?.(olds ?? {}, news ?? {}, tableChanges) ?? {};
    return { changes: beyond.changes ?? false, notes: beyond.notes ?? [], refused: beyond.refused ?? [], actions: beyond.actions ?? [] };
  }

  /**
   * Brings an object that exists to the declared values: the live values as the rows read them are the "olds"
   * (a precondition sees the live value through the row's own reader, the same as on update), the declared
   * values that differ are applied, with the actions the resource asks for, and the result is verified.
   */
  async function settle(session: S, id: string, live: Live, inputs: Props, changes: readonly PropertyChange[], ctx: OperationContext): Promise<Props> {
    const liveOutputs = resourceOutputs(definition, live, inputs);
    const beyond = beyondTable(liveOutputs, inputs, changes);
    if (beyond.refused.length > 0) throw new Error(failuresMessage(beyond.refused));
    const say = noteWriter(resourceUrn(inputs));
    printChanges(say, ctx.label, changes, noteLines(ctx.label, changes, table.wording));
    for (const note of beyond.notes) say(note);
    return applyUpdate(session, id, liveOutputs, inputs, ctx, [...changes, ...beyond.actions]);
  }

  /**
   * A create that was sent but not confirmed, as the partial failure the engine records: the provisional id, and
   * the resource's minimal record of it (with the shim, so refresh and destroy find the provider).
   */
  function unconfirmedFailure(error: UnconfirmedCreate, inputs: Props): PartialFailure {
    return partialFailureError(error.message, error.unconfirmedId, { ...hooks.minimalRecord(error.unconfirmedId, inputs), __provider: inputs.__provider });
  }

  /** Creates the object (preconditions, the resource's checks, start, wait, settle): create, or an update of an unconfirmed record whose object never appeared. */
  async function createNew(session: S, inputs: Props, ctx: OperationContext): Promise<{ id: string; outs: Props }> {
    await requirePreconditions(session, {}, inputs, ctx.label);
    await hooks.beforeCreate?.(session, inputs, ctx);
    let started: { id: string; pending?: unknown };
    try {
      started = await hooks.startCreate(session, inputs, ctx);
    } catch (error) {
      throw isUnconfirmedCreate(error) ? unconfirmedFailure(error, inputs) : error;
    }
    const { id, pending } = started;
    try {
      const live = await hooks.completeCreate(session, id, pending, ctx);
      if (!hooks.settleAfterCreate) return { id, outs: resourceOutputs(definition, live, inputs) };
      // What the create applied afterwards is part of creating it, not an update to report.
      const outs = await settle(session, id, live, inputs, liveMismatches(definition, inputs, live), ctx);
      return { id, outs: { ...outs, lastUpdateImpacts: [] } };
    } catch (error) {
      throw await partialFailure(session, id, inputs, error, ctx, pending);
    }
  }

  /** The real id behind a recorded one (resolveId; without that hook every id is real), undefined when none exists. */
  function realIdOf(session: S, id: string, recorded: Props | undefined, ctx: OperationContext): Promise<string | undefined> {
    return hooks.resolveId ? hooks.resolveId(session, id, recorded ?? {}, ctx) : Promise.resolve(id);
  }

  /**
   * Finishes a create that was never confirmed (update of a provisional record): the object found by
   * resolveId is waited for and brought to the declared values; absent, it is created now. The engine keeps
   * the provisional id (an update cannot change it), so the outputs (uid, status) are what confirms it.
   */
  async function finishUnconfirmed(session: S, id: string, olds: Props, news: Props, ctx: OperationContext): Promise<Props> {
    const found = await realIdOf(session, id, olds, ctx);
    if (found === undefined) {
      ctx.print(`the earlier create was not confirmed and no ${definition.noun} of that name exists (the cluster never created it): creating it now`);
      return (await createNew(session, news, ctx)).outs;
    }
    // The engine keeps the id it recorded after an update; only a read (refresh) can change it.
    ctx.print(
      `the earlier create was not confirmed; the cluster did create it, as ${definition.idName} ${found}: finishing it ` +
        `(the stack keeps the id ${id} until the next pulumi refresh records ${found}; the outputs hold ${found} now)`,
    );
    try {
      const live = await hooks.completeCreate(session, found, undefined, ctx);
      return await settle(session, found, live, news, liveMismatches(definition, news, live), ctx);
    } catch (error) {
      throw await partialFailure(session, found, news, error, ctx);
    }
  }

  /**
   * Under validation at preview, the update diff found, asked of the cluster as a dry run; a refusal is announced
   * as one more "pulumi up will refuse this". Never throws (diff must not fail): what cannot be asked is noted.
   */
  async function validateUpdateAtPreview(olds: Props, news: Props, say: (line: string) => void): Promise<void> {
    if (getSettings().validateAtPreview !== true || !hooks.validateUpdateOnCluster) return;
    const payloads = resourceUpdatePayloads(definition, olds, news);
    if (Object.keys(payloads).length === 0 || containsUnknown(payloads) || !hooks.session.known(news)) return;
    const label = definition.label(news, olds);
    let session: S | undefined;
    try {
      session = hooks.session.open(news, label, Date.now() + PREVIEW_VALIDATION_BUDGET_MS, olds);
      for (const refusal of await hooks.validateUpdateOnCluster(session, olds, payloads, news, label)) say(`pulumi up will refuse this: ${refusal.reason}`);
    } catch (error) {
      say(`${label}: could not ask the cluster to validate the update now (${messageOf(error)}); the cluster checks it when it is applied`);
    } finally {
      await Promise.resolve(session?.close()).catch(() => undefined);
    }
  }

  /**
   * A failed update of an object that must be replaced (replaceReason on its live state: a database left in
   * creation-failed) while the record did not show it, because a partial failure could record no more than the
   * id: the failure then carries the live outputs, so the engine records them and the next diff proposes the
   * replacement. Otherwise every later up would try the same update and fail the same way, until a refresh.
   * Returns the error to throw: `cause` itself when that is not the case or the object cannot be read.
   */
  async function replacementShown(session: S, id: string, realId: string, news: Props, cause: unknown, ctx: OperationContext): Promise<unknown> {
    if (!definition.replaceReason || typeof (cause as Partial<PartialFailure>)?.id === "string") return cause;
    let live: Live | undefined;
    try {
      live = await (hooks.readForRecord ?? hooks.read)(session, realId, ctx);
    } catch {
      return cause;
    }
    if (live === undefined) return cause;
    const outputs = resourceOutputs(definition, live, news);
    const reason = definition.replaceReason(outputs);
    if (reason === undefined) return cause;
    return partialFailureError(`${labelledMessage(messageOf(cause), ctx.label)}. ${reason} by the next pulumi up`, id, { ...outputs, __provider: news.__provider }, cause);
  }

  /** create() with adopt: take over an existing object instead of creating one. */
  async function adopt(session: S, inputs: Props, ctx: OperationContext): Promise<{ id: string; outs: Props }> {
    const adoptHooks = hooks.adopt!;
    const live = await adoptHooks.find(session, inputs, ctx);
    const { changes, failures } = adoptionProblems(definition, inputs, live, adoptHooks.applyChanges(inputs), ctx.settings.disruptionPolicy);
    if (failures.length > 0) throw new Error(failuresMessage(failures));
    const id = adoptHooks.id(live);
    ctx.print(
      adoptHooks.describe?.(live, changes) ??
        `adopting the existing ${definition.noun} ${definition.idName} ${id}` +
          (changes.length > 0 ? ` and applying ${changes.length} change(s)` : " (it matches the declared properties)"),
    );
    return { id, outs: await settle(session, id, live, inputs, changes, ctx) };
  }

  /**
   * URNs this process has checked with previous inputs. The engine checks a resource it is about to replace a
   * second time, without olds (pulumi/pulumi step_generator; test/engine/harness does the same): that check is of
   * the replacement, whose dry run would be refused by the old object it replaces, still there (its name, its
   * port). One process serves one engine command, so a replacement's two checks meet here.
   */
  const checkedWithOlds = new Set<string>();

  return {
    check: (olds: Props, news: Props) => guardedCheck(definition.kind, olds, news, async (olds, news) => {
      const settings = getSettings();
      const urn = typeof news.__urn === "string" ? news.__urn : undefined;
      const hasOlds = Object.keys(olds ?? {}).some((key) => key !== "__provider" && key !== "__urn");
      if (urn !== undefined && hasOlds) checkedWithOlds.add(urn);
      const replacement = urn !== undefined && !hasOlds && checkedWithOlds.has(urn);
      const checked = hooks.check
        ? hooks.check(olds ?? {}, news)
        : checkResource(definition, olds ?? {}, news, { ...policyOptions(), defaultDisruptionPolicy: settings.disruptionPolicy });
      // The URN the SDK recorded stays in the inputs whoever checked them: notes name the resource with it.
      const inputs: Props = typeof news.__urn === "string" ? { ...checked.inputs, __urn: news.__urn } : checked.inputs;
      const failures: CheckFailure[] = [];
      for (const failure of [...checked.failures, ...hooks.session.problems(news), ...timeoutsProblems(news.timeouts)]) {
        if (!failures.some((seen) => seen.property === failure.property && seen.reason === failure.reason)) failures.push(failure);
      }
      if (failures.length === 0 && hooks.session.known(news)) {
        const label = definition.label(news);
        let session: S | undefined;
        try {
          // Opening sends nothing; it says how to fix a missing or bad target. The budget bounds the requests of
          // validation at preview, so an unwell cluster cannot hold the preview.
          session = hooks.session.open(news, label, Date.now() + PREVIEW_VALIDATION_BUDGET_MS);
        } catch (error) {
          failures.push({ property: hooks.session.property, reason: messageOf(error) });
        }
        if (session) {
          // A preview sends no REST request unless the stack asks for validation at preview
          // (redisenterprise:validateAtPreview): the same preconditions run before the change is sent anyway.
          const pending = settings.validateAtPreview === true ? pendingPreconditions(table, olds ?? {}, inputs) : [];
          if (pending.length > 0) {
            // Best effort: a fact that cannot be read now is only noted.
            const names = factsNeeded(pending);
            try {
              failures.push(...preconditionFailures(table, pending, await readFacts(session, names), label, inputs));
            } catch (error) {
              const what = names.map((name) => hooks.facts?.[name]?.description ?? name).join(" and ");
              noteWriter(resourceUrn(news))(`${label}: could not read ${what} now (${messageOf(error)}); they are checked again before the change is applied`);
            }
          }
          if (settings.validateAtPreview === true && failures.length === 0 && hooks.validateOnCluster && !hasOlds && !replacement) {
            try {
              failures.push(...(await hooks.validateOnCluster(session, inputs, label)));
            } catch (error) {
              noteWriter(resourceUrn(news))(`${label}: could not ask the cluster to validate it now (${messageOf(error)}); the cluster checks it when it is applied`);
            }
          }
          await session.close();
        }
      }
      return { inputs, failures };
    }),

    // Never throws for a refused change or the policy: the engine also calls diff during refresh (from CLI
    // v3.27x, with the live outputs as olds and the previous inputs as news), which must never fail, and an error
    // thrown here is printed three times with a stack trace. Check refuses what it can see at preview; update
    // refuses the rest before sending anything; here they are only announced.
    async diff(id: string, oldsGiven: Props, newsGiven: Props) {
      // Refresh calls diff, and an error here fails the whole refresh: anything but an object counts as nothing.
      const olds = isPlainObject(oldsGiven) ? oldsGiven : {};
      const news = isPlainObject(newsGiven) ? newsGiven : {};
      if (hooks.unconfirmed?.(id, olds)) {
        // Finishing is an update: the record holds no values to compare, and a replacement would create a second
        // object beside the one the cluster may have made.
        noteWriter(resourceUrn(news, olds))(
          `${definition.label(news, olds)}: its create was not confirmed (recorded as ${id}); pulumi up looks it up and finishes it, or creates it if the cluster never did`,
        );
        return { changes: true, replaces: [], deleteBeforeReplace: false };
      }
      const diff = diffResource(definition, olds, news, policyOptions());
      const beyond = beyondTable(olds, news, diff.changed);
      const say = noteWriter(resourceUrn(news, olds));
      for (const refusal of beyond.refused) say(`${refusal.reason} (pulumi up will refuse this)`);
      printChanges(say, definition.label(news, olds), diff.changed, diff.notes);
      for (const note of beyond.notes) say(note);
      if (diff.refusalMessage) say(`pulumi up will refuse this: ${diff.refusalMessage}`);
      for (const blocked of diff.blocked) say(`pulumi up will refuse this: ${blocked.reason}`);
      const refusedHere = beyond.refused.length > 0 || diff.refusalMessage !== undefined || diff.blocked.length > 0;
      if (!refusedHere && diff.replaces.length === 0) await validateUpdateAtPreview(olds, news, say);
      const forced = definition.replaceReason?.(olds);
      if (forced !== undefined) {
        say(forced);
        // The object's own state forces it: "status" is the output that says why.
        return { changes: true, replaces: [...diff.replaces, "status"], deleteBeforeReplace: definition.deleteBeforeReplace };
      }
      const changes = diff.changes || beyond.changes || beyond.refused.length > 0 || beyond.actions.length > 0;
      return { changes, replaces: diff.replaces, deleteBeforeReplace: diff.deleteBeforeReplace };
    },

    async create(inputs: Props) {
      const ctx = contextFor("create", definition.label(inputs), inputs.timeouts, resourceUrn(inputs));
      return withSession(inputs, ctx, async (session) => {
        if (hooks.adopt?.wanted(inputs)) return adopt(session, inputs, ctx);
        return createNew(session, inputs, ctx);
      });
    },

    async read(id: string, props: Props) {
      const ctx = contextFor("read", definition.label(props ?? {}), undefined, resourceUrn(props));
      return withSession(props, ctx, async (session) => {
        // A provisional id becomes the real one here: the engine records the id read returns.
        const realId = await realIdOf(session, id, props, ctx);
        if (realId === undefined && hooks.unconfirmed?.(id, props ?? {})) {
          // Not there yet is not gone: the unanswered create may still be applied (a cluster can hold a request
          // past the client's deadline), and dropping the record then would orphan the object. The record stays
          // pending; the next up creates the object if it is still absent, and destroy removes nothing.
          ctx.print(`no ${definition.noun} of that name exists yet; the record stays pending (id ${id}): pulumi up creates it if it is still absent`);
          // Its inputs: the declared values the record holds (the name), with the settings refreshedInputs keeps.
          const inputs = refreshedInputs(definition, props);
          for (const row of erasedRows(definition.table)) if (props?.[row.name] !== undefined) inputs[row.name] = props[row.name];
          return { id, props, inputs };
        }
        if (realId === undefined) return { id: "" };
        const live = await hooks.read(session, realId, ctx);
        if (live === undefined) return { id: "" };
        // The live values of the managed properties are the inputs too: see refreshedInputs.
        const outputs = refreshedOutputs(definition, live, props);
        return { id: realId, props: outputs, inputs: refreshedInputs(definition, outputs) };
      }, props);
    },

    async update(id: string, olds: Props, news: Props) {
      const label = definition.label(news, olds);
      if (hooks.unconfirmed?.(id, olds ?? {})) {
        // The recorded values are not the object's (none was confirmed): nothing to compare or refuse yet.
        const ctx = contextFor("update", label, news.timeouts, resourceUrn(news, olds));
        return withSession(news, ctx, async (session) => ({ outs: await finishUnconfirmed(session, id, olds ?? {}, news, ctx) }), olds);
      }
      const diff = diffResource(definition, olds, news, policyOptions());
      const beyond = beyondTable(olds, news, diff.changed);
      // Errors thrown from update reach the user once, without a stack trace (the host reports them as the
      // resource's failure), so what check could not see is refused here, before anything is sent.
      if (beyond.refused.length > 0) throw new Error(failuresMessage(beyond.refused));
      if (diff.refusalMessage) throw new Error(diff.refusalMessage);
      if (diff.blocked.length > 0) throw new Error(failuresMessage(diff.blocked));
      const ctx = contextFor("update", label, news.timeouts, resourceUrn(news, olds));
      const changes = [...diff.changed, ...beyond.actions];
      return withSession(
        news,
        ctx,
        async (session) => {
          const realId = await realIdOf(session, id, olds, ctx);
          if (realId === undefined) throw new Error(`${ctx.label}: the ${definition.noun} no longer exists; run pulumi refresh, then pulumi up to create it again`);
          try {
            return { outs: await applyUpdate(session, realId, olds, news, ctx, changes) };
          } catch (error) {
            const shown = await replacementShown(session, id, realId, news, error, ctx);
            if (shown === error && isAppliedBeforeFailing(error)) throw await updatePartialFailure(session, realId, olds, news, error, ctx);
            throw shown;
          }
        },
        olds,
      );
    },

    async delete(id: string, props: Props) {
      const ctx = contextFor("delete", definition.label(props ?? {}), props.timeouts, resourceUrn(props));
      await withSession(
        props,
        ctx,
        async (session) => {
          const realId = await realIdOf(session, id, props, ctx);
          if (realId === undefined) {
            ctx.print(`nothing to delete: the create was never confirmed and no ${definition.noun} of that name exists`);
            return;
          }
          await hooks.delete(session, realId, ctx);
        },
        props,
      );
    },
  };
}
