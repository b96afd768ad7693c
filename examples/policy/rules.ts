// The three rules of the policy pack, as pure functions over the resources a policy sees (type token, name,
// properties), so they are tested without the engine; index.ts registers them with @pulumi/policy.
//
// A value still unknown in a preview (an output of a resource not created yet) reaches a policy as undefined; a
// rule that cannot judge without it says nothing rather than report a violation the program may not have.

/** The type token of this package's resources under the dynamic provider. */
export const TYPE_PREFIX = "pulumi-nodejs:dynamic/redisenterprise:";

/** The highest `rotateWhenExpiringWithinDays` the rotation rule accepts. */
export const MAX_ROTATION_THRESHOLD_DAYS = 45;

/** The provider's own default for `rotateWhenExpiringWithinDays` (provider/rotation/logic.ts). */
const DEFAULT_ROTATION_THRESHOLD_DAYS = 45;

export interface PolicyResourceView {
  readonly type: string;
  readonly name: string;
  readonly props: Readonly<Record<string, unknown>>;
}

const kindOf = (resource: PolicyResourceView) => (resource.type.startsWith(TYPE_PREFIX) ? resource.type.slice(TYPE_PREFIX.length) : undefined);

/** Rule 1: every Database has data internode encryption on. One message per violation. */
export function databaseEncryptionViolations(resource: PolicyResourceView): string[] {
  if (kindOf(resource) !== "Database") return [];
  if (resource.props.dataInternodeEncryption === true) return [];
  const got = resource.props.dataInternodeEncryption === undefined ? "not declared (the cluster's policy default applies)" : String(resource.props.dataInternodeEncryption);
  return [`Database "${resource.name}": dataInternodeEncryption must be true; it is ${got}. Set dataInternodeEncryption: true`];
}

function hostOf(url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return undefined;
  }
}

/** A Cluster's node addresses: from the `nodes` output (address) or the inputs (the host of each url). */
function clusterAddresses(cluster: PolicyResourceView): string[] | undefined {
  const nodes = cluster.props.nodes;
  if (!Array.isArray(nodes)) return undefined;
  const addresses: string[] = [];
  for (const node of nodes) {
    const record = (node ?? {}) as Record<string, unknown>;
    const address = typeof record.address === "string" ? record.address : hostOf(record.url);
    if (address === undefined) return undefined; // unknown in this preview
    addresses.push(address);
  }
  return addresses;
}

/**
 * Rule 2: a stack with encrypted databases has an InternodeFirewall covering the nodes of every Cluster it
 * declares (every node address among some firewall's `nodes`). A stack that declares no Cluster (the cluster is
 * managed elsewhere) must still declare a firewall.
 */
export function firewallCoverageViolations(resources: readonly PolicyResourceView[]): string[] {
  const encrypted = resources.filter((resource) => kindOf(resource) === "Database" && resource.props.dataInternodeEncryption === true);
  if (encrypted.length === 0) return [];
  const firewalls = resources.filter((resource) => kindOf(resource) === "InternodeFirewall");
  // Sorted: the engine registers a program's resources in parallel, so the stack's order varies between runs.
  const names = encrypted
    .map((resource) => resource.name)
    .sort()
    .map((name) => `"${name}"`)
    .join(", ");
  if (firewalls.length === 0) {
    return [`databases ${names} encrypt internode traffic, but the stack declares no InternodeFirewall: add one whose nodes are the cluster's nodes, so only the nodes reach port 3342`];
  }
  const covered = new Set<string>();
  for (const firewall of firewalls) {
    const nodes = firewall.props.nodes;
    if (!Array.isArray(nodes)) return []; // unknown in this preview: cannot judge
    for (const node of nodes) {
      const address = ((node ?? {}) as Record<string, unknown>).address;
      if (typeof address !== "string") return [];
      covered.add(address);
    }
  }
  const violations: string[] = [];
  for (const cluster of resources.filter((resource) => kindOf(resource) === "Cluster")) {
    const addresses = clusterAddresses(cluster);
    if (addresses === undefined) continue;
    const missing = addresses.filter((address) => !covered.has(address));
    if (missing.length > 0) {
      violations.push(`Cluster "${cluster.name}": nodes ${missing.join(", ")} are not covered by an InternodeFirewall while databases ${names} encrypt internode traffic; add them to the firewall's nodes`);
    }
  }
  return violations;
}

/** Rule 3: the stack has a CertificateRotation, each with a threshold of at most 45 days. */
export function rotationViolations(resources: readonly PolicyResourceView[]): string[] {
  const rotations = resources.filter((resource) => kindOf(resource) === "CertificateRotation");
  if (rotations.length === 0) {
    return [`the stack declares no CertificateRotation: add one with rotateWhenExpiringWithinDays of at most ${MAX_ROTATION_THRESHOLD_DAYS}, and run pulumi up --refresh on a schedule`];
  }
  const violations: string[] = [];
  for (const rotation of rotations) {
    const threshold = rotation.props.rotateWhenExpiringWithinDays ?? DEFAULT_ROTATION_THRESHOLD_DAYS;
    if (typeof threshold === "number" && threshold > MAX_ROTATION_THRESHOLD_DAYS) {
      violations.push(`CertificateRotation "${rotation.name}": rotateWhenExpiringWithinDays is ${threshold}; it must be at most ${MAX_ROTATION_THRESHOLD_DAYS}`);
    }
  }
  return violations;
}
