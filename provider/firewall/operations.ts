// The InternodeFirewall's side effects: commands on the nodes through their transports. Pure decisions (what to
// write, what counts as drift) come from nft.ts; this file only runs commands and reports what happened on
// which node.
//
// Apply is two phases. First every node is read (`nft -j list table`): an unreachable node, a missing nft or a
// refused permission stops everything before any node is changed, and a table of the same name that this
// resource did not make is refused instead of overwritten. Then each node's table is written with one atomic
// `nft -f`. A node that fails in the second phase, after others took the new rules, is reported as a partial
// failure that lists the nodes carrying the new rules and those that do not.
import { isMissingTableError, listTableCommand, parseListedTable, renderApplyScript, renderDeleteScript, tableDrift, expectedTable, type TableDescription } from "./nft";
import { commandRunner, describeFailure, NodeCommandError, type CommandRunner } from "./transport";
import type { FirewallNode, FirewallNodeStatus, FirewallSpec } from "./types";

/** Per-command deadline; a command on a reachable node takes milliseconds. */
export const COMMAND_TIMEOUT_MS = 60_000;

/** How a node's transport becomes a runner; tests replace it to fail one command on one node. */
export type RunnerFactory = (node: FirewallNode) => CommandRunner;
const defaultRunners: RunnerFactory = (node) => commandRunner(node.transport);

async function runOn(
  node: FirewallNode,
  argv: readonly string[],
  stdin?: string,
  runners: RunnerFactory = defaultRunners,
): Promise<{ ok: true; stdout: string } | { ok: false; exitCode: number | null; stderr: string; error: NodeCommandError }> {
  const runner = runners(node);
  const result = await runner.run(argv, { stdin, timeoutMs: COMMAND_TIMEOUT_MS });
  if (result.exitCode === 0 && !result.failure) return { ok: true, stdout: result.stdout };
  const command = stdin === undefined ? argv.join(" ") : `${argv.join(" ")} (script on stdin)`;
  return { ok: false, exitCode: result.exitCode, stderr: result.stderr, error: new NodeCommandError(node.address, runner.describe, command, describeFailure(node.transport, result)) };
}

/** The table as the node has it; undefined when it does not exist. Throws NodeCommandError for any other failure. */
export async function listTable(node: FirewallNode, table: string, runners: RunnerFactory = defaultRunners): Promise<TableDescription | undefined> {
  const result = await runOn(node, listTableCommand(table), undefined, runners);
  if (result.ok) {
    try {
      return parseListedTable(result.stdout, table);
    } catch (error) {
      throw new NodeCommandError(node.address, runners(node).describe, listTableCommand(table).join(" "), (error as Error).message);
    }
  }
  if (result.exitCode === 1 && isMissingTableError(result.stderr)) return undefined;
  throw result.error;
}

/** Each node's status against the declaration, in node order. Throws NodeCommandError naming the first node that failed. */
export async function inspectNodes(spec: FirewallSpec, runners: RunnerFactory = defaultRunners): Promise<FirewallNodeStatus[]> {
  const expected = expectedTable(spec);
  return Promise.all(
    spec.nodes.map(async (node) => {
      const live = await listTable(node, spec.table, runners);
      const drift = tableDrift(expected, live, spec.table);
      return { address: node.address, transport: node.transport.type, tableInPlace: drift.length === 0, drift };
    }),
  );
}

/**
 * Each node's status, as far as it can be read: a node that cannot be read is reported as not in place with the
 * reason. For the record of a partial failure, where some node is expected to be failing.
 */
export async function inspectReachableNodes(spec: FirewallSpec, runners: RunnerFactory = defaultRunners): Promise<FirewallNodeStatus[]> {
  const expected = expectedTable(spec);
  const outcomes = await Promise.allSettled(spec.nodes.map((node) => listTable(node, spec.table, runners)));
  return spec.nodes.map((node, index) => {
    const outcome = outcomes[index];
    const drift = outcome.status === "fulfilled" ? tableDrift(expected, outcome.value, spec.table) : [`could not be read: ${(outcome.reason as Error).message}`];
    return { address: node.address, transport: node.transport.type, tableInPlace: drift.length === 0, drift };
  });
}

/** Failure of an apply, with what each node carries now (for the partial-failure record). */
export class FirewallApplyError extends Error {
  constructor(
    message: string,
    /** Per node after the attempt; undefined when nothing was changed on any node. */
    readonly statuses: FirewallNodeStatus[] | undefined,
    readonly reasons: string[],
  ) {
    super(message);
    this.name = "FirewallApplyError";
  }
}

