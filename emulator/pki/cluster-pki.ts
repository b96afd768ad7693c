import { CertificateError } from "./errors";
import type { CertificateName } from "./names";

/** One cluster node as the PKI sees it. `address` is an IPv4 literal; both go into certificate SANs. */
export interface PkiNode {
  uid: number;
  address: string;
  hostname: string;
}

/** One certificate currently installed on one node (with its private key: emulator state only). */
export interface IssuedCertificate {
  name: CertificateName;
  nodeUid: number;
  certPem: string;
  keyPem: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the certificate DER, hex, lower case, no colons. */
  fingerprintSha256: string;
  subjectCommonName: string;
  issuerCommonName: string;
  /** Uploaded through PUT /v1/cluster/certificates (or update_cert); never rotated automatically. */
  customerProvided: boolean;
}

/** Options of a new cluster PKI. */
export interface ClusterPkiOptions {
  /** Cluster FQDN; goes into the CA and leaf subjects. */
  clusterName: string;
  /** Virtual clock, epoch milliseconds. */
  now: () => number;
  /** Validity of internal certificates in days, default 90 (45 reproduces the 6.2.4-era behaviour). */
  validityDays?: number;
  /** Validity of the CA certificate in days, default 3650. */
  caValidityDays?: number;
  /** RSA modulus size of every generated key, default 2048. */
  keyBits?: number;
}

/** One stored certificate in a snapshot. */
export type PkiCertificateSnapshot = {
  name: CertificateName;
  nodeUid: number;
  certPem: string;
  keyPem: string;
  customerProvided: boolean;
};

/** The whole PKI state as plain JSON (includes private keys: emulator state files only, never logs). */
export type PkiSnapshot = {
  format: 1;
  clusterName: string;
  validityDays: number;
  caValidityDays: number;
  keyBits: number;
  ca: { certPem: string; keyPem: string };
  nodes: PkiNode[];
  certificates: PkiCertificateSnapshot[];
  /** API server credentials per node uid (see ClusterPki.apiServerCredentials). */
  apiServer: Array<{ node: PkiNode; certPem: string; keyPem: string }>;
};

function notImplemented(what: string): never {
  throw new Error(`ClusterPki.${what}: not implemented yet`);
}

/** A cluster's private CA and the certificates of its nodes. */
export class ClusterPki {
  /** The CA certificate, PEM. Trust it to verify every node's API. */
  readonly caCertPem: string = "";
  /** SHA-256 of the CA certificate DER, hex, lower case, no colons. */
  readonly caFingerprintSha256: string = "";
  /** Validity of internal certificates issued from now on, in days. */
  validityDays = 90;

  private constructor() {}

  /** Create a new CA for a cluster (no nodes yet). */
  static async create(options: ClusterPkiOptions): Promise<ClusterPki> {
    void options;
    return notImplemented("create");
  }

  /** Restore a PKI from a snapshot made by toJSON(), with the given virtual clock. */
  static fromJSON(json: PkiSnapshot, now: () => number): ClusterPki {
    void json;
    void now;
    return notImplemented("fromJSON");
  }

  /** Plain JSON of the whole state, private keys included (emulator state file only). */
  toJSON(): PkiSnapshot {
    return notImplemented("toJSON");
  }

  /**
   * The HTTPS server certificate+key for one node's REST API: serverAuth EKU, SAN = node IP + hostname +
   * "localhost" + 127.0.0.1. Signed by the CA, so the CA PEM verifies every node's API.
   */
  async apiServerCredentials(node: PkiNode): Promise<{ certPem: string; keyPem: string }> {
    void node;
    return notImplemented("apiServerCredentials");
  }

  /** Issue the full internal set for a node (called at bootstrap/join). */
  async addNode(node: PkiNode): Promise<void> {
    void node;
    return notImplemented("addNode");
  }

  /** Forget a node and its certificates. */
  removeNode(nodeUid: number): void {
    void nodeUid;
    notImplemented("removeNode");
  }

  /** The nodes that hold certificates, by ascending uid. */
  nodes(): PkiNode[] {
    return notImplemented("nodes");
  }

  /** All current certificates, optionally of one node. */
  certificates(nodeUid?: number): IssuedCertificate[] {
    void nodeUid;
    return notImplemented("certificates");
  }

  /** GET /v1/cluster/certificates: the flat `<name>_cert` / `<name>_key` map (omit empty), from the master. */
  flatMap(): Record<string, string> {
    return notImplemented("flatMap");
  }

  /** POST /v1/cluster/certificates/rotate: all internal certificates on every node, or only `name`. */
  async rotate(name?: string): Promise<IssuedCertificate[]> {
    void name;
    return notImplemented("rotate");
  }

  /** The automatic job: rotate every CA-signed, non-customer certificate with fewer than `days` days left. */
  async rotateDue(expiryDaysBeforeRotation = 60): Promise<IssuedCertificate[]> {
    void expiryDaysBeforeRotation;
    return notImplemented("rotateDue");
  }

  /** PUT /v1/cluster/certificates and PUT /v1/cluster/update_cert: validate all, then apply to every node. */
  replace(items: Array<{ name: string; certificate: string; key?: string }>): void {
    void items;
    void CertificateError;
    notImplemented("replace");
  }

  /** DELETE /v1/cluster/certificates/{name}: 404 unknown name, 403 for a required (internal) one. */
  delete(name: string): void {
    void name;
    notImplemented("delete");
  }

  /** Days until the soonest expiry among internal certificates of all nodes (float), and per name. */
  daysToExpiry(): { soonest: number; byName: Record<string, number> } {
    return notImplemented("daysToExpiry");
  }
}
