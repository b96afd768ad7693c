import { createPrivateKey, randomBytes, sign, type KeyObject } from "node:crypto";
// A namespace import, not a default one: the declaration files import it too, and a consumer without
// esModuleInterop (the Pulumi template) cannot default-import node-forge (TS1192).
import * as forge from "node-forge";

/** Organization of every subject this emulator issues, so nobody mistakes them for a real cluster's. */
export const EMULATED_ORGANIZATION = "Redis Enterprise Cluster (emulated)";

const MS_PER_SECOND = 1000;
/** Milliseconds in one day. */
export const MS_PER_DAY = 86_400_000;

/** X.509 times have one-second precision: the instant a certificate made at `epochMs` can state. */
export function truncateToSecond(epochMs: number): number {
  return Math.floor(epochMs / MS_PER_SECOND) * MS_PER_SECOND;
}

/** Validity window [now, now + days] in whole seconds, so notAfter - notBefore is exactly `days` days. */
export function validityWindow(nowMs: number, days: number): { notBefore: Date; notAfter: Date } {
  const notBefore = truncateToSecond(nowMs);
  return { notBefore: new Date(notBefore), notAfter: new Date(notBefore + Math.round(days * 86_400) * MS_PER_SECOND) };
}

/**
 * A random positive serial of 128 bits (CA/B Forum asks for at least 64 random bits). The top bit is cleared
 * so the DER INTEGER stays positive, and the next one set so it stays 16 bytes without a leading zero byte.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString("hex");
}

/** The signing half of the CA: its certificate (for issuer name and key identifier) and its private key. */
export interface CaSigner {
  certificate: forge.pki.Certificate;
  privateKey: KeyObject;
  /** Subject key identifier of the CA (binary string), written into each leaf's authorityKeyIdentifier. */
  subjectKeyIdentifier: string;
}

/** Build the signing half from the CA's PEMs. */
export function caSignerFromPem(certPem: string, keyPem: string): CaSigner {
  const certificate = forge.pki.certificateFromPem(certPem);
  return {
    certificate,
    privateKey: createPrivateKey(keyPem),
    subjectKeyIdentifier: certificate.generateSubjectKeyIdentifier().getBytes(),
  };
}

/** What a leaf certificate says: subject, names it is valid for, and what it may be used for. */
export interface LeafProfile {
  commonName: string;
  organizationalUnit: string;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  serverAuth: boolean;
  clientAuth: boolean;
}

// node-forge exports getTBSCertificate at run time; its type declarations miss it.
const forgePki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
};

/**
 * Sign with Node's native RSA (PKCS#1 v1.5, SHA-256) instead of node-forge's pure-JS one: the result is
 * the same bytes forge's cert.sign() would produce, at a twentieth of the cost (about 1 ms, not 20 ms).
 */
function signSha256Rsa(cert: forge.pki.Certificate, privateKey: KeyObject): string {
  const algorithmOid = forge.pki.oids["sha256WithRSAEncryption"];
  cert.signatureOid = algorithmOid;
  cert.siginfo.algorithmOid = algorithmOid;
  cert.tbsCertificate = forgePki.getTBSCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), "binary");
  cert.signature = sign("sha256", tbsDer, privateKey).toString("binary");
  return forge.pki.certificateToPem(cert);
}

function newCertificate(publicKeyPem: string, serialHex: string, notBefore: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = serialHex;
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return cert;
}

/** A self-signed CA certificate (PEM): CA:true critical with path length 0, keyCertSign and cRLSign. */
export function buildCaCertificate(args: {
  commonName: string;
  publicKeyPem: string;
  privateKey: KeyObject;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}): string {
  const cert = newCertificate(args.publicKeyPem, args.serialHex, args.notBefore, args.notAfter);
  const subject: forge.pki.CertificateField[] = [
    { shortName: "CN", value: args.commonName },
    { shortName: "O", value: EMULATED_ORGANIZATION },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    // Path length 0: this CA signs node certificates only, never another CA.
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  return signSha256Rsa(cert, args.privateKey);
}

/** A leaf certificate (PEM) signed by the CA, for the given profile and public key. */
export function buildLeafCertificate(args: {
  ca: CaSigner;
  profile: LeafProfile;
  publicKeyPem: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}): string {
  const { ca, profile } = args;
  const cert = newCertificate(args.publicKeyPem, args.serialHex, args.notBefore, args.notAfter);
  cert.setSubject([
    { shortName: "CN", value: profile.commonName },
    { shortName: "O", value: EMULATED_ORGANIZATION },
    { shortName: "OU", value: profile.organizationalUnit },
  ]);
  cert.setIssuer(ca.certificate.subject.attributes);
  const altNames = [
    ...profile.dnsNames.map((value) => ({ type: 2, value })), // dNSName
    ...profile.ipAddresses.map((ip) => ({ type: 7, ip })), // iPAddress
  ];
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    // RSA key exchange (TLS 1.2 RSA suites) needs keyEncipherment; ECDHE and TLS 1.3 need digitalSignature.
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: profile.serverAuth, clientAuth: profile.clientAuth },
    { name: "subjectAltName", altNames },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: ca.subjectKeyIdentifier },
  ]);
  return signSha256Rsa(cert, ca.privateKey);
}
