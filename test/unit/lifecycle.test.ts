// The framework's life cycle with in-memory hooks (no cluster): partial failures carry the id, an update is
// re-read and verified, one deadline per operation reaches every hook, adoption evaluates preconditions with
// the row's own reader of the live value, and an action change calls its hook.
import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { type ResourceDefinition, type PropertyTable, booleanSchema, disruptionPolicySetting, rowBuilder, stringSchema } from "../../provider/core";
import { type LifecycleHooks, type OperationContext, type PartialFailure, resourceProvider } from "../../provider/framework/lifecycle";
import { DATABASE_RESOURCE, type LiveDatabase, type NodeVersionInfo } from "../../provider/database";
import type { StackSettings } from "../../provider/settings";

const settings = (): StackSettings => ({ connection: {} });
const session = { close: () => undefined };

/** Database hooks over an in-memory bdb; `overrides` replace single hooks. */
function memoryHooks(state: { live: Record<string, unknown>; nodes: NodeVersionInfo[]; contexts: OperationContext[] }, overrides: Partial<LifecycleHooks<LiveDatabase, typeof session>> = {}): LifecycleHooks<LiveDatabase, typeof session> {
  const seen = (ctx: OperationContext) => state.contexts.push(ctx);
  return {
    session: { property: "connection", problems: () => [], known: () => true, open: () => session },
    facts: { nodes: { description: "the node versions", read: async () => state.nodes } },
    startCreate: async (_s, _inputs, ctx) => (seen(ctx), { id: "7", pending: "action-1" }),
    completeCreate: async (_s, _id, _pending, ctx) => (seen(ctx), state.live),
    read: async () => state.live,
    minimalRecord: (id, inputs) => ({ uid: Number(id), name: inputs.name }),
    startUpdate: async (_s, _id, payloads, ctx) => {
      seen(ctx);
      Object.assign(state.live, payloads[""]);
      return undefined;
    },
    completeUpdate: async (_s, _id, _pending, ctx) => (seen(ctx), state.live),
    delete: async () => undefined,
    adopt: {
      wanted: (inputs) => inputs.adopt !== undefined,
      applyChanges: (inputs) => (inputs.adopt as { applyChanges?: boolean }).applyChanges === true,
      find: async () => state.live,
      id: (live) => String(live.uid),
    },
    ...overrides,
  };
}

const ACTIVE = (version: string): NodeVersionInfo => ({ uid: 2, softwareVersion: version, status: "active" });

