// The CertificateRotation resource's pure logic: its definition on the framework (the table is table.ts), input
// checks, the reasons an update rotates (for the preview's note and the review report), the verification of a
// rotation, and the outputs. Expiry is judged on the cluster's clock against the declared threshold, never by
// serial numbers, so the cluster's own automatic rotation is not drift.
import {
  BOOKKEEPING_OUTPUT_DOCS,
  containsUnknown,
  deepEqual,
  isDeclared,
  isUnknown,
  passThroughSetting,
  renderCompact,
  renderMarkdownTable,
  resourceOutputs,
  type CheckFailure,
  type ResourceDefinition,
} from "../core";
import {
  INTERNAL_CERTIFICATE_NAMES,
  chainsTo,
  certificatesFromMap,
  describeCertificate,
  expiringCertificates,
  isInternalCertificateName,
  rotationProblem,
  type CertificateInfo,
} from "../certificates";
import { timeoutsProblems } from "../timeouts";
import { renderFieldTable, type FieldDoc } from "../fields";
import { DEFAULT_ROTATE_WHEN_EXPIRING_WITHIN_DAYS, ROTATION_ROWS, ROTATION_TABLE, thresholdOf } from "./table";
import type { PendingRotation, RotationLive, RotationProperties } from "./types";

export { DEFAULT_ROTATE_WHEN_EXPIRING_WITHIN_DAYS, thresholdOf };

type Bag = Readonly<Record<string, unknown>>;

/** Inputs that are not table rows (the rows, triggers and certificates, are in the README's table). */
export const ROTATION_INPUT_DOCS = [
  { name: "connection", type: "{ url; username; password; caCertPem?; caFingerprintSha256?; insecureSkipVerify? }", description: "The cluster (usually cluster.connection); else stack config redisenterprise:*. caCertPem is also the CA new certificates must chain to." },
  { name: "rotateWhenExpiringWithinDays", type: "integer 1-3650", description: `A refresh that finds a selected certificate with fewer days left (on the cluster's clock) reports drift (expiresWithinThreshold), and up rotates. Default ${DEFAULT_ROTATE_WHEN_EXPIRING_WITHIN_DAYS}, the product's alert threshold.` },
  { name: "timeouts", type: "{ create?; update?; delete? }", description: "Deadlines; a rotation call is always given at least 15 minutes (it is synchronous and can take minutes)." },
] as const satisfies readonly FieldDoc[];

/** Every input a program may declare: the settings above and the declarable rows. */
export const ROTATION_INPUTS: readonly string[] = [
  ...ROTATION_INPUT_DOCS.map((doc) => doc.name),
  ...ROTATION_ROWS.filter((candidate) => !("expected" in candidate)).map((candidate) => candidate.name),
];

export const ROTATION_OUTPUT_DOCS = [
  { name: "certificates", type: "list of { name; node?; subject; issuer; serial; notBefore; notAfter; fingerprintSha256; daysRemaining }", description: "One entry per selected certificate (per node where the API gives it), parsed from the PEM with node-forge. No private key ever leaves the provider." },
  { name: "lastRotatedAt", type: "string (ISO 8601)", description: "When this resource last rotated and verified the rotation, on the cluster's clock; null until one is verified." },
  { name: "pendingRotation", type: "{ names; before } or null", description: "A rotation that was sent but not verified (its answer was lost, or the read after it failed): the names and the certificates read right before it. The next up compares them with the live ones: changed, it verifies them and does not rotate again; unchanged, it rotates. null otherwise." },
  { name: "expiringCertificates", type: "list of string", description: "The selected certificates below the threshold at the last read." },
  { name: "rotationDue", type: "boolean", description: "Whether the last read found any: then the next up rotates." },
  { name: "requestedCertificates", type: "list of string, or null", description: "The certificates input as declared (null: all)." },
  ...BOOKKEEPING_OUTPUT_DOCS,
] as const satisfies readonly FieldDoc[];

/** Outputs that are not rows; the SDK seeds them so the engine fills them in. */
export const ROTATION_OUTPUT_KEYS = ROTATION_OUTPUT_DOCS.map((doc) => doc.name).filter((name) => name !== "requestedCertificates");

/** The README reference of CertificateRotation: its inputs, its table and its outputs. */
export function certificateRotationReferenceMarkdown(): string {
  return [
    "Inputs:",
    "",
    renderFieldTable(ROTATION_INPUT_DOCS),
    "",
    "Rotation (each row's change rotates; `expiresWithinThreshold` is computed from the live certificates):",
    "",
    renderMarkdownTable(ROTATION_TABLE),
    "",
    "Outputs (besides the inputs):",
    "",
    renderFieldTable(ROTATION_OUTPUT_DOCS),
    "",
  ].join("\n");
}

