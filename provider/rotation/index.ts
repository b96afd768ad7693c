// The CertificateRotation resource's pure logic; certificate parsing is in provider/certificates.ts.
export * from "./logic";
