// How the client trusts a cluster's REST API certificate.
//
// - caCertPem: standard verification (chain, validity, host name or IP in the SAN) against that CA only.
// - caFingerprintSha256: a pin. The connection is accepted only if a certificate in the chain the server
//   presented has that SHA-256 fingerprint and, when it is not the leaf, the leaf really descends from it
//   (checkIssued + signature verification at every step, issuers must be CAs). A pin is an identity statement,
//   so neither the host name nor validity dates are checked in pin-only mode (a real cluster's API certificate
//   is self-signed and names the node's FQDN, which clients often do not use).
// - Both: standard verification AND the pin.
// - Neither (https): Node's default CAs; a real cluster's self-signed certificate then fails with advice.
// - insecureSkipVerify: no verification at all (the client warns each time it is constructed).
import { X509Certificate } from "node:crypto";
import { TLSSocket, type DetailedPeerCertificate } from "node:tls";
import type { buildConnector as BuildConnector } from "undici";
import { buildConnector } from "./undici";

/** The trust settings of one connection, normalised. Part of the key of the shared dispatcher cache. */
export interface TrustSettings {
  caCertPem: string | undefined;
  /** Normalised pin: 64 lower-case hex digits. */
  pinSha256: string | undefined;
  insecureSkipVerify: boolean;
}

/** Hex SHA-256 fingerprint, lower case, without colons or whitespace; undefined unless it is 64 hex digits. */
export function normalizeFingerprint(value: string): string | undefined {
  const compact = value.replace(/[:\s]/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(compact) ? compact : undefined;
}

/** The SHA-256 fingerprint of a certificate, in the normalised form. */
export function fingerprintOf(certificate: X509Certificate): string {
  return certificate.fingerprint256.replace(/:/g, "").toLowerCase();
}

/** Code of the error the pinning connector fails a connection with. */
export const PIN_MISMATCH_CODE = "RS_TLS_PIN_MISMATCH";

/** The connection was refused by the pin check; travels through undici to the client, which maps it. */
export class PinMismatchError extends Error {
  readonly code = PIN_MISMATCH_CODE;
  constructor(
    reason: string,
    /** Fingerprints of the presented chain, leaf first. */
    readonly presentedFingerprintsSha256: string[],
  ) {
    super(reason);
  }
}

/**
 * OpenSSL / Node codes that mean "the certificate could not be verified" (as opposed to a broken handshake),
 * from OpenSSL's X509_V_ERR_* names and Node's host name check.
 */
const CERTIFICATE_VERIFICATION_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  PIN_MISMATCH_CODE,
]);

export function isCertificateVerificationCode(code: string): boolean {
  return CERTIFICATE_VERIFICATION_CODES.has(code);
}

/**
 * Advice for a verification failure, when the generic "provide caCertPem ..." advice would mislead: a name
 * mismatch or an expired certificate are not fixed by trusting a CA. Undefined means the generic advice.
 */
export function specificTlsAdvice(code: string, origin: string): string | undefined {
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH") {
    return (
      `the certificate does not name the host of ${origin}: use a host name or address listed in its ` +
      "subjectAltName in connection.url, or pin the certificate with connection.caFingerprintSha256"
    );
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return "the API certificate is outside its validity period: replace the cluster's api certificate, or check the clocks";
  }
  return undefined;
}

/** The certificates the server presented, leaf first, following the issuer links Node built from them. */
export function presentedChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  // A self-signed certificate is its own issuer, so stop at the first repeat.
  while (current && current.raw && current.raw.length > 0 && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/** True when `issuer` is a CA certificate that issued and signed `subject`. */
function didIssue(issuer: X509Certificate, subject: X509Certificate): boolean {
  try {
    return issuer.ca && subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    // An unsupported key type cannot prove anything.
    return false;
  }
}

export type PinCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether a presented chain (leaf first) satisfies a pin: some certificate has the pinned fingerprint and the
 * leaf is that certificate or descends from it through certificates that really signed each other.
 */
export function checkPinnedChain(chain: readonly X509Certificate[], pinSha256: string): PinCheck {
  if (chain.length === 0) return { ok: false, reason: "the server presented no certificate" };
  const fingerprints = chain.map(fingerprintOf);
  const pinnedIndex = fingerprints.indexOf(pinSha256);
  if (pinnedIndex === -1) {
    return {
      ok: false,
      reason:
        `no presented certificate has the pinned SHA-256 fingerprint ${pinSha256}; ` +
        `presented (leaf first): ${fingerprints.join(", ")}`,
    };
  }
  if (pinnedIndex === 0) return { ok: true };
  const pinned = chain[pinnedIndex];
  const used = new Set<number>([0, pinnedIndex]);
  let current = chain[0];
  for (let step = 0; step < chain.length; step++) {
    if (didIssue(pinned, current)) return { ok: true };
    const next = chain.findIndex((candidate, index) => !used.has(index) && didIssue(candidate, current));
    if (next === -1) break;
    used.add(next);
    current = chain[next];
  }
  return {
    ok: false,
    reason:
      `the pinned certificate (subject "${oneLine(pinned.subject)}") was presented but did not sign the server's ` +
      `certificate (subject "${oneLine(chain[0].subject)}", issuer "${oneLine(chain[0].issuer)}")`,
  };
}

function oneLine(distinguishedName: string): string {
  return distinguishedName.split("\n").join(", ");
}

/**
 * The undici `connect` option for these trust settings: plain TLS options, wrapped with the pin check when a pin
 * is set. TLS sessions are not cached with a pin, because a resumed session presents no certificate to check.
 */
export function buildTrustingConnector(trust: TrustSettings, connectTimeoutMs: number): BuildConnector.connector {
  if (trust.insecureSkipVerify) {
    return buildConnector({ timeout: connectTimeoutMs, rejectUnauthorized: false });
  }
  const pin = trust.pinSha256;
  if (pin === undefined) {
    // With a CA: only that CA. Without: Node's default CAs. Host name checked either way.
    return buildConnector({ timeout: connectTimeoutMs, rejectUnauthorized: true, ca: trust.caCertPem });
  }
  const base = buildConnector({
    timeout: connectTimeoutMs,
    rejectUnauthorized: trust.caCertPem !== undefined,
    ca: trust.caCertPem,
    maxCachedSessions: 0,
  });
  return (options, callback) => {
    base(options, (error, socket) => {
      if (error !== null) {
        callback(error, null);
        return;
      }
      if (!(socket instanceof TLSSocket)) {
        callback(null, socket);
        return;
      }
      const chain = presentedChain(socket);
      const check = checkPinnedChain(chain, pin);
      if (check.ok) {
        callback(null, socket);
        return;
      }
      socket.destroy();
      callback(new PinMismatchError(check.reason, chain.map(fingerprintOf)), null);
    });
  };
}
