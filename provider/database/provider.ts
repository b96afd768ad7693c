// The Database resource provider: the hooks the framework's life cycle (provider/framework/lifecycle.ts) calls
// around the pure logic of logic.ts. Each hook does one piece of I/O (start a change, wait until the cluster has
// really done it, read, delete); deadlines, partial failures, verification, preconditions, adoption and notes
// are the framework's. The shim in sdk/shim.ts forwards the engine's calls here.
import type * as pulumi from "@pulumi/pulumi";
import { REST_FACTS, RestSession, restSessionHooks } from "../framework/rest-session";
import { type LifecycleHooks, type OperationContext, resourceProvider, unconfirmedCreate } from "../framework/lifecycle";
import { printLine } from "../output";
import { containsUnknown, type CheckFailure } from "../core";
import { type RsClient, coalescedRead, describeErrorValue, excerpt, isOutcomeUnknown, isRsApiError, isRsConnectionError, isTimeoutCode, redactSecrets, waitForDatabase, type BdbObject } from "../rest";
import type { StackSettings } from "../settings";
import {
  DATABASE_READ_FIELDS,
  DATABASE_RESOURCE,
  adoptTarget,
  confirmedUid,
  createPayload,
  dryRunRefusal,
  findAdoptCandidate,
  provisionalId,
  provisionalName,
  resolveProvisional,
  unconfirmedRecord,
} from "./logic";
import type { CheckedDatabaseInputs, LiveDatabase } from "./types";

type Props = Record<string, unknown>;

/** A refresh's read asks for only the fields it uses (DATABASE_READ_FIELDS), the list and the single GETs alike. */
const READ_QUERY = { fields: DATABASE_READ_FIELDS.join(",") };

/** GET /v1/bdbs with only what finds a database (uid, name, status), its retries ending at `deadline` when given. */
async function listDatabases(client: RsClient, deadline?: number): Promise<LiveDatabase[]> {
  const all = await client.get<LiveDatabase[]>("/v1/bdbs", {
    query: { fields: "uid,name,status" },
    ...(deadline !== undefined ? { retry: { deadlineMs: Math.max(1000, deadline - Date.now()) } } : {}),
  });
  return all ?? [];
}

async function databasesNamed(client: RsClient, name: string, deadline?: number): Promise<LiveDatabase[]> {
  return (await listDatabases(client, deadline)).filter((database) => database.name === name);
}

/**
 * A 404 on /v1/bdbs/{uid} is taken for "gone" only when the list agrees (finding F4). A real cluster answers 404
 * there only for an absent database, but something in between (a proxy, a wrong address, a path-specific fault)
 * can too, and taking its word would make the stack forget a live database. The list is another path, asked
 * once and only on a 404 (rare): listed means not gone, and this throws naming the request, its 404 and code.
 */
async function confirmGone(client: RsClient, id: string, request: string, answer: unknown, ctx: OperationContext, deadline?: number): Promise<void> {
  const listed = (await listDatabases(client, deadline)).find((database) => String(database.uid) === id);
  if (listed === undefined) return;
  const { errorCode, description } = describeErrorValue(answer, 404);
  throw new Error(
    `${ctx.label}: ${request} answered 404${errorCode ? ` ${errorCode}` : ""} (${excerpt(description)}), but GET /v1/bdbs still lists ` +
      `the database as uid ${id} (status ${String(listed.status ?? "unknown")}), so it is not gone and nothing was changed in the stack. ` +
      "Something between the provider and the cluster answered for it: check the connection's url (a proxy or another address?), " +
      `then run pulumi ${ctx.operation === "read" ? "refresh" : "destroy (or up)"} again`,
  );
}

/** A lookup failure worth trying again: a 5xx or no answer (a 4xx such as 401 will not change by waiting). */
function transientLookupFailure(error: unknown): boolean {
  return isRsConnectionError(error) || (isRsApiError(error) && error.status >= 500);
}

/**
 * The end of every message of a create that was sent but not confirmed: what the stack now holds and what the
 * next commands do with it.
 */
function pendingAdvice(name: string): string {
  return (
    `; the cluster may still create the database, so the stack records it as pending (id ${provisionalId(name)}): ` +
    "the next pulumi up or pulumi refresh finds it by name (pulumi up creates it if the cluster never did), " +
    "and pulumi destroy deletes it if it exists"
  );
}

