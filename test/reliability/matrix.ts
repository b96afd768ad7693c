// The fault matrix of issue 11: every fault kind the emulator injects (emulator/faults.ts, and a node taken
// down), against each operation of each REST resource and each sub-request of that operation (the write, the
// lookup by name, the wait's polls, the action polls, the reads around a write). `matrixCells()` generates the
// cells; `runCell()` runs one through the provider objects (as test/reliability/orphans.test.ts does) against
// an emulated cluster and judges it. The InternodeFirewall makes no REST call: its faults are transport
// failures (ssh or netns commands that fail or hang), covered by test/provider/firewall-transport.test.ts.
//
// Every cell must end converged, or with an error that names the operation, the object and the RS error code
// (or, for faults without one, what happened on the connection); the object is always recorded (the
// emulator's databases are compared to the ids the engine would record: no orphan); nothing is duplicated; no
// operation waits past its deadline plus SLACK_MS. After the cell, the faults are cleared and the engine's
// next step is run (the next `up`, or the same call again): it must converge.
import { startCluster, type EmulatedCluster, type FaultRuleInput } from "../../emulator";
import { providers } from "../../provider";
import { provisionalName } from "../../provider/database";
import type { Connection } from "../../provider/rest";
import { tapRequests } from "./tap";

type Props = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// The cells

export type ResourceName = "Database" | "Cluster" | "CertificateRotation";

/** One request an operation makes: the `nth` request (1-based) matching method and path is the one faulted. */
export interface SubRequest {
  name: string;
  method: string;
  /** Regular expression on the URL path (no query string), as the emulator's rules match. */
  path: string;
  nth?: number;
  /** A write the cluster applies (faults "after applying" and failed actions make sense only there). */
  write?: boolean;
  /** The write starts an asynchronous action (a failed action can be injected). */
  action?: boolean;
  /** Documented error codes of this request: [HTTP status, error_code]. */
  codes?: ReadonlyArray<readonly [number, string]>;
}

export interface OperationSpec {
  resource: ResourceName;
  operation: string;
  subRequests: SubRequest[];
  /** Operations without a deadline of their own (read): the client's retry budget bounds them. */
  noDeadline?: boolean;
}

export type FaultKind =
  | "status"
  | "status-after"
  | "latency-before"
  | "latency-after"
  | "drop-before"
  | "drop-after"
  | "busy"
  | "fail-action"
  | "node-down";

export interface FaultSpec {
  kind: FaultKind;
  /** Short name in the cell id and the table. */
  label: string;
  /** The emulator rule (method and path come from the sub-request). */
  rule?: Omit<FaultRuleInput, "method" | "path">;
  /** node-down: how long node 1 stays down from the sub-request on (undefined: until the operation ends). */
  nodeDownMs?: number;
  /** The RS error code an error must name (undefined: a fault without one, such as a dropped connection). */
  code?: string;
  /** The fault ends before the deadline: the operation should converge. */
  transient: boolean;
}

export interface Cell {
  id: string;
  resource: ResourceName;
  operation: string;
  sub: SubRequest;
  fault: FaultSpec;
  noDeadline: boolean;
}

/** Every operation's deadline in the matrix (`timeouts: {create, update, delete}`), so persistent faults end soon. */
export const DEADLINE_MS = 3000;
/**
 * How far past its deadline an operation may end. A request started just before the deadline is limited to
 * 1 s by the client (provider/rest README: an attempt near the deadline); after a failed create the partial
 * failure reads the object once more for the record (one more attempt, also at most 1 s); and 0.5 s covers
 * timers on a loaded 2-core machine.
 */
export const SLACK_MS = 2500;
/** A read has no deadline of its own: the client's retry budget (provider/rest/retry.ts, 120 s) bounds it. */
export const READ_BUDGET_MS = 120_000;
/** Latency within the deadline, and latency past it. */
const SHORT_LATENCY_MS = 800;
const LONG_LATENCY_MS = 5000;

/**
 * The documented error codes of POST /v1/bdbs (rs-rest-api.md §2.2). UNCERTAIN: the docs do not give the HTTP
 * status of each; as the reference advises, 409 for busy and a duplicate uid, 406 (invalid configuration) for
 * the others (the real invalid_version came back 406).
 */
const BDB_POST_CODES: ReadonlyArray<readonly [number, string]> = [
  "uid_exists",
  "missing_db_name",
  "missing_memory_size",
  "missing_module",
  "port_unavailable",
  "invalid_sharding",
  "bad_shards_blueprint",
  "not_rack_aware",
  "invalid_version",
  "busy",
  "invalid_data_persistence",
  "invalid_proxy_policy",
  "invalid_sasl_credentials",
  "invalid_replication",
  "insufficient_resources",
  "rack_awareness_violation",
  "invalid_certificate",
  "certificate_expired",
  "duplicated_certs",
  "replication_violation",
  "eviction_policy_violation",
  "invalid_oss_cluster_configuration",
  "memcached_cannot_use_modules",
  "missing_backup_interval",
  "wrong_cluster_state_id",
  "invalid_bdb_tags",
  "unsupported_module_capabilities",
  "redis_acl_unsupported",
].map((code) => [code === "busy" || code === "uid_exists" ? 409 : 406, code] as const);

