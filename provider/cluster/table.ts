// The Cluster's property table: one row per setting, naming the REST object it lives in (`/v1/cluster`,
// `/v1/cluster/policy`, `/v1/job_scheduler`), its schema, how it is read back, and what a change does. check,
// diff, the update payloads, read, the preview notes and the README reference all come from these rows.
// Facts: ../shared/reference/rs-rest-api.md §3.1, §3.2, §4.5.
import {
  booleanSchema,
  enumSchema,
  integerSchema,
  objectSchema,
  optionalField,
  type ChangeCase,
  type ImpactWording,
  type JsonObject,
  type PropertyRow,
  type PropertyTable,
  type RestObject,
  type Schema,
} from "../core";
import type { CertificateExpiryAlert, CertificateRotationJob, ClusterLive, ClusterSettings, TlsVersion } from "./types";

/** Where a row's REST field lives: each is read with GET and written with PUT of its own path. */
export type ClusterObject = "cluster" | "policy" | "jobScheduler";

export const CLUSTER_OBJECTS: readonly (RestObject & { readonly name: ClusterObject })[] = [
  { name: "cluster", path: "/v1/cluster" },
  { name: "policy", path: "/v1/cluster/policy" },
  { name: "jobScheduler", path: "/v1/job_scheduler" },
];

export const CLUSTER_OBJECT_PATHS: Readonly<Record<ClusterObject, string>> = Object.fromEntries(CLUSTER_OBJECTS.map((object) => [object.name, object.path])) as Record<ClusterObject, string>;

/** A Cluster row: the framework's row, always naming its REST object. */
export type ClusterRow<K extends keyof ClusterSettings & string> = PropertyRow<ClusterSettings, K, ClusterLive> & { readonly object: ClusterObject };

type AnyClusterRow = { [K in keyof ClusterSettings & string]: ClusterRow<K> }[keyof ClusterSettings & string];

const row = <K extends keyof ClusterSettings & string>(definition: ClusterRow<K>): ClusterRow<K> => definition;

/** An in-place change whose note says what it does, in the Cluster's words. */
const inPlace = <V>(consequence: string, impact: ChangeCase<V>["impact"] = "none"): readonly ChangeCase<V>[] => [{ mode: "in-place", impact, consequence }];

/**
 * The Cluster's wording of impacts (cluster settings do not restart a database proxy): what the README's impact
 * column and the notes say when a case gives no sentence of its own.
 */
export const CLUSTER_WORDING: ImpactWording = {
  consequences: {
    none: "changes a cluster setting; no database or client connection is affected",
    "new-connections-only": "applies to new TLS connections; clients on an older TLS version can no longer connect",
  },
  labels: { none: "none", "new-connections-only": "new TLS connections" },
};

const tlsVersion: Schema<TlsVersion> = enumSchema<TlsVersion>(["1.2", "1.3"]);

const alertSchema: Schema<CertificateExpiryAlert> = objectSchema({
  enabled: optionalField(booleanSchema()),
  thresholdDays: optionalField(integerSchema({ min: 1, max: 3650 })),
});

const rotationJobSchema: Schema<CertificateRotationJob> = objectSchema({
  enabled: optionalField(booleanSchema()),
  expiryDaysBeforeRotation: optionalField(integerSchema({ min: 1, max: 90 })),
});

