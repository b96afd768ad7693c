// The resource framework on a toy cluster-like resource: rows in several REST objects, a nested object managed
// leaf by leaf, an action row, a row computed from live state (drift), a precondition, per-resource impact
// wording, and the resource-level check / diff / outputs / adoption derived from a definition.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import {
  type JsonObject,
  type ResourceDefinition,
  type PropertyTable,
  adoptionProblems,
  booleanSchema,
  checkResource,
  diffProperties,
  diffResource,
  disruptionPolicySetting,
  factsNeeded,
  inputsFromOutputs,
  integerSchema,
  leafEntries,
  mergeJsonDeep,
  mergeLeaves,
  objectSchema,
  payloadsByObject,
  optionalField,
  passThroughSetting,
  pendingPreconditions,
  preconditionFailures,
  refreshedOutputs,
  renderMarkdownTable,
  resourceOutputs,
  resourceUpdatePayloads,
  rowBuilder,
  stringSchema,
} from "../../provider/core";

interface Alerts {
  certs?: { enabled?: boolean; days?: number };
  nodeCerts?: { enabled?: boolean; days?: number };
}
interface ToyCluster {
  name: string;
  policyDefault: boolean;
  alerts: Alerts;
  triggers: string;
  fresh: boolean;
  minDays: number;
}
type LiveToy = { cluster?: Record<string, unknown>; policy?: Record<string, unknown>; daysLeft?: number };

const leafSchema = objectSchema({ enabled: optionalField(booleanSchema()), days: optionalField(integerSchema({ min: 1 })) });
const row = rowBuilder<ToyCluster, LiveToy>();
const TABLE: PropertyTable<ToyCluster, LiveToy> = {
  resource: "ToyCluster",
  objects: [
    { name: "cluster", path: "/v1/cluster" },
    { name: "policy", path: "/v1/cluster/policy" },
  ],
  wording: { consequences: { "new-connections-only": "applies to databases created afterwards; existing databases keep theirs" } },
  rows: [
    row({
      name: "name",
      restField: "name",
      schema: stringSchema({ minLength: 1 }),
      description: "FQDN",
      source: "toy",
      toRest: (value) => ({ name: value }),
      fromRest: (live) => (typeof live.cluster?.name === "string" ? live.cluster.name : undefined),
      changes: [{ mode: "refused", impact: "none", reason: "the cluster name is fixed at bootstrap" }],
    }),
    row({
      name: "policyDefault",
      object: "policy",
      restField: "data_internode_encryption",
      schema: booleanSchema(),
      description: "Policy default",
      source: "toy",
      toRest: (value) => ({ data_internode_encryption: value }),
      fromRest: (live) => (typeof live.policy?.data_internode_encryption === "boolean" ? live.policy.data_internode_encryption : undefined),
      changes: [{ mode: "in-place", impact: "new-connections-only" }],
      precondition: {
        description: "every node at 6.2.4 or later",
        facts: ["nodes"],
        applies: (old, next) => next && old !== true,
        check: (facts, { label }) =>
          (facts.nodes as string[]).filter((version) => version < "6.2.4").map((version) => ({ property: "policyDefault", reason: `${label}: a node runs ${version}` })),
      },
    }),
    row({
      name: "alerts",
      restField: "alert_settings",
      nested: true,
      schema: objectSchema({ certs: optionalField(leafSchema), nodeCerts: optionalField(leafSchema) }),
      description: "Alerts",
      source: "toy",
      // Alerts holds only JSON values; its interface just has no index signature.
      toRest: (value) => ({ alert_settings: value as unknown as JsonObject }),
      fromRest: (live) => (live.cluster?.alert_settings as Alerts | undefined) ?? undefined,
      changes: [
        { leaf: "nodeCerts", mode: "in-place", impact: "none", consequence: "changes when node certificate alerts fire" },
        { mode: "in-place", impact: "none" },
      ],
    }),
    row({
      name: "triggers",
      restField: "(none)",
      schema: stringSchema(),
      description: "Any change rotates",
      source: "toy",
      fromRest: (_live, context) => context.triggers,
      changes: [{ mode: "action", action: "rotate", impact: "none" }],
    }),
    row({
      name: "minDays",
      restField: "(none)",
      schema: integerSchema({ min: 1 }),
      description: "Threshold",
      source: "toy",
      fromRest: (_live, context) => context.minDays,
      changes: [{ mode: "in-place", impact: "none" }],
    }),
    row({
      name: "fresh",
      restField: "(computed)",
      schema: booleanSchema(),
      expected: true,
      description: "Certificates fresh",
      source: "toy",
      fromRest: (live, context) => (typeof live.daysLeft === "number" ? live.daysLeft >= (context.minDays ?? 45) : undefined),
      changes: [{ mode: "action", action: "rotate", impact: "none", consequence: "rotates the certificates" }],
    }),
  ],
  rules: [],
};

