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
  const candidate = input !== undefined ? input : settings.connection;
  const origin = input !== undefined ? "the connection input" : `stack config (${CONFIG_NAMESPACE}:url, :username, :password)`;
  const problems = connectionProblems(candidate);
  const c = (candidate ?? {}) as Partial<Connection>;
  if (!c.url || !c.username || !c.password) {
    problems.unshift({
      property: "connection",
      reason:
        `no complete connection for ${label}: set the resource's connection input (usually cluster.connection) ` +
        `or stack config ${CONFIG_NAMESPACE}:url, ${CONFIG_NAMESPACE}:username and ${CONFIG_NAMESPACE}:password (--secret)`,
    });
  }
  if (problems.length > 0) {
    throw new Error(`${label}: invalid connection from ${origin}: ${problems.map((p) => `${p.property}: ${p.reason}`).join("; ")}`);
  }
  return c as Connection;
}