/** The connection holds the admin password. */
export const ROTATION_SECRET_OUTPUTS = ["connection"] as const;

export function rotationLabel(): string {
  return "CertificateRotation";
}

/** The declared list of names, or undefined for "all internal certificates". */
export function declaredNames(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length > 0 && value.every((name) => typeof name === "string") ? (value as string[]) : undefined;
}

/** The selection a bag of inputs (certificates: names) or outputs (requestedCertificates) records. */
export function selectionOf(bag: Bag | undefined): string[] | undefined {
  return declaredNames(bag?.certificates) ?? declaredNames(bag?.requestedCertificates);
}

/** The outputs read from the live certificates besides the rows (the definition's liveOutputs). */
export function liveRotationOutputs(live: RotationLive, inputs: Bag): Record<string, unknown> {
  const expiring = expiringCertificates(live.certificates, thresholdOf(inputs));
  return {
    certificates: live.certificates,
    requestedCertificates: live.selection ?? null,
    expiringCertificates: expiring,
    rotationDue: expiring.length > 0,
    lastRotatedAt: live.rotatedAt,
    pendingRotation: live.pendingRotation,
  };
}

/**
 * CertificateRotation on the framework: the table (triggers and certificates rotate; expiry is computed drift),
 * the settings (connection, the threshold, timeouts) and the outputs. The generators read it (SDK constants,
 * secret outputs, README reference, arbitraries); check and the rotation's reasons are its own (below).
 */
export const ROTATION_RESOURCE: ResourceDefinition<RotationProperties, RotationLive> = {
  kind: "CertificateRotation",
  noun: "certificate rotation",
  idName: "id",
  table: ROTATION_TABLE,
  settings: [
    passThroughSetting("connection", { secret: true }),
    {
      name: "rotateWhenExpiringWithinDays",
      check: (value) => {
        const failures = rotateWhenExpiringProblems(value);
        return failures.length > 0 ? { failures } : { value, failures };
      },
    },
    passThroughSetting("timeouts"),
  ],
  outputKeys: ROTATION_OUTPUT_KEYS,
  label: () => rotationLabel(),
  liveOutputs: (live, _values, inputs) => liveRotationOutputs(live, inputs),
  idOf: () => "(none: a rotation is not an object on the cluster)",
  deleteBeforeReplace: false,
};

function rotateWhenExpiringProblems(days: unknown): CheckFailure[] {
  if (isUnknown(days) || (typeof days === "number" && Number.isInteger(days) && days >= 1 && days <= 3650)) return [];
  return [{ property: "rotateWhenExpiringWithinDays", reason: `rotateWhenExpiringWithinDays must be a whole number of days from 1 to 3650 (default ${DEFAULT_ROTATE_WHEN_EXPIRING_WITHIN_DAYS}, the product's alert threshold); got ${renderCompact(days)}` }];
}

