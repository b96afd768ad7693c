import { X509Certificate, createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { isIPv4 } from "node:net";
// A namespace import, not a default one: the declaration files import it too, and a consumer without
// esModuleInterop (the Pulumi template) cannot default-import node-forge (TS1192).
import * as forge from "node-forge";
import {
  type CertificateDescription,
  certificateDersFromPem,
  describeForgeCertificate,
  parseCertificateDer,
} from "./describe";
import { CertificateError } from "./errors";
import { assertKeyBits, takeRsaKeyPair, type RsaKeyPairPem } from "./keys";
import {
  type CertificateName,
  INTERNAL_CERTIFICATE_NAMES,
  type InternalCertificateName,
  OPTIONAL_CERTIFICATE_NAMES,
  isCertificateName,
  isInternalCertificateName,
} from "./names";
import {
  type CaSigner,
  type LeafProfile,
  MS_PER_DAY,
  buildCaCertificate,
  buildLeafCertificate,
  caSignerFromPem,
  randomSerialHex,
  truncateToSecond,
  validityWindow,
} from "./x509";

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
  /** PKCS#8 PEM; "" for the certificates that have no key (mtls_trusted_ca, sso_issuer). */
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
  /** RSA modulus size of every generated key, default 2048 (1024 makes test clusters ~20x cheaper). */
  keyBits?: number;
}

/** A certificate with its key as stored in a snapshot. */
export type PkiCertificateSnapshot = { certPem: string; keyPem: string };

/** The whole PKI state as plain JSON (includes private keys: emulator state files only, never logs). */
export type PkiSnapshot = {
  format: 1;
  clusterName: string;
  validityDays: number;
  caValidityDays: number;
  keyBits: number;
  ca: PkiCertificateSnapshot;
  nodes: PkiNode[];
  /** CA-signed internal certificates, per node and name. */
  issued: Array<PkiCertificateSnapshot & { nodeUid: number; name: InternalCertificateName }>;
  /** Customer uploads; cluster-wide, every node uses them. keyPem "" for mtls_trusted_ca and sso_issuer. */
  uploaded: Array<PkiCertificateSnapshot & { name: CertificateName }>;
  /** The HTTPS credentials of each node's REST API (see ClusterPki.apiServerCredentials). */
  apiServer: Array<PkiCertificateSnapshot & { node: PkiNode }>;
};

/** Default validity of internal certificates in days (current RS docs; the 6.2.4-era page said 45). */
export const DEFAULT_VALIDITY_DAYS = 90;
/** Default validity of the cluster CA in days. */
export const DEFAULT_CA_VALIDITY_DAYS = 3650;
/** Default RSA modulus size. */
export const DEFAULT_KEY_BITS = 2048;
/** Default of cert_rotation_job_settings.expiry_days_before_rotation (job_scheduler). */
export const DEFAULT_EXPIRY_DAYS_BEFORE_ROTATION = 60;
/**
 * Customer-provided internode-encryption certificates that were not renewed are replaced with CA-signed ones
 * this many days before they expire (RS docs, security/encryption/internode-encryption.md), so the planes
 * keep working.
 */
export const CUSTOMER_INTERNODE_FALLBACK_DAYS = 5;

const INTERNODE_NAMES: readonly InternalCertificateName[] = ["ccs_internode_encryption", "data_internode_encryption"];
/** Trust anchors only: GET /v1/cluster/certificates lists `<name>_cert` and no `<name>_key` for these. */
const KEYLESS_NAMES: ReadonlySet<CertificateName> = new Set<CertificateName>(["mtls_trusted_ca", "sso_issuer"]);

/**
 * What each internal certificate is used for. The real product does not document the extended key usages
 * of its internal certificates; these follow each service's role: servers get serverAuth, and the services
 * that also dial out with their certificate (the syncer to a source database, both internode planes, which
 * authenticate both ends) also get clientAuth, which customer internode certificates are required to carry.
 */
const INTERNAL_USAGES: Record<InternalCertificateName, { serverAuth: boolean; clientAuth: boolean }> = {
  api: { serverAuth: true, clientAuth: false },
  cm: { serverAuth: true, clientAuth: false },
  proxy: { serverAuth: true, clientAuth: false },
  syncer: { serverAuth: true, clientAuth: true },
  metrics_exporter: { serverAuth: true, clientAuth: false },
  ccs_internode_encryption: { serverAuth: true, clientAuth: true },
  data_internode_encryption: { serverAuth: true, clientAuth: true },
};

const HOSTNAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A certificate as held in memory, with its facts parsed once. */
interface StoredCertificate {
  name: CertificateName;
  certPem: string;
  keyPem: string;
  facts: CertificateDescription;
  customerProvided: boolean;
}