const DEFINITION: ResourceDefinition<ToyCluster, LiveToy> = {
  kind: "ToyCluster",
  noun: "cluster",
  idName: "name",
  table: TABLE,
  settings: [disruptionPolicySetting, passThroughSetting("connection")],
  outputKeys: ["managedProperties", "lastUpdateImpacts", "id"],
  label: (news, olds) => `ToyCluster "${String(news.name ?? olds?.name)}"`,
  liveOutputs: (live) => ({ id: live.cluster?.name }),
  idOf: (live) => live.cluster?.name,
  deleteBeforeReplace: false,
};

const LIVE: LiveToy = {
  cluster: { name: "c1", alert_settings: { certs: { enabled: true, days: 45 }, nodeCerts: { enabled: false, days: 30 } } },
  policy: { data_internode_encryption: false },
  daysLeft: 100,
};

describe("the resource framework (toy cluster)", () => {
  it("walks nested values into leaves and merges declared leaves over live ones", () => {
    assert.deepEqual(leafEntries({ a: { b: 1, c: [1, 2] }, d: true }), [["a.b", 1], ["a.c", [1, 2]], ["d", true]]);
    assert.deepEqual(leafEntries({}), []);
    assert.deepEqual(mergeLeaves({ a: { b: 1, c: 2 }, d: 3 }, { a: { c: 5 } }), { a: { b: 1, c: 5 }, d: 3 });
  });

  it("compares a nested row leaf by leaf: only declared leaves, one record each, with a leaf case's own wording", () => {
    const olds = { alerts: { certs: { enabled: true, days: 45 }, nodeCerts: { enabled: false, days: 30 } } };
    assert.deepEqual(diffProperties(TABLE, olds, { alerts: { certs: { days: 45 } } }).changed, []);
    const diff = diffProperties(TABLE, olds, { alerts: { certs: { days: 30 }, nodeCerts: { enabled: true } } });
    assert.deepEqual(diff.changed, [
      { property: "alerts.certs.days", old: 45, new: 30, mode: "in-place", impact: "none" },
      { property: "alerts.nodeCerts.enabled", old: false, new: true, mode: "in-place", impact: "none", consequence: "changes when node certificate alerts fire" },
    ]);
    const notes = diffResource(DEFINITION, { name: "c1", ...olds }, { name: "c1", alerts: { nodeCerts: { enabled: true } } }).notes;
    assert.deepEqual(notes, ['ToyCluster "c1": alerts.nodeCerts.enabled false -> true changes when node certificate alerts fire']);
  });

  it("words impacts per resource", () => {
    const diff = diffResource(DEFINITION, { name: "c1", policyDefault: false }, { name: "c1", policyDefault: true });
    assert.deepEqual(diff.notes, ['ToyCluster "c1": policyDefault false -> true applies to databases created afterwards; existing databases keep theirs']);
  });

  it("sends one body per REST object, a nested row as the live value with the declared leaves merged in", () => {
    const olds = resourceOutputs(DEFINITION, LIVE, { name: "c1" });
    const payloads = resourceUpdatePayloads(DEFINITION, olds, { name: "c1", policyDefault: true, alerts: { certs: { days: 30 } } });
    assert.deepEqual(payloads, {
      cluster: { alert_settings: { certs: { enabled: true, days: 30 }, nodeCerts: { enabled: false, days: 30 } } },
      policy: { data_internode_encryption: true },
    });
    assert.deepEqual(resourceUpdatePayloads(DEFINITION, olds, { name: "c1", alerts: { certs: { days: 45 } } }), {});
  });

  it("records managed leaves, and rebuilds inputs from outputs with only those leaves", () => {
    const outs = resourceOutputs(DEFINITION, LIVE, { name: "c1", alerts: { certs: { days: 45 } } });
    assert.deepEqual(outs.managedProperties, ["name", "alerts.certs.days"]);
    assert.deepEqual(inputsFromOutputs(DEFINITION, outs), { name: "c1", alerts: { certs: { days: 45 } } });
    const refreshed = refreshedOutputs(DEFINITION, LIVE, outs);
    assert.deepEqual(refreshed.managedProperties, ["name", "alerts.certs.days"]);
  });

  it("merges two rows that write different leaves of one REST field into one body, keeping both", () => {
    // Only what payloadsByObject reads of a row: its name, object and toRest.
    const shared = {
      resource: "Shared",
      rows: [
        { name: "certsAlert", object: "cluster", toRest: (days: number) => ({ alert_settings: { certs: { threshold: String(days) } } }) },
        { name: "nodeCertsAlert", object: "cluster", toRest: (days: number) => ({ alert_settings: { node_certs: { threshold: String(days) } } }) },
      ],
      rules: [],
    } as unknown as PropertyTable<{ certsAlert: number; nodeCertsAlert: number }, unknown>;
    assert.deepEqual(payloadsByObject(shared, { certsAlert: 45, nodeCertsAlert: 30 }), {
      cluster: { alert_settings: { certs: { threshold: "45" }, node_certs: { threshold: "30" } } },
    });
    const left: JsonObject = { a: { b: 1, list: [1, 2] } };
    assert.deepEqual(mergeJsonDeep(left, { a: { c: 2, list: [3] } }), { a: { b: 1, c: 2, list: [3] } });
    assert.deepEqual(left, { a: { b: 1, list: [1, 2] } }, "the target is not changed");
  });

  it("an action row's change is an action, never part of a payload", () => {
    const diff = diffResource(DEFINITION, { name: "c1", triggers: "a" }, { name: "c1", triggers: "b" });
    assert.deepEqual(diff.changed, [{ property: "triggers", old: "a", new: "b", mode: "action", impact: "none", action: "rotate" }]);
    assert.equal(diff.changes, true);
    assert.deepEqual(resourceUpdatePayloads(DEFINITION, { triggers: "a" }, { triggers: "b" }), {});
  });

  it("a row computed from live state is drift when it differs from its expected value, and cannot be declared", () => {
    const fresh = resourceOutputs(DEFINITION, LIVE, { name: "c1", minDays: 45 });
    assert.equal(fresh.fresh, true);
    assert.deepEqual(diffResource(DEFINITION, fresh, { name: "c1", minDays: 45 }).changed, []);
    const stale = refreshedOutputs(DEFINITION, { ...LIVE, daysLeft: 10 }, fresh);
    assert.equal(stale.fresh, false);
    const diff = diffResource(DEFINITION, stale, { name: "c1", minDays: 45 });
    assert.deepEqual(diff.changed, [{ property: "fresh", old: false, new: true, mode: "action", impact: "none", consequence: "rotates the certificates", action: "rotate" }]);
    assert.deepEqual(diff.notes, ['ToyCluster "c1": fresh false -> true rotates the certificates']);
    assert.deepEqual(checkResource(DEFINITION, {}, { name: "c1", fresh: true }).failures, [
      { property: "fresh", reason: "fresh is computed from the cluster's live state and cannot be declared; remove it" },
    ]);
  });

  it("evaluates a precondition only for the changes that need it, against facts", () => {
    assert.deepEqual(pendingPreconditions(TABLE, { policyDefault: true }, { policyDefault: true }), []);
    assert.deepEqual(pendingPreconditions(TABLE, { policyDefault: false }, { policyDefault: false }), []);
    const pending = pendingPreconditions(TABLE, { policyDefault: false }, { policyDefault: true });
    assert.deepEqual(pending, [{ property: "policyDefault", facts: ["nodes"] }]);
    assert.deepEqual(factsNeeded(pending), ["nodes"]);
    assert.deepEqual(preconditionFailures(TABLE, pending, { nodes: ["7.4.2", "6.2.3"] }, 'ToyCluster "c1"', {}), [
      { property: "policyDefault", reason: 'ToyCluster "c1": a node runs 6.2.3' },
    ]);
    assert.deepEqual(pendingPreconditions(TABLE, {}, { policyDefault: true }, ["name"]), []);
  });

  it("checks unknown keys, settings and refuses a fixed row, naming the resource", () => {
    assert.deepEqual(checkResource(DEFINITION, {}, { name: "c1", colour: "red", disruptionPolicy: "maybe" }).failures, [
      { property: "disruptionPolicy", reason: 'disruptionPolicy must be "allow" or "deny"; got "maybe"' },
      { property: "colour", reason: "colour is not a ToyCluster input; expected one of name, policyDefault, alerts, triggers, minDays, disruptionPolicy, connection" },
    ]);
    const diff = diffResource(DEFINITION, { name: "c1" }, { name: "c2" });
    assert.equal(diff.refusalMessage, 'ToyCluster "c2": name "c1" -> "c2" cannot be applied: the cluster name is fixed at bootstrap');
  });

  it("adoption lists differences, leaf by leaf, naming the live object's id", () => {
    const { failures } = adoptionProblems(DEFINITION, { name: "c1", alerts: { certs: { days: 30 } } }, LIVE, false);
    assert.deepEqual(failures, [
      {
        property: "alerts.certs.days",
        reason: 'ToyCluster "c1": adopting name "c1": alerts.certs.days 45 -> 30 differs from the live cluster; declare the live value, or set adopt.applyChanges: true to apply it',
      },
    ]);
  });

  it("renders a REST object column for a table over several objects", () => {
    const lines = renderMarkdownTable(TABLE).split("\n");
    assert.equal(lines[0], "| SDK name | REST object | REST field | type | change | impact on clients | notes |");
    assert.match(lines[3], /^\| `policyDefault` \| `\/v1\/cluster\/policy` \| `data_internode_encryption` \| boolean \| in place \| new connections only \|/);
    assert.match(lines[4], /Managed leaf by leaf/);
    assert.match(lines[7], /\| action \|.*Computed from the live state; drift when not true/);
  });
});