/** PUT /v1/bdbs/{uid}: the POST codes plus its own (rs-rest-api.md §2.2), same status choice. */
const BDB_PUT_CODES: ReadonlyArray<readonly [number, string]> = [
  ...BDB_POST_CODES.filter(([, code]) => code !== "uid_exists" && code !== "missing_db_name" && code !== "missing_memory_size"),
  ...["not_supported_action_on_crdt", "name_violation", "replication_node_violation", "replication_size_violation", "crdt_sharding_violation"].map(
    (code) => [406, code] as const,
  ),
];

/** PUT /v1/cluster: codes 400 with these error codes (rs-rest-api.md §3.1). */
const CLUSTER_PUT_CODES: ReadonlyArray<readonly [number, string]> = [
  [400, "bad_nginx_conf"],
  [400, "bad_debuginfo_path"],
  [400, "config_edit_conflict"],
];

/**
 * POST /v1/cluster/certificates/rotate: 400 not all nodes updated, 403 unsupported rotation, 406, 409, 500
 * (rs-rest-api.md §4.4). No error_code is documented for these; the emulator's default code per status is used.
 */
const ROTATE_CODES: ReadonlyArray<readonly [number, string]> = [
  [400, "bad_request"],
  [403, "forbidden"],
  [406, "invalid_configuration"],
  [409, "busy"],
  [500, "internal_error"],
];

const BDBS = "^/v1/bdbs$";
const BDB = "^/v1/bdbs/\\d+$";
const ACTION = "^/v1/actions/(?!bdb/)[^/]+$";
const NODES = "^/v1/nodes$";

export const OPERATIONS: readonly OperationSpec[] = [
  {
    resource: "Database",
    operation: "create",
    subRequests: [
      { name: "gate GET nodes", method: "GET", path: NODES },
      { name: "lookup GET bdbs", method: "GET", path: BDBS },
      { name: "POST bdbs", method: "POST", path: BDBS, write: true, action: true, codes: BDB_POST_CODES },
      { name: "wait GET bdb", method: "GET", path: BDB },
      { name: "action poll", method: "GET", path: ACTION },
    ],
  },
  {
    resource: "Database",
    operation: "update",
    subRequests: [
      { name: "gate GET nodes", method: "GET", path: NODES },
      { name: "PUT bdb", method: "PUT", path: BDB, write: true, action: true, codes: BDB_PUT_CODES },
      { name: "wait GET bdb", method: "GET", path: BDB },
      { name: "action poll", method: "GET", path: ACTION },
    ],
  },
  {
    resource: "Database",
    operation: "delete",
    subRequests: [
      { name: "DELETE bdb", method: "DELETE", path: BDB, write: true, action: true },
      { name: "wait GET bdb", method: "GET", path: BDB },
    ],
  },
  { resource: "Database", operation: "read", noDeadline: true, subRequests: [{ name: "GET bdb", method: "GET", path: BDB }] },
  {
    resource: "Database",
    operation: "adopt",
    subRequests: [
      { name: "find GET bdbs", method: "GET", path: BDBS },
      { name: "GET bdb", method: "GET", path: BDB },
      { name: "gate GET nodes", method: "GET", path: NODES },
      { name: "PUT bdb", method: "PUT", path: BDB, write: true, action: true, codes: BDB_PUT_CODES },
      { name: "wait GET bdb", method: "GET", path: BDB, nth: 2 },
    ],
  },
  {
    resource: "Cluster",
    operation: "settings update",
    subRequests: [
      { name: "probe GET cluster", method: "GET", path: "^/v1/cluster$" },
      { name: "PUT cluster", method: "PUT", path: "^/v1/cluster$", write: true, codes: CLUSTER_PUT_CODES },
      { name: "PUT policy", method: "PUT", path: "^/v1/cluster/policy$", write: true },
      { name: "PUT job_scheduler", method: "PUT", path: "^/v1/job_scheduler$", write: true },
      { name: "re-read GET cluster", method: "GET", path: "^/v1/cluster$", nth: 2 },
      { name: "re-read GET policy", method: "GET", path: "^/v1/cluster/policy$" },
      { name: "re-read GET job_scheduler", method: "GET", path: "^/v1/job_scheduler$" },
      { name: "re-read GET nodes", method: "GET", path: NODES },
      { name: "re-read GET certificates", method: "GET", path: "^/v1/cluster/certificates$" },
    ],
  },
  {
    resource: "Cluster",
    operation: "read",
    noDeadline: true,
    subRequests: [
      { name: "probe GET cluster", method: "GET", path: "^/v1/cluster$" },
      { name: "GET cluster", method: "GET", path: "^/v1/cluster$", nth: 2 },
      { name: "GET policy", method: "GET", path: "^/v1/cluster/policy$" },
      { name: "GET job_scheduler", method: "GET", path: "^/v1/job_scheduler$" },
      { name: "GET nodes", method: "GET", path: NODES },
      { name: "GET certificates", method: "GET", path: "^/v1/cluster/certificates$" },
    ],
  },
  {
    resource: "CertificateRotation",
    operation: "rotate",
    subRequests: [
      { name: "before GET certificates", method: "GET", path: "^/v1/cluster/certificates$" },
      { name: "POST rotate", method: "POST", path: "^/v1/cluster/certificates/rotate$", write: true, codes: ROTATE_CODES },
      { name: "after GET certificates", method: "GET", path: "^/v1/cluster/certificates$", nth: 2 },
    ],
  },
  {
    resource: "CertificateRotation",
    operation: "read",
    noDeadline: true,
    subRequests: [{ name: "GET certificates", method: "GET", path: "^/v1/cluster/certificates$" }],
  },
];

