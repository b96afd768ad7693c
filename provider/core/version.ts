// Redis Enterprise Software versions, e.g. "7.4.6-22", "6.2.4", or "100.0.21-16135" (a docker build seen on a
// real cluster: rs-rest-api.md §5). Parsed into numbers and compared field by field: comparing strings would
// put "10.0.0" before "6.2.4".

/** MAJOR.MINOR.PATCH-BUILD as numbers; a missing patch or build counts as 0. */
export interface SoftwareVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly build: number;
}

// Optional leading "v"; PATCH and BUILD optional; any suffix after the numbers (e.g. "-rc1", "+sha") ignored.
const VERSION = /^v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?(?:-(\d{1,12}))?(?:[-+~.][0-9A-Za-z.+~-]*)?$/;

/** Parses a software version; undefined when the text does not start with MAJOR.MINOR. */
export function parseSoftwareVersion(text: string): SoftwareVersion | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: match[3] === undefined ? 0 : Number(match[3]),
    build: match[4] === undefined ? 0 : Number(match[4]),
  };
}

/** -1, 0 or 1 as a is older than, equal to, or newer than b. */
export function compareSoftwareVersions(a: SoftwareVersion, b: SoftwareVersion): -1 | 0 | 1 {
  for (const field of ["major", "minor", "patch", "build"] as const) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  return 0;
}

/** "7.4.6-22" (the build only when non-zero). */
export function formatSoftwareVersion(version: SoftwareVersion): string {
  const base = `${version.major}.${version.minor}.${version.patch}`;
  return version.build === 0 ? base : `${base}-${version.build}`;
}

/**
 * Whether `version` is at least `minimum` (both as text). Undefined when either cannot be parsed, so the caller
 * decides what an unreadable version means instead of it silently passing or failing.
 */
export function isAtLeastVersion(version: string, minimum: string): boolean | undefined {
  const have = parseSoftwareVersion(version);
  const need = parseSoftwareVersion(minimum);
  if (!have || !need) return undefined;
  return compareSoftwareVersions(have, need) >= 0;
}

/** A node as version gates need it (from GET /v1/nodes). */
export interface NodeVersionInfo {
  uid: number;
  softwareVersion: string;
  status: string;
}
