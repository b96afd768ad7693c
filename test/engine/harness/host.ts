// The real dynamic provider host (@pulumi/pulumi/cmd/dynamic-provider) in a child process, driven over gRPC with
// the requests the engine sends. See index.ts for what this emulates and what it does not.

import { spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import type { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import type { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import type {
  CheckResponse,
  ConfigureResponse,
  CreateResponse,
  DiffResponse,
  ReadResponse,
  UpdateResponse,
} from "@pulumi/pulumi/proto/provider_pb";
import type { Empty } from "google-protobuf/google/protobuf/empty_pb";
import type { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { loadPulumiInternals, type PulumiInternals } from "./internals";
import { makeSecret, toPropertyMap, type PropertyMap } from "./properties";

const REPOSITORY_PACKAGE_NAME = "pulumi-redis-enterprise";

export interface ProviderHostOptions {
  /**
   * Working directory of the host. The host resolves the serialized provider's `require()` calls from here.
   * Defaults to the repository root (the folder whose package.json is named pulumi-redis-enterprise).
   */
  cwd?: string;
  /** Extra environment for the host, over this process's environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * The project name. The engine starts the plugin with PULUMI_NODEJS_PROJECT (and PULUMI_PROJECT) set to it, so
   * that `req.config.get("key")` inside `configure` means "<project>:key". Unset, the host assumes "project".
   */
  project?: string;
  /** The stack config the engine also passes to the plugin as PULUMI_CONFIG (keys "<project>:<key>"). */
  config?: Record<string, string>;
  /**
   * Make the package in `cwd` resolvable by its own name (`require("pulumi-redis-enterprise/provider")`) from
   * the serialized provider, as it is when installed in a user's node_modules. The host compiles the provider
   * from a string with no file name, so package self-reference does not apply; the harness puts a symlink to
   * `cwd` in a NODE_PATH folder of its own instead (under the temp folder, one per package). Default true.
   */
  resolveOwnPackage?: boolean;
  /** How long to wait for the host to print its port. Default 15 s. */
  startTimeoutMs?: number;
}

export type OutputStream = "stdout" | "stderr";

export interface OutputLine {
  stream: OutputStream;
  text: string;
}

export type RpcMethod = "Configure" | "Check" | "Diff" | "Create" | "Update" | "Read" | "Delete" | "GetPluginInfo";

/** One RPC as sent, in order; lets tests assert the engine's call order (e.g. delete before create). */
export interface RpcRecord {
  method: RpcMethod;
  urn?: string;
  id?: string;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CheckResult {
  inputs: PropertyMap;
  failures: CheckFailure[];
}

export type DiffChanges = "DIFF_UNKNOWN" | "DIFF_NONE" | "DIFF_SOME";

export interface DiffResult {
  changes: DiffChanges;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export interface CreateResult {
  id: string;
  properties: PropertyMap;
}

export interface UpdateResult {
  properties: PropertyMap;
}

export interface ReadResult {
  /** "" when the provider says the resource is gone. */
  id: string;
  properties: PropertyMap;
  /** Present when the provider returned `inputs` from read (used by later diffs). */
  inputs?: PropertyMap;
}

/** An RPC the host answered with an error. `message` is the host's own message, verbatim. */
export class ProviderRpcError extends Error {
  constructor(
    message: string,
    readonly rpc: RpcMethod,
    readonly urn: string | undefined,
    /** The gRPC status code (2 = UNKNOWN for errors thrown by the provider, 14 = UNAVAILABLE if it died). */
    readonly grpcCode: number,
  ) {
    super(message);
    this.name = "ProviderRpcError";
  }
}

/**
 * A Create or Update that failed after the object came to exist: the provider threw an Error carrying `id`, and the
 * host packed ErrorResourceInitFailed into the gRPC status details. The engine records the resource with this id
 * and these properties (and the reasons as init errors) instead of forgetting it.
 */
export class PartialFailureError extends ProviderRpcError {
  constructor(
    message: string,
    rpc: RpcMethod,
    urn: string | undefined,
    grpcCode: number,
    readonly id: string,
    readonly properties: PropertyMap,
    readonly reasons: string[],
    readonly inputs: PropertyMap | undefined,
  ) {
    super(message, rpc, urn, grpcCode);
    this.name = "PartialFailureError";
  }
}

const GRPC_STATUS_DETAILS_KEY = "grpc-status-details-bin";
const INIT_FAILED_TYPE_URL_SUFFIX = "/pulumirpc.ErrorResourceInitFailed";

/** Splits a URN into the name and type the engine also sends with every request. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) {
    throw new Error(`"${urn}" is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)`);
  }
  const qualifiedType = parts[2];
  return { type: qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

/** The repository root: the nearest folder above this file whose package.json is named pulumi-redis-enterprise. */
export function repositoryRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      const parsed = JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown };
      if (parsed.name === REPOSITORY_PACKAGE_NAME) {
        return dir;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`no folder above ${__dirname} has a package.json named ${REPOSITORY_PACKAGE_NAME}; pass cwd`);
    }
    dir = parent;
  }
}

// Hosts still running, killed synchronously if this process exits without stopping them (a failed test, mocha's
// --exit), so no provider host outlives the test run. A run killed by a signal is covered by hostWatchdog.ts.
const liveHosts = new Set<ProviderHost>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const host of liveHosts) {
        host.killNow();
      }
    });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") {
      throw error;
    }
  }
}