/** Statuses any request can meet, with the emulator's default error codes. */
const GENERIC_STATUSES: ReadonlyArray<readonly [number, string]> = [
  [400, "bad_request"],
  [401, "unauthorized"],
  [403, "forbidden"],
  [404, "not_found"],
  [409, "busy"],
  [500, "internal_error"],
  [502, "bad_gateway"],
  [503, "service_unavailable"],
  [504, "gateway_timeout"],
];
/** Answers the client retries to the deadline (provider/rest/retry.ts); on a read they end after a few. */
const RETRIED_STATUSES = new Set([409, 502, 503, 504]);
/** On a read (no deadline), a persistent fault the client retries would run 120 s: such a fault fires this often. */
const READ_REPEATS = 3;

function faultsFor(op: OperationSpec, sub: SubRequest): FaultSpec[] {
  const faults: FaultSpec[] = [];
  // A persistent fault that the client keeps retrying would make a read (no deadline) wait its whole retry
  // budget; on reads such faults fire READ_REPEATS times and then end (one cell keeps the full budget).
  const persistent = (retried: boolean): Pick<FaultRuleInput, "count"> & { transient: boolean } =>
    op.noDeadline && retried ? { count: READ_REPEATS, transient: true } : { transient: false };
  const documented = new Set((sub.codes ?? []).map(([status, code]) => `${status} ${code}`));
  for (const [status, code] of GENERIC_STATUSES) {
    if (documented.has(`${status} ${code}`)) continue;
    const { transient, ...count } = persistent(RETRIED_STATUSES.has(status));
    faults.push({ kind: "status", label: `${status} ${code}${transient ? ` x${READ_REPEATS}` : ""}`, rule: { status, errorCode: code, ...count }, code, transient });
  }
  for (const [status, code] of sub.codes ?? []) {
    const retried = code === "busy" && sub.method !== "POST" ? true : RETRIED_STATUSES.has(status) && sub.method !== "POST";
    const { transient, ...count } = persistent(retried);
    faults.push({ kind: "status", label: `${status} ${code}`, rule: { status, errorCode: code, ...count }, code, transient });
  }
  faults.push({ kind: "status", label: "500 once", rule: { status: 500, errorCode: "internal_error", count: 1 }, code: "internal_error", transient: true });
  faults.push({ kind: "status", label: "503 twice", rule: { status: 503, errorCode: "service_unavailable", count: 2 }, code: "service_unavailable", transient: true });
  if (sub.write) {
    for (const [status, code] of [[500, "internal_error"], [503, "service_unavailable"], [409, "busy"]] as const) {
      faults.push({ kind: "status-after", label: `${status} ${code} after applying`, rule: { status, errorCode: code, phase: "after", count: 1 }, code, transient: true });
    }
    faults.push({ kind: "status-after", label: "500 after applying, always", rule: { status: 500, errorCode: "internal_error", phase: "after" }, code: "internal_error", transient: false });
  }
  for (const phase of ["before", "after"] as const) {
    if (phase === "after" && !sub.write && sub.method !== "GET") continue;
    faults.push({ kind: `latency-${phase}`, label: `latency ${SHORT_LATENCY_MS} ms ${phase}`, rule: { latencyMs: SHORT_LATENCY_MS, phase, count: 1 }, transient: true });
    faults.push({ kind: `latency-${phase}`, label: `latency ${LONG_LATENCY_MS} ms ${phase} (past the deadline)`, rule: { latencyMs: LONG_LATENCY_MS, phase, count: 1 }, transient: false });
  }
  faults.push({ kind: "drop-before", label: "drop before, once", rule: { drop: true, phase: "before", count: 1 }, transient: true });
  {
    const { transient, ...count } = persistent(true);
    faults.push({ kind: "drop-before", label: `drop before, ${transient ? `x${READ_REPEATS}` : "always"}`, rule: { drop: true, phase: "before", ...count }, transient });
  }
  if (sub.write) {
    faults.push({ kind: "drop-after", label: "drop after applying, once", rule: { drop: true, phase: "after", count: 1 }, transient: true });
    faults.push({ kind: "drop-after", label: "drop after applying, always", rule: { drop: true, phase: "after" }, transient: false });
  }
  faults.push({ kind: "busy", label: "busy window 1 s", rule: { busyMs: 1000 }, code: "busy", transient: true });
  faults.push(
    op.noDeadline
      ? { kind: "busy", label: "busy window 3 s", rule: { busyMs: 3000 }, code: "busy", transient: true }
      : { kind: "busy", label: `busy window ${LONG_LATENCY_MS / 1000} s (past the deadline)`, rule: { busyMs: LONG_LATENCY_MS }, code: "busy", transient: false },
  );
  if (sub.action) faults.push({ kind: "fail-action", label: "failed action", rule: { failAction: true, count: 1 }, transient: false });
  faults.push({ kind: "node-down", label: "node 1 down for 1 s", nodeDownMs: 1000, code: "node_down", transient: true });
  faults.push(
    op.noDeadline
      ? { kind: "node-down", label: "node 1 down for 3 s", nodeDownMs: 3000, code: "node_down", transient: true }
      : { kind: "node-down", label: "node 1 down to the end", code: "node_down", transient: false },
  );
  return faults;
}

