// Coalesced reads by uid (provider/rest/coalesce.ts) against a local server whose answers the test controls:
// reads running together share one list; a lone read sends its own GET; a uid missing from the list is confirmed
// by its own GET; a failed list falls back to one GET each; a 401 fails them all at once; a read after a write of
// this process never joins a list sent before it; credentials are never shared nor kept in clear.
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { PEAK_IDLE_RESET_MS, RsClient, SIZE_REQUEST_FROM, STREAM_GAP_MS, STREAM_PROBES, coalescedRead, coalescingCounters, isRsApiError, listPaysFrom } from "../../provider/rest";
import { quietly, sendJson, startServer, type RecordedRequest, type TestServer } from "./support/servers";
import { DISTINCTIVE_PASSWORD, USERNAME, assertNoSecrets, basicToken } from "./support/secrets";

type Bdb = { uid: number; name: string; memory_size: number };

const bdb = (uid: number, memory = 100): Bdb => ({ uid, name: `db-${uid}`, memory_size: memory });

/** The object, or undefined for a 404, as the Database's read takes it. */
const read = (client: RsClient, uid: string): Promise<Bdb | undefined> =>
  coalescedRead<Bdb>(client, "/v1/bdbs", uid).then((answer) => (answer.status === 404 ? undefined : answer.body));

const isList = (request: RecordedRequest) => request.method === "GET" && request.url === "/v1/bdbs";
const isSizeRequest = (request: RecordedRequest) => request.method === "GET" && request.url === "/v1/bdbs?fields=uid";
const singleUid = (request: RecordedRequest) => /^\/v1\/bdbs\/(\d+)$/.exec(request.url)?.[1];

