// Coalesced reads of one object by uid: reads of one cluster's objects of a kind (the bdbs) that run at the same
// time are served by one GET of the collection (`GET /v1/bdbs`, full objects) when that is cheaper than one
// `GET /v1/bdbs/{uid}` each.
//
// Why: a refresh reads every resource at once. One read per resource costs one request each; the list answers
// them all with one. The list is not free (a cluster of D databases renders and sends D objects), so it is used
// only when enough reads run together to pay for it (listPaysFrom below, fitted to bench/refresh.ts).
//
// Not a cache: a list's answer serves the reads that were pending when it was sent and the reads that joined it
// while it was in flight, exactly as inflight.ts lets a GET join an identical one in flight; it is dropped the
// moment it settles, before any read sees it, and a read after that sends (or joins) a new request. A joiner may
// get an answer the server computed just before the joiner started; that is the same trade inflight.ts makes, and
// it is safe for the same reason: a read never joins a list sent before a write of this process finished (the
// write generation of inflight.ts), so a read after a write always sees the write. Reads that need a fresher
// answer than a concurrent read's (the waiter's polls after a write) do not come here; they GET the object.
//
// When: a lone read goes at once; reads running together wait a few ms for company while a list could still pay;
// reads of a rising stream (a refresh sent all at once, which the provider host hands over one Read at a time,
// about 1 ms apart) wait for the end of the stream, so that one list serves the whole refresh rather than a GET
// each (streaming() below).
//
// Answers are checked, never trusted for absence: a uid missing from the list is confirmed with its own GET
// (404 then means gone), since a list is not a promise that an object it lacks is gone (it may have been
// created, or be listed late). A list that fails (an error status, no answer, not an array) makes every read it
// served fall back to its own GET with the client's normal retry policy, so one fault does not fail a whole
// refresh; a 401 or a TLS failure fails them all with the list's error (credentials and trust do not change from
// one request to the next, and the error says what to fix).
//
// What this module keeps between requests are statistics per cluster for the cost rule, never an answer: how many
// objects the last list held (D), how long the last list and single GET took, when recent reads arrived and how
// many ran at once (Stats below). Groups are keyed per dispatcher (origin and trust) and by the
// collection URL with a SHA-256 of the credentials (RsClient.shareScope), never the credentials.
import { performance } from "node:perf_hooks";
import type { Dispatcher } from "undici";
import type { RsClient } from "./client";
import { isRsApiError, isRsTlsError } from "./errors";
import { currentWriteGeneration } from "./inflight";

/** One read waiting for its object. */
interface Waiter {
  uid: string;
  client: RsClient;
  resolve: (value: CoalescedAnswer<unknown>) => void;
  reject: (error: unknown) => void;
}

/** A list request in flight and the reads it will serve. */
interface ListInFlight {
  /** The write generation when it was sent: a read joins only while no write of this process has finished since. */
  generation: number;
  waiters: Waiter[];
}

/** The coalescer state of one collection of one cluster (as seen through one set of credentials and trust). */
interface Group {
  /** Reads registered and not yet flushed (gathering). */
  pending: Waiter[];
  /** Whether a flush is scheduled for `pending`. */
  flushScheduled: boolean;
  list: ListInFlight | undefined;
  /** Reads of this group registered and not yet answered (pending, in a list, or in their own GET). */
  running: number;
  stats: Stats;
  /** The query every request of the group carries (`fields`), the same for the list and the single GETs. */
  query: ReadQuery | undefined;
}

/** A query sent with every request of a coalesced read, e.g. `{ fields: "uid,name,status" }`. */
export type ReadQuery = Readonly<Record<string, string>>;

/**
 * Numbers about one collection of one cluster that the cost rule uses: statistics, never answers. Kept by URL and
 * credentials hash rather than with the group, because the group lives with the connection pool, which closes
 * whenever no client of it is open (between two bursts of one refresh, too), and a big cluster would otherwise be
 * taken as small again, and listed, after each.
 */
