// TCP ports of the InternodeFirewall: a list of ports and ranges, or the name of a profile. Pure.
//
// The profile "internode-only" is every TCP row of the product's port table whose source is Internal alone
// (../shared/reference/rs-rest-api.md §7, RS/networking/port-configurations.md): traffic that only other
// nodes of the cluster ever need. Rows that clients (External) or Active-Active peers also use (8001, 8443,
// 9443/8080/3346, the database endpoints 10000-19999) are not in it: closing them to everyone but the nodes
// would cut clients off. UDP 53/5353 (DNS) are Internal and External, and this firewall handles TCP only.

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** The default: the TLS channel of data internode encryption (RS 6.2.4 release notes; internode-encryption.md). */
export const DEFAULT_PORTS: readonly number[] = [3342];

/** Named port sets; `ports: "internode-only"` declares the product's whole internal TCP port set. */
export const PORT_PROFILES = {
  /** Every TCP port of the port table whose source is Internal only. */
  "internode-only": [
    "3347-3349", 8000, 8071, 9091, 9125, // internal metrics
    9081, // CRDB coordinator
    9082, // cluster API internal
    10050, // Zabbix
    1968, // proxy traffic
    "3333-3345", "3350-3354", 36379, // internode communication (3342 is inside 3333-3345)
    3355, // authentication service
    3357, // internal communication
    "20000-29999", // shard traffic
    8002, 8004, 8006, // envoy admin, management server, gossip envoy admin
    8444, 9080, // web proxy <-> cnm_http/cm
  ],
} as const satisfies Record<string, readonly (number | string)[]>;

export type PortProfile = keyof typeof PORT_PROFILES;
export const PORT_PROFILE_NAMES = Object.keys(PORT_PROFILES) as PortProfile[];

/** What a user declares as `ports`: ports and "FROM-TO" ranges, or a profile name. */
export type PortsInput = ReadonlyArray<number | string> | PortProfile;

function parsePortNumber(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** One port (number or digits) or a "FROM-TO" range; a reason when it is neither. */
export function parsePortItem(item: unknown): { ok: true; range: PortRange } | { ok: false; reason: string } {
  const expectation = 'must be a TCP port from 1 to 65535 or a range "FROM-TO" (like 3342 or "20000-29999")';
  if (typeof item === "number") {
    return Number.isInteger(item) && item >= 1 && item <= 65535 ? { ok: true, range: { from: item, to: item } } : { ok: false, reason: expectation };
  }
  if (typeof item !== "string") return { ok: false, reason: expectation };
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
  const from = match ? parsePortNumber(match[1]) : undefined;
  const to = match ? (match[2] === undefined ? from : parsePortNumber(match[2])) : undefined;
  if (from === undefined || to === undefined) return { ok: false, reason: expectation };
  if (to < from) return { ok: false, reason: `is a range whose end is below its start; write "${to}-${from}"` };
  return { ok: true, range: { from, to } };
}

/** Sorted, with overlapping and adjacent ranges merged (nft refuses overlapping interval elements). */
export function mergePortRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from || a.to - b.to);
  const merged: PortRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range.from <= last.to + 1) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, range.to) };
    else merged.push(range);
  }
  return merged;
}

/** 3342, or "20000-29999": how a range is written in the canonical input and in rules. */
export function formatPortRange(range: PortRange): number | string {
  return range.from === range.to ? range.from : `${range.from}-${range.to}`;
}

/**
 * The merged ranges of a canonical `ports` value (a profile name, or items that parse). Throws on an item
 * that does not parse: canonical values have been validated by the schema.
 */
export function portRangesOf(ports: PortsInput): PortRange[] {
  const items: ReadonlyArray<number | string> = typeof ports === "string" ? PORT_PROFILES[ports] : ports;
  return mergePortRanges(
    items.map((item) => {
      const parsed = parsePortItem(item);
      if (!parsed.ok) throw new Error(`ports: ${JSON.stringify(item)} ${parsed.reason}`);
      return parsed.range;
    }),
  );
}
