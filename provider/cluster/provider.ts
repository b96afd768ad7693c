// The Cluster resource provider: the hooks the framework's life cycle (provider/framework/lifecycle.ts) calls
// around the pure logic of logic.ts and bootstrap.ts. The create bootstraps the first node and the life cycle
// then settles the cluster (the other nodes join as "join" actions, the declared settings are applied table by
// table and verified); an update applies the settings and joins added nodes; adoption finds the members among
// the declared nodes; reads go through the first node that answers as a member, so a node that is down does not
// stop a refresh. Deleting it leaves the cluster running. The shim in sdk/shim.ts forwards the engine's calls here.
import { setTimeout as sleep } from "node:timers/promises";
import type * as pulumi from "@pulumi/pulumi";
import { containsUnknown } from "../core";
import { certificatesFromMap, describeCertificate } from "../certificates";
import { type LifecycleHooks, type OperationContext, type Session, resourceProvider } from "../framework/lifecycle";
import { printLine } from "../output";
import { DEFAULT_REFUSED_BUDGET_MS, DEFAULT_RETRY_POLICY, RsClient, backoffDelayMs, isOutcomeUnknown, isRsApiError, isRsConnectionError, type Connection } from "../rest";
import { formatSeconds } from "../rest/errors";
import type { StackSettings } from "../settings";
import { createClusterBody, isBootstrapInProgress, joinClusterBody, parseBootstrapStatus, postBootstrap, waitForBootstrap } from "./bootstrap";
import {
  CLUSTER_OBJECT_PATHS,
  CLUSTER_RESOURCE,
  DELETE_BEHAVIOR,
  canonicalUrl,
  checkCluster,
  clusterChangesBeyondTable,
  clusterConnection,
  nodeFromRest,
} from "./logic";
import type { ClusterLive } from "./types";

type Props = Record<string, unknown>;

