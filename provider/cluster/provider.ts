// The Cluster resource provider: bootstrap (or adopt), settings through the table, nodes joined on update, and
// reads that show drift and node changes. Deleting it leaves the cluster running. The shim in sdk/shim.ts
// forwards the engine's calls here.
import type * as pulumi from "@pulumi/pulumi";
import { guardedCheck } from "../framework/guard";
import { describeChange } from "../core";
import { certificatesFromMap, describeCertificate } from "../certificates";
import { printLine } from "../output";
import { RsClient, isRsApiError, isRsConnectionError, type Connection } from "../rest";
import { timeoutFor, type TimeoutsInput } from "../timeouts";
import {
  bootstrapFailure,
  createClusterBody,
  isBootstrapInProgress,
  joinClusterBody,
  parseBootstrapStatus,
  postBootstrap,
  waitForBootstrap,
} from "./bootstrap";
import {
  CLUSTER_OBJECT_PATHS,
  DELETE_BEHAVIOR,
  canonicalUrl,
  checkCluster,
  clusterConnection,
  clusterLabel,
  clusterOutputs,
  diffCluster,
  nodeFromRest,
  settingNotes,
  settingsPayloads,
} from "./logic";
import { CLUSTER_TABLE } from "./table";
import type { ClusterLive, ClusterNode, ClusterOutputs } from "./types";
import { diffProperties, type PropertyChange } from "../core";
import type { ClusterObject } from "./table";

type Props = Record<string, unknown>;

interface PartialFailure extends Error {
  id: string;
  properties: Props;
  reasons: string[];
}

function urlsOf(props: Props): string[] {
  const nodes = Array.isArray(props.nodes) ? props.nodes : [];
  return nodes
    .map((node) => (typeof node === "object" && node !== null ? (node as Props).url : undefined))
    .filter((url): url is string => typeof url === "string")
    .map(canonicalUrl);
}

/** The connection to one node with the resource's credentials and trust. */
function nodeConnection(props: Props, url: string): Connection {
  return { ...clusterConnection(props), url };
}

function clientFor(props: Props, url: string, label: string): RsClient {
  return new RsClient(nodeConnection(props, url), { onEvent: (line) => printLine(`${label}: ${line}`) });
}

async function withNodeClient<T>(props: Props, url: string, label: string, work: (client: RsClient) => Promise<T>): Promise<T> {
  const client = clientFor(props, url, label);
  return work(client).finally(() => client.close());
}

/** A node that cannot serve the cluster's API now: unreachable, down, or not a member. */
function unavailable(error: unknown): boolean {
  return isRsConnectionError(error) || (isRsApiError(error) && (error.status === 503 || error.status === 502 || error.status === 504));
}

/**
 * Runs `work` against the first declared node that answers as a cluster member, so a node that is down does not
 * stop a refresh. Other errors (credentials, TLS) are not hidden behind the next node: they are the user's to fix.
 */
