// The Cluster resource's pure logic: input checks, the diff (settings from the table; name, nodes and
// credentials by their own rules), update payloads per REST object, outputs, and the 6.2.4 readiness rule.
// provider.ts does the I/O around it.
import {
  BOOKKEEPING_OUTPUT_DOCS,
  checkInputs,
  containsUnknown,
  deepEqual,
  diffProperties,
  isDeclared,
  isPlainObject,
  isUnknown,
  noteLines,
  parseSoftwareVersion,
  mergeLeaves,
  mergeJsonDeep,
  rowOfPath,
  compareSoftwareVersions,
  renderCompact,
  renderMarkdownTable,
  passThroughSetting,
  type CheckFailure,
  type JsonObject,
  type ResourceDefinition,
  type PropertyChange,
} from "../core";
import { connectionProblems } from "../connection";
import type { Connection } from "../rest";
import { renderFieldTable, type FieldDoc } from "../fields";
import { timeoutsProblems } from "../timeouts";
import { CLUSTER_OBJECT_PATHS, CLUSTER_ROWS, CLUSTER_TABLE, type ClusterObject } from "./table";
import type { ClusterInputs, ClusterLive, ClusterNode, ClusterSettings, ClusterTls } from "./types";

type Bag = Readonly<Record<string, unknown>>;

/** Data internode encryption needs every node at this version or later (rs-rest-api.md §9). */
export const INTERNODE_ENCRYPTION_MIN_VERSION = "6.2.4";

/** Inputs that are not table rows. */
export const CLUSTER_INPUT_DOCS = [
  { name: "name", type: "string (FQDN, at most 64 characters)", description: "The cluster's FQDN, set once at bootstrap. A change is refused with the reason. Required." },
  { name: "nodes", type: "list of { url }", description: "Each node's REST API, in order: the first creates the cluster, the others join it through it. Adding a node joins it; removing one is refused unless allowNodeRemoval is true. Required." },
  { name: "username", type: "string", description: "The admin user the bootstrap creates, or the existing admin when adopting. Required." },
  { name: "password", type: "string (secret)", description: "That admin's password. Secret: never printed; the password and connection outputs are secret. Required." },
  { name: "tls", type: "{ caCertPem?; caFingerprintSha256?; insecureSkipVerify? }", description: "How the nodes' API certificate is verified, before and after bootstrap (caCertPem may hold several certificates). Copied into the connection output." },
  { name: "adopt", type: "boolean", description: "Take over a running cluster (its name, admin and declared nodes) instead of bootstrapping; declared settings are then applied." },
  { name: "allowNodeRemoval", type: "boolean", description: "Allow removing nodes from `nodes`: the provider stops managing them; remove them from the cluster with rladmin as the README says." },
  { name: "timeouts", type: "{ create?; update?; delete? }", description: "Deadlines (seconds, or \"20m\"); bootstrap and joins share the create deadline. Default 30m/30m/10m." },
] as const satisfies readonly FieldDoc[];

export const CLUSTER_SETTINGS = CLUSTER_INPUT_DOCS.map((doc) => doc.name);

/** Outputs that are neither inputs nor rows; the SDK seeds them so the engine fills them in. */
export const CLUSTER_OUTPUT_DOCS = [
  { name: "nodes", type: "list of { url?; uid; address; externalAddresses; softwareVersion; status }", description: "Every node of the cluster as it reports itself; url is the declared API of that node." },
  { name: "internodeEncryptionReady", type: "boolean", description: "Every node at 6.2.4 or later (versions compared as numbers), the condition for data internode encryption." },
  { name: "internodeEncryptionBlockers", type: "list of string", description: "The nodes that keep it false, e.g. \"node 2 (6.2.3-12)\"." },
  { name: "controlPlaneInternodeEncryption", type: "boolean", description: "The cluster's ccs_internode_encryption." },
  { name: "apiCertificateFingerprintSha256", type: "string", description: "SHA-256 of the cluster's api certificate (hex), e.g. to pin it." },
  { name: "connection", type: "{ url; username; password; caCertPem?; caFingerprintSha256?; insecureSkipVerify? } (secret)", description: "The first node's API with the admin and the declared trust: pass it as a Database's or CertificateRotation's connection." },
  ...BOOKKEEPING_OUTPUT_DOCS,
  { name: "deleteBehavior", type: "string", description: "Says that deleting the resource leaves the cluster running." },
] as const satisfies readonly FieldDoc[];

