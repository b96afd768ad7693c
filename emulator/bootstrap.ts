// Bootstrap (reference §3.3): GET /v1/bootstrap, POST /v1/bootstrap/create_cluster and join_cluster
// (asynchronous: 200 at once, then the node's bootstrap_status moves through creating/joining to completed or
// error), and POST /v1/bootstrap/validate/{action} (blocking: 200, or 406 with a bootstrap_status body).
import type { EmulatorCore } from "./core";
import { localNodeInfo } from "./defaults";
import { ApiError, notFound } from "./errors";
import { cloneJson, type JsonObject, type JsonValue } from "./json";
import type { PkiNode } from "./pki";
import type { Reply, RequestContext, Route } from "./router";
import type { NodeRecord } from "./state";
import { secretEquals } from "./auth";
import { validatePolicyUpdate } from "./validation/cluster";
import {
  isBootstrapAction,
  validateBootstrapRequest,
  type BootstrapAction,
  type BootstrapContext,
  type BootstrapFailure,
  type ValidBootstrap,
} from "./validation/bootstrap";

const IN_PROGRESS = new Set(["initiated", "creating_cluster", "joining_cluster", "recovering_cluster"]);

/** The node as the PKI sees it; the host name is qualified with the cluster name given at start. */
export function pkiNodeOf(core: EmulatorCore, node: NodeRecord): PkiNode {
  return { uid: node.uid, address: node.listenAddress, hostname: `${node.hostname}.${core.settings.clusterName}` };
}

export function renderBootstrap(core: EmulatorCore, node: NodeRecord): JsonObject {
  return {
    bootstrap_status: cloneJson(node.bootstrap),
    local_node_info: localNodeInfo(
      node.uid,
      node.listenAddress,
      node.hostname,
      String(node.object.software_version),
      Math.max(0, Math.floor((core.now() - node.startedAtMs) / 1000)),
    ),
  };
}

function bootstrapContext(core: EmulatorCore, node: NodeRecord): BootstrapContext {
  return {
    nodeAddresses: [node.listenAddress],
    clusterExists: core.data.clusterCreated || core.data.nodes.some((n) => n.bootstrap.state === "creating_cluster"),
    memberAddresses: core.members().flatMap((member) => [member.listenAddress, String(member.object.addr)]),
    isClusterAdmin: (username, password) => {
      const user = core.findUser(username);
      return user !== undefined && user.role === "admin" && secretEquals(user.password, password);
    },
  };
}

/** Validation including the deprecated `policy` object, which must be a valid policy update. */
function validate(core: EmulatorCore, node: NodeRecord, action: BootstrapAction, body: JsonValue | undefined): ValidBootstrap | BootstrapFailure {
  const result = validateBootstrapRequest(action, body, bootstrapContext(core, node));
  if (result.ok && result.policy) {
    try {
      validatePolicyUpdate(result.policy, core.data.policy);
    } catch (error) {
      return { ok: false, errorCode: "config_error", message: `policy: ${error instanceof ApiError ? error.description : String(error)}` };
    }
  }
  return result;
}

function finishCreate(core: EmulatorCore, node: NodeRecord, request: ValidBootstrap): void {
  const now = core.nowIso();
  core.data.clusterCreated = true;
  core.data.cluster.name = request.clusterName ?? core.settings.clusterName;
  core.data.cluster.created_time = now;
  core.data.users = [{ username: request.username, password: request.password, role: "admin" }];
  if (request.policy) core.data.policy = validatePolicyUpdate(request.policy, core.data.policy);
  node.member = true;
  node.bootstrap = { end_time: now, start_time: String(node.bootstrap.start_time ?? now), state: "completed" };
  core.event("bootstrap", { nodeUid: node.uid, clusterName: String(core.data.cluster.name), username: request.username, ignoredFields: request.ignoredFields ?? [] });
  core.commit();
}

