// Alerts (reference §4.5; the vendor's alert object): GET /v1/cluster/alerts[/{name}], /v1/nodes/alerts[/{uid}
// [/{name}]] and /v1/bdbs/alerts[/{uid}[/{name}]]. The certificate alerts are computed from the PKI and the
// virtual clock against the (string) thresholds in cluster.alert_settings, the licence alert from the emulated
// licence; the other alerts exist with state false, since the emulator has no disks, flash or OCSP to watch.
//
// Every alert is the vendor's alert object: change_time, change_value (what was evaluated when the state last
// changed: `state`, and for a threshold alert the threshold and the sampled value), enabled, severity, state,
// and `threshold` for threshold alerts only.
import type { EmulatorCore } from "./core";
import { notFound } from "./errors";
import { hasOwn, isJsonObject, type JsonObject, type JsonValue } from "./json";
import { licenseDaysLeft } from "./license";
import { describeCertificate, type IssuedCertificate } from "./pki";
import { queryFlag, type Reply, type RequestContext, type Route } from "./router";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Certificates each certificate alert watches. */
const CLUSTER_CERTIFICATES = ["api", "cm", "proxy", "syncer", "metrics_exporter"];
const NODE_INTERNAL_CERTIFICATES = ["ccs_internode_encryption", "data_internode_encryption"];

/** Fewest days left among the named certificates (Infinity when there are none). */
export function fewestDaysLeft(certificates: readonly IssuedCertificate[], names: readonly string[], nowMs: number): number {
  let fewest = Number.POSITIVE_INFINITY;
  for (const certificate of certificates) {
    if (!names.includes(certificate.name)) continue;
    fewest = Math.min(fewest, (certificate.notAfter.getTime() - nowMs) / DAY_MS);
  }
  return fewest;
}

/** Days left of every watched quantity, as alertCondition compares them. */
export interface DaysLeft {
  clusterCerts: number;
  internalCerts: number;
  ca: number;
  /** The licence (Infinity when unknown). */
  license?: number;
}

/** The numeric threshold, or undefined when it is not a number (such an alert never fires). */
function thresholdNumber(threshold: string): number | undefined {
  const limit = Number(threshold);
  return threshold.trim() === "" || !Number.isFinite(limit) ? undefined : limit;
}

/**
 * Whether an alert's condition holds. Certificate and licence alerts fire when fewer days remain than the
 * threshold ("alerts fire when fewer than 45 days remain", reference §4.5); a threshold that is not a number
 * never fires.
 */
export function alertCondition(name: string, threshold: string, daysLeft: DaysLeft): boolean {
  const limit = thresholdNumber(threshold);
  if (limit === undefined) return false;
  switch (name) {
    case "cluster_certs_about_to_expire":
      return daysLeft.clusterCerts < limit;
    case "node_internal_certs_about_to_expire":
      return daysLeft.internalCerts < limit;
    case "cluster_ca_cert_about_to_expire":
      return daysLeft.ca < limit;
    case "cluster_license_about_to_expire":
      return (daysLeft.license ?? Number.POSITIVE_INFINITY) < limit;
    default:
      return false;
  }
}

/** What an alert evaluation found: its condition and the sampled values that go into change_value. */
interface Evaluation {
  condition: boolean;
  sample: JsonObject;
}

/** Names of the watched certificates with fewer days left than the threshold, sorted, without repeats. */
function certificatesBelow(certificates: readonly IssuedCertificate[], names: readonly string[], limit: number, nowMs: number): string[] {
  const below = certificates.filter((c) => names.includes(c.name) && (c.notAfter.getTime() - nowMs) / DAY_MS < limit).map((c) => c.name);
  return [...new Set(below)].sort();
}

/**
 * Evaluate one alert. `certificates` are the ones in scope (all nodes for a cluster alert, one node's for a
 * node alert). UNCERTAIN: the sampled values of the certificate and licence alerts are not documented; the
 * certificate alerts list the names about to expire (`certs_about_to_expire`, as a client's recorded answer
 * shows), the licence alert its days left.
 */
function evaluate(core: EmulatorCore, name: string, threshold: string, certificates: readonly IssuedCertificate[]): Evaluation {
  const now = core.now();
  const limit = thresholdNumber(threshold);
  const daysLeft: DaysLeft = {
    clusterCerts: fewestDaysLeft(certificates, CLUSTER_CERTIFICATES, now),
    internalCerts: fewestDaysLeft(certificates, NODE_INTERNAL_CERTIFICATES, now),
    ca: (describeCertificate(core.pki.caCertPem).notAfter.getTime() - now) / DAY_MS,
    license: licenseDaysLeft(core),
  };
  const condition = alertCondition(name, threshold, daysLeft);
  const sample: JsonObject = {};
  if (limit !== undefined) {
    if (name === "cluster_certs_about_to_expire") sample.certs_about_to_expire = certificatesBelow(certificates, CLUSTER_CERTIFICATES, limit, now);
    if (name === "node_internal_certs_about_to_expire") sample.certs_about_to_expire = certificatesBelow(certificates, NODE_INTERNAL_CERTIFICATES, limit, now);
    if (name === "cluster_license_about_to_expire") sample.days_left = Math.max(0, Math.floor(daysLeft.license ?? 0));
  }
  return { condition, sample };
}