/** Every cell of the matrix, in a stable order (the one long cell first). */
export function matrixCells(): Cell[] {
  const cells: Cell[] = [];
  for (const op of OPERATIONS) {
    for (const sub of op.subRequests) {
      for (const fault of faultsFor(op, sub)) {
        cells.push({
          id: `${op.resource} ${op.operation} / ${sub.name} / ${fault.label}`,
          resource: op.resource,
          operation: op.operation,
          sub,
          fault,
          noDeadline: op.noDeadline === true,
        });
      }
    }
  }
  // One read keeps its whole retry budget, to show the bound a read without a deadline has (first: the longest
  // cell, so that the others run beside it).
  const read = OPERATIONS.find((op) => op.resource === "Database" && op.operation === "read")!;
  cells.unshift({
    id: "Database read / GET bdb / 503 service_unavailable, always (the client's retry budget)",
    resource: "Database",
    operation: "read",
    sub: read.subRequests[0]!,
    fault: { kind: "status", label: "503 service_unavailable, always", rule: { status: 503, errorCode: "service_unavailable" }, code: "service_unavailable", transient: false },
    noDeadline: true,
  });
  return cells;
}

/**
 * The fast subset in `npm test`: one representative cell per fault kind, spread over the three resources, with
 * the outcome each has today (the findings of the full matrix are in docs/reliability.md and KNOWN_FINDINGS).
 */
export const FAST_CELLS: ReadonlyArray<readonly [string, "converged" | "error"]> = [
  ["Database update / PUT bdb / 406 invalid_replication", "error"],
  ["Database create / POST bdbs / 409 busy after applying", "converged"],
  // The DELETE is held past the deadline: the client gives up at the deadline, so the outcome does not depend on
  // how close to the deadline a poll lands (a held wait poll may end either way).
  ["Database delete / DELETE bdb / latency 5000 ms before (past the deadline)", "error"],
  ["CertificateRotation rotate / POST rotate / latency 800 ms after", "converged"],
  // Applied, then answered 409 busy: found applied by reading the certificates, never sent again (finding F7).
  ["CertificateRotation rotate / POST rotate / 409 busy after applying", "converged"],
  ["Database read / GET bdb / drop before, x3", "converged"],
  ["Database delete / DELETE bdb / drop after applying, once", "converged"],
  ["Cluster settings update / PUT policy / busy window 1 s", "converged"],
  ["Database create / POST bdbs / failed action", "error"],
  // The delete's action fails at once: the wait ends with the action's error whether or not a poll saw the
  // delete under way (finding F6, fixed: the newest state machine decides after a 2 s grace).
  ["Database delete / DELETE bdb / failed action", "error"],
  ["Cluster read / GET cluster / node 1 down for 1 s", "converged"],
  // F1, fixed: the POST held past the deadline ends in a pending record (pending-create:<name>) that the
  // follow-up read resolves to the database the cluster created moments later, and the next up finishes.
  ["Database create / POST bdbs / latency 5000 ms before (past the deadline)", "error"],
  // F4, fixed: a 404 on the database's own path while the list shows it is an error, not "gone".
  ["Database read / GET bdb / 404 not_found", "error"],
];

// ---------------------------------------------------------------------------------------------------------------
// Running a cell

export interface LaneEnvironment {
  cluster: EmulatedCluster;
  connection: Connection;
}

