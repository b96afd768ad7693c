// Types of the CertificateRotation resource: the canonical properties its table manages and the live state
// read from GET /v1/cluster/certificates (certificates only: the private keys are dropped on arrival).
import type { CertificateInfo, InternalCertificateName } from "../certificates";

/** The table's properties, in canonical form. */
export interface RotationProperties {
  /** Any change rotates, like other Pulumi resources' triggers. */
  triggers: unknown[];
  /** The internal certificates to rotate and watch (recorded as the output `requestedCertificates`). */
  certificates: InternalCertificateName[];
  /** Computed: a selected certificate has fewer than rotateWhenExpiringWithinDays days left; drift when true. */
  expiresWithinThreshold: boolean;
}

/** What a read finds: the selected certificates on the cluster's clock, and what this resource last did. */
export interface RotationLive {
  /** The cluster's clock (its Date header), else ours. */
  nowMs: number;
  certificates: CertificateInfo[];
  /** The declared selection, or undefined for every internal certificate the cluster holds. */
  selection?: string[];
  /** When this resource last rotated (ISO 8601), null when its last rotation did not complete. */
  rotatedAt: string | null;
}