interface Stats {
  /** How many objects the last successful list held. */
  lastListSize: number | undefined;
  /** How long the last list and the last single GET took (ms). */
  lastListMs: number | undefined;
  lastOwnGetMs: number | undefined;
  /** When recent reads arrived (performance.now()). */
  arrivals: number[];
  /** The most reads running at once since the collection was last idle for PEAK_IDLE_RESET_MS. */
  peakRunning: number;
  /** When no read of it was last running. */
  idleSince: number;
  /** When a read last arrived that made more reads run at once than ever since the last idle period (a rise). */
  lastRiseAt: number;
  /** Reads arrived since the last idle period (a refresh reads each object once: at the cluster's size, all came). */
  arrivalsSinceIdle: number;
  /** When the last read arrived. */
  lastArrivalAt: number;
  /** Whether reads gather while they keep arriving, without a rise (a probe: see STREAM_PROBES). */
  probing: boolean;
  /** Probes left in this idle period. */
  probesLeft: number;
  /** Whether a request for the collection's size (requestSize below) is in flight. */
  sizeRequested: boolean;
}

/** Statistics of this many collections at most (clusters times credentials); the oldest is dropped first. */
const MAX_STATS = 64;
const statsByKey = new Map<string, Stats>();

const groups = new WeakMap<Dispatcher, Map<string, Group>>();

/** Counters for tests and the benchmarks. */
const counters = { lists: 0, servedByList: 0, ownGets: 0, confirmations: 0, listFallbacks: 0, streamWaits: 0, direct: 0, sizeRequests: 0, streamsEndedAtSize: 0, probesEndedAtPeak: 0 };

/**
 * How long a read that arrives while other reads of its cluster are running waits for more reads to join its batch,
 * at most (ms), while the batch is not yet worth a list. A read that finds no other read of its cluster running
 * does not wait at all (one setImmediate; bench/refresh.ts measures a lone read within 0.1 ms of a plain GET).
 * In a refresh through the provider host, reads reach the provider in bursts of about three, 0.3 ms apart, bursts
 * a few ms apart, and each read spends 5 to 20 ms in the host: 5 ms gathers two or three bursts and is small next
 * to a read's own time (2 ms gave about twice the calls at 50 and 100 databases in the same bench).
 */
export const GATHER_MS = 5;

/**
 * The cost rule: a list of a collection holding `size` objects pays when at least this many reads will share it.
 * From bench/refresh.ts (docs/benchmarks.md "Refresh"): a raw client's list costs as much as about size / 4.5
 * single GETs run at once (3.5 to 4 at 10 databases, 10 to 12 at 50, 20 to 24 at 100, 106 to 122 at 500).
 * Through the provider host, listing whenever two reads run together tied with one GET each in time at 50 and
 * 100 databases all at once (10 to 20 reads running together, within the run-to-run noise of a shared 2-core
 * machine) with a tenth of the calls, lost at 100 databases 8 at a time (20 to 30 % slower) and lost 2 to 4 times
 * over at 500. The rule takes size / 8: lists where they tie or win, one GET each where the engine's default of 8
 * reads at a time cannot fill a list (100 databases and more), and never below 2 (one read alone never lists).
 * An unknown size (no list answered yet for this cluster in this process) is taken as small (10): the first
 * batch of a big cluster may then fetch one list it did not need, after which the size is known.
 */
export function listPaysFrom(size: number | undefined): number {
  return Math.max(2, Math.ceil((size ?? 10) / 8));
}

/**
 * `REDISENTERPRISE_READ_COALESCING`: `auto` (the default, the cost rule above), `off` (one GET per read, as before
 * coalescing existed), or `always` (a list whenever two or more reads run together). For the benchmarks, which
 * compare the three through the provider host, and as an escape hatch; read at each call.
 */
function mode(): "auto" | "off" | "always" {
  const value = process.env.REDISENTERPRISE_READ_COALESCING;
  return value === "off" || value === "always" ? value : "auto";
}

/** The reads a list must serve to pay, in the current mode. */
function threshold(group: Group): number {
  const current = mode();
  return current === "always" ? 2 : current === "off" ? Number.POSITIVE_INFINITY : listPaysFrom(group.stats.lastListSize);
}