/** A 3-node emulated cluster: the Cluster resource can fall over to another node when node 1 is down. */
export async function startLane(): Promise<LaneEnvironment> {
  const cluster = await startCluster({ nodes: 3, operationDelayMs: 40, keyBits: 1024 });
  const connection = { url: cluster.nodes[0]!.url, username: cluster.username, password: cluster.password, caCertPem: cluster.caCertPem };
  return { cluster, connection };
}

export interface CellResult {
  id: string;
  /** converged: the call succeeded and the cluster holds what was declared; error: it failed as it should. */
  outcome: "converged" | "error" | "violation";
  /** What was wrong (violation), one line each. */
  problems: string[];
  /** The error's message (cut), when the call failed. */
  message?: string;
  elapsedMs: number;
  /** Whether the faulted sub-request was reached (the fault fired). */
  fired: boolean;
}

interface Attempt {
  ok: boolean;
  value?: unknown;
  error?: Error & { id?: string; properties?: Props };
  elapsedMs: number;
  /** The call had not ended at the watchdog limit (it may still be running). */
  hung?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type BdbObject = { uid: number; name: string; status: string; memory_size: number; data_internode_encryption: boolean };
function bdbs(cluster: EmulatedCluster): BdbObject[] {
  return (cluster.admin.state() as unknown as { bdbs: Array<{ object: BdbObject }> }).bdbs.map((entry) => entry.object);
}

async function call(work: () => Promise<unknown>, limitMs: number): Promise<Attempt> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<Attempt>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, hung: true, elapsedMs: Date.now() - started }), limitMs);
  });
  const attempt = work().then(
    (value): Attempt => ({ ok: true, value, elapsedMs: Date.now() - started }),
    (error: Error): Attempt => ({ ok: false, error, elapsedMs: Date.now() - started }),
  );
  try {
    return await Promise.race([attempt, watchdog]);
  } finally {
    clearTimeout(timer);
  }
}

const TIMEOUTS = { create: `${DEADLINE_MS}ms`, update: `${DEADLINE_MS}ms`, delete: `${DEADLINE_MS}ms` };

function cut(text: string, max = 600): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

/** What the resource's operation does, with its setup and the checks of its end state. */
interface Scenario {
  /** Before the fault is armed (creates what the operation works on). */
  setup(): Promise<void>;
  /** The operation under test. */
  run(): Promise<unknown>;
  /** The engine's next step after the cell, faults cleared (the next up, or the call again). */
  recover(first: Attempt): Promise<unknown>;
  /**
   * What the engine's next refresh would make of the record, before the state is judged: a provisional id (an
   * unconfirmed create, F1) counts as a record of a database only when a read resolves it to that database.
   * Returns problems of the read itself.
   */
  followUp?(): Promise<string[]>;
  /** Problems with the cluster's state after `attempt` (orphans, duplicates, values not applied). */
  judgeState(attempt: Attempt, phase: "after the cell" | "after recovery"): string[];
  /** What the error must name to identify the object. */
  objectPattern: RegExp;
}

const db = providers.Database;
const clusterProvider = providers.Cluster;
const rotation = providers.CertificateRotation;

