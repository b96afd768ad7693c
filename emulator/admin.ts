// Test controls: the virtual clock, out-of-band edits (drift), fault rules, node versions and states, users,
// the event log, reset and a state dump. The same operations are served over HTTP under /__emulator/ (no real
// cluster has that prefix; no authentication: test use only) and in process as `cluster.admin`.
import { computeAlerts } from "./alerts";
import { renderBdb } from "./bdbs";
import { runRotationJob } from "./certificates";
import type { EmulatorCore } from "./core";
import { ApiError, notFound, schemaError } from "./errors";
import { parseFaultRule, type FaultRule, type FaultRuleInput } from "./faults";
import { cloneJson, deepMerge, isJsonObject, type JsonObject, type JsonValue } from "./json";
import { renderNode } from "./nodes";
import { databaseChanged, modelReset } from "./reconcile";
import type { Reply, RequestContext, Route } from "./router";
import { NODE_STATUSES, ROLES, type EmulatorEvent, type NodeStatus, type Role } from "./state";
import { parseSoftwareVersion } from "./version";

const DAY_SECONDS = 24 * 60 * 60;

/**
 * The virtual clock never passes 9999-12-31T23:59:59Z: four-digit years are the limit of ISO 8601 dates as
 * the API prints them and of X.509 validity dates (GeneralizedTime).
 */
export const MAX_VIRTUAL_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

export interface ClockInfo extends JsonObject {
  /** Virtual time, ISO 8601. */
  now: string;
  nowMs: number;
  /** How far the virtual clock is ahead of real time. */
  offsetMs: number;
}

export interface AdvanceResult extends ClockInfo {
  /** What the automatic rotation job rotated after the clock moved (empty lists when nothing was due). */
  rotated: { names: string[]; nodes: number[] };
}

export interface NodeChange {
  software_version?: string;
  status?: NodeStatus;
}

export interface UserInput {
  username: string;
  password: string;
  role: Role;
}

export interface EventFilter {
  type?: string;
  /** Only events with a larger seq. */
  since?: number;
}

/** The in-process test controls of one emulated cluster (the same operations as the /__emulator/ HTTP API). */
export class EmulatorAdmin {
  constructor(private readonly core: EmulatorCore) {}

  clock(): ClockInfo {
    const nowMs = this.core.now();
    return { now: new Date(nowMs).toISOString(), nowMs, offsetMs: this.core.clock.offsetMs };
  }