/** A rotation to perform: the certificate expected in place when the new one is installed. */
interface RotationTarget {
  nodeUid: number;
  name: InternalCertificateName;
  previous: StoredCertificate | undefined;
}

/** Names go into error messages; cap them so a hostile body cannot flood logs. */
function quoted(name: unknown): string {
  const text = typeof name === "string" ? name : JSON.stringify(name) ?? String(name);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}

function assertPositiveDays(what: string, days: number): void {
  if (typeof days !== "number" || !Number.isFinite(days) || days <= 0) {
    throw new RangeError(`${what} must be a positive number of days, got ${days}`);
  }
}

function readClock(now: () => number): number {
  const value = now();
  if (!Number.isFinite(value)) {
    throw new Error(`the PKI clock returned ${value}; it must return epoch milliseconds`);
  }
  return value;
}

/** Throws CertificateError(400) unless the node can be written into certificates. */
function assertValidNode(node: PkiNode): void {
  if (!Number.isInteger(node.uid) || node.uid < 1) {
    throw new CertificateError(400, "invalid_node", `node uid must be a positive integer, got ${node.uid}`);
  }
  if (!isIPv4(node.address)) {
    throw new CertificateError(400, "invalid_node", `node ${node.uid}: address ${quoted(node.address)} is not an IPv4 literal`);
  }
  if (node.hostname.length > 253 || !HOSTNAME_PATTERN.test(node.hostname)) {
    throw new CertificateError(400, "invalid_node", `node ${node.uid}: hostname ${quoted(node.hostname)} is not a valid DNS name`);
  }
}

function copyNode(node: PkiNode): PkiNode {
  return { uid: node.uid, address: node.address, hostname: node.hostname };
}

/** The SANs a node's REST API answers on: its IP and hostname, plus the loopback names local tools use. */
function apiSubjectAltNames(node: PkiNode): Pick<LeafProfile, "dnsNames" | "ipAddresses"> {
  const dnsNames = node.hostname === "localhost" ? ["localhost"] : [node.hostname, "localhost"];
  const ipAddresses = node.address === "127.0.0.1" ? ["127.0.0.1"] : [node.address, "127.0.0.1"];
  return { dnsNames, ipAddresses };
}

/** Wrap a certificate we hold (snapshot, upload or freshly issued), its facts parsed once. */
function storedFromPem(name: CertificateName, certPem: string, keyPem: string, customerProvided: boolean): StoredCertificate {
  const [leafDer] = certificateDersFromPem(certPem);
  return { name, certPem, keyPem, facts: describeForgeCertificate(parseCertificateDer(leafDer), leafDer), customerProvided };
}

function toIssued(stored: StoredCertificate, nodeUid: number): IssuedCertificate {
  return {
    name: stored.name,
    nodeUid,
    certPem: stored.certPem,
    keyPem: stored.keyPem,
    serialHex: stored.facts.serialHex,
    notBefore: new Date(stored.facts.notBefore.getTime()),
    notAfter: new Date(stored.facts.notAfter.getTime()),
    fingerprintSha256: stored.facts.fingerprintSha256,
    subjectCommonName: stored.facts.subjectCommonName,
    issuerCommonName: stored.facts.issuerCommonName,
    customerProvided: stored.customerProvided,
  };
}

/** A cluster's private CA and the certificates of its nodes. All times come from the virtual clock. */
export class ClusterPki {
  /** The CA certificate, PEM. Trust it to verify every node's API. */
  readonly caCertPem: string;
  /** SHA-256 of the CA certificate DER, hex, lower case, no colons. */
  readonly caFingerprintSha256: string;
  /** Cluster FQDN written into the subjects. */
  readonly clusterName: string;
  /** RSA modulus size of every key this PKI generates. */
  readonly keyBits: number;
  /** Validity of the CA certificate in days (kept for the snapshot). */
  readonly caValidityDays: number;

  private readonly now: () => number;
  private readonly caExpiresAt: number;
  private readonly caKeyPem: string;
  private readonly ca: CaSigner;
  private currentValidityDays: number;
  private readonly nodeTable = new Map<number, PkiNode>();
  /**
   * Nodes whose addNode is waiting for keys, with a token per call: removeNode cancels by deleting the entry,
   * and a later addNode for the same uid gets a new token, so the stale call cannot install its certificates.
   */
  private readonly joining = new Map<number, symbol>();
  private readonly issued = new Map<number, Map<InternalCertificateName, StoredCertificate>>();
  private readonly uploaded = new Map<CertificateName, StoredCertificate>();
  private readonly apiServer = new Map<number, { node: PkiNode; stored: StoredCertificate }>();
  private readonly apiServerInFlight = new Map<string, Promise<{ certPem: string; keyPem: string }>>();

