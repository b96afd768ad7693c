// What a property change does to the clients of a running resource. Every row of a property table names the
// impact of each kind of change, and the preview notes, the disruption-policy gate and the README all read
// the sentences below, so the wording lives here once.

/** The effect of applying a change on connected clients and stored data, from harmless to destructive. */
export type ClientImpact =
  | "none"
  | "new-connections-only"
  | "disconnects-resp3-clients"
  | "disconnects-all-clients"
  | "flushes-data"
  | "replaces-resource";

/** Every impact, least severe first: the position is the severity. */
export const CLIENT_IMPACTS: readonly ClientImpact[] = [
  "none",
  "new-connections-only",
  "disconnects-resp3-clients",
  "disconnects-all-clients",
  "flushes-data",
  "replaces-resource",
];

/**
 * How one resource words the impacts in notes and errors. The severity scale is shared (the disruption gate
 * reads it), the words are not: "restarts the database proxy" is a Database fact, "applies to databases created
 * afterwards" a Cluster fact, "blocks traffic between nodes" a firewall fact. Impacts a resource leaves out fall
 * back to the data-plane wording below.
 */
export interface ImpactWording {
  readonly consequences: Readonly<Partial<Record<ClientImpact, string>>>;
  readonly labels?: Readonly<Partial<Record<ClientImpact, string>>>;
}

// The data-plane wording: what a change does to a database's clients. The Database uses it as is.
const CONSEQUENCES: Readonly<Record<ClientImpact, string>> = {
  none: "does not affect connected clients",
  "new-connections-only": "applies to new connections only; existing clients keep their connection until they reconnect",
  "disconnects-resp3-clients": "disconnects clients connected with RESP3",
  "disconnects-all-clients": "restarts the database proxy and disconnects all connected clients",
  "flushes-data": "flushes all data in the database (FLUSHDB)",
  "replaces-resource": "deletes the database and creates a new one: all data is lost and every client is disconnected",
};

/** Short labels for tables (README, review report). */
const LABELS: Readonly<Record<ClientImpact, string>> = {
  none: "none",
  "new-connections-only": "new connections only",
  "disconnects-resp3-clients": "disconnects RESP3 clients",
  "disconnects-all-clients": "disconnects all clients",
  "flushes-data": "flushes data",
  "replaces-resource": "replaces the resource",
};

/** The sentence that follows "<property> <old> -> <new>" in a note, e.g. "disconnects clients connected with RESP3". */
export function impactConsequence(impact: ClientImpact, wording?: ImpactWording): string {
  return wording?.consequences[impact] ?? CONSEQUENCES[impact];
}

/** A short label for tables, e.g. "disconnects all clients". */
export function impactLabel(impact: ClientImpact, wording?: ImpactWording): string {
  return wording?.labels?.[impact] ?? LABELS[impact];
}

/** 0 for "none" up to 5 for "replaces-resource". */
export function impactSeverity(impact: ClientImpact): number {
  return CLIENT_IMPACTS.indexOf(impact);
}

/** The most severe of the given impacts; "none" for an empty list. */
export function worstImpact(impacts: Iterable<ClientImpact>): ClientImpact {
  let worst: ClientImpact = "none";
  for (const impact of impacts) if (impactSeverity(impact) > impactSeverity(worst)) worst = impact;
  return worst;
}

/**
 * True when applying the change drops client connections or loses data. "new-connections-only" is not
 * disruptive: existing connections stay up and pick the change up when they reconnect on their own.
 */
export function isDisruptive(impact: ClientImpact): boolean {
  return impactSeverity(impact) >= impactSeverity("disconnects-resp3-clients");
}
