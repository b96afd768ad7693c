/**
 * The emulated cluster's private CA and certificates: the internal set per node, rotation (on demand and
 * automatic), customer uploads, and the REST shapes the emulator answers with.
 */
export {
  INTERNAL_CERTIFICATE_NAMES,
  OPTIONAL_CERTIFICATE_NAMES,
  isCertificateName,
  isInternalCertificateName,
  isOptionalCertificateName,
} from "./names";
export type { CertificateName, InternalCertificateName, OptionalCertificateName } from "./names";
export { CertificateError } from "./errors";
export { describeCertificate } from "./describe";
export type { CertificateDescription } from "./describe";
export {
  ClusterPki,
  CUSTOMER_INTERNODE_FALLBACK_DAYS,
  DEFAULT_CA_VALIDITY_DAYS,
  DEFAULT_EXPIRY_DAYS_BEFORE_ROTATION,
  DEFAULT_KEY_BITS,
  DEFAULT_VALIDITY_DAYS,
} from "./cluster-pki";
export type {
  ClusterPkiOptions,
  IssuedCertificate,
  PkiCertificateSnapshot,
  PkiNode,
  PkiSnapshot,
} from "./cluster-pki";
export { KEY_POOL_LIMIT, clearKeyPool, keyPoolSize, prewarmKeyPool } from "./keys";
