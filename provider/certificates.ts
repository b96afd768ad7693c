// Facts about the cluster's certificates, parsed from PEM with node-forge: what CertificateRotation reports and
// how it decides that a rotation is due or was done. Pure: the caller passes the time ("now" is the cluster's
// clock, read from its Date header, so a cluster whose clock differs from ours is judged by its own).
//
// GET /v1/cluster/certificates answers private keys next to the certificates (rs-rest-api.md §4.2). The only
// way in here is `certificatesFromMap`, which keeps the `<name>_cert` entries and drops every other one, so no
// key ever reaches an output, an error or a log line.
import { createHash } from "node:crypto";
import type forge from "node-forge";

// node-forge is loaded at the first certificate parsed rather than with the provider: it takes about 20 ms to load,
// which every new provider host (every `pulumi refresh`) would otherwise pay on its first call, for any resource.
let forgeModule: typeof forge | undefined;
const loadForge = (): typeof forge => (forgeModule ??= require("node-forge") as typeof forge);

/** The certificates the cluster generates and rotates itself (rs-rest-api.md §4.1); the others are uploaded. */
export const INTERNAL_CERTIFICATE_NAMES = [
  "api",
  "cm",
  "proxy",
  "syncer",
  "metrics_exporter",
  "ccs_internode_encryption",
  "data_internode_encryption",
] as const;
export type InternalCertificateName = (typeof INTERNAL_CERTIFICATE_NAMES)[number];

export function isInternalCertificateName(name: string): name is InternalCertificateName {
  return (INTERNAL_CERTIFICATE_NAMES as readonly string[]).includes(name);
}

/** One certificate as CertificateRotation outputs it. */
export interface CertificateInfo {
  /** The certificate's name in the API, e.g. "ccs_internode_encryption". */
  name: string;
  /** The node uid it belongs to, where the API says; GET /v1/cluster/certificates answers one set for the cluster. */
  node?: number;
  /** Distinguished name, e.g. "CN=ccs_internode_encryption.node1.cluster.local, OU=cluster.local". */
  subject: string;
  issuer: string;
  /** Serial number: hex, lower case, no leading zero bytes. */
  serial: string;
  /** ISO 8601, UTC. */
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the DER encoding: hex, lower case, no colons. */
  fingerprintSha256: string;
  /** Whole days until notAfter on the cluster's clock (negative once expired). */
  daysRemaining: number;
}

const DAY_MS = 86_400_000;
const CERTIFICATE_BLOCKS = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);

/**
 * The DER (a forge binary string) of each certificate block of a PEM text, in order. Other blocks (a key) are
 * skipped. The error never quotes the input: the text may hold a private key.
 */
export function certificateDers(pem: string): string[] {
  let blocks: forge.pem.ObjectPEM[];
  try {
    blocks = loadForge().pem.decode(pem);
  } catch {
    throw new Error("not a PEM text: expected one or more -----BEGIN CERTIFICATE----- blocks");
  }
  const ders = blocks.filter((block) => CERTIFICATE_BLOCKS.has(block.type)).map((block) => block.body);
  if (ders.length === 0) throw new Error("the PEM text holds no -----BEGIN CERTIFICATE----- block");
  return ders;
}

