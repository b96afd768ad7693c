// `npm run demo` with the real Pulumi engine: every step is the `pulumi` CLI's own, through the Automation API
// with an inline program (the same program as Pulumi.yaml's index.ts: demoStack from stack config), so no language
// host is needed, and what it prints is the CLI's own output. State lives in a temporary file backend, removed at
// the end.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { inlineStack, makeSandbox, type PulumiSandbox } from "../../test/e2e/support/pulumi";
import type { DemoEngine } from "./engine";
import { demoStack, demoStackSettingsFromConfig } from "./program";
import type { ConfigValue, ResourceSnapshot } from "./story";

// How the engine marks a secret value in an exported checkpoint (the value itself is ciphertext).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Prints the CLI's output lines, indented. */
function relay(out: string): void {
  process.stdout.write(out.replace(/^(?=.)/gm, "   "));
}

/** The version the CLI reports, or a note that it did not answer. */
export function cliVersion(cliPath: string): string {
  try {
    return execFileSync(cliPath, ["version"], { encoding: "utf8", timeout: 30_000 }).trim();
  } catch {
    return "version unknown";
  }
}

export class CliEngine implements DemoEngine {
  readonly kind = "cli" as const;
  private readonly sandbox: PulumiSandbox;
  private stack: Stack | undefined;

  /** Makes the temporary Pulumi home and backend at once, so a caller can register dispose() before init(). */
  constructor(cliPath: string) {
    this.sandbox = makeSandbox(path.dirname(cliPath));
  }

  /** The temporary folders (Pulumi home, file backend, work folder), removed by dispose(). */
  get folders(): string[] {
    return [this.sandbox.root, this.sandbox.workDir];
  }

  async init(project: string, stackName: string, config: Record<string, ConfigValue>): Promise<void> {
    this.stack = await inlineStack(this.sandbox, project, stackName, async () => demoStack(demoStackSettingsFromConfig()));
    await this.stack.setAllConfig(config);
  }

  private get ready(): Stack {
    if (!this.stack) throw new Error("CliEngine: init() first");
    return this.stack;
  }

  async setConfig(key: string, value: ConfigValue): Promise<void> {
    await this.ready.setConfig(key, value);
  }

  async up(): Promise<void> {
    await this.ready.up({ onOutput: relay });
  }

  async preview(): Promise<void> {
    // With --diff the CLI prints no "Diagnostics" section, so the provider's notes (the disconnect warning) come
    // from the engine's events and are shown after its output, as the plain preview would list them.
    const notes: string[] = [];
    await this.ready.preview({
      diff: true,
      onOutput: relay,
      onEvent: (event) => {
        const diagnostic = event.diagnosticEvent;
        if (diagnostic && !diagnostic.ephemeral && diagnostic.message.trim() !== "") notes.push(diagnostic.message.trim());
      },
    });
    if (notes.length > 0) console.log("   Diagnostics (the provider's notes):");
    for (const note of notes) console.log(`     ${note}`);
  }

  async refresh(): Promise<void> {
    await this.ready.refresh({ onOutput: relay });
  }

  async destroy(): Promise<void> {
    await this.ready.destroy({ onOutput: relay });
  }

  async resources(): Promise<ResourceSnapshot[]> {
    const exported = (await this.ready.exportStack()) as { deployment?: { resources?: Array<{ urn: string; type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }> } };
    return (exported.deployment?.resources ?? [])
      .filter((resource) => resource.type.startsWith("pulumi-nodejs:dynamic"))
      .map((resource) => {
        const outputs = resource.outputs ?? {};
        const secretKeys = Object.keys(outputs).filter((key) => {
          const value = outputs[key];
          return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
        });
        return { name: resource.urn.split("::").at(-1)!, type: resource.type.split(":").at(-1)!, outputs, inputs: resource.inputs ?? {}, secretKeys };
      });
  }

  async dispose(): Promise<void> {
    this.sandbox.dispose();
  }
}
