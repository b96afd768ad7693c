/**
 * Engine harness: tests a dynamic provider through the path the Pulumi engine really takes, without the CLI.
 *
 * ## The provider host
 *
 * `startProviderHost({ project, config?, cwd?, env?, resolveOwnPackage?, startTimeoutMs? })` starts the host that
 * ships in @pulumi/pulumi (`cmd/dynamic-provider`, the `pulumi-resource-pulumi-nodejs` plugin) with
 * `process.execPath`, in its own process group, with the environment the engine gives it (PULUMI_NODEJS_PROJECT,
 * PULUMI_CONFIG), and connects a `pulumirpc.ResourceProvider` client. Its methods send the engine's requests and
 * return plain objects:
 *
 *     configure(config, { secretKeys? })            -> { acceptSecrets }
 *     check(urn, olds, news)                        -> { inputs, failures }
 *     diff(id, urn, olds, news, oldInputs)          -> { changes: "DIFF_SOME" | "DIFF_NONE" | "DIFF_UNKNOWN",
 *                                                        replaces, deleteBeforeReplace }
 *     create(urn, properties)                       -> { id, properties }
 *     update(id, urn, olds, news, oldInputs)        -> { properties }
 *     read(id, urn, properties, inputs?)            -> { id ("" = gone), properties, inputs? }
 *     delete(id, urn, properties, oldInputs)
 *     pluginVersion()                               -> the @pulumi/pulumi version the host runs
 *
 * Property bags are plain JSON; an unknown value is the string UNKNOWN ("04da6b54-…"), exactly what the engine
 * sends. A failed RPC throws ProviderRpcError with the host's own message; a Create or Update that failed after
 * the object came to exist (the provider threw an Error carrying `id`) throws PartialFailureError with the id,
 * properties and reasons decoded from the ErrorResourceInitFailed status detail, which is what the engine records.
 * The host's stdout/stderr are captured as lines: `mark()`, then `stderrSince(mark)` / `stdoutSince(mark)` (text)
 * or `linesSince(mark)` ({ stream, text }) give what a call printed (the engine relays those lines as stack-level
 * diagnostics); `waitForLine(predicate, timeoutMs)` waits for one. `rpcLog()` lists every call in order.
 * `stop()` kills the whole process group and waits for it. Hosts not stopped are killed when this process exits,
 * and end themselves when it dies by a signal (a watchdog preloaded into the host watches its stdin pipe).
 * The serialized provider's `require("pulumi-redis-enterprise/...")` resolves to this repository, as it would
 * from a user's node_modules (a NODE_PATH symlink of the harness; package self-reference does not apply to code the
 * host compiles from a string). One host process = one engine run's plugin: it configures each distinct provider
 * text once, so a test that changes provider config between runs needs a new host, as the engine would start.
 *
 * ## Whole programs
 *
 * `runProgram(program, state, { host, project, stack, config?, secretConfigKeys?, mode: "up" | "preview" })`
 * runs the program with its real resource classes. Each registration reaches the mock monitor installed by
 * `pulumi.runtime.setMocks`, whose `registerResource` the harness replaces with its own, reading the raw
 * RegisterResourceRequest. (The mocks' `newResource` hook would see secret inputs, as `{4dabf…: 1b47…, value}`
 * wrappers, and `__provider`, but not the parent, additionalSecretOutputs, deleteBeforeReplace, ignoreChanges or
 * replaceOnChanges, and in preview it turns the unknown sentinel into an Output marker; so it is not used.) Each
 * registration becomes the engine's calls: Check(olds = previous checked inputs, news); for a new resource
 * Create(checked inputs); for an existing one Diff(id, olds = previous outputs, news, oldInputs), then Update, or a
 * replacement (Check again without olds; delete-before-replace when Diff or the resource option asks, otherwise create
 * first and delete the old one after all other steps), or nothing (same). DIFF_UNKNOWN falls back to comparing inputs,
 * `__provider` included, as the engine does. Resources in the previous state that the program no longer declares are
 * deleted in reverse order. In preview nothing is created, updated or deleted: the checked inputs stand in for outputs,
 * so outputs the provider would compute are unknown to the program. It resolves with `{ state, steps, outputs,
 * secretOutputNames }`, or rejects with DeploymentError carrying the checkpoint the engine would save (untouched old
 * resources stay; a partial failure is recorded with its id and initErrors, and the next `up` updates it).
 * `refresh(state, options)` reads every resource with the code frozen in state (a Read without id drops it) and reports
 * per resource whether outputs or inputs changed; `destroy(state, options)` deletes everything in reverse order.
 *
 * A partial failure's properties are exactly what the provider put on its Error: the host adds no `__provider`, so
 * until the next `up` rewrites the outputs, Read and Delete of that resource fail ("code must be a string, not
 * undefined"), as they would under the engine. A provider can put `__provider: inputs.__provider` on the error.
 *
 * Secrets as the engine handles them: secret inputs reach the host in plain text (it answers acceptSecrets=false);
 * afterwards, output keys that were secret inputs, or are listed in additionalSecretOutputs, are marked secret
 * (`secretOutputKeys`), the program sees them as secret outputs, and `unmarkedOutputs(state)` /
 * `unmarkedInputs(state)` give what would be stored in plain text. Secretness is tracked per top-level key (a
 * nested secret marks its whole top-level key; the engine marks only the nested value).
 *
 * EngineState is plain JSON: URN -> { type, id, inputs, outputs, secretInputKeys, secretOutputKeys,
 * additionalSecretOutputs, parent?, initErrors? }, custom resources only, in registration order.
 *
 * Runs are isolated in-process with the runtime's own per-run store (`runtime/state.withLocalStorage`, what the
 * Automation API uses for inline programs: settings, config, stack resource and feature flags are fresh for each
 * run), so any number of runs work one after another in one mocha process. Cost measured on a 2-core machine: the
 * first run that serializes a provider 0.4-0.5 s (the closure serializer's TypeScript parser loads; the text is then
 * cached per provider object), later runs 15-35 ms for three resources; host start 0.45-0.7 s. A child process
 * per run would cost about 1.5 s each (Node start and loading @pulumi/pulumi ~1.1 s, then the serializer) and need
 * programs as module paths, so it was not chosen.
 *
 * When a step fails, the harness answers that registration with an error, as the engine does; the SDK then
 * rejects every output of the resource, which the Pulumi language host reports through its process-level handler.
 * While a run is in progress the harness adds an `unhandledRejection` listener that swallows exactly those (they
 * are reported in the DeploymentError) and leaves every other rejection to the other listeners (mocha), or
 * rethrows it when there are none, so Node's default still applies; outside runs it adds nothing.
 *
 * `serializeProvider(provider)` gives the exact `__provider` text a resource stores (the captured variable name is
 * part of it, so `serializeFunction(() => myProvider)` differs); `serializedProviderSize(resourceState)` the length
 * of the text a checkpoint entry holds, `serializedProviderSize(provider)` (a promise) the length it would have.
 *
 * ## Not emulated (use the real CLI, reference Part 3, for these)
 *
 * - Preview display: no diff rendering, `[diff: ~a,b]`, replace reasons or stack-level diagnostics formatting.
 * - Dependency ordering and parallelism: registrations are handled one at a time in the order they arrive, which
 *   is not always program order (a resource with a secret or Output input takes more ticks to serialize), so
 *   compare the steps of independent resources as a set; deletes run in reverse checkpoint order, not by the
 *   dependency graph.
 * - Checkpoints: no encryption, no pending operations, no pending deletes after a failure (reported in
 *   DeploymentError.undeletedReplaced), no components in the state; `refresh` is the harness's loop, not the CLI's.
 * - Resource options protect, retainOnDelete, import, deletedWith, aliases, replaceWith, replacementTrigger and
 *   nested ignoreChanges / replaceOnChanges paths are refused loudly; transforms and hooks are not run; Resource.get,
 *   invokes and explicit provider resources are not supported. customTimeouts are ignored, as by the real host.
 * - Unknown provider configuration (the engine then skips Check and Diff), `--target`, `--refresh`, continue-on-error.
 * - @pulumi/pulumi internals: `cmd/dynamic-provider`, `proto/*`, `runtime/rpc`, `runtime/state` are unversioned;
 *   internals.ts loads and checks them all, and the smoke test fails loudly if a newer release moves them.
 */

export {
  startProviderHost,
  repositoryRoot,
  parseUrn,
  ProviderHost,
  ProviderRpcError,
  PartialFailureError,
  type ProviderHostOptions,
  type OutputLine,
  type OutputStream,
  type RpcMethod,
  type RpcRecord,
  type CheckFailure,
  type CheckResult,
  type DiffChanges,
  type DiffResult,
  type CreateResult,
  type UpdateResult,
  type ReadResult,
} from "./host";
export {
  runProgram,
  refresh,
  destroy,
  unmarkedOutputs,
  unmarkedInputs,
  resourceUrn,
  DeploymentError,
  type EngineState,
  type Program,
  type ResourceState,
  type Step,
  type StepOp,
  type EngineOptions,
  type RunOptions,
  type RunResult,
  type RefreshedResource,
} from "./engine";
export { serializeProvider, serializedProviderSize } from "./serializedProvider";
export { loadPulumiInternals, PROVEN_PULUMI_VERSION, type PulumiInternals } from "./internals";
export { UNKNOWN, isSecretValue, makeSecret, type PropertyMap, type PropertyValue } from "./properties";
