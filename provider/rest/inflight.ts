// In-flight sharing of GET exchanges: reads of one cluster that run at the same time send one request.
//
// The engine calls the provider once per resource and, in a refresh, for every resource at once; the dynamic
// provider serves them all from one process, each call with its own RsClient. When two of those calls send the
// same GET (same URL, same credentials, same trust, same extra headers) while the first is still in flight, the
// second joins it: one request goes out, both get its answer, or both get its failure.
//
// Not a cache: an entry lives exactly as long as its request is in flight, and is removed when it settles, before
// any caller sees the result; a GET sent after that goes to the server.
//
// Reads must see the writes their caller has finished: a GET joins only a request that was sent after the last
// write (any non-GET request) this process finished. Otherwise a waiter that polls after its PUT could get an answer
// from before the PUT, and take the database for already updated. The rule is per process, not per cluster: it only
// gives up some sharing while writes are being made, and is never wrong.
//
// Secrets: the key holds a SHA-256 of the Authorization header, never the header; keys are never printed.
import { createHash } from "node:crypto";
import type { Dispatcher } from "undici";

/** What one HTTP exchange gave: an answer (status, headers, text), or no answer. */
export type ExchangeOutcome =
  | {
      ok: true;
      status: number;
      headers: Record<string, string>;
      text: string;
    }
  | {
      ok: false;
      /** The transport error (never holds the request or credentials once RsClient has turned it into words). */
      error: unknown;
      /** The attempt's own time limit fired. */
      timedOut: boolean;
      /** The status line had arrived before the failure (the server answered, the body was lost). */
      answered: boolean;
    };

interface Entry {
  promise: Promise<ExchangeOutcome>;
  /** writeGeneration when the request was sent. */
  generation: number;
}

/** Per dispatcher (one per origin and trust settings, see agents.ts), the GETs in flight by key. */
const inFlight = new WeakMap<Dispatcher, Map<string, Entry>>();

/** Counts writes this process finished; see the rule above. */
let writeGeneration = 0;

/** Counters for tests and the benchmarks: requests sent by a leader, and callers that joined one instead. */
const counters = { sent: 0, joined: 0 };

/** Called when a non-GET request of this process finished (answered or not): later GETs must not join older ones. */
export function noteWriteFinished(): void {
  writeGeneration += 1;
}

/** The writes this process finished so far: a shared read records it when sent and is joined only while it holds. */
export function currentWriteGeneration(): number {
  return writeGeneration;
}

/**
 * The key of a GET: URL (origin, base path, path and query), a hash of the Authorization header and of the extra
 * headers. Trust is in the dispatcher the map belongs to.
 */
export function shareKey(url: string, authorization: string, headers: Record<string, string>): string {
  const extra = Object.keys(headers)
    .filter((name) => name !== "authorization")
    .sort()
    .map((name) => `${name.toLowerCase()}: ${headers[name]}`)
    .join("\n");
  const digest = createHash("sha256").update(authorization).update("\n").update(extra).digest("hex");
  return `${url} ${digest}`;
}

function withTimeLimit(promise: Promise<ExchangeOutcome>, timeoutMs: number): Promise<ExchangeOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<ExchangeOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: new Error("attempt timed out"), timedOut: true, answered: false }), timeoutMs);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/**
 * The outcome of the GET `key` on `dispatcher`: joins the one in flight when there is one sent after the last
 * finished write, else sends it with `send` and lets others join until it settles. A joiner still ends its wait at
 * its own `timeoutMs` (then as a timed-out attempt), as if it had sent the request itself.
 */
export function sharedExchange(
  dispatcher: Dispatcher,
  key: string,
  timeoutMs: number,
  send: () => Promise<ExchangeOutcome>,
): Promise<ExchangeOutcome> {
  let entries = inFlight.get(dispatcher);
  if (entries === undefined) {
    entries = new Map();
    inFlight.set(dispatcher, entries);
  }
  const current = entries.get(key);
  if (current !== undefined && current.generation === writeGeneration) {
    counters.joined += 1;
    return withTimeLimit(current.promise, timeoutMs);
  }
  counters.sent += 1;
  const map = entries;
  const entry: Entry = { generation: writeGeneration, promise: Promise.resolve(undefined as unknown as ExchangeOutcome) };
  entry.promise = (async () => {
    try {
      return await send();
    } finally {
      // Gone before any caller sees the outcome: nothing outlives the request.
      if (map.get(key) === entry) map.delete(key);
    }
  })();
  map.set(key, entry);
  return entry.promise;
}

/** GETs in flight now on this dispatcher (for tests: zero once every request has settled). */
export function inFlightCount(dispatcher: Dispatcher): number {
  return inFlight.get(dispatcher)?.size ?? 0;
}

/** How many shareable GETs were sent, and how many callers joined one in flight, since the process started. */
export function sharingCounters(): { sent: number; joined: number } {
  return { ...counters };
}