/**
 * How many reads a list sent now would serve, estimated: the reads pending, and the reads expected to join it
 * while it is in flight, taken as the reads of this group that arrived during the last window of twice the longer
 * of the last list's and the last single GET's times (reads come in bursts a few ms apart; one such time alone
 * often falls between two bursts and sees none). Never more than the most reads this group has
 * had running at once since it was last idle: the engine runs at most --parallel reads at once, and reads waiting
 * on a list hold their places, so with 8 at a time a list serves 8 reads however fast they come. Arrival times
 * and the peak are statistics like the size.
 */
function expectedServed(group: Group, now: number): number {
  const window = 2 * Math.max(group.stats.lastListMs ?? 0, group.stats.lastOwnGetMs ?? 0, DEFAULT_WINDOW_MS);
  while (group.stats.arrivals.length > 0 && group.stats.arrivals[0]! < now - window) group.stats.arrivals.shift();
  return Math.min(group.pending.length + group.stats.arrivals.length, group.stats.peakRunning);
}

/** The estimate's window before anything was timed for the group (ms): about one read's time in the host. */
const DEFAULT_WINDOW_MS = 10;

/**
 * How long a group must have had no read running before its peak is forgotten (ms). Within one refresh the reads
 * of a cluster can all finish together (a list answers them all at once) a few milliseconds before the next ones
 * arrive; that is the same refresh, and its peak still bounds what a list can serve.
 */
export const PEAK_IDLE_RESET_MS = 1000;

/**
 * A stream of reads is rising while each new read makes more reads of the group run at once than ever before (since
 * the last idle period) and came less than this long after the previous rise (ms). Measured through the provider
 * host, 500 reads sent at once and gathered here: 0.4 to 0.5 ms apart at the median, gaps of up to 13 ms in a warm
 * host, 22 ms at the 99th percentile and up to 78 ms in a cold one (its first refresh: JIT and GC); a gap longer
 * than this only splits the stream into two lists, while every stream ends with one such wait (unless as many
 * reads as the cluster has objects have come). With 8 reads at a time the count stops rising at 8: the first 8 of
 * a refresh wait this long once, then the probes (STREAM_PROBES), and no read after them.
 */
export const STREAM_GAP_MS = 20;

/**
 * The gap a stream survives grows by this much per read already gathered (ms), up to MAX_STREAM_GAP_MS: a stream
 * that has gathered many reads is a refresh sent all at once, and a pause of the host (a major GC, or the machine
 * busy with other work: with a test suite running beside it, refreshes of 500 databases broke into 355 to 416
 * calls at a fixed 20 ms) should not send them one GET each. The first 8 of a refresh 8 at a time wait 28 ms once.
 */
export const STREAM_GAP_PER_READ_MS = 1;
export const MAX_STREAM_GAP_MS = 200;

/** The longest gap since the last rise that still counts as the same stream, for a batch of `gathered` reads. */
export function streamGapMs(gathered: number): number {
  return Math.min(MAX_STREAM_GAP_MS, STREAM_GAP_MS + gathered * STREAM_GAP_PER_READ_MS);
}

/**
 * The longest a read waits for a rising stream of reads to end (ms): a bound on the latency it adds to any read.
 * A refresh of 500 databases all at once reaches the provider in about 1 s through the host (bench/refresh.ts); a
 * longer stream is served by a list per 2 s, each sent when the cost rule says it pays.
 */
export const MAX_STREAM_GATHER_MS = 2000;

/**
 * Whether a gathering batch should wait for more reads of a stream still rising: the last rise was recent, the batch
 * has not waited too long, and fewer reads have arrived since the group was idle than the collection has objects
 * (a refresh reads each object once: when as many have come, no other read of it is coming).
 */
function streaming(group: Group, now: number, started: number): boolean {
  const { stats } = group;
  const gap = streamGapMs(group.pending.length);
  return (
    mode() !== "off" &&
    (now - stats.lastRiseAt < gap || (stats.probing && now - stats.lastArrivalAt < probeGapMs(group, gap))) &&
    now - started < MAX_STREAM_GATHER_MS &&
    stats.arrivalsSinceIdle < (stats.lastListSize ?? Number.POSITIVE_INFINITY)
  );
}