function urlsOf(props: Props | undefined): string[] {
  const nodes = Array.isArray(props?.nodes) ? props.nodes : [];
  return nodes
    .map((node) => (typeof node === "object" && node !== null ? (node as Props).url : undefined))
    .filter((url): url is string => typeof url === "string")
    .map(canonicalUrl);
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The uid each recorded URL reaches, from the previous outputs. */
function recordedUids(props: Props | undefined): Map<number, string> {
  const byUid = new Map<number, string>();
  for (const node of Array.isArray(props?.nodes) ? props.nodes : []) {
    const record = asObject(node);
    if (typeof record.url === "string" && Number.isInteger(record.uid)) byUid.set(Number(record.uid), canonicalUrl(record.url));
  }
  return byUid;
}

/**
 * A probe failure worth riding out: no answer (the node is down or restarting), 409 (the cluster is busy with
 * another change), or any 5xx (the node is not a member yet, a proxy could not reach it, a passing server error).
 * The client's policy retries a GET on 409, 502, 503 and 504; a probe also rides out a 500, since sending it again
 * changes nothing. Anything else (401, 403, 404, TLS) is the user's to fix: it ends the probe at once.
 */
export function transientProbeFailure(error: unknown): boolean {
  return isRsConnectionError(error) || (isRsApiError(error) && (error.status === 409 || error.status >= 500));
}

/**
 * A Cluster operation's view of the nodes: each node's API with the resource's credentials and trust, and which
 * node uid each declared URL reaches (from the recorded outputs, then from what the bootstrap and the joins
 * report). Clients are opened per use and closed at once: a node is a different endpoint each time.
 */
export class ClusterSession implements Session {
  readonly inputs: Props;
  readonly label: string;
  readonly deadlineAt: number | undefined;
  /** Node uid -> declared URL, for the nodes known to be members. */
  readonly urlByUid: Map<number, string>;

  constructor(inputs: Props, label: string, deadlineAt?: number, recorded?: Props) {
    this.inputs = inputs;
    this.label = label;
    this.deadlineAt = deadlineAt;
    // A recorded node is paired with its URL while the program still declares it; a removed one is no longer.
    const declared = new Set(urlsOf(inputs));
    this.urlByUid = new Map([...recordedUids(recorded)].filter(([, url]) => declared.has(url)));
  }

  /** A client of the node at `url` (the caller closes it). */
  client(url: string): RsClient {
    const connection: Connection = { ...clusterConnection(this.inputs), url };
    const print = (line: string) => printLine(`${this.label}: ${line}`);
    return new RsClient(connection, { onEvent: print, onWarning: print, ...(this.deadlineAt !== undefined ? { deadlineAt: this.deadlineAt } : {}) });
  }

  async withNode<T>(url: string, work: (client: RsClient) => Promise<T>): Promise<T> {
    const client = this.client(url);
    return work(client).finally(() => client.close());
  }

  /**
   * Runs `work` against the first node that answers as a cluster member: the known members, else the declared
   * nodes. Each round asks every node once, in order, so a node that is down or answers an error falls over to
   * the next at once; when none answers, the rounds go on with the client's backoff until the operation's deadline
   * (a read, which has none, gets the client's retry budget), so a busy window or a passing 500 is ridden out
   * as the client rides them out for any other request. A node refused outright from the start (a wrong port, a
   * stopped cluster) gets the client's short budget, not the whole deadline. Other errors (credentials, TLS) are
   * not hidden behind the next node: they are the user's to fix, and end the probe at once.
   */
  async withMember<T>(work: (client: RsClient) => Promise<T>): Promise<T> {
    const urls = this.urlByUid.size > 0 ? [...new Set(this.urlByUid.values())] : urlsOf(this.inputs);
    if (urls.length === 0) throw new Error(`${this.label}: no node URL is recorded; declare nodes: [{ url }]`);
    const started = Date.now();
    const until = this.deadlineAt ?? started + DEFAULT_RETRY_POLICY.deadlineMs;
    const last = new Map<string, string>();
    // Whether anything but a refused connection came back: until then, the client's short budget applies.
    let refusedOnly = true;
    for (let round = 1; ; round++) {
      for (const url of urls) {
        const client = this.client(url);
        try {
          await client.get("/v1/cluster", { retry: false, query: { fields: "name" }, deadlineAt: Math.max(until, Date.now() + 1) });
        } catch (error) {
          await client.close();
          if (!transientProbeFailure(error)) throw probeRefusal(error, url, this.label);
          refusedOnly &&= isRsConnectionError(error) && error.causeCode === "ECONNREFUSED";
          last.set(url, (error as Error).message);
          continue;
        }
        try {
          return await work(client);
        } finally {
          await client.close();
        }
      }
      const elapsedMs = Date.now() - started;
      const remainingMs = until - Date.now();
      const reasons = [...last].map(([url, message]) => `${url}: ${message}`).join("; ");
      if (refusedOnly && elapsedMs >= DEFAULT_REFUSED_BUDGET_MS) {
        throw new Error(`${this.label}: every node refused the connection for ${formatSeconds(elapsedMs)} (${reasons}); check the nodes' URLs (the REST API port, 9443 by default) and that the cluster is running`);
      }
      if (remainingMs <= 0) throw new Error(`${this.label}: no node answered as a cluster member in ${formatSeconds(elapsedMs)} (${reasons})`);
      if (round === 1) printLine(`${this.label}: no node answered as a cluster member yet (${reasons}); asking again until ${this.deadlineAt !== undefined ? "the deadline" : `${formatSeconds(until - started)} have passed`}`);
      await sleep(Math.min(backoffDelayMs(round, DEFAULT_RETRY_POLICY, Math.random), remainingMs));
    }
  }

  /** The three REST objects, the nodes and the API certificate's fingerprint (certificate keys are dropped at once). */
  readLive(): Promise<ClusterLive> {
    return this.withMember(async (client) => {
      const [cluster, policy, jobScheduler, nodes, certificates] = await Promise.all([
        client.get("/v1/cluster"),
        client.get("/v1/cluster/policy"),
        client.get("/v1/job_scheduler"),
        client.get<unknown[]>("/v1/nodes"),
        client.get("/v1/cluster/certificates").then(certificatesFromMap),
      ]);
      const api = certificates.get("api");
      const liveNodes = (Array.isArray(nodes) ? nodes : [])
        .map(asObject)
        .map((node) => nodeFromRest(node, this.urlByUid.get(Number(node.uid))))
        .sort((a, b) => a.uid - b.uid);
      return {
        cluster: asObject(cluster),
        policy: asObject(policy),
        jobScheduler: asObject(jobScheduler),
        nodes: liveNodes,
        ...(api ? { apiCertificateFingerprintSha256: describeCertificate("api", api, Date.now()).fingerprintSha256 } : {}),
      };
    });
  }

  close(): void {
    // Every client is closed after its use.
  }
}

/**
 * A probe answer that ends the operation, with what to do. A 401 names the Cluster's own inputs (the client's
 * words name a connection's, which a Cluster does not have); the error object stays the same (class and fields).
 */
function probeRefusal(error: unknown, url: string, label: string): unknown {
  if (isRsApiError(error) && error.status === 401) {
    try {
      error.message =
        `${label}: node ${url} refused the username or password (401${error.errorCode ? ` ${error.errorCode}` : ""} on GET /v1/cluster): ` +
        "set the Cluster's username and password to the cluster's admin user";
    } catch {
      // A frozen error keeps its message.
    }
  }
  return error;
}

/** The address a joining node is pointed at: an active member's. */
async function memberAddress(client: RsClient): Promise<string> {
  const nodes = ((await client.get<unknown[]>("/v1/nodes")) ?? []).map(asObject);
  const active = nodes.find((node) => node.status === "active" && typeof node.addr === "string") ?? nodes.find((node) => typeof node.addr === "string");
  if (!active) throw new Error("the cluster lists no node with an address to join through");
  return String(active.addr);
}

/** Joins the node at `url` through `member` (unless it already belongs to the cluster) and records its uid. */
async function joinNode(session: ClusterSession, url: string, member: string, ctx: OperationContext): Promise<void> {
  const password = String(session.inputs.password);
  await session.withNode(url, async (node) => {
    const before = parseBootstrapStatus(await node.get("/v1/bootstrap"));
    if (before.state !== "completed") {
      if (!isBootstrapInProgress(before.state)) {
        ctx.print(`joining node ${url} to the cluster through ${member}`);
        await postBootstrap(node, "join_cluster", joinClusterBody(member, String(session.inputs.username), password));
      }
      await waitForBootstrap(node, url, "join_cluster", password, { deadlineMs: ctx.deadline.remainingMs(), onProgress: ctx.print });
    }
    const after = parseBootstrapStatus(await node.get("/v1/bootstrap"));
    if (after.nodeUid !== undefined) session.urlByUid.set(after.nodeUid, url);
  });
}

/** Creates the cluster on the first node; nothing exists until it has, so a failure here is a plain error. */
async function bootstrapFirstNode(session: ClusterSession, url: string, ctx: OperationContext): Promise<void> {
  const { inputs } = session;
  const password = String(inputs.password);
  await session.withNode(url, async (node) => {
    const status = parseBootstrapStatus(await node.get("/v1/bootstrap"));
    if (status.state === "completed") {
      throw new Error(`${ctx.label}: node ${url} already belongs to a cluster; to manage that cluster, set adopt: true (with its admin username and password)`);
    }
    if (!isBootstrapInProgress(status.state)) {
      ctx.print(`creating the cluster on node ${url}`);
      await postBootstrap(node, "create_cluster", createClusterBody(String(inputs.name), String(inputs.username), password));
    }
    const done = await waitForBootstrap(node, url, "create_cluster", password, { deadlineMs: ctx.deadline.remainingMs(), onProgress: ctx.print });
    const after = done.nodeUid !== undefined ? done : parseBootstrapStatus(await node.get("/v1/bootstrap"));
    session.urlByUid.set(after.nodeUid ?? 1, url);
  });
}

/** Pairs each declared URL that is already a member with its uid; true when any is. */
async function discoverMembers(session: ClusterSession): Promise<boolean> {
  for (const url of urlsOf(session.inputs)) {
    const status = await session.withNode(url, async (node) => parseBootstrapStatus(await node.get("/v1/bootstrap")));
    if (status.state === "completed" && status.nodeUid !== undefined) session.urlByUid.set(status.nodeUid, url);
  }
  return session.urlByUid.size > 0;
}

/** The Cluster's hooks: the REST calls of each step of the life cycle. */
export function clusterHooks(): LifecycleHooks<ClusterLive, ClusterSession> {
  return {
    session: {
      property: "nodes",
      // checkCluster checks the nodes, credentials and trust, with the rest of the inputs.
      problems: () => [],
      known: (news) => ["nodes", "username", "password", "tls"].every((key) => !containsUnknown(news[key])),
      open: (inputs, label, deadlineAt, recorded) => new ClusterSession(inputs, label, deadlineAt, recorded),
    },
    check: (olds, news) => checkCluster(olds, news),
    changesBeyondTable: (olds, news) => clusterChangesBeyondTable(olds, news),
    settleAfterCreate: true,

    async startCreate(session, inputs, ctx) {
      const first = urlsOf(inputs)[0];
      await bootstrapFirstNode(session, first, ctx);
      return { id: String(inputs.name), pending: first };
    },

    // The bootstrap has completed (startCreate waited for it); the life cycle settles the rest.
    completeCreate: (session) => session.readLive(),

    describePartialFailure: (_id, first, reason, ctx) =>
      `${ctx.label}: the cluster was created on ${String(first)}, but then: ${reason}. ` +
      "It is recorded in the stack: run pulumi up again to finish (pending nodes join, settings are applied), or pulumi refresh to see its state",

    read: (session) => session.readLive(),

    // The cluster exists: what is there (the nodes that joined) is recorded, so nothing is lost and up finishes it.
    minimalRecord: (_id, inputs, session) => {
      const joined = session?.urlByUid ?? new Map<number, string>();
      const nodes = [...joined.entries()].map(([uid, url]) => ({ url, uid, address: "", externalAddresses: [], softwareVersion: "", status: "" }));
      return { ...inputs, nodes, connection: clusterConnection(inputs), deleteBehavior: DELETE_BEHAVIOR };
    },

    async startUpdate(session, _id, payloads, ctx) {
      // One PUT per REST object, each with its part of what differs from the live values.
      await session.withMember(async (client) => {
        for (const [object, body] of Object.entries(payloads)) {
          if (Object.keys(body).length === 0) continue;
          const path = CLUSTER_OBJECT_PATHS[object as keyof typeof CLUSTER_OBJECT_PATHS];
          await client.put(path, body, { expectEmpty: true, retry: { deadlineMs: ctx.deadline.remainingMs() } });
        }
      });
    },

    completeUpdate: (session) => session.readLive(),
    // A PUT answered 5xx or not at all may have been applied: the life cycle re-reads and reports what is live.
    outcomeUnknown: isOutcomeUnknown,

    async delete(_session, _id, ctx) {
      ctx.print(DELETE_BEHAVIOR);
    },

    actions: {
      async join(session, _id, _change, ctx, all) {
        const member = await session.withMember(memberAddress);
        for (const change of all) await joinNode(session, String(change.new), member, ctx);
      },
    },

    adopt: {
      wanted: (inputs) => inputs.adopt === true,
      // Adopting a cluster applies the declared settings: they are what the program manages.
      applyChanges: () => true,
      async find(session, inputs, ctx) {
        if (!(await discoverMembers(session))) {
          throw new Error(`${ctx.label}: adopt is set but none of the declared nodes belongs to a cluster yet; remove adopt to bootstrap one`);
        }
        const name = await session.withMember(async (client) => asObject(await client.get("/v1/cluster")).name);
        if (name !== inputs.name) {
          throw new Error(
            `${ctx.label}: the cluster at ${urlsOf(inputs)[0]} is named ${JSON.stringify(name)}, not ${JSON.stringify(inputs.name)}; set name to the cluster's FQDN (it cannot change)`,
          );
        }
        return session.readLive();
      },
      id: (live) => String(live.cluster.name),
      describe: (_live, changes) => "adopting the existing cluster" + (changes.length > 0 ? ` and applying ${changes.length} setting(s)` : " (its settings match the declared ones)"),
    },
  };
}

/** The Cluster provider; `getSettings` returns what configure() read from stack config. */
export function clusterProvider(getSettings: () => StackSettings = () => ({ connection: {} })): pulumi.dynamic.ResourceProvider {
  return resourceProvider(CLUSTER_RESOURCE, clusterHooks(), getSettings);
}