export const CLUSTER_OUTPUT_KEYS = CLUSTER_OUTPUT_DOCS.map((doc) => doc.name).filter((name) => name !== "nodes");

/**
 * The Cluster on the framework: its table, the inputs that are not rows (settings), output keys and labels. The
 * generators read it (SDK constants and secret outputs in sdk/generated/resources.ts, arbitraries, row coverage);
 * check and diff below add what is the Cluster's own (nodes, name, credentials).
 */
export const CLUSTER_RESOURCE: ResourceDefinition<ClusterSettings, ClusterLive> = {
  kind: "Cluster",
  noun: "cluster",
  idName: "name",
  table: CLUSTER_TABLE,
  settings: [
    passThroughSetting("name"),
    // Declared as [{ url }], recorded as the cluster reports its nodes: the same setting when the URLs are.
    passThroughSetting("nodes", { equals: (declared, recorded) => sameUrls(urlsOf(declared), urlsOf(recorded)), fromOutput: (recorded) => urlsOf(recorded).map((url) => ({ url })) }),
    passThroughSetting("username"),
    passThroughSetting("password", { secret: true }),
    passThroughSetting("tls"),
    passThroughSetting("adopt"),
    passThroughSetting("allowNodeRemoval"),
    passThroughSetting("timeouts"),
  ],
  outputKeys: ["nodes", ...CLUSTER_OUTPUT_KEYS],
  label: (news, olds) => clusterLabel(news.name ?? olds?.name),
  liveOutputs: (live, _values, inputs) => liveClusterOutputs(live, inputs),
  idOf: (live) => live.cluster.name,
  deleteBeforeReplace: false,
  // The connection output carries the admin password.
  secretOutputKeys: ["connection"],
};

export const DELETE_BEHAVIOR =
  "Deleting this resource leaves the cluster running: Redis Enterprise has no API that destroys a cluster. Its nodes, databases and settings stay as they are.";

// A cluster name is an FQDN of at most 64 characters (RFC 952 / RFC 1123 §2.1); one label is allowed (REAL "docker-cluster").
const FQDN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function clusterLabel(name: unknown): string {
  return typeof name === "string" && !isUnknown(name) ? `Cluster "${name}"` : "Cluster (name not known yet)";
}

// ---------------------------------------------------------------------------------------------------------------
// The 6.2.4 rule

export interface NodeVersion {
  uid: number;
  softwareVersion: string;
}

/**
 * The nodes that keep internode encryption from being used, as "node 2 (6.2.3)": older than 6.2.4, or with a
 * version that cannot be read (an unreadable version is not assumed to be new enough). Versions are compared
 * as numbers, field by field, so "10.0.0" is newer than "6.2.4" and builds like "100.0.21-16135" are handled.
 */
export function internodeEncryptionBlockers(nodes: readonly NodeVersion[]): string[] {
  const minimum = parseSoftwareVersion(INTERNODE_ENCRYPTION_MIN_VERSION)!;
  return nodes
    .filter((node) => {
      const version = parseSoftwareVersion(node.softwareVersion);
      return version === undefined || compareSoftwareVersions(version, minimum) < 0;
    })
    .map((node) => `node ${node.uid} (${node.softwareVersion === "" ? "version unknown" : node.softwareVersion})`);
}

/** Every node at 6.2.4 or later; false for an empty list (nothing is known to be ready). */
export function internodeEncryptionReady(nodes: readonly NodeVersion[]): boolean {
  return nodes.length > 0 && internodeEncryptionBlockers(nodes).length === 0;
}

// ---------------------------------------------------------------------------------------------------------------
// check