/**
 * Probes per refresh (per idle period): after a batch that waited for a stream went out as one GET each (the stream
 * paused before enough reads gathered for a list), the next reads gather again while they keep arriving, to tell a
 * paused stream from an engine that runs only so many reads at once. A paused stream soon runs more reads than
 * before (a rise), and its reads go on gathering for one list; a capped engine's do not, and the probe ends at the
 * gap. Measured with a test suite running beside it: 1 call in 3 of 4 refreshes of 500 without probes.
 */
export const STREAM_PROBES = 2;

/**
 * How long a probe waits for the next read when it holds every read running and as many as ever ran at once (ms).
 * Then only a rise can follow: an engine that runs that many at a time sends nothing more until one is answered,
 * while a stream that resumed after its pause is flowing again (reads 0.4 to 0.5 ms apart through the host) and soon
 * runs more reads than ever. Waiting the whole gap there cost a refresh 8 at a time two waits of about 28 ms for
 * nothing: 303 and 305 ms at 100 databases against 245 and 250 without probes, 269 and 268 with this gap (A/B of 10
 * refreshes in one host, not committed). 5 ms measured 260 and 238, but under heavy load (4 busy loops beside a new
 * host) one refresh of 500 in 18 then broke into 412 calls; at 10 ms, 3 in 18 broke into 29 to 55 calls, as with the
 * whole gap (33 to 69).
 */
export const PROBE_AT_PEAK_GAP_MS = 10;

/** Whether the batch holds every read running, and as many as have ever run at once: only a rise can follow. */
function holdsEveryReadAtPeak(group: Group): boolean {
  return group.pending.length >= group.running && group.running >= group.stats.peakRunning;
}

/** The gap a probe survives: PROBE_AT_PEAK_GAP_MS once it holds every read running at the peak, else the stream's. */
function probeGapMs(group: Group, gap: number): number {
  return holdsEveryReadAtPeak(group) ? Math.min(gap, PROBE_AT_PEAK_GAP_MS) : gap;
}

/** Counts why a batch that waited for a stream stopped waiting, when the reason is one the counters name. */
function countStreamEnd(group: Group): void {
  const { stats } = group;
  if (stats.arrivalsSinceIdle >= (stats.lastListSize ?? Number.POSITIVE_INFINITY)) counters.streamsEndedAtSize += 1;
  if (stats.probing && holdsEveryReadAtPeak(group)) counters.probesEndedAtPeak += 1;
}

/** After a batch that waited for a stream was sent: arm a probe when it went one GET each and probes are left. */
function afterStreamBatch(group: Group, sent: ReturnType<typeof flush>): void {
  const { stats } = group;
  stats.probing = sent === "own" && stats.probesLeft > 0;
  if (stats.probing) stats.probesLeft -= 1;
}

/** Arrival times kept per group, at most (the estimate needs no more than the largest threshold). */
const MAX_ARRIVALS = 1024;

function groupOf(client: RsClient, collection: string, query: ReadQuery | undefined): Group {
  // Reads asking for other fields are other groups: a list answers only the fields it was asked for.
  const { dispatcher, key } = client.shareScope(query === undefined ? collection : `${collection}?${new URLSearchParams(query).toString()}`);
  let byKey = groups.get(dispatcher);
  if (byKey === undefined) {
    byKey = new Map();
    groups.set(dispatcher, byKey);
  }
  let group = byKey.get(key);
  if (group === undefined) {
    let stats = statsByKey.get(key);
    if (stats === undefined) {
      stats = { lastListSize: undefined, lastListMs: undefined, lastOwnGetMs: undefined, arrivals: [], peakRunning: 0, idleSince: 0, lastRiseAt: Number.NEGATIVE_INFINITY, arrivalsSinceIdle: 0, lastArrivalAt: Number.NEGATIVE_INFINITY, probing: false, probesLeft: STREAM_PROBES, sizeRequested: false };
      statsByKey.set(key, stats);
      if (statsByKey.size > MAX_STATS) statsByKey.delete(statsByKey.keys().next().value!);
    }
    group = { pending: [], flushScheduled: false, list: undefined, running: 0, stats, query };
    byKey.set(key, group);
  }
  return group;
}

