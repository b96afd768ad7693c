// The cluster object, the cluster policy and the job scheduler (reference §3.1, §3.2, §4.5).
import type { EmulatorCore } from "./core";
import { cloneJson, jsonEqual, type JsonObject, type JsonValue } from "./json";
import { queryFlag, type Reply, type RequestContext, type Route } from "./router";
import { validateClusterUpdate, validateJobSchedulerUpdate, validatePolicyUpdate } from "./validation/cluster";

function sortKeys(object: JsonObject): JsonObject {
  const sorted: JsonObject = {};
  for (const key of Object.keys(object).sort()) sorted[key] = object[key] as JsonValue;
  return sorted;
}

/** GET /v1/cluster: the stored object plus the proxy and syncer certificates of the master node. */
export function renderCluster(core: EmulatorCore): JsonObject {
  const view = cloneJson(core.data.cluster);
  const masterUid = core.master()?.uid;
  for (const name of ["proxy", "syncer"]) {
    const certificate = core.pki.certificates(masterUid).find((c) => c.name === name);
    view[`${name}_certificate`] = certificate?.certPem ?? "";
  }
  return sortKeys(view);
}

function changedFields(before: JsonObject, after: JsonObject): string[] {
  return Object.keys(after)
    .filter((key) => !jsonEqual(before[key], after[key]))
    .sort();
}

/** PUT /v1/cluster; with dryRun nothing is stored. Returns the cluster as the answer shows it. */
export function updateCluster(core: EmulatorCore, body: JsonValue | undefined, dryRun = false): JsonObject {
  const next = validateClusterUpdate(body, core.data.cluster);
  if (dryRun) {
    const saved = core.data.cluster;
    core.data.cluster = next;
    const view = renderCluster(core);
    core.data.cluster = saved;
    return view;
  }
  const fields = changedFields(core.data.cluster, next);
  core.data.cluster = next;
  core.event("cluster_updated", { fields });
  core.commit();
  return renderCluster(core);
}

export function updatePolicy(core: EmulatorCore, body: JsonValue | undefined): void {
  const next = validatePolicyUpdate(body, core.data.policy);
  const fields = changedFields(core.data.policy, next);
  core.data.policy = next;
  core.event("policy_updated", { fields });
  core.commit();
}

export function updateJobScheduler(core: EmulatorCore, body: JsonValue | undefined): JsonObject {
  const next = validateJobSchedulerUpdate(body, core.data.jobScheduler);
  core.data.jobScheduler = next;
  core.event("job_scheduler_updated", { jobs: Object.keys((body as JsonObject) ?? {}).sort() });
  core.commit();
  return cloneJson(next);
}

const view = { kind: "permission", permission: "view_cluster_info" } as const;
const admin = { kind: "permission", permission: "update_cluster" } as const;

export const clusterRoutes: Route[] = [
  { method: "GET", pattern: "/v1/cluster", access: view, handler: (c: RequestContext): Reply => ({ status: 200, body: renderCluster(c.core) }) },
  {
    method: "PUT",
    pattern: "/v1/cluster",
    access: admin,
    handler: (c: RequestContext): Reply => ({ status: 200, body: updateCluster(c.core, c.body, queryFlag(c.query, "dry_run")) }),
  },
  { method: "GET", pattern: "/v1/cluster/policy", access: view, handler: (c: RequestContext): Reply => ({ status: 200, body: cloneJson(c.core.data.policy) }) },
  {
    method: "PUT",
    pattern: "/v1/cluster/policy",
    access: admin,
    // UNCERTAIN (reference §3.2): the docs give this PUT a status code only; the emulator answers 200 with no body.
    handler: (c: RequestContext): Reply => {
      updatePolicy(c.core, c.body);
      return { status: 200 };
    },
  },
  { method: "GET", pattern: "/v1/job_scheduler", access: view, handler: (c: RequestContext): Reply => ({ status: 200, body: cloneJson(c.core.data.jobScheduler) }) },
  {
    method: "PUT",
    pattern: "/v1/job_scheduler",
    access: admin,
    // UNCERTAIN: the answer body is not documented; the emulator returns the updated settings.
    handler: (c: RequestContext): Reply => ({ status: 200, body: updateJobScheduler(c.core, c.body) }),
  },
];