/**
 * One alert object. The state last computed for `memoryKey` is remembered, so change_time and change_value
 * describe the moment the state last flipped (a new alert starts at `since`, when its object appeared).
 */
function alertObject(
  core: EmulatorCore,
  memoryKey: string,
  setting: JsonValue,
  evaluation: Evaluation,
  ignoreSettings: boolean,
  thresholdKey: "global_threshold" | "threshold",
  /** When the watched object appeared: the change_time of an alert that never flipped. */
  since: string = String(core.data.cluster.created_time),
): JsonObject {
  const enabled = isJsonObject(setting) ? setting.enabled !== false : setting === true;
  const threshold = isJsonObject(setting) && typeof setting.threshold === "string" ? setting.threshold : undefined;
  const changeValue: JsonObject = { ...evaluation.sample, state: evaluation.condition };
  if (threshold !== undefined) changeValue[thresholdKey] = threshold;
  const memory = hasOwn(core.data.alerts, memoryKey) ? core.data.alerts[memoryKey] : undefined;
  if (!memory) {
    core.data.alerts[memoryKey] = { state: evaluation.condition, changeTime: since, value: changeValue };
  } else if (memory.state !== evaluation.condition || memory.value === undefined) {
    core.data.alerts[memoryKey] = {
      state: evaluation.condition,
      changeTime: memory.state !== evaluation.condition ? core.nowIso() : memory.changeTime,
      value: changeValue,
    };
  }
  const remembered = core.data.alerts[memoryKey]!;
  const state = evaluation.condition && (enabled || ignoreSettings);
  const alert: JsonObject = {
    change_time: remembered.changeTime,
    change_value: sortKeys(remembered.value ?? changeValue),
    enabled,
    severity: "WARNING",
    state,
  };
  if (threshold !== undefined) alert.threshold = threshold;
  return alert;
}

function sortKeys(object: JsonObject): JsonObject {
  const sorted: JsonObject = {};
  for (const key of Object.keys(object).sort()) sorted[key] = object[key] as JsonValue;
  return sorted;
}

function alertSettings(core: EmulatorCore): JsonObject {
  return isJsonObject(core.data.cluster.alert_settings) ? core.data.cluster.alert_settings : {};
}

/** Every cluster alert with its current state; updates the remembered change times. */
export function computeAlerts(core: EmulatorCore, ignoreSettings = false): Record<string, JsonObject> {
  const certificates = core.pki.certificates();
  const alerts: Record<string, JsonObject> = {};
  for (const [name, setting] of Object.entries(alertSettings(core))) {
    const threshold = isJsonObject(setting) && typeof setting.threshold === "string" ? setting.threshold : "";
    alerts[name] = alertObject(core, name, setting, evaluate(core, name, threshold, certificates), ignoreSettings, "global_threshold");
  }
  return alerts;
}

/** The node alerts (the node_* entries of cluster.alert_settings) of one node, evaluated on its own certificates. */
export function computeNodeAlerts(core: EmulatorCore, nodeUid: number, ignoreSettings = false): Record<string, JsonObject> {
  const certificates = core.pki.certificates(nodeUid);
  const alerts: Record<string, JsonObject> = {};
  for (const [name, setting] of Object.entries(alertSettings(core))) {
    if (!name.startsWith("node_")) continue;
    const threshold = isJsonObject(setting) && typeof setting.threshold === "string" ? setting.threshold : "";
    alerts[name] = alertObject(core, `node:${nodeUid}:${name}`, setting, evaluate(core, name, threshold, certificates), ignoreSettings, "global_threshold");
  }
  return alerts;
}

/**
 * The alert settings of every database. UNCERTAIN: a database's alert configuration (POST /v1/bdbs/alerts/{uid})
 * is not emulated and its defaults are not documented; every database reports `bdb_size` at the documented
 * example's threshold ("80" percent of memory_size), disabled, like a database nobody configured alerts for.
 */
export const BDB_ALERT_SETTINGS: Readonly<Record<string, JsonObject>> = {
  bdb_size: { enabled: false, threshold: "80" },
};

/** Memory a database uses, in bytes: a plausible figure for empty shards (about 2.5 MiB each, like an empty Redis). */
export function usedMemoryOf(bdb: JsonObject): number {
  const shards = Array.isArray(bdb.shard_list) ? bdb.shard_list.length : 0;
  return shards * 2_621_440;
}