/** A uid as the list names it: a positive decimal integer with no leading zero; anything else reads by itself. */
const CANONICAL_UID = /^[1-9][0-9]{0,15}$/;

/** What a coalesced read gives: 200 and the object, or 404 and the error answer of the object's own GET. */
export type CoalescedAnswer<T> = { status: 200; body: T } | { status: 404; body: unknown };

/**
 * The object `collection/uid` (e.g. "/v1/bdbs", "3"): `{ status: 200, body }`, or `{ status: 404, body }` with the
 * error answer when the object's own GET answers 404 (a list is never taken for absence). Reads of
 * the same cluster running at the same time may share one `GET collection` (see the top of this file); the object
 * is the list's element for that uid, which for the bdbs is the same object `GET /v1/bdbs/{uid}` gives
 * (test/provider/database-coalesce.test.ts holds that on the emulator, and the real list and single answers in
 * /work/shared/fixtures/rs-real, bdbs_list.json and bdb_single.json, hold the same keys and values).
 */
export function coalescedRead<T>(client: RsClient, collection: string, uid: string, query?: ReadQuery): Promise<CoalescedAnswer<T>> {
  if (!CANONICAL_UID.test(uid) || mode() === "off") return ownGet<T>(client, collection, uid, query);
  const group = groupOf(client, collection, query);
  if (group.running === 0 && performance.now() - group.stats.idleSince > PEAK_IDLE_RESET_MS) {
    group.stats.peakRunning = 0;
    group.stats.arrivalsSinceIdle = 0;
    group.stats.probing = false;
    group.stats.probesLeft = STREAM_PROBES;
  }
  group.running += 1;
  group.stats.arrivalsSinceIdle += 1;
  group.stats.lastArrivalAt = performance.now();
  if (group.running > group.stats.peakRunning) {
    group.stats.peakRunning = group.running;
    group.stats.lastRiseAt = performance.now();
  }
  const done = () => {
    group.running -= 1;
    if (group.running === 0) group.stats.idleSince = performance.now();
  };
  return new Promise<CoalescedAnswer<T>>((resolve, reject) => {
    const waiter: Waiter = {
      uid,
      client,
      resolve: (value) => {
        done();
        resolve(value as CoalescedAnswer<T>);
      },
      reject: (error) => {
        done();
        reject(error);
      },
    };
    group.stats.arrivals.push(performance.now());
    if (group.stats.arrivals.length > MAX_ARRIVALS) group.stats.arrivals.shift();
    if (group.list !== undefined && group.list.generation === currentWriteGeneration()) {
      group.list.waiters.push(waiter);
      return;
    }
    if (noListCanPay(group)) {
      counters.direct += 1;
      serveByOwnGet(waiter, collection, group);
      return;
    }
    group.pending.push(waiter);
    schedule(group, collection);
  });
}

/** Whether no list can pay however long reads wait: fewer reads have ever run at once than a list needs. */
function listCannotPay(group: Group): boolean {
  return group.stats.peakRunning < threshold(group);
}

/**
 * Whether a read arriving now among others can go as its own GET without being gathered: what schedule()'s check
 * would decide one event-loop turn later, decided now. No list can pay (8 at a time on a cluster of 500), no
 * stream or probe is gathering (streaming(), as the check asks it), and no batch is pending. That is the steady
 * state of a refresh at the engine's default parallelism, where gathering would only cost each read an event-loop
 * turn (bench/refresh.ts: about 0.1 ms a read in the bench process, more in a busy host). A read alone still goes
 * through schedule(): reads that arrive in the same turn may join it.
 */
function noListCanPay(group: Group): boolean {
  const now = performance.now();
  return group.running > 1 && !group.flushScheduled && group.pending.length === 0 && listCannotPay(group) && !streaming(group, now, now);
}

