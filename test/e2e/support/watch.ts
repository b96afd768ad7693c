// What a CLI operation shows its user, for the e2e suites: the text it prints and the diagnostics of its engine
// events (each with the URN the engine gave it, when it gave one), and the text of an operation that failed.
import assert from "node:assert/strict";
import type { EngineEvent } from "@pulumi/pulumi/automation";

/** Everything a CLI operation printed, and its engine events' diagnostics. */
export interface Seen {
  output: string;
  diagnostics: { urn?: string; message: string; severity: string }[];
  /**
   * The step the engine took (or would take, in a preview) for each resource, by the name in its URN. (The events'
   * `diffs` stay empty for a dynamic resource, whose provider returns no detailed diff: the CLI computes the
   * property-level diff it prints from the old and new inputs, so tests read that from the text.)
   */
  ops: Record<string, string>;
}

/** Collects what one Automation API operation shows: pass `onOutput` and `onEvent` to it. */
export function watcher(): { seen: Seen; onOutput: (out: string) => void; onEvent: (event: EngineEvent) => void } {
  const seen: Seen = { output: "", diagnostics: [], ops: {} };
  return {
    seen,
    onOutput: (out) => (seen.output += out),
    onEvent: (event) => {
      if (event.diagnosticEvent) {
        seen.diagnostics.push({ urn: event.diagnosticEvent.urn, message: event.diagnosticEvent.message, severity: event.diagnosticEvent.severity });
      }
      const step = event.resourcePreEvent?.metadata;
      if (step && step.type !== "pulumi:pulumi:Stack") {
        const name = step.urn.split("::").at(-1)!;
        seen.ops[name] = step.op;
      }
    },
  };
}

/** The whole text of a failed operation (the Automation API puts stdout and stderr in the error's message). */
export async function failure(operation: Promise<unknown>): Promise<string> {
  try {
    await operation;
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail("the operation succeeded; it should have been refused");
}

/** A line of a JavaScript stack trace ("    at fn (file.js:1:2)"): a user error must be printed without one. */
export const STACK_TRACE_LINE = /\n\s+at .+:\d+:\d+\)?\n/;

/** Watchers that also keep everything every watched operation printed, for a search of the whole run at the end. */
export function transcript(): { watch: () => ReturnType<typeof watcher>; readonly text: string } {
  let text = "";
  return {
    watch() {
      const w = watcher();
      return {
        seen: w.seen,
        onEvent: w.onEvent,
        onOutput: (out: string) => {
          text += out;
          w.onOutput(out);
        },
      };
    },
    get text() {
      return text;
    },
  };
}