export interface ApplyOptions {
  /**
   * Refuse to overwrite a table of the same name that does not carry the resource's mark: on every node (create),
   * or on the listed node addresses (an update adding nodes).
   */
  readonly refuseForeignTable: boolean | readonly string[];
  /** Nodes that were declared before and are not any more: their table is removed after the others are written. */
  readonly removedNodes?: readonly FirewallNode[];
  /** The table name those removed nodes carry (the previous declaration's). */
  readonly removedTable?: string;
  /** Replaces the transports' runners (tests). */
  readonly runners?: RunnerFactory;
}

function refusesForeign(refuse: ApplyOptions["refuseForeignTable"], node: FirewallNode): boolean {
  return typeof refuse === "boolean" ? refuse : refuse.includes(node.address);
}

/** Writes the declared table on every node (and removes it from nodes no longer declared). Returns each node's status. */
export async function applyNodes(spec: FirewallSpec, label: string, options: ApplyOptions): Promise<FirewallNodeStatus[]> {
  // Phase 1: every node answers, and none holds a foreign table of this name; nothing is changed yet.
  const runners = options.runners ?? defaultRunners;
  const preflight = await Promise.allSettled(spec.nodes.map((node) => listTable(node, spec.table, runners)));
  const problems: string[] = [];
  preflight.forEach((outcome, index) => {
    if (outcome.status === "rejected") problems.push((outcome.reason as Error).message);
    else if (outcome.value && !outcome.value.owned && refusesForeign(options.refuseForeignTable, spec.nodes[index])) {
      const node = spec.nodes[index];
      problems.push(
        `node ${node.address} (${runners(node).describe}): a table inet ${spec.table} exists that this resource did not make; ` +
          "choose another `table`, or remove that table by hand if it is a leftover",
      );
    }
  });
  if (problems.length > 0) {
    throw new FirewallApplyError(`${label}: nothing was changed on any node: ${problems.join("; ")}`, undefined, problems);
  }

  // Phase 2: one atomic nft -f per node.
  const script = renderApplyScript(spec);
  const outcomes = await Promise.all(spec.nodes.map((node) => runOn(node, ["nft", "-f", "-"], script, runners)));
  const statuses: FirewallNodeStatus[] = spec.nodes.map((node, index) => {
    const done = outcomes[index].ok;
    return { address: node.address, transport: node.transport.type, tableInPlace: done, drift: done ? [] : ["the new rules could not be written (see the error)"] };
  });
  const failed = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.error.message]));
  if (failed.length > 0) {
    const carrying = statuses.filter((status) => status.tableInPlace).map((status) => status.address);
    const message =
      carrying.length === 0
        ? `${label}: the rules could not be written on any node (nothing was changed): ${failed.join("; ")}`
        : `${label}: partial failure: the new rules are in place on ${carrying.join(", ")}, ` +
          `but not on ${statuses.filter((status) => !status.tableInPlace).map((status) => status.address).join(", ")}: ${failed.join("; ")}. ` +
          "Fix the cause and run pulumi up again: it rewrites every node's table";
    throw new FirewallApplyError(message, carrying.length === 0 ? undefined : statuses, failed);
  }

  // Nodes that left the declaration lose the table (their peers no longer list them, so they are cut off already).
  if (options.removedNodes && options.removedNodes.length > 0) {
    const table = options.removedTable ?? spec.table;
    const removals = await Promise.all(options.removedNodes.map((node) => runOn(node, ["nft", "-f", "-"], renderDeleteScript(table), runners)));
    const removalFailures = removals.flatMap((outcome) => (outcome.ok ? [] : [outcome.error.message]));
    if (removalFailures.length > 0) {
      throw new FirewallApplyError(
        `${label}: partial failure: the new rules are in place on every declared node (${spec.nodes.map((node) => node.address).join(", ")}), ` +
          `but the table could not be removed from a node that is no longer declared: ${removalFailures.join("; ")}. Remove it by hand (nft delete table inet ${table})`,
        statuses,
        removalFailures,
      );
    }
  }
  return statuses;
}

/** Removes the resource's table from every node (and nothing else). Throws naming every node that failed. */
export async function removeTables(nodes: readonly FirewallNode[], table: string, label: string, runners: RunnerFactory = defaultRunners): Promise<void> {
  const outcomes = await Promise.all(nodes.map((node) => runOn(node, ["nft", "-f", "-"], renderDeleteScript(table), runners)));
  const failed = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.error.message]));
  if (failed.length > 0) {
    const removed = nodes.filter((_, index) => outcomes[index].ok).map((node) => node.address);
    throw new Error(
      `${label}: the table inet ${table} could not be removed from every node` +
        (removed.length > 0 ? ` (it is gone from ${removed.join(", ")})` : "") +
        `: ${failed.join("; ")}. Fix the cause and run pulumi destroy again`,
    );
  }
}
