// Generated hostile input (issue 10): fast-check, fixed seed, a bounded number of requests, against an emulator
// running as its own process (rs-emulator --json), so that a crash would show as an exit. Every writing route
// gets malformed JSON, wrong types, unknown fields, deep nesting, huge numbers, odd unicode and path tricks.
// Each answer must be a success or a documented error status with the JSON error body, never a 500; after
// every refusal the state dump must be unchanged; the process must never exit. The counts printed at the end
// are the ones docs/emulator.md reports.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import fc from "fast-check";
import { TestClient, waitActive, type ApiResponse } from "./support/client";

const CLI = resolve(__dirname, "../../emulator/cli.js");
const SEED = 20261202;
const NUM_RUNS = 400;
/** Error statuses the emulator documents (docs/emulator.md); 500 is never an acceptable answer to input. */
const DOCUMENTED_ERRORS = new Set([400, 401, 403, 404, 405, 406, 409, 413, 503]);
const GiB = 1073741824;

/** Every route that writes, with a path maker for those that take a parameter. */
interface WriteRoute {
  method: string;
  path: (param: string) => string;
  /** Whether the path has a parameter that path tricks should replace. */
  param: boolean;
  /** Admin routes take no credentials. */
  admin?: boolean;
}

const ROUTES: readonly WriteRoute[] = [
  { method: "POST", path: () => "/v1/bdbs", param: false },
  { method: "POST", path: () => "/v2/bdbs", param: false },
  { method: "PUT", path: (p) => `/v1/bdbs/${p}`, param: true },
  { method: "DELETE", path: (p) => `/v1/bdbs/${p}`, param: true },
  { method: "PUT", path: () => "/v1/cluster", param: false },
  { method: "PUT", path: () => "/v1/cluster/policy", param: false },
  { method: "PUT", path: () => "/v1/job_scheduler", param: false },
  { method: "PUT", path: (p) => `/v1/nodes/${p}`, param: true },
  { method: "POST", path: () => "/v1/cluster/certificates/rotate", param: false },
  { method: "PUT", path: () => "/v1/cluster/certificates", param: false },
  { method: "PUT", path: () => "/v1/cluster/update_cert", param: false },
  { method: "DELETE", path: (p) => `/v1/cluster/certificates/${p}`, param: true },
  { method: "POST", path: (p) => `/v1/bootstrap/${p}`, param: true },
  { method: "POST", path: (p) => `/v1/bootstrap/validate/${p}`, param: true },
  { method: "PATCH", path: (p) => `/__emulator/objects/bdbs/${p}`, param: true, admin: true },
  { method: "PATCH", path: () => "/__emulator/objects/cluster", param: false, admin: true },
  { method: "POST", path: () => "/__emulator/clock/advance", param: false, admin: true },
  { method: "POST", path: () => "/__emulator/faults", param: false, admin: true },
  { method: "PUT", path: (p) => `/__emulator/nodes/${p}`, param: true, admin: true },
  { method: "POST", path: () => "/__emulator/users", param: false, admin: true },
];

/** The path parameter a sane client would send for each parameterised route. */
const SANE_PARAM: Readonly<Record<string, string>> = {
  "/v1/bdbs/": "1",
  "/v1/nodes/": "1",
  "/v1/cluster/certificates/": "ldap_client",
  "/v1/bootstrap/": "create_cluster",
  "/v1/bootstrap/validate/": "create_cluster",
  "/__emulator/objects/bdbs/": "1",
  "/__emulator/nodes/": "1",
};

const FIELD_NAMES = [
  "name", "memory_size", "uid", "port", "replication", "sharding", "shards_count", "shard_key_regex", "tags", "module_list", "acl",
  "email_alerts", "alert_settings", "logrotate_settings", "reserved_ports", "data_internode_encryption", "default_shards_placement",
  "cert_rotation_job_settings", "rack_id", "addr", "certificates", "certificate", "key", "days", "seconds", "path", "status",
  "software_version", "username", "password", "role", "cluster", "credentials", "bdb",
];

const ODD_STRINGS = [
  "\u0000", "\ud800", "\udfff", "\u202e", "\ufeff", "💥", "é\u0301", "__proto__", "constructor", "toString", "../../etc/passwd", "%00",
  "a".repeat(300), "\n\r\t", "null", "1e400", "-0", "\"", "\\",
];
const HUGE_NUMBERS = ["9007199254740992", "9007199254740993", "1e300", "-1e300", "1e400", "-0", "1.7976931348623157e308", "5e-324", "123456789012345678901234567890"];
const PATH_TRICKS = [
  "..%2F..%2Fcluster", "%2e%2e", "%00", "1%2F2", "1e3", "0x1", "-1", "0", "9007199254740993", "%E0%A4%A", "constructor", "__proto__",
  "toString", "%F0%9F%92%A5", "1;2", "1%20", "%25", "1.5", "",
];

