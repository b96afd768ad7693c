// Test certificates: a self-signed RSA certificate made with node-forge (the customer-provided kind), and chain
// verification against the cluster CA.
import { generateKeyPairSync } from "node:crypto";
import forge from "node-forge";

export function selfSigned(commonName: string, notBefore: Date, notAfter: Date, clientAuth = false): { certPem: string; keyPem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = "0a1b2c3d4e5f";
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const subject = [{ name: "commonName", value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const extensions: object[] = [{ name: "basicConstraints", cA: false }];
  if (clientAuth) extensions.push({ name: "extKeyUsage", serverAuth: true, clientAuth: true });
  cert.setExtensions(extensions);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** True when `certPem` chains to `caPem` (node-forge verification, at `at`). */
export function verifiesTo(certPem: string, caPem: string, at: Date): boolean {
  const store = forge.pki.createCaStore([caPem]);
  const cert = forge.pki.certificateFromPem(certPem);
  return forge.pki.verifyCertificateChain(store, [cert], { validityCheckDate: at });
}

export function serialOf(certPem: string): string {
  return forge.pki.certificateFromPem(certPem).serialNumber;
}

export function validityOf(certPem: string): { notBefore: Date; notAfter: Date } {
  const cert = forge.pki.certificateFromPem(certPem);
  return { notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
}
