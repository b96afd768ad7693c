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
  /** A rotation sent and not verified, or null. */
  pendingRotation: PendingRotation | null;
}

/**
 * A rotation that was sent but not verified: its answer did not say whether it was applied, or the read after it
 * failed. Recorded (the output `pendingRotation`) so that the next up can tell from the certificates themselves
 * whether it happened, rather than rotate a second time.
 */
export interface PendingRotation {
  /** The certificates it rotates. */
  names: string[];
  /** Those certificates as read right before it was sent (no key: the parsed certificates only). */
  before: CertificateInfo[];
}
