// The review report: what a `pulumi preview --json` answer means for this provider's resources, as Markdown
// for a pull request. Pure: `reviewPreview` reads the parsed JSON into a Review, `renderReview` prints it. The
// impacts come from the same property tables the provider's diff and disruption gate use (provider/core and
// each resource's table), so the report and the preview notes cannot disagree.
//
// The engine gives a dynamic provider's steps no detailed diff (`detailedDiff` is null in the real CLI's
// answers), so each resource's changes are computed here from the step's recorded outputs and new inputs, as
// the provider's own diff does.
import { secretOutputsOf } from "../provider/core/generate";
import { type ClientImpact, type ImpactWording, diffProperties, diffResource, erasedRows, outputKeyOf, type ResourceDefinition, impactConsequence, impactLabel, impactSeverity, isDeclared, isDisruptive, isPlainObject, isUnknown, type PropertyChange, renderCompact, deepEqual } from "../provider/core";
import { diffCluster } from "../provider/cluster/logic";
import { CLUSTER_TABLE } from "../provider/cluster/table";
import { RESOURCE_DEFINITIONS } from "../provider/resources";
import { FIREWALL_SECRET_OUTPUTS } from "../provider/firewall/logic";
import { FIREWALL_TABLE } from "../provider/firewall/table";
import { diffRotation, ROTATION_SECRET_OUTPUTS } from "../provider/rotation/logic";

type Bag = Readonly<Record<string, unknown>>;

/** The text the CLI writes for a secret value in `--json` output. */
export const ENGINE_SECRET = "[secret]";

/** The type token prefix of this package's resources under the dynamic provider. */
const TYPE_PREFIX = "pulumi-nodejs:dynamic/redisenterprise:";

/**
 * An impact in the report: the table's client impact, "deletes-resource" for a resource the preview removes, or
 * "unclassified" for a kind this report has no table for (shown as disruptive: nobody should read it as harmless).
 */
export type ReviewImpact = ClientImpact | "deletes-resource" | "unclassified";

/** One property change of one resource, ready to print. */
export interface ReviewChange {
  readonly property: string;
  /** Rendered values; "[secret]" for secrets, "(unknown)" until apply, "(unset)" when absent. */
  readonly old: string;
  readonly new: string;
  readonly impact: ReviewImpact;
  /** The consequence sentence, from the resource's table. */
  readonly consequence: string;
  /** The impact's label in the resource's own words (its table's wording), where they differ from the shared ones. */
  readonly label?: string;
}

export interface ReviewedResource {
  readonly kind: string;
  readonly name: string;
  readonly urn: string;
  /** The engine's operation: create, update, replace, delete. */
  readonly op: string;
  readonly changes: readonly ReviewChange[];
}

export interface DriftItem {
  readonly kind: string;
  readonly name: string;
  readonly property: string;
  /** The value recorded in the state before the refresh. */
  readonly recorded: string;
  /** The value the refresh read from the cluster. */
  readonly live: string;
}

export interface Review {
  readonly resources: readonly ReviewedResource[];
  /** Changes the provider refuses: disruptionPolicy "deny" and changes no API can apply. One sentence each. */
  readonly refusals: readonly string[];
  readonly drift: readonly DriftItem[];
  /** The engine's change summary (op -> count), when it gave one. */
  readonly summary: Readonly<Record<string, number>>;
}

interface Step {
  readonly op: string;
  readonly urn: string;
  readonly oldState?: { readonly type?: string; readonly inputs?: Bag; readonly outputs?: Bag };
  readonly newState?: { readonly type?: string; readonly inputs?: Bag; readonly outputs?: Bag };
}

/** What a resource kind's diff gives the report. */
interface KindReview {
  readonly changes: ReviewChange[];
  readonly refusals: string[];
}

/** The preview JSON is input from a file: a clear error naming what is wrong, never a TypeError. */
export class ReviewInputError extends Error {
  override readonly name = "ReviewInputError";
}

function bag(value: unknown): Bag {
  return (isPlainObject(value) ? value : {}) as Bag;
}

function kindOf(type: unknown): string | undefined {
  return typeof type === "string" && type.startsWith(TYPE_PREFIX) ? type.slice(TYPE_PREFIX.length) : undefined;
}

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** A value for a table cell. The engine's own secret marker stays a secret whatever the property. */
function show(value: unknown): string {
  if (value === undefined || value === null) return "(unset)";
  if (isUnknown(value)) return "(unknown)";
  if (containsSecret(value)) return ENGINE_SECRET;
  return renderCompact(value, 200);
}