  /** Move the virtual clock forward, then run the rotation job and recompute alerts. */
  async advanceClock(by: { seconds?: number; days?: number }): Promise<AdvanceResult> {
    let total = 0;
    for (const [key, factor] of [["seconds", 1], ["days", DAY_SECONDS]] as const) {
      const value = by[key];
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        throw schemaError(`clock advance: '${key}' must be a non-negative number`);
      }
      total += value * factor;
    }
    const core = this.core;
    // Checked before the clock moves: a virtual time past what dates, ISO strings and certificates can hold
    // would make every later write fail (issue 10, item 4).
    if (core.now() + total * 1000 > MAX_VIRTUAL_TIME_MS) {
      throw new ApiError(
        400,
        "invalid_value",
        `clock advance: ${total} seconds would move the virtual clock past ${new Date(MAX_VIRTUAL_TIME_MS).toISOString()}, the latest time the emulator represents`,
      );
    }
    core.clock.advance(total * 1000);
    core.event("clock_advanced", { seconds: total });
    const rotated = await runRotationJob(core);
    if (core.data.clusterCreated) computeAlerts(core);
    core.commit();
    return {
      ...this.clock(),
      rotated: {
        names: [...new Set(rotated.map((c) => c.name))].sort(),
        nodes: [...new Set(rotated.map((c) => c.nodeUid))].sort((a, b) => a - b),
      },
    };
  }

  /**
   * Merge `patch` into a stored object with no validation and no action, like an operator editing through the
   * UI: "bdbs/<uid>", "nodes/<uid>", "cluster" or "policy". Returns the object after the edit.
   */
  patchObject(target: string, patch: JsonValue): JsonObject {
    if (!isJsonObject(patch)) throw schemaError("out-of-band edit: the body must be a JSON object to merge");
    const core = this.core;
    let stored: JsonObject;
    let bdbUid: number | undefined;
    const match = /^(bdbs|nodes)\/(\d+)$/.exec(target);
    if (target === "cluster") stored = core.data.cluster;
    else if (target === "policy") stored = core.data.policy;
    else if (match?.[1] === "bdbs") {
      const record = core.data.bdbs.find((r) => r.object.uid === Number(match[2]));
      if (!record) throw notFound("bdb_not_exist", `database ${match[2]} does not exist`);
      stored = record.object;
      bdbUid = Number(match[2]);
    } else if (match?.[1] === "nodes") {
      const node = core.node(Number(match[2]));
      if (!node) throw notFound("node_not_found", `node ${match[2]} does not exist`);
      stored = node.object;
    } else {
      throw notFound("not_found", `unknown object '${target}'; use bdbs/<uid>, nodes/<uid>, cluster or policy`);
    }
    const before = cloneJson(stored);
    deepMerge(stored, patch);
    core.event("out_of_band_edit", { target, fields: Object.keys(patch).sort() });
    if (bdbUid !== undefined) {
      // Through the one reconcile hook, like a REST change: the data plane follows the edit (in the background;
      // admin.dataPlaneSettled() waits for it), and an encryption flip restarts the proxy.
      void databaseChanged(core, { bdbUid, before, after: stored, source: "out_of_band_edit" });
    }
    core.commit();
    return cloneJson(stored);
  }

  addFault(rule: FaultRuleInput | JsonValue): FaultRule {
    const parsed = parseFaultRule(rule as JsonValue);
    return this.core.faults.add(parsed, Date.now());
  }

  faults(): FaultRule[] {
    return this.core.faults.list(Date.now());
  }

  removeFault(id: string): boolean {
    return this.core.faults.remove(id);
  }

  clearFaults(): void {
    this.core.faults.clear();
  }

  /** Change a node's software version or status (a node older than 6.2.4, a node down). */
  setNode(uid: number, change: NodeChange | JsonValue): JsonObject {
    if (!isJsonObject(change)) throw schemaError("node change: the body must be an object {software_version?, status?}");
    const node = this.core.node(uid);
    if (!node) throw notFound("node_not_found", `node ${uid} does not exist`);
    for (const key of Object.keys(change)) {
      if (key !== "software_version" && key !== "status") throw schemaError(`node change: unknown field '${key}' (software_version, status)`);
    }
    const version = change.software_version;
    if (version !== undefined && (typeof version !== "string" || parseSoftwareVersion(version) === undefined)) {
      throw schemaError(`node change: software_version must look like MAJOR.MINOR.PATCH-BUILD, e.g. "6.2.2-30"`);
    }
    const status = change.status;
    if (status !== undefined && !(NODE_STATUSES as readonly JsonValue[]).includes(status)) {
      throw schemaError(`node change: status must be one of ${NODE_STATUSES.join(", ")}`);
    }
    if (typeof version === "string") node.object.software_version = version;
    if (typeof status === "string") node.object.status = status;
    this.core.event("node_changed", { nodeUid: uid, ...cloneJson(change) });
    this.core.commit();
    return renderNode(this.core, node);
  }

  /** Add a user (or change an existing one's password and role). */
  addUser(user: UserInput | JsonValue): void {
    if (!isJsonObject(user)) throw schemaError("user: the body must be an object {username, password, role}");
    const { username, password, role } = user;
    if (typeof username !== "string" || username === "") throw schemaError("user: 'username' must be a non-empty string");
    if (typeof password !== "string" || password === "") throw schemaError("user: 'password' must be a non-empty string");
    if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
      throw schemaError(`user: 'role' must be one of ${ROLES.join(", ")}`);
    }
    this.core.upsertUser(username, password, role as Role);
    this.core.event("user_added", { username, role });
    this.core.commit();
  }

  events(filter: EventFilter = {}): EmulatorEvent[] {
    return this.core.data.events
      .filter((event) => (filter.type === undefined || event.type === filter.type) && (filter.since === undefined || event.seq > filter.since))
      .map((event) => cloneJson(event));
  }

  /** Back to the state right after start: same CA and ports, no databases, clock offset zero, no faults, no events. */
  async reset(): Promise<void> {
    this.core.reset();
    await modelReset(this.core);
  }

  /** Resolves when the data plane has caught up with every change so far (at once without a data plane). */
  async dataPlaneSettled(): Promise<void> {
    await this.core.dataPlane?.settled();
  }

  /** Everything, for debugging. Private keys are left out and passwords redacted. */
  state(): JsonObject {
    const core = this.core;
    return redactSecrets({
      clock: this.clock(),
      stateId: core.data.stateId,
      clusterCreated: core.data.clusterCreated,
      cluster: cloneJson(core.data.cluster),
      policy: cloneJson(core.data.policy),
      jobScheduler: cloneJson(core.data.jobScheduler),
      nodes: core.data.nodes.map((node) => ({
        uid: node.uid,
        listenAddress: node.listenAddress,
        hostname: node.hostname,
        member: node.member,
        bootstrap: cloneJson(node.bootstrap),
        object: renderNode(core, node),
      })),
      bdbs: core.data.bdbs.map((record) => {
        const entry: JsonObject = { object: cloneJson(renderBdb(record)) };
        if (record.pending) entry.pending = { kind: record.pending.kind, actionUid: record.pending.actionUid, fail: record.pending.fail };
        return entry;
      }),
      actions: cloneJson(core.data.actions as unknown as JsonValue[]),
      users: core.data.users.map((user) => ({ username: user.username, role: user.role, password: "<redacted>" })),
      faults: this.faults() as unknown as JsonValue[],
      eventCount: core.data.events.length,
      caFingerprintSha256: core.pki.caFingerprintSha256,
      certificates: core.pki.certificates().map((c) => ({
        name: c.name,
        nodeUid: c.nodeUid,
        serialHex: c.serialHex,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        fingerprintSha256: c.fingerprintSha256,
        customerProvided: c.customerProvided,
      })),
    }) as JsonObject;
  }
}