type Category = "malformed-json" | "wrong-type" | "unknown-field" | "deep-nesting" | "huge-number" | "odd-unicode" | "path-trick" | "no-content-type";

interface Generated {
  category: Category;
  route: number;
  param: string;
  /** The body text sent (undefined: no body). */
  text?: string;
  contentType?: string | null;
}

/** fast-check prints a counterexample with this: the route and the start of the body, not 10 KB of brackets. */
function describeGenerated(generated: Generated): string {
  const route = ROUTES[generated.route]!;
  const text = generated.text === undefined ? "(no body)" : `${generated.text.slice(0, 120)}${generated.text.length > 120 ? `... (${generated.text.length} chars)` : ""}`;
  return `${generated.category}: ${route.method} ${route.path(generated.param)} ${text}`;
}

const jsonText = (value: unknown): string => JSON.stringify(value);

function printable(generated: Generated): Generated {
  Object.defineProperty(generated, fc.toStringMethod, { value: () => describeGenerated(generated), enumerable: false });
  return generated;
}

function nested(depth: number, open: string, close: string): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** One generated request of each category, on a random writing route. */
function request(): fc.Arbitrary<Generated> {
  const route = fc.nat(ROUTES.length - 1);
  const field = fc.constantFrom(...FIELD_NAMES);
  const odd = fc.constantFrom(...ODD_STRINGS);
  const sane = (r: number): string => SANE_PARAM[ROUTES[r]!.path("")] ?? "";
  const base = (category: Category, text: fc.Arbitrary<string | undefined>, contentType?: string | null): fc.Arbitrary<Generated> =>
    fc.tuple(route, text).map(([r, t]) => {
      const generated: Generated = { category, route: r, param: sane(r) };
      if (t !== undefined) generated.text = t;
      if (contentType !== undefined) generated.contentType = contentType;
      return printable(generated);
    });
  return fc.oneof(
    base("malformed-json", fc.constantFrom('{"name":', "{'a':1}", "{,}", "[1,]", "nul", '{"a":1}}', "\u0000", '{"a":"\\x"}', "{\"a\":01}", "")),
    base(
      "wrong-type",
      fc.tuple(field, fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true }), fc.string(), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 2 })))
        .map(([k, v]) => jsonText({ [k]: v })),
    ),
    base("unknown-field", fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => jsonText({ name: "gen", memory_size: GiB, [k]: v }))),
    base(
      "deep-nesting",
      fc.tuple(field, fc.integer({ min: 33, max: 5000 }), fc.boolean()).map(([k, d, arrays]) => `{"${k}":${arrays ? nested(d, "[", "]") : `${'{"a":'.repeat(d)}1${"}".repeat(d)}`}}`),
    ),
    base("huge-number", fc.tuple(field, fc.constantFrom(...HUGE_NUMBERS)).map(([k, n]) => `{"${k}":${n},"name":"big","memory_size":${n}}`)),
    base("odd-unicode", fc.tuple(field, odd, odd).map(([k, v, key]) => jsonText({ [k]: v, [key]: v, name: v }))),
    fc.tuple(fc.constantFrom(...ROUTES.map((r, i) => [r, i] as const).filter(([r]) => r.param).map(([, i]) => i)), fc.constantFrom(...PATH_TRICKS), fc.jsonValue({ maxDepth: 2 }))
      .map(([r, p, v]): Generated => printable({ category: "path-trick", route: r, param: p, text: jsonText(v) })),
    base("no-content-type", fc.constant('{"name":"typed","memory_size":1}'), null),
  );
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  api: TestClient;
  admin: TestClient;
  stderr: () => string;
}

async function startEmulatorProcess(): Promise<Started> {
  const child = spawn(
    process.execPath,
    [CLI, "--json", "--nodes", "1", "--https-port", "0", "--http-port", "-1", "--key-bits", "1024", "--op-delay-ms", "5", "--password", "Gen-Pass-1"],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const line = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", done);
    child.once("exit", (code) => fail(new Error(`rs-emulator exited with ${String(code)} before printing its JSON line: ${stderr}`)));
  });
  const info = JSON.parse(line) as { nodes: Array<{ url: string }>; username: string; password: string; caCertPath: string };
  const ca = readFileSync(info.caCertPath, "utf8");
  const api = new TestClient(info.nodes[0]!.url, ca, { username: info.username, password: info.password });
  const admin = new TestClient(info.nodes[0]!.url, ca, undefined);
  return { child, api, admin, stderr: () => stderr };
}

