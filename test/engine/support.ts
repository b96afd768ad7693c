// What the engine tests of every resource share: reading a deployment's steps by resource name, and the check
// that secrets stay out of the state's unmarked values and out of the provider host's output.
import assert from "node:assert/strict";
import { unmarkedInputs, unmarkedOutputs, type EngineState } from "./harness";

/** Step operations by resource name (registrations reach the harness in no fixed order). */
export const opsByName = (steps: ReadonlyArray<{ op: string; urn: string }>): Record<string, string> =>
  Object.fromEntries(steps.map((step) => [step.urn.split("::").at(-1)!, step.op]));

/** Each secret appears in no unmarked output or input of the state, and in no line the host printed. */
export function assertNoSecretLeaks(state: EngineState, hostOutput: string, secrets: readonly string[]): void {
  const plain = JSON.stringify({ outputs: unmarkedOutputs(state), inputs: unmarkedInputs(state) });
  for (const secret of secrets) {
    assert.ok(!plain.includes(secret), "a secret is stored unmarked in state");
    assert.ok(!hostOutput.includes(secret), "a secret appeared in the provider host's output or an error");
  }
}