export interface ClusterCheckResult {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

function nodeUrlProblem(url: unknown): string | undefined {
  if (typeof url !== "string") return "must be a string: the node's REST API, e.g. https://10.0.0.1:9443";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a valid URL; expected e.g. https://10.0.0.1:9443";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return `must use https:// (or http://); got ${parsed.protocol}`;
  if (parsed.username || parsed.password) return "must not embed credentials; set username and password instead";
  if (parsed.search || parsed.hash) return "must not have a query string or fragment: it is the node's API root";
  return undefined;
}

/** Canonical node URL: no trailing slash, so "https://a:9443/" and "https://a:9443" are one node. */
export function canonicalUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

function checkNodes(value: unknown, failures: CheckFailure[]): unknown {
  if (containsUnknown(value)) return value;
  if (!Array.isArray(value) || value.length === 0) {
    failures.push({ property: "nodes", reason: "nodes must be a non-empty list of { url }: the REST API of each node, the first one creating the cluster" });
    return value;
  }
  const seen = new Set<string>();
  const nodes: Array<{ url: string }> = [];
  value.forEach((node, index) => {
    if (!isPlainObject(node) || Object.keys(node).some((key) => key !== "url")) {
      failures.push({ property: `nodes[${index}]`, reason: `nodes[${index}] must be an object { url }; got ${renderCompact(node)}` });
      return;
    }
    const problem = nodeUrlProblem(node.url);
    if (problem) {
      failures.push({ property: `nodes[${index}].url`, reason: `nodes[${index}].url ${problem}` });
      return;
    }
    const url = canonicalUrl(node.url as string);
    if (seen.has(url)) failures.push({ property: `nodes[${index}].url`, reason: `nodes[${index}].url ${url} is listed twice; list each node once` });
    seen.add(url);
    nodes.push({ url });
  });
  return nodes;
}

function checkTls(value: unknown, failures: CheckFailure[]): void {
  if (!isPlainObject(value)) {
    failures.push({ property: "tls", reason: "tls must be an object { caCertPem?, caFingerprintSha256?, insecureSkipVerify? }" });
    return;
  }
  const allowed = new Set(["caCertPem", "caFingerprintSha256", "insecureSkipVerify"]);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) failures.push({ property: `tls.${key}`, reason: `unknown tls field "${key}"; expected caCertPem, caFingerprintSha256 or insecureSkipVerify` });
  }
  // The same rules as a connection's trust fields, stated once in provider/connection.ts.
  const probe = { url: "https://probe.invalid", username: "u", password: "p", ...Object.fromEntries(Object.entries(value).filter(([key]) => allowed.has(key))) };
  for (const problem of connectionProblems(probe, "tls")) failures.push(problem);
}

