// The CertificateRotation resource: rotates the cluster's internal certificates when created, when `triggers`
// or `certificates` change, and when a refresh finds a selected certificate within
// `rotateWhenExpiringWithinDays` days of expiry. Deleting it changes nothing on the cluster.
import * as pulumi from "@pulumi/pulumi";
import type { CertificateInfo } from "../provider/certificates";
import { CERTIFICATE_ROTATION_KIND, CERTIFICATE_ROTATION_OUTPUT_KEYS, CERTIFICATE_ROTATION_SECRET_OUTPUTS, type CertificateRotationTableInputs } from "./generated/resources";
import type { Connection } from "../provider/rest";
import type { PendingRotation } from "../provider/rotation/types";
import type { TimeoutsInput } from "../provider/timeouts";
import { providerShim } from "./shim";
import { expectedUrn } from "./urn";

export interface CertificateRotationArgs {
  /** The cluster to talk to (usually `cluster.connection`). @default stack config redisenterprise:url, :username, :password */
  connection?: pulumi.Input<Connection>;
  /** Internal certificate names, e.g. ["ccs_internode_encryption", "data_internode_encryption"]. @default all internal certificates */
  certificates?: pulumi.Input<pulumi.Input<string>[]>;
  /** Any change of these values rotates the certificates. */
  triggers?: pulumi.Input<any[]>;
  /** A refresh that finds a selected certificate with fewer days left reports drift, and up rotates. @default 45 */
  rotateWhenExpiringWithinDays?: pulumi.Input<number>;
  /** Deadlines; a rotation is given at least 15 minutes. @default { create: "30m", update: "30m", delete: "10m" } */
  timeouts?: pulumi.Input<TimeoutsInput>;
}

// The generated table inputs and the documented arguments name the same rows (checked at compile time).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const argsMatchTable: Same<keyof CertificateRotationTableInputs, "triggers" | "certificates"> = true;
void argsMatchTable;

let shim: pulumi.dynamic.ResourceProvider | undefined;

export class CertificateRotation extends pulumi.dynamic.Resource {
  /** One entry per selected certificate, parsed from its PEM (no private key ever leaves the provider). */
  declare readonly certificates: pulumi.Output<CertificateInfo[]>;
  /** When this resource last rotated (the cluster's clock), ISO 8601. */
  declare readonly lastRotatedAt: pulumi.Output<string>;
  /** A rotation sent and not verified (the next up verifies it, or rotates what it did not change); else null. */
  declare readonly pendingRotation: pulumi.Output<PendingRotation | null>;
  /** The selected certificates with fewer than rotateWhenExpiringWithinDays days left at the last read. */
  declare readonly expiringCertificates: pulumi.Output<string[]>;
  declare readonly rotationDue: pulumi.Output<boolean>;
  /** A selected certificate has fewer than rotateWhenExpiringWithinDays days left (drift: the next up rotates). */
  declare readonly expiresWithinThreshold: pulumi.Output<boolean>;
  declare readonly requestedCertificates: pulumi.Output<string[] | null>;
  declare readonly connection: pulumi.Output<Connection | undefined>;

  constructor(name: string, args: CertificateRotationArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const seeds: Record<string, undefined> = {};
    for (const key of CERTIFICATE_ROTATION_OUTPUT_KEYS) seeds[key] = undefined;
    shim ??= providerShim(CERTIFICATE_ROTATION_KIND);
    super(
      shim,
      name,
      // The input `certificates` (names) replaces its seed; the output of that name is the parsed certificates.
      // The URN rides along so that every note the provider prints names this resource (the engine shows a
      // dynamic provider's notes under the stack, not the resource).
      { ...seeds, ...args, __urn: expectedUrn(CERTIFICATE_ROTATION_KIND, name, opts) },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: [...CERTIFICATE_ROTATION_SECRET_OUTPUTS] }),
      "redisenterprise",
      CERTIFICATE_ROTATION_KIND,
    );
  }
}