  private constructor(args: {
    clusterName: string;
    now: () => number;
    validityDays: number;
    caValidityDays: number;
    keyBits: number;
    caCertPem: string;
    caKeyPem: string;
  }) {
    this.clusterName = args.clusterName;
    this.now = args.now;
    this.currentValidityDays = args.validityDays;
    this.caValidityDays = args.caValidityDays;
    this.keyBits = args.keyBits;
    this.caCertPem = args.caCertPem;
    this.caKeyPem = args.caKeyPem;
    this.ca = caSignerFromPem(args.caCertPem, args.caKeyPem);
    const [caDer] = certificateDersFromPem(args.caCertPem);
    const caFacts = describeForgeCertificate(this.ca.certificate, caDer);
    this.caFingerprintSha256 = caFacts.fingerprintSha256;
    this.caExpiresAt = caFacts.notAfter.getTime();
  }

  /** Expiry of the CA certificate (for the cluster_ca_cert_about_to_expire alert). */
  get caNotAfter(): Date {
    return new Date(this.caExpiresAt);
  }

  /** Create a new CA for a cluster (no nodes yet). */
  static async create(options: ClusterPkiOptions): Promise<ClusterPki> {
    const clusterName = options.clusterName;
    if (typeof clusterName !== "string" || clusterName.length > 253 || !HOSTNAME_PATTERN.test(clusterName)) {
      throw new RangeError(`clusterName must be an FQDN, got ${quoted(clusterName)}`);
    }
    const validityDays = options.validityDays ?? DEFAULT_VALIDITY_DAYS;
    const caValidityDays = options.caValidityDays ?? DEFAULT_CA_VALIDITY_DAYS;
    const keyBits = options.keyBits ?? DEFAULT_KEY_BITS;
    assertPositiveDays("validityDays", validityDays);
    assertPositiveDays("caValidityDays", caValidityDays);
    assertKeyBits(keyBits);
    const keys = await takeRsaKeyPair(keyBits);
    // TLS peers check the CA against the wall clock, the emulator against the virtual one: start the CA at
    // the earlier of the two so it is valid for both (they are equal unless the clock was set back).
    const { notBefore, notAfter } = validityWindow(Math.min(readClock(options.now), Date.now()), caValidityDays);
    const caCertPem = buildCaCertificate({
      commonName: `${clusterName} internal CA`,
      publicKeyPem: keys.publicKeyPem,
      privateKey: createPrivateKey(keys.privateKeyPem),
      serialHex: randomSerialHex(),
      notBefore,
      notAfter,
    });
    return new ClusterPki({
      clusterName,
      now: options.now,
      validityDays,
      caValidityDays,
      keyBits,
      caCertPem,
      caKeyPem: keys.privateKeyPem,
    });
  }