/** The alerts of one database; `bdb_size` samples memory_util (percent of memory_size in use, a float). */
export function computeBdbAlerts(core: EmulatorCore, bdb: JsonObject, ignoreSettings = false): Record<string, JsonObject> {
  const alerts: Record<string, JsonObject> = {};
  const memorySize = typeof bdb.memory_size === "number" ? bdb.memory_size : 0;
  const util = memorySize > 0 ? (usedMemoryOf(bdb) / memorySize) * 100 : 0;
  for (const [name, setting] of Object.entries(BDB_ALERT_SETTINGS)) {
    const limit = thresholdNumber(String(setting.threshold ?? ""));
    const evaluation: Evaluation = { condition: limit !== undefined && util > limit, sample: { memory_util: Math.round(util * 1000) / 1000 } };
    // Keyed by creation time too, so a database created again with the same uid starts a fresh history.
    const key = `bdb:${String(bdb.uid)}:${String(bdb.created_time)}:${name}`;
    alerts[name] = alertObject(core, key, setting, evaluation, ignoreSettings, "threshold", String(bdb.created_time));
  }
  return alerts;
}

function ignore(context: RequestContext): boolean {
  return queryFlag(context.query, "ignore_settings");
}

/** Own keys only: "constructor", "toString" or "__proto__" are not alerts (issue 10, item 3). */
function pick(alerts: Record<string, JsonObject>, name: string, where: string): JsonObject {
  // UNCERTAIN: the error_code of an unknown alert is not documented, only the 404.
  if (!hasOwn(alerts, name)) throw notFound("alert_not_found", `${where} alert '${name}' does not exist`);
  return alerts[name]!;
}

function memberUid(core: EmulatorCore, text: string): number {
  const uid = Number(text);
  if (!Number.isSafeInteger(uid) || !core.members().some((node) => node.uid === uid)) {
    throw notFound("node_not_found", `node ${text} is not a member of the cluster`);
  }
  return uid;
}

function bdbObject(core: EmulatorCore, text: string): JsonObject {
  const uid = Number(text);
  const record = Number.isSafeInteger(uid) ? core.data.bdbs.find((r) => r.object.uid === uid) : undefined;
  if (!record) throw notFound("bdb_not_exist", `database ${text} does not exist`);
  return record.object;
}

const viewCluster = { kind: "permission", permission: "view_cluster_info" } as const;
const viewBdbs = { kind: "permission", permission: "view_all_bdbs_info" } as const;

export const alertRoutes: Route[] = [
  { method: "GET", pattern: "/v1/cluster/alerts", access: viewCluster, handler: (c): Reply => ({ status: 200, body: computeAlerts(c.core, ignore(c)) }) },
  {
    method: "GET",
    pattern: "/v1/cluster/alerts/:name",
    access: viewCluster,
    handler: (c): Reply => ({ status: 200, body: pick(computeAlerts(c.core, ignore(c)), c.params.name ?? "", "cluster") }),
  },
  {
    method: "GET",
    pattern: "/v1/nodes/alerts",
    access: viewCluster,
    handler: (c): Reply => {
      const body: JsonObject = {};
      for (const node of c.core.members()) body[String(node.uid)] = computeNodeAlerts(c.core, node.uid, ignore(c));
      return { status: 200, body };
    },
  },
  {
    method: "GET",
    pattern: "/v1/nodes/alerts/:uid",
    access: viewCluster,
    handler: (c): Reply => ({ status: 200, body: computeNodeAlerts(c.core, memberUid(c.core, c.params.uid ?? ""), ignore(c)) }),
  },
  {
    method: "GET",
    pattern: "/v1/nodes/alerts/:uid/:name",
    access: viewCluster,
    handler: (c): Reply => {
      const uid = memberUid(c.core, c.params.uid ?? "");
      return { status: 200, body: pick(computeNodeAlerts(c.core, uid, ignore(c)), c.params.name ?? "", `node ${uid}`) };
    },
  },
  {
    method: "GET",
    pattern: "/v1/bdbs/alerts",
    access: viewBdbs,
    handler: (c): Reply => {
      const body: JsonObject = {};
      for (const record of c.core.data.bdbs) body[String(record.object.uid)] = computeBdbAlerts(c.core, record.object, ignore(c));
      return { status: 200, body };
    },
  },
  {
    method: "GET",
    pattern: "/v1/bdbs/alerts/:uid",
    access: viewBdbs,
    handler: (c): Reply => ({ status: 200, body: computeBdbAlerts(c.core, bdbObject(c.core, c.params.uid ?? ""), ignore(c)) }),
  },
  {
    method: "GET",
    pattern: "/v1/bdbs/alerts/:uid/:name",
    access: viewBdbs,
    handler: (c): Reply => {
      const bdb = bdbObject(c.core, c.params.uid ?? "");
      return { status: 200, body: pick(computeBdbAlerts(c.core, bdb, ignore(c)), c.params.name ?? "", `database ${String(bdb.uid)}`) };
    },
  },
];
