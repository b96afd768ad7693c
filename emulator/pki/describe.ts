/** Facts about one X.509 certificate, as the provider and tests report them. */
export interface CertificateDescription {
  subjectCommonName: string;
  issuerCommonName: string;
  /** Serial number, hex, lower case, without leading zero bytes. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER encoding, hex, lower case, no colons. */
  fingerprintSha256: string;
}

/** Parse a PEM certificate into the facts the provider and tests need (node-forge). */
export function describeCertificate(pem: string): CertificateDescription {
  void pem;
  throw new Error("describeCertificate: not implemented yet");
}