/**
 * Properties never shown, whatever the JSON holds: `pulumi preview --json --show-secrets` prints secrets in
 * clear, so the engine's marker alone does not protect them. A kind without a table here: any name that looks
 * like a credential.
 */
const SECRET_KEYS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(RESOURCE_DEFINITIONS.map((definition) => [definition.kind, secretOutputsOf(definition)])),
  CertificateRotation: ROTATION_SECRET_OUTPUTS,
  // The declared nodes hold ssh private keys; the table's `nodes` row displays addresses and transports only.
  InternodeFirewall: [...FIREWALL_SECRET_OUTPUTS, "nodes"],
};

function isSecretKey(kind: string, key: string): boolean {
  const known = SECRET_KEYS[kind];
  return known ? known.includes(key) : /password|secret|token|key|connection|credential/i.test(key);
}

/** A value for a table cell, masked when the property is a secret. */
function showProperty(kind: string, key: string, value: unknown): string {
  return isSecretKey(kind, key) && value !== undefined && value !== null && !isUnknown(value) ? ENGINE_SECRET : show(value);
}

function containsSecret(value: unknown): boolean {
  if (value === ENGINE_SECRET) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (isPlainObject(value)) return Object.values(value).some(containsSecret);
  return false;
}

/** A change record from a table diff as a report row, in the resource's own wording. */
function fromRecord(change: PropertyChange, consequence: string, wording?: ImpactWording): ReviewChange {
  const secret = change.secret === true || containsSecret(change.old) || containsSecret(change.new);
  return {
    property: change.property,
    old: secret ? ENGINE_SECRET : show(change.old),
    new: secret ? ENGINE_SECRET : change.unknown ? "(unknown)" : show(change.new),
    impact: change.impact,
    consequence: change.unknown ? `may change; if it does, it ${consequence}` : consequence,
    label: impactLabel(change.impact, wording),
  };
}

/** A resource registered on the framework (provider/resources.ts): its definition's own diff and gate. */
function reviewDefinition(definition: ResourceDefinition<unknown, unknown>) {
  return (olds: Bag, news: Bag): KindReview => {
    const diff = diffResource(definition, olds, news);
    return {
      changes: diff.changed.filter((change) => change.mode !== "refused").map((change) => fromRecord(change, change.consequence ?? impactConsequence(change.impact, definition.table.wording), definition.table.wording)),
      refusals: [...diff.refused.map((refusal) => `${definition.label(news, olds)}: ${refusal.reason}`), ...diff.blocked.map((blocked) => blocked.reason)],
    };
  };
}

function reviewCluster(olds: Bag, news: Bag): KindReview {
  const diff = diffCluster(olds, news);
  const changes = diff.changed
    .filter((change) => change.mode !== "refused")
    .map((change) => fromRecord(change, change.consequence ?? "changes a cluster setting", CLUSTER_TABLE.wording));
  for (const url of diff.nodesAdded) changes.push({ property: "nodes", old: "", new: url, impact: "none", consequence: "joins the node to the cluster" });
  for (const url of diff.nodesRemoved) changes.push({ property: "nodes", old: url, new: "", impact: "none", consequence: "stops managing the node; it stays in the cluster until removed by hand" });
  for (const field of diff.recordOnly) {
    changes.push({
      property: field,
      old: showProperty("Cluster", field, olds[field]),
      new: showProperty("Cluster", field, news[field]),
      impact: "none",
      consequence: "changes how the provider talks to the cluster; nothing changes on the cluster",
    });
  }
  return { changes, refusals: diff.refused.map((refusal) => refusal.reason) };
}

