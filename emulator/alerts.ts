// Cluster alerts (reference §4.5): GET /v1/cluster/alerts and /v1/cluster/alerts/{name}. The certificate
// alerts are computed from the PKI and the virtual clock against the (string) thresholds in
// cluster.alert_settings; the other alerts exist with state false, since the emulator has no disks, licences
// or OCSP to watch.
import type { EmulatorCore } from "./core";
import { notFound } from "./errors";
import { hasOwn, isJsonObject, type JsonObject } from "./json";
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

/**
 * Whether an alert's condition holds. Certificate alerts fire when fewer days remain than the threshold
 * ("alerts fire when fewer than 45 days remain", reference §4.5); a threshold that is not a number never fires.
 */
export function alertCondition(name: string, threshold: string, daysLeft: { clusterCerts: number; internalCerts: number; ca: number }): boolean {
  const limit = Number(threshold);
  if (threshold.trim() === "" || !Number.isFinite(limit)) return false;
  switch (name) {
    case "cluster_certs_about_to_expire":
      return daysLeft.clusterCerts < limit;
    case "node_internal_certs_about_to_expire":
      return daysLeft.internalCerts < limit;
    case "cluster_ca_cert_about_to_expire":
      return daysLeft.ca < limit;
    default:
      return false;
  }
}

/** Every alert with its current state; updates the remembered change times. */
export function computeAlerts(core: EmulatorCore, ignoreSettings = false): Record<string, JsonObject> {
  const now = core.now();
  const certificates = core.pki.certificates();
  const daysLeft = {
    clusterCerts: fewestDaysLeft(certificates, CLUSTER_CERTIFICATES, now),
    internalCerts: fewestDaysLeft(certificates, NODE_INTERNAL_CERTIFICATES, now),
    ca: (describeCertificate(core.pki.caCertPem).notAfter.getTime() - now) / DAY_MS,
  };
  const settings = isJsonObject(core.data.cluster.alert_settings) ? core.data.cluster.alert_settings : {};
  const alerts: Record<string, JsonObject> = {};
  for (const [name, setting] of Object.entries(settings)) {
    const enabled = isJsonObject(setting) ? setting.enabled !== false : setting === true;
    const threshold = isJsonObject(setting) && typeof setting.threshold === "string" ? setting.threshold : "";
    const condition = alertCondition(name, threshold, daysLeft);
    const memory = core.data.alerts[name];
    if (!memory) core.data.alerts[name] = { state: condition, changeTime: String(core.data.cluster.created_time) };
    else if (memory.state !== condition) core.data.alerts[name] = { state: condition, changeTime: core.nowIso() };
    const state = condition && (enabled || ignoreSettings);
    alerts[name] = {
      change_time: core.data.alerts[name]!.changeTime,
      change_value: { state },
      enabled,
      severity: "WARNING",
      state,
      threshold,
    };
  }
  return alerts;
}

function all(context: RequestContext): Reply {
  return { status: 200, body: computeAlerts(context.core, queryFlag(context.query, "ignore_settings")) };
}

function one(context: RequestContext): Reply {
  const name = context.params.name ?? "";
  const alerts = computeAlerts(context.core, queryFlag(context.query, "ignore_settings"));
  // Own keys only: "constructor", "toString" or "__proto__" are not alerts (issue 10, item 3).
  const alert = hasOwn(alerts, name) ? alerts[name] : undefined;
  // UNCERTAIN: the error_code of an unknown alert is not documented, only the 404.
  if (!alert) throw notFound("alert_not_found", `cluster alert '${name}' does not exist`);
  return { status: 200, body: alert };
}

export const alertRoutes: Route[] = [
  { method: "GET", pattern: "/v1/cluster/alerts", access: { kind: "permission", permission: "view_cluster_info" }, handler: all },
  { method: "GET", pattern: "/v1/cluster/alerts/:name", access: { kind: "permission", permission: "view_cluster_info" }, handler: one },
];