async function withClusterClient<T>(props: Props, label: string, work: (client: RsClient) => Promise<T>): Promise<T> {
  const urls = urlsOf(props);
  if (urls.length === 0) throw new Error(`${label}: no node URL is recorded; declare nodes: [{ url }]`);
  const reasons: string[] = [];
  for (const url of urls) {
    const client = clientFor(props, url, label);
    try {
      await client.get("/v1/cluster", { retry: false, query: { fields: "name" } });
    } catch (error) {
      await client.close();
      if (!unavailable(error)) throw error;
      reasons.push(`${url}: ${(error as Error).message}`);
      continue;
    }
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  }
  throw new Error(`${label}: no node answered as a cluster member (${reasons.join("; ")})`);
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The uid each declared URL reaches, from the previous outputs. */
function recordedUids(props: Props): Map<number, string> {
  const byUid = new Map<number, string>();
  for (const node of Array.isArray(props.nodes) ? props.nodes : []) {
    const record = asObject(node);
    if (typeof record.url === "string" && Number.isInteger(record.uid)) byUid.set(Number(record.uid), canonicalUrl(record.url));
  }
  return byUid;
}

/** Reads the three REST objects, the nodes and the API certificate's fingerprint (certificate keys are dropped at once). */
async function readFacts(client: RsClient, urlByUid: Map<number, string>): Promise<{ live: ClusterLive; nodes: ClusterNode[]; apiCertificateFingerprintSha256?: string }> {
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
    .map((node) => nodeFromRest(node, urlByUid.get(Number(node.uid))))
    .sort((a, b) => a.uid - b.uid);
  return {
    live: { cluster: asObject(cluster), policy: asObject(policy), jobScheduler: asObject(jobScheduler) },
    nodes: liveNodes,
    ...(api ? { apiCertificateFingerprintSha256: describeCertificate("api", api, Date.now()).fingerprintSha256 } : {}),
  };
}

async function readOutputs(client: RsClient, inputs: Props, urlByUid: Map<number, string>, impacts: PropertyChange[] = []): Promise<ClusterOutputs> {
  return clusterOutputs(await readFacts(client, urlByUid), inputs, impacts);
}

/** The address a joining node is pointed at: an active member's. */
async function memberAddress(client: RsClient): Promise<string> {
  const nodes = ((await client.get<unknown[]>("/v1/nodes")) ?? []).map(asObject);
  const active = nodes.find((node) => node.status === "active" && typeof node.addr === "string") ?? nodes.find((node) => typeof node.addr === "string");
  if (!active) throw new Error("the cluster lists no node with an address to join through");
  return String(active.addr);
}

interface JoinContext {
  props: Props;
  label: string;
  deadline: number;
  member: string;
  urlByUid: Map<number, string>;
}

/** Joins the node at `url` (unless it already belongs to the cluster) and records its uid. */
async function joinNode(url: string, context: JoinContext): Promise<void> {
  const { props, label, deadline } = context;
  const password = String(props.password);
  await withNodeClient(props, url, label, async (node) => {
    const before = parseBootstrapStatus(await node.get("/v1/bootstrap"));
    if (before.state !== "completed") {
      if (!isBootstrapInProgress(before.state)) {
        printLine(`${label}: joining node ${url} to the cluster through ${context.member}`);
        await postBootstrap(node, "join_cluster", joinClusterBody(context.member, String(props.username), password));
      }
      await waitForBootstrap(node, url, "join_cluster", password, {
        deadlineMs: deadline - Date.now(),
        onProgress: (line) => printLine(`${label}: ${line}`),
      });
    }
    const after = parseBootstrapStatus(await node.get("/v1/bootstrap"));
    if (after.nodeUid !== undefined) context.urlByUid.set(after.nodeUid, url);
  });
}

/** PUT each REST object's part of what differs from `live`, one request per object. */
async function applySettings(client: RsClient, live: Props, inputs: Props, deadline: number): Promise<void> {
  const payloads = settingsPayloads(live, inputs);
  for (const [object, body] of Object.entries(payloads) as Array<[ClusterObject, Record<string, unknown>]>) {
    if (Object.keys(body).length === 0) continue;
    await client.put(CLUSTER_OBJECT_PATHS[object], body, { expectEmpty: true, retry: { deadlineMs: Math.max(1000, deadline - Date.now()) } });
  }
}

/** Write, then re-read and verify: a setting the cluster did not take is an error, not a silent success. */
function verifySettings(outputs: ClusterOutputs, inputs: Props, label: string): void {
  const notApplied = diffProperties(CLUSTER_TABLE, outputs as unknown as Props, inputs).changed;
  if (notApplied.length > 0) {
    throw new Error(`${label}: the cluster accepted the settings but still shows ${notApplied.map(describeChange).join("; ")}; look at the cluster (pulumi refresh) and apply again`);
  }
}

function partialFailure(id: string, properties: Props, inputs: Props, cause: unknown, label: string, what: string): PartialFailure {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const error = new Error(
    `${label}: ${what}, but then: ${reason}. It is recorded in the stack: run pulumi up again to finish (pending nodes join, settings are applied), or pulumi refresh to see its state`,
  ) as PartialFailure;
  error.id = id;
  error.properties = { ...properties, __provider: inputs.__provider };
  error.reasons = [reason];
  return error;
}

/** A minimal record of a cluster that exists but could not be read in full. */
function minimalRecord(inputs: Props, urlByUid: Map<number, string>): Props {
  const nodes = [...urlByUid.entries()].map(([uid, url]) => ({ url, uid, address: "", externalAddresses: [], softwareVersion: "", status: "" }));
  return { ...inputs, nodes, connection: clusterConnection(inputs), deleteBehavior: DELETE_BEHAVIOR };
}

async function bootstrapFirstNode(inputs: Props, url: string, label: string, deadline: number, urlByUid: Map<number, string>): Promise<void> {
  const password = String(inputs.password);
  await withNodeClient(inputs, url, label, async (node) => {
    const status = parseBootstrapStatus(await node.get("/v1/bootstrap"));
    if (status.state === "completed") {
      throw new Error(`${label}: node ${url} already belongs to a cluster; to manage that cluster, set adopt: true (with its admin username and password)`);
    }
    if (!isBootstrapInProgress(status.state)) {
      printLine(`${label}: creating the cluster on node ${url}`);
      await postBootstrap(node, "create_cluster", createClusterBody(String(inputs.name), String(inputs.username), password));
    }
    const done = await waitForBootstrap(node, url, "create_cluster", password, {
      deadlineMs: deadline - Date.now(),
      onProgress: (line) => printLine(`${label}: ${line}`),
    });
    const after = done.nodeUid !== undefined ? done : parseBootstrapStatus(await node.get("/v1/bootstrap"));
    urlByUid.set(after.nodeUid ?? 1, url);
  });
}

/** Maps each declared URL that is already a member to its uid; returns the URLs that are not members yet. */
async function discoverMembers(inputs: Props, urls: readonly string[], label: string, urlByUid: Map<number, string>): Promise<string[]> {
  const pending: string[] = [];
  for (const url of urls) {
    const status = await withNodeClient(inputs, url, label, async (node) => parseBootstrapStatus(await node.get("/v1/bootstrap")));
    if (status.state === "completed" && status.nodeUid !== undefined) urlByUid.set(status.nodeUid, url);
    else pending.push(url);
  }
  return pending;
}

async function adopt(inputs: Props, label: string, deadline: number): Promise<{ id: string; outs: ClusterOutputs }> {
  const urls = urlsOf(inputs);
  const urlByUid = new Map<number, string>();
  const pending = await discoverMembers(inputs, urls, label, urlByUid);
  if (urlByUid.size === 0) {
    throw new Error(`${label}: adopt is set but none of the declared nodes belongs to a cluster yet; remove adopt to bootstrap one`);
  }
  return withClusterClient({ ...inputs, nodes: [...urlByUid.values()].map((url) => ({ url })) }, label, async (client) => {
    const cluster = asObject(await client.get("/v1/cluster"));
    if (cluster.name !== inputs.name) {
      throw new Error(`${label}: the cluster at ${urls[0]} is named ${JSON.stringify(cluster.name)}, not ${JSON.stringify(inputs.name)}; set name to the cluster's FQDN (it cannot change)`);
    }
    const before = await readOutputs(client, inputs, urlByUid);
    const changes = diffProperties(CLUSTER_TABLE, before as unknown as Props, inputs).changed;
    printLine(`${label}: adopting the existing cluster` + (changes.length > 0 ? ` and applying ${changes.length} setting(s)` : " (its settings match the declared ones)"));
    for (const note of settingNotes(label, changes)) printLine(note);
    const member = await memberAddress(client);
    for (const url of pending) await joinNode(url, { props: inputs, label, deadline, member, urlByUid });
    await applySettings(client, before as unknown as Props, inputs, deadline);
    const outs = await readOutputs(client, inputs, urlByUid, changes);
    verifySettings(outs, inputs, label);
    return { id: String(cluster.name), outs };
  });
}

/** The Cluster provider. */
export function clusterProvider(): pulumi.dynamic.ResourceProvider {
  return {
    check: (olds: Props, news: Props) => guardedCheck("Cluster", olds, news, (olds, news) => checkCluster(olds, news)),

    async diff(_id: string, olds: Props, news: Props) {
      // Never throws: the engine calls diff during refresh too, and a throw would fail the refresh. Check refuses
      // these changes at preview and up; update refuses them again before sending anything.
      const diff = diffCluster(olds, news);
      for (const failure of diff.refused) printLine(`${failure.reason} (pulumi up will refuse this)`);
      for (const note of diff.notes) printLine(note);
      return { changes: diff.changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: Props) {
      const label = clusterLabel(inputs.name);
      const deadline = Date.now() + timeoutFor("create", inputs.timeouts as TimeoutsInput);
      if (inputs.adopt === true) return adopt(inputs, label, deadline);
      const urls = urlsOf(inputs);
      const id = String(inputs.name);
      const urlByUid = new Map<number, string>();
      // Nothing exists until the first node has created the cluster: a failure here is a plain error.
      await bootstrapFirstNode(inputs, urls[0], label, deadline, urlByUid);
      const created = `the cluster was created on ${urls[0]}`;
      try {
        const member = await withNodeClient(inputs, urls[0], label, (client) => memberAddress(client));
        for (const url of urls.slice(1)) await joinNode(url, { props: inputs, label, deadline, member, urlByUid });
        return await withClusterClient(inputs, label, async (client) => {
          const before = await readOutputs(client, inputs, urlByUid);
          await applySettings(client, before as unknown as Props, inputs, deadline);
          const outs = await readOutputs(client, inputs, urlByUid);
          verifySettings(outs, inputs, label);
          return { id, outs };
        });
      } catch (error) {
        // The cluster exists: record what is there (the nodes that joined), so nothing is lost and up finishes it.
        let properties: Props = minimalRecord(inputs, urlByUid);
        try {
          properties = (await withNodeClient(inputs, urls[0], label, (client) => readOutputs(client, inputs, urlByUid))) as unknown as Props;
        } catch {
          // Keep the minimal record: the id and the joined nodes are what the next up needs.
        }
        throw partialFailure(id, properties, inputs, error, label, created);
      }
    },

    async read(id: string, props: Props) {
      const label = clusterLabel(props?.name ?? id);
      return withClusterClient(props, label, async (client) => {
        const outs = await readOutputs(client, props, recordedUids(props), (props.lastUpdateImpacts as PropertyChange[]) ?? []);
        return { id, props: outs as unknown as Props };
      });
    },

    async update(id: string, olds: Props, news: Props) {
      const label = clusterLabel(news.name ?? olds.name);
      const diff = diffCluster(olds, news);
      if (diff.refused.length > 0) throw new Error(diff.refused.map((failure) => failure.reason).join("; "));
      const deadline = Date.now() + timeoutFor("update", news.timeouts as TimeoutsInput);
      const urlByUid = recordedUids(olds);
      // Talk through the nodes known to be members (the new ones are not yet).
      const members = { ...news, nodes: [...urlByUid.values()].map((url) => ({ url })) };
      return withClusterClient(members, label, async (client) => {
        if (diff.nodesAdded.length > 0) {
          const member = await memberAddress(client);
          for (const url of diff.nodesAdded) await joinNode(url, { props: news, label, deadline, member, urlByUid });
        }
        for (const url of diff.nodesRemoved) {
          for (const [uid, known] of urlByUid) if (known === url) urlByUid.delete(uid);
        }
        await applySettings(client, olds, news, deadline);
        const impacts = diff.changed.map((change) => ({ ...change }));
        const outs = await readOutputs(client, news, urlByUid, impacts);
        verifySettings(outs, news, label);
        return { outs };
      });
    },

    async delete(_id: string, props: Props) {
      printLine(`${clusterLabel(props?.name)}: ${DELETE_BEHAVIOR}`);
    },
  };
}

