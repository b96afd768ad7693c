// The Database resource provider: the I/O around the pure logic of logic.ts. Each method resolves the
// connection, talks to the cluster through RsClient, waits until the cluster has really done the work, and
// records what it sees. The shim in sdk/shim.ts forwards the engine's calls here.
import type * as pulumi from "@pulumi/pulumi";
import { containsUnknown, describeChange, noteLines, type CheckFailure, type PropertyChange } from "../core";
import { connectionProblems, resolveConnection } from "../connection";
import { printLine } from "../output";
import {
  RsClient,
  isRsApiError,
  isRsConnectionError,
  waitForDatabase,
  type BdbObject,
  type Connection,
} from "../rest";
import type { StackSettings } from "../settings";
import { timeoutFor, timeoutsProblems, type TimeoutsInput } from "../timeouts";
import {
  adoptTarget,
  adoptionProblems,
  checkDatabase,
  createPayload,
  databaseLabel,
  databaseOutputs,
  diffDatabase,
  findAdoptCandidate,
  ineVersionFailures,
  readDatabase,
  updatePayload,
} from "./logic";
import type { CheckedDatabaseInputs, DatabaseOutputs, LiveDatabase, NodeVersionInfo } from "./types";

type Props = Record<string, unknown>;

/** An error the provider host turns into a partial failure: the engine records `id`, so nothing is orphaned. */
interface PartialFailure extends Error {
  id: string;
  properties: Props;
  reasons: string[];
}

function failuresMessage(failures: readonly CheckFailure[]): string {
  return failures.map((failure) => failure.reason).join("; ");
}

function withClient<T>(connection: Connection, label: string, work: (client: RsClient) => Promise<T>): Promise<T> {
  const client = new RsClient(connection, { onEvent: (line) => printLine(`${label}: ${line}`) });
  return work(client).finally(() => client.close());
}

async function fetchNodes(client: RsClient): Promise<NodeVersionInfo[]> {
  const nodes = await client.get<Array<Record<string, unknown>>>("/v1/nodes", {
    query: { fields: "uid,software_version,status" },
  });
  return (nodes ?? []).map((node) => ({
    uid: Number(node.uid),
    softwareVersion: String(node.software_version ?? ""),
    status: String(node.status ?? ""),
  }));
}

/** The version gate before a request that turns data internode encryption on. */
async function requireIneCapableNodes(client: RsClient, inputs: CheckedDatabaseInputs, current?: boolean): Promise<void> {
  const failures = ineVersionFailures(inputs, await fetchNodes(client), current);
  if (failures.length > 0) throw new Error(failuresMessage(failures));
}

async function databasesNamed(client: RsClient, name: string): Promise<LiveDatabase[]> {
  const all = await client.get<LiveDatabase[]>("/v1/bdbs", { query: { fields: "uid,name,status" } });
  return (all ?? []).filter((database) => database.name === name);
}

/** True when a failed POST may nevertheless have created the database. */
function outcomeUnknown(error: unknown): boolean {
  if (isRsConnectionError(error)) return error.mayHaveReachedServer;
  return isRsApiError(error) && error.status >= 500;
}

/**
 * POST /v1/bdbs, never blindly twice. When the outcome is unknown (the answer was lost, or the server answered
 * 5xx), the database is looked up by name: found means created. Absent after a 5xx answer means the server
 * finished the request without creating anything, so posting again is safe; absent after a lost answer may
 * still mean a request in flight, so the provider stops and says nothing was created.
 */
async function postDatabase(
  client: RsClient,
  payload: object,
  name: string,
  label: string,
  deadline: number,
): Promise<{ uid: number; actionUid?: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await client.post<BdbObject & { action_uid?: string }>("/v1/bdbs", payload);
      return { uid: Number(created?.uid), actionUid: created?.action_uid };
    } catch (error) {
      if (!outcomeUnknown(error)) throw error;
      const found = await databasesNamed(client, name);
      if (found.length === 1) {
        printLine(`${label}: the answer to the create was lost (${(error as Error).message}); found the database by name as uid ${String(found[0].uid)} and continuing with it`);
        return { uid: Number(found[0].uid) };
      }
      if (found.length > 1) throw new Error(`${label}: ${found.length} databases are named "${name}" after an interrupted create; keep one (adopt it by uid) and delete the others`);
      const answered = isRsApiError(error);
      if (!answered || Date.now() + 1000 > deadline) {
        throw new Error(
          `${label}: the create failed (${(error as Error).message}) and no database named "${name}" exists, so nothing was created; apply again`,
        );
      }
      printLine(`${label}: the create was answered ${(error as Error).message}; no database named "${name}" exists, so it is sent again (attempt ${attempt + 1})`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
    }
  }
}