function parseDer(der: string): forge.pki.Certificate {
  try {
    return loadForge().pki.certificateFromAsn1(loadForge().asn1.fromDer(der));
  } catch (error) {
    // forge rejects keys other than RSA when it builds the public key; the fields we report do not need it.
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot parse the certificate (${message.slice(0, 120)})`);
  }
}

function distinguishedName(attributes: forge.pki.CertificateField[]): string {
  return attributes.map((attribute) => `${attribute.shortName ?? attribute.name ?? attribute.type}=${String(attribute.value)}`).join(", ");
}

/** Hex, lower case, leading zero bytes removed ("00" for zero), the form the emulator and openssl show. */
export function normalizeSerial(hex: string): string {
  const trimmed = hex.toLowerCase().replace(/^(00)+/, "");
  return trimmed === "" ? "00" : trimmed;
}

/** SHA-256 of a DER byte string (forge binary string): hex, lower case, no colons. */
export function sha256Hex(der: string): string {
  return createHash("sha256").update(Buffer.from(der, "binary")).digest("hex");
}

/** Whole days from `nowMs` to `notAfter`, rounded down (so 44.9 days left is 44, below a 45-day threshold). */
export function daysBetween(nowMs: number, notAfter: Date): number {
  return Math.floor((notAfter.getTime() - nowMs) / DAY_MS);
}

/** Facts of the leaf (first) certificate of a PEM text. */
export function describeCertificate(name: string, pem: string, nowMs: number, node?: number): CertificateInfo {
  const [leafDer] = certificateDers(pem);
  const certificate = parseDer(leafDer);
  return {
    name,
    ...(node === undefined ? {} : { node }),
    subject: distinguishedName(certificate.subject.attributes),
    issuer: distinguishedName(certificate.issuer.attributes),
    serial: normalizeSerial(certificate.serialNumber),
    notBefore: certificate.validity.notBefore.toISOString(),
    notAfter: certificate.validity.notAfter.toISOString(),
    fingerprintSha256: sha256Hex(leafDer),
    daysRemaining: daysBetween(nowMs, certificate.validity.notAfter),
  };
}

/**
 * The certificates of a GET /v1/cluster/certificates answer, by name (`<name>_cert` entries only). Every other
 * entry, the private keys above all, is dropped here and goes no further.
 */
export function certificatesFromMap(answer: unknown): Map<string, string> {
  const certificates = new Map<string, string>();
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) return certificates;
  for (const [key, value] of Object.entries(answer as Record<string, unknown>)) {
    if (key.endsWith("_cert") && typeof value === "string" && value.includes("-----BEGIN CERTIFICATE-----")) {
      certificates.set(key.slice(0, -"_cert".length), value);
    }
  }
  return certificates;
}

/**
 * Whether the leaf of `pem` is signed by one of the certificates in `caPem` (issuer name and signature). Dates
 * are not judged here: the caller compares them with the cluster's clock, which may differ from ours.
 */
export function chainsTo(pem: string, caPem: string): boolean {
  const leaf = parseDer(certificateDers(pem)[0]);
  let authorities: forge.pki.Certificate[];
  try {
    authorities = certificateDers(caPem).map(parseDer);
  } catch {
    return false;
  }
  // Intermediates in the leaf's PEM (customer chains) are followed up to an authority of caPem.
  const intermediates = certificateDers(pem).slice(1).map(parseDer);
  let current = leaf;
  for (let depth = 0; depth <= intermediates.length; depth++) {
    for (const authority of authorities) {
      if (signedBy(current, authority)) return true;
    }
    const next = intermediates.find((candidate) => signedBy(current, candidate));
    if (!next) return false;
    current = next;
  }
  return false;
}

function signedBy(certificate: forge.pki.Certificate, authority: forge.pki.Certificate): boolean {
  try {
    return authority.subject.hash === certificate.issuer.hash && authority.verify(certificate);
  } catch {
    return false;
  }
}

/** The selected certificates with fewer than `thresholdDays` days left, by name, in input order. */
export function expiringCertificates(certificates: readonly CertificateInfo[], thresholdDays: number): string[] {
  const names = certificates.filter((certificate) => certificate.daysRemaining < thresholdDays).map((certificate) => certificate.name);
  return [...new Set(names)];
}

/**
 * Why a certificate does not look rotated, or undefined when it does: a different certificate whose validity
 * did not move backwards. X.509 times have one-second resolution, so a rotation in the same second as the
 * previous issue keeps the same dates; the new fingerprint is what shows a new certificate was installed.
 */
export function rotationProblem(before: CertificateInfo, after: CertificateInfo): string | undefined {
  if (after.fingerprintSha256 === before.fingerprintSha256) return `${after.name} is the same certificate as before the rotation (fingerprint ${after.fingerprintSha256})`;
  if (Date.parse(after.notAfter) < Date.parse(before.notAfter) || Date.parse(after.notBefore) < Date.parse(before.notBefore)) {
    return `${after.name}'s validity did not move forward (was ${before.notBefore} to ${before.notAfter}, now ${after.notBefore} to ${after.notAfter})`;
  }
  return undefined;
}