function isDocumentedError(response: ApiResponse): boolean {
  if (!DOCUMENTED_ERRORS.has(response.status)) return false;
  if (response.headers["content-type"] !== "application/json") return false;
  const body = response.body;
  if (typeof body !== "object" || body === null) return false;
  // The bootstrap validation error has its own documented shape.
  if (typeof body.bootstrap_status === "object" && body.bootstrap_status !== null) return typeof body.bootstrap_status.error_code === "string";
  return typeof body.error_code === "string" && typeof body.description === "string";
}

describe("emulator: generated hostile input against the rs-emulator process (fast-check)", function () {
  this.timeout(180_000);
  let started: Started | undefined;

  before(async function () {
    started = await startEmulatorProcess();
  });
  after(async function () {
    if (!started) return;
    await started.api.close();
    await started.admin.close();
    if (started.child.exitCode === null) {
      const exited = new Promise((done) => started!.child.once("exit", done));
      started.child.kill("SIGTERM");
      await exited;
    }
  });

  /** The state dump without what moves by itself: the clock and each node's uptime. */
  async function dump(): Promise<string> {
    const response = await started!.admin.get("/__emulator/state");
    assert.equal(response.status, 200, response.text);
    const { clock: _clock, ...rest } = response.body;
    void _clock;
    for (const node of rest.nodes as Array<{ object: Record<string, unknown> }>) delete node.object.uptime;
    return JSON.stringify(rest);
  }

  /** The first place two dumps differ, for the failure message. */
  function firstDifference(a: string, b: string): string {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i += 1;
    return `at ${i}: before ...${a.slice(Math.max(0, i - 80), i + 80)}... after ...${b.slice(Math.max(0, i - 80), i + 80)}...`;
  }

  /** Back to one active database (uid 1), the baseline every generated request starts from. */
  async function baseline(): Promise<void> {
    assert.equal((await started!.admin.post("/__emulator/reset")).status, 200);
    const created = await started!.api.post("/v1/bdbs", { name: "baseline", memory_size: GiB });
    assert.equal(created.status, 200, created.text);
    await waitActive(started!.api, 1);
  }

  it(`${NUM_RUNS} generated requests: documented errors or success, state unchanged after each refusal, no exit`, async function () {
    const { api, admin, child } = started!;
    const counts: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    let refusals = 0;
    let successes = 0;
    await baseline();
    await fc.assert(
      fc.asyncProperty(request(), async (generated) => {
        const route = ROUTES[generated.route]!;
        const client = route.admin ? admin : api;
        const before = await dump();
        const options: Parameters<TestClient["request"]>[2] = {};
        if (generated.text !== undefined) options.rawBody = generated.text;
        if (generated.contentType !== undefined) options.contentType = generated.contentType;
        const response = await client.request(route.method, route.path(generated.param), options);
        counts[generated.category] = (counts[generated.category] ?? 0) + 1;
        statuses[String(response.status)] = (statuses[String(response.status)] ?? 0) + 1;
        const what = `${route.method} ${route.path(generated.param)} ${generated.text?.slice(0, 200) ?? ""} -> ${response.status} ${response.text.slice(0, 300)}`;
        assert.equal(child.exitCode, null, `the emulator exited after ${what}`);
        if (response.status >= 200 && response.status < 300) {
          successes += 1;
          if (response.text !== "") assert.doesNotThrow(() => JSON.parse(response.text), what);
          await baseline();
          return;
        }
        refusals += 1;
        assert.ok(isDocumentedError(response), `not a documented error: ${what}`);
        const after = await dump();
        assert.ok(after === before, `the state changed after a refusal: ${what}; ${firstDifference(before, after)}`);
      }),
      { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true },
    );
    assert.equal(child.exitCode, null, "the emulator process is still running");
    assert.equal((await api.get("/v1/cluster")).status, 200, "and still answers");
    assert.doesNotMatch(started!.stderr(), /failed to handle|request handling failed|cannot serialise/, "no internal error was logged");
    const sortedStatuses = Object.fromEntries(Object.entries(statuses).sort(([a], [b]) => Number(a) - Number(b)));
    console.log(`    generated requests: ${JSON.stringify(counts)}; statuses: ${JSON.stringify(sortedStatuses)}; refusals ${refusals}, successes ${successes}`);
    assert.equal(refusals + successes, NUM_RUNS);
  });
});
