// A Pulumi.yaml project of this repository (the examples) run with the `pulumi` command as a user runs it: in its
// own folder, on a stack of the sandbox's file backend. `pulumi stack init` writes Pulumi.<stack>.yaml next to
// Pulumi.yaml (the passphrase's salt, then the config), so the stack gets a random name that no user's file has,
// and `dispose` removes that file; `Pulumi.*.yaml` is ignored by git in any case.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { repositoryRoot } from "../../engine/harness";
import { runPulumi, type CliResult, type PulumiSandbox } from "./pulumi";

/** A config value for `pulumi config set-all --json`: strings as given, anything else as its JSON text. */
export type ConfigValue = string | number | boolean | unknown[] | Record<string, unknown>;

export interface PulumiProject {
  readonly folder: string;
  readonly stack: string;
  /** The project's name in Pulumi.yaml (its config namespace, and the URNs' project part). */
  readonly name: string;
  /** The stack's URN prefix for a resource type and name. */
  urn(type: string, name: string): string;
  /** Runs `pulumi <args> --stack <stack>` in the project's folder; flags go before a "--" (see below). */
  run(...args: string[]): Promise<CliResult>;
  /** As `run`, and fails the test with the command's whole output when it exits non-zero. */
  ok(...args: string[]): Promise<CliResult>;
  /** Sets stack config in one `pulumi config set-all`; keys without a namespace get the project's. */
  configure(values: Record<string, ConfigValue>, secretKeys?: readonly string[]): Promise<void>;
  /** Stack outputs, secrets shown (`pulumi stack output --json --show-secrets`). */
  outputs(): Promise<Record<string, unknown>>;
  /** Everything the CLI printed (stdout and stderr) for this stack so far, to search for secrets. */
  printed(): string;
  /** Removes the stack's Pulumi.<stack>.yaml from the project folder (the backend goes with the sandbox). */
  dispose(): void;
}

const STACK_TIMEOUT_MS = 240_000;

/** The example project in `examples/<name>`, with a fresh stack created by `pulumi stack init`. */
export async function initProject(sandbox: PulumiSandbox, exampleFolder: string): Promise<PulumiProject> {
  const folder = path.join(repositoryRoot(), "examples", exampleFolder);
  const manifest = fs.readFileSync(path.join(folder, "Pulumi.yaml"), "utf8");
  const name = /^name:\s*(\S+)\s*$/m.exec(manifest)?.[1];
  assert.ok(name, `${folder}/Pulumi.yaml has no name`);
  const stack = `e2e${crypto.randomBytes(4).toString("hex")}`;
  const stackFile = path.join(folder, `Pulumi.${stack}.yaml`);

  let printed = "";
  const run = async (...args: string[]): Promise<CliResult> => {
    // Flags go before a "--" (after it everything is a value: a PEM starts with dashes).
    const end = args.indexOf("--");
    const withStack = end < 0 ? [...args, "--stack", stack] : [...args.slice(0, end), "--stack", stack, ...args.slice(end)];
    const result = await runPulumi(sandbox, withStack, { cwd: folder, timeoutMs: STACK_TIMEOUT_MS });
    printed += result.stdout + result.stderr;
    return result;
  };
  const ok = async (...args: string[]): Promise<CliResult> => {
    const result = await run(...args);
    assert.equal(result.code, 0, `pulumi ${args.join(" ")} (in examples/${exampleFolder}) failed:\n${result.stdout}\n${result.stderr}`);
    return result;
  };

  const init = await runPulumi(sandbox, ["stack", "init", stack], { cwd: folder, timeoutMs: STACK_TIMEOUT_MS });
  assert.equal(init.code, 0, `pulumi stack init in examples/${exampleFolder} failed:\n${init.stdout}\n${init.stderr}`);

  return {
    folder,
    stack,
    name,
    urn: (type, resource) => `urn:pulumi:${stack}::${name}::${type}::${resource}`,
    run,
    ok,
    async configure(values, secretKeys = []) {
      const json: Record<string, { value: string; secret: boolean }> = {};
      for (const [key, value] of Object.entries(values)) {
        const full = key.includes(":") ? key : `${name}:${key}`;
        json[full] = { value: typeof value === "string" ? value : JSON.stringify(value), secret: secretKeys.includes(key) };
      }
      await ok("config", "set-all", "--json", JSON.stringify(json));
    },
    async outputs() {
      const result = await ok("stack", "output", "--json", "--show-secrets");
      return JSON.parse(result.stdout) as Record<string, unknown>;
    },
    printed: () => printed,
    dispose() {
      fs.rmSync(stackFile, { force: true });
    },
  };
}