/** Validates and normalises a Cluster's inputs. */
export function checkCluster(oldInputs: Bag | undefined, newInputs: Bag): ClusterCheckResult {
  const news = newInputs ?? {};
  const table = checkInputs(CLUSTER_TABLE, news);
  const failures: CheckFailure[] = [...table.failures];
  const inputs: Record<string, unknown> = { ...table.inputs };

  if (!isDeclared(news, "name")) {
    failures.push({ property: "name", reason: "name is required: the cluster's FQDN, e.g. cluster.example.com (set once, at bootstrap)" });
  } else if (!containsUnknown(news.name)) {
    const name = news.name;
    if (typeof name !== "string" || name.length > 64 || !name.split(".").every((label) => FQDN_LABEL.test(label))) {
      failures.push({ property: "name", reason: `name must be an FQDN of at most 64 characters (letters, digits and '-' in dot-separated labels); got ${renderCompact(name)}` });
    }
  }
  if (isDeclared(news, "name")) inputs.name = news.name;

  if (!isDeclared(news, "nodes")) failures.push({ property: "nodes", reason: "nodes is required: [{ url }] for each node's REST API, e.g. [{ url: \"https://10.0.0.1:9443\" }]" });
  else inputs.nodes = checkNodes(news.nodes, failures);

  for (const field of ["username", "password"] as const) {
    if (!isDeclared(news, field)) {
      failures.push({ property: field, reason: `${field} is required: the admin the bootstrap creates, or the existing admin when adopting` });
      continue;
    }
    const value = news[field];
    if (!containsUnknown(value) && (typeof value !== "string" || value === "")) {
      // The password is never echoed, not even when it is invalid.
      failures.push({ property: field, reason: field === "password" ? "password must be a non-empty string" : `username must be a non-empty string; got ${renderCompact(value)}` });
    }
    inputs[field] = value;
  }
  if (isDeclared(news, "tls")) {
    if (!containsUnknown(news.tls)) checkTls(news.tls, failures);
    inputs.tls = news.tls;
  }
  for (const flag of ["adopt", "allowNodeRemoval"] as const) {
    if (!isDeclared(news, flag)) continue;
    if (!containsUnknown(news[flag]) && typeof news[flag] !== "boolean") failures.push({ property: flag, reason: `${flag} must be true or false; got ${renderCompact(news[flag])}` });
    inputs[flag] = news[flag];
  }
  if (isDeclared(news, "timeouts")) {
    failures.push(...timeoutsProblems(news.timeouts));
    inputs.timeouts = news.timeouts;
  }
  const rowNames = CLUSTER_ROWS.map((candidate) => candidate.name as string);
  for (const key of Object.keys(news)) {
    if (key.startsWith("__") || rowNames.includes(key) || (CLUSTER_SETTINGS as readonly string[]).includes(key)) continue;
    if ((CLUSTER_OUTPUT_KEYS as readonly string[]).includes(key) || news[key] === undefined || news[key] === null) continue;
    failures.push({ property: key, reason: `${key} is not a Cluster input; expected one of ${[...CLUSTER_SETTINGS, ...rowNames].join(", ")}` });
  }
  // Changes the cluster cannot make (rename, removing a node without consent) are refused here: a check failure
  // prints once, and the engine never checks during a refresh, while it does call diff then (so diff only notes).
  if (failures.length === 0 && oldInputs !== undefined && isDeclared(oldInputs, "name")) {
    failures.push(...diffCluster(oldInputs, inputs).refused);
  }
  return { inputs, failures };
}

// ---------------------------------------------------------------------------------------------------------------
// diff

export interface ClusterDiff {
  changes: boolean;
  /** Refused changes, each a full sentence: check fails on them, diff notes them, update throws them. */
  refused: CheckFailure[];
  /** Table settings that differ from the live values. */
  changed: PropertyChange[];
  /** Node URLs to join, in declared order. */
  nodesAdded: string[];
  /** Node URLs no longer declared. */
  nodesRemoved: string[];
  /** Inputs that change nothing on the cluster (credentials, trust, timeouts): recorded by an update. */
  recordOnly: string[];
  /** One line per change for the person running Pulumi. */
  notes: string[];
}

function urlsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isPlainObject).map((node) => node.url).filter((url): url is string => typeof url === "string").map(canonicalUrl);
}

/**
 * Compares the declared inputs with the previous outputs (live values after a refresh). Settings left out are
 * not managed and never compared; nested settings only in the fields declared.
 */
export function diffCluster(olds: Bag, news: Bag): ClusterDiff {
  const beyond = clusterChangesBeyondTable(olds, news);
  const settings = diffProperties(CLUSTER_TABLE, olds, news);
  const refused = [...beyond.refused, ...settings.refused];
  return {
    changes: refused.length > 0 || settings.changes || beyond.nodesAdded.length > 0 || beyond.nodesRemoved.length > 0 || beyond.recordOnly.length > 0,
    refused,
    changed: settings.changed,
    nodesAdded: beyond.nodesAdded,
    nodesRemoved: beyond.nodesRemoved,
    recordOnly: beyond.recordOnly,
    notes: [...beyond.notes, ...settingNotes(clusterLabel(news.name ?? olds.name), settings.changed)],
  };
}

/** What the Cluster judges besides its table: the name, the nodes (joins are actions) and record-only inputs. */
export interface ClusterChangesBeyondTable {
  changes: boolean;
  refused: CheckFailure[];
  notes: string[];
  /** One "join" action per node to join, in declared order (the life cycle runs them after the settings). */
  actions: PropertyChange[];
  nodesAdded: string[];
  nodesRemoved: string[];
  recordOnly: string[];
}

