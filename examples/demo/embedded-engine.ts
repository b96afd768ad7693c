// `npm run demo` without a Pulumi CLI: the engine's part played by test/engine/harness, which runs the program
// with its real resource classes and drives the real @pulumi/pulumi provider host over gRPC with the calls the
// engine makes (Check, Diff, Create, Update, Read, Delete). What the provider prints to stderr is what the engine
// would show under "Diagnostics"; it is shown here as notes.
import {
  destroy,
  refresh,
  runProgram,
  startProviderHost,
  type EngineState,
  type ProviderHost,
  type RunOptions,
  type Step,
} from "../../test/engine/harness";
import type { DemoEngine } from "./engine";
import { demoStack, demoStackSettingsFromConfig } from "./program";
import type { ConfigValue, ResourceSnapshot } from "./story";

const typeName = (type: string) => type.split(":").at(-1) ?? type;
const nameOf = (urn: string) => urn.split("::").at(-1) ?? urn;

export class EmbeddedEngine implements DemoEngine {
  readonly kind = "embedded" as const;
  private state: EngineState = {};
  private constructor(
    private readonly host: ProviderHost,
    private readonly project: string,
    private readonly stack: string,
    private readonly config: Record<string, ConfigValue>,
  ) {}

  static async start(project: string, stack: string, config: Record<string, ConfigValue>): Promise<EmbeddedEngine> {
    const host = await startProviderHost({ project, config: plain(config) });
    return new EmbeddedEngine(host, project, stack, { ...config });
  }

  async setConfig(key: string, value: ConfigValue): Promise<void> {
    this.config[key] = value;
  }

  private options(mode: RunOptions["mode"]): RunOptions {
    return {
      host: this.host,
      project: this.project,
      stack: this.stack,
      config: plain(this.config),
      secretConfigKeys: Object.keys(this.config).filter((key) => this.config[key]!.secret),
      mode,
    };
  }

  private async run(mode: RunOptions["mode"]): Promise<void> {
    const notes = this.streamNotes();
    try {
      const result = await runProgram(() => demoStack(demoStackSettingsFromConfig()), this.state, this.options(mode));
      if (mode === "up") this.state = result.state;
      notes.stop();
      showSteps(result.steps);
    } finally {
      notes.stop();
    }
  }

  up(): Promise<void> {
    return this.run("up");
  }

  preview(): Promise<void> {
    return this.run("preview");
  }

  async refresh(): Promise<void> {
    const notes = this.streamNotes();
    try {
      const refreshed = await refresh(this.state, this.options("up"));
      this.state = refreshed.state;
      notes.stop();
      for (const resource of refreshed.resources) console.log(`   ${resource.deleted ? "gone    " : "read    "} ${nameOf(resource.urn)}`);
    } finally {
      notes.stop();
    }
  }

  async destroy(): Promise<void> {
    const notes = this.streamNotes();
    try {
      const result = await destroy(this.state, this.options("up"));
      this.state = result.state;
      notes.stop();
      showSteps(result.steps);
    } finally {
      notes.stop();
    }
  }

  async resources(): Promise<ResourceSnapshot[]> {
    return Object.entries(this.state).map(([urn, resource]) => ({
      name: nameOf(urn),
      type: typeName(resource.type),
      outputs: resource.outputs as Record<string, unknown>,
      inputs: resource.inputs as Record<string, unknown>,
      secretKeys: resource.secretOutputKeys,
    }));
  }

  async dispose(): Promise<void> {
    await this.host.stop();
  }

  /**
   * Prints what the provider prints while an operation runs (the notes the engine shows under "Diagnostics"), as
   * it comes, so a long bootstrap shows its progress; stop() prints the rest and ends it.
   */
  private streamNotes(): { stop(): void } {
    let printed = this.host.mark();
    const flush = () => {
      const lines = this.host.linesSince(printed);
      printed += lines.length;
      for (const line of lines) if (line.stream === "stderr" && line.text.trim() !== "") console.log(`   note: ${line.text}`);
    };
    const timer = setInterval(flush, 250);
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        flush();
      },
    };
  }
}

function plain(config: Record<string, ConfigValue>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, entry]) => [key, entry.value]));
}

function showSteps(steps: Step[]): void {
  const changed = steps.filter((step) => step.op !== "same");
  for (const step of changed) console.log(`   ${step.op.padEnd(8)} ${typeName(step.type)} ${nameOf(step.urn)}${step.id ? ` (id ${step.id})` : ""}`);
  const same = steps.length - changed.length;
  if (same > 0) console.log(`   ${String(same)} unchanged`);
}