/**
 * The databases named `name`, looked up after a create whose outcome is unknown. This lookup is what keeps the
 * database from being orphaned, so a transient failure of it is retried to the operation's deadline (the client
 * itself gives up on a GET answered 500 after READ_500_RETRIES); when it never succeeds, the create is
 * unconfirmed: the stack records the provisional id, and the next operation looks again.
 */
async function lookupAfterUnknownCreate(client: RsClient, name: string, label: string, cause: unknown, deadline: number): Promise<LiveDatabase[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await databasesNamed(client, name, deadline);
    } catch (error) {
      if (!transientLookupFailure(error) || Date.now() + 250 * 2 ** attempt > deadline) {
        throw unconfirmedCreate(
          `${label}: the create was sent but its outcome is unknown (${(cause as Error).message}) and looking the database up ` +
            `by name failed until the deadline (${(error as Error).message})${pendingAdvice(name)}`,
          provisionalId(name),
        );
      }
      if (attempt === 1) printLine(`${label}: looking the database up by name failed (${(error as Error).message}); trying again until the deadline`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
    }
  }
}

/**
 * The databases named `name`, looked up before a create (one that exists is refused or adopted, never created
 * twice). The client rides out what passes: 502, 503, 504 and dropped connections to the deadline, a 500 twice
 * (READ_500_RETRIES); a refused connection from the start, a 401 or a 4xx are final at once. A 5xx that lasts
 * says what was being done and that nothing was created: it is not held for the create's whole deadline (30
 * minutes by default), since nothing is at stake yet.
 */
async function lookupBeforeCreate(client: RsClient, name: string, ctx: OperationContext): Promise<LiveDatabase[]> {
  try {
    return await databasesNamed(client, name, ctx.deadline.at);
  } catch (error) {
    if (!(isRsApiError(error) && error.status >= 500)) throw error;
    error.message = `${ctx.label}: looking for a database named "${name}" before creating it failed (${error.message}); nothing was created, so apply again`;
    throw error;
  }
}

/**
 * POST /v1/bdbs, never blindly twice. When the outcome is unknown (the answer was lost, or the server answered
 * 5xx), the database is looked up by name: found means created. Absent after a 5xx answer from the cluster means
 * it finished the request without creating anything, so posting again is safe; absent after a lost answer (or a
 * gateway's 504: the cluster behind it may still be working) may still mean a request in flight (F1: a POST
 * held past the deadline was applied 2 s after the lookup), so the create is unconfirmed, never "nothing was
 * created": the stack records the provisional id and the next operation resolves it by name.
 */
async function postDatabase(
  client: RsClient,
  payload: object,
  name: string,
  label: string,
  deadline: number,
  print: (line: string) => void,
): Promise<{ uid: number; actionUid?: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await client.post<BdbObject & { action_uid?: string }>("/v1/bdbs", payload);
      return { uid: Number(created?.uid), actionUid: created?.action_uid };
    } catch (error) {
      if (!isOutcomeUnknown(error)) throw error;
      const found = await lookupAfterUnknownCreate(client, name, label, error, deadline);
      if (found.length === 1) {
        print(`the answer to the create was lost (${(error as Error).message}); found the database by name as uid ${String(found[0].uid)} and continuing with it`);
        return { uid: Number(found[0].uid) };
      }
      if (found.length > 1) throw new Error(`${label}: ${found.length} databases are named "${name}" after an interrupted create; keep one (adopt it by uid) and delete the others`);
      const answered = isRsApiError(error) && error.status !== 504;
      if (!answered) {
        // A timeout ran to the deadline; a broken connection ended at once, and saying "deadline" there misleads.
        const what = isRsConnectionError(error) && !isTimeoutCode(error.causeCode) ? "its connection broke before the answer came" : "not answered before the deadline";
        throw unconfirmedCreate(
          `${label}: the create was sent but ${what} (${(error as Error).message}) and no database ` +
            `named "${name}" exists yet${pendingAdvice(name)}`,
          provisionalId(name),
        );
      }
      if (Date.now() + 1000 > deadline) {
        throw new Error(
          `${label}: the create failed (${(error as Error).message}) and no database named "${name}" exists, so nothing was created; apply again`,
        );
      }
      print(`the create was answered ${(error as Error).message}; no database named "${name}" exists, so it is sent again (attempt ${attempt + 1})`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
    }
  }
}

/** Waits until the database is active again (after a create or an update), to the operation's deadline. */
async function waitActive(client: RsClient, uid: string, actionUid: string | undefined, ctx: OperationContext): Promise<LiveDatabase> {
  return (await waitForDatabase(client, Number(uid), {
    until: "active",
    actionUid,
    deadlineMs: ctx.deadline.remainingMs(),
    onProgress: (line) => ctx.print(line),
  })) as LiveDatabase;
}