async function checked(provider: typeof db, inputs: Props): Promise<Props> {
  const result = await provider.check!({}, inputs);
  if (result.failures && result.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(result.failures)}`);
  return result.inputs as Props;
}

function databaseScenario(env: LaneEnvironment, operation: string): Scenario {
  const { cluster, connection } = env;
  const name = `m-${operation}`;
  const base = { name, memorySize: "100MB", connection, timeouts: TIMEOUTS };
  let id = "";
  let outs: Props = {};
  /** Ids the engine has recorded for this resource (none until a create or adopt returns one). */
  let recorded: string | undefined;
  /** The properties recorded with it (a partial failure's, or the last outputs). */
  let recordedProps: Props | undefined;
  /** The uid a follow-up read resolved a provisional `recorded` to (F1). */
  let resolved: string | undefined;
  let createInputs: Props = {};
  let updateInputs: Props = {};
  let adoptInputs: Props = {};
  const named = () => bdbs(cluster).filter((b) => b.name === name);

  const stateProblems = (attempt: Attempt, phase: string): string[] => {
    const problems: string[] = [];
    const live = named();
    if (live.length > 1) problems.push(`duplicate: ${live.length} databases named ${name} ${phase}`);
    if (operation === "delete") {
      if (attempt.ok && live.length > 0) problems.push(`the delete succeeded but the database is still there (${live[0]!.status}) ${phase}`);
      return problems;
    }
    for (const entry of live) {
      const isRecorded = recorded === String(entry.uid) || (resolved !== undefined && resolved === String(entry.uid));
      if (!isRecorded && operation !== "adopt") problems.push(`orphan: uid ${entry.uid} (${entry.status}) exists ${phase} but the stack records ${recorded ?? "nothing"}`);
    }
    if (attempt.ok && operation === "read") {
      const result = attempt.value as { id: string; props?: Props };
      if (result.id === "" && live.length > 0) problems.push(`orphan: the read said the database is gone (the engine drops it from the stack) while uid ${live[0]!.uid} exists ${phase}`);
      else if (result.id !== id || result.props?.name !== name) problems.push(`the read returned ${JSON.stringify({ id: result.id, name: result.props?.name })}, not uid ${id} ${phase}`);
      return problems;
    }
    if (attempt.ok) {
      const entry = live[0];
      if (!entry) problems.push(`the ${operation} succeeded but no database named ${name} exists ${phase}`);
      else if (entry.status !== "active") problems.push(`the ${operation} succeeded but the database is ${entry.status} ${phase}`);
      else if (operation === "update" || operation === "adopt") {
        if (entry.memory_size !== 200 * 1024 * 1024 || entry.data_internode_encryption !== true) {
          problems.push(`the ${operation} succeeded but the cluster shows memory_size ${entry.memory_size}, data_internode_encryption ${entry.data_internode_encryption} ${phase}`);
        }
      }
    }
    return problems;
  };

  const createFresh = async (inputs: Props) => {
    const result = await db.create(await checked(db, inputs));
    return { id: result.id, outs: result.outs as Props };
  };

  const scenario: Scenario = {
    objectPattern: new RegExp(`Database "${name}"|"${name}"|\\buid \\d+|/v1/bdbs/\\d+|database \\d+`),
    async setup() {
      // Check runs before the fault is armed: the cell is about the operation's own requests (check reads the
      // node versions at preview time too, with no deadline of its own).
      createInputs = await checked(db, { ...base, dataInternodeEncryption: true });
      updateInputs = await checked(db, { ...base, memorySize: "200MB", dataInternodeEncryption: true });
      adoptInputs = await checked(db, { ...base, memorySize: "200MB", dataInternodeEncryption: true, adopt: { applyChanges: true } });
      if (operation === "create") return;
      const created = await createFresh({ ...base, dataInternodeEncryption: false });
      id = created.id;
      outs = created.outs;
      recorded = operation === "adopt" ? undefined : id;
    },
    async run() {
      switch (operation) {
        case "create": {
          try {
            const result = await db.create(createInputs);
            recorded = result.id;
            recordedProps = result.outs as Props;
            return result;
          } catch (error) {
            // A partial failure carries the id and the properties: the engine records them.
            if (typeof (error as { id?: unknown }).id === "string") {
              recorded = (error as { id: string }).id;
              recordedProps = (error as { properties?: Props }).properties;
            }
            throw error;
          }
        }
        case "update":
          return db.update!(id, outs, updateInputs);
        case "delete":
          return db.delete!(id, outs);
        case "read":
          // Judged in judgeState: a read that says "gone" while the database exists drops it from the stack.
          return db.read!(id, outs);
        case "adopt": {
          const result = await db.create(adoptInputs);
          recorded = result.id;
          return result;
        }
        default:
          throw new Error(`no Database operation ${operation}`);
      }
    },
    async recover(first) {
      switch (operation) {
        case "create": {
          const inputs = createInputs;
          if (recorded === undefined) {
            const result = await db.create(inputs);
            recorded = result.id;
            return result;
          }
          // The engine's next up diffs what it recorded against the program: an update, or a replacement.
          const olds = (first.error?.properties ?? (first.value as { outs: Props } | undefined)?.outs ?? { uid: Number(recorded), name }) as Props;
          const diff = await db.diff!(recorded, olds, inputs);
          if (diff.replaces && diff.replaces.length > 0) {
            await db.delete!(recorded, olds);
            recorded = undefined;
            const result = await db.create(inputs);
            recorded = result.id;
            recordedProps = result.outs as Props;
            return result;
          }
          // An update keeps the recorded id (a provisional one too); its outputs are the new record.
          const result = await db.update!(recorded, olds, inputs);
          recordedProps = result.outs as Props;
          return result;
        }
        case "update":
          return db.update!(id, outs, updateInputs);
        case "delete":
          return db.delete!(id, outs);
        case "read":
          return scenario.run();
        case "adopt":
          return scenario.run();
        default:
          throw new Error(`no Database operation ${operation}`);
      }
    },
    async followUp() {
      resolved = undefined;
      if (recorded === undefined || provisionalName(recorded) === undefined) return [];
      try {
        const read = (await db.read!(recorded, recordedProps ?? {})) as { id: string };
        resolved = read.id === "" ? undefined : read.id;
        return [];
      } catch (error) {
        return [`the follow-up read of the record ${recorded} failed: ${cut((error as Error).message, 300)}`];
      }
    },
    judgeState: stateProblems,
  };
  return scenario;
}

function clusterScenario(env: LaneEnvironment, operation: string): Scenario {
  const { cluster } = env;
  const inputs = {
    name: cluster.clusterName,
    nodes: cluster.nodes.map((node) => ({ url: node.url })),
    username: cluster.username,
    password: cluster.password,
    tls: { caCertPem: cluster.caCertPem },
    adopt: true,
    timeouts: TIMEOUTS,
  };
  const wanted = { minDataTlsVersion: "1.3", dataInternodeEncryptionDefault: true, certificateRotationJob: { expiryDaysBeforeRotation: 50 } };
  let outs: Props = {};
  let news: Props = {};
  const settingsProblems = (attempt: Attempt, phase: string): string[] => {
    if (operation !== "settings update" || !attempt.ok) return [];
    const state = cluster.admin.state() as { cluster: Props; policy: Props; jobScheduler: { cert_rotation_job_settings?: Props } };
    const problems: string[] = [];
    if (state.cluster.min_data_TLS_version !== "1.3") problems.push(`the update succeeded but min_data_TLS_version is ${String(state.cluster.min_data_TLS_version)} ${phase}`);
    if (state.policy.data_internode_encryption !== true) problems.push(`the update succeeded but the policy's data_internode_encryption is ${String(state.policy.data_internode_encryption)} ${phase}`);
    if (state.jobScheduler.cert_rotation_job_settings?.expiry_days_before_rotation !== 50) problems.push(`the update succeeded but expiry_days_before_rotation is not 50 ${phase}`);
    return problems;
  };
  const scenario: Scenario = {
    objectPattern: new RegExp(`Cluster|${cluster.clusterName.replace(/\./g, "\\.")}`),
    async setup() {
      outs = (await clusterProvider.create(await checked(clusterProvider, inputs))).outs as Props;
      news = await checked(clusterProvider, { ...inputs, ...wanted });
    },
    async run() {
      if (operation === "read") {
        const result = (await clusterProvider.read!(cluster.clusterName, outs)) as { id: string; props?: Props };
        if (result.props?.name !== cluster.clusterName) throw new Error(`read returned name ${String(result.props?.name)}`);
        return result;
      }
      return clusterProvider.update!(cluster.clusterName, outs, news);
    },
    recover: () => scenario.run(),
    judgeState: settingsProblems,
  };
  return scenario;
}