export interface RotationCheckResult {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

/** Validates a CertificateRotation's inputs (the connection is checked by the provider, with stack config). */
export function checkRotation(news: Bag): RotationCheckResult {
  const inputs: Record<string, unknown> = {};
  const failures: CheckFailure[] = [];
  if (isDeclared(news, "certificates")) {
    const value = news.certificates;
    inputs.certificates = value;
    if (!containsUnknown(value)) {
      if (!Array.isArray(value) || value.length === 0) {
        failures.push({ property: "certificates", reason: `certificates must be a non-empty list of internal certificate names (${INTERNAL_CERTIFICATE_NAMES.join(", ")}), or left out for all of them; got ${renderCompact(value)}` });
      } else {
        value.forEach((name, index) => {
          if (typeof name !== "string" || !isInternalCertificateName(name)) {
            failures.push({ property: `certificates[${index}]`, reason: `certificates[${index}] must be an internal certificate name, one of ${INTERNAL_CERTIFICATE_NAMES.join(", ")} (the others are uploaded, not rotated); got ${renderCompact(name)}` });
          } else if (value.indexOf(name) !== index) {
            failures.push({ property: `certificates[${index}]`, reason: `certificates[${index}] "${name}" is listed twice; list each certificate once` });
          }
        });
      }
    }
  }
  if (isDeclared(news, "triggers")) {
    inputs.triggers = news.triggers;
    if (!containsUnknown(news.triggers) && !Array.isArray(news.triggers)) {
      failures.push({ property: "triggers", reason: `triggers must be a list of values (any change rotates the certificates); got ${renderCompact(news.triggers)}` });
    }
  }
  if (isDeclared(news, "rotateWhenExpiringWithinDays")) {
    inputs.rotateWhenExpiringWithinDays = news.rotateWhenExpiringWithinDays;
    failures.push(...rotateWhenExpiringProblems(news.rotateWhenExpiringWithinDays));
  }
  if (isDeclared(news, "timeouts")) {
    inputs.timeouts = news.timeouts;
    failures.push(...timeoutsProblems(news.timeouts));
  }
  if (isDeclared(news, "connection")) inputs.connection = news.connection;
  for (const key of Object.keys(news)) {
    if (key.startsWith("__") || ROTATION_INPUTS.includes(key) || (ROTATION_OUTPUT_KEYS as readonly string[]).includes(key)) continue;
    if (news[key] === undefined || news[key] === null) continue;
    failures.push({ property: key, reason: `${key} is not a CertificateRotation input; expected one of ${ROTATION_INPUTS.join(", ")}` });
  }
  return { inputs, failures };
}

/** The names the resource watches: the declared ones, or every internal certificate the cluster holds. */
export function selectedNames(declared: readonly string[] | undefined, available: Iterable<string>): string[] {
  if (declared) return [...declared];
  const present = new Set(available);
  return INTERNAL_CERTIFICATE_NAMES.filter((name) => present.has(name));
}

export interface RotationDiff {
  changes: boolean;
  /** The update rotates (a trigger or the selection changed, or a certificate is within the threshold). */
  rotate: boolean;
  /** The program asks for a new rotation (a trigger or the selection changed), beyond finishing or renewing. */
  requested: boolean;
  /** Why, one phrase per reason, for the preview note. */
  reasons: string[];
}

/** The reason an update gives when the recorded rotation did not complete (state without pendingRotation). */
const ROTATION_INCOMPLETE = "the last rotation did not complete";

/** The reason an update gives when a rotation is recorded as pending (and nothing new is asked): it finishes it. */
export const ROTATION_PENDING = "the last rotation was sent but not verified";

/**
 * Why the recorded outputs show a rotation that did not complete, if they do: one sent and not verified
 * (pendingRotation), or a first rotation that never was (no lastRotatedAt, in state written before
 * pendingRotation existed).
 */
function incompleteRotationReason(olds: Bag): string | undefined {
  if (pendingRotationOf(olds) !== undefined) return ROTATION_PENDING;
  return isDeclared(olds, "expiringCertificates") && !isDeclared(olds, "lastRotatedAt") ? ROTATION_INCOMPLETE : undefined;
}

/** The recorded pendingRotation, when it has the shape this provider writes. */
export function pendingRotationOf(bag: Bag | undefined): PendingRotation | undefined {
  const value = bag?.pendingRotation as Partial<PendingRotation> | null | undefined;
  if (!value || typeof value !== "object" || !Array.isArray(value.names) || !Array.isArray(value.before)) return undefined;
  if (!value.names.every((name) => typeof name === "string")) return undefined;
  return { names: value.names, before: value.before.filter((info): info is CertificateInfo => typeof info === "object" && info !== null && typeof info.name === "string") };
}

/**
 * What the next up does about a rotation recorded as pending, from the certificates now: every one changed, it
 * was applied (verify it, send nothing); none changed, it was not (rotate them all); some changed (a rotation of
 * several names, one by one, cut short), rotate the rest.
 */
export function pendingRotationOutcome(pending: PendingRotation, now: readonly CertificateInfo[]): { applied: string[]; rotate: string[] } {
  const applied = rotatedSince(pending.before, now, pending.names);
  // A name without a certificate before cannot show a change: sending it again is the only way to know.
  return { applied, rotate: pending.names.filter((name) => !applied.includes(name)) };
}

/**
 * What an update will do. `olds` are the previous outputs (refreshed when the user refreshed): their
 * `expiringCertificates` were judged at read time on the cluster's clock against the threshold then declared.
 */
export function diffRotation(olds: Bag, news: Bag): RotationDiff {
  const reasons: string[] = [];
  if (containsUnknown(news.triggers) || !deepEqual(olds.triggers ?? undefined, news.triggers ?? undefined)) reasons.push("triggers changed");
  const before = declaredNames(olds.requestedCertificates);
  if (containsUnknown(news.certificates) || !deepEqual(before, declaredNames(news.certificates))) reasons.push("the selected certificates changed");
  const requested = reasons.length > 0;
  // A new rotation supersedes one left pending; only without one is the pending one a reason (finishing it).
  const incomplete = incompleteRotationReason(olds);
  if (incomplete !== undefined && !requested) reasons.push(incomplete);
  const expiring = Array.isArray(olds.expiringCertificates) ? (olds.expiringCertificates as string[]) : [];
  if (olds.rotationDue === true && expiring.length > 0) {
    reasons.push(`${expiring.join(", ")} ${expiring.length === 1 ? "has" : "have"} fewer than ${thresholdOf(olds)} days left`);
  }
  const recordOnly = ["connection", "timeouts", "rotateWhenExpiringWithinDays"].some((key) => !deepEqual(olds[key] ?? undefined, news[key] ?? undefined));
  return { changes: reasons.length > 0 || recordOnly, rotate: reasons.length > 0, requested, reasons };
}

/** The certificates of a GET /v1/cluster/certificates answer for the selected names (keys dropped on the way). */
export function describeSelected(answer: unknown, declared: readonly string[] | undefined, nowMs: number): CertificateInfo[] {
  const pems = certificatesFromMap(answer);
  return selectedNames(declared, pems.keys())
    .filter((name) => pems.has(name))
    .map((name) => describeCertificate(name, pems.get(name)!, nowMs));
}

/** PEMs of the selected certificates, for chain checks (certificates only: no key is in this map). */
export function selectedPems(answer: unknown, names: readonly string[]): Map<string, string> {
  const pems = certificatesFromMap(answer);
  return new Map(names.filter((name) => pems.has(name)).map((name) => [name, pems.get(name)!]));
}

export interface RotationCheckInput {
  names: readonly string[];
  before: readonly CertificateInfo[];
  after: readonly CertificateInfo[];
  afterPems: ReadonlyMap<string, string>;
  beforePems: ReadonlyMap<string, string>;
  /** The cluster CA (the connection's caCertPem), when known. */
  caPem?: string;
}

export interface RotationVerdict {
  problems: string[];
  /** What could not be checked, for a note (never a failure). */
  unchecked: string[];
}

/**
 * After a rotation: each selected certificate is a new one whose validity moved forward and which chains to
 * the cluster CA. The CA is the connection's caCertPem when the certificates chained to it before the rotation
 * (on a cluster whose API certificate comes from another CA they never do); otherwise the new certificate must
 * at least name the same issuer as the old one, and the note says the signature was not checked.
 */
export function verifyRotation(input: RotationCheckInput): RotationVerdict {
  const problems: string[] = [];
  const unchecked: string[] = [];
  for (const name of input.names) {
    const before = input.before.find((certificate) => certificate.name === name);
    const after = input.after.find((certificate) => certificate.name === name);
    if (!after) {
      problems.push(`${name} is missing from the cluster's certificates after the rotation`);
      continue;
    }
    if (before) {
      const problem = rotationProblem(before, after);
      if (problem) problems.push(problem);
    }
    const pem = input.afterPems.get(name);
    const beforePem = input.beforePems.get(name);
    const caApplies = input.caPem !== undefined && (beforePem === undefined || chainsTo(beforePem, input.caPem));
    if (caApplies && pem !== undefined) {
      if (!chainsTo(pem, input.caPem!)) problems.push(`${name} does not chain to the cluster CA (issuer ${after.issuer})`);
    } else {
      if (before && before.issuer !== after.issuer) problems.push(`${name} has a new issuer (${before.issuer} -> ${after.issuer})`);
      unchecked.push(name);
    }
  }
  return { problems, unchecked };
}

/** The outputs after a read or a rotation, as the life cycle records them (rows, settings, live outputs). */
export function rotationOutputs(inputs: Bag, certificates: CertificateInfo[], lastRotatedAt: string | null): Record<string, unknown> {
  const selection = selectionOf(inputs);
  return resourceOutputs(ROTATION_RESOURCE, { nowMs: 0, certificates, ...(selection ? { selection } : {}), rotatedAt: lastRotatedAt, pendingRotation: null }, inputs);
}

/**
 * The names among `names` whose certificate is not the one `before` holds (another serial, validity start or
 * fingerprint, or gone): a rotation that the cluster applied. Read to decide whether a rotate request whose
 * answer did not say "done" was applied: changed means applied, and it is never sent again. Certificates are
 * matched by name and node (the API may answer one per node). The cluster's own rotation job could change one
 * in the same seconds; that is taken as applied too, which errs toward never rotating twice.
 */
export function rotatedSince(before: readonly CertificateInfo[], after: readonly CertificateInfo[], names: readonly string[]): string[] {
  const key = (certificate: CertificateInfo) => `${certificate.name}\u0000${certificate.node ?? ""}`;
  const now = new Map(after.map((certificate) => [key(certificate), certificate]));
  const changed = new Set<string>();
  for (const old of before) {
    if (!names.includes(old.name)) continue;
    const current = now.get(key(old));
    if (!current || current.serial !== old.serial || current.notBefore !== old.notBefore || current.fingerprintSha256 !== old.fingerprintSha256) changed.add(old.name);
  }
  return names.filter((name) => changed.has(name));
}
