// The disruption policy: whether a change that drops client connections, loses data or replaces a resource may
// be applied. It is a framework notion (every resource's table is gated by it), so it lives here; the stack
// settings (../settings.ts) read its default from config and re-export it.

export type DisruptionPolicy = "allow" | "deny";
export const DISRUPTION_POLICIES: readonly DisruptionPolicy[] = ["allow", "deny"];

/** The resource's own policy when declared, else the stack default, else "allow". */
export function effectivePolicy(declared: unknown, fallback: DisruptionPolicy | undefined): DisruptionPolicy {
  return declared === "allow" || declared === "deny" ? declared : fallback ?? "allow";
}
