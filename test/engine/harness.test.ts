import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  DeploymentError,
  destroy,
  loadPulumiInternals,
  PartialFailureError,
  ProviderRpcError,
  refresh,
  runProgram,
  serializeProvider,
  serializedProviderSize,
  startProviderHost,
  UNKNOWN,
  unmarkedInputs,
  unmarkedOutputs,
  type EngineState,
  type PropertyMap,
  type ProviderHost,
  type RunOptions,
} from "./harness";
import { ARCHIVE_SIG, ASSET_SIG, RESOURCE_SIG, SECRET_SIG, SIG_KEY } from "./harness/properties";
import { FAIL_AFTER_WRITE_BODY, Note, NOTE_TYPE, noteProvider } from "./fixtures/noteProvider";
import { Probe, PROBE_TYPE, probeProvider } from "./fixtures/probeProvider";

const PROJECT = "harness";
const STACK = "test";

function noteUrn(name: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${NOTE_TYPE}::${name}`;
}

function signatureOf(body: string, token = ""): string {
  return crypto.createHash("sha256").update(`${body}\n${token}`).digest("hex");
}

function withoutProvider(bag: PropertyMap): PropertyMap {
  const { __provider: _provider, ...rest } = bag;
  return rest;
}

function readNote(dir: string, id: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(dir, `${id}.json`), "utf8"));
}

/** Which of these note ids have a file in `dir`. */
function existingNotes(dir: string, ...ids: string[]): string[] {
  return ids.filter((id) => fs.existsSync(path.join(dir, `${id}.json`)));
}

/** Linux: whether `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

describe("engine harness", function () {
  let notesDir: string;
  let config: Record<string, string>;
  let host: ProviderHost;
  let providerText: string;

  before(async function () {
    notesDir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-notes-"));
    config = { [`${PROJECT}:noteDir`]: notesDir };
    host = await startProviderHost({ project: PROJECT, config });
    providerText = await serializeProvider(noteProvider);
  });

  after(async function () {
    await host?.stop();
    if (notesDir) {
      fs.rmSync(notesDir, { recursive: true, force: true });
    }
  });

  describe("@pulumi/pulumi internals it depends on", function () {
    it("are where the harness expects them (fails loudly when a newer @pulumi/pulumi moves them)", async function () {
      const internals = loadPulumiInternals();
      assert.ok(
        internals.dynamicProviderScript.endsWith(path.join("cmd", "dynamic-provider", "index.js")),
        internals.dynamicProviderScript,
      );
      assert.equal(internals.runtimeRpc.unknownValue, UNKNOWN);
      assert.equal(UNKNOWN, "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
      assert.equal(internals.runtimeRpc.specialSigKey, SIG_KEY);
      assert.equal(internals.runtimeRpc.specialSecretSig, SECRET_SIG);
      assert.equal(internals.runtimeRpc.specialResourceSig, RESOURCE_SIG);
      assert.equal(internals.runtimeRpc.specialAssetSig, ASSET_SIG);
      assert.equal(internals.runtimeRpc.specialArchiveSig, ARCHIVE_SIG);
      assert.equal(await host.pluginVersion(), internals.version);
      // runProgram replaces these methods on the monitor that setMocks installs.
      const methods = await internals.runtimeState.withLocalStorage(async () => {
        await pulumi.runtime.setMocks({ newResource: () => ({ id: "", state: {} }), call: () => ({}) });
        const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, unknown>;
        return ["registerResource", "registerResourceOutputs", "readResource"].map((name) => typeof monitor[name]);
      });
      assert.deepEqual(methods, ["function", "function", "function"]);
    });
  });

  describe("provider host", function () {
    it("runs on this Node binary in its own process group, and stop() leaves no process", async function () {
      const own = await startProviderHost({ project: PROJECT, resolveOwnPackage: false });
      try {
        assert.equal(isRunning(own.pid), true);
        assert.equal(fs.readlinkSync(`/proc/${own.pid}/exe`), fs.realpathSync(process.execPath));
        const processGroup = fs.readFileSync(`/proc/${own.pid}/stat`, "utf8").split(") ")[1].split(" ")[2];
        assert.equal(Number(processGroup), own.pid);
        // Without the harness's NODE_PATH link the project's own name does not resolve from the host
        // (the next test shows it does with it).
        await own.configure({});
        const probe = { __provider: await serializeProvider(probeProvider) };
        await assert.rejects(own.create(noteUrn("probe"), probe), (error: Error) => {
          assert.ok(error instanceof ProviderRpcError, String(error));
          assert.ok(
            error.message.startsWith("Cannot find module 'pulumi-redis-enterprise/package.json'"),
            error.message,
          );
          return true;
        });
      } finally {
        await own.stop();
      }
      assert.equal(isRunning(own.pid), false);
      assert.equal(own.exited, true);
      await own.stop();
      await assert.rejects(own.check(noteUrn("x"), {}, {}), {
        message: `Check: provider host ${own.pid} is stopped; start a new one with startProviderHost()`,
      });
    });

    it("reports a host that dies before printing its port, with its stderr", async function () {
      const error = await startProviderHost({
        project: PROJECT,
        env: { NODE_OPTIONS: "--require /nonexistent/harness-preload.js" },
      }).then(
        () => assert.fail("the host should not have started"),
        (failure: unknown) => failure as Error,
      );
      const repository = path.resolve(__dirname, "..", "..", "..");
      const match = new RegExp(
        "^the provider host \\(pid (\\d+), cwd (.+)\\) did not start: " +
          "provider host (\\d+) exited before printing a matching line\nits stderr:\n",
      ).exec(error.message);
      assert.ok(match, error.message);
      assert.equal(match[2], repository);
      assert.equal(match[1], match[3]);
      assert.ok(error.message.includes("Cannot find module '/nonexistent/harness-preload.js'"), error.message);
      assert.equal(isRunning(Number(match[1])), false);
    });

    it("is killed when the process that started it exits or is killed without stopping it", async function () {
      const abandon = async (mode: "exit" | "sigkill") => {
        const script = path.join(__dirname, "fixtures", "abandonHost.js");
        const child = spawn(process.execPath, [script, mode], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
          child.once("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
        );
        const pid = Number(stdout.trim());
        assert.ok(Number.isInteger(pid) && pid > 0, `abandonHost ${mode} printed "${stdout}", stderr: ${stderr}`);
        return { code, signal, pid, gone: await waitUntilGone(pid, 3000) };
      };
      // Both at once: each costs a Node start and a host start.
      const [exited, killed] = await Promise.all([abandon("exit"), abandon("sigkill")]);
      assert.deepEqual(
        { code: exited.code, signal: exited.signal, gone: exited.gone },
        { code: 0, signal: null, gone: true },
        `host ${exited.pid} outlived a process.exit()`,
      );
      assert.deepEqual(
        { code: killed.code, signal: killed.signal, gone: killed.gone },
        { code: null, signal: "SIGKILL", gone: true },
        `host ${killed.pid} outlived a SIGKILL of its starter`,
      );
    });

    it("runs the provider on this Node, in the repository, resolving the project's package", async function () {
      const repository = path.resolve(__dirname, "..", "..", "..");
      // The probe is configured on its first use in this host, with this config; the secret value reaches
      // it unwrapped, and the unqualified key resolves under the project the host was started for.
      const probeSettingKey = `${PROJECT}:probeSetting`;
      const probeConfig = { ...config, [probeSettingKey]: "s3" };
      const configured = await host.configure(probeConfig, { secretKeys: [probeSettingKey] });
      assert.deepEqual(configured, { acceptSecrets: false });
      const probeText = await serializeProvider(probeProvider);
      const created = await host.create(noteUrn("probe"), { __provider: probeText });
      assert.deepEqual(created, {
        id: "probe",
        properties: {
          __provider: probeText,
          setting: "s3",
          node: process.version,
          cwd: repository,
          ownPackageJson: path.join(repository, "package.json"),
          // package.json "exports" applies, as for an installed dependency.
          unexportedSubpath: "ERR_PACKAGE_PATH_NOT_EXPORTED",
        },
      });
    });

    it("configures, then checks, diffs, creates, updates, reads and deletes with exact values", async function () {
      const urn = noteUrn("roundtrip");
      const mark = host.rpcLog().length;
      assert.deepEqual(await host.configure(config), { acceptSecrets: false });

      const checked = await host.check(urn, {}, { __provider: providerText, title: "round", body: "first" });
      assert.deepEqual(checked, {
        inputs: { __provider: providerText, title: "round", body: "first", color: "yellow" },
        failures: [],
      });

      const file = path.join(notesDir, "note-round.json");
      const created = await host.create(urn, checked.inputs);
      const createdOutputs = {
        __provider: providerText,
        title: "round",
        body: "first",
        color: "yellow",
        length: 5,
        signature: signatureOf("first"),
        path: file,
      };
      assert.deepEqual(created, { id: "note-round", properties: createdOutputs });
      assert.deepEqual(readNote(notesDir, "note-round"), { title: "round", body: "first", color: "yellow" });

      const rechecked = await host.check(urn, checked.inputs, { ...checked.inputs, body: "second!" });
      assert.deepEqual(rechecked.failures, []);
      assert.deepEqual(await host.diff("note-round", urn, created.properties, checked.inputs, checked.inputs), {
        changes: "DIFF_NONE",
        replaces: [],
        deleteBeforeReplace: false,
      });
      assert.deepEqual(await host.diff("note-round", urn, created.properties, rechecked.inputs, checked.inputs), {
        changes: "DIFF_SOME",
        replaces: [],
        deleteBeforeReplace: false,
      });

      const updated = await host.update("note-round", urn, created.properties, rechecked.inputs, checked.inputs);
      const updatedOutputs = { ...createdOutputs, body: "second!", length: 7, signature: signatureOf("second!") };
      assert.deepEqual(updated, { properties: updatedOutputs });
      assert.deepEqual(readNote(notesDir, "note-round"), { title: "round", body: "second!", color: "yellow" });

      assert.deepEqual(await host.read("note-round", urn, updated.properties, rechecked.inputs), {
        id: "note-round",
        properties: updatedOutputs,
      });

      await host.delete("note-round", urn, updated.properties, rechecked.inputs);
      assert.equal(fs.existsSync(file), false);
      // A read that finds nothing answers without an id: the engine drops the resource.
      assert.deepEqual(await host.read("note-round", urn, updated.properties, rechecked.inputs), {
        id: "",
        properties: { __provider: providerText },
      });

      assert.deepEqual(
        host.rpcLog().slice(mark),
        [
          { method: "Configure" },
          { method: "Check", urn },
          { method: "Create", urn },
          { method: "Check", urn },
          { method: "Diff", urn, id: "note-round" },
          { method: "Diff", urn, id: "note-round" },
          { method: "Update", urn, id: "note-round" },
          { method: "Read", urn, id: "note-round" },
          { method: "Delete", urn, id: "note-round" },
          { method: "Read", urn, id: "note-round" },
        ],
      );
    });

    it("passes the unknown sentinel to check as the string the engine sends", async function () {
      await host.configure(config);
      const urn = noteUrn("unknown");
      // The fixture validates titles, except the sentinel: dropping or converting it would fail the check.
      assert.deepEqual(await host.check(urn, {}, { __provider: providerText, title: UNKNOWN, body: "b" }), {
        inputs: { __provider: providerText, title: UNKNOWN, body: "b", color: "yellow" },
        failures: [],
      });
      assert.deepEqual((await host.check(urn, {}, { __provider: providerText, body: "b" })).failures, [
        { property: "title", reason: 'title must be a non-empty name without "/", got undefined' },
      ]);
    });

    it("returns check failures as failures, one per property", async function () {
      await host.configure(config);
      const result = await host.check(noteUrn("bad"), {}, { __provider: providerText, title: "a/b", body: 42 });
      assert.deepEqual(result.failures, [
        { property: "title", reason: 'title must be a non-empty name without "/", got "a/b"' },
        { property: "body", reason: "body must be a string" },
      ]);
    });

    it("captures what diff prints to stderr, line by line", async function () {
      await host.configure(config);
      const urn = noteUrn("printing");
      const olds = { __provider: providerText, title: "old", body: "b", color: "yellow" };
      const mark = host.mark();
      const diff = await host.diff("note-old", urn, olds, { ...olds, title: "new", exclusive: true }, olds);
      assert.deepEqual(diff, { changes: "DIFF_SOME", replaces: ["title"], deleteBeforeReplace: true });
      assert.deepEqual(host.stderrSince(mark), ['note note-old: title "old" -> "new" replaces the note']);
      assert.deepEqual(host.stdoutSince(mark), []);
      assert.deepEqual(host.linesSince(mark), [
        { stream: "stderr", text: 'note note-old: title "old" -> "new" replaces the note' },
      ]);
    });

    it("decodes a partial failure from create into the id, properties and reasons", async function () {
      await host.configure(config);
      const urn = noteUrn("partial");
      const inputs = { __provider: providerText, title: "partial", body: FAIL_AFTER_WRITE_BODY, color: "yellow" };
      const error = await host.create(urn, inputs).then(
        () => assert.fail("create should have failed"),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof PartialFailureError, String(error));
      assert.equal(error.message, "note note-partial was written but could not be indexed");
      assert.equal(error.rpc, "Create");
      assert.equal(error.urn, urn);
      assert.equal(error.grpcCode, 2);
      assert.equal(error.id, "note-partial");
      assert.deepEqual(error.properties, {
        title: "partial",
        body: FAIL_AFTER_WRITE_BODY,
        color: "yellow",
        length: FAIL_AFTER_WRITE_BODY.length,
        signature: signatureOf(FAIL_AFTER_WRITE_BODY),
        path: path.join(notesDir, "note-partial.json"),
      });
      assert.deepEqual(error.reasons, ["index unavailable"]);
      assert.equal(error.inputs, undefined);
      assert.equal(fs.existsSync(path.join(notesDir, "note-partial.json")), true);
      await host.delete("note-partial", urn, { ...error.properties, __provider: providerText }, inputs);
    });

    it("turns a plain provider error into a ProviderRpcError with the host's message", async function () {
      await host.configure(config);
      const urn = noteUrn("twice");
      const inputs = { __provider: providerText, title: "twice", body: "b", color: "yellow" };
      const created = await host.create(urn, inputs);
      const file = path.join(notesDir, "note-twice.json");
      const error = await host.create(urn, inputs).then(
        () => assert.fail("the second create should have failed"),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof ProviderRpcError && !(error instanceof PartialFailureError), String(error));
      assert.equal(error.message, `note note-twice already exists at ${file}; pick another title or delete it first`);
      assert.equal(error.rpc, "Create");
      assert.equal(error.grpcCode, 2);
      await host.delete(created.id, urn, created.properties, inputs);
    });
  });

  describe("runProgram", function () {
    const options = (mode: RunOptions["mode"]): RunOptions => ({ host, project: PROJECT, stack: STACK, config, mode });
    const methodsSince = (mark: number): string[] => host.rpcLog().slice(mark).map((record) => record.method);

    it("creates, then updates in place on a changed input, then does nothing when nothing changed", async function () {
      const program = (body: string) => () => {
        const note = new Note("greeting", { title: "greeting", body });
        return { length: note.length, title: note.title };
      };
      const urn = noteUrn("greeting");
      const file = path.join(notesDir, "note-greeting.json");

      let mark = host.rpcLog().length;
      const first = await runProgram(program("hello"), {}, options("up"));
      assert.deepEqual(first.steps, [{ op: "create", urn, type: NOTE_TYPE, id: "note-greeting" }]);
      assert.deepEqual(methodsSince(mark), ["Configure", "Check", "Create"]);
      assert.deepEqual(first.outputs, { length: 5, title: "greeting" });
      assert.deepEqual(first.secretOutputNames, []);
      assert.deepEqual(Object.keys(first.state), [urn]);
      const created = first.state[urn];
      assert.equal(created.type, NOTE_TYPE);
      assert.equal(created.id, "note-greeting");
      assert.deepEqual(withoutProvider(created.inputs), { title: "greeting", body: "hello", color: "yellow" });
      assert.deepEqual(withoutProvider(created.outputs), {
        title: "greeting",
        body: "hello",
        color: "yellow",
        length: 5,
        signature: signatureOf("hello"),
        path: file,
      });
      assert.equal(created.inputs.__provider, providerText);
      assert.equal(created.outputs.__provider, providerText);
      assert.deepEqual(created.secretOutputKeys, ["signature"]);
      assert.deepEqual(readNote(notesDir, "note-greeting"), { title: "greeting", body: "hello", color: "yellow" });

      mark = host.rpcLog().length;
      const second = await runProgram(program("hello, world"), first.state, options("up"));
      assert.deepEqual(second.steps, [{ op: "update", urn, type: NOTE_TYPE, id: "note-greeting" }]);
      assert.deepEqual(methodsSince(mark), ["Configure", "Check", "Diff", "Update"]);
      assert.deepEqual(second.outputs, { length: 12, title: "greeting" });
      assert.equal(second.state[urn].outputs.body, "hello, world");
      const updatedNote = { title: "greeting", body: "hello, world", color: "yellow" };
      assert.deepEqual(readNote(notesDir, "note-greeting"), updatedNote);

      mark = host.rpcLog().length;
      const third = await runProgram(program("hello, world"), second.state, options("up"));
      assert.deepEqual(third.steps, [{ op: "same", urn, type: NOTE_TYPE, id: "note-greeting" }]);
      assert.deepEqual(methodsSince(mark), ["Configure", "Check", "Diff"]);
      assert.deepEqual(third.state, second.state);

      await destroy(third.state, options("up"));
    });

    it("replaces on a title change: creates first by default, deletes first when the provider asks", async function () {
      const program = (title: string, exclusive: boolean) => () => {
        new Note("swap", { title, body: "b", exclusive });
      };
      const urn = noteUrn("swap");

      const createFirst = await runProgram(program("one", false), {}, options("up"));
      let mark = host.rpcLog().length;
      const outputMark = host.mark();
      const replaced = await runProgram(program("two", false), createFirst.state, options("up"));
      assert.deepEqual(replaced.steps, [
        { op: "create-replacement", urn, type: NOTE_TYPE, id: "note-two" },
        { op: "replace", urn, type: NOTE_TYPE, id: "note-one", replaceKeys: ["title"], deleteBeforeReplace: false },
        { op: "delete-replaced", urn, type: NOTE_TYPE, id: "note-one" },
      ]);
      // The replacement is checked again without olds before it is created.
      assert.deepEqual(methodsSince(mark), ["Configure", "Check", "Diff", "Check", "Create", "Delete"]);
      assert.deepEqual(host.stderrSince(outputMark), ['note note-one: title "one" -> "two" replaces the note']);
      assert.equal(replaced.state[urn].id, "note-two");
      assert.deepEqual(existingNotes(notesDir, "note-one", "note-two"), ["note-two"]);

      mark = host.rpcLog().length;
      const deletedFirst = await runProgram(program("three", true), replaced.state, options("up"));
      assert.deepEqual(deletedFirst.steps, [
        { op: "delete-replaced", urn, type: NOTE_TYPE, id: "note-two" },
        { op: "replace", urn, type: NOTE_TYPE, id: "note-two", replaceKeys: ["title"], deleteBeforeReplace: true },
        { op: "create-replacement", urn, type: NOTE_TYPE, id: "note-three" },
      ]);
      assert.deepEqual(host.rpcLog().slice(mark), [
        { method: "Configure" },
        { method: "Check", urn },
        { method: "Diff", urn, id: "note-two" },
        { method: "Check", urn },
        { method: "Delete", urn, id: "note-two" },
        { method: "Create", urn },
      ]);
      assert.deepEqual(existingNotes(notesDir, "note-two", "note-three"), ["note-three"]);

      await destroy(deletedFirst.state, options("up"));
    });

    it("deletes resources the program no longer declares, in reverse order", async function () {
      const declared = (names: string[]) => () => {
        for (const name of names) {
          new Note(name, { title: name, body: name });
        }
      };
      const before = await runProgram(declared(["first", "second", "third"]), {}, options("up"));
      assert.deepEqual(Object.keys(before.state), ["first", "second", "third"].map(noteUrn));

      const mark = host.rpcLog().length;
      const after = await runProgram(declared(["second"]), before.state, options("up"));
      assert.deepEqual(after.steps, [
        { op: "same", urn: noteUrn("second"), type: NOTE_TYPE, id: "note-second" },
        { op: "delete", urn: noteUrn("third"), type: NOTE_TYPE, id: "note-third" },
        { op: "delete", urn: noteUrn("first"), type: NOTE_TYPE, id: "note-first" },
      ]);
      assert.deepEqual(
        host.rpcLog().slice(mark).filter((record) => record.method === "Delete"),
        [
          { method: "Delete", urn: noteUrn("third"), id: "note-third" },
          { method: "Delete", urn: noteUrn("first"), id: "note-first" },
        ],
      );
      assert.deepEqual(Object.keys(after.state), [noteUrn("second")]);
      assert.deepEqual(existingNotes(notesDir, "note-first", "note-second", "note-third"), ["note-second"]);

      await destroy(after.state, options("up"));
    });

    it("previews without creating, updating or deleting anything; computed outputs are unknown", async function () {
      const base = await runProgram(
        () => {
          new Note("kept", { title: "kept", body: "v1" });
          new Note("dropped", { title: "dropped", body: "d" });
        },
        {},
        options("up"),
      );
      const saved = JSON.parse(JSON.stringify(base.state)) as EngineState;

      const mark = host.rpcLog().length;
      const preview = await runProgram(
        () => {
          const kept = new Note("kept", { title: "kept", body: "v2" });
          const added = new Note("added", { title: "added", body: "new" });
          const dryRun = pulumi.runtime.isDryRun();
          return { keptTitle: kept.title, keptLength: kept.length, addedPath: added.path, dryRun };
        },
        base.state,
        options("preview"),
      );
      assert.deepEqual(preview.steps, [
        { op: "update", urn: noteUrn("kept"), type: NOTE_TYPE, id: "note-kept" },
        { op: "create", urn: noteUrn("added"), type: NOTE_TYPE, id: "" },
        { op: "delete", urn: noteUrn("dropped"), type: NOTE_TYPE, id: "note-dropped" },
      ]);
      assert.deepEqual(methodsSince(mark), ["Configure", "Check", "Diff", "Check"]);
      assert.deepEqual(preview.outputs, { keptTitle: "kept", keptLength: UNKNOWN, addedPath: UNKNOWN, dryRun: true });
      assert.deepEqual(preview.state, saved);
      assert.deepEqual(base.state, saved);
      assert.deepEqual(readNote(notesDir, "note-kept"), { title: "kept", body: "v1", color: "yellow" });
      assert.equal(fs.existsSync(path.join(notesDir, "note-added.json")), false);
      assert.equal(fs.existsSync(path.join(notesDir, "note-dropped.json")), true);

      await destroy(base.state, options("up"));
    });

    it("gives check the unknown sentinel in preview, and the real value in up", async function () {
      const program = () => {
        const source = new Note("source", { title: "source", body: "s" });
        // In preview the source's path is unknown; in up it contains "/", which the check rejects.
        new Note("derived", { title: source.path, body: "d" });
      };
      const preview = await runProgram(program, {}, options("preview"));
      assert.deepEqual(preview.steps, [
        { op: "create", urn: noteUrn("source"), type: NOTE_TYPE, id: "" },
        { op: "create", urn: noteUrn("derived"), type: NOTE_TYPE, id: "" },
      ]);

      const failed = await runProgram(program, {}, options("up")).then(
        () => assert.fail("up should have failed the derived note's check"),
        (failure: unknown) => failure,
      );
      assert.ok(failed instanceof DeploymentError, String(failed));
      const sourcePath = path.join(notesDir, "note-source.json");
      assert.equal(
        failed.message,
        `up failed:\n  ${noteUrn("derived")}: Check failed: title: title must be a non-empty name without "/", ` +
          `got ${JSON.stringify(sourcePath)}`,
      );
      assert.deepEqual(failed.steps, [{ op: "create", urn: noteUrn("source"), type: NOTE_TYPE, id: "note-source" }]);
      assert.deepEqual(Object.keys(failed.state), [noteUrn("source")]);

      await destroy(failed.state, options("up"));
    });

    it("stops at a failed check and keeps the previous checkpoint, running nothing after it", async function () {
      const base = await runProgram(() => void new Note("steady", { title: "steady", body: "s" }), {}, options("up"));
      const mark = host.rpcLog().length;
      const failed = await runProgram(
        () => {
          new Note("broken", { title: "a/b", body: "x" });
          new Note("later", { title: "later", body: "y" });
        },
        base.state,
        options("up"),
      ).then(
        () => assert.fail("the run should have failed"),
        (failure: unknown) => failure,
      );
      assert.ok(failed instanceof DeploymentError, String(failed));
      assert.equal(
        failed.message,
        `up failed:\n  ${noteUrn("broken")}: Check failed: ` +
          `title: title must be a non-empty name without "/", got "a/b"` +
          `\n  ${noteUrn("later")}: not attempted, because an earlier step failed`,
      );
      assert.deepEqual(failed.steps, []);
      assert.deepEqual(failed.state, base.state);
      assert.deepEqual(methodsSince(mark), ["Configure", "Check"]);
      assert.equal(fs.existsSync(path.join(notesDir, "note-steady.json")), true);

      await destroy(base.state, options("up"));
    });

    it("records a partial failure with its id and init errors, and updates it on the next up", async function () {
      const urn = noteUrn("half");
      const program = () => void new Note("half", { title: "half", body: FAIL_AFTER_WRITE_BODY });
      const failed = await runProgram(program, {}, options("up")).then(
        () => assert.fail("the create should have failed"),
        (failure: unknown) => failure,
      );
      assert.ok(failed instanceof DeploymentError, String(failed));
      assert.equal(failed.message, "up failed:\n  note note-half was written but could not be indexed");
      assert.ok(failed.causes[0] instanceof PartialFailureError);
      assert.deepEqual(failed.steps, [{ op: "create", urn, type: NOTE_TYPE, id: "note-half" }]);
      const recorded = failed.state[urn];
      assert.equal(recorded.id, "note-half");
      assert.deepEqual(recorded.initErrors, ["index unavailable"]);
      // The host packs only what the provider put on the error: no __provider in these outputs.
      assert.deepEqual(recorded.outputs, {
        title: "half",
        body: FAIL_AFTER_WRITE_BODY,
        color: "yellow",
        length: FAIL_AFTER_WRITE_BODY.length,
        signature: signatureOf(FAIL_AFTER_WRITE_BODY),
        path: path.join(notesDir, "note-half.json"),
      });

      // The host does not add __provider to a partial failure's properties, so until the next up the
      // engine cannot run this resource's provider from state: refresh (and destroy) fail.
      await assert.rejects(refresh(failed.state, options("up")), {
        name: "DeploymentError",
        message: `refresh failed:\n  ${urn}: Read of note-half failed: code must be a string, not undefined`,
      });

      // Same inputs, so Diff says no change; the init errors still force an update, as in the engine.
      const mark = host.rpcLog().length;
      const retried = await runProgram(program, failed.state, options("up"));
      assert.deepEqual(retried.steps, [{ op: "update", urn, type: NOTE_TYPE, id: "note-half" }]);
      assert.deepEqual(methodsSince(mark), ["Configure", "Check", "Diff", "Update"]);
      assert.equal(retried.state[urn].initErrors, undefined);
      assert.equal(retried.state[urn].outputs.__provider, providerText);

      await destroy(retried.state, options("up"));
    });

    it("refresh reports changes made behind the provider's back, and a vanished resource", async function () {
      const program = () => {
        new Note("drifting", { title: "drifting", body: "original" });
        new Note("vanishing", { title: "vanishing", body: "v" });
      };
      const base = await runProgram(program, {}, options("up"));
      fs.writeFileSync(
        path.join(notesDir, "note-drifting.json"),
        JSON.stringify({ title: "drifting", body: "edited", color: "yellow" }),
      );
      fs.rmSync(path.join(notesDir, "note-vanishing.json"));

      const refreshed = await refresh(base.state, options("up"));
      assert.deepEqual(refreshed.resources, [
        { urn: noteUrn("drifting"), deleted: false, outputsChanged: true, inputsChanged: false },
        { urn: noteUrn("vanishing"), deleted: true, outputsChanged: true, inputsChanged: false },
      ]);
      assert.deepEqual(Object.keys(refreshed.state), [noteUrn("drifting")]);
      assert.deepEqual(withoutProvider(refreshed.state[noteUrn("drifting")].outputs), {
        title: "drifting",
        body: "edited",
        color: "yellow",
        length: 6,
        signature: signatureOf("edited"),
        path: path.join(notesDir, "note-drifting.json"),
      });
      const unchanged = await refresh(refreshed.state, options("up"));
      assert.deepEqual(unchanged.resources, [
        { urn: noteUrn("drifting"), deleted: false, outputsChanged: false, inputsChanged: false },
      ]);

      // The next up sees the drift through Diff (olds are the refreshed outputs) and repairs it.
      const repaired = await runProgram(program, refreshed.state, options("up"));
      assert.deepEqual(
        repaired.steps.map((step) => [step.op, step.urn]),
        [
          ["update", noteUrn("drifting")],
          ["create", noteUrn("vanishing")],
        ],
      );
      assert.deepEqual(readNote(notesDir, "note-drifting"), { title: "drifting", body: "original", color: "yellow" });

      await destroy(repaired.state, options("up"));
    });

    it("destroys everything in reverse order", async function () {
      const base = await runProgram(
        () => {
          new Note("alpha", { title: "alpha", body: "a" });
          new Note("beta", { title: "beta", body: "b" });
        },
        {},
        options("up"),
      );
      const mark = host.rpcLog().length;
      const destroyed = await destroy(base.state, options("up"));
      assert.deepEqual(destroyed.steps, [
        { op: "delete", urn: noteUrn("beta"), type: NOTE_TYPE, id: "note-beta" },
        { op: "delete", urn: noteUrn("alpha"), type: NOTE_TYPE, id: "note-alpha" },
      ]);
      assert.deepEqual(host.rpcLog().slice(mark), [
        { method: "Configure" },
        { method: "Delete", urn: noteUrn("beta"), id: "note-beta" },
        { method: "Delete", urn: noteUrn("alpha"), id: "note-alpha" },
      ]);
      assert.deepEqual(destroyed.state, {});
      assert.deepEqual(existingNotes(notesDir, "note-alpha", "note-beta"), []);
    });

    it("keeps a secret input secret in outputs and state, as the engine re-marks it", async function () {
      const token = "s3cret-token-value";
      const program = (body: string) => () => {
        const note = new Note("vault", { title: "vault", body, token: pulumi.secret(token) });
        return { token: note.token, signature: note.signature, title: note.title };
      };
      const urn = noteUrn("vault");
      const first = await runProgram(program("b"), {}, options("up"));
      const stored = first.state[urn];
      // The host got the plain value (the provider echoed it) ...
      assert.equal(stored.outputs.token, token);
      // ... and the engine marks it again, with the additionalSecretOutputs key.
      assert.deepEqual(stored.secretInputKeys, ["token"]);
      assert.deepEqual([...stored.secretOutputKeys].sort(), ["signature", "token"]);
      assert.deepEqual(first.outputs, { token, signature: signatureOf("b", token), title: "vault" });
      assert.deepEqual([...first.secretOutputNames].sort(), ["signature", "token"]);
      assert.deepEqual(Object.keys(unmarkedOutputs(first.state)[urn]).sort(), [
        "__provider",
        "body",
        "color",
        "length",
        "path",
        "title",
      ]);
      assert.equal(JSON.stringify(unmarkedOutputs(first.state)).includes(token), false);
      assert.equal(JSON.stringify(unmarkedInputs(first.state)).includes(token), false);

      const second = await runProgram(program("b2"), first.state, options("up"));
      assert.deepEqual(second.steps.map((step) => step.op), ["update"]);
      assert.deepEqual([...second.state[urn].secretOutputKeys].sort(), ["signature", "token"]);
      const refreshed = await refresh(second.state, options("up"));
      assert.deepEqual([...refreshed.state[urn].secretOutputKeys].sort(), ["signature", "token"]);
      assert.equal(JSON.stringify(unmarkedOutputs(refreshed.state)).includes(token), false);

      await destroy(refreshed.state, options("up"));
    });

    it("honours ignoreChanges, replaceOnChanges, deleteBeforeReplace, and names component children", async function () {
      class Shelf extends pulumi.ComponentResource {
        constructor(name: string, note: { body: string; color: string }, noteOptions: pulumi.CustomResourceOptions) {
          super("harness:index:Shelf", name);
          new Note(`${name}-note`, { title: `${name}-note`, ...note }, { ...noteOptions, parent: this });
        }
      }
      const childUrn = `urn:pulumi:${STACK}::${PROJECT}::harness:index:Shelf$${NOTE_TYPE}::shelf-note`;
      const shelfUrn = `urn:pulumi:${STACK}::${PROJECT}::harness:index:Shelf::shelf`;

      const declareShelf = (body: string, color: string, noteOptions: pulumi.CustomResourceOptions) => () =>
        void new Shelf("shelf", { body, color }, noteOptions);
      const first = await runProgram(declareShelf("one", "blue", {}), {}, options("up"));
      assert.deepEqual(Object.keys(first.state), [childUrn]);
      assert.equal(first.state[childUrn].parent, shelfUrn);

      // ignoreChanges: the old body is kept before Check, so nothing changes.
      const ignored = await runProgram(
        declareShelf("two", "blue", { ignoreChanges: ["body"] }),
        first.state,
        options("up"),
      );
      assert.deepEqual(ignored.steps, [{ op: "same", urn: childUrn, type: NOTE_TYPE, id: "note-shelf-note" }]);
      assert.equal(ignored.state[childUrn].inputs.body, "one");

      // replaceOnChanges: a color change, an in-place update for the provider, becomes a replacement; with
      // the deleteBeforeReplace option it deletes first although the provider did not ask to.
      const replaced = await runProgram(
        declareShelf("one", "red", { replaceOnChanges: ["color"], deleteBeforeReplace: true }),
        ignored.state,
        options("up"),
      );
      assert.deepEqual(replaced.steps, [
        { op: "delete-replaced", urn: childUrn, type: NOTE_TYPE, id: "note-shelf-note" },
        {
          op: "replace",
          urn: childUrn,
          type: NOTE_TYPE,
          id: "note-shelf-note",
          replaceKeys: ["color"],
          deleteBeforeReplace: true,
        },
        { op: "create-replacement", urn: childUrn, type: NOTE_TYPE, id: "note-shelf-note" },
      ]);
      assert.deepEqual(readNote(notesDir, "note-shelf-note"), { title: "shelf-note", body: "one", color: "red" });

      await assert.rejects(
        runProgram(() => void new Note("guarded", { title: "g", body: "g" }, { protect: true }), {}, options("up")),
        {
          name: "DeploymentError",
          message:
            `up failed:\n  ${noteUrn("guarded")}: the engine harness does not emulate the resource option(s) ` +
            `protect; test this with the real CLI (reference Part 3) or drop the option`,
        },
      );
      await destroy(replaced.state, options("up"));
    });

    it("compares inputs itself when the provider has no diff (DIFF_UNKNOWN)", async function () {
      const urn = `urn:pulumi:${STACK}::${PROJECT}::${PROBE_TYPE}::probe`;
      const first = await runProgram(() => void new Probe("probe", { label: "a" }), {}, options("up"));
      const mark = host.rpcLog().length;
      const same = await runProgram(() => void new Probe("probe", { label: "a" }), first.state, options("up"));
      assert.deepEqual(same.steps, [{ op: "same", urn, type: PROBE_TYPE, id: "probe" }]);
      const changed = await runProgram(() => void new Probe("probe", { label: "b" }), same.state, options("up"));
      assert.deepEqual(changed.steps, [{ op: "update", urn, type: PROBE_TYPE, id: "probe" }]);
      assert.deepEqual(methodsSince(mark), ["Configure", "Check", "Diff", "Configure", "Check", "Diff", "Update"]);
      // The probe has no update method: the host answers the new inputs' __provider alone.
      assert.deepEqual(Object.keys(changed.state[urn].outputs), ["__provider"]);
    });

    it("isolates runs: each sees its own stack, config and preview flag", async function () {
      const program = () => ({
        stack: pulumi.getStack(),
        project: pulumi.getProject(),
        greeting: new pulumi.Config().get("greeting") ?? "none",
        dryRun: pulumi.runtime.isDryRun(),
      });
      const withGreeting = await runProgram(program, {}, {
        ...options("preview"),
        config: { ...config, [`${PROJECT}:greeting`]: "hi" },
      });
      assert.deepEqual(withGreeting.outputs, { stack: STACK, project: PROJECT, greeting: "hi", dryRun: true });
      const plain = await runProgram(program, {}, { ...options("up"), stack: "other" });
      assert.deepEqual(plain.outputs, { stack: "other", project: PROJECT, greeting: "none", dryRun: false });
    });

    it("lets no rejected output of a failed resource escape, in a process without mocha", async function () {
      const script = path.join(__dirname, "fixtures", "failingRun.js");
      const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
      assert.equal(stderr, "");
      assert.equal(code, 0);
      const brokenUrn = `urn:pulumi:child::failing::${NOTE_TYPE}::broken`;
      assert.equal(
        stdout,
        `up failed:\n  ${brokenUrn}: Check failed: title: title must be a non-empty name without "/", got "a/b"\n` +
          "unhandledRejection listeners after the run: 0\n",
      );
    });

    it("refuses a host started for another project, since config keys would not resolve", async function () {
      await assert.rejects(runProgram(() => undefined, {}, { ...options("up"), project: "elsewhere" }), {
        message:
          `the provider host was started for project "${PROJECT}" but the deployment is for "elsewhere"; ` +
          `start it with startProviderHost({ project: "elsewhere" }) so config keys resolve as under the engine`,
      });
    });

    it("measures the __provider text each resource stores", async function () {
      const run = await runProgram(() => void new Note("sized", { title: "sized", body: "s" }), {}, options("up"));
      const stored = run.state[noteUrn("sized")];
      const fromProvider = await serializedProviderSize(noteProvider);
      assert.equal(fromProvider, providerText.length);
      assert.equal(serializedProviderSize(stored), fromProvider);
      assert.equal((stored.outputs.__provider as string).length, fromProvider);
      await destroy(run.state, options("up"));
    });
  });
});