function reviewRotation(olds: Bag, news: Bag): KindReview {
  const diff = diffRotation(olds, news);
  const changes: ReviewChange[] = [];
  if (diff.rotate) {
    // Impact "none": RS replaces internal certificates while the cluster keeps serving (the rotation's own notes
    // and the vendor page describe no client disconnect).
    const consequence = `rotates the certificates (${diff.reasons.join("; ")})`;
    const triggersChanged = !deepEqual(olds.triggers ?? undefined, news.triggers ?? undefined);
    const selectionChanged = !deepEqual(olds.requestedCertificates ?? undefined, news.certificates ?? undefined);
    if (triggersChanged) changes.push({ property: "triggers", old: show(olds.triggers), new: show(news.triggers), impact: "none", consequence });
    if (selectionChanged) changes.push({ property: "certificates", old: show(olds.requestedCertificates), new: show(news.certificates), impact: "none", consequence });
    if (!triggersChanged && !selectionChanged) changes.push({ property: "(rotation)", old: show(olds.expiringCertificates), new: "(rotated)", impact: "none", consequence });
  }
  for (const key of ["rotateWhenExpiringWithinDays", "timeouts"]) {
    if (!deepEqual(olds[key] ?? undefined, news[key] ?? undefined)) {
      changes.push({ property: key, old: show(olds[key]), new: show(news[key]), impact: "none", consequence: "is recorded; nothing changes on the cluster" });
    }
  }
  return { changes, refusals: [] };
}

const FIREWALL_NODES_ROW = FIREWALL_TABLE.rows.find((row) => row.name === "nodes")!;

/** Nodes for a table cell, by address and transport (the row's display), never a transport's key. */
function showFirewallNodes(nodes: unknown): string {
  if (nodes === undefined || nodes === null || isUnknown(nodes) || containsSecret(nodes) || !Array.isArray(nodes)) return show(nodes);
  try {
    return show(FIREWALL_NODES_ROW.display!(nodes as never));
  } catch {
    return ENGINE_SECRET; // a shape the row cannot display: show nothing rather than risk a transport's fields
  }
}

/**
 * The InternodeFirewall: its table against the recorded declaration, as its provider's diff does; nodes shown by
 * address and transport, never a key. The recorded declaration is the `declaredNodes` output, which the engine
 * always masks (it is a secret output: an ssh transport holds a private key); the step's old inputs hold the same
 * declaration, in clear unless a transport has a key. When either side's `nodes` is masked, the report cannot
 * compare them and says that they may have changed, with the row's impact. A node whose table a refresh found
 * changed is listed too: the update rewrites it.
 */
function reviewFirewall(olds: Bag, news: Bag, oldInputs: Bag): KindReview {
  const declared = olds.declaredNodes !== undefined && !containsSecret(olds.declaredNodes) ? olds.declaredNodes : withDriftedNodes(oldInputs.nodes, olds, news.nodes);
  const recorded = { nodes: declared, ports: olds.ports, allowedSources: olds.allowedSources, table: olds.table };
  const hidden = containsSecret(recorded.nodes) || containsSecret(news.nodes);
  const diff = diffProperties(FIREWALL_TABLE, hidden ? { ...recorded, nodes: undefined } : recorded, hidden ? { ...news, nodes: undefined } : news);
  const changes = diff.changed
    .filter((change) => change.mode !== "refused")
    .map((change) => fromRecord(change, change.consequence ?? impactConsequence(change.impact, FIREWALL_TABLE.wording), FIREWALL_TABLE.wording));
  if (hidden && isDeclared(news, "nodes")) {
    const inPlace = FIREWALL_NODES_ROW.changes.find((change) => change.mode === "in-place") ?? FIREWALL_NODES_ROW.changes[0]!;
    const consequence = inPlace.consequence ?? impactConsequence(inPlace.impact, FIREWALL_TABLE.wording);
    changes.unshift({
      property: "nodes",
      old: showFirewallNodes(recorded.nodes),
      new: showFirewallNodes(news.nodes),
      impact: inPlace.impact,
      label: impactLabel(inPlace.impact, FIREWALL_TABLE.wording),
      consequence: `may have changed (the preview masks a node list that holds an ssh key; the provider's note in the preview's diagnostics names the nodes); if it did, it ${consequence}`,
    });
  }
  for (const status of firewallStatuses(olds)) {
    if (status.tableInPlace !== false) continue;
    changes.push({
      property: `nodes[${String(status.address)}]`,
      old: firewallDrift(status),
      new: "(declared table)",
      impact: "none",
      label: impactLabel("none", FIREWALL_TABLE.wording),
      consequence: "differs from the declaration; the update rewrites its table",
    });
  }
  return { changes, refusals: diff.refused.map((refusal) => `InternodeFirewall: ${refusal.reason}`) };
}

