// Certificates (reference §4): the flat GET map, rotation on request and by the scheduled job, customer
// uploads (bulk PUT and the deprecated update_cert) and deletion of optional certificates. The PKI does the
// cryptography; this module maps its errors onto REST answers and records events.
import { startAction, finishAction } from "./actions";
import type { EmulatorCore } from "./core";
import { ApiError, notFound, schemaError } from "./errors";
import { isJsonObject, type JsonObject, type JsonValue } from "./json";
import { CertificateError, type IssuedCertificate } from "./pki";
import { certificatesChanged } from "./reconcile";
import type { Reply, RequestContext, Route } from "./router";

function toApiError(error: unknown): unknown {
  if (error instanceof CertificateError) return new ApiError(error.status, error.errorCode, error.message);
  return error;
}

function summary(rotated: IssuedCertificate[]): { names: string[]; nodes: number[] } {
  return {
    names: [...new Set(rotated.map((c) => c.name))].sort(),
    nodes: [...new Set(rotated.map((c) => c.nodeUid))].sort((a, b) => a - b),
  };
}

/** Record a rotation: the event tests assert on, and a finished task in /v1/actions. */
function recordRotation(core: EmulatorCore, rotated: IssuedCertificate[], automatic: boolean): Promise<void> {
  if (rotated.length === 0) return Promise.resolve();
  const { names, nodes } = summary(rotated);
  // UNCERTAIN: the task name of a rotation is not documented; rotation runs synchronously on a real cluster.
  const task = startAction(core, { kind: "task", name: "rotate_certificates", nodeUid: core.master()?.uid ?? 1, durationMs: 0 });
  finishAction(core, task.uid);
  core.event("certificate_rotation", { names, nodes, automatic });
  core.commit();
  // Rotation is synchronous on a real cluster: it answers once the nodes use the new certificates.
  return certificatesChanged(core);
}

/** POST /v1/cluster/certificates/rotate: all internal certificates, or the one named. */
export async function rotateCertificates(core: EmulatorCore, name?: string): Promise<IssuedCertificate[]> {
  return core.exclusive(async () => {
    let rotated: IssuedCertificate[];
    try {
      rotated = await core.pki.rotate(name);
    } catch (error) {
      throw toApiError(error);
    }
    await recordRotation(core, rotated, false);
    return rotated;
  });
}

/** The days-before-expiry setting of the rotation job, or undefined when the job is disabled. */
export function rotationJobThreshold(core: EmulatorCore): number | undefined {
  const settings = core.data.jobScheduler.cert_rotation_job_settings;
  if (!isJsonObject(settings) || settings.enabled === false) return undefined;
  return typeof settings.expiry_days_before_rotation === "number" ? settings.expiry_days_before_rotation : 60;
}

/** The automatic rotation job: rotate what expires within expiry_days_before_rotation days, when enabled. */
export async function runRotationJob(core: EmulatorCore): Promise<IssuedCertificate[]> {
  if (!core.data.clusterCreated) return [];
  return core.exclusive(async () => {
    const days = rotationJobThreshold(core);
    if (days === undefined || core.isStopped) return [];
    const rotated = await core.pki.rotateDue(days);
    if (!core.isStopped) await recordRotation(core, rotated, true);
    return rotated;
  });
}

function parseRotateBody(body: JsonValue | undefined): string | undefined {
  if (body === undefined) return undefined;
  if (!isJsonObject(body)) throw schemaError("rotate: the body must be an object {\"name\": \"<internal certificate name>\"} or empty");
  for (const key of Object.keys(body)) {
    if (key !== "name") throw schemaError(`rotate: unknown field '${key}' (only 'name' is accepted)`);
  }
  if (body.name === undefined) return undefined;
  if (typeof body.name !== "string") throw schemaError("rotate: 'name' must be a string");
  return body.name;
}

interface Upload {
  name: string;
  certificate: string;
  key?: string;
}

function parseUpload(item: JsonValue, where: string): Upload {
  if (!isJsonObject(item)) throw schemaError(`${where} must be an object {name, certificate, key}`);
  for (const key of Object.keys(item)) {
    if (key !== "name" && key !== "certificate" && key !== "key") throw schemaError(`${where}: unknown field '${key}'`);
  }
  if (typeof item.name !== "string" || typeof item.certificate !== "string") {
    throw schemaError(`${where}: 'name' and 'certificate' (PEM) must be strings`);
  }
  if (item.key !== undefined && typeof item.key !== "string") throw schemaError(`${where}: 'key' must be a PEM string`);
  const upload: Upload = { name: item.name, certificate: item.certificate };
  if (typeof item.key === "string") upload.key = item.key;
  return upload;
}

