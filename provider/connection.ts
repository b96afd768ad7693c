// The `connection` input every resource takes (usually `cluster.connection`), with the stack-config fallback.
// Validation lives here once, so every resource reports a bad connection the same way.
import { CONNECTION_SHAPE, connectionFieldProblems } from "./rest/connection-fields";
import type { Connection } from "./rest";
import { CONFIG_NAMESPACE, type StackSettings } from "./settings";
import { isUnknown } from "./core";

export interface ConnectionProblem {
  property: string;
  reason: string;
}

/**
 * Problems with a declared `connection` input; unknown values (preview) are skipped, never reported. The rules
 * are the REST client's own (rest/connection-fields.ts), so what passes here cannot fail there.
 */
export function connectionProblems(value: unknown, property = "connection"): ConnectionProblem[] {
  if (value === undefined || isUnknown(value)) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ property, reason: `${property} must be an object ${CONNECTION_SHAPE}` }];
  }
  return connectionFieldProblems(value as Record<string, unknown>, property).map((problem) => ({ property: `${property}.${problem.field}`, reason: problem.reason }));
}

/**
 * The connection a resource uses: its own `connection` input when declared (wholesale, never merged field by
 * field with stack config, so what a resource talks to is visible in one place), else the stack config.
 * Throws an error that says how to fix it when neither is complete.
 */
export function resolveConnection(input: unknown, settings: StackSettings, label: string): Connection {
  const declared = input !== undefined;
  const candidate = declared ? input : settings.connection;
  const c = (candidate ?? {}) as Partial<Connection>;
  const keys = `${CONFIG_NAMESPACE}:url, ${CONFIG_NAMESPACE}:username and ${CONFIG_NAMESPACE}:password (--secret)`;
  // One sentence that says what to set: which of the two places, and which keys are missing there.
  if (!c.url || !c.username || !c.password) {
    const missing = (["url", "username", "password"] as const).filter((field) => !c[field]);
    throw new Error(
      declared
        ? `${label} has no complete connection: set ${missing.map((field) => `connection.${field}`).join(", ")} on its connection input (usually cluster.connection)`
        : `${label} has no connection to a cluster: set the resource's connection input (usually cluster.connection) or stack config ${keys}`,
    );
  }
  const problems = connectionProblems(candidate);
  if (problems.length > 0) {
    const where = declared ? "its connection input" : "the stack config";
    throw new Error(`${label} has an invalid connection in ${where}: ${problems.map((p) => `${p.property}: ${p.reason}`).join("; ")}`);
  }
  return c as Connection;
}
