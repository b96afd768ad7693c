// The real Pulumi engine for the e2e suite: the CLI that scripts/pulumi-cli.sh builds and caches per machine,
// driven by the Automation API with inline programs (no language host: the CLI connects back to the Automation
// API's own language server), a file backend and a local passphrase, all in a temporary folder.
//
// When the CLI is not built, the suite skips with the reason outside CI; in CI (CI=true) it fails, since CI
// builds it first (.ci/run) and a silent skip there would hide the only layer that runs the real engine.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { repositoryRoot } from "../../engine/harness";

/** The folder holding `pulumi` and `pulumi-language-nodejs`, when scripts/pulumi-cli.sh has built them. */
export function cachedCliFolder(): string | undefined {
  try {
    const out = execFileSync("bash", [path.join(repositoryRoot(), "scripts", "pulumi-cli.sh"), "--cached"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return out !== "" && fs.existsSync(path.join(out, "pulumi")) ? out : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The CLI folder, or the end of the suite: in a mocha `before`, skips (printing why) outside CI and throws in CI.
 */
export function requireCli(context: Mocha.Context): string {
  const folder = cachedCliFolder();
  if (folder) return folder;
  const reason = "the Pulumi CLI is not built on this machine: run scripts/pulumi-cli.sh (once, about 15 minutes)";
  if (process.env.CI === "true") throw new Error(`e2e: ${reason}; CI must build it before npm test (.ci/run does)`);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

/** A temporary Pulumi home, file backend and work folder, removed by `dispose`. */
export interface PulumiSandbox {
  cliFolder: string;
  /** Environment for the CLI: PATH with the CLI and the dynamic-provider launcher, backend, passphrase, home. */
  env: Record<string, string>;
  /** A folder inside this repository (so the provider host resolves @pulumi/pulumi and this package from it). */
  workDir: string;
  root: string;
  dispose(): void;
}

export const PASSPHRASE = "e2e-passphrase-not-secret";

export function makeSandbox(cliFolder: string): PulumiSandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "rs-e2e-"));
  const state = path.join(root, "state");
  const home = path.join(root, "home");
  fs.mkdirSync(state);
  fs.mkdirSync(home);
  // The engine starts the provider in the project's folder, and the launcher (pulumi-resource-pulumi-nodejs)
  // resolves @pulumi/pulumi from there; the shim then finds this package by walking up. So the work folder is
  // inside the checkout (.cache/ is ignored by git).
  const cacheFolder = path.join(repositoryRoot(), ".cache");
  fs.mkdirSync(cacheFolder, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(cacheFolder, "e2e-"));
  // The dynamic-provider launcher (pulumi-resource-pulumi-nodejs) ships in @pulumi/pulumi; the CLI finds it next
  // to itself (scripts/pulumi-cli.sh puts it there, as Pulumi's own distribution does) or else on the PATH.
  const launcherFolder = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [repositoryRoot()] }));
  const env: Record<string, string> = {
    PATH: [cliFolder, launcherFolder, process.env.PATH ?? ""].join(path.delimiter),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
  return {
    cliFolder,
    env,
    workDir,
    root,
    dispose() {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** The gRPC clients a program's run opens (the SDK's own objects; only what is closed here is typed). */
export interface RunClients {
  settings: { monitor?: { close(): void }; engine?: { close(): void } };
}

/** The SDK's store of the inline run calling this, or undefined outside a run (an internal of @pulumi/pulumi 3.x). */
export function currentRunClients(): RunClients | undefined {
  const state = require("@pulumi/pulumi/runtime/state") as { getLocalStore?: () => RunClients | undefined };
  return state.getLocalStore?.();
}

/**
 * Closes the clients of the runs recorded in `runs`, and forgets them.
 *
 * Why: under the Automation API each inline run keeps its monitor and engine clients in a store of its own, and the
 * SDK (3.248) closes only the process-wide ones when a run ends. A client whose CLI exited while it was calling (a
 * failed up) keeps reconnecting to that dead port. grpc-js shares connections by address, so when a later CLI of this
 * process listens on the same port, the later run's fresh client takes over the failing connection and its first call
 * fails: "14 UNAVAILABLE: No connection established. Last error: null" (seen once in CI, in an up right after a
 * refresh). Closing every run's clients when its operation ends leaves nothing to share.
 */
function closeRunClients(runs: Set<RunClients>): void {
  for (const run of runs) {
    for (const client of [run.settings.monitor, run.settings.engine]) {
      try {
        client?.close();
      } catch {
        // already closed
      }
    }
    run.settings.monitor = undefined;
    run.settings.engine = undefined;
  }
  runs.clear();
}

/** The Automation API's operations that run the CLI (and, for up and preview, the program). */
const OPERATIONS = ["up", "preview", "refresh", "destroy"] as const;

/**
 * An inline-program stack in the sandbox. Each operation closes the gRPC clients its program's run opened when it
 * ends, as the SDK does not (see closeRunClients).
 */
export async function inlineStack(sandbox: PulumiSandbox, projectName: string, stackName: string, program: PulumiFn): Promise<Stack> {
  const runs = new Set<RunClients>();
  const recordingProgram: PulumiFn = () => {
    const run = currentRunClients();
    if (run) runs.add(run);
    return program();
  };
  const stack = await selectInlineStack(sandbox, projectName, stackName, recordingProgram);
  for (const operation of OPERATIONS) {
    const run = stack[operation].bind(stack) as (...args: unknown[]) => Promise<unknown>;
    (stack as unknown as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
      try {
        return await run(...args);
      } finally {
        closeRunClients(runs);
      }
    };
  }
  return stack;
}

async function selectInlineStack(sandbox: PulumiSandbox, projectName: string, stackName: string, program: PulumiFn): Promise<Stack> {
  // PulumiCommand.get wants `<root>/bin/pulumi`, wherever the CLI really is.
  const root = path.join(sandbox.root, "cli");
  if (!fs.existsSync(root)) {
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    fs.symlinkSync(path.join(sandbox.cliFolder, "pulumi"), path.join(root, "bin", "pulumi"));
  }
  const pulumiCommand = await PulumiCommand.get({ root, skipVersionCheck: true });
  return LocalWorkspace.createOrSelectStack(
    { stackName, projectName, program },
    {
      workDir: sandbox.workDir,
      pulumiCommand,
      envVars: sandbox.env,
      projectSettings: { name: projectName, runtime: "nodejs", backend: { url: sandbox.env.PULUMI_BACKEND_URL } },
    },
  );
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `pulumi` command itself (not through the Automation API), bounded in time. */
export function runPulumi(sandbox: PulumiSandbox, args: string[], options: { cwd: string; timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(sandbox.cliFolder, "pulumi"), ["--non-interactive", ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...sandbox.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      reject(new Error(`pulumi ${args.join(" ")} did not finish in ${options.timeoutMs ?? 120_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** `pulumi stack export` as the CLI writes it to disk: secrets stay ciphertext (exportStack() decrypts them). */
export async function exportedState(sandbox: PulumiSandbox, stackName: string, cwd: string): Promise<string> {
  const result = await runPulumi(sandbox, ["stack", "export", "--stack", stackName], { cwd });
  if (result.code !== 0) throw new Error(`pulumi stack export failed: ${result.stderr}`);
  return result.stdout;
}