/** PUT /v1/cluster/certificates and PUT /v1/cluster/update_cert: validated all-or-nothing by the PKI. */
export function replaceCertificates(core: EmulatorCore, uploads: Upload[]): void {
  try {
    core.pki.replace(uploads);
  } catch (error) {
    throw toApiError(error);
  }
  core.event("certificate_replaced", { names: [...new Set(uploads.map((u) => u.name))].sort() });
  core.commit();
  void certificatesChanged(core);
}

export function deleteCertificate(core: EmulatorCore, name: string): void {
  try {
    core.pki.delete(name);
  } catch (error) {
    throw toApiError(error);
  }
  core.event("certificate_deleted", { name });
  core.commit();
  void certificatesChanged(core);
}

function getAll(context: RequestContext): Reply {
  return { status: 200, body: context.core.pki.flatMap() as JsonObject };
}

async function rotate(context: RequestContext): Promise<Reply> {
  await rotateCertificates(context.core, parseRotateBody(context.body));
  // 200 with an empty body (reference §4.4).
  return { status: 200 };
}

function putBulk(context: RequestContext): Reply {
  const body = context.body;
  if (!isJsonObject(body) || !Array.isArray(body.certificates)) {
    throw schemaError("PUT /v1/cluster/certificates needs {\"certificates\": [{\"name\", \"certificate\", \"key\"}, ...]}");
  }
  for (const key of Object.keys(body)) {
    if (key !== "certificates") throw schemaError(`PUT /v1/cluster/certificates: unknown field '${key}'`);
  }
  if (body.certificates.length === 0) throw schemaError("PUT /v1/cluster/certificates: the certificates list is empty");
  replaceCertificates(context.core, body.certificates.map((item, i) => parseUpload(item, `certificates[${i}]`)));
  return { status: 200 };
}

function putSingle(context: RequestContext): Reply {
  if (context.body === undefined) throw schemaError("PUT /v1/cluster/update_cert needs {\"name\", \"certificate\", \"key\"}");
  replaceCertificates(context.core, [parseUpload(context.body, "update_cert body")]);
  return { status: 200 };
}

/**
 * GET /v1/cluster/certificates/{name}: the `<name>_cert` (and `<name>_key`) entries of the flat map for one
 * certificate. UNCERTAIN: the reference documents only the whole map; clients that read one certificate by
 * name get this subset, and 404 certificate_not_found for a name that is not installed.
 */
function getOne(context: RequestContext): Reply {
  const name = context.params.name ?? "";
  const map = context.core.pki.flatMap();
  const body: JsonObject = {};
  for (const key of [`${name}_cert`, `${name}_key`]) {
    if (Object.prototype.hasOwnProperty.call(map, key)) body[key] = map[key]!;
  }
  if (Object.keys(body).length === 0) throw notFound("certificate_not_found", `certificate '${name}' is not installed on the cluster`);
  return { status: 200, body };
}

function remove(context: RequestContext): Reply {
  deleteCertificate(context.core, context.params.name ?? "");
  return { status: 200 };
}

export const certificateRoutes: Route[] = [
  // Private keys are in this answer, as on a real cluster; view_cluster_info is all it needs (reference §4.2).
  { method: "GET", pattern: "/v1/cluster/certificates", access: { kind: "permission", permission: "view_cluster_info" }, handler: getAll },
  { method: "PUT", pattern: "/v1/cluster/certificates", access: { kind: "permission", permission: "update_cluster" }, handler: putBulk },
  // PUT on /rotate is answered 405 by the router (the 2021 docs said PUT; the method is POST, reference §4.4).
  { method: "POST", pattern: "/v1/cluster/certificates/rotate", access: { kind: "permission", permission: "update_cluster" }, handler: rotate },
  // Private keys are in this answer too, as in the whole map.
  { method: "GET", pattern: "/v1/cluster/certificates/:name", access: { kind: "permission", permission: "view_cluster_info" }, handler: getOne },
  { method: "DELETE", pattern: "/v1/cluster/certificates/:name", access: { kind: "permission", permission: "update_cluster" }, handler: remove },
  { method: "PUT", pattern: "/v1/cluster/update_cert", access: { kind: "permission", permission: "update_cluster" }, handler: putSingle },
];