/**
 * The declaration behind old inputs that a refresh wrote: the provider returns the live declaration there, with
 * each node whose table drifted left out (so the CLI shows the drift on `nodes`). Those nodes are still declared:
 * they are put back, as the program declares them, so that drift is reported per node and not as a node change.
 */
function withDriftedNodes(oldNodes: unknown, olds: Bag, newNodes: unknown): unknown {
  if (!Array.isArray(oldNodes) || !Array.isArray(newNodes) || containsSecret(oldNodes) || containsSecret(newNodes)) return oldNodes;
  const drifted = new Set(firewallStatuses(olds).filter((status) => status.tableInPlace === false).map((status) => String(status.address)));
  if (drifted.size === 0) return oldNodes;
  const addressOf = (node: unknown) => (isPlainObject(node) ? String(node.address) : undefined);
  const recorded = new Map(oldNodes.map((node) => [addressOf(node), node]));
  const merged = newNodes.flatMap((node) => {
    const address = addressOf(node);
    if (recorded.has(address)) return [recorded.get(address)];
    return address !== undefined && drifted.has(address) ? [node] : [];
  });
  const kept = new Set(merged.map(addressOf));
  return [...merged, ...oldNodes.filter((node) => !kept.has(addressOf(node)))];
}

/** The per-node statuses of a firewall's `nodes` output. */
function firewallStatuses(outputs: Bag): Bag[] {
  return Array.isArray(outputs.nodes) ? outputs.nodes.filter(isPlainObject).filter((status) => typeof status.tableInPlace === "boolean") : [];
}

function firewallDrift(status: Bag): string {
  return Array.isArray(status.drift) && status.drift.length > 0 ? status.drift.map(String).join("; ") : "table not in place";
}

/**
 * The InternodeFirewall's drift: a refresh reads each node's table, and a node whose table differs from the
 * declaration (a rule or the whole table deleted by hand) has `tableInPlace` false with what differs.
 */
function firewallDriftOf(urn: string, recorded: Bag, live: Bag): DriftItem[] {
  const before = new Map(firewallStatuses(recorded).map((status) => [String(status.address), status]));
  return firewallStatuses(live)
    .filter((status) => status.tableInPlace === false)
    .filter((status) => {
      const earlier = before.get(String(status.address));
      return earlier === undefined || earlier.tableInPlace !== false || !deepEqual(earlier.drift, status.drift);
    })
    .map((status) => ({
      kind: "InternodeFirewall",
      name: nameOf(urn),
      property: `nodes[${String(status.address)}]`,
      recorded: before.get(String(status.address))?.tableInPlace === false ? firewallDrift(before.get(String(status.address))!) : "table in place",
      live: firewallDrift(status),
    }));
}

/**
 * A kind without a reviewer here (a newer provider's resource): each changed input, its impact unknown to this
 * report, shown at the top so that nobody reads it as harmless.
 */
function reviewUnknownKind(kind: string, olds: Bag, news: Bag): KindReview {
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((key) => !key.startsWith("__")).sort();
  const changes = keys
    .filter((key) => isDeclared(news, key) && !deepEqual(olds[key], news[key]))
    .map((key) => ({ property: key, old: showProperty(kind, key, olds[key]), new: showProperty(kind, key, news[key]), impact: "unclassified" as const, consequence: `has no impact known to this report (no property table for ${kind}); review it by hand` }));
  return { changes, refusals: [] };
}

// Every resource registered on the framework joins by itself; the Cluster, the CertificateRotation and the
// InternodeFirewall have their own diffs (node joins, record-only credentials, rotation reasons, node drift).
const REVIEWERS: Readonly<Record<string, (olds: Bag, news: Bag, oldInputs: Bag) => KindReview>> = {
  ...Object.fromEntries(RESOURCE_DEFINITIONS.map((definition) => [definition.kind, reviewDefinition(definition)])),
  Cluster: reviewCluster,
  CertificateRotation: reviewRotation,
  InternodeFirewall: reviewFirewall,
};

/** A resource's changes: its recorded outputs, its new inputs, and its recorded inputs (for what outputs mask). */
function review(kind: string, olds: Bag, news: Bag, oldInputs: Bag = {}): KindReview {
  const reviewer = REVIEWERS[kind];
  return reviewer ? reviewer(olds, news, oldInputs) : reviewUnknownKind(kind, olds, news);
}