/** The outputs of a database that exists but whose create did not finish, for a partial failure. */
async function partialFailure(client: RsClient, uid: number, inputs: Props, cause: unknown, label: string): Promise<PartialFailure> {
  const reason = cause instanceof Error ? cause.message : String(cause);
  let properties: Props = { uid, name: inputs.name };
  try {
    const live = await client.get<LiveDatabase>(`/v1/bdbs/${uid}`, { retry: false });
    properties = { ...databaseOutputs(live, inputs as CheckedDatabaseInputs) };
  } catch {
    // Keep the minimal record: the id is what matters for refresh and destroy.
  }
  // Refresh and destroy find the provider in the recorded properties, so the shim must be there too.
  properties.__provider = inputs.__provider;
  const error = new Error(
    `${label}: the database was created as uid ${uid} but did not become ready: ${reason}. ` +
      "It is recorded in the stack, not orphaned: run `pulumi refresh` to see its state, then `pulumi up` to finish or `pulumi destroy` to remove it",
  ) as PartialFailure;
  error.id = String(uid);
  error.properties = properties;
  error.reasons = [reason];
  return error;
}

function printChanges(label: string, changes: readonly PropertyChange[], notes: readonly string[]): void {
  for (const note of notes) printLine(note);
  for (const change of changes) {
    if (change.impact === "none" && change.mode === "in-place") printLine(`${label}: ${describeChange(change)} (no impact on connected clients)`);
  }
}

/** The Database provider; `getSettings` returns what configure() read from stack config. */
export function databaseProvider(getSettings: () => StackSettings): pulumi.dynamic.ResourceProvider {
  const connectionFor = (props: Props, label: string): Connection =>
    resolveConnection(props.connection, getSettings(), label);

  return {
    async check(olds: Props, news: Props) {
      const settings = getSettings();
      const { inputs, failures } = checkDatabase(olds ?? {}, news, { defaultDisruptionPolicy: settings.disruptionPolicy });
      failures.push(...connectionProblems(news.connection), ...timeoutsProblems(news.timeouts));
      const connectionKnown = !containsUnknown(news.connection);
      if (failures.length === 0 && connectionKnown) {
        let connection: Connection | undefined;
        try {
          connection = connectionFor(news, databaseLabel(news.name));
        } catch (error) {
          failures.push({ property: "connection", reason: (error as Error).message });
        }
        const turningOn = inputs.dataInternodeEncryption === true && olds?.dataInternodeEncryption !== true;
        if (connection && turningOn) {
          // Best effort at preview time: the same gate runs again right before the change is sent.
          try {
            const nodes = await withClient(connection, databaseLabel(news.name), (client) => fetchNodes(client));
            failures.push(...ineVersionFailures(inputs, nodes));
          } catch (error) {
            printLine(`${databaseLabel(news.name)}: could not read the node versions now (${(error as Error).message}); they are checked again before the change is applied`);
          }
        }
      }
      return { inputs, failures };
    },

    async diff(_id: string, olds: Props, news: Props) {
      const diff = diffDatabase(olds, news, { defaultDisruptionPolicy: getSettings().disruptionPolicy });
      if (diff.refusalMessage) throw new Error(diff.refusalMessage);
      if (diff.blocked.length > 0) throw new Error(failuresMessage(diff.blocked));
      printChanges(databaseLabel(news.name ?? olds.name), diff.changed, diff.notes);
      return { changes: diff.changes, replaces: diff.replaces, deleteBeforeReplace: diff.deleteBeforeReplace };
    },

    async create(inputs: Props) {
      const label = databaseLabel(inputs.name);
      const checked = inputs as CheckedDatabaseInputs;
      const deadline = Date.now() + timeoutFor("create", inputs.timeouts as TimeoutsInput);
      return withClient(connectionFor(inputs, label), label, async (client) => {
        const target = adoptTarget(checked);
        if (target) return adopt(client, checked, label, deadline, getSettings());
        const name = String(inputs.name);
        if (checked.dataInternodeEncryption === true) await requireIneCapableNodes(client, checked);
        const existing = await databasesNamed(client, name);
        if (existing.length > 0) {
          throw new Error(
            `${label}: a database named "${name}" already exists (uid ${existing.map((d) => String(d.uid)).join(", ")}); ` +
              "to manage it, set adopt: {} on this resource; or choose another name",
          );
        }
        const { uid, actionUid } = await postDatabase(client, createPayload(checked), name, label, deadline);
        try {
          const live = await waitForDatabase(client, uid, {
            until: "active",
            actionUid,
            deadlineMs: Math.max(1000, deadline - Date.now()),
            onProgress: (line) => printLine(`${label}: ${line}`),
          });
          return { id: String(uid), outs: databaseOutputs(live as LiveDatabase, checked) };
        } catch (error) {
          throw await partialFailure(client, uid, inputs, error, label);
        }
      });
    },

    async read(id: string, props: Props) {
      const label = databaseLabel(props?.name);
      return withClient(connectionFor(props, label), label, async (client) => {
        const answer = await client.request<LiveDatabase>("GET", `/v1/bdbs/${encodeURIComponent(id)}`, { acceptStatuses: [404] });
        if (answer.status === 404 || answer.body === undefined) return { id: "" };
        return { id, props: readDatabase(answer.body, props) };
      });
    },

    async update(id: string, olds: Props, news: Props) {
      const label = databaseLabel(news.name ?? olds.name);
      const checked = news as CheckedDatabaseInputs;
      const diff = diffDatabase(olds, news, { defaultDisruptionPolicy: getSettings().disruptionPolicy });
      if (diff.refusalMessage) throw new Error(diff.refusalMessage);
      if (diff.blocked.length > 0) throw new Error(failuresMessage(diff.blocked));
      const deadline = Date.now() + timeoutFor("update", news.timeouts as TimeoutsInput);
      return withClient(connectionFor(news, label), label, async (client) => {
        const uid = Number(id);
        const payload = updatePayload(olds, checked);
        const outs = await applyUpdate(client, uid, payload, checked, olds.dataInternodeEncryption === true, label, deadline, diff.changed);
        return { outs };
      });
    },

    async delete(id: string, props: Props) {
      const label = databaseLabel(props?.name);
      const deadline = Date.now() + timeoutFor("delete", props.timeouts as TimeoutsInput);
      await withClient(connectionFor(props, label), label, async (client) => {
        const answer = await client.request("DELETE", `/v1/bdbs/${encodeURIComponent(id)}`, {
          acceptStatuses: [404],
          retry: { deadlineMs: Math.max(1000, deadline - Date.now()) },
        });
        if (answer.status === 404) return;
        await waitForDatabase(client, Number(id), {
          until: "gone",
          deadlineMs: Math.max(1000, deadline - Date.now()),
          onProgress: (line) => printLine(`${label}: ${line}`),
        });
      });
    },
  };
}

