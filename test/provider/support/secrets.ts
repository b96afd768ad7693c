// The secret-leak check every REST test applies to the errors it provokes.
import assert from "node:assert/strict";
import { inspect } from "node:util";

/** A password no error text could contain by accident. */
export const DISTINCTIVE_PASSWORD = "Zebra-Quokka-7731-secret";
export const USERNAME = "admin@example.com";

/** Basic credentials as they travel in the Authorization header. */
export function basicToken(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, "utf8").toString("base64");
}

/** Fails when any rendering of the error (message, stack, JSON, util.inspect) contains one of the secrets. */
export function assertNoSecrets(error: unknown, secrets: readonly string[]): void {
  assert.ok(error instanceof Error, `expected an Error, got ${inspect(error)}`);
  const renderings: Record<string, string> = {
    message: error.message,
    stack: error.stack ?? "",
    json: JSON.stringify(error),
    inspect: inspect(error, { depth: 10, showHidden: true }),
  };
  for (const [form, text] of Object.entries(renderings)) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `the ${form} of ${error.name} contains a secret: ${text}`);
    }
  }
}
