// The `connection` input every resource takes (usually `cluster.connection`), with the stack-config fallback.
// Validation lives here once, so every resource reports a bad connection the same way.
import type { Connection } from "./rest";
import { CONFIG_NAMESPACE, type StackSettings } from "./settings";
import { isUnknown } from "./core";

export interface ConnectionProblem {
  property: string;
  reason: string;
}

const FINGERPRINT = /^([0-9a-f]{2}:?){31}[0-9a-f]{2}$/i;

/** Problems with a declared `connection` input; unknown values (preview) are skipped, never reported. */
export function connectionProblems(value: unknown, property = "connection"): ConnectionProblem[] {
  if (value === undefined || isUnknown(value)) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ property, reason: `${property} must be an object { url, username, password, caCertPem?, caFingerprintSha256?, insecureSkipVerify? }` }];
  }
  const c = value as Record<string, unknown>;
  const problems: ConnectionProblem[] = [];
  const at = (field: string, reason: string) => problems.push({ property: `${property}.${field}`, reason });
  if (!isUnknown(c.url)) {
    if (typeof c.url !== "string") at("url", "url is required: the cluster's REST API, e.g. https://node1.example.com:9443");
    else {
      let parsed: URL | undefined;
      try {
        parsed = new URL(c.url);
      } catch {
        at("url", `url is not a valid URL; expected e.g. https://node1.example.com:9443`);
      }
      if (parsed) {
        if (parsed.protocol !== "https:" && parsed.protocol !== "http:") at("url", `url must use https:// (or http://); got ${parsed.protocol}`);
        // Credentials belong in username/password, where they are handled as secrets; a URL is printed in errors.
        if (parsed.username || parsed.password) at("url", "url must not embed credentials; set username and password instead");
      }
    }
  }
  for (const field of ["username", "password"] as const) {
    if (isUnknown(c[field])) continue;
    if (typeof c[field] !== "string" || c[field] === "") at(field, `${field} is required (a non-empty string)`);
  }
  if (c.caCertPem !== undefined && !isUnknown(c.caCertPem)) {
    if (typeof c.caCertPem !== "string" || !c.caCertPem.includes("-----BEGIN CERTIFICATE-----")) {
      at("caCertPem", "caCertPem must be a PEM certificate (-----BEGIN CERTIFICATE-----), the CA that signed the cluster's API certificate");
    }
  }
  if (c.caFingerprintSha256 !== undefined && !isUnknown(c.caFingerprintSha256)) {
    if (typeof c.caFingerprintSha256 !== "string" || !FINGERPRINT.test(c.caFingerprintSha256)) {
      at("caFingerprintSha256", "caFingerprintSha256 must be a SHA-256 fingerprint: 64 hex digits, colons optional");
    }
  }
  if (c.insecureSkipVerify !== undefined && !isUnknown(c.insecureSkipVerify) && typeof c.insecureSkipVerify !== "boolean") {
    at("insecureSkipVerify", "insecureSkipVerify must be a boolean");
  }
  const known = new Set(["url", "username", "password", "caCertPem", "caFingerprintSha256", "insecureSkipVerify"]);
  for (const field of Object.keys(c)) {
    if (!known.has(field)) at(field, `unknown connection field "${field}"; expected one of ${[...known].join(", ")}`);
  }
  return problems;
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
