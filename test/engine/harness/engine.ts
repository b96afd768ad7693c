// Plays the engine's part for whole programs: the program's real resource classes register through Pulumi's mock
// monitor, and each registration is turned into the provider calls the engine's step generator makes (Check, then
// Create or Diff + Update / replace / same), against the real provider host. See index.ts for the limits.

import * as pulumi from "@pulumi/pulumi";
import type {
  ReadResourceRequest,
  RegisterResourceOutputsRequest,
  RegisterResourceRequest,
} from "@pulumi/pulumi/proto/resource_pb";
import { PartialFailureError, type CheckFailure, type ProviderHost } from "./host";
import { loadPulumiInternals, type PulumiInternals } from "./internals";
import { markSecrets, propertyValuesEqual, stripSecrets, toPropertyMap, type PropertyMap } from "./properties";

/** One custom resource as the engine's checkpoint holds it. Plain JSON: a test may save and reload it. */
export interface ResourceState {
  type: string;
  id: string;
  /** The checked inputs (what Check returned), secrets unwrapped, `__provider` included. */
  inputs: PropertyMap;
  /** The provider's outputs, secrets unwrapped, `__provider` included. */
  outputs: PropertyMap;
  /** Top-level input keys that hold a secret. */
  secretInputKeys: string[];
  /** Top-level output keys the engine marks secret (encrypted in a real checkpoint). */
  secretOutputKeys: string[];
  /** The resource's additionalSecretOutputs option, kept so refresh re-marks those keys. */
  additionalSecretOutputs: string[];
  /** URN of the parent, when it is not the stack. */
  parent?: string;
  /** Reasons from a partial failure; the next `up` updates the resource even if Diff reports no change. */
  initErrors?: string[];
}

/** URN -> resource, in checkpoint order (registration order). */
export type EngineState = Record<string, ResourceState>;

export type StepOp = "create" | "update" | "same" | "delete" | "replace" | "create-replacement" | "delete-replaced";

/** A step as the engine would show it, in the order the harness executed (or, in preview, planned) it. */
export interface Step {
  op: StepOp;
  urn: string;
  type: string;
  /** The id the step acted on or produced ("" for a create in preview). */
  id: string;
  /** For replace steps: the keys that forced the replacement. */
  replaceKeys?: string[];
  /** For replace steps: whether the old resource was deleted before the new one was created. */
  deleteBeforeReplace?: boolean;
}

/** A Pulumi program: declares resources; what it returns (or resolves to) becomes the stack outputs. */
export type Program = () => void | Promise<void> | Record<string, unknown> | Promise<Record<string, unknown>>;

export interface EngineOptions {
  host: ProviderHost;
  project: string;
  stack: string;
  /** Stack config, keys "<project>:<key>"; given to the program and to the provider's Configure. */
  config?: Record<string, string>;
  /** Config keys that are secret (`pulumi config set --secret`). */
  secretConfigKeys?: string[];
}

export interface RunOptions extends EngineOptions {
  mode: "up" | "preview";
}

export interface RunResult {
  /** The new checkpoint; in preview, the state passed in, unchanged. */
  state: EngineState;
  steps: Step[];
  /** The stack outputs (what the program returned), secrets unwrapped; unknowns in preview are UNKNOWN. */
  outputs: PropertyMap;
  /** Names of stack outputs that are secret. */
  secretOutputNames: string[];
}