function schedule(group: Group, collection: string): void {
  if (group.flushScheduled) return;
  group.flushScheduled = true;
  const started = performance.now();
  let waitedForStream = false;
  const check = () => {
    // A lone read goes at once. Reads still arriving in a rising stream (every read of a refresh sent at once, each
    // reaching the provider after the host's own work on it) wait for the rest of the stream, so that one list
    // serves them all instead of a GET each. Otherwise reads among others wait (bounded) while the batch is not
    // worth a list yet, but only while a list could still pay: when fewer reads have ever run at once than the list
    // needs (8 at a time on a cluster of 500), waiting would only delay their own GETs.
    const now = performance.now();
    const alone = group.running === 1;
    if (!alone && streaming(group, now, started)) {
      if (!waitedForStream) counters.streamWaits += 1;
      if (group.running >= SIZE_REQUEST_FROM) requestSize(group, collection);
      waitedForStream = true;
      setTimeout(check, 0.5);
      return;
    }
    if (!alone && sizeOnTheWay(group) && now - started < MAX_STREAM_GATHER_MS) {
      setTimeout(check, 0.5);
      return;
    }
    if (alone || listCannotPay(group) || expectedServed(group, now) >= threshold(group) || now - started >= GATHER_MS) {
      group.flushScheduled = false;
      if (waitedForStream) countStreamEnd(group);
      const sent = flush(group, collection);
      if (waitedForStream) afterStreamBatch(group, sent);
    } else {
      setTimeout(check, 0.5);
    }
  };
  setImmediate(check);
}

/**
 * Whether the collection's size was asked and is not known yet: a batch then waits for it (one small request, sent
 * without retries) rather than price a list by a guess. Through the real engine (bench/refresh-cli.ts), the first
 * 8 or 9 reads of a refresh sent all at once reach a new host, then nothing for longer than the stream's gap: taken
 * as a small cluster, those 8 fetched a whole list of 500 databases for themselves, before the size came back.
 */
function sizeOnTheWay(group: Group): boolean {
  return group.stats.sizeRequested && group.stats.lastListSize === undefined;
}

/**
 * The reads a stream must have running (those it gathered, and the first, often sent alone before the others came)
 * before the collection's size is asked (requestSize): the engine's default --parallel on a 2-core machine, so that
 * the first reads of a refresh 8 at a time learn whether a list can pay. Counting only the gathered ones, a refresh
 * 8 at a time whose first read went alone gathered 7, never asked, and listed 500 databases for those 7
 * (bench/refresh-cli.ts, through the real engine).
 */
export const SIZE_REQUEST_FROM = 8;

/**
 * Asks the cluster how many objects the collection holds when a stream starts and this process does not know yet
 * (the first refresh of every provider host, since a real `pulumi refresh` starts a new one): `GET collection
 * ?fields=uid`, a few bytes per object. With the size known, a stream of reads of every object ends when the last
 * one arrives instead of at the gap (up to MAX_STREAM_GAP_MS after it), and the cost rule prices the list by the
 * real size (the first 8 reads of a refresh 8 at a time on a big cluster no longer fetch a whole list for
 * themselves). A statistic like the sizes lists give, never an answer to a read; one request at a time, none once
 * the size is known, and a failed one changes nothing (the reads carry their own errors; the next stream asks
 * again). Only for a stream of
 * SIZE_REQUEST_FROM reads or more: a shorter one ends at a gap of under 30 ms anyway and is not worth a call.
 */
function requestSize(group: Group, collection: string): void {
  const { stats } = group;
  const client = group.pending[0]?.client;
  if (stats.lastListSize !== undefined || stats.sizeRequested || client === undefined) return;
  stats.sizeRequested = true;
  counters.sizeRequests += 1;
  client.request<unknown>("GET", collection, { retry: false, query: { fields: "uid" } }).then(
    (answer) => {
      stats.sizeRequested = false;
      if (Array.isArray(answer.body) && stats.lastListSize === undefined) stats.lastListSize = answer.body.length;
    },
    () => {
      stats.sizeRequested = false;
    },
  );
}