/**
 * The name (fixed after bootstrap), the nodes (a new one joins; a removed one is refused unless
 * allowNodeRemoval) and the inputs that change nothing on the cluster, compared between the previous outputs
 * (or inputs) and the new inputs. Pure; never throws.
 */
export function clusterChangesBeyondTable(olds: Bag, news: Bag): ClusterChangesBeyondTable {
  const label = clusterLabel(news.name ?? olds.name);
  const refused: CheckFailure[] = [];
  const notes: string[] = [];
  const recordOnly: string[] = [];
  if (isDeclared(olds, "name") && isDeclared(news, "name") && !containsUnknown(news.name) && olds.name !== news.name) {
    refused.push({
      property: "name",
      reason:
        `${label}: name ${renderCompact(olds.name)} -> ${renderCompact(news.name)} cannot be applied: the cluster's FQDN is set once, at bootstrap, ` +
        "and no API changes it. Put the name back, or bootstrap a new cluster under another resource name",
    });
  }
  let nodesAdded: string[] = [];
  let nodesRemoved: string[] = [];
  if (containsUnknown(news.nodes)) {
    notes.push(`${label}: nodes (unknown until apply) may join nodes to the cluster`);
    nodesAdded = ["(unknown)"];
  } else {
    const before = urlsOf(olds.nodes);
    const after = urlsOf(news.nodes);
    nodesAdded = after.filter((url) => !before.includes(url));
    nodesRemoved = before.filter((url) => !after.includes(url));
    for (const url of nodesAdded) notes.push(`${label}: node ${url} will join the cluster`);
    if (nodesRemoved.length > 0) {
      if (news.allowNodeRemoval === true) {
        for (const url of nodesRemoved) {
          notes.push(`${label}: node ${url} is no longer managed; it stays in the cluster until you remove it (rladmin node <uid> remove, see README)`);
        }
      } else {
        refused.push({
          property: "nodes",
          reason:
            `${label}: removing ${nodesRemoved.join(", ")} from nodes is refused: removing a node moves its shards and endpoints and is not undone by adding it back. ` +
            "Put the node back, or set allowNodeRemoval: true and remove the node as the README describes",
        });
      }
    }
    const firstBefore = before[0];
    if (firstBefore !== undefined && after[0] !== undefined && after[0] !== firstBefore && after.includes(firstBefore)) {
      notes.push(`${label}: the first node is now ${after[0]}; the connection output uses it from now on`);
    }
  }
  for (const field of ["username", "password", "tls", "timeouts", "allowNodeRemoval", "adopt"] as const) {
    if (!deepEqual(olds[field] ?? undefined, news[field] ?? undefined)) recordOnly.push(field);
  }
  if (recordOnly.some((field) => field === "username" || field === "password" || field === "tls")) {
    notes.push(`${label}: ${recordOnly.filter((f) => f !== "timeouts" && f !== "allowNodeRemoval" && f !== "adopt").join(", ")} changed: the provider talks to the cluster with the new values and outputs them in connection; nothing changes on the cluster`);
  }
  const actions: PropertyChange[] = nodesAdded.map((url) => ({
    property: "nodes",
    new: url,
    mode: "action",
    impact: "none",
    action: "join",
    consequence: "joins the cluster",
    ...(url === "(unknown)" ? { unknown: true } : {}),
  }));
  return {
    changes: refused.length > 0 || nodesAdded.length > 0 || nodesRemoved.length > 0 || recordOnly.length > 0,
    refused,
    notes,
    actions,
    nodesAdded,
    nodesRemoved,
    recordOnly,
  };
}

function sameUrls(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((url) => b.includes(url));
}

/** One line per settings change, in the Cluster's own words (each case's consequence, else the table's wording). */
export function settingNotes(label: string, changes: readonly PropertyChange[]): string[] {
  return noteLines(label, changes, CLUSTER_TABLE.wording);
}

// ---------------------------------------------------------------------------------------------------------------
// payloads and outputs

/**
 * The PUT body of each REST object (keyed "cluster", "policy", "jobScheduler") for the declared settings that
 * differ from `live` (previous outputs or values just read): a nested setting sends its live value with the
 * declared leaves merged in, so an undeclared leaf is never reset. Two rows share `alert_settings`, so the rows'
 * fragments are merged deeply.
 */
