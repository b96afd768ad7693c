// The InternodeFirewall provider: the hooks the framework's life cycle (provider/framework/lifecycle.ts) calls
// around the pure logic of logic.ts. Its side effects are commands on the nodes, not REST calls: the session of
// an operation is the set of node transports (a runner per node), and what runs is rendered by the pure
// functions of nft.ts. Deadlines, partial failures that carry the id, read returning inputs, and notes with the
// URN are the framework's. The shim in sdk/shim.ts forwards the engine's calls here.
import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { containsUnknown, isDeclared, resourceOutputs } from "../core";
import { type LifecycleHooks, type OperationContext, type PartialFailure, type Session, type SessionHooks, resourceProvider } from "../framework/lifecycle";
import type { StackSettings } from "../settings";
import { FIREWALL_RESOURCE, checkFirewall, firewallStatusNotes, liveFirewall, recordedSpec, specOf } from "./logic";
import { FirewallApplyError, type RunnerFactory, applyNodes, inspectNodes, inspectReachableNodes, removeTables } from "./operations";
import type { LiveFirewall } from "./table";
import { commandRunner } from "./transport";
import type { FirewallSpec } from "./types";

type Props = Record<string, unknown>;

/** One operation's reach into the nodes: the declaration it works on and a command runner per node. */
export class FirewallSession implements Session {
  constructor(
    readonly spec: FirewallSpec,
    /** The bag the session was opened with: checked inputs (create, update) or recorded outputs (read, delete). */
    readonly inputs: Readonly<Props>,
    readonly label: string,
    /** What the stack recorded before this operation (update: the nodes declared then, with their transports). */
    readonly recorded: Readonly<Props> | undefined,
    readonly runners: RunnerFactory = (node) => commandRunner(node.transport),
  ) {}

  close(): void {
    // Each command's transport is closed when the command ends.
  }
}

/**
 * The spec an operation works on: the checked inputs on create and update (and check), the recorded declaration
 * (`declaredNodes`) on read and delete, which get the outputs.
 */
function sessionSpec(bag: Props, label: string): FirewallSpec {
  if (isDeclared(bag, "declaredNodes")) {
    const spec = recordedSpec(bag);
    if (!spec) throw new Error(`${label}: the recorded state has no readable node list; run pulumi up to rewrite it`);
    return spec;
  }
  return specOf(bag);
}

/** Session hooks: the `nodes` input locates the firewall; check has validated it through the table. */
export function firewallSessionHooks(runners?: RunnerFactory): SessionHooks<FirewallSession> {
  return {
    property: "nodes",
    problems: () => [],
    known: (news) => !containsUnknown(news.nodes) && !containsUnknown(news.table),
    open: (inputs, label, _deadlineAt, recorded) => new FirewallSession(sessionSpec(inputs, label), inputs, label, recorded, runners),
  };
}

/** Lists every node's table and fails unless each one carries the declared table: write, then verify. */
async function verified(session: FirewallSession, ctx: OperationContext): Promise<LiveFirewall> {
  const statuses = await inspectNodes(session.spec, session.runners);
  const off = statuses.filter((status) => !status.tableInPlace);
  if (off.length > 0) {
    throw new Error(
      `${ctx.label}: nft accepted the table, but listing it shows ${off.map((status) => `node ${status.address}: ${status.drift.join("; ")}`).join("; ")}; ` +
        "look at the nodes (pulumi refresh) and run pulumi up again",
    );
  }
  return liveFirewall(session.spec, statuses);
}

