// The framework's life cycle with in-memory hooks (no cluster): partial failures carry the id, an update is
// re-read and verified, one deadline per operation reaches every hook, adoption evaluates preconditions with
// the row's own reader of the live value, and an action change calls its hook.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "mocha";
import { type ResourceDefinition, type PropertyTable, booleanSchema, disruptionPolicySetting, rowBuilder, stringSchema } from "../../provider/core";
import { type LifecycleHooks, type OperationContext, type PartialFailure, resourceProvider, unconfirmedCreate } from "../../provider/framework/lifecycle";
import { DATABASE_RESOURCE, type LiveDatabase, type NodeVersionInfo } from "../../provider/database";
import type { StackSettings } from "../../provider/settings";
import { timeoutsProblems } from "../../provider/timeouts";
import { captureStderr, type StderrCapture } from "../provider/support/stderr";

type Props = Record<string, unknown>;
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
    assert.match(error.message, /^Database "orders": the database was created as uid 7 but did not become ready: database 7 did not become active within 90 s\. It is recorded in the stack, not orphaned/);
    // The CLI shows a partial failure by its reasons only: the whole sentence, saying what was recorded.
    assert.deepEqual(error.reasons, [error.message]);
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

  describe("hooks for a resource whose changes are more than REST payloads (the Cluster's nodes, a rotation)", () => {
    interface Toy {
      name: string;
      triggers: string;
      certs: string;
      enabled: boolean;
    }
    type Live = Record<string, unknown>;
    const row = rowBuilder<Toy, Live>();
    const table: PropertyTable<Toy, Live> = {
      resource: "Toy",
      rules: [],
      rows: [
        row({ name: "name", restField: "name", schema: stringSchema(), description: "", source: "", fromRest: (l) => l.name as string, changes: [{ mode: "refused", impact: "none", reason: "fixed" }] }),
        row({ name: "triggers", restField: "-", schema: stringSchema(), description: "", source: "", fromRest: (_l, c) => c.triggers, changes: [{ mode: "action", action: "rotate", impact: "none" }] }),
        row({ name: "certs", restField: "-", schema: stringSchema(), description: "", source: "", fromRest: (_l, c) => c.certs, changes: [{ mode: "action", action: "rotate", impact: "none" }] }),
        row({ name: "enabled", restField: "enabled", schema: booleanSchema(), description: "", source: "", toRest: (v) => ({ enabled: v }), fromRest: (l) => l.enabled as boolean, changes: [{ mode: "in-place", impact: "none", consequence: "switches it" }] }),
      ],
    };
    const definition: ResourceDefinition<Toy, Live> = {
      kind: "Toy",
      noun: "toy",
      idName: "id",
      table,
      settings: [{ name: "members", equals: (a, b) => JSON.stringify(a) === JSON.stringify((b as string[]).map((m) => m.toLowerCase())), fromOutput: (v) => (v as string[]).map((m) => m.toLowerCase()) }],
      outputKeys: ["managedProperties", "lastUpdateImpacts", "joined"],
      label: (news) => `Toy "${String(news.name)}"`,
      liveOutputs: (live, _values, inputs) => ({ joined: live.joined, members: inputs.members }),
      idOf: () => "t",
      deleteBeforeReplace: false,
    };

    function toyHooks(live: Live, calls: string[], opened: Array<Props | undefined>): LifecycleHooks<Live, typeof session> {
      return {
        session: { property: "members", problems: () => [], known: () => true, open: (_inputs, _label, _deadline, recorded) => (opened.push(recorded), session) },
        // Like the Cluster's own check, it also checks the timeouts, as the life cycle does.
        check: (_olds, news) => ({ inputs: { ...news }, failures: news.name === "" ? [{ property: "name", reason: "name is required" }, ...timeoutsProblems(news.timeouts)] : [] }),
        changesBeyondTable: (olds, news) => {
          const before = (olds.joined as string[] | undefined) ?? [];
          const wanted = (news.members as string[] | undefined) ?? [];
          const added = wanted.filter((m) => !before.includes(m));
          const removed = before.filter((m) => !wanted.includes(m));
          return {
            notes: added.map((m) => `Toy "${String(news.name)}": ${m} will join`),
            refused: removed.length > 0 ? [{ property: "members", reason: `Toy: removing ${removed.join(", ")} is refused` }] : [],
            actions: added.map((m) => ({ property: "members", new: m, mode: "action" as const, impact: "none" as const, action: "join" })),
          };
        },
        settleAfterCreate: true,
        startCreate: async () => (calls.push("start"), { id: "t", pending: "node-a" }),
        completeCreate: async () => ({ ...live }),
        read: async () => ({ ...live }),
        minimalRecord: (id, _inputs, s) => ({ id, sessionSeen: s === session }),
        describePartialFailure: (id, pending, reason) => `Toy: created on ${String(pending)} as ${id}, but then: ${reason}`,
        startUpdate: async (_s, _id, payloads) => {
          calls.push(`put ${JSON.stringify(payloads)}`);
          Object.assign(live, payloads[""]);
        },
        completeUpdate: async () => ({ ...live }),
        delete: async () => undefined,
        actions: {
          rotate: async (_s, _id, change, _ctx, all) => {
            calls.push(`rotate for ${all.map((c) => c.property).join("+")} (first ${change.property})`);
          },
          join: async (_s, _id, _change, _ctx, all) => {
            for (const change of all) {
              if (change.new === "bad") throw new Error("join refused by bad");
              calls.push(`join ${String(change.new)}`);
              live.joined = [...((live.joined as string[]) ?? []), String(change.new)];
            }
          },
        },
      };
    }

    it("settles a create: applies the declared values the create did not send, runs the actions asked for, verifies, and reports no update", async () => {
      const live: Live = { name: "t", enabled: false, joined: ["a"] };
      const calls: string[] = [];
      const provider = resourceProvider(definition, toyHooks(live, calls, []), settings);
      const { id, outs } = await provider.create({ name: "t", enabled: true, members: ["a", "b", "c"] });
      assert.equal(id, "t");
      assert.deepEqual(calls, ["start", 'put {"":{"enabled":true}}', "join b", "join c"]);
      assert.deepEqual(outs.joined, ["a", "b", "c"]);
      assert.equal(outs.enabled, true);
      assert.deepEqual(outs.lastUpdateImpacts, []);
    });

    it("a failure while settling is a partial failure in the resource's words, with the session's minimal record when nothing can be read", async () => {
      const live: Live = { name: "t", enabled: true, joined: ["a"] };
      const hooks = { ...toyHooks(live, [], []), readForRecord: async () => Promise.reject(new Error("down")) };
      const provider = resourceProvider(definition, hooks, settings);
      const error = (await provider.create({ name: "t", members: ["a", "bad"], __provider: "shim" }).catch((e: unknown) => e)) as PartialFailure;
      assert.equal(error.id, "t");
      assert.equal(error.message, "Toy: created on node-a as t, but then: join refused by bad");
      assert.deepEqual(error.properties, { id: "t", sessionSeen: true, __provider: "shim" });
    });

    it("update refuses what the resource refuses before calling any hook; diff only notes it and never throws", async () => {
      const live: Live = { name: "t", enabled: true, joined: ["a", "b"] };
      const calls: string[] = [];
      const provider = resourceProvider(definition, toyHooks(live, calls, []), settings);
      const olds = { name: "t", enabled: true, members: ["a", "b"], joined: ["a", "b"], managedProperties: ["name", "enabled"] };
      await assert.rejects(provider.update!("t", olds, { name: "t", enabled: true, members: ["a"] }), { message: "Toy: removing b is refused" });
      assert.deepEqual(calls, []);
      const diff = await provider.diff!("t", olds, { name: "t", enabled: true, members: ["a"] });
      assert.equal(diff.changes, true);
    });

    it("an update runs the payloads, then each action once with every change that asked for it, and opens its session with the recorded outputs", async () => {
      const live: Live = { name: "t", enabled: true, joined: ["a"] };
      const calls: string[] = [];
      const opened: Array<Props | undefined> = [];
      const provider = resourceProvider(definition, toyHooks(live, calls, opened), settings);
      const olds = { name: "t", enabled: true, triggers: "1", certs: "x", members: ["a"], joined: ["a"], managedProperties: ["name", "triggers", "certs", "enabled"] };
      const news = { name: "t", enabled: false, triggers: "2", certs: "y", members: ["a", "b"] };
      const diff = await provider.diff!("t", olds, news);
      assert.equal(diff.changes, true);
      const { outs } = await provider.update!("t", olds, news);
      assert.deepEqual(calls, ['put {"":{"enabled":false}}', "rotate for triggers+certs (first triggers)", "join b"]);
      assert.equal(opened[0], olds);
      assert.deepEqual(
        (outs?.lastUpdateImpacts as Array<{ property: string; mode: string }>).map((c) => `${c.property} ${c.mode}`),
        ["triggers action", "certs action", "enabled in-place", "members action"],
      );
      // No key holds an explicit undefined: the engine's Struct cannot carry one, and the update would fail.
      const joined = (outs?.lastUpdateImpacts as Array<Record<string, unknown>>).find((c) => c.property === "members")!;
      assert.deepEqual(Object.keys(joined).sort(), ["action", "impact", "mode", "new", "property"]);
    });

    it("compares a setting recorded in another form with its own equality, and a refresh returns it as declared", async () => {
      const live: Live = { name: "t", enabled: true, joined: ["a"] };
      const opened: Array<Props | undefined> = [];
      const provider = resourceProvider(definition, toyHooks(live, [], opened), settings);
      const olds = { name: "t", enabled: true, members: ["A"], joined: ["a"], managedProperties: ["name", "enabled"] };
      assert.equal((await provider.diff!("t", olds, { name: "t", enabled: true, members: ["a"] })).changes, false);
      const read = await provider.read!("t", olds);
      assert.equal(opened[0], olds);
      assert.deepEqual(read.inputs, { name: "t", enabled: true, members: ["a"] });
    });

    it("a resource's own check replaces the definition's, and a failure reported twice is reported once", async () => {
      const provider = resourceProvider(definition, toyHooks({}, [], []), settings);
      const { failures } = await provider.check!({}, { name: "", timeouts: 5 });
      assert.ok(timeoutsProblems(5).length > 0);
      assert.deepEqual(failures, [{ property: "name", reason: "name is required" }, ...timeoutsProblems(5)]);
    });
  });

  it("labels a hook's error with the resource once, keeping the error object (class and fields); a partial failure keeps its own words", async () => {
    class ApiError extends Error {
      readonly status = 400;
    }
    const state = { live: { uid: 7, name: "orders", status: "active", memory_size: 1024 }, nodes: [], contexts: [] };
    const thrown = new ApiError("PUT /v1/bdbs/7: 400 invalid_parameter: no");
    const provider = resourceProvider(DATABASE_RESOURCE, memoryHooks(state, { startUpdate: async () => Promise.reject(thrown) }), settings);
    const olds = { uid: 7, name: "orders", memorySize: 1024, managedProperties: ["name", "memorySize"] };
    const error = await provider.update!("7", olds, { name: "orders", memorySize: 2048 }).catch((e: unknown) => e);
    assert.equal(error, thrown);
    assert.ok(error instanceof ApiError && error.status === 400);
    assert.equal((error as Error).message, 'Database "orders": PUT /v1/bdbs/7: 400 invalid_parameter: no');
    // Already labelled: unchanged.
    const again = new Error('Database "orders": a database named "orders" already exists');
    const before = resourceProvider(DATABASE_RESOURCE, memoryHooks(state, { beforeCreate: async () => Promise.reject(again) }), settings);
    await assert.rejects(before.create({ name: "orders", memorySize: 1024 }), { message: 'Database "orders": a database named "orders" already exists' });
  });
});

