// Scheduled rotation of a cluster's internal certificates: run `pulumi up --refresh --yes` on a schedule
// (rotate-certificates.yml is a GitHub Actions example). The refresh reads every selected certificate's validity
// on the cluster's clock; one with fewer than `rotateWhenExpiringWithinDays` days left is drift, so the same `up`
// rotates it, inside your schedule's window and before the product's expiry alert (45 days by default). When
// nothing is within the threshold, the run changes nothing.
//
// The cluster connection is stack config (redisenterprise:url, :username, :password, :caCertPem): this stack
// only rotates, whichever stack manages the cluster.
import * as pulumi from "@pulumi/pulumi";
import { CertificateRotation } from "pulumi-redis-enterprise";

const config = new pulumi.Config();

const rotation = new CertificateRotation("internal-certificates", {
  // Default: every internal certificate (one rotate call). E.g. ["ccs_internode_encryption", "data_internode_encryption"].
  certificates: config.getObject<string[]>("certificates"),
  // Keep it at or below the product's alert threshold, and well above your schedule's interval (a weekly run
  // with 45 days has six chances before the alert).
  rotateWhenExpiringWithinDays: config.getNumber("rotateWhenExpiringWithinDays") ?? 45,
  // A new value rotates on the next up, whatever the expiry (e.g. the ticket of a planned rotation).
  triggers: [config.get("rotationTicket") ?? "initial"],
});

/** Each certificate's expiry as the last refresh found it, e.g. "data_internode_encryption 2027-03-02T10:00:00.000Z (89 days)". */
export const certificateExpiry = rotation.certificates.apply((certificates) =>
  certificates.map((certificate) => `${certificate.name}${certificate.node == null ? "" : ` (node ${certificate.node})`} ${certificate.notAfter} (${certificate.daysRemaining} days)`),
);
export const lastRotatedAt = rotation.lastRotatedAt;
export const rotationDue = rotation.rotationDue;