/**
 * PUT the payload (when there is one), wait until the database is active again, and check that the cluster
 * really holds the declared values: "apply succeeded while the server did not change" is an error, not a
 * silent success.
 */
async function applyUpdate(
  client: RsClient,
  uid: number,
  payload: Record<string, unknown>,
  inputs: CheckedDatabaseInputs,
  encryptionOnNow: boolean,
  label: string,
  deadline: number,
  changes: readonly PropertyChange[],
): Promise<DatabaseOutputs> {
  let live: LiveDatabase | undefined;
  if (Object.keys(payload).length > 0) {
    if (payload.data_internode_encryption === true) await requireIneCapableNodes(client, inputs, encryptionOnNow);
    const answer = await client.put<{ action_uid?: string }>(`/v1/bdbs/${uid}`, payload, {
      retry: { deadlineMs: Math.max(1000, deadline - Date.now()) },
    });
    live = (await waitForDatabase(client, uid, {
      until: "active",
      actionUid: answer?.action_uid,
      deadlineMs: Math.max(1000, deadline - Date.now()),
      onProgress: (line) => printLine(`${label}: ${line}`),
    })) as LiveDatabase;
  } else {
    // Nothing to send, but the database must still be ready: after a partial failure the engine updates a
    // database that may be pending or creation-failed, and recording that as a success would hide it.
    live = (await waitForDatabase(client, uid, {
      until: "active",
      deadlineMs: Math.max(1000, deadline - Date.now()),
      onProgress: (line) => printLine(`${label}: ${line}`),
    })) as LiveDatabase;
  }
  const impacts = changes.filter((change) => !change.unknown).map(({ old, new: _new, ...rest }) => (rest.secret ? rest : { ...rest, old, new: _new }));
  const outputs = databaseOutputs(live, inputs, impacts);
  const notApplied = diffDatabase(outputs, inputs).changed;
  if (notApplied.length > 0) {
    throw new Error(
      `${label}: the cluster accepted the update but still shows ${notApplied.map(describeChange).join("; ")}; ` +
        "look at the database (pulumi refresh) and apply again",
    );
  }
  return outputs;
}

/** create() with `adopt`: take over an existing database instead of creating one. */
async function adopt(
  client: RsClient,
  inputs: CheckedDatabaseInputs,
  label: string,
  deadline: number,
  settings: StackSettings,
): Promise<{ id: string; outs: DatabaseOutputs }> {
  const target = adoptTarget(inputs)!;
  // Only names and uids to find it (a cluster may hold many databases); then the one object in full.
  const candidates = await client.get<LiveDatabase[]>("/v1/bdbs", { query: { fields: "uid,name" } });
  const found = findAdoptCandidate(target, candidates ?? []);
  if ("error" in found) throw new Error(`${label}: ${found.error}`);
  const live = await client.get<LiveDatabase>(`/v1/bdbs/${String(found.live.uid)}`);
  const { changes, failures } = adoptionProblems(inputs, live, settings.disruptionPolicy);
  if (failures.length > 0) throw new Error(failuresMessage(failures));
  const uid = Number(live.uid);
  printLine(`${label}: adopting the existing database uid ${uid}` + (changes.length > 0 ? ` and applying ${changes.length} change(s)` : " (it matches the declared properties)"));
  const liveOutputs = databaseOutputs(live, inputs);
  const payload = updatePayload(liveOutputs, inputs);
  printChanges(label, changes, noteLines(label, changes));
  const outs = await applyUpdate(client, uid, payload, inputs, live.data_internode_encryption === true, label, deadline, changes);
  return { id: String(uid), outs };
}