/** Keys whose values are secrets wherever they appear: authentication_redis_pass, smtp_password, ... */
const SECRET_KEY = /(^|_)(pass|password|passwd|secret)$/i;
/** The password part of credentials in a URI ("redis://user:pw@host"), as sync_sources hold them. */
const URI_PASSWORD = /(\/\/[^/:@\s]*:)[^@/\s]*@/g;

/**
 * A copy of `value` with every secret replaced by "<redacted>": values of secret-named keys and passwords in
 * URIs. The state dump promises no passwords; database objects carry several (issue 10, item 5).
 */
export function redactSecrets(value: JsonValue): JsonValue {
  if (typeof value === "string") return value.replace(URI_PASSWORD, "$1<redacted>@");
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (!isJsonObject(value)) return value;
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const redacted = SECRET_KEY.test(key) && item !== "" && item !== null ? "<redacted>" : redactSecrets(item);
    Object.defineProperty(copy, key, { value: redacted, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

function adminOf(context: RequestContext): EmulatorAdmin {
  return new EmulatorAdmin(context.core);
}

const open = { kind: "public" } as const;

function sinceParam(query: URLSearchParams): number | undefined {
  const raw = query.get("since");
  if (raw === null || raw === "") return undefined;
  const since = Number(raw);
  if (!Number.isInteger(since) || since < 0) throw schemaError("events: 'since' must be a non-negative integer (an event seq)");
  return since;
}

export const adminRoutes: Route[] = [
  { method: "GET", pattern: "/__emulator/clock", access: open, handler: (c): Reply => ({ status: 200, body: adminOf(c).clock() }) },
  {
    method: "POST",
    pattern: "/__emulator/clock/advance",
    access: open,
    handler: async (c): Promise<Reply> => {
      if (!isJsonObject(c.body)) throw schemaError("clock advance: the body must be {\"seconds\": n} or {\"days\": n}");
      for (const key of Object.keys(c.body)) {
        if (key !== "seconds" && key !== "days") throw schemaError(`clock advance: unknown field '${key}' (seconds, days)`);
      }
      const result = await adminOf(c).advanceClock(c.body as { seconds?: number; days?: number });
      return { status: 200, body: result };
    },
  },
  {
    method: "PATCH",
    pattern: "/__emulator/objects/:kind/:uid",
    access: open,
    handler: (c): Reply => ({ status: 200, body: adminOf(c).patchObject(`${c.params.kind}/${c.params.uid}`, c.body ?? null) }),
  },
  {
    method: "PATCH",
    pattern: "/__emulator/objects/:kind",
    access: open,
    handler: (c): Reply => ({ status: 200, body: adminOf(c).patchObject(c.params.kind ?? "", c.body ?? null) }),
  },
  {
    method: "POST",
    pattern: "/__emulator/faults",
    access: open,
    handler: (c): Reply => ({ status: 200, body: { id: adminOf(c).addFault(c.body ?? null).id } }),
  },
  { method: "GET", pattern: "/__emulator/faults", access: open, handler: (c): Reply => ({ status: 200, body: adminOf(c).faults() as unknown as JsonValue[] }) },
  {
    method: "DELETE",
    pattern: "/__emulator/faults",
    access: open,
    handler: (c): Reply => {
      adminOf(c).clearFaults();
      return { status: 200 };
    },
  },
  {
    method: "DELETE",
    pattern: "/__emulator/faults/:id",
    access: open,
    handler: (c): Reply => {
      if (!adminOf(c).removeFault(c.params.id ?? "")) throw notFound("not_found", `fault rule ${c.params.id ?? ""} does not exist`);
      return { status: 200 };
    },
  },
  {
    method: "PUT",
    pattern: "/__emulator/nodes/:uid",
    access: open,
    handler: (c): Reply => {
      const uid = Number(c.params.uid);
      if (!Number.isInteger(uid)) throw notFound("node_not_found", `node ${c.params.uid ?? ""} does not exist`);
      return { status: 200, body: adminOf(c).setNode(uid, c.body ?? null) };
    },
  },
  {
    method: "POST",
    pattern: "/__emulator/users",
    access: open,
    handler: (c): Reply => {
      adminOf(c).addUser(c.body ?? null);
      return { status: 200 };
    },
  },
  {
    method: "GET",
    pattern: "/__emulator/events",
    access: open,
    handler: (c): Reply => {
      const filter: EventFilter = {};
      const type = c.query.get("type");
      if (type) filter.type = type;
      const since = sinceParam(c.query);
      if (since !== undefined) filter.since = since;
      return { status: 200, body: adminOf(c).events(filter) };
    },
  },
  {
    method: "POST",
    pattern: "/__emulator/reset",
    access: open,
    handler: async (c): Promise<Reply> => {
      await adminOf(c).reset();
      return { status: 200 };
    },
  },
  { method: "GET", pattern: "/__emulator/state", access: open, handler: (c): Reply => ({ status: 200, body: adminOf(c).state() }) },
];
