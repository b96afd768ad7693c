// Bootstrap over the REST client (rs-rest-api.md §3.3): POST /v1/bootstrap/create_cluster on the first node,
// POST /v1/bootstrap/join_cluster on each other node's own API pointing at a member, and GET /v1/bootstrap on
// each until `completed`. A bootstrap is asynchronous: the POST answers 200 at once and the outcome, with
// `error_code` and `error_details`, shows in GET /v1/bootstrap.
import { RsOperationError, isRsConnectionError, pollUntil, redactSecrets, type RsClient } from "../rest";

/** GET /v1/bootstrap, reduced to what the orchestration needs. */
export interface BootstrapStatus {
  /** idle, initiated, creating_cluster, joining_cluster, recovering_cluster, error, completed. */
  state: string;
  errorCode?: string;
  errorMessage?: string;
  /** local_node_info.uid (a string on a real cluster): known once the node is in a cluster. */
  nodeUid?: number;
  /** The node's first address from local_node_info.available_addresses. */
  address?: string;
}

const IN_PROGRESS = new Set(["initiated", "creating_cluster", "joining_cluster", "recovering_cluster"]);

/** Reads a GET /v1/bootstrap answer; tolerant of missing parts (an unknown state reads as ""). */
export function parseBootstrapStatus(answer: unknown): BootstrapStatus {
  const body = (typeof answer === "object" && answer !== null ? answer : {}) as Record<string, unknown>;
  const status = (typeof body.bootstrap_status === "object" && body.bootstrap_status !== null ? body.bootstrap_status : {}) as Record<string, unknown>;
  const local = (typeof body.local_node_info === "object" && body.local_node_info !== null ? body.local_node_info : {}) as Record<string, unknown>;
  const details = status.error_details;
  const result: BootstrapStatus = { state: typeof status.state === "string" ? status.state : "" };
  if (typeof status.error_code === "string" && status.error_code !== "") result.errorCode = status.error_code;
  if (typeof details === "object" && details !== null) {
    const message = (details as Record<string, unknown>).message;
    // error_details is "usually {message}"; other shapes (failed_nodes, required_memory) are kept as JSON.
    result.errorMessage = typeof message === "string" ? message : JSON.stringify(details).slice(0, 500);
  } else if (typeof details === "string") {
    result.errorMessage = details;
  }
  const uid = Number(local.uid);
  if (local.uid !== undefined && local.uid !== "" && Number.isInteger(uid) && uid > 0) result.nodeUid = uid;
  const addresses = Array.isArray(local.available_addresses) ? local.available_addresses : Array.isArray(local.available_addrs) ? local.available_addrs : [];
  const first = addresses.find((item): item is Record<string, unknown> => typeof item === "object" && item !== null && typeof (item as Record<string, unknown>).address === "string");
  if (first) result.address = String(first.address);
  return result;
}

export function isBootstrapInProgress(state: string): boolean {
  return IN_PROGRESS.has(state);
}

export type BootstrapAction = "create_cluster" | "join_cluster";

/** The create_cluster body: the cluster's FQDN and its first admin. */
export function createClusterBody(name: string, username: string, password: string): Record<string, unknown> {
  return { action: "create_cluster", cluster: { name }, credentials: { username, password } };
}

/** The join_cluster body, sent to the joining node's own API: a member's address and an admin of the cluster. */
export function joinClusterBody(memberAddress: string, username: string, password: string): Record<string, unknown> {
  return { action: "join_cluster", cluster: { nodes: [memberAddress] }, credentials: { username, password } };
}

/** The error for a bootstrap that ended in state `error`, carrying the server's error_code and message. */
export function bootstrapFailure(action: BootstrapAction, url: string, status: BootstrapStatus, password: string): RsOperationError {
  const advice =
    action === "create_cluster"
      ? "Nothing was created. Fix the cause and apply again (a node in state error accepts a new bootstrap)"
      : "The node did not join; the cluster is unchanged. Fix the cause and apply again";
  return new RsOperationError({
    operation: action === "create_cluster" ? "bootstrap create_cluster" : "bootstrap join_cluster",
    objectLabel: `node ${url}`,
    errorCode: status.errorCode ?? "unknown_error",
    // The server's text could echo what it was sent; the password never goes into an error.
    ...(status.errorMessage !== undefined ? { serverMessage: redactSecrets(status.errorMessage, [password]) } : {}),
    advice,
  });
}

export interface BootstrapWaitOptions {
  deadlineMs: number;
  onProgress?: (line: string) => void;
  /** Test seam. */
  initialIntervalMs?: number;
}

/** Polls GET /v1/bootstrap on one node until `completed`; state `error` throws with its code and details. */
export async function waitForBootstrap(
  client: RsClient,
  url: string,
  action: BootstrapAction,
  password: string,
  options: BootstrapWaitOptions,
): Promise<BootstrapStatus> {
  const done = await pollUntil<BootstrapStatus>(
    async () => {
      const status = parseBootstrapStatus(await client.get("/v1/bootstrap"));
      if (status.state === "error") throw bootstrapFailure(action, url, status, password);
      return { done: status.state === "completed", value: status, observed: `bootstrap state ${status.state || "(none)"}` };
    },
    {
      deadlineMs: Math.max(1000, options.deadlineMs),
      initialIntervalMs: options.initialIntervalMs ?? 200,
      maxIntervalMs: 5000,
      description: `node ${url} to finish ${action}`,
      onProgress: options.onProgress,
    },
  );
  return done!;
}

/**
 * Sends one bootstrap POST, never blindly twice: when the answer is lost, GET /v1/bootstrap says whether the
 * node started (then the wait takes over) or is still idle (then it is sent again, once).
 */
export async function postBootstrap(client: RsClient, action: BootstrapAction, body: Record<string, unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.post(`/v1/bootstrap/${action}`, body, { expectEmpty: true });
      return;
    } catch (error) {
      if (!isRsConnectionError(error) || !error.mayHaveReachedServer || attempt > 1) throw error;
      const status = parseBootstrapStatus(await client.get("/v1/bootstrap"));
      if (status.state !== "idle" && status.state !== "error") return;
    }
  }
}
