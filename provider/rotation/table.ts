// CertificateRotation's property table. Nothing here is sent as a value: `triggers` and `certificates` are
// action rows (a change calls POST /v1/cluster/certificates/rotate), and `expiresWithinThreshold` is computed
// from the live certificates (days left against rotateWhenExpiringWithinDays, on the cluster's clock), so expiry
// is drift that `pulumi up` rotates, while the cluster's own rotation (new serials, fresh dates) is not.
// Facts: ../shared/reference/rs-rest-api.md §4 (certificates, rotation, the alert threshold).
import { INTERNAL_CERTIFICATE_NAMES, expiringCertificates, type InternalCertificateName } from "../certificates";
import { booleanSchema, enumSchema, invalid, listSchema, ok, refine, schema, type ChangeCase, type ImpactWording, type PropertyTable, type Schema, rowBuilder } from "../core";
import type { RotationLive, RotationProperties } from "./types";

/** The product's alert threshold for internal certificates (rs-rest-api.md §4.5). */
export const DEFAULT_ROTATE_WHEN_EXPIRING_WITHIN_DAYS = 45;

/** The declared threshold, or the default. */
export function thresholdOf(bag: Readonly<Record<string, unknown>>): number {
  const days = bag.rotateWhenExpiringWithinDays;
  return typeof days === "number" && Number.isInteger(days) && days > 0 ? days : DEFAULT_ROTATE_WHEN_EXPIRING_WITHIN_DAYS;
}

const row = rowBuilder<RotationProperties, RotationLive>();

/** Every change of these rows is one rotation (the life cycle runs an action once, whatever asked for it). */
const rotate = <V>(): readonly ChangeCase<V>[] => [{ mode: "action", action: "rotate", impact: "none" }];

/**
 * How CertificateRotation words impacts: a rotation replaces internal certificates while the cluster keeps
 * serving (RS reloads them; rs-rest-api.md §4.3), so no client is disconnected by it.
 */
export const ROTATION_WORDING: ImpactWording = {
  consequences: { none: "rotates the certificates; the cluster keeps serving and no client is disconnected" },
  labels: { none: "none (the cluster keeps serving)" },
};

const triggersSchema: Schema<unknown[]> = schema(
  "list of any",
  (input) => (Array.isArray(input) ? ok([...input]) : invalid("must be a list of values (any change rotates the certificates)", input)),
  { kind: "custom", inputType: "unknown[]", outputType: "unknown[]", samples: [[], ["2026-q4"], [1, "two", { three: 3 }]] },
);

const certificatesSchema: Schema<InternalCertificateName[]> = refine(
  listSchema(enumSchema<InternalCertificateName>(INTERNAL_CERTIFICATE_NAMES), { minItems: 1, maxItems: INTERNAL_CERTIFICATE_NAMES.length }),
  (names) => {
    const twice = names.findIndex((name, index) => names.indexOf(name) !== index);
    return twice < 0 ? ok(names) : invalid(`lists "${names[twice]}" twice; list each certificate once`, names, `[${twice}]`);
  },
);

export const ROTATION_ROWS = [
  row({
    name: "triggers",
    restField: "(none: POST /v1/cluster/certificates/rotate)",
    schema: triggersSchema,
    description: "Any change of these values rotates the certificates, like other Pulumi resources' triggers",
    source: "RS/security/certificates/certificates-rotation (rotate on demand); D/requests/cluster/certificates/rotate",
    fromRest: (_live, context) => context.triggers,
    changes: rotate(),
  }),
  row({
    name: "certificates",
    outputKey: "requestedCertificates",
    restField: "name (of POST /v1/cluster/certificates/rotate)",
    schema: certificatesSchema,
    description: `Internal certificates to rotate and watch: ${INTERNAL_CERTIFICATE_NAMES.join(", ")}. Left out: all of them (one rotate call without a name)`,
    source: "D/requests/cluster/certificates/rotate; RS/security/certificates (internal certificates)",
    notes: "A change of the selection rotates (also to or from all of them). The output `certificates` is the parsed certificates, not this list",
    fromRest: (live) => live.selection as InternalCertificateName[] | undefined,
    changes: rotate(),
  }),
  row({
    name: "expiresWithinThreshold",
    restField: "(computed from the certificates' notAfter)",
    schema: booleanSchema(),
    description: "Whether a selected certificate has fewer than rotateWhenExpiringWithinDays days left, on the cluster's clock",
    source: "RS alert node_internal_certs_about_to_expire (45 days); D/objects/cluster/alert_settings",
    notes: "A refresh that finds it true shows an update, and up rotates; judged by validity against the threshold, never by serials, so the cluster's own rotation is no drift",
    fromRest: (live, context) => expiringCertificates(live.certificates, thresholdOf(context)).length > 0,
    expected: false,
    changes: rotate(),
  }),
] as const;

export const ROTATION_TABLE: PropertyTable<RotationProperties, RotationLive> = {
  resource: "CertificateRotation",
  rows: ROTATION_ROWS,
  rules: [],
  wording: ROTATION_WORDING,
};