export function settingsPayloads(live: Bag, inputs: Bag): Partial<Record<ClusterObject, JsonObject>> {
  const changed = new Set(
    diffProperties(CLUSTER_TABLE, live, inputs)
      .changed.filter((change) => change.mode === "in-place" && !change.unknown)
      .map((change) => rowOfPath(change.property)),
  );
  const payloads: Partial<Record<ClusterObject, JsonObject>> = {};
  for (const settingRow of CLUSTER_ROWS) {
    if (!changed.has(settingRow.name) || !settingRow.toRest) continue;
    const declared = inputs[settingRow.name];
    if (containsUnknown(declared)) throw new Error(`Cluster: cannot build the request body because ${settingRow.name} is not known yet (preview value)`);
    const value = settingRow.nested ? mergeLeaves(live[settingRow.name], declared) : declared;
    const fragment = (settingRow.toRest as (value: unknown, inputs: Bag) => JsonObject)(value, inputs);
    payloads[settingRow.object] = mergeJsonDeep(payloads[settingRow.object] ?? {}, fragment);
  }
  return payloads;
}

export { CLUSTER_OBJECT_PATHS };

/** The connection other resources take: the first node's API, the admin, and the declared trust. */
export function clusterConnection(inputs: Bag): Connection {
  const nodes = urlsOf(inputs.nodes);
  const tls = (isPlainObject(inputs.tls) ? inputs.tls : {}) as ClusterTls;
  return {
    url: nodes[0] ?? "",
    username: String(inputs.username ?? ""),
    password: String(inputs.password ?? ""),
    ...(tls.caCertPem !== undefined ? { caCertPem: tls.caCertPem } : {}),
    ...(tls.caFingerprintSha256 !== undefined ? { caFingerprintSha256: tls.caFingerprintSha256 } : {}),
    ...(tls.insecureSkipVerify !== undefined ? { insecureSkipVerify: tls.insecureSkipVerify } : {}),
  };
}

/** A node of GET /v1/nodes in output form, with the declared URL that reaches it when known. */
export function nodeFromRest(node: Record<string, unknown>, url?: string): ClusterNode {
  return {
    ...(url !== undefined ? { url } : {}),
    uid: Number(node.uid),
    address: String(node.addr ?? ""),
    externalAddresses: Array.isArray(node.external_addr) ? node.external_addr.map(String) : [],
    softwareVersion: String(node.software_version ?? ""),
    status: String(node.status ?? ""),
  };
}

/** The outputs read from the live cluster besides the rows (the definition's liveOutputs). */
export function liveClusterOutputs(live: ClusterLive, inputs: Bag): Record<string, unknown> {
  const nodes = live.nodes ?? [];
  const blockers = internodeEncryptionBlockers(nodes);
  return {
    name: String(live.cluster.name ?? inputs.name),
    nodes,
    internodeEncryptionReady: nodes.length > 0 && blockers.length === 0,
    internodeEncryptionBlockers: blockers,
    controlPlaneInternodeEncryption: live.cluster.ccs_internode_encryption === true,
    ...(live.apiCertificateFingerprintSha256 !== undefined ? { apiCertificateFingerprintSha256: live.apiCertificateFingerprintSha256 } : {}),
    connection: clusterConnection(inputs),
    deleteBehavior: DELETE_BEHAVIOR,
  };
}

/** The README reference of the Cluster: its inputs, its settings (the table) and its outputs. */
export function clusterReferenceMarkdown(): string {
  return [
    "Inputs:",
    "",
    renderFieldTable(CLUSTER_INPUT_DOCS),
    "",
    "Settings (each managed only when declared; nested settings only in the fields declared):",
    "",
    renderMarkdownTable(CLUSTER_TABLE),
    "",
    "Outputs (besides every input and setting, with its live value):",
    "",
    renderFieldTable(CLUSTER_OUTPUT_DOCS),
    "",
  ].join("\n");
}

export type { ClusterInputs, ClusterSettings };
