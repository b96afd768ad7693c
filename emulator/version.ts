// Redis Enterprise software versions look like MAJOR.MINOR.PATCH-BUILD ("7.22.2-14", "6.2.2-30", and a docker
// build reported "100.0.21-16135"). They are compared numerically, part by part, never as strings
// ("6.10.0" > "6.2.4" although it sorts lower as text).

export interface SoftwareVersion {
  major: number;
  minor: number;
  patch: number;
  /** The build number after the dash, when present. */
  build?: number;
}

const VERSION_PATTERN = /^(\d{1,6})\.(\d{1,6})\.(\d{1,6})(?:-(\d{1,9}))?$/;

/** Parse "7.22.2-14" (the build is optional); undefined when the text is not such a version. */
export function parseSoftwareVersion(text: string): SoftwareVersion | undefined {
  const match = VERSION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const version: SoftwareVersion = { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
  if (match[4] !== undefined) version.build = Number(match[4]);
  return version;
}

/** Negative, zero or positive like a sort comparator; MAJOR.MINOR.PATCH only (the build does not gate features). */
export function compareReleases(a: SoftwareVersion, b: SoftwareVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Data-plane internode encryption arrived in 6.2.4 (reference §9) and needs every node at that release or later. */
export const DATA_INE_MINIMUM: SoftwareVersion = { major: 6, minor: 2, patch: 4 };

/** True when the node version supports data internode encryption; an unparseable version does not. */
export function supportsDataInternodeEncryption(softwareVersion: string): boolean {
  const parsed = parseSoftwareVersion(softwareVersion);
  return parsed !== undefined && compareReleases(parsed, DATA_INE_MINIMUM) >= 0;
}

/** The nodes that block data internode encryption, by ascending uid. */
export function nodesBlockingDataIne<T extends { uid: number; softwareVersion: string }>(nodes: readonly T[]): T[] {
  return nodes.filter((node) => !supportsDataInternodeEncryption(node.softwareVersion)).sort((a, b) => a.uid - b.uid);
}