/**
 * An update in which no property visibly changes: either an input is unknown until apply (a `connection` from a
 * Cluster that changes in the same update), or a secret changed that the CLI masks on both sides ("[secret]" ->
 * "[secret]"). Each is listed, a secret with the impact its row gives any change, so the update is explained.
 */
function invisibleChanges(kind: string, olds: Bag, news: Bag): ReviewChange[] {
  const keys = Object.keys(news).filter((key) => !key.startsWith("__"));
  const unknown = keys.filter((key) => isUnknown(news[key]));
  if (unknown.length > 0) {
    return unknown.map((key) => ({
      property: key,
      old: showProperty(kind, key, olds[key]),
      new: "(unknown)",
      impact: "none" as const,
      consequence: "is known only at apply (it comes from a resource that changes in this update); if only it changes, nothing changes on the cluster",
    }));
  }
  const changes: ReviewChange[] = [];
  for (const key of keys.filter((name) => news[name] === ENGINE_SECRET && olds[name] === ENGINE_SECRET)) {
    const probe = review(kind, olds, { ...news, [key]: `${ENGINE_SECRET} (changed)` }).changes.find((change) => change.property === key);
    // A key without a row is a provider setting (connection, timeouts): it never changes the cluster.
    const consequence = probe?.consequence ?? "changes how the provider reaches the cluster; nothing changes on the cluster";
    changes.push({ property: key, old: ENGINE_SECRET, new: ENGINE_SECRET, impact: probe?.impact ?? "none", consequence: `may have changed (the preview masks secrets); if it did, it ${consequence}` });
  }
  return changes;
}

/** The properties a resource manages, from its recorded outputs (the framework records them). */
function managedOf(outputs: Bag): string[] | undefined {
  const managed = outputs.managedProperties;
  return Array.isArray(managed) ? managed.filter((name): name is string => typeof name === "string") : undefined;
}

/**
 * The output key a managed row is recorded under: a row whose input name is also an output of another shape
 * records its value elsewhere (CertificateRotation's certificates as requestedCertificates; PropertyRow.outputKey).
 */
function recordedKey(kind: string, row: string): string {
  const definition = RESOURCE_DEFINITIONS.find((candidate) => candidate.kind === kind);
  const found = definition ? erasedRows(definition.table).find((candidate) => candidate.name === row) : undefined;
  return found ? outputKeyOf(found) : row;
}

/**
 * Drift: in a `preview --refresh --json` answer, a resource's "refresh" step holds the recorded state (old and
 * new alike), and its next step's old state is what the refresh read. Properties the program manages (the
 * framework records them) that differ are drift.
 */
function driftOf(kind: string, urn: string, recorded: Bag, live: Bag): DriftItem[] {
  const managed = managedOf(recorded) ?? [];
  const items: DriftItem[] = [];
  for (const path of managed) {
    const [row, ...leaf] = path.split(".");
    // The InternodeFirewall's `nodes` output is per-node statuses: its drift is reported per node (firewallDriftOf).
    if (kind === "InternodeFirewall" && row === "nodes") continue;
    const key = recordedKey(kind, row!);
    const pick = (outputs: Bag) => leaf.reduce<unknown>((value, key) => (isPlainObject(value) ? value[key] : undefined), outputs[key]);
    if (deepEqual(pick(recorded), pick(live))) continue;
    items.push({ kind, name: nameOf(urn), property: path, recorded: showProperty(kind, row!, pick(recorded)), live: showProperty(kind, row!, pick(live)) });
  }
  return items;
}

/** The note diff prints for an update the cluster refused as a dry run (provider/framework/lifecycle.ts). */
const CLUSTER_REFUSAL_NOTE = /pulumi up will refuse this: (.* the cluster would refuse to update it \(a dry run at preview\): .*)$/;

/**
 * Error diagnostics the engine printed for this provider's resources: check failures (deny refusals and the
 * cluster's refusals of a create among them); and the notes of updates the cluster refused as a dry run.
 */
