// IPv4 and IPv6 addresses and CIDR prefixes for the InternodeFirewall, parsed by hand into one canonical text
// form, because the same address must compare equal whether a user wrote it, a Cluster output gave it, or
// `nft -j` printed it back ("2001:DB8:0::1" = "2001:db8::1"; "192.0.2.7/32" is listed by nft as "192.0.2.7").
// Everything in this file is pure and never throws on user input: parsers return undefined or a reason.

export type IpFamily = "ipv4" | "ipv6";

/** A network prefix in canonical form: `address` is the network address, text as `formatCidr` writes it. */
export interface Cidr {
  readonly family: IpFamily;
  /** The address as a number (32 or 128 bits). */
  readonly value: bigint;
  /** Prefix length: 0-32 for IPv4, 0-128 for IPv6; a single address has the full length. */
  readonly prefix: number;
}

const BITS: Readonly<Record<IpFamily, number>> = { ipv4: 32, ipv6: 128 };

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // No leading zeros: "010" is octal to some tools and decimal to others, so it is refused.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === "") return [];
    const groups: number[] = [];
    const pieces = half.split(":");
    for (const [index, piece] of pieces.entries()) {
      if (piece.includes(".")) {
        // An embedded IPv4 tail (::ffff:192.0.2.1) is only valid as the last piece.
        const v4 = index === pieces.length - 1 ? parseIpv4(piece) : undefined;
        if (v4 === undefined) return undefined;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/** Parses an IPv4 or IPv6 address (no prefix, no zone). */
export function parseAddress(text: string): { family: IpFamily; value: bigint } | undefined {
  if (text.includes(":")) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: "ipv6", value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: "ipv4", value };
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

/** RFC 5952: lower case, no leading zeros, the longest run (first if tied) of two or more zero groups as "::". */
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, index) => Number((value >> BigInt(112 - 16 * index)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

export function formatAddress(family: IpFamily, value: bigint): string {
  return family === "ipv4" ? formatIpv4(value) : formatIpv6(value);
}

/** "198.51.100.0/24", "2001:db8::/64"; a single address keeps its full length ("192.0.2.7/32"). */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.value)}/${cidr.prefix}`;
}

/** The address alone for a full-length prefix, else the CIDR text: how nft writes a set element. */
export function formatElement(cidr: Cidr): string {
  return cidr.prefix === BITS[cidr.family] ? formatAddress(cidr.family, cidr.value) : formatCidr(cidr);
}

function hostMask(family: IpFamily, prefix: number): bigint {
  return (1n << BigInt(BITS[family] - prefix)) - 1n;
}

/**
 * Parses "ADDRESS" or "ADDRESS/PREFIX". A prefix with host bits set ("10.0.0.1/8") is refused rather than
 * silently widened or narrowed: what the user meant is not clear, and nft refuses it too.
 */
export function parseCidr(text: string): { ok: true; cidr: Cidr } | { ok: false; reason: string } {
  const trimmed = text.trim();
  const slash = trimmed.indexOf("/");
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const address = parseAddress(addressText);
  if (!address) return { ok: false, reason: "must be an IPv4 or IPv6 address or CIDR prefix (like 198.51.100.7, 10.0.0.0/8 or 2001:db8::/32)" };
  const bits = BITS[address.family];
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
      return { ok: false, reason: `has an invalid prefix length "/${prefixText}" (${address.family === "ipv4" ? "IPv4: 0-32" : "IPv6: 0-128"})` };
    }
    prefix = Number(prefixText);
  }
  if ((address.value & hostMask(address.family, prefix)) !== 0n) {
    const network = address.value & ~hostMask(address.family, prefix);
    const suggestion = formatCidr({ family: address.family, value: network, prefix });
    return { ok: false, reason: `has host bits set after the /${prefix} prefix; write the network address ${suggestion}, or the single address with /${bits}` };
  }
  return { ok: true, cidr: { family: address.family, value: address.value, prefix } };
}

/** True when `outer` contains every address of `inner` (same family). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const mask = ~hostMask(outer.family, outer.prefix);
  return (inner.value & mask) === outer.value;
}

/** A single address as a full-length prefix. */
export function isSingleAddress(cidr: Cidr): boolean {
  return cidr.prefix === BITS[cidr.family];
}

/** Orders by family (IPv4 first), then address, then prefix length. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family === "ipv4" ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.prefix - b.prefix;
}

/**
 * Duplicates and prefixes inside another one removed, sorted. nftables refuses overlapping elements in an
 * interval set ("conflicting intervals"), and a prefix inside a wider one adds nothing.
 */
export function minimalCidrs(cidrs: readonly Cidr[]): Cidr[] {
  const sorted = [...cidrs].sort((a, b) => a.prefix - b.prefix || compareCidrs(a, b));
  const kept: Cidr[] = [];
  for (const cidr of sorted) if (!kept.some((outer) => cidrContains(outer, cidr))) kept.push(cidr);
  return kept.sort(compareCidrs);
}