/**
 * Sends a create or update as a dry run: nothing when the cluster accepts it, its refusal as a check failure
 * (dryRunRefusal), and throws any other failure (the cluster could not be asked).
 */
async function dryRun(client: RsClient, method: "POST" | "PUT", path: string, body: object, inputs: Record<string, unknown>, label: string, change: "create" | "update"): Promise<CheckFailure[]> {
  try {
    await client.request(method, path, { body });
    return [];
  } catch (error) {
    if (!isRsApiError(error)) throw error;
    // The server's words could repeat a value sent; the database's password is never shown.
    const password = typeof inputs.password === "string" && inputs.password !== "" ? [inputs.password] : [];
    const refusal = dryRunRefusal(label, change, { status: error.status, errorCode: error.errorCode, message: redactSecrets(error.message, password) });
    if (refusal === undefined) throw error;
    return [refusal];
  }
}

/** The Database's hooks: the REST calls of each step of the life cycle. */
export function databaseHooks(getSettings: () => StackSettings): LifecycleHooks<LiveDatabase, RestSession> {
  return {
    session: restSessionHooks(getSettings),
    facts: REST_FACTS,
    outcomeUnknown: isOutcomeUnknown,

    async beforeCreate({ client }, inputs, ctx) {
      const name = String(inputs.name);
      const existing = await lookupBeforeCreate(client, name, ctx);
      if (existing.length > 0) {
        throw new Error(
          `${ctx.label}: a database named "${name}" already exists (uid ${existing.map((d) => String(d.uid)).join(", ")}); ` +
            "to manage it, set adopt: {} on this resource; or choose another name",
        );
      }
    },

    // Validation at preview (redisenterprise:validateAtPreview): a database to be created is sent to the cluster as
    // a dry run, which refuses what only the cluster knows (a port or a name in use, a version it does not run,
    // no room) before anything is applied. The life cycle asks only for a create (check does not know which
    // database an update is for: the uid is an output; diff asks, below); an adoption takes a name on purpose.
    async validateOnCluster({ client }, inputs, label) {
      if (adoptTarget(inputs as CheckedDatabaseInputs) !== undefined || containsUnknown(inputs)) return [];
      // `?dry_run` as the reference writes it (rs-rest-api.md §1.5; UNCERTAIN whether a value is expected, the
      // docs give none). Retried as any POST (409 busy, a refused connection): a 409 name_exists is an answer.
      return dryRun(client, "POST", "/v1/bdbs?dry_run", createPayload(inputs as CheckedDatabaseInputs), inputs, label, "create");
    },

    // The same for an update, from diff (which knows the uid): the body the update would send, as a dry run.
    async validateUpdateOnCluster({ client }, olds, payloads, news, label) {
      const body = payloads[""];
      const uid = Number(olds.uid);
      if (body === undefined || !Number.isSafeInteger(uid) || uid <= 0) return [];
      return dryRun(client, "PUT", `/v1/bdbs/${uid}?dry_run`, body, news, label, "update");
    },

    async startCreate({ client }, inputs, ctx) {
      const { uid, actionUid } = await postDatabase(client, createPayload(inputs as CheckedDatabaseInputs), String(inputs.name), ctx.label, ctx.deadline.at, ctx.print);
      return { id: String(uid), pending: actionUid };
    },

    completeCreate: ({ client }, id, pending, ctx) => waitActive(client, id, pending as string | undefined, ctx),

    // The refresh's read: reads of one cluster running together share one GET /v1/bdbs when enough of them run
    // to pay for it, else one GET /v1/bdbs/{uid} each (provider/rest/coalesce.ts: in flight only, never across a
    // write this process finished, a uid missing from the list confirmed by its own GET; docs/benchmarks.md).
    // A 404 of that GET is taken for gone only when GET /v1/bdbs agrees (confirmGone).
    async read({ client }, id, ctx) {
      const answer = await coalescedRead<LiveDatabase>(client, "/v1/bdbs", id, READ_QUERY);
      if (answer.status === 404) {
        await confirmGone(client, id, `GET /v1/bdbs/${id}`, answer.body, ctx);
        return undefined;
      }
      return answer.body;
    },

    readForRecord: ({ client }, id) => client.get<LiveDatabase>(`/v1/bdbs/${id}`, { retry: false }),

    minimalRecord: (id, inputs) => (provisionalName(id) !== undefined ? unconfirmedRecord(inputs) : { uid: Number(id), name: inputs.name }),

    // A provisional id (pending-create:<name>) is resolved by name, with one list call; a record an update has
    // confirmed since (it holds the uid; the engine keeps the id an update cannot change) by its uid.
    unconfirmed: (id, recorded) => provisionalName(id) !== undefined && confirmedUid(recorded) === undefined,

    async resolveId({ client }, id, recorded, ctx) {
      const name = provisionalName(id);
      if (name === undefined) return id;
      const uid = confirmedUid(recorded);
      if (uid !== undefined) return String(uid);
      const named = await databasesNamed(client, name, ctx.operation === "read" ? undefined : ctx.deadline.at);
      const resolved = resolveProvisional(name, named, ctx.label);
      if (resolved.error !== undefined) throw new Error(resolved.error);
      if (resolved.uid !== undefined) ctx.print(`the create recorded as ${id} was applied: the database is uid ${resolved.uid}`);
      return resolved.uid === undefined ? undefined : String(resolved.uid);
    },

    async startUpdate({ client }, id, payloads, ctx) {
      // The Database lives in one REST object, the bdb: one body.
      const answer = await client.put<{ action_uid?: string }>(`/v1/bdbs/${id}`, payloads[""] ?? {}, {
        retry: { deadlineMs: ctx.deadline.remainingMs() },
      });
      return answer?.action_uid;
    },

    completeUpdate: ({ client }, id, pending, ctx) => waitActive(client, id, pending as string | undefined, ctx),

    async delete({ client }, id, ctx) {
      try {
        const answer = await client.request("DELETE", `/v1/bdbs/${encodeURIComponent(id)}`, {
          acceptStatuses: [404],
          retry: { deadlineMs: ctx.deadline.remainingMs() },
        });
        if (answer.status === 404) {
          await confirmGone(client, id, `DELETE /v1/bdbs/${id}`, answer.body, ctx, ctx.deadline.at);
          return;
        }
      } catch (error) {
        // A 5xx or a lost answer may hide a delete the cluster started: read what really happened. Gone or going
        // means the delete was applied (wait for it below); still there and not going means it was not.
        if (!isOutcomeUnknown(error)) throw error;
        const now = await client.request<LiveDatabase>("GET", `/v1/bdbs/${encodeURIComponent(id)}`, {
          acceptStatuses: [404],
          retry: { deadlineMs: ctx.deadline.remainingMs() },
        });
        if (now.status === 404) {
          ctx.print(`the delete was answered ${(error as Error).message}, but the database is gone: it was deleted`);
          return;
        }
        const status = String(now.body?.status ?? "unknown");
        if (status !== "delete-pending") {
          throw new Error(
            `${ctx.label}: the delete of uid ${id} failed (${(error as Error).message}) and the database is still there ` +
              `(status ${status}), so the cluster did not delete it; run pulumi destroy (or up) again`,
          );
        }
        ctx.print(`the delete was answered ${(error as Error).message}, but the cluster is deleting the database (status ${status}); waiting for it`);
      }
      await waitForDatabase(client, Number(id), {
        until: "gone",
        deadlineMs: ctx.deadline.remainingMs(),
        onProgress: (line) => ctx.print(line),
      });
    },

    adopt: {
      wanted: (inputs) => adoptTarget(inputs as CheckedDatabaseInputs) !== undefined,
      applyChanges: (inputs) => (inputs as CheckedDatabaseInputs).adopt?.applyChanges === true,
      async find({ client }, inputs, ctx) {
        const target = adoptTarget(inputs as CheckedDatabaseInputs)!;
        // Only names and uids to find it (a cluster may hold many databases); then the one object in full.
        const candidates = await client.get<LiveDatabase[]>("/v1/bdbs", { query: { fields: "uid,name" } });
        const found = findAdoptCandidate(target, candidates ?? []);
        if ("error" in found) throw new Error(`${ctx.label}: ${found.error}`);
        return client.get<LiveDatabase>(`/v1/bdbs/${String(found.live.uid)}`);
      },
      id: (live) => String(Number(live.uid)),
    },
  };
}

/** The Database provider; `getSettings` returns what configure() read from stack config. */
export function databaseProvider(getSettings: () => StackSettings): pulumi.dynamic.ResourceProvider {
  return resourceProvider(DATABASE_RESOURCE, databaseHooks(getSettings), getSettings);
}
