// Preconditions: changes that need facts read from the cluster (the node-version gate for data internode
// encryption). A row declares its precondition once; these pure functions say which ones a change needs and
// evaluate them, so check, create, update and adopt all apply the same declaration.
import { isPlainObject } from "./json";
import { type CheckFailure, type ErasedRow, type Facts, type PropertyBag, type PropertyTable, erasedRows, isDeclared } from "./table";
import { containsUnknown } from "./unknown";

/** A precondition a change needs: the row, and the facts to read before evaluating it. */
export interface PendingPrecondition {
  readonly property: string;
  readonly facts: readonly string[];
}

function parsedOld<P, Live>(row: ErasedRow<P, Live>, olds: Readonly<Record<string, unknown>>): unknown {
  if (!isDeclared(olds, row.name)) return undefined;
  const parsed = row.schema.parse(olds[row.name]);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * The preconditions that the change from `oldValues` (live values, or old inputs at check; {} on create) to
 * `newInputs` (checked inputs) needs. Rows whose new value is not known yet are skipped (check runs again with
 * known values); `only` limits the rows (an update checks only what it sends).
 */
export function pendingPreconditions<P, Live>(
  table: PropertyTable<P, Live>,
  oldValues: PropertyBag<P>,
  newInputs: PropertyBag<P>,
  only?: readonly string[],
): PendingPrecondition[] {
  const olds = (oldValues ?? {}) as Readonly<Record<string, unknown>>;
  const news = (newInputs ?? {}) as Readonly<Record<string, unknown>>;
  const pending: PendingPrecondition[] = [];
  for (const row of erasedRows(table)) {
    if (!row.precondition || !isDeclared(news, row.name) || (only && !only.includes(row.name))) continue;
    if (containsUnknown(news[row.name])) continue;
    const next = row.schema.parse(news[row.name]);
    if (!next.ok) continue;
    if (row.precondition.applies(parsedOld(row, olds), next.value)) pending.push({ property: row.name, facts: row.precondition.facts });
  }
  return pending;
}

/** Every fact name the pending preconditions read, once each. */
export function factsNeeded(pending: readonly PendingPrecondition[]): string[] {
  return [...new Set(pending.flatMap((item) => item.facts))];
}

/** Evaluates the pending preconditions against the facts read from the cluster. */
export function preconditionFailures<P, Live>(
  table: PropertyTable<P, Live>,
  pending: readonly PendingPrecondition[],
  facts: Facts,
  label: string,
  inputs: PropertyBag<P>,
): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const known = (isPlainObject(inputs) ? inputs : {}) as Readonly<Partial<P>>;
  for (const item of pending) {
    const row = erasedRows(table).find((candidate) => candidate.name === item.property);
    if (row?.precondition) failures.push(...row.precondition.check(facts, { label, inputs: known }));
  }
  return failures;
}