function diagnosticRefusals(diagnostics: unknown): string[] {
  if (!Array.isArray(diagnostics)) return [];
  const refusals: string[] = [];
  for (const diagnostic of diagnostics) {
    const entry = bag(diagnostic);
    const severity = typeof entry.severity === "string" ? entry.severity : "";
    const message = typeof entry.message === "string" ? entry.message.trim() : "";
    const urn = typeof entry.urn === "string" ? entry.urn : "";
    // Only this provider's resources: a program error is the engine's to report, not a refusal.
    if (message === "" || kindOf(urn.split("::")[2]) === undefined) continue;
    // A refusal the cluster gave a dry run of an update (validation at preview) comes as a note: diff cannot fail.
    const announced = CLUSTER_REFUSAL_NOTE.exec(message.replace(/\s+/g, " "));
    if (announced) {
      refusals.push(announced[1]!.replace(/ \[urn:pulumi:[^\]]*\]$/, "").trim());
      continue;
    }
    if (!severity.startsWith("error")) continue;
    // The engine wraps a check failure in "error: <type> resource '<name>': property <p> value {<v>} has a
    // problem: "; the provider's sentence after it names the resource and property already.
    // The provider may end its sentence with the resource's URN in brackets; the report names the resource already.
    refusals.push(message.replace(/\s+/g, " ").replace(/^error: .*? has a problem: /, "").replace(/ \[urn:pulumi:[^\]]*\]$/, "").trim());
  }
  return refusals;
}

/** Reads a parsed `pulumi preview --json` answer (plain or `--refresh`). Throws ReviewInputError on another shape. */
export function reviewPreview(preview: unknown): Review {
  if (!isPlainObject(preview) || (preview.steps !== undefined && !Array.isArray(preview.steps))) {
    throw new ReviewInputError("the input is not a `pulumi preview --json` answer: expected an object with a \"steps\" list");
  }
  const steps = (preview.steps ?? []) as unknown[];
  const resources: ReviewedResource[] = [];
  const refusals: string[] = [];
  const drift: DriftItem[] = [];
  /** Recorded outputs by URN, from the refresh steps of a `preview --refresh`. */
  const refreshed = new Map<string, Bag>();
  const replaced = new Set(steps.map(bag).filter((step) => step.op === "replace").map((step) => step.urn));
  for (const raw of steps) {
    if (!isPlainObject(raw) || typeof raw.op !== "string" || typeof raw.urn !== "string") {
      throw new ReviewInputError(`the input is not a \`pulumi preview --json\` answer: a step needs "op" and "urn"; got ${renderCompact(raw)}`);
    }
    const step = raw as unknown as Step;
    const kind = kindOf(step.newState?.type ?? step.oldState?.type);
    if (kind === undefined) continue;
    if (step.op === "refresh") {
      refreshed.set(step.urn, bag(step.oldState?.outputs));
      continue;
    }
    const recorded = refreshed.get(step.urn);
    if (recorded !== undefined && step.oldState) {
      drift.push(...driftOf(kind, step.urn, recorded, bag(step.oldState.outputs)));
      if (kind === "InternodeFirewall") drift.push(...firewallDriftOf(step.urn, recorded, bag(step.oldState.outputs)));
      refreshed.delete(step.urn);
    }
    if (step.op === "same" || step.op === "read") continue;
    if ((step.op === "create-replacement" || step.op === "delete-replaced") && replaced.has(step.urn)) continue;
    const name = nameOf(step.urn);
    if (step.op === "delete" || step.op === "delete-replaced") {
      const consequence = kind === "Database" ? "deletes the database: all its data is lost and every client is disconnected" : `deletes the ${kind}`;
      resources.push({ kind, name, urn: step.urn, op: step.op, changes: [{ property: "(resource)", old: "exists", new: "(deleted)", impact: "deletes-resource", consequence }] });
      continue;
    }
    if (step.op === "create") {
      resources.push({ kind, name, urn: step.urn, op: step.op, changes: [] });
      continue;
    }
    const olds = bag(step.oldState?.outputs);
    const news = bag(step.newState?.inputs);
    const reviewed = review(kind, olds, news, bag(step.oldState?.inputs));
    refusals.push(...reviewed.refusals);
    const changes = reviewed.changes.length > 0 || step.op !== "update" ? reviewed.changes : invisibleChanges(kind, olds, news);
    resources.push({ kind, name, urn: step.urn, op: step.op, changes });
  }
  for (const refusal of diagnosticRefusals(preview.diagnostics)) if (!refusals.some((known) => refusal.includes(known))) refusals.push(refusal);
  const summary: Record<string, number> = {};
  for (const [op, count] of Object.entries(bag(preview.changeSummary))) if (typeof count === "number") summary[op] = count;
  return { resources, refusals, drift, summary };
}