  /** Restore a PKI from a snapshot made by toJSON(), with the given virtual clock. Throws on a corrupt one. */
  static fromJSON(json: PkiSnapshot, now: () => number): ClusterPki {
    if (json === null || typeof json !== "object" || json.format !== 1) {
      throw new Error("PKI snapshot: unsupported format (expected format 1, written by ClusterPki.toJSON)");
    }
    for (const list of ["nodes", "issued", "uploaded", "apiServer"] as const) {
      if (!Array.isArray(json[list])) {
        throw new Error(`PKI snapshot: "${list}" must be an array (the file was not written by ClusterPki.toJSON)`);
      }
    }
    if (json.ca === null || typeof json.ca !== "object") {
      throw new Error('PKI snapshot: "ca" is missing');
    }
    let pki: ClusterPki;
    try {
      pki = new ClusterPki({
        clusterName: json.clusterName,
        now,
        validityDays: json.validityDays,
        caValidityDays: json.caValidityDays,
        keyBits: json.keyBits,
        caCertPem: json.ca.certPem,
        caKeyPem: json.ca.keyPem,
      });
      if (!new X509Certificate(json.ca.certPem).checkPrivateKey(createPrivateKey(json.ca.keyPem))) {
        throw new Error("the key does not belong to the certificate");
      }
    } catch (error) {
      throw new Error(`PKI snapshot: the CA cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
    assertPositiveDays("PKI snapshot validityDays", json.validityDays);
    assertPositiveDays("PKI snapshot caValidityDays", json.caValidityDays);
    assertKeyBits(json.keyBits);
    const load = (what: string, name: CertificateName, entry: PkiCertificateSnapshot, customer: boolean) => {
      try {
        const stored = storedFromPem(name, entry.certPem, entry.keyPem, customer);
        if (entry.keyPem !== "" && !new X509Certificate(entry.certPem).checkPrivateKey(createPrivateKey(entry.keyPem))) {
          throw new Error("the key does not belong to the certificate");
        }
        return stored;
      } catch (error) {
        throw new Error(`PKI snapshot: ${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    for (const node of json.nodes) {
      assertValidNode(node);
      pki.nodeTable.set(node.uid, copyNode(node));
      pki.issued.set(node.uid, new Map());
    }
    for (const entry of json.issued) {
      const set = pki.issued.get(entry.nodeUid);
      if (!set || !isInternalCertificateName(entry.name)) {
        throw new Error(`PKI snapshot: issued certificate ${quoted(entry.name)} of node ${entry.nodeUid} has no such node or name`);
      }
      set.set(entry.name, load(`certificate ${entry.name} of node ${entry.nodeUid}`, entry.name, entry, false));
    }
    for (const entry of json.uploaded) {
      if (!isCertificateName(entry.name)) {
        throw new Error(`PKI snapshot: uploaded certificate has an unknown name ${quoted(entry.name)}`);
      }
      pki.uploaded.set(entry.name, load(`uploaded certificate ${entry.name}`, entry.name, entry, true));
    }
    for (const entry of json.apiServer) {
      assertValidNode(entry.node);
      pki.apiServer.set(entry.node.uid, {
        node: copyNode(entry.node),
        stored: load(`API server certificate of node ${entry.node.uid}`, "api", entry, false),
      });
    }
    const missing = pki.missingCertificates();
    if (missing.length > 0) {
      const list = missing.map((m) => `${m.name} on node ${m.nodeUid}`).join(", ");
      throw new Error(`PKI snapshot: incomplete, no certificate for ${list}`);
    }
    return pki;
  }

  /** Plain JSON of the whole state, private keys included (emulator state file only). */
  toJSON(): PkiSnapshot {
    const issued: PkiSnapshot["issued"] = [];
    for (const uid of this.sortedUids()) {
      for (const stored of this.issued.get(uid)?.values() ?? []) {
        if (isInternalCertificateName(stored.name)) {
          issued.push({ nodeUid: uid, name: stored.name, certPem: stored.certPem, keyPem: stored.keyPem });
        }
      }
    }
    return {
      format: 1,
      clusterName: this.clusterName,
      validityDays: this.currentValidityDays,
      caValidityDays: this.caValidityDays,
      keyBits: this.keyBits,
      ca: { certPem: this.caCertPem, keyPem: this.caKeyPem },
      nodes: this.nodes(),
      issued,
      uploaded: [...this.uploaded.values()].map((s) => ({ name: s.name, certPem: s.certPem, keyPem: s.keyPem })),
      apiServer: [...this.apiServer.values()].map((a) => ({
        node: copyNode(a.node),
        certPem: a.stored.certPem,
        keyPem: a.stored.keyPem,
      })),
    };
  }

  /** Validity in days of internal certificates issued from now on (existing ones keep theirs). */
  get validityDays(): number {
    return this.currentValidityDays;
  }

  set validityDays(days: number) {
    assertPositiveDays("validityDays", days);
    this.currentValidityDays = days;
  }

  /**
   * The HTTPS server certificate+key for one node's REST API: serverAuth EKU, SAN = node IP + hostname +
   * "localhost" + 127.0.0.1. Signed by the CA, so the CA PEM verifies every node's API.
   *
   * This is deliberately not the node's `api` certificate from the internal set: TLS clients check the
   * served certificate against the wall clock, while the internal set follows the virtual clock (after the
   * clock is advanced and the set rotated, its notBefore lies in the real future). So this one is valid from
   * the earlier of the two clocks until the CA expires, is issued once per node (same answer on every call
   * while the node's address and hostname stay the same) and is kept in the snapshot.
   */
  async apiServerCredentials(node: PkiNode): Promise<{ certPem: string; keyPem: string }> {
    assertValidNode(node);
    const cached = this.apiServer.get(node.uid);
    if (cached && cached.node.address === node.address && cached.node.hostname === node.hostname) {
      return { certPem: cached.stored.certPem, keyPem: cached.stored.keyPem };
    }
    // Concurrent calls for the same node share one issuance instead of minting two certificates.
    const flightKey = `${node.uid}|${node.address}|${node.hostname}`;
    const inFlight = this.apiServerInFlight.get(flightKey);
    if (inFlight) {
      return inFlight;
    }
    const issuing = this.issueApiServerCredentials(copyNode(node)).finally(() => this.apiServerInFlight.delete(flightKey));
    this.apiServerInFlight.set(flightKey, issuing);
    return issuing;
  }

  private async issueApiServerCredentials(node: PkiNode): Promise<{ certPem: string; keyPem: string }> {
    const keys = await takeRsaKeyPair(this.keyBits);
    const notBefore = truncateToSecond(Math.min(readClock(this.now), Date.now()));
    if (notBefore >= this.caNotAfter.getTime()) {
      throw new Error(`cluster ${this.clusterName}: the CA expired on ${this.caNotAfter.toISOString()}; create a new cluster PKI`);
    }
    const certPem = buildLeafCertificate({
      ca: this.ca,
      profile: {
        commonName: `api.${node.hostname}`,
        organizationalUnit: this.clusterName,
        ...apiSubjectAltNames(node),
        serverAuth: true,
        clientAuth: false,
      },
      publicKeyPem: keys.publicKeyPem,
      serialHex: randomSerialHex(),
      notBefore: new Date(notBefore),
      notAfter: new Date(this.caNotAfter.getTime()),
    });
    const stored = storedFromPem("api", certPem, keys.privateKeyPem, false);
    this.apiServer.set(node.uid, { node, stored });
    return { certPem, keyPem: keys.privateKeyPem };
  }

  /**
   * Issue the full internal set for a node (called at bootstrap/join). Names the customer replaced
   * cluster-wide use the customer's certificate instead. Throws CertificateError 409 when the uid is taken.
   */
  async addNode(node: PkiNode): Promise<void> {
    assertValidNode(node);
    if (this.nodeTable.has(node.uid) || this.joining.has(node.uid)) {
      throw new CertificateError(409, "node_exists", `node ${node.uid} already has certificates; remove it first to re-issue them`);
    }
    const names = INTERNAL_CERTIFICATE_NAMES.filter((name) => !this.uploaded.has(name));
    const token = Symbol(`join of node ${node.uid}`);
    this.joining.set(node.uid, token);
    let keys: RsaKeyPairPem[];
    try {
      keys = await Promise.all(names.map(() => takeRsaKeyPair(this.keyBits)));
    } catch (error) {
      if (this.joining.get(node.uid) === token) {
        this.joining.delete(node.uid);
      }
      throw error;
    }
    if (this.joining.get(node.uid) !== token) {
      return; // removeNode() ran while the keys were being generated: this join was cancelled.
    }
    this.joining.delete(node.uid);
    const copy = copyNode(node);
    this.nodeTable.set(copy.uid, copy);
    const set = new Map<InternalCertificateName, StoredCertificate>();
    this.issued.set(copy.uid, set);
    names.forEach((name, index) => {
      if (!this.uploaded.has(name)) {
        set.set(name, this.issueInternal(copy, name, keys[index]));
      }
    });
    this.fillMissingCertificates();
  }

  /** Forget a node, its certificates and its API credentials (also cancels a pending addNode). No-op if unknown. */
  removeNode(nodeUid: number): void {
    this.joining.delete(nodeUid);
    this.nodeTable.delete(nodeUid);
    this.issued.delete(nodeUid);
    this.apiServer.delete(nodeUid);
  }

  /** The nodes that hold certificates, by ascending uid (copies). */
  nodes(): PkiNode[] {
    return this.sortedUids().map((uid) => copyNode(this.nodeTable.get(uid) as PkiNode));
  }

  /**
   * All current certificates, optionally of one node ([] for an unknown node): per node by ascending uid,
   * the seven internal ones in INTERNAL_CERTIFICATE_NAMES order, then the uploaded optional ones (which
   * apply to every node).
   */
  certificates(nodeUid?: number): IssuedCertificate[] {
    const uids = nodeUid === undefined ? this.sortedUids() : this.nodeTable.has(nodeUid) ? [nodeUid] : [];
    const result: IssuedCertificate[] = [];
    for (const uid of uids) {
      for (const name of [...INTERNAL_CERTIFICATE_NAMES, ...OPTIONAL_CERTIFICATE_NAMES]) {
        const stored = this.effective(uid, name);
        if (stored) {
          result.push(toIssued(stored, uid));
        }
      }
    }
    return result;
  }

  /**
   * GET /v1/cluster/certificates: the flat `<name>_cert` / `<name>_key` map (omit empty); private keys
   * included as the real API does. The internal certificates are taken from the lowest-uid node, which the
   * emulator treats as the master: the real endpoint answers with one set for the whole cluster.
   */
  flatMap(): Record<string, string> {
    const master = this.sortedUids()[0];
    const map: Record<string, string> = {};
    for (const name of [...INTERNAL_CERTIFICATE_NAMES, ...OPTIONAL_CERTIFICATE_NAMES]) {
      const stored = master === undefined ? this.uploaded.get(name) : this.effective(master, name);
      if (stored) {
        map[`${name}_cert`] = stored.certPem;
        if (stored.keyPem !== "") {
          map[`${name}_key`] = stored.keyPem;
        }
      }
    }
    return map;
  }

  /**
   * POST /v1/cluster/certificates/rotate: all internal certificates on every node, or only `name`.
   *
   * Every rotated certificate gets a new key pair, a new serial and validity [now, now + validityDays]:
   * rotation is what limits the damage of a leaked key, which renewing the dates alone would not.
   * Customer-provided certificates are left alone (the real API's answer for them is undocumented;
   * regenerating would silently discard the customer's certificate). Returns what was rotated.
   * Throws CertificateError(403, "unsupported_certificate") for a name that is not an internal one: the
   * docs give 403 "Unsupported internal certificate rotation" and no error_code, so the code is ours.
   */
  async rotate(name?: string): Promise<IssuedCertificate[]> {
    if (name !== undefined && !isInternalCertificateName(name)) {
      const kind = isCertificateName(name) ? "an optional certificate, which is uploaded, not generated" : "not a certificate name";
      throw new CertificateError(
        403,
        "unsupported_certificate",
        `cannot rotate ${quoted(name)}: it is ${kind}; rotation supports only ${INTERNAL_CERTIFICATE_NAMES.join(", ")}`,
      );
    }
    const names = name === undefined ? INTERNAL_CERTIFICATE_NAMES : [name];
    const targets: RotationTarget[] = [];
    for (const uid of this.sortedUids()) {
      for (const n of names) {
        if (!this.uploaded.has(n)) {
          targets.push({ nodeUid: uid, name: n, previous: this.issued.get(uid)?.get(n) });
        }
      }
    }
    return this.reissue(targets);
  }

  /**
   * The automatic job: rotate every CA-signed, non-customer certificate with fewer than `days` days left.
   * Also replaces a customer-provided internode-encryption certificate with CA-signed ones once fewer than
   * CUSTOMER_INTERNODE_FALLBACK_DAYS days are left (documented RS behaviour). Returns what was rotated
   * (empty when nothing was due).
   */
  async rotateDue(expiryDaysBeforeRotation: number = DEFAULT_EXPIRY_DAYS_BEFORE_ROTATION): Promise<IssuedCertificate[]> {
    assertPositiveDays("expiryDaysBeforeRotation", expiryDaysBeforeRotation);
    const now = readClock(this.now);
    const targets: RotationTarget[] = [];
    for (const uid of this.sortedUids()) {
      for (const stored of this.issued.get(uid)?.values() ?? []) {
        const daysLeft = (stored.facts.notAfter.getTime() - now) / MS_PER_DAY;
        if (isInternalCertificateName(stored.name) && daysLeft < expiryDaysBeforeRotation) {
          targets.push({ nodeUid: uid, name: stored.name, previous: stored });
        }
      }
    }
    const rotated = await this.reissue(targets);
    rotated.push(...(await this.replaceExpiringInternodeUploads()));
    return rotated;
  }

  /**
   * Customer internode-encryption certificates with fewer than CUSTOMER_INTERNODE_FALLBACK_DAYS days left
   * give way to CA-signed ones on every node (they become rotatable again).
   */
  private async replaceExpiringInternodeUploads(): Promise<IssuedCertificate[]> {
    const expiring = () =>
      INTERNODE_NAMES.filter((name) => {
        const upload = this.uploaded.get(name);
        const daysLeft = upload && (upload.facts.notAfter.getTime() - readClock(this.now)) / MS_PER_DAY;
        return daysLeft !== undefined && daysLeft < CUSTOMER_INTERNODE_FALLBACK_DAYS;
      });
    const names = expiring();
    if (names.length === 0) {
      return [];
    }
    const jobs = this.sortedUids().flatMap((uid) => names.map((name) => ({ uid, name })));
    const keys = await Promise.all(jobs.map(() => takeRsaKeyPair(this.keyBits)));
    // Check again after the await: a fresh upload made meanwhile wins over the fallback.
    const stillExpiring = new Set(expiring());
    for (const name of stillExpiring) {
      this.uploaded.delete(name);
    }
    const replaced: IssuedCertificate[] = [];
    jobs.forEach((job, index) => {
      const node = this.nodeTable.get(job.uid);
      const set = this.issued.get(job.uid);
      if (node && set && stillExpiring.has(job.name)) {
        const stored = this.issueInternal(node, job.name, keys[index]);
        set.set(job.name, stored);
        replaced.push(toIssued(stored, job.uid));
      }
    });
    this.fillMissingCertificates(); // nodes that joined during the await
    return replaced;
  }

  /**
   * PUT /v1/cluster/certificates and the deprecated PUT /v1/cluster/update_cert: validate ALL first
   * (PEM parses: 400 "invalid_certificate"; unknown name: 403; expired per the virtual clock: 406
   * "certificate_expired"; key does not match certificate: 400), then apply to every node; customer
   * provided ones are flagged and never auto-rotated.
   *
   * The first failing item decides the answer and nothing is applied. Error codes other than
   * invalid_certificate and certificate_expired are not documented and are ours: unknown_certificate (403),
   * missing_key, invalid_key, unexpected_key, certificate_key_mismatch, duplicate_certificate,
   * missing_certificates (400). The certificate text may carry its chain (leaf first); it is stored as given.
   * Internode-encryption certificates must carry the TLS Web Client Authentication usage (documented
   * requirement). Only RSA certificates are accepted (node-forge parses nothing else; internode ones must be
   * RSA anyway).
   */
  replace(items: Array<{ name: string; certificate: string; key?: string }>): void {
    if (!Array.isArray(items) || items.length === 0) {
      throw new CertificateError(400, "missing_certificates", "no certificates given: send at least one {name, certificate, key}");
    }
    const now = readClock(this.now);
    const seen = new Set<string>();
    const accepted = items.map((item) => {
      const stored = this.validateUpload(item, now);
      if (seen.has(stored.name)) {
        throw new CertificateError(400, "duplicate_certificate", `certificate ${quoted(stored.name)} appears more than once in one request`);
      }
      seen.add(stored.name);
      return stored;
    });
    for (const stored of accepted) {
      this.uploaded.set(stored.name, stored);
      if (isInternalCertificateName(stored.name)) {
        for (const set of this.issued.values()) {
          set.delete(stored.name);
        }
      }
    }
  }

  private validateUpload(item: { name: string; certificate: string; key?: string }, now: number): StoredCertificate {
    const name: unknown = item?.name;
    if (typeof name !== "string" || !isCertificateName(name)) {
      throw new CertificateError(
        403,
        "unknown_certificate",
        `unknown certificate name ${quoted(name)}; known: ${[...INTERNAL_CERTIFICATE_NAMES, ...OPTIONAL_CERTIFICATE_NAMES].join(", ")}`,
      );
    }
    const invalid = (reason: string) =>
      new CertificateError(400, "invalid_certificate", `certificate ${quoted(name)}: ${reason}`);
    if (typeof item.certificate !== "string") {
      throw invalid("the certificate must be a PEM string");
    }
    let ders: string[];
    try {
      ders = certificateDersFromPem(item.certificate);
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : "not a PEM certificate");
    }
    const x509 = ders.map((der) => {
      try {
        return new X509Certificate(Buffer.from(der, "binary"));
      } catch {
        throw invalid("a certificate block is not a valid X.509 certificate");
      }
    });
    const leaf = x509[0];
    let forgeLeaf: forge.pki.Certificate;
    try {
      forgeLeaf = parseCertificateDer(ders[0]);
    } catch {
      throw invalid("the emulator accepts RSA certificates only");
    }
    if ((INTERNODE_NAMES as readonly string[]).includes(name)) {
      // node-forge decodes extKeyUsage into one `true` property per known purpose.
      const eku = forgeLeaf.getExtension("extKeyUsage") as { clientAuth?: boolean } | undefined;
      if (eku?.clientAuth !== true) {
        throw invalid("internode encryption certificates need the TLS Web Client Authentication extended key usage");
      }
    }
    const keyPem = typeof item.key === "string" ? item.key.trim() : "";
    if (KEYLESS_NAMES.has(name)) {
      if (keyPem !== "") {
        throw new CertificateError(400, "unexpected_key", `certificate ${quoted(name)} is a trust anchor and takes no private key; send it without "key"`);
      }
    } else {
      if (keyPem === "") {
        throw new CertificateError(400, "missing_key", `certificate ${quoted(name)} needs its private key in "key" (PEM)`);
      }
      let key: KeyObject;
      try {
        key = createPrivateKey(keyPem);
      } catch {
        // Never echo the key or OpenSSL's reason, which can quote it.
        throw new CertificateError(400, "invalid_key", `the key for ${quoted(name)} is not an unencrypted PEM private key`);
      }
      if (!leaf.checkPrivateKey(key)) {
        throw new CertificateError(
          400,
          "certificate_key_mismatch",
          `the key for ${quoted(name)} does not belong to its certificate (the first certificate in the PEM must be the leaf)`,
        );
      }
    }
    const facts = describeForgeCertificate(forgeLeaf, ders[0]);
    if (facts.notAfter.getTime() <= now) {
      throw new CertificateError(
        406,
        "certificate_expired",
        `certificate ${quoted(name)} (serial ${facts.serialHex}) expired on ${facts.notAfter.toISOString()}; upload a current one`,
      );
    }
    return { name, certPem: item.certificate, keyPem: KEYLESS_NAMES.has(name) ? "" : keyPem, facts, customerProvided: true };
  }

  /** DELETE /v1/cluster/certificates/{name}: 404 unknown name, 403 for a required (internal) one. */
  delete(name: string): void {
    if (!isCertificateName(name)) {
      throw new CertificateError(404, "unknown_certificate", `unknown certificate name ${quoted(name)}`);
    }
    if (isInternalCertificateName(name)) {
      throw new CertificateError(
        403,
        "required_certificate",
        `certificate ${quoted(name)} is required and cannot be deleted; replace it with PUT /v1/cluster/certificates or rotate it`,
      );
    }
    if (!this.uploaded.delete(name)) {
      throw new CertificateError(404, "certificate_not_found", `certificate ${quoted(name)} is not installed`);
    }
  }

  /**
   * Days until the soonest expiry among internal certificates of all nodes (float), and per name (the
   * soonest over nodes; uploaded optional certificates are listed too but do not count for `soonest`).
   * `soonest` is Infinity while no node holds certificates.
   */
  daysToExpiry(): { soonest: number; byName: Record<string, number> } {
    const now = readClock(this.now);
    const byName: Record<string, number> = {};
    let soonest = Number.POSITIVE_INFINITY;
    for (const certificate of this.certificates()) {
      const days = (certificate.notAfter.getTime() - now) / MS_PER_DAY;
      byName[certificate.name] = Math.min(byName[certificate.name] ?? Number.POSITIVE_INFINITY, days);
      if (isInternalCertificateName(certificate.name)) {
        soonest = Math.min(soonest, days);
      }
    }
    return { soonest, byName };
  }

  private sortedUids(): number[] {
    return [...this.nodeTable.keys()].sort((a, b) => a - b);
  }

  /** The certificate a node uses for `name`: a customer upload wins over the CA-signed one. */
  private effective(uid: number, name: CertificateName): StoredCertificate | undefined {
    const upload = this.uploaded.get(name);
    if (upload) {
      return upload;
    }
    return isInternalCertificateName(name) ? this.issued.get(uid)?.get(name) : undefined;
  }

  /** Sign a new internal certificate for a node with the given key pair; validity starts at the clock's now. */
  private issueInternal(node: PkiNode, name: InternalCertificateName, keys: RsaKeyPairPem): StoredCertificate {
    const { notBefore, notAfter } = validityWindow(readClock(this.now), this.currentValidityDays);
    const names =
      name === "api" ? apiSubjectAltNames(node) : { dnsNames: [node.hostname], ipAddresses: [node.address] };
    const certPem = buildLeafCertificate({
      ca: this.ca,
      profile: {
        commonName: `${name}.${node.hostname}`,
        organizationalUnit: this.clusterName,
        ...names,
        ...INTERNAL_USAGES[name],
      },
      publicKeyPem: keys.publicKeyPem,
      serialHex: randomSerialHex(),
      notBefore,
      notAfter,
    });
    return storedFromPem(name, certPem, keys.privateKeyPem, false);
  }

  /**
   * Generate keys for every target in parallel, then install each new certificate only if the one it
   * replaces is still in place (a concurrent rotation, upload or node removal wins), so interleaved calls
   * never lose an upload or resurrect a removed node.
   */
  private async reissue(targets: RotationTarget[]): Promise<IssuedCertificate[]> {
    const keys = await Promise.all(targets.map(() => takeRsaKeyPair(this.keyBits)));
    const rotated: IssuedCertificate[] = [];
    targets.forEach((target, index) => {
      const node = this.nodeTable.get(target.nodeUid);
      const set = this.issued.get(target.nodeUid);
      if (!node || !set || this.uploaded.has(target.name) || set.get(target.name) !== target.previous) {
        return;
      }
      const stored = this.issueInternal(node, target.name, keys[index]);
      set.set(target.name, stored);
      rotated.push(toIssued(stored, target.nodeUid));
    });
    return rotated;
  }

  /** Internal names a node has no certificate for (neither uploaded nor CA-signed). */
  private missingCertificates(): Array<{ nodeUid: number; name: InternalCertificateName }> {
    return this.sortedUids().flatMap((uid) =>
      INTERNAL_CERTIFICATE_NAMES.filter((name) => !this.effective(uid, name)).map((name) => ({ nodeUid: uid, name })),
    );
  }

  /**
   * Close the gap an interleaving can leave (a fallback replacing an upload while a node was joining): issue
   * what is missing with a synchronous key generation. Rare, so the blocking cost does not matter.
   */
  private fillMissingCertificates(): void {
    for (const { nodeUid, name } of this.missingCertificates()) {
      const node = this.nodeTable.get(nodeUid) as PkiNode;
      const { privateKey, publicKey } = generateKeyPairSync("rsa", {
        modulusLength: this.keyBits,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      });
      this.issued.get(nodeUid)?.set(name, this.issueInternal(node, name, { privateKeyPem: privateKey, publicKeyPem: publicKey }));
    }
  }
}