function finishJoin(core: EmulatorCore, node: NodeRecord, request: ValidBootstrap): void {
  const now = core.nowIso();
  node.member = true;
  node.bootstrap = { end_time: now, start_time: String(node.bootstrap.start_time ?? now), state: "completed" };
  core.event("join", { nodeUid: node.uid, via: request.joinVia ?? "", ignoredFields: request.ignoredFields ?? [] });
  core.commit();
}

/** Start create_cluster or join_cluster on a node (the HTTP answer is 200 whatever the outcome). */
export function startBootstrap(core: EmulatorCore, node: NodeRecord, action: BootstrapAction, body: JsonValue | undefined): void {
  if (node.member) {
    throw new ApiError(409, "already_bootstrapped", `node ${node.uid} is already a member of cluster '${String(core.data.cluster.name)}'`);
  }
  if (IN_PROGRESS.has(String(node.bootstrap.state))) {
    throw new ApiError(409, "bootstrap_in_progress", `node ${node.uid} is already bootstrapping (state '${String(node.bootstrap.state)}'); wait for it`);
  }
  const now = core.nowIso();
  const result = validate(core, node, action, body);
  if (!result.ok) {
    // Bootstrap errors show in GET /v1/bootstrap, not in the answer to the POST (reference §3.3).
    node.bootstrap = { end_time: now, error_code: result.errorCode, error_details: { message: result.message }, start_time: now, state: "error" };
    core.event("bootstrap_failed", { nodeUid: node.uid, action, errorCode: result.errorCode });
    core.commit();
    return;
  }
  node.bootstrap = { start_time: now, state: action === "create_cluster" ? "creating_cluster" : "joining_cluster" };
  core.commit();
  const generation = core.generation;
  core.schedule(core.settings.operationDelayMs, async () => {
    // The node's internal certificates are issued as it enters the cluster.
    try {
      await core.pki.addNode(pkiNodeOf(core, node));
    } catch (error) {
      if (core.isStopped || core.generation !== generation) return;
      const message = `issuing the node's internal certificates failed: ${error instanceof Error ? error.message : String(error)}`;
      node.bootstrap = { end_time: core.nowIso(), error_code: "internal_error", error_details: { message }, start_time: String(node.bootstrap.start_time), state: "error" };
      core.commit();
      return;
    }
    if (core.isStopped || core.generation !== generation) return;
    if (action === "create_cluster") finishCreate(core, node, result);
    else finishJoin(core, node, result);
  });
}

function getStatus(context: RequestContext): Reply {
  return { status: 200, body: renderBootstrap(context.core, context.node) };
}

function post(context: RequestContext): Reply {
  const action = context.params.action ?? "";
  if (!isBootstrapAction(action)) {
    throw notFound("not_found", `bootstrap action '${action}' is not emulated (create_cluster and join_cluster are)`);
  }
  startBootstrap(context.core, context.node, action, context.body);
  return { status: 200 };
}

function validateOnly(context: RequestContext): Reply {
  const action = context.params.action ?? "";
  if (!isBootstrapAction(action)) {
    throw notFound("not_found", `bootstrap action '${action}' is not emulated (create_cluster and join_cluster are)`);
  }
  const result = validate(context.core, context.node, action, context.body);
  if (result.ok) return { status: 200 };
  throw new ApiError(406, result.errorCode, result.message, {
    bootstrap_status: { error_code: result.errorCode, error_details: { message: result.message }, state: "error" },
  });
}

const bootstrapView = { kind: "bootstrap", permission: "view_cluster_info" } as const;
const bootstrapAdmin = { kind: "bootstrap", permission: "update_cluster" } as const;

export const bootstrapRoutes: Route[] = [
  { method: "GET", pattern: "/v1/bootstrap", access: bootstrapView, handler: getStatus },
  { method: "POST", pattern: "/v1/bootstrap/validate/:action", access: bootstrapAdmin, handler: validateOnly },
  { method: "POST", pattern: "/v1/bootstrap/:action", access: bootstrapAdmin, handler: post },
];