function rotationScenario(env: LaneEnvironment, operation: string): Scenario {
  const { cluster, connection } = env;
  const inputs = { connection, certificates: ["data_internode_encryption"], timeouts: TIMEOUTS };
  let id = "";
  let outs: Props = {};
  const rotations = () => cluster.admin.events({ type: "certificate_rotation" }).length;
  let rotationsBefore = 0;
  let checkedInputs: Props = {};
  const scenario: Scenario = {
    objectPattern: /CertificateRotation|data_internode_encryption/,
    async setup() {
      checkedInputs = await checked(rotation, inputs);
      if (operation === "read") {
        const created = await rotation.create(checkedInputs);
        id = created.id;
        outs = created.outs as Props;
      }
      rotationsBefore = rotations();
    },
    async run() {
      if (operation === "read") return rotation.read!(id, outs);
      return rotation.create(checkedInputs);
    },
    recover: () => scenario.run(),
    judgeState(attempt, phase) {
      // One rotate request per run; the recovery sends one more. More would be a rotation sent twice.
      const allowed = (operation === "rotate" ? 1 : 0) * (phase === "after recovery" ? 2 : 1);
      const happened = rotations() - rotationsBefore;
      const problems: string[] = [];
      if (happened > allowed) problems.push(`duplicate: ${happened} rotations ${phase}, at most ${allowed} expected`);
      if (attempt.ok && operation === "rotate" && happened === 0) problems.push(`the rotation succeeded but the cluster rotated nothing ${phase}`);
      return problems;
    },
  };
  return scenario;
}

function scenarioFor(env: LaneEnvironment, cell: Cell): Scenario {
  if (cell.resource === "Database") return databaseScenario(env, cell.operation);
  if (cell.resource === "Cluster") return clusterScenario(env, cell.operation);
  return rotationScenario(env, cell.operation);
}

/** What an error must say when it is the cell's outcome. */
export function errorProblems(cell: Cell, scenario: Scenario, message: string): string[] {
  const problems: string[] = [];
  const operationNamed =
    /\b(GET|PUT|POST|DELETE) \/v1\//.test(message) ||
    /\b(creat|updat|delet|read|adopt|rotat|look)/i.test(message);
  if (!operationNamed) problems.push("the error does not name the operation");
  if (!scenario.objectPattern.test(message)) problems.push("the error does not name the object");
  if (cell.fault.code !== undefined) {
    if (!message.includes(cell.fault.code)) problems.push(`the error does not name the RS error code ${cell.fault.code}`);
  } else if (cell.fault.kind === "fail-action") {
    if (!/failed/.test(message)) problems.push("the error does not say the action failed");
  } else if (!/no answer|timed? ?out|deadline|socket|closed|reset|Timeout|outcome is unknown/i.test(message)) {
    problems.push("the error does not say what happened on the connection");
  }
  return problems;
}