/** Lets output the host wrote before answering reach our line buffers: its pipe was readable before the reply. */
async function settleOutput(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
}

function readOwnPackageName(dir: string): string | undefined {
  const manifest = path.join(dir, "package.json");
  if (!fs.existsSync(manifest)) {
    return undefined;
  }
  const name = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown }).name;
  return typeof name === "string" && name !== "" ? name : undefined;
}

/**
 * A folder holding one symlink, `<packageName>` -> `packageDir`, to put on the host's NODE_PATH. One folder per
 * package directory, reused by every host and run (nothing to clean up, even after a SIGKILL); it must belong to
 * this user, so no one else's link can redirect the provider's requires.
 */
function ownPackageLinkFolder(packageDir: string, packageName: string): string {
  const digest = crypto.createHash("sha256").update(`${packageDir}\0${packageName}`).digest("hex").slice(0, 16);
  const folder = path.join(os.tmpdir(), `provider-host-node-path-${digest}`);
  const link = path.join(folder, packageName);
  fs.mkdirSync(path.dirname(link), { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  if (uid !== undefined && fs.statSync(folder).uid !== uid) {
    throw new Error(`${folder} belongs to another user; remove it or set TMPDIR to a private folder`);
  }
  try {
    fs.symlinkSync(packageDir, link, "dir");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw error;
    }
  }
  if (fs.realpathSync(link) !== fs.realpathSync(packageDir)) {
    throw new Error(`${link} points to ${fs.realpathSync(link)}, not ${packageDir}; remove it`);
  }
  return folder;
}

/** A running provider host. Create with `startProviderHost`; always `stop()` it (mocha `after`). */
export class ProviderHost {
  private readonly output: OutputLine[] = [];
  private readonly partial: Record<OutputStream, string> = { stdout: "", stderr: "" };
  private readonly rpcs: RpcRecord[] = [];
  private readonly lineWaiters = new Set<() => void>();
  private client: ResourceProviderClient | undefined;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;
  private stopping: Promise<void> | undefined;
  private listeningPort = 0;

  /** @internal use startProviderHost */
  constructor(
    private readonly internals: PulumiInternals,
    child: ChildProcess,
    readonly pid: number,
    readonly project: string | undefined,
  ) {
    this.exitPromise = new Promise<void>((resolve) => {
      child.once("close", (code, signal) => {
        this.exitStatus = { code, signal };
        this.flushPartial("stdout");
        this.flushPartial("stderr");
        liveHosts.delete(this);
        resolve();
        this.notifyLineWaiters();
      });
    });
    for (const stream of ["stdout", "stderr"] as const) {
      const readable = child[stream];
      if (!readable) {
        throw new Error(`provider host ${pid} has no ${stream} pipe`);
      }
      readable.setEncoding("utf8");
      readable.on("data", (chunk: string) => this.append(stream, chunk));
    }
    liveHosts.add(this);
    installExitHook();
  }

  /** The port the host listens on (127.0.0.1); 0 until it has printed it. */
  get port(): number {
    return this.listeningPort;
  }

  /** True once the host process has exited. */
  get exited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** How the host exited, once it has. */
  get exitInfo(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitStatus;
  }

  // ---- output capture ----

  private append(stream: OutputStream, chunk: string): void {
    const pieces = (this.partial[stream] + chunk).split("\n");
    this.partial[stream] = pieces.pop() ?? "";
    for (const piece of pieces) {
      this.output.push({ stream, text: piece.endsWith("\r") ? piece.slice(0, -1) : piece });
    }
    if (pieces.length > 0) {
      this.notifyLineWaiters();
    }
  }

  private flushPartial(stream: OutputStream): void {
    if (this.partial[stream] !== "") {
      this.output.push({ stream, text: this.partial[stream] });
      this.partial[stream] = "";
    }
  }

  private notifyLineWaiters(): void {
    for (const waiter of [...this.lineWaiters]) {
      waiter();
    }
  }

  /** Every complete line the host printed after its port line, both streams, in arrival order. */
  lines(): readonly OutputLine[] {
    return this.output;
  }

  /** A position in the output; pass it to `linesSince` / `stderrSince` to see what came after. */
  mark(): number {
    return this.output.length;
  }

  /** Lines printed since `mark`, both streams, in arrival order. */
  linesSince(mark: number): OutputLine[] {
    return this.output.slice(mark);
  }

  /** The text of the stderr lines printed since `mark`. */
  stderrSince(mark: number): string[] {
    return this.textSince(mark, "stderr");
  }

  /** The text of the stdout lines printed since `mark`. */
  stdoutSince(mark: number): string[] {
    return this.textSince(mark, "stdout");
  }

  private textSince(mark: number, stream: OutputStream): string[] {
    return this.output
      .slice(mark)
      .filter((line) => line.stream === stream)
      .map((line) => line.text);
  }

  /** Waits for a line (printed at or after `fromMark`, default 0) that satisfies `predicate`. */
  async waitForLine(predicate: (line: OutputLine) => boolean, timeoutMs: number, fromMark = 0): Promise<OutputLine> {
    const find = (): OutputLine | undefined => this.output.slice(fromMark).find(predicate);
    const found = find();
    if (found) {
      return found;
    }
    return new Promise<OutputLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lineWaiters.delete(check);
        reject(new Error(`provider host ${this.pid} printed no matching line within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        const line = find();
        if (line || this.exited) {
          clearTimeout(timer);
          this.lineWaiters.delete(check);
          if (line) {
            resolve(line);
          } else {
            reject(new Error(`provider host ${this.pid} exited before printing a matching line`));
          }
        }
      };
      this.lineWaiters.add(check);
    });
  }

  /** Every RPC sent to this host so far, in order. */
  rpcLog(): readonly RpcRecord[] {
    return this.rpcs;
  }

  // ---- RPCs ----

  /** @internal The first stdout line is the port; it is protocol, so it is taken out of the captured output. */
  async readPort(timeoutMs: number): Promise<number> {
    const portLine = await this.waitForLine((line) => line.stream === "stdout", timeoutMs);
    this.output.splice(this.output.indexOf(portLine), 1);
    const port = Number(portLine.text.trim());
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new Error(`its first stdout line is "${portLine.text}", not a port`);
    }
    return port;
  }

  /** @internal */
  connect(port: number): void {
    this.listeningPort = port;
    this.client = new this.internals.providerGrpc.ResourceProviderClient(
      `127.0.0.1:${port}`,
      this.internals.grpc.credentials.createInsecure(),
    );
  }

  private requireClient(rpc: RpcMethod): ResourceProviderClient {
    if (!this.client || this.stopping) {
      throw new Error(`${rpc}: provider host ${this.pid} is stopped; start a new one with startProviderHost()`);
    }
    return this.client;
  }

  private toStruct(bag: unknown, where: string): Struct {
    return this.internals.struct.Struct.fromJavaScript(toPropertyMap(bag, where));
  }

  private fromStruct(struct: Struct | undefined): PropertyMap {
    return struct ? toPropertyMap(struct.toJavaScript(), "response") : {};
  }

  private async call<Response>(
    rpc: RpcMethod,
    record: RpcRecord,
    send: (client: ResourceProviderClient, callback: (error: ServiceError | null, response: Response) => void) => void,
  ): Promise<Response> {
    const client = this.requireClient(rpc);
    this.rpcs.push(record);
    try {
      return await new Promise<Response>((resolve, reject) => {
        send(client, (error, response) => (error ? reject(error) : resolve(response)));
      });
    } catch (error) {
      throw this.translateError(rpc, record.urn, error as ServiceError);
    } finally {
      await settleOutput();
    }
  }

  private translateError(rpc: RpcMethod, urn: string | undefined, error: ServiceError): Error {
    const { grpc, statusProto, providerProto } = this.internals;
    if (typeof error.code !== "number") {
      return error;
    }
    if (this.exited || error.code === grpc.status.UNAVAILABLE) {
      const status = this.exitStatus;
      const how = status ? `exited (code ${status.code}, signal ${status.signal})` : "is unreachable";
      const lastLines = this.output
        .filter((line) => line.stream === "stderr")
        .slice(-5)
        .map((line) => `  ${line.text}`)
        .join("\n");
      return new ProviderRpcError(
        `${rpc}${urn ? ` ${urn}` : ""}: provider host ${this.pid} ${how}: ${error.details}` +
          (lastLines ? `\nlast stderr lines:\n${lastLines}` : ""),
        rpc,
        urn,
        error.code,
      );
    }
    for (const raw of error.metadata?.get(GRPC_STATUS_DETAILS_KEY) ?? []) {
      const bytes = typeof raw === "string" ? Buffer.from(raw, "binary") : raw;
      const status = statusProto.Status.deserializeBinary(new Uint8Array(bytes));
      for (const detail of status.getDetailsList()) {
        if (detail.getTypeUrl().endsWith(INIT_FAILED_TYPE_URL_SUFFIX)) {
          const initFailed = providerProto.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
          return new PartialFailureError(
            error.details,
            rpc,
            urn,
            error.code,
            initFailed.getId(),
            this.fromStruct(initFailed.getProperties()),
            initFailed.getReasonsList(),
            initFailed.hasInputs() ? this.fromStruct(initFailed.getInputs()) : undefined,
          );
        }
      }
    }
    return new ProviderRpcError(error.details, rpc, urn, error.code);
  }

  /** GetPluginInfo: the @pulumi/pulumi version the host runs. */
  async pluginVersion(): Promise<string> {
    const response = await this.call<PluginInfo>("GetPluginInfo", { method: "GetPluginInfo" }, (client, callback) =>
      client.getPluginInfo(new this.internals.empty.Empty(), callback),
    );
    return response.getVersion();
  }

  /**
   * Configure with the whole stack config (keys "<project>:<key>"), as the engine does for dynamic providers.
   * Keys in `secretKeys` are sent as secrets, as the engine sends secret config. Returns the host's answer.
   * The host configures each distinct provider text once per process, on first use after this call.
   */
  async configure(
    config: Record<string, string>,
    options: { secretKeys?: readonly string[] } = {},
  ): Promise<{ acceptSecrets: boolean }> {
    const secretKeys = new Set(options.secretKeys ?? []);
    const args: PropertyMap = {};
    for (const [key, value] of Object.entries(config)) {
      args[key] = secretKeys.has(key) ? makeSecret(value) : value;
    }
    const request = new this.internals.providerProto.ConfigureRequest();
    request.setArgs(this.toStruct(args, "Configure config"));
    request.setAcceptsecrets(true);
    request.setAcceptresources(true);
    request.setSendsOldInputs(true);
    request.setSendsOldInputsToDelete(true);
    const response = await this.call<ConfigureResponse>("Configure", { method: "Configure" }, (client, callback) =>
      client.configure(request, callback),
    );
    return { acceptSecrets: response.getAcceptsecrets() };
  }

  /** Check(urn, olds = previous checked inputs, news = inputs from the program). */
  async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
    const { type, name } = parseUrn(urn);
    const request = new this.internals.providerProto.CheckRequest();
    request.setUrn(urn);
    request.setName(name);
    request.setType(type);
    request.setOlds(this.toStruct(olds, `Check ${urn} olds`));
    request.setNews(this.toStruct(news, `Check ${urn} news`));
    const response = await this.call<CheckResponse>("Check", { method: "Check", urn }, (client, callback) =>
      client.check(request, callback),
    );
    return {
      inputs: this.fromStruct(response.getInputs()),
      failures: response.getFailuresList().map((failure) => ({
        property: failure.getProperty(),
        reason: failure.getReason(),
      })),
    };
  }

  /** Diff(id, olds = previous OUTPUTS, news = checked inputs, oldInputs = previous checked inputs). */
  async diff(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
    oldInputs: PropertyMap,
  ): Promise<DiffResult> {
    const { providerProto } = this.internals;
    const { type, name } = parseUrn(urn);
    const request = new providerProto.DiffRequest();
    request.setId(id);
    request.setUrn(urn);
    request.setName(name);
    request.setType(type);
    request.setOlds(this.toStruct(olds, `Diff ${urn} olds`));
    request.setNews(this.toStruct(news, `Diff ${urn} news`));
    request.setOldInputs(this.toStruct(oldInputs, `Diff ${urn} oldInputs`));
    const response = await this.call<DiffResponse>("Diff", { method: "Diff", urn, id }, (client, callback) =>
      client.diff(request, callback),
    );
    const codes = providerProto.DiffResponse.DiffChanges;
    const changesByCode: Record<number, DiffChanges> = {
      [codes.DIFF_UNKNOWN]: "DIFF_UNKNOWN",
      [codes.DIFF_NONE]: "DIFF_NONE",
      [codes.DIFF_SOME]: "DIFF_SOME",
    };
    const changes = changesByCode[response.getChanges()];
    if (changes === undefined) {
      throw new Error(`Diff ${urn}: the host answered an unknown DiffChanges value ${response.getChanges()}`);
    }
    return {
      changes,
      replaces: response.getReplacesList(),
      deleteBeforeReplace: response.getDeletebeforereplace(),
    };
  }

  /** Create(properties = checked inputs). A partial failure throws PartialFailureError. */
  async create(urn: string, properties: PropertyMap): Promise<CreateResult> {
    const { type, name } = parseUrn(urn);
    const request = new this.internals.providerProto.CreateRequest();
    request.setUrn(urn);
    request.setName(name);
    request.setType(type);
    request.setProperties(this.toStruct(properties, `Create ${urn} properties`));
    const response = await this.call<CreateResponse>("Create", { method: "Create", urn }, (client, callback) =>
      client.create(request, callback),
    );
    return { id: response.getId(), properties: this.fromStruct(response.getProperties()) };
  }

  /** Update(id, olds = previous outputs, news = checked inputs, oldInputs = previous checked inputs). */
  async update(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
    oldInputs: PropertyMap,
  ): Promise<UpdateResult> {
    const { type, name } = parseUrn(urn);
    const request = new this.internals.providerProto.UpdateRequest();
    request.setId(id);
    request.setUrn(urn);
    request.setName(name);
    request.setType(type);
    request.setOlds(this.toStruct(olds, `Update ${urn} olds`));
    request.setNews(this.toStruct(news, `Update ${urn} news`));
    request.setOldInputs(this.toStruct(oldInputs, `Update ${urn} oldInputs`));
    const response = await this.call<UpdateResponse>("Update", { method: "Update", urn, id }, (client, callback) =>
      client.update(request, callback),
    );
    return { properties: this.fromStruct(response.getProperties()) };
  }

  /** Read(id, properties = previous outputs, inputs = previous checked inputs), as refresh does. */
  async read(id: string, urn: string, properties: PropertyMap, inputs?: PropertyMap): Promise<ReadResult> {
    const { type, name } = parseUrn(urn);
    const request = new this.internals.providerProto.ReadRequest();
    request.setId(id);
    request.setUrn(urn);
    request.setName(name);
    request.setType(type);
    request.setProperties(this.toStruct(properties, `Read ${urn} properties`));
    if (inputs) {
      request.setInputs(this.toStruct(inputs, `Read ${urn} inputs`));
    }
    const response = await this.call<ReadResponse>("Read", { method: "Read", urn, id }, (client, callback) =>
      client.read(request, callback),
    );
    return {
      id: response.getId(),
      properties: this.fromStruct(response.getProperties()),
      ...(response.hasInputs() ? { inputs: this.fromStruct(response.getInputs()) } : {}),
    };
  }

  /** Delete(id, properties = previous outputs, oldInputs = previous checked inputs). */
  async delete(id: string, urn: string, properties: PropertyMap, oldInputs: PropertyMap): Promise<void> {
    const { type, name } = parseUrn(urn);
    const request = new this.internals.providerProto.DeleteRequest();
    request.setId(id);
    request.setUrn(urn);
    request.setName(name);
    request.setType(type);
    request.setProperties(this.toStruct(properties, `Delete ${urn} properties`));
    request.setOldInputs(this.toStruct(oldInputs, `Delete ${urn} oldInputs`));
    await this.call<Empty>("Delete", { method: "Delete", urn, id }, (client, callback) =>
      client.delete(request, callback),
    );
  }

  // ---- shutdown ----

  /**
   * Closes the client and kills the host's whole process group (SIGTERM, then SIGKILL after 2 s), and resolves
   * once the host has exited and been reaped. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.client?.close();
      if (!this.exited) {
        killGroup(this.pid, "SIGTERM");
        const timer = setTimeout(() => killGroup(this.pid, "SIGKILL"), 2000);
        await this.exitPromise;
        clearTimeout(timer);
      }
      // The host itself spawns nothing, but a provider may have; the group must be empty either way.
      killGroup(this.pid, "SIGKILL");
    })();
    return this.stopping;
  }

  /** @internal synchronous last resort for process exit. */
  killNow(): void {
    killGroup(this.pid, "SIGKILL");
  }
}

/**
 * Starts `node <@pulumi/pulumi>/cmd/dynamic-provider/index.js <engine address>` with this process's Node binary
 * (so the Node 22 leg runs the host on Node 22), in its own process group, reads its port from the first stdout
 * line and connects a ResourceProvider client.
 */
export async function startProviderHost(options: ProviderHostOptions = {}): Promise<ProviderHost> {
  const internals = loadPulumiInternals();
  const cwd = options.cwd ?? repositoryRoot();
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.project !== undefined) {
    env.PULUMI_NODEJS_PROJECT = options.project;
    env.PULUMI_PROJECT = options.project;
  }
  if (options.config !== undefined) {
    env.PULUMI_CONFIG = JSON.stringify(options.config);
  }

  const ownPackage = options.resolveOwnPackage === false ? undefined : readOwnPackageName(cwd);
  if (ownPackage) {
    const folders = [ownPackageLinkFolder(cwd, ownPackage), env.NODE_PATH];
    env.NODE_PATH = folders.filter((folder) => folder).join(path.delimiter);
  }

  // The host never dials the engine address; any string satisfies its argument check. Its stdin stays open to
  // this process for the watchdog (hostWatchdog.ts), which ends the host if this process dies without stopping it.
  const watchdog = path.join(__dirname, "hostWatchdog.js");
  const child = spawn(process.execPath, ["--require", watchdog, internals.dynamicProviderScript, "127.0.0.1:0"], {
    cwd,
    env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (child.pid === undefined) {
    const spawnError = await new Promise<Error>((resolve) => child.once("error", resolve));
    throw new Error(`could not start the provider host (${process.execPath}): ${spawnError.message}`);
  }
  const host = new ProviderHost(internals, child, child.pid, options.project);

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  try {
    host.connect(await host.readPort(timeoutMs));
    return host;
  } catch (error) {
    const stderr = host
      .lines()
      .filter((line) => line.stream === "stderr")
      .slice(-30)
      .map((line) => `  ${line.text}`)
      .join("\n");
    await host.stop();
    throw new Error(
      `the provider host (pid ${host.pid}, cwd ${cwd}) did not start: ${(error as Error).message}` +
        (stderr ? `\nits stderr:\n${stderr}` : ""),
    );
  }
}
