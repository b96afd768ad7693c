// The InternodeFirewall provider: the commands on the nodes (operations.ts) around the pure logic of logic.ts.
// The shim in sdk/shim.ts forwards the engine's calls here.
import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { guardedCheck } from "../framework/guard";
import { printLine } from "../output";
import { checkFirewall, diffFirewall, firewallLabel, firewallOutputs, recordedSpec, specOf } from "./logic";
import { FirewallApplyError, applyNodes, inspectNodes, removeTables } from "./operations";
import type { FirewallSpec } from "./types";

type Props = Record<string, unknown>;

/** An error the provider host turns into a partial failure: the engine records `id` and these outputs. */
interface PartialFailure extends Error {
  id: string;
  properties: Props;
  reasons: string[];
}

function partialFailure(error: FirewallApplyError, id: string, spec: FirewallSpec, inputs: Props): PartialFailure {
  const failure = new Error(error.message) as PartialFailure;
  failure.id = id;
  // Refresh and destroy find the provider in the recorded properties, so the shim must be there too.
  failure.properties = { ...firewallOutputs(spec, error.statuses ?? []), __provider: inputs.__provider };
  failure.reasons = error.reasons;
  return failure;
}

function recorded(props: Props, label: string): FirewallSpec {
  const spec = recordedSpec(props);
  if (!spec) throw new Error(`${label}: the recorded state has no readable node list; run pulumi up to rewrite it`);
  return spec;
}

export function firewallProvider(): pulumi.dynamic.ResourceProvider {
  return {
    check: (olds: Props, news: Props) => guardedCheck("InternodeFirewall", olds, news, (_olds, news) => checkFirewall(news)),

    async diff(_id: string, olds: Props, news: Props) {
      const diff = diffFirewall(olds ?? {}, news ?? {});
      for (const note of diff.notes) printLine(note);
      return { changes: diff.changes, replaces: diff.replaces, deleteBeforeReplace: false };
    },

    async create(inputs: Props) {
      const spec = specOf(inputs);
      const label = firewallLabel(spec.table);
      const id = `${spec.table}-${randomBytes(4).toString("hex")}`;
      try {
        const statuses = await applyNodes(spec, label, { refuseForeignTable: true });
        printLine(`${label}: the table is in place on ${statuses.map((status) => status.address).join(", ")}`);
        return { id, outs: firewallOutputs(spec, statuses) };
      } catch (error) {
        // A failure after some nodes took the table is recorded (with which nodes carry it), never lost.
        if (error instanceof FirewallApplyError && error.statuses) throw partialFailure(error, id, spec, inputs);
        throw error;
      }
    },

    async read(id: string, props: Props) {
      const spec = recorded(props, firewallLabel(props?.table));
      const statuses = await inspectNodes(spec);
      return { id, props: { ...props, ...firewallOutputs(spec, statuses) } };
    },

    async update(id: string, olds: Props, news: Props) {
      const spec = specOf(news);
      const label = firewallLabel(spec.table);
      const old = recordedSpec(olds);
      const declared = new Set(spec.nodes.map((node) => node.address));
      const removedNodes = (old?.nodes ?? []).filter((node) => !declared.has(node.address));
      const known = new Set((old?.nodes ?? []).map((node) => node.address));
      try {
        const statuses = await applyNodes(spec, label, {
          // A node new to this resource may hold a table of that name that is not ours; a known one holds ours.
          refuseForeignTable: spec.nodes.filter((node) => !known.has(node.address)).map((node) => node.address),
          removedNodes,
          removedTable: old?.table,
        });
        return { outs: firewallOutputs(spec, statuses) };
      } catch (error) {
        if (error instanceof FirewallApplyError && error.statuses) throw partialFailure(error, id, spec, news);
        throw error;
      }
    },

    async delete(_id: string, props: Props) {
      const spec = recorded(props, firewallLabel(props?.table));
      await removeTables(spec.nodes, spec.table, firewallLabel(spec.table));
    },
  };
}
