// HTTP Basic authentication against the emulated cluster's users (reference §1.2). Password comparison is
// constant-time; nothing here ever prints a credential.
import { createHash, timingSafeEqual } from "node:crypto";
import type { EmulatorCore } from "./core";
import type { UserRecord } from "./state";

export interface BasicCredentials {
  username: string;
  password: string;
}

/** Decode an `Authorization: Basic ...` header; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Constant-time string equality (hashing first makes the lengths equal). */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The user these credentials belong to, or undefined. */
export function authenticate(core: EmulatorCore, credentials: BasicCredentials | undefined): UserRecord | undefined {
  if (!credentials) return undefined;
  const user = core.findUser(credentials.username);
  if (!user) return undefined;
  return secretEquals(user.password, credentials.password) ? user : undefined;
}