function severity(impact: ReviewImpact): number {
  const top = impactSeverity("replaces-resource");
  return impact === "deletes-resource" ? top + 2 : impact === "unclassified" ? top + 1 : impactSeverity(impact);
}

function label(impact: ReviewImpact, own?: string): string {
  return impact === "deletes-resource" ? "deletes the resource" : impact === "unclassified" ? "not classified" : (own ?? impactLabel(impact));
}

function disruptive(impact: ReviewImpact): boolean {
  return impact === "deletes-resource" || impact === "unclassified" || isDisruptive(impact);
}

/** A Markdown table cell: code for values, pipes and line breaks escaped. */
function cell(text: string, code = false): string {
  const flat = text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  if (!code || flat === "") return flat;
  return flat.includes("`") ? `\`\` ${flat} \`\`` : `\`${flat}\``;
}

/** The report as Markdown: refusals, changes by impact (most disruptive first), drift, then creations. */
export function renderReview(reviewed: Review, title = "Redis Enterprise: review of `pulumi preview`"): string {
  const lines: string[] = [`## ${title}`, ""];
  const rows = reviewed.resources.flatMap((resource) => resource.changes.map((change) => ({ resource, change })));
  // The engine runs steps in parallel, so their order in the JSON varies from run to run; the report does not:
  // by severity, then resource kind and name, and each resource's changes in its table's order.
  const byResource = (a: ReviewedResource, b: ReviewedResource) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
  rows.sort((a, b) => severity(b.change.impact) - severity(a.change.impact) || byResource(a.resource, b.resource));
  const disruptiveCount = rows.filter((row) => disruptive(row.change.impact)).length;
  const created = reviewed.resources.filter((resource) => resource.op === "create").sort(byResource);
  const counts = [
    `${rows.length} property change${rows.length === 1 ? "" : "s"} (${disruptiveCount} disruptive)`,
    `${created.length} resource${created.length === 1 ? "" : "s"} to create`,
    `${reviewed.refusals.length} refusal${reviewed.refusals.length === 1 ? "" : "s"}`,
    `${reviewed.drift.length} drifted propert${reviewed.drift.length === 1 ? "y" : "ies"}`,
  ];
  lines.push(`${counts.join(", ")}.`, "");
  if (reviewed.refusals.length > 0) {
    lines.push("### Refused", "", "The provider will not apply these; the preview fails until they are resolved.", "");
    for (const refusal of [...reviewed.refusals].sort()) lines.push(`- ${refusal.replace(/\r?\n/g, " ")}`);
    lines.push("");
  }
  if (rows.length > 0) {
    lines.push("### Changes, most disruptive first", "", "| Impact | Resource | Property | Old | New | What happens |", "|---|---|---|---|---|---|");
    for (const { resource, change } of rows) {
      const impact = disruptive(change.impact) ? `**${label(change.impact, change.label)}**` : label(change.impact, change.label);
      const op = resource.op === "update" ? "" : ` (${resource.op})`;
      lines.push(`| ${impact} | ${resource.kind} ${cell(resource.name, true)}${op} | ${cell(change.property, true)} | ${cell(change.old, true)} | ${cell(change.new, true)} | ${cell(change.consequence)} |`);
    }
    lines.push("");
  }
  if (reviewed.drift.length > 0) {
    lines.push("### Drift found by refresh", "", "Changed on the cluster outside Pulumi; the next `pulumi up` puts the declared values back.", "");
    lines.push("| Resource | Property | Recorded | Live |", "|---|---|---|---|");
    const drift = [...reviewed.drift].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    for (const item of drift) lines.push(`| ${item.kind} ${cell(item.name, true)} | ${cell(item.property, true)} | ${cell(item.recorded, true)} | ${cell(item.live, true)} |`);
    lines.push("");
  }
  if (created.length > 0) {
    lines.push("### To create", "");
    for (const resource of created) lines.push(`- ${resource.kind} ${cell(resource.name, true)}`);
    lines.push("");
  }
  if (rows.length === 0 && created.length === 0 && reviewed.refusals.length === 0 && reviewed.drift.length === 0) {
    lines.push("No change to Redis Enterprise resources.", "");
  }
  return lines.join("\n");
}
