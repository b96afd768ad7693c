/** Certificates the cluster generates itself, one per node, signed by the cluster's private CA. */
export const INTERNAL_CERTIFICATE_NAMES = [
  "api",
  "cm",
  "proxy",
  "syncer",
  "metrics_exporter",
  "ccs_internode_encryption",
  "data_internode_encryption",
] as const;

/** One of the seven certificates every node carries (all are required: they cannot be deleted). */
export type InternalCertificateName = (typeof INTERNAL_CERTIFICATE_NAMES)[number];

/** Certificates that exist only after a customer uploads them, and that may be deleted again. */
export const OPTIONAL_CERTIFICATE_NAMES = ["ldap_client", "mtls_trusted_ca", "sso_service", "sso_issuer"] as const;

/** Any certificate name the REST API accepts. */
export type CertificateName = InternalCertificateName | (typeof OPTIONAL_CERTIFICATE_NAMES)[number];

/** Optional certificate name. */
export type OptionalCertificateName = (typeof OPTIONAL_CERTIFICATE_NAMES)[number];

/** True when `name` is one of the internal (auto-generated, required) certificate names. */
export function isInternalCertificateName(name: string): name is InternalCertificateName {
  return (INTERNAL_CERTIFICATE_NAMES as readonly string[]).includes(name);
}

/** True when `name` is one of the optional (customer-uploaded) certificate names. */
export function isOptionalCertificateName(name: string): name is OptionalCertificateName {
  return (OPTIONAL_CERTIFICATE_NAMES as readonly string[]).includes(name);
}

/** True when `name` is any certificate name the cluster knows. */
export function isCertificateName(name: string): name is CertificateName {
  return isInternalCertificateName(name) || isOptionalCertificateName(name);
}