/** The InternodeFirewall's hooks: the commands of each step of the life cycle, through the session's runners. */
export function firewallHooks(runners?: RunnerFactory): LifecycleHooks<LiveFirewall, FirewallSession> {
  return {
    session: firewallSessionHooks(runners),
    // Its own check (defaults for every input, its wording); nothing of the firewall is refused or disruptive.
    check: (_olds, news) => checkFirewall(news),
    // A drifted node is a change although the declaration is the same.
    changesBeyondTable: (olds, news) => {
      const notes = firewallStatusNotes(olds, FIREWALL_RESOURCE.label(news, olds));
      return { changes: notes.length > 0, notes };
    },
    // A failure after some nodes took the rules says which, and that the firewall is recorded with its id.
    describePartialFailure: (id, pending, reason, ctx) =>
      pending instanceof FirewallApplyError
        ? `${pending.message}. The firewall is recorded in the stack as ${id}, not orphaned: \`pulumi refresh\` shows each node's table`
        : `${ctx.label}: the firewall was created as ${id}, but ${reason}. It is recorded in the stack, not orphaned: run \`pulumi refresh\` to see each node's table, then \`pulumi up\` to rewrite them or \`pulumi destroy\` to remove them`,

    // Reads every node first (nothing changes when one cannot be reached, lacks nft, or holds a foreign table of
    // the name), then writes each node's table with one atomic `nft -f`. The firewall exists as soon as one node
    // carries its table: a failure after that is handed to completeCreate, so the life cycle records it with the
    // id (naming which nodes carry the new rules) instead of losing it.
    async startCreate(session, _inputs, ctx) {
      const id = `${session.spec.table}-${randomBytes(4).toString("hex")}`;
      try {
        await applyNodes(session.spec, ctx.label, { refuseForeignTable: true, runners: session.runners });
        return { id };
      } catch (error) {
        if (error instanceof FirewallApplyError && error.statuses) return { id, pending: error };
        throw error;
      }
    },

    async completeCreate(session, _id, pending, ctx) {
      if (pending instanceof FirewallApplyError) throw pending;
      const live = await verified(session, ctx);
      ctx.print(`the table is in place on ${live.statuses.map((status) => status.address).join(", ")}`);
      return live;
    },

    async read(session) {
      return liveFirewall(session.spec, await inspectNodes(session.spec, session.runners));
    },

    // For the record of a partial failure: what every node that answers carries.
    async readForRecord(session) {
      return liveFirewall(session.spec, await inspectReachableNodes(session.spec, session.runners));
    },

    minimalRecord: (_id, inputs) => {
      const spec = specOf(inputs);
      const unknown = spec.nodes.map((node) => ({ address: node.address, transport: node.transport.type, tableInPlace: false, drift: ["not read after the failure"] }));
      return resourceOutputs(FIREWALL_RESOURCE, liveFirewall(spec, unknown), inputs);
    },

    // No row sends a payload: every update rewrites each node's whole table (atomically), in completeUpdate,
    // which also runs for an update that only puts back what a refresh found changed.
    startUpdate: async () => undefined,

    async completeUpdate(session, id, _pending, ctx) {
      const { spec } = session;
      const old = session.recorded ? recordedSpec(session.recorded) : undefined;
      const declared = new Set(spec.nodes.map((node) => node.address));
      const known = new Set((old?.nodes ?? []).map((node) => node.address));
      try {
        await applyNodes(spec, ctx.label, {
          // A node new to this resource may hold a table of that name that is not ours; a known one holds ours.
          refuseForeignTable: spec.nodes.filter((node) => !known.has(node.address)).map((node) => node.address),
          removedNodes: (old?.nodes ?? []).filter((node) => !declared.has(node.address)),
          removedTable: old?.table,
          runners: session.runners,
        });
      } catch (error) {
        if (!(error instanceof FirewallApplyError && error.statuses)) throw error;
        // Some nodes carry the new rules: record that (the update's own outputs), with the id, never silently.
        const failure = new Error(error.message) as PartialFailure;
        failure.id = id;
        failure.properties = { ...resourceOutputs(FIREWALL_RESOURCE, liveFirewall(spec, error.statuses), session.inputs), __provider: session.inputs.__provider };
        failure.reasons = error.reasons;
        throw failure;
      }
      return verified(session, ctx);
    },

    async delete(session, _id, ctx) {
      await removeTables(session.spec.nodes, session.spec.table, ctx.label, session.runners);
    },
  };
}

/** The InternodeFirewall provider; `getSettings` returns what configure() read from stack config. */
export function firewallProvider(getSettings: () => StackSettings = () => ({ connection: {} }), runners?: RunnerFactory): pulumi.dynamic.ResourceProvider {
  return resourceProvider(FIREWALL_RESOURCE, firewallHooks(runners), getSettings);
}