describe("the framework life cycle (in-memory hooks)", () => {
  it("a create that fails after the object exists is a partial failure carrying the id and the shim", async () => {
    const state = { live: { uid: 7, name: "orders", status: "pending" }, nodes: [], contexts: [] };
    const hooks = memoryHooks(state, {
      completeCreate: async () => {
        throw new Error("database 7 did not become active within 90 s");
      },
    });
    const provider = resourceProvider(DATABASE_RESOURCE, hooks, settings);
    const error = (await provider.create({ name: "orders", memorySize: 1024, __provider: "shim" }).catch((e: unknown) => e)) as PartialFailure;
    assert.equal(error.id, "7");
    assert.equal(error.properties.__provider, "shim");
    assert.equal(error.properties.uid, 7);
    assert.deepEqual(error.reasons, ["database 7 did not become active within 90 s"]);
    assert.match(error.message, /^Database "orders": the database was created as uid 7 but did not become ready: database 7 did not become active within 90 s\. It is recorded in the stack, not orphaned/);
  });

  it("gives every hook of one operation the same deadline, from the timeouts input", async () => {
    const state = { live: { uid: 7, name: "orders", status: "active", memory_size: 1024 }, nodes: [], contexts: [] as OperationContext[] };
    const provider = resourceProvider(DATABASE_RESOURCE, memoryHooks(state), settings);
    const before = Date.now();
    await provider.create({ name: "orders", memorySize: 1024, timeouts: { create: "90s" } });
    assert.equal(state.contexts.length, 2);
    assert.equal(state.contexts[0].deadline, state.contexts[1].deadline);
    assert.ok(state.contexts[0].deadline.at >= before + 90_000 && state.contexts[0].deadline.at <= Date.now() + 90_000);
    assert.equal(state.contexts[0].operation, "create");
  });

  it("verifies an update by reading it back: a server that did not change is an error naming what it still shows", async () => {
    const state = { live: { uid: 7, name: "orders", status: "active", memory_size: 1024 }, nodes: [], contexts: [] };
    const hooks = memoryHooks(state, { startUpdate: async () => undefined }); // accepts, changes nothing
    const provider = resourceProvider(DATABASE_RESOURCE, hooks, settings);
    const olds = { uid: 7, name: "orders", memorySize: 1024, managedProperties: ["name", "memorySize"] };
    await assert.rejects(provider.update!("7", olds, { name: "orders", memorySize: 2048 }), {
      message: 'Database "orders": the cluster accepted the update but still shows memorySize 1024 -> 2048; look at the database (pulumi refresh) and apply again',
    });
    const applied = memoryHooks(state);
    const outs = (await resourceProvider(DATABASE_RESOURCE, applied, settings).update!("7", olds, { name: "orders", memorySize: 2048 })).outs;
    assert.equal(outs?.memorySize, 2048);
    assert.deepEqual(outs?.lastUpdateImpacts, [{ property: "memorySize", old: 1024, new: 2048, mode: "in-place", impact: "none" }]);
  });

  it("adopt reads encryption with the row's own reader: a live \"enabled\" is already on, so old nodes do not block it", async () => {
    const state = { live: { uid: 7, name: "orders", status: "active", data_internode_encryption: "enabled" }, nodes: [ACTIVE("6.2.3")], contexts: [] };
    const provider = resourceProvider(DATABASE_RESOURCE, memoryHooks(state), settings);
    const { id, outs } = await provider.create({ name: "orders", dataInternodeEncryption: true, adopt: {} });
    assert.equal(id, "7");
    assert.equal(outs.dataInternodeEncryption, true);
  });

  it("adopt that turns encryption on applies the version gate, naming the old node", async () => {
    const state = { live: { uid: 7, name: "orders", status: "active", data_internode_encryption: "disabled" }, nodes: [ACTIVE("6.2.3")], contexts: [] };
    const provider = resourceProvider(DATABASE_RESOURCE, memoryHooks(state), settings);
    await assert.rejects(provider.create({ name: "orders", dataInternodeEncryption: true, adopt: { applyChanges: true } }), {
      message: 'Database "orders": dataInternodeEncryption: true needs every node at 6.2.4 or later, and node 2 runs 6.2.3; upgrade the node, then apply again',
    });
    assert.equal(state.live.data_internode_encryption, "disabled");
  });

  it("an action change calls its hook, then re-reads", async () => {
    interface Toy {
      name: string;
      triggers: string;
      enabled: boolean;
    }
    const row = rowBuilder<Toy, Record<string, unknown>>();
    const table: PropertyTable<Toy, Record<string, unknown>> = {
      resource: "Toy",
      rules: [],
      rows: [
        row({ name: "name", restField: "name", schema: stringSchema(), description: "", source: "", toRest: (v) => ({ name: v }), fromRest: (l) => l.name as string, changes: [{ mode: "in-place", impact: "none" }] }),
        row({ name: "triggers", restField: "-", schema: stringSchema(), description: "", source: "", fromRest: (_l, c) => c.triggers, changes: [{ mode: "action", action: "rotate", impact: "none" }] }),
        row({ name: "enabled", restField: "enabled", schema: booleanSchema(), description: "", source: "", toRest: (v) => ({ enabled: v }), fromRest: (l) => l.enabled as boolean, changes: [{ mode: "in-place", impact: "none" }] }),
      ],
    };
    const definition: ResourceDefinition<Toy, Record<string, unknown>> = {
      kind: "Toy",
      noun: "toy",
      idName: "id",
      table,
      settings: [disruptionPolicySetting],
      outputKeys: ["managedProperties", "lastUpdateImpacts", "rotations"],
      label: (news) => `Toy "${String(news.name)}"`,
      liveOutputs: (live) => ({ rotations: live.rotations }),
      idOf: () => "t",
      deleteBeforeReplace: false,
    };
    const live: Record<string, unknown> = { name: "t", enabled: true, rotations: 0 };
    const calls: string[] = [];
    const hooks: LifecycleHooks<Record<string, unknown>, typeof session> = {
      session: { property: "connection", problems: () => [], known: () => true, open: () => session },
      startCreate: async () => ({ id: "t" }),
      completeCreate: async () => live,
      read: async () => live,
      minimalRecord: (id) => ({ id }),
      startUpdate: async () => calls.push("update"),
      completeUpdate: async () => ({ ...live }),
      delete: async () => undefined,
      actions: {
        rotate: async (_s, id, change) => {
          calls.push(`rotate ${id} ${change.property}`);
          live.rotations = Number(live.rotations) + 1;
        },
      },
    };
    const provider = resourceProvider(definition, hooks, settings);
    const olds = { name: "t", triggers: "1", enabled: true, managedProperties: ["name", "triggers", "enabled"] };
    const { outs } = await provider.update!("t", olds, { name: "t", triggers: "2", enabled: true });
    assert.deepEqual(calls, ["rotate t triggers"]);
    assert.equal(outs?.rotations, 1);
    assert.equal(outs?.triggers, "2");
  });
});
