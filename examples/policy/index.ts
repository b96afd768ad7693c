// The policy pack (see README.md): the three rules of ./rules.ts, mandatory, registered with @pulumi/policy.
import { PolicyPack } from "@pulumi/policy";
import { databaseEncryptionViolations, firewallCoverageViolations, MAX_ROTATION_THRESHOLD_DAYS, rotationViolations } from "./rules";

new PolicyPack("redis-enterprise", {
  enforcementLevel: "mandatory",
  policies: [
    {
      name: "database-data-internode-encryption",
      description: "Every Database has data internode encryption on.",
      validateResource: (args, reportViolation) => {
        for (const message of databaseEncryptionViolations(args)) reportViolation(message);
      },
    },
    {
      name: "internode-firewall-covers-cluster-nodes",
      description: "A stack with encrypted databases has an InternodeFirewall covering every node of its clusters.",
      validateStack: (args, reportViolation) => {
        for (const message of firewallCoverageViolations(args.resources)) reportViolation(message);
      },
    },
    {
      name: "certificate-rotation-threshold",
      description: `A CertificateRotation exists, with rotateWhenExpiringWithinDays of at most ${MAX_ROTATION_THRESHOLD_DAYS}.`,
      validateStack: (args, reportViolation) => {
        for (const message of rotationViolations(args.resources)) reportViolation(message);
      },
    },
  ],
});