/** Runs one cell on a lane whose cluster is idle; the cluster is reset first. */
export async function runCell(env: LaneEnvironment, cell: Cell): Promise<CellResult & { hung: boolean }> {
  const { cluster } = env;
  await cluster.admin.reset();
  const scenario = scenarioFor(env, cell);
  await scenario.setup();

  let fired = false;
  let seen = 0;
  let nodeTimer: NodeJS.Timeout | undefined;
  const nth = cell.sub.nth ?? 1;
  const pattern = new RegExp(cell.sub.path);
  const untap = tapRequests(cluster, (method, path) => {
    if (fired || method !== cell.sub.method || !pattern.test(path)) return;
    seen += 1;
    if (seen < nth) return;
    fired = true;
    if (cell.fault.kind === "node-down") {
      cluster.admin.setNode(1, { status: "down" });
      if (cell.fault.nodeDownMs !== undefined) nodeTimer = setTimeout(() => cluster.admin.setNode(1, { status: "active" }), cell.fault.nodeDownMs);
    } else {
      cluster.admin.addFault({ method: cell.sub.method, path: cell.sub.path, ...cell.fault.rule });
    }
  });
  const bound = (cell.noDeadline ? READ_BUDGET_MS : DEADLINE_MS) + SLACK_MS;
  let attempt: Attempt;
  try {
    attempt = await call(() => scenario.run(), bound + 10_000);
  } finally {
    untap();
  }
  clearTimeout(nodeTimer);
  const problems: string[] = [];
  if (!fired) problems.push(`the sub-request was not made (no ${nth > 1 ? `${nth}th ` : ""}${cell.sub.method} ${cell.sub.path})`);
  if (attempt.hung) {
    problems.push(`no answer ${Math.round(attempt.elapsedMs / 1000)} s after the start (deadline ${bound - SLACK_MS} ms): waits past the deadline`);
    return { id: cell.id, outcome: "violation", problems, elapsedMs: attempt.elapsedMs, fired, hung: true };
  }
  if (attempt.elapsedMs > bound) problems.push(`ended ${attempt.elapsedMs} ms after the start, past the deadline ${bound - SLACK_MS} ms + ${SLACK_MS} ms slack`);
  const message = attempt.error ? cut(attempt.error.message) : undefined;
  if (!attempt.ok) problems.push(...errorProblems(cell, scenario, attempt.error?.message ?? String(attempt.error)));

  // Let what the fault held back finish (an answer delayed after applying, a request delayed before it): an
  // object the cluster creates after the provider gave up would be an orphan too.
  await sleep((cell.fault.rule?.latencyMs ?? 0) + 300);
  // The engine's next steps, with the faults gone and the node back: the follow-up read (a refresh) that says
  // which database a provisional record is, then the next apply.
  cluster.admin.clearFaults();
  if (cell.fault.kind === "node-down") cluster.admin.setNode(1, { status: "active" });
  problems.push(...((await scenario.followUp?.()) ?? []));
  problems.push(...scenario.judgeState(attempt, "after the cell"));

  const recovery = await call(() => scenario.recover(attempt), DEADLINE_MS * 4 + 10_000);
  if (recovery.hung) {
    problems.push("the next apply did not end");
  } else {
    if (!recovery.ok) problems.push(`the next apply failed: ${cut(recovery.error?.message ?? "", 300)}`);
    problems.push(...((await scenario.followUp?.()) ?? []));
    problems.push(...scenario.judgeState(recovery, "after recovery"));
  }
  const outcome = problems.length > 0 ? "violation" : attempt.ok ? "converged" : "error";
  return { id: cell.id, outcome, problems, ...(message !== undefined ? { message } : {}), elapsedMs: attempt.elapsedMs, fired, hung: false };
}

/**
 * Findings of the full matrix, reported to the lead (/work/briefs/inbox-lead.md) and in docs/reliability.md:
 * the cells stay in the matrix and keep showing the problem until the provider is fixed. `npm run reliability`
 * marks a cell KNOWN when each of its problems matches a finding here, and fails only on new ones.
 */
export const KNOWN_FINDINGS: ReadonlyArray<{ name: string; cells: RegExp; problem: RegExp }> = [
  // Empty: F1 to F7 are fixed (docs/reliability.md, "Findings"), so every problem a cell shows fails the run.
];

/** The finding names that account for every problem of a cell, or undefined when one is new. */
export function knownFinding(cellId: string, problems: readonly string[]): string | undefined {
  if (problems.length === 0) return undefined;
  const names = new Set<string>();
  for (const problem of problems) {
    const entry = KNOWN_FINDINGS.find((finding) => finding.cells.test(cellId) && finding.problem.test(problem));
    if (!entry) return undefined;
    names.add(entry.name.split(":")[0]!);
  }
  return [...names].join(", ");
}