describe("coalesced reads by uid", () => {
  const servers: TestServer[] = [];
  const clients: RsClient[] = [];
  let previousMode: string | undefined;

  before(() => {
    previousMode = process.env.REDISENTERPRISE_READ_COALESCING;
    delete process.env.REDISENTERPRISE_READ_COALESCING;
  });
  after(() => {
    if (previousMode !== undefined) process.env.REDISENTERPRISE_READ_COALESCING = previousMode;
  });

  function clientFor(server: TestServer, password = DISTINCTIVE_PASSWORD): RsClient {
    const client = quietly(() => new RsClient({ url: server.url, username: USERNAME, password }, { retry: { initialDelayMs: 5, maxDelayMs: 20, deadlineMs: 2000 } }));
    clients.push(client);
    return client;
  }

  /** A server of `uids` (memory per uid from `memory`): list and single GETs, PUT sets memory_size. */
  async function clusterServer(uids: number[], options: { listStatus?: number; listUids?: number[]; holdListMs?: number; holdSingleMs?: number; holdSizeMs?: number } = {}) {
    const memory = new Map(uids.map((uid) => [uid, 100]));
    const server = await startServer(async (request, response: ServerResponse) => {
      if (isSizeRequest(request)) {
        if (options.holdSizeMs) await new Promise((resolve) => setTimeout(resolve, options.holdSizeMs));
        return sendJson(response, 200, [...memory.keys()].map((uid) => ({ uid })));
      }
      if (isList(request)) {
        // The answer is what the cluster held when the request arrived, however late it is sent.
        const snapshot = (options.listUids ?? [...memory.keys()]).filter((uid) => memory.has(uid)).map((uid) => bdb(uid, memory.get(uid)));
        if (options.holdListMs) await new Promise((resolve) => setTimeout(resolve, options.holdListMs));
        if (options.listStatus !== undefined) return sendJson(response, options.listStatus, { error_code: "internal_error", description: "list failed" });
        return sendJson(response, 200, snapshot);
      }
      const text = singleUid(request);
      const uid = Number(text);
      if (request.method === "PUT") {
        memory.set(uid, JSON.parse(request.body).memory_size);
        return sendJson(response, 200, { uid });
      }
      if (options.holdSingleMs) await new Promise((resolve) => setTimeout(resolve, options.holdSingleMs));
      if (text !== String(uid) || !memory.has(uid)) return sendJson(response, 404, { error_code: "db_not_exist", description: `database ${uid} does not exist` });
      return sendJson(response, 200, bdb(uid, memory.get(uid)));
    });
    servers.push(server);
    return server;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it("serves reads running together with one GET /v1/bdbs, each with its own object", async () => {
    const uids = [1, 2, 3, 4, 5, 6];
    assert.ok(uids.length < SIZE_REQUEST_FROM, "fewer reads than ask the collection's size");
    const server = await clusterServer(uids);
    const results = await Promise.all(uids.map((uid) => read(clientFor(server), String(uid))));
    assert.deepEqual(results, uids.map((uid) => bdb(uid)));
    assert.deepEqual(server.requests.map((request) => request.url), ["/v1/bdbs"], "six reads together: one list, nothing else (not even the size)");
  });

  it("sends a lone read as its own GET /v1/bdbs/{uid}, and nothing else", async () => {
    const server = await clusterServer([1, 2, 3]);
    const result = await read(clientFor(server), "2");
    assert.deepEqual(result, bdb(2));
    assert.deepEqual(server.requests.map((request) => request.url), ["/v1/bdbs/2"]);
  });

  it("gives two reads of the same uid separate objects", async () => {
    const server = await clusterServer([1, 2]);
    const [a, b, c] = await Promise.all(["1", "1", "2"].map((uid) => read(clientFor(server), uid)));
    assert.deepEqual(a, b);
    assert.notEqual(a, b, "each read gets its own object");
    assert.deepEqual(c, bdb(2));
  });

  it("does not take a uid missing from the list as gone: its own GET decides (404 = gone)", async () => {
    // uid 3 exists but the list leaves it out (created late, listed late); uid 4 does not exist.
    const server = await clusterServer([1, 2, 3], { listUids: [1, 2] });
    const results = await Promise.all(["1", "2", "3", "4"].map((uid) => read(clientFor(server), uid)));
    assert.deepEqual(results, [bdb(1), bdb(2), bdb(3), undefined]);
    assert.equal(server.requests.filter(isList).length, 1);
    assert.deepEqual(server.requests.map(singleUid).filter(Boolean).sort(), ["3", "4"], "only the missing uids are confirmed one by one");
  });

  it("gives a 404 with the answer of the object's own GET, so the caller can name its error code", async () => {
    const server = await clusterServer([1, 2], { listUids: [1, 2] });
    const [, gone] = await Promise.all(["1", "9"].map((uid) => coalescedRead(clientFor(server), "/v1/bdbs", uid)));
    assert.deepEqual(gone, { status: 404, body: { error_code: "db_not_exist", description: "database 9 does not exist" } });
  });

  it("falls back to one GET per read when the list is answered 500, so one fault fails no read", async () => {
    const uids = [1, 2, 3, 4, 5];
    const server = await clusterServer(uids, { listStatus: 500 });
    const results = await Promise.all(uids.map((uid) => read(clientFor(server), String(uid))));
    assert.deepEqual(results, uids.map((uid) => bdb(uid)));
    assert.equal(server.requests.filter(isList).length, 1, "the list is sent once, not retried");
    assert.deepEqual(server.requests.map(singleUid).filter(Boolean).sort(), ["1", "2", "3", "4", "5"]);
  });

  it("fails every read with the list's 401, which says what to fix, without sending more and without the password", async () => {
    const server = await startServer((_request, response) => sendJson(response, 401, { error_code: "unauthorized", description: "bad credentials" }));
    servers.push(server);
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map((uid) => read(clientFor(server), String(uid))));
    assert.deepEqual(server.requests.map((request) => request.url), ["/v1/bdbs"]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      const error = (outcome as PromiseRejectedResult).reason;
      assert.ok(isRsApiError(error) && error.status === 401);
      assert.match(error.message, /username or password/);
      assertNoSecrets(error, [DISTINCTIVE_PASSWORD, basicToken(USERNAME, DISTINCTIVE_PASSWORD)]);
    }
  });

  it("never serves a read with a list sent before a write this process finished: the read sees the write", async () => {
    const uids = [1, 2, 3, 4];
    // The list's answer is the state when it arrived, sent 300 ms later.
    const server = await clusterServer(uids, { holdListMs: 300 });
    const before = Promise.all(uids.map((uid) => read(clientFor(server), String(uid))));
    for (let i = 0; i < 100 && !server.requests.some(isList); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(server.requests.some(isList), "the list is in flight");
    await clientFor(server).put("/v1/bdbs/2", { memory_size: 200 });
    // Sent while the old list is still in flight: without the write rule it would join it and read 100.
    const afterWrite = await read(clientFor(server), "2");
    assert.equal(afterWrite?.memory_size, 200, "a read after the write sees the write");
    const old = await before;
    assert.equal(old[1]?.memory_size, 100, "the reads pending before the write got the list sent before it (the test is meaningful)");
  });

  it("never shares a list between different credentials, and keeps no credentials in its key", async () => {
    const other = "Other-Password-9917";
    const server = await startServer((request, response) => {
      const auth = String(request.headers.authorization);
      const who = auth.includes(basicToken(USERNAME, other)) ? "other" : "first";
      if (isList(request)) return sendJson(response, 200, [1, 2, 3].map((uid) => ({ ...bdb(uid), name: who })));
      return sendJson(response, 200, { ...bdb(Number(singleUid(request))), name: who });
    });
    servers.push(server);
    const reads = [1, 2, 3].flatMap((uid) => [
      read(clientFor(server), String(uid)).then((value) => ["first", value?.name]),
      read(clientFor(server, other), String(uid)).then((value) => ["other", value?.name]),
    ]);
    for (const [asked, answered] of await Promise.all(reads)) assert.equal(answered, asked, "each read is answered with its own credentials");
    const scope = clientFor(server).shareScope("/v1/bdbs");
    for (const secret of [DISTINCTIVE_PASSWORD, basicToken(USERNAME, DISTINCTIVE_PASSWORD)]) assert.ok(!scope.key.includes(secret));
  });

  it("reads a uid that is not a plain number by itself (the list could not name it)", async () => {
    const server = await clusterServer([1]);
    const results = await Promise.all(["01", "01", "x"].map((uid) => read(clientFor(server), uid)));
    assert.deepEqual(results, [undefined, undefined, undefined]);
    assert.equal(server.requests.filter(isList).length, 0);
  });

  it("keeps nothing once a list settled: the next reads send a new request", async () => {
    const server = await clusterServer([1, 2, 3]);
    await Promise.all([1, 2, 3].map((uid) => read(clientFor(server), String(uid))));
    await Promise.all([1, 2, 3].map((uid) => read(clientFor(server), String(uid))));
    assert.equal(server.requests.filter(isList).length, 2);
  });

  it("prices a list by the size of the collection: it pays from 2 reads when small, far more when large", () => {
    assert.equal(listPaysFrom(undefined), 2);
    assert.equal(listPaysFrom(10), 2);
    assert.equal(listPaysFrom(100), 13);
    assert.equal(listPaysFrom(500), 63);
  });

  /** Learns the cluster's size the way a first refresh does (one list), then lets the coalescer forget the peak. */
  async function knownSizeThenIdle(server: TestServer, uids: number[]): Promise<void> {
    await Promise.all(uids.slice(0, 2).map((uid) => read(clientFor(server), String(uid))));
    assert.equal(server.requests.filter(isList).length, 1, "the first reads list, and so learn the size");
    await new Promise((resolve) => setTimeout(resolve, PEAK_IDLE_RESET_MS + 50));
    server.requests.length = 0;
  }

  /**
   * Reads every uid, `parallel` at a time, each the next as one finishes (as the engine runs a refresh). With
   * `startGapMs`, the engine's slots start that many ms apart (as a new host receives the first reads).
   */
  async function readAtATime(server: TestServer, uids: number[], parallel: number, startGapMs = 0): Promise<void> {
    let next = 0;
    const worker = async (slot: number): Promise<void> => {
      if (startGapMs > 0) await new Promise((resolve) => setTimeout(resolve, slot * startGapMs));
      while (next < uids.length) {
        const uid = uids[next++]!;
        assert.deepEqual(await read(clientFor(server), String(uid)), bdb(uid));
      }
    };
    await Promise.all(Array.from({ length: parallel }, (_, slot) => worker(slot)));
  }

  /** Starts a read of each uid `gapMs` apart, with `pauseMs` instead after the first `pauseAfter`; checks every answer. */
  /** Reads `uids` with a pause after the first `pauseAfter`; gives the longest gap between two reads before the pause (ms). */
  async function readsWithPause(server: TestServer, uids: number[], timing: { pauseAfter: number; pauseMs: number; gapMs: number }): Promise<number> {
    const reads: Array<Promise<Bdb | undefined>> = [];
    let longestGapBeforePause = 0;
    let last = performance.now();
    for (const [index, uid] of uids.entries()) {
      if (index > 0 && index < timing.pauseAfter) longestGapBeforePause = Math.max(longestGapBeforePause, performance.now() - last);
      last = performance.now();
      reads.push(read(clientFor(server), String(uid)));
      await new Promise((resolve) => setTimeout(resolve, index === timing.pauseAfter - 1 ? timing.pauseMs : timing.gapMs));
    }
    assert.deepEqual(await Promise.all(reads), uids.map((uid) => bdb(uid)));
    return longestGapBeforePause;
  }

  it("serves a refresh whose reads arrive one after another (as the provider host hands them over) with one list", async function () {
    this.timeout(20_000);
    // 300 databases: a list pays from 38 reads. Each single GET takes 20 ms, and the reads arrive 2 ms apart, as
    // through the host: no window of a few ms ever holds 38 of them, so only waiting for the stream shares a list.
    const uids = Array.from({ length: 300 }, (_, i) => i + 1);
    const server = await clusterServer(uids, { holdSingleMs: 20 });
    await knownSizeThenIdle(server, uids);
    const waitsBefore = coalescingCounters().streamWaits;
    const reads: Array<Promise<Bdb | undefined>> = [];
    for (const uid of uids) {
      reads.push(read(clientFor(server), String(uid)));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.deepEqual(await Promise.all(reads), uids.map((uid) => bdb(uid)));
    const lists = server.requests.filter(isList).length;
    const singles = server.requests.filter((request) => singleUid(request) !== undefined).length;
    assert.ok(lists >= 1 && lists <= 3, `300 reads arriving over about 600 ms: ${lists} lists (at most 3)`);
    assert.ok(singles <= 5, `${singles} single GETs: only reads alone go by themselves (one GET each sends 300)`);
    assert.ok(coalescingCounters().streamWaits > waitsBefore, "the reads waited for the stream");
  });

  it("keeps one list for a stream that pauses early (a busy host), after sending the reads gathered before the pause", async function () {
    this.timeout(20_000);
    const uids = Array.from({ length: 300 }, (_, i) => i + 1);
    const server = await clusterServer(uids, { holdSingleMs: 20 });
    await knownSizeThenIdle(server, uids);
    // 30 reads, then a pause longer than the stream's gap for 30 gathered reads, then the other 270.
    await readsWithPause(server, uids, { pauseAfter: 30, pauseMs: 150, gapMs: 2 });
    const lists = server.requests.filter(isList).length;
    const singles = server.requests.filter((request) => singleUid(request) !== undefined).length;
    assert.ok(lists >= 1 && lists <= 3, `${lists} lists`);
    assert.ok(singles <= 40, `${singles} single GETs: the 30 before the pause at most, and reads alone (one GET each sends 300)`);
  });

  it("does not wait for a stream when reads come 8 at a time (the engine's default), on a cluster too big to list for 8", async function () {
    this.timeout(20_000);
    const uids = Array.from({ length: 300 }, (_, i) => i + 1);
    const server = await clusterServer(uids, { holdSingleMs: 5 });
    await knownSizeThenIdle(server, uids);
    const { streamWaits: waitsBefore, direct: directBefore, probesEndedAtPeak: atPeakBefore } = coalescingCounters();
    await readAtATime(server, uids.slice(0, 120), 8);
    assert.equal(server.requests.filter(isList).length, 0, "a list of 300 for 8 reads does not pay");
    assert.equal(server.requests.length, 120, "one GET per read");
    // The first 8 rise from nothing and wait once for more, then the probes (STREAM_PROBES) find that no more come;
    // after that nothing waits: 120 reads, 15 batches of 8.
    const waits = coalescingCounters().streamWaits - waitsBefore;
    assert.ok(waits <= 1 + STREAM_PROBES, `${waits} waits for a stream (at most ${1 + STREAM_PROBES})`);
    // A probe ends at the short gap once it holds all 8 reads (nothing else can come but a rise), not the whole stream
    // gap: both probes here when the machine is quiet, at least one when a pause of the test process ends one early.
    const atPeak = coalescingCounters().probesEndedAtPeak - atPeakBefore;
    assert.ok(atPeak >= 1 && atPeak <= STREAM_PROBES, `${atPeak} probes ended holding every read at the peak`);
    // And once no list can pay, a read is sent as it arrives, without an event-loop turn of gathering: every read
    // but those of the first wait and of the probes (and the few replacing them while they still count as rising).
    const direct = coalescingCounters().direct - directBefore;
    assert.ok(direct >= 120 - 8 * (2 + STREAM_PROBES), `${direct} of 120 reads sent as they arrived`);
  });

  it("in a new process, asks the collection's size once when a stream starts, and ends a stream of every object when the last arrives", async function () {
    this.timeout(20_000);
    // No read of this cluster before (a new provider host): the size is unknown until the stream asks it.
    const uids = Array.from({ length: 200 }, (_, i) => i + 1);
    const server = await clusterServer(uids, { holdSingleMs: 20 });
    const before = coalescingCounters();
    const reads: Array<Promise<Bdb | undefined>> = [];
    for (const uid of uids) {
      reads.push(read(clientFor(server), String(uid)));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.deepEqual(await Promise.all(reads), uids.map((uid) => bdb(uid)));
    const after = coalescingCounters();
    assert.equal(server.requests.filter(isSizeRequest).length, 1, "one size request");
    assert.equal(after.sizeRequests - before.sizeRequests, 1);
    assert.ok(server.requests.filter(isList).length <= 2, `${server.requests.filter(isList).length} lists`);
    // Without the size, the stream could only end at its gap (up to 200 ms after the last read).
    assert.ok(after.streamsEndedAtSize > before.streamsEndedAtSize, "the stream ended when all 200 had come");
  });

  it("in a new process, a stream that pauses before its size is known waits for the size: no list of all for its first reads", async function () {
    this.timeout(20_000);
    // What the real engine does (bench/refresh-cli.ts): the first 9 reads of a refresh sent all at once, then a pause
    // longer than the stream's gap, then the rest. The size answer comes after the gap has passed.
    // The scenario needs the 9 to arrive as a stream: when this process stalls between two of them for longer than
    // the stream's gap (a GC pause on a busy CI machine), they are no stream, and the scenario is run again on a
    // cluster this process does not know yet (at most 3 times; the behaviour is asserted only on a run that was one).
    const uids = Array.from({ length: 300 }, (_, i) => i + 1);
    let server: TestServer | undefined;
    for (let attempt = 1; server === undefined; attempt++) {
      const candidate = await clusterServer(uids, { holdSingleMs: 5, holdSizeMs: 80 });
      const longestGap = await readsWithPause(candidate, uids, { pauseAfter: 9, pauseMs: 150, gapMs: 1 });
      if (longestGap < STREAM_GAP_MS) server = candidate;
      else assert.ok(attempt < 3, `the test process stalled ${longestGap.toFixed(0)} ms between two of the first 9 reads in 3 runs: no stream to test`);
    }
    const lists = server.requests.filter(isList).length;
    const singles = server.requests.filter((request) => singleUid(request) !== undefined).length;
    assert.equal(server.requests.filter(isSizeRequest).length, 1, "one size request");
    assert.equal(lists, 1, `${lists} lists of 300: one for the stream after the pause, none for the 9 before it`);
    assert.ok(singles <= 12, `${singles} single GETs: the 9 before the pause, and reads alone`);
  });

  it("in a new process, 8 at a time whose first read went alone still asks the size, and lists nothing for the other 7", async function () {
    this.timeout(20_000);
    // As the real engine hands a refresh 8 at a time to a new host: the first read alone (sent at once), the other
    // seven a few ms later, gathered while the first is still out.
    const uids = Array.from({ length: 300 }, (_, i) => i + 1);
    const server = await clusterServer(uids, { holdSingleMs: 100 });
    await readAtATime(server, uids.slice(0, 40), 8, 2);
    assert.equal(server.requests.filter(isSizeRequest).length, 1, "the size was asked");
    assert.equal(server.requests.filter(isList).length, 0, "no list of 300 for 7 reads");
    assert.equal(server.requests.filter((request) => singleUid(request) !== undefined).length, 40);
  });

  it("in a new process, 8 reads at a time on a cluster too big to list for 8 fetch no list at all (the size says so)", async function () {
    this.timeout(20_000);
    const uids = Array.from({ length: 300 }, (_, i) => i + 1);
    const server = await clusterServer(uids, { holdSingleMs: 5 });
    await readAtATime(server, uids.slice(0, 40), 8);
    assert.equal(server.requests.filter(isList).length, 0, "no list of 300 for 8 reads (before the size request, the first 8 fetched one)");
    assert.equal(server.requests.filter(isSizeRequest).length, 1);
    assert.equal(server.requests.filter((request) => singleUid(request) !== undefined).length, 40);
  });
});