function object(live: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const value = live[key];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function readAlert(live: ClusterLive, name: string): CertificateExpiryAlert | undefined {
  const alert = object(object(live.cluster, "alert_settings") ?? {}, name);
  if (!alert) return undefined;
  const result: CertificateExpiryAlert = {};
  if (typeof alert.enabled === "boolean") result.enabled = alert.enabled;
  // The API holds the threshold as a string ("45"); anything else is left unreported rather than guessed.
  const threshold = typeof alert.threshold === "string" && /^\d+$/.test(alert.threshold) ? Number(alert.threshold) : typeof alert.threshold === "number" ? alert.threshold : undefined;
  if (threshold !== undefined) result.thresholdDays = threshold;
  return result;
}

function alertToRest(name: string, value: CertificateExpiryAlert): JsonObject {
  const setting: JsonObject = {};
  if (value.enabled !== undefined) setting.enabled = value.enabled;
  if (value.thresholdDays !== undefined) setting.threshold = String(value.thresholdDays);
  return { alert_settings: { [name]: setting } };
}

function tlsRow<K extends "minControlTlsVersion" | "minDataTlsVersion" | "minSentinelTlsVersion">(name: K, field: string, plane: string): ClusterRow<K> {
  return row<K>({
    name,
    object: "cluster",
    restField: field,
    schema: tlsVersion as Schema<ClusterSettings[K]>,
    description: `The lowest TLS version the ${plane} accepts`,
    source: "RS/security/encryption/tls/tls-protocols.md; D/objects/cluster",
    notes: 'The product default is "1.2".',
    toRest: (value) => ({ [field]: value }),
    fromRest: (live) => (live.cluster[field] === "1.2" || live.cluster[field] === "1.3" ? (live.cluster[field] as ClusterSettings[K]) : undefined),
    changes: inPlace("applies to new TLS connections; clients on an older TLS version can no longer connect", "new-connections-only"),
  });
}

export const CLUSTER_ROWS: readonly AnyClusterRow[] = [
  row({
    name: "dataInternodeEncryptionDefault",
    object: "policy",
    restField: "data_internode_encryption",
    schema: booleanSchema(),
    description: "The cluster policy's data internode encryption for databases created afterwards",
    source: "RS/security/encryption/internode-encryption.md \"Change cluster policy\"; D/objects/cluster_settings",
    notes:
      "It changes no existing database: a database keeps the value it was created with (set a Database's dataInternodeEncryption to change it). " +
      "The product default is false. Databases need every node at 6.2.4 or later (see internodeEncryptionReady)",
    toRest: (value) => ({ data_internode_encryption: value }),
    fromRest: (live) => (typeof live.policy.data_internode_encryption === "boolean" ? live.policy.data_internode_encryption : undefined),
    changes: inPlace("applies to databases created afterwards; no existing database changes"),
  }),
  row({
    name: "clusterCertsAboutToExpireAlert",
    object: "cluster",
    restField: "alert_settings.cluster_certs_about_to_expire",
    schema: alertSchema,
    description: "The alert for cluster certificates (api, cm, proxy, syncer, metrics_exporter) about to expire: { enabled?, thresholdDays? }",
    source: "D/objects/cluster/alert_settings.md; REAL cluster.json",
    notes: 'Only the fields declared are managed. The API holds the threshold as a string ("45"); the product default is enabled, 45 days',
    toRest: (value) => alertToRest("cluster_certs_about_to_expire", value),
    fromRest: (live) => readAlert(live, "cluster_certs_about_to_expire"),
    nested: true,
    changes: inPlace("changes when the cluster raises the alert; no certificate changes"),
  }),
  row({
    name: "nodeInternalCertsAboutToExpireAlert",
    object: "cluster",
    restField: "alert_settings.node_internal_certs_about_to_expire",
    schema: alertSchema,
    description: "The alert for the nodes' internode encryption certificates about to expire: { enabled?, thresholdDays? }",
    source: "D/objects/cluster/alert_settings.md; REAL cluster.json",
    notes: 'Only the fields declared are managed. The API holds the threshold as a string ("45"); the product default is enabled, 45 days',
    toRest: (value) => alertToRest("node_internal_certs_about_to_expire", value),
    fromRest: (live) => readAlert(live, "node_internal_certs_about_to_expire"),
    nested: true,
    changes: inPlace("changes when the cluster raises the alert; no certificate changes"),
  }),
  row({
    name: "certificateRotationJob",
    object: "jobScheduler",
    restField: "cert_rotation_job_settings",
    schema: rotationJobSchema,
    description: "The cluster's own rotation of internal certificates: { enabled?, expiryDaysBeforeRotation? (1-90) }",
    source: "D/objects/job_scheduler/cert_rotation_job_settings.md",
    notes: "Only the fields declared are managed. The product default is enabled, 60 days (with 90-day certificates, about every 30 days)",
    toRest: (value) => {
      const settings: JsonObject = {};
      if (value.enabled !== undefined) settings.enabled = value.enabled;
      if (value.expiryDaysBeforeRotation !== undefined) settings.expiry_days_before_rotation = value.expiryDaysBeforeRotation;
      return { cert_rotation_job_settings: settings };
    },
    fromRest: (live) => {
      const job = object(live.jobScheduler, "cert_rotation_job_settings");
      if (!job) return undefined;
      const result: CertificateRotationJob = {};
      if (typeof job.enabled === "boolean") result.enabled = job.enabled;
      if (typeof job.expiry_days_before_rotation === "number") result.expiryDaysBeforeRotation = job.expiry_days_before_rotation;
      return result;
    },
    nested: true,
    changes: inPlace("changes when the cluster rotates its internal certificates by itself"),
  }),
  tlsRow("minControlTlsVersion", "min_control_TLS_version", "control plane (REST API, UI)"),
  tlsRow("minDataTlsVersion", "min_data_TLS_version", "data plane (database endpoints)"),
  tlsRow("minSentinelTlsVersion", "min_sentinel_TLS_version", "discovery service (Sentinel API)"),
  row({
    name: "handleRedirects",
    object: "cluster",
    restField: "handle_redirects",
    schema: booleanSchema(),
    description: "Whether a node that is not the master handles API requests itself by forwarding them internally",
    source: "D/objects/cluster; RS/release-notes/rs-6-2-4-august-2021.md (RS40641)",
    notes: "The product default is false",
    toRest: (value) => ({ handle_redirects: value }),
    fromRest: (live) => (typeof live.cluster.handle_redirects === "boolean" ? live.cluster.handle_redirects : undefined),
    changes: inPlace("changes how API requests sent to other nodes than the master are answered"),
  }),
];

export const CLUSTER_TABLE: PropertyTable<ClusterSettings, ClusterLive> = {
  resource: "Cluster",
  rows: CLUSTER_ROWS,
  rules: [],
  objects: CLUSTER_OBJECTS,
  wording: CLUSTER_WORDING,
};

/** The row of a setting by name. */
export function clusterRow(name: string): AnyClusterRow | undefined {
  return CLUSTER_ROWS.find((candidate) => candidate.name === name);
}