/** An `up`, `preview`, `refresh` or `destroy` that failed. Carries the checkpoint the engine would have saved. */
export class DeploymentError extends Error {
  constructor(
    message: string,
    readonly state: EngineState,
    readonly steps: Step[],
    readonly causes: Error[],
    /** Replaced resources (create-before-delete) whose old half was not deleted because the run failed. */
    readonly undeletedReplaced: Array<{ urn: string; id: string }> = [],
  ) {
    super(message);
    this.name = "DeploymentError";
  }
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
const DYNAMIC_TYPE_PREFIX = "pulumi-nodejs:dynamic";

function cloneState(state: EngineState): EngineState {
  return JSON.parse(JSON.stringify(state)) as EngineState;
}

/** The URN the engine gives a resource: the parent's qualified type is prefixed unless the parent is the stack. */
export function resourceUrn(stack: string, project: string, type: string, name: string, parentUrn: string): string {
  let qualifiedType = type;
  if (parentUrn !== "") {
    const parentQualifiedType = parentUrn.split("::")[2] ?? "";
    if (parentQualifiedType !== ROOT_STACK_TYPE) {
      qualifiedType = `${parentQualifiedType}$${type}`;
    }
  }
  return `urn:pulumi:${stack}::${project}::${qualifiedType}::${name}`;
}

/** The output keys the engine marks secret: those matching a secret input, and additionalSecretOutputs. */
function secretOutputKeysFor(outputs: PropertyMap, ...sources: ReadonlyArray<readonly string[]>): string[] {
  const wanted = new Set(sources.flat());
  return Object.keys(outputs).filter((key) => wanted.has(key));
}

/** Outputs that would be stored in plain text: every output key that is not marked secret, per resource. */
export function unmarkedOutputs(state: EngineState): Record<string, PropertyMap> {
  const result: Record<string, PropertyMap> = {};
  for (const [urn, resource] of Object.entries(state)) {
    const secret = new Set(resource.secretOutputKeys);
    result[urn] = Object.fromEntries(Object.entries(resource.outputs).filter(([key]) => !secret.has(key)));
  }
  return result;
}

/** Inputs that would be stored in plain text, per resource. */
export function unmarkedInputs(state: EngineState): Record<string, PropertyMap> {
  const result: Record<string, PropertyMap> = {};
  for (const [urn, resource] of Object.entries(state)) {
    const secret = new Set(resource.secretInputKeys);
    result[urn] = Object.fromEntries(Object.entries(resource.inputs).filter(([key]) => !secret.has(key)));
  }
  return result;
}

function describeFailures(urn: string, failures: CheckFailure[]): string {
  return `${urn}: Check failed: ${failures.map((failure) => `${failure.property}: ${failure.reason}`).join("; ")}`;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

async function configureHost(options: EngineOptions): Promise<void> {
  const { host, project } = options;
  const hostProject = host.project ?? "project";
  if (hostProject !== project) {
    throw new Error(
      `the provider host was started for project "${hostProject}" but the deployment is for "${project}"; ` +
        `start it with startProviderHost({ project: "${project}" }) so config keys resolve as under the engine`,
    );
  }
  await host.configure(options.config ?? {}, { secretKeys: options.secretConfigKeys });
}

/** The monitor methods the harness replaces on the mock monitor that `setMocks` installs. */
interface PatchableMonitor {
  registerResource(request: RegisterResourceRequest, callback: (error: Error | null, response?: unknown) => void): void;
  registerResourceOutputs(
    request: RegisterResourceOutputsRequest,
    callback: (error: Error | null, response?: unknown) => void,
  ): void;
  readResource(request: ReadResourceRequest, callback: (error: Error | null, response?: unknown) => void): void;
}

interface PendingDelete {
  urn: string;
  resource: ResourceState;
  op: "delete" | "delete-replaced";
}

/** One `up` or `preview`: the step generator and executor for the registrations of one program run. */
class Deployment {
  private readonly preview: boolean;
  private readonly previous: EngineState;
  private readonly previousOrder: string[];
  private readonly next = new Map<string, ResourceState>();
  private readonly registered = new Set<string>();
  /** Old resources already deleted during the run (delete-before-replace). */
  private readonly deletedEarly = new Set<string>();
  private readonly pendingDeletes: PendingDelete[] = [];
  readonly steps: Step[] = [];
  readonly failures: Error[] = [];
  stackOutputs: PropertyMap = {};
  stackSecretOutputNames: string[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private stackUrn = "";

  constructor(
    private readonly internals: PulumiInternals,
    state: EngineState,
    private readonly options: RunOptions,
  ) {
    this.preview = options.mode === "preview";
    this.previous = cloneState(state);
    this.previousOrder = Object.keys(this.previous);
  }

  /** Registrations are handled one at a time, in arrival order, so steps and host calls are deterministic. */
  enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private response(urn: string, id: string, outputs: PropertyMap): unknown {
    const { resourceProto, struct } = this.internals;
    const response = new resourceProto.RegisterResourceResponse();
    response.setUrn(urn);
    response.setId(id);
    response.setObject(struct.Struct.fromJavaScript(outputs));
    return response;
  }

  async register(request: RegisterResourceRequest): Promise<unknown> {
    const type = request.getType();
    const urn = resourceUrn(this.options.stack, this.options.project, type, request.getName(), request.getParent());
    if (!request.getCustom()) {
      if (type === ROOT_STACK_TYPE) {
        this.stackUrn = urn;
      }
      return this.response(urn, "", {});
    }
    try {
      if (this.failures.length > 0) {
        throw new Error(`${urn}: not attempted, because an earlier step failed`);
      }
      const { id, outputs } = await this.registerCustom(request, type, urn);
      return this.response(urn, id, outputs);
    } catch (error) {
      const failure = asError(error);
      this.failures.push(failure);
      expectRegistrationFailure(failure.message);
      throw failure;
    }
  }

  recordOutputs(request: RegisterResourceOutputsRequest): void {
    if (request.getUrn() === this.stackUrn) {
      const raw = toPropertyMap(request.getOutputs()?.toJavaScript() ?? {}, "stack outputs");
      const { plain, secretKeys } = stripSecrets(raw, "stack outputs");
      this.stackOutputs = plain;
      this.stackSecretOutputNames = secretKeys;
    }
  }

  private rejectUnsupportedOptions(request: RegisterResourceRequest, urn: string): void {
    const unsupported: string[] = [];
    if (request.getProtect()) unsupported.push("protect");
    if (request.getRetainondelete()) unsupported.push("retainOnDelete");
    if (request.getImportid() !== "") unsupported.push("import");
    if (request.getDeletedwith() !== "") unsupported.push("deletedWith");
    if (request.getAliasesList().length > 0 || request.getAliasurnsList().length > 0) unsupported.push("aliases");
    if (request.getReplaceWithList().length > 0) unsupported.push("replaceWith");
    if (request.hasReplacementTrigger()) unsupported.push("replacementTrigger");
    const nested = [...request.getIgnorechangesList(), ...request.getReplaceonchangesList()].filter((key) =>
      /[.[]/.test(key),
    );
    if (nested.length > 0) unsupported.push(`nested property paths (${nested.join(", ")})`);
    if (unsupported.length > 0) {
      throw new Error(
        `${urn}: the engine harness does not emulate the resource option(s) ${unsupported.join(", ")}; ` +
          `test this with the real CLI (reference Part 3) or drop the option`,
      );
    }
  }

  private async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<PropertyMap> {
    const result = await this.options.host.check(urn, olds, news);
    if (result.failures.length > 0) {
      throw new Error(describeFailures(urn, result.failures));
    }
    return result.inputs;
  }

  private step(step: Step): void {
    this.steps.push(step);
  }

  private async registerCustom(
    request: RegisterResourceRequest,
    type: string,
    urn: string,
  ): Promise<{ id: string; outputs: PropertyMap }> {
    if (!type.startsWith(DYNAMIC_TYPE_PREFIX)) {
      throw new Error(`${urn}: the engine harness drives dynamic resources (${DYNAMIC_TYPE_PREFIX}...) only`);
    }
    this.rejectUnsupportedOptions(request, urn);
    if (this.registered.has(urn)) {
      throw new Error(`${urn}: registered twice in one program; resource names must be unique per type`);
    }
    this.registered.add(urn);

    const raw = toPropertyMap(request.getObject()?.toJavaScript() ?? {}, `${urn} inputs`);
    const { plain: programInputs, secretKeys } = stripSecrets(raw, `${urn} inputs`);
    const additionalSecretOutputs = request.getAdditionalsecretoutputsList();
    const parentUrn = request.getParent();
    const parent = parentUrn !== "" && parentUrn !== this.stackUrn ? parentUrn : undefined;
    const old = this.previous[urn];

    // ignoreChanges: the engine keeps the old input value before calling Check.
    const news: PropertyMap = { ...programInputs };
    if (old) {
      for (const key of request.getIgnorechangesList()) {
        if (key in old.inputs) {
          news[key] = old.inputs[key];
        } else {
          delete news[key];
        }
      }
    }

    const checked = await this.check(urn, old?.inputs ?? {}, news);
    // The engine re-marks checked inputs whose key held a secret in what the program sent.
    const secretInputKeys = secretKeys.filter((key) => key in checked);
    const base = { type, secretInputKeys, additionalSecretOutputs, ...(parent ? { parent } : {}) };

    const finish = (resource: ResourceState): { id: string; outputs: PropertyMap } => {
      if (!this.preview) {
        this.next.set(urn, resource);
      }
      return { id: resource.id, outputs: markSecrets(resource.outputs, resource.secretOutputKeys) };
    };
    const secretOutputs = (outputs: PropertyMap): string[] =>
      secretOutputKeysFor(outputs, secretInputKeys, additionalSecretOutputs);

    if (!old) {
      if (this.preview) {
        // Dynamic providers do not preview: the engine hands the checked inputs back as the state.
        this.step({ op: "create", urn, type, id: "" });
        return finish({ ...base, id: "", inputs: checked, outputs: checked, secretOutputKeys: secretOutputs(checked) });
      }
      const created = await this.create(urn, checked, base, secretOutputs, "create");
      this.step({ op: "create", urn, type, id: created.id });
      return finish(created);
    }

    const diff = await this.options.host.diff(old.id, urn, old.outputs, checked, old.inputs);
    let hasChanges =
      diff.changes === "DIFF_SOME" ||
      // DIFF_UNKNOWN: the engine compares old and new inputs itself, __provider included.
      (diff.changes === "DIFF_UNKNOWN" && !propertyValuesEqual(old.inputs, checked));
    if (old.initErrors && old.initErrors.length > 0) {
      hasChanges = true;
    }
    const replaceKeys = [...diff.replaces];
    if (hasChanges) {
      const replaceOnChanges = request.getReplaceonchangesList();
      for (const key of new Set([...Object.keys(old.inputs), ...Object.keys(checked)])) {
        const watched = replaceOnChanges.includes(key) || replaceOnChanges.includes("*");
        if (watched && !replaceKeys.includes(key) && !propertyValuesEqual(old.inputs[key], checked[key])) {
          replaceKeys.push(key);
        }
      }
    }

    if (!hasChanges) {
      this.step({ op: "same", urn, type, id: old.id });
      return finish({
        ...base,
        id: old.id,
        inputs: checked,
        outputs: old.outputs,
        secretOutputKeys: secretOutputKeysFor(
          old.outputs,
          old.secretOutputKeys,
          secretInputKeys,
          additionalSecretOutputs,
        ),
      });
    }

    if (replaceKeys.length === 0) {
      if (this.preview) {
        this.step({ op: "update", urn, type, id: old.id });
        const secretOutputKeys = secretOutputs(checked);
        return finish({ ...base, id: old.id, inputs: checked, outputs: checked, secretOutputKeys });
      }
      const updated = await this.update(urn, old, checked, base, secretOutputs);
      this.step({ op: "update", urn, type, id: old.id });
      return finish(updated);
    }

    // A replacement: the engine checks the program's inputs again without olds (nothing carries over, and
    // ignoreChanges no longer applies: there is no old value to keep).
    const replacementInputs = await this.check(urn, {}, programInputs);
    const replacementSecretKeys = secretKeys.filter((key) => key in replacementInputs);
    const replacementBase = { ...base, secretInputKeys: replacementSecretKeys };
    const replacementSecretOutputs = (outputs: PropertyMap): string[] =>
      secretOutputKeysFor(outputs, replacementSecretKeys, additionalSecretOutputs);
    const deleteBeforeReplace = diff.deleteBeforeReplace || request.getDeletebeforereplace();
    const replaceStep: Step = { op: "replace", urn, type, id: old.id, replaceKeys, deleteBeforeReplace };
    const createReplacement = (): Promise<ResourceState> =>
      this.create(urn, replacementInputs, replacementBase, replacementSecretOutputs, "create-replacement");

    // The engine's order: delete-replaced, replace, create-replacement when deleting first; otherwise
    // create-replacement, replace, and the delete-replaced step after every create and update of the run.
    if (this.preview) {
      if (deleteBeforeReplace) {
        this.step({ op: "delete-replaced", urn, type, id: old.id });
        this.step(replaceStep);
        this.step({ op: "create-replacement", urn, type, id: "" });
      } else {
        this.step({ op: "create-replacement", urn, type, id: "" });
        this.step(replaceStep);
        this.pendingDeletes.push({ urn, resource: old, op: "delete-replaced" });
      }
      return finish({
        ...replacementBase,
        id: "",
        inputs: replacementInputs,
        outputs: replacementInputs,
        secretOutputKeys: replacementSecretOutputs(replacementInputs),
      });
    }
    if (deleteBeforeReplace) {
      await this.options.host.delete(old.id, urn, old.outputs, old.inputs);
      this.deletedEarly.add(urn);
      this.step({ op: "delete-replaced", urn, type, id: old.id });
      this.step(replaceStep);
      const created = await createReplacement();
      this.step({ op: "create-replacement", urn, type, id: created.id });
      return finish(created);
    }
    const created = await createReplacement();
    this.step({ op: "create-replacement", urn, type, id: created.id });
    this.step(replaceStep);
    this.pendingDeletes.push({ urn, resource: old, op: "delete-replaced" });
    return finish(created);
  }

  private async create(
    urn: string,
    inputs: PropertyMap,
    base: Pick<ResourceState, "type" | "secretInputKeys" | "additionalSecretOutputs" | "parent">,
    secretOutputs: (outputs: PropertyMap) => string[],
    op: "create" | "create-replacement",
  ): Promise<ResourceState> {
    try {
      const created = await this.options.host.create(urn, inputs);
      if (created.id === "") {
        throw new Error(`${urn}: the provider returned an empty id from create`);
      }
      const outputs = created.properties;
      return { ...base, id: created.id, inputs, outputs, secretOutputKeys: secretOutputs(outputs) };
    } catch (error) {
      if (error instanceof PartialFailureError) {
        // The engine keeps the half-created resource, with its id, so it is neither orphaned nor recreated.
        this.next.set(urn, {
          ...base,
          id: error.id,
          inputs,
          outputs: error.properties,
          secretOutputKeys: secretOutputs(error.properties),
          initErrors: error.reasons,
        });
        this.step({ op, urn, type: base.type, id: error.id });
      }
      throw error;
    }
  }

  private async update(
    urn: string,
    old: ResourceState,
    inputs: PropertyMap,
    base: Pick<ResourceState, "type" | "secretInputKeys" | "additionalSecretOutputs" | "parent">,
    secretOutputs: (outputs: PropertyMap) => string[],
  ): Promise<ResourceState> {
    try {
      const updated = await this.options.host.update(old.id, urn, old.outputs, inputs, old.inputs);
      const outputs = updated.properties;
      return { ...base, id: old.id, inputs, outputs, secretOutputKeys: secretOutputs(outputs) };
    } catch (error) {
      if (error instanceof PartialFailureError) {
        this.next.set(urn, {
          ...base,
          id: old.id,
          inputs,
          outputs: error.properties,
          secretOutputKeys: secretOutputs(error.properties),
          initErrors: error.reasons,
        });
        this.step({ op: "update", urn, type: base.type, id: old.id });
      }
      throw error;
    }
  }

  /** Deletes what the program no longer declares and the old halves of create-before-delete replacements. */
  async deleteLeftovers(): Promise<void> {
    const position = (urn: string): number => this.previousOrder.indexOf(urn);
    const leftovers: PendingDelete[] = [
      ...this.pendingDeletes,
      ...this.previousOrder
        .filter((urn) => !this.registered.has(urn))
        .map((urn): PendingDelete => ({ urn, resource: this.previous[urn], op: "delete" })),
    ].sort((left, right) => position(right.urn) - position(left.urn));
    for (const leftover of leftovers) {
      const { urn, resource, op } = leftover;
      if (!this.preview) {
        try {
          await this.options.host.delete(resource.id, urn, resource.outputs, resource.inputs);
        } catch (error) {
          this.failures.push(
            new Error(
              `${urn}: Delete of ${op === "delete" ? "" : "the replaced "}resource ${resource.id} failed: ` +
                `${asError(error).message}`,
            ),
          );
          if (op === "delete") {
            this.next.set(urn, resource);
          }
          continue;
        }
      }
      this.step({ op, urn, type: resource.type, id: resource.id });
    }
  }

  /** The checkpoint after the run: in preview the old one; after a failure, untouched old resources stay. */
  finalState(): EngineState {
    if (this.preview) {
      return cloneState(this.previous);
    }
    const state: EngineState = Object.fromEntries(this.next);
    if (this.failures.length > 0) {
      for (const urn of this.previousOrder) {
        if (!(urn in state) && !this.deletedEarly.has(urn)) {
          state[urn] = this.previous[urn];
        }
      }
    }
    return cloneState(state);
  }

  /**
   * Old halves of create-before-delete replacements still to be deleted after a failed run. The engine keeps
   * them in its checkpoint as pending deletions; this checkpoint has one entry per URN, so they are reported.
   */
  undeletedReplaced(): Array<{ urn: string; id: string }> {
    return this.failures.length > 0 ? this.pendingDeletes.map(({ urn, resource }) => ({ urn, id: resource.id })) : [];
  }
}

// When the harness answers a registration with an error (as the engine does when a step fails), the SDK rejects
// every output promise of that resource, and nothing in a test program awaits them. The Pulumi language host
// reports those through its process-level handler; here they are expected and already reported through
// DeploymentError. A listener, present only while a run is in progress (plus one macrotask, by when Node has
// reported every rejection of the run), swallows exactly those. Any other rejection goes to the other listeners
// (mocha), or, when there are none, is rethrown so that Node's default still applies.
const expectedRegistrationFailures = new Set<string>();
let runsInProgress = 0;

/**
 * The SDK words these "failed to register new resource <name> [<type>]: <our message>", and a resource whose input
 * was an output of the failed one gets `error serializing property "<key>": ` in front of that.
 */
function isExpectedRegistrationFailure(reason: unknown): boolean {
  if (!(reason instanceof Error) || !reason.message.includes("failed to register new resource ")) {
    return false;
  }
  return [...expectedRegistrationFailures].some((message) => reason.message.endsWith(`]: ${message}`));
}

function onUnhandledRejection(reason: unknown): void {
  if (isExpectedRegistrationFailure(reason)) {
    return;
  }
  if (process.listenerCount("unhandledRejection") === 1) {
    throw reason;
  }
}

function expectRegistrationFailure(message: string): void {
  expectedRegistrationFailures.add(message);
}

function beginRun(): void {
  if (runsInProgress++ === 0) {
    process.on("unhandledRejection", onUnhandledRejection);
  }
}

async function endRun(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (--runsInProgress === 0) {
    process.off("unhandledRejection", onUnhandledRejection);
    expectedRegistrationFailures.clear();
  }
}

const refusingMocks: pulumi.runtime.Mocks = {
  newResource(args) {
    throw new Error(`${args.type} ${args.name}: unexpected mock registration; the engine harness handles these`);
  },
  call(args) {
    throw new Error(`${args.token}: the engine harness does not emulate provider functions (invokes)`);
  },
};

/**
 * Runs `program` as `pulumi up` (or `pulumi preview`) would against the previous checkpoint `state`, driving the
 * real provider host. Resolves with the new checkpoint, the steps and the stack outputs; rejects with a
 * DeploymentError (carrying the checkpoint the engine would save) when the program or any step fails.
 */
export async function runProgram(
  program: Program,
  state: EngineState,
  options: RunOptions,
): Promise<RunResult> {
  beginRun();
  try {
    return await runDeployment(program, state, options);
  } finally {
    await endRun();
  }
}

async function runDeployment(
  program: Program,
  state: EngineState,
  options: RunOptions,
): Promise<RunResult> {
  const internals = loadPulumiInternals();
  await configureHost(options);
  const deployment = new Deployment(internals, state, options);
  const config = options.config ?? {};

  let programError: Error | undefined;
  await internals.runtimeState.withLocalStorage(async () => {
    await pulumi.runtime.setMocks(refusingMocks, options.project, options.stack, options.mode === "preview");
    pulumi.runtime.setAllConfig(config, options.secretConfigKeys ?? []);
    const monitor = pulumi.runtime.getMonitor() as unknown as PatchableMonitor | undefined;
    if (!monitor) {
      throw new Error(
        "pulumi.runtime.setMocks installed no monitor; test/engine/harness needs updating for this @pulumi/pulumi",
      );
    }
    monitor.registerResource = (request, callback) => {
      deployment.enqueue(() => deployment.register(request)).then(
        (response) => callback(null, response),
        (error: unknown) => callback(asError(error)),
      );
    };
    monitor.registerResourceOutputs = (request, callback) => {
      try {
        deployment.recordOutputs(request);
        callback(null, {});
      } catch (error) {
        callback(asError(error));
      }
    };
    monitor.readResource = (request, callback) => {
      callback(
        new Error(
          `${request.getType()} ${request.getName()}: the engine harness does not emulate reading existing ` +
            `resources (Resource.get / import); dynamic providers cannot import either (pulumi/pulumi#16175)`,
        ),
      );
    };
    try {
      await pulumi.runtime.runInPulumiStack(async () => program());
    } catch (error) {
      programError = asError(error);
    } finally {
      // Waits until every registration the program started has been answered.
      await pulumi.runtime.disconnect();
    }
  });

  if (!programError && deployment.failures.length === 0) {
    await deployment.deleteLeftovers();
  }
  const causes = [...deployment.failures];
  // A program that awaited an output of a failed resource fails with that same failure: report it once.
  if (programError && !causes.includes(programError) && !isExpectedRegistrationFailure(programError)) {
    causes.push(programError);
  }
  const finalState = deployment.finalState();
  if (causes.length > 0) {
    const undeleted = deployment.undeletedReplaced();
    const leftovers = undeleted.map(({ urn, id }) => `\n  the replaced resource ${id} of ${urn} was not deleted`);
    throw new DeploymentError(
      `${options.mode} failed:\n${causes.map((cause) => `  ${cause.message}`).join("\n")}${leftovers.join("")}`,
      finalState,
      deployment.steps,
      causes,
      undeleted,
    );
  }
  return {
    state: finalState,
    steps: deployment.steps,
    outputs: deployment.stackOutputs,
    secretOutputNames: deployment.stackSecretOutputNames,
  };
}

export interface RefreshedResource {
  urn: string;
  /** The provider's read found nothing: the resource is dropped from the checkpoint. */
  deleted: boolean;
  /** The read outputs differ from the checkpoint's. */
  outputsChanged: boolean;
  /** Read returned inputs that differ from the checkpoint's. */
  inputsChanged: boolean;
}

/**
 * `pulumi refresh`: Read for each resource with the code frozen in state (no program runs), updating outputs (and
 * inputs, when Read returns them). Secret marks carry over from the old checkpoint, as the engine does.
 */
export async function refresh(
  state: EngineState,
  options: EngineOptions,
): Promise<{ state: EngineState; resources: RefreshedResource[] }> {
  await configureHost(options);
  const next: EngineState = {};
  const resources: RefreshedResource[] = [];
  const failures: Error[] = [];
  for (const [urn, resource] of Object.entries(cloneState(state))) {
    let read;
    try {
      read = await options.host.read(resource.id, urn, resource.outputs, resource.inputs);
    } catch (error) {
      failures.push(new Error(`${urn}: Read of ${resource.id} failed: ${asError(error).message}`));
      next[urn] = resource;
      continue;
    }
    if (read.id === "") {
      resources.push({ urn, deleted: true, outputsChanged: true, inputsChanged: false });
      continue;
    }
    const inputs = read.inputs ?? resource.inputs;
    resources.push({
      urn,
      deleted: false,
      outputsChanged: !propertyValuesEqual(resource.outputs, read.properties),
      inputsChanged: !propertyValuesEqual(resource.inputs, inputs),
    });
    next[urn] = {
      ...resource,
      id: read.id,
      inputs,
      outputs: read.properties,
      secretInputKeys: resource.secretInputKeys.filter((key) => key in inputs),
      secretOutputKeys: secretOutputKeysFor(
        read.properties,
        resource.secretOutputKeys,
        resource.additionalSecretOutputs,
      ),
    };
  }
  if (failures.length > 0) {
    const message = `refresh failed:\n${failures.map((failure) => `  ${failure.message}`).join("\n")}`;
    throw new DeploymentError(message, next, [], failures);
  }
  return { state: next, resources };
}

/** `pulumi destroy`: Delete for each resource in reverse checkpoint order, with the code frozen in state. */
export async function destroy(
  state: EngineState,
  options: EngineOptions,
): Promise<{ state: EngineState; steps: Step[] }> {
  await configureHost(options);
  const remaining = cloneState(state);
  const steps: Step[] = [];
  for (const urn of Object.keys(remaining).reverse()) {
    const resource = remaining[urn];
    try {
      await options.host.delete(resource.id, urn, resource.outputs, resource.inputs);
    } catch (error) {
      const failure = new Error(`${urn}: Delete of ${resource.id} failed: ${asError(error).message}`);
      throw new DeploymentError(`destroy failed:\n  ${failure.message}`, remaining, steps, [failure]);
    }
    delete remaining[urn];
    steps.push({ op: "delete", urn, type: resource.type, id: resource.id });
  }
  return { state: remaining, steps };
}
