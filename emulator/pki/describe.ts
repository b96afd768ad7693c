import { createHash } from "node:crypto";
// A namespace import, not a default one: the declaration files import it too, and a consumer without
// esModuleInterop (the Pulumi template) cannot default-import node-forge (TS1192).
import * as forge from "node-forge";

/** Facts about one X.509 certificate, as the provider and tests report them. */
export interface CertificateDescription {
  subjectCommonName: string;
  issuerCommonName: string;
  /** Serial number, hex, lower case, without leading zero bytes ("00" for a zero serial). */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER encoding, hex, lower case, no colons. */
  fingerprintSha256: string;
}

const PEM_CERTIFICATE_TYPES = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);

/**
 * The DER (as a node-forge binary string) of every certificate block in a PEM text, in order.
 * Other blocks (a private key pasted by mistake) are skipped, never echoed. Throws when there is none.
 */
export function certificateDersFromPem(pem: string): string[] {
  let blocks: forge.pem.ObjectPEM[];
  try {
    blocks = forge.pem.decode(pem);
  } catch {
    // forge's message can quote the input; keep ours generic because the text may hold a private key.
    throw new Error("not a PEM text: expected one or more '-----BEGIN CERTIFICATE-----' blocks");
  }
  const ders = blocks.filter((block) => PEM_CERTIFICATE_TYPES.has(block.type)).map((block) => block.body);
  if (ders.length === 0) {
    throw new Error("the PEM text holds no '-----BEGIN CERTIFICATE-----' block");
  }
  return ders;
}

/** SHA-256 of a DER byte string, hex lower case without colons (the form X509Certificate shows, minus colons). */
export function sha256HexOfDer(der: string): string {
  return createHash("sha256").update(Buffer.from(der, "binary")).digest("hex");
}

/** Lower-case hex without leading zero bytes; ASN.1 adds a 00 byte to keep a positive INTEGER positive. */
export function normalizeSerialHex(hex: string): string {
  const lower = hex.toLowerCase();
  const trimmed = lower.replace(/^(00)+/, "");
  return trimmed === "" ? "00" : trimmed;
}

function commonNameOf(name: forge.pki.Certificate["subject"]): string {
  const field: unknown = name.getField("CN");
  if (field !== null && typeof field === "object" && "value" in field && typeof field.value === "string") {
    return field.value;
  }
  return "";
}

/** The facts of a parsed node-forge certificate whose original DER is `der`. */
export function describeForgeCertificate(cert: forge.pki.Certificate, der: string): CertificateDescription {
  return {
    subjectCommonName: commonNameOf(cert.subject),
    issuerCommonName: commonNameOf(cert.issuer),
    serialHex: normalizeSerialHex(cert.serialNumber),
    notBefore: new Date(cert.validity.notBefore.getTime()),
    notAfter: new Date(cert.validity.notAfter.getTime()),
    // Hash the DER as received, not forge's re-encoding, so the value matches every other tool.
    fingerprintSha256: sha256HexOfDer(der),
  };
}

/** Parse one certificate DER (binary string) with node-forge; RSA keys only (a node-forge limit). */
export function parseCertificateDer(der: string): forge.pki.Certificate {
  return forge.pki.certificateFromAsn1(forge.asn1.fromDer(der));
}

/**
 * Parse a PEM certificate into the facts the provider and tests need (node-forge). With a chain, the first
 * certificate (the leaf) is described. Throws an Error that never quotes the input.
 */
export function describeCertificate(pem: string): CertificateDescription {
  const [leafDer] = certificateDersFromPem(pem);
  let cert: forge.pki.Certificate;
  try {
    cert = parseCertificateDer(leafDer);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot parse the certificate: ${reason}`);
  }
  return describeForgeCertificate(cert, leafDer);
}