/** Sends the gathered reads: joined to a list in flight, as a new list, or one GET each (the answer says which). */
function flush(group: Group, collection: string): "joined" | "list" | "own" | "none" {
  if (group.pending.length === 0) return "none";
  // A read with no other read of its cluster running is sent as its own GET: nothing would share a list.
  const alone = group.running === 1;
  const listPays = expectedServed(group, performance.now()) >= threshold(group);
  const waiters = group.pending.splice(0);
  if (group.list !== undefined && group.list.generation === currentWriteGeneration()) {
    // A list went out while these gathered (another batch's): they join it.
    group.list.waiters.push(...waiters);
    return "joined";
  }
  if (!listPays || alone) {
    for (const waiter of waiters) serveByOwnGet(waiter, collection, group);
    return "own";
  }
  const list: ListInFlight = { generation: currentWriteGeneration(), waiters };
  group.list = list;
  counters.lists += 1;
  const sent = performance.now();
  // Sent by the first read's client, once: a failure makes every read fall back to its own GET (with retries).
  waiters[0]!.client.request<unknown>("GET", collection, { retry: false, ...(group.query === undefined ? {} : { query: group.query }) }).then(
    (answer) => {
      // Gone before any read sees the answer: nothing outlives the request.
      if (group.list === list) group.list = undefined;
      const body = answer.body;
      if (!Array.isArray(body)) {
        fallBack(list.waiters, collection, group);
        return;
      }
      group.stats.lastListSize = body.length;
      group.stats.lastListMs = performance.now() - sent;
      const byUid = new Map<string, unknown>();
      for (const item of body) {
        if (item !== null && typeof item === "object" && "uid" in item) byUid.set(String((item as { uid: unknown }).uid), item);
      }
      const given = new Set<string>();
      for (const waiter of list.waiters) {
        const item = byUid.get(waiter.uid);
        if (item === undefined) {
          // Not in the list: not gone on the list's word; its own GET says (404 = gone).
          counters.confirmations += 1;
          serveByOwnGet(waiter, collection, group);
          continue;
        }
        counters.servedByList += 1;
        // Each read gets its own object: a second read of the same uid gets a copy.
        waiter.resolve({ status: 200, body: given.has(waiter.uid) ? structuredClone(item) : item });
        given.add(waiter.uid);
      }
    },
    (error: unknown) => {
      if (group.list === list) group.list = undefined;
      if ((isRsApiError(error) && error.status === 401) || isRsTlsError(error)) {
        for (const waiter of list.waiters) waiter.reject(error);
        return;
      }
      fallBack(list.waiters, collection, group);
    },
  );
  return "list";
}

function fallBack(waiters: Waiter[], collection: string, group: Group): void {
  counters.listFallbacks += 1;
  for (const waiter of waiters) serveByOwnGet(waiter, collection, group);
}

function serveByOwnGet(waiter: Waiter, collection: string, group: Group): void {
  const sent = performance.now();
  ownGet(waiter.client, collection, waiter.uid, group.query).then((value) => {
    group.stats.lastOwnGetMs = performance.now() - sent;
    waiter.resolve(value);
  }, waiter.reject);
}

async function ownGet<T>(client: RsClient, collection: string, uid: string, query: ReadQuery | undefined): Promise<CoalescedAnswer<T>> {
  counters.ownGets += 1;
  const answer = await client.request<T>("GET", `${collection}/${encodeURIComponent(uid)}`, { acceptStatuses: [404], ...(query === undefined ? {} : { query }) });
  return answer.status === 404 ? { status: 404, body: answer.body } : { status: 200, body: answer.body as T };
}

/** What the coalescer did since the process started (for tests and the benchmarks). */
export function coalescingCounters(): { lists: number; servedByList: number; ownGets: number; confirmations: number; listFallbacks: number; streamWaits: number; direct: number; sizeRequests: number; streamsEndedAtSize: number; probesEndedAtPeak: number } {
  return { ...counters };
}