describe("the life cycle of an unconfirmed create (a provisional id, finding F1)", () => {
  let stderr: StderrCapture;
  beforeEach(() => {
    stderr = captureStderr();
  });
  afterEach(() => stderr.stop());

  /** Hooks whose provisional ids look like "pending:<name>", resolved from `named` (name -> uid); calls are logged. */
  function provisionalHooks(named: Record<string, number>, calls: string[], overrides: Partial<LifecycleHooks<LiveDatabase, typeof session>> = {}) {
    const state = { live: { uid: 7, name: "orders", status: "active", memory_size: 1024 } as Record<string, unknown>, nodes: [], contexts: [] as OperationContext[] };
    const provisional = (id: string) => (id.startsWith("pending:") ? id.slice("pending:".length) : undefined);
    return memoryHooks(state, {
      startCreate: async () => (calls.push("startCreate"), { id: "7" }),
      completeCreate: async (_s, id) => (calls.push(`completeCreate ${id}`), state.live),
      read: async (_s, id) => (calls.push(`read ${id}`), state.live),
      delete: async (_s, id) => void calls.push(`delete ${id}`),
      minimalRecord: (id, inputs) => (provisional(id) !== undefined ? { name: inputs.name, status: "unconfirmed" } : { uid: Number(id), name: inputs.name }),
      unconfirmed: (id, recorded) => provisional(id) !== undefined && recorded.status === "unconfirmed",
      resolveId: async (_s, id) => {
        const name = provisional(id);
        if (name === undefined) return id;
        calls.push(`resolve ${name}`);
        return named[name] === undefined ? undefined : String(named[name]);
      },
      ...overrides,
    });
  }
  const record = { name: "orders", status: "unconfirmed", __provider: "shim" };

  it("a create that startCreate reports unconfirmed is a partial failure with the provisional id, the minimal record and the shim", async () => {
    const hooks = provisionalHooks({}, [], { startCreate: async () => Promise.reject(unconfirmedCreate('Database "orders": the create was sent but not answered', "pending:orders")) });
    const error = (await resourceProvider(DATABASE_RESOURCE, hooks, settings).create({ name: "orders", memorySize: 1024, __provider: "shim" }).catch((e: unknown) => e)) as PartialFailure;
    assert.equal(error.id, "pending:orders");
    assert.deepEqual(error.properties, { name: "orders", status: "unconfirmed", __provider: "shim" });
    assert.equal(error.message, 'Database "orders": the create was sent but not answered');
    assert.deepEqual(error.reasons, [error.message]);
  });

  it("read returns the id the resource resolves to, or keeps the pending record without reading when nothing is there yet", async () => {
    const calls: string[] = [];
    const found = resourceProvider(DATABASE_RESOURCE, provisionalHooks({ orders: 7 }, calls), settings);
    assert.equal((await found.read!("pending:orders", record)).id, "7");
    const absent = resourceProvider(DATABASE_RESOURCE, provisionalHooks({}, calls), settings);
    // Dropping it would orphan a database the held create makes later; the next up creates it if still absent.
    const kept = await absent.read!("pending:orders", record);
    assert.equal(kept.id, "pending:orders");
    assert.deepEqual(kept.props, record);
    assert.equal((kept.inputs as Record<string, unknown>).name, "orders");
    assert.deepEqual(calls, ["resolve orders", "read 7", "resolve orders"]);
  });

  it("diff proposes an update, never a replacement, and asks nothing of the cluster", async () => {
    const calls: string[] = [];
    const provider = resourceProvider(DATABASE_RESOURCE, provisionalHooks({ orders: 7 }, calls), settings);
    const diff = await provider.diff!("pending:orders", record, { name: "orders", memorySize: 1024 });
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.replaces, []);
    assert.deepEqual(calls, []);
    assert.match(stderr.take(), /^Database "orders": its create was not confirmed \(recorded as pending:orders\); pulumi up looks it up and finishes it/);
  });

  it("update finishes the object it finds (wait, no second create), or creates it when there is none", async () => {
    const calls: string[] = [];
    const found = resourceProvider(DATABASE_RESOURCE, provisionalHooks({ orders: 7 }, calls), settings);
    const { outs } = (await found.update!("pending:orders", record, { name: "orders", memorySize: 1024 })) as { outs: Props };
    assert.equal(outs.uid, 7);
    assert.deepEqual(calls, ["resolve orders", "completeCreate 7"]);
    calls.length = 0;
    const absent = resourceProvider(DATABASE_RESOURCE, provisionalHooks({}, calls), settings);
    await absent.update!("pending:orders", record, { name: "orders", memorySize: 1024 });
    assert.deepEqual(calls, ["resolve orders", "startCreate", "completeCreate 7"]);
  });

  it("delete deletes what the id resolves to, and nothing when it resolves to nothing", async () => {
    const calls: string[] = [];
    await resourceProvider(DATABASE_RESOURCE, provisionalHooks({ orders: 7 }, calls), settings).delete!("pending:orders", record);
    await resourceProvider(DATABASE_RESOURCE, provisionalHooks({}, calls), settings).delete!("pending:orders", record);
    await resourceProvider(DATABASE_RESOURCE, provisionalHooks({}, calls), settings).delete!("9", { uid: 9, name: "orders" });
    assert.deepEqual(calls, ["resolve orders", "delete 7", "resolve orders", "delete 9"]);
  });
});
