// What `npm run demo` asks of an engine: the real Pulumi CLI (real-engine.ts) or the embedded provider host
// (embedded-engine.ts). Each operation prints its own progress (the CLI's output, or the steps and notes the
// harness saw); the story (run.ts) is the same for both.
import type { ConfigValue, ResourceSnapshot } from "./story";

export interface DemoEngine {
  readonly kind: "cli" | "embedded";
  setConfig(key: string, value: ConfigValue): Promise<void>;
  up(): Promise<void>;
  /** `pulumi preview --diff`: changes nothing. */
  preview(): Promise<void>;
  refresh(): Promise<void>;
  destroy(): Promise<void>;
  /** The stack's resources as the checkpoint holds them now. */
  resources(): Promise<ResourceSnapshot[]>;
  /** Stops what the engine started and removes its files; safe to call twice. */
  dispose(): Promise<void>;
}
