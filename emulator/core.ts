// The running emulator's heart: the model (EmulatorData), the PKI, the virtual clock, fault rules, timers of
// operations in flight, the event log and the state file. Resource modules (bdbs.ts, cluster.ts, ...) work
// through this object; the HTTP layer only translates requests to their functions.
import { randomUUID } from "node:crypto";
import { VirtualClock } from "./clock";
import {
  defaultClusterObject,
  defaultJobScheduler,
  defaultNodeObject,
  defaultPolicy,
  isoSeconds,
} from "./defaults";
import { FaultStore } from "./faults";
import { cloneJson, type JsonObject, type JsonValue } from "./json";
import { saveSnapshot } from "./persistence";
import { ClusterPki } from "./pki";
import type { DataPlaneHook } from "./reconcile";
import type { EmulatorData, EmulatorEvent, EmulatorSnapshot, NodeRecord, Role, UserRecord } from "./state";

/** Events kept in memory (the oldest are dropped first). */
export const MAX_EVENTS = 10_000;

export interface NodeSpec {
  uid: number;
  address: string;
  softwareVersion: string;
}

/** Everything the core needs from the resolved startCluster options. */
export interface CoreSettings {
  nodes: NodeSpec[];
  clusterName: string;
  username: string;
  password: string;
  idle: boolean;
  operationDelayMs: number;
  stateFile?: string;
  /** The ports clients use (written into the cluster object: cnm_https_port, cnm_http_port). */
  httpsPort: number;
  httpPort: number;
}

export function hostnameOf(uid: number): string {
  return `node${uid}`;
}

/** The model of a cluster that was just started: nodes idle, or already bootstrapped into one cluster. */
export function freshData(settings: CoreSettings, nowMs: number): EmulatorData {
  const now = isoSeconds(nowMs);
  const nodes: NodeRecord[] = settings.nodes.map((spec) => ({
    uid: spec.uid,
    listenAddress: spec.address,
    hostname: hostnameOf(spec.uid),
    member: !settings.idle,
    bootstrap: (settings.idle ? { state: "idle" } : { end_time: now, start_time: now, state: "completed" }) as JsonObject,
    startedAtMs: nowMs,
    object: defaultNodeObject(spec.uid, spec.address, spec.softwareVersion),
  }));
  const users: UserRecord[] = settings.idle ? [] : [{ username: settings.username, password: settings.password, role: "admin" }];
  return {
    clusterCreated: !settings.idle,
    cluster: defaultClusterObject(settings.clusterName, now, settings.httpsPort, settings.httpPort),
    policy: defaultPolicy(),
    jobScheduler: defaultJobScheduler(),
    nodes,
    bdbs: [],
    actions: [],
    users,
    events: [],
    nextEventSeq: 1,
    nextBdbUid: 1,
    nextShardUid: 1,
    clockOffsetMs: 0,
    stateId: 1,
    alerts: {},
  };
}

export class EmulatorCore {
  readonly clock: VirtualClock;
  readonly faults = new FaultStore();
  data: EmulatorData;
  pki: ClusterPki;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Pending sleep() calls, woken when timers are cancelled so no request handler waits forever. */
  private readonly sleepers = new Set<() => void>();
  private stopped = false;
  /** Rises on every reset, so async work started before a reset does not touch the new model. */
  generation = 0;
  /** Serialises jobs that must not overlap (certificate rotation). */
  private jobChain: Promise<unknown> = Promise.resolve();
  /** The data plane, when this cluster runs one (emulator/dataplane); changes reach it through reconcile.ts. */
  dataPlane: DataPlaneHook | undefined;
  /** What a reset returns to. */
  private resetPoint: { data: EmulatorData; pki: ReturnType<ClusterPki["toJSON"]> } | undefined;

  constructor(
    readonly settings: CoreSettings,
    data: EmulatorData,
    pki: ClusterPki,
    clock: VirtualClock,
  ) {
    this.data = data;
    this.pki = pki;
    this.clock = clock;
  }

  /** Remember the current model as the reset point: no databases, actions or events, clock offset zero. */
  markResetPoint(): void {
    const data = cloneJson(this.data as unknown as JsonObject) as unknown as EmulatorData;
    data.bdbs = [];
    data.actions = [];
    data.events = [];
    data.clockOffsetMs = 0;
    data.alerts = {};
    this.resetPoint = { data, pki: this.pki.toJSON() };
  }

  /** Back to the reset point. The cluster-state-id keeps rising, so clients never see an old id again. */
  reset(): void {
    if (!this.resetPoint) throw new Error("reset point not set");
    this.cancelTimers();
    this.faults.clear();
    this.generation += 1;
    const stateId = this.data.stateId;
    this.data = cloneJson(this.resetPoint.data as unknown as JsonObject) as unknown as EmulatorData;
    this.data.stateId = stateId;
    this.clock.offsetMs = 0;
    this.pki = ClusterPki.fromJSON(this.resetPoint.pki, () => this.clock.now());
    this.commit();
  }

  now(): number {
    return this.clock.now();
  }

  nowIso(): string {
    return isoSeconds(this.clock.now());
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  node(uid: number): NodeRecord | undefined {
    return this.data.nodes.find((node) => node.uid === uid);
  }

  /** Cluster members, by ascending uid. */
  members(): NodeRecord[] {
    return this.data.nodes.filter((node) => node.member).sort((a, b) => a.uid - b.uid);
  }

  /** The master: the lowest-uid member that is not down (the emulator does not model elections). */
  master(): NodeRecord | undefined {
    const members = this.members();
    return members.find((node) => node.object.status !== "down") ?? members[0];
  }

  findUser(username: string): UserRecord | undefined {
    return this.data.users.find((user) => user.username === username);
  }

  upsertUser(username: string, password: string, role: Role): void {
    const existing = this.findUser(username);
    if (existing) {
      existing.password = password;
      existing.role = role;
    } else {
      this.data.users.push({ username, password, role });
    }
  }

  newActionUid(): string {
    return randomUUID();
  }

  /** Record that state changed: the cluster-state-id rises and the state file is rewritten. */
  commit(): void {
    this.data.stateId += 1;
    this.persist();
  }

  persist(): void {
    if (this.settings.stateFile && !this.stopped) saveSnapshot(this.settings.stateFile, this.snapshot());
  }

  snapshot(): EmulatorSnapshot {
    this.data.clockOffsetMs = this.clock.offsetMs;
    return { format: 1, ...this.data, pki: this.pki.toJSON() };
  }

  /** Append to the event log (GET /__emulator/events). */
  event(type: string, details: Record<string, JsonValue> = {}): EmulatorEvent {
    const entry: EmulatorEvent = { ...cloneJson(details as JsonObject), seq: this.data.nextEventSeq, at: this.nowIso(), type };
    this.data.nextEventSeq += 1;
    this.data.events.push(entry);
    if (this.data.events.length > MAX_EVENTS) this.data.events.splice(0, this.data.events.length - MAX_EVENTS);
    return entry;
  }

  /** Run `task` after `delayMs` of real time unless the emulator stops or resets first. Errors are logged. */
  schedule(delayMs: number, task: () => void | Promise<void>): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      Promise.resolve()
        .then(task)
        .catch((error: unknown) => {
          process.stderr.write(`rs-emulator: scheduled operation failed: ${error instanceof Error ? error.message : String(error)}\n`);
        });
    }, Math.max(0, delayMs));
    this.timers.add(timer);
  }

  /** A delay that ends early (resolving) when the emulator stops or resets. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped || ms <= 0) {
        resolve();
        return;
      }
      const wake = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.timers.add(timer);
      this.sleepers.add(wake);
    });
  }

  /** Run jobs one at a time (automatic rotation must not interleave with itself). */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.jobChain.then(job, job);
    this.jobChain = run.catch(() => undefined);
    return run;
  }

  private cancelTimers(): void {
    for (const wake of [...this.sleepers]) wake();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  stop(): void {
    this.cancelTimers();
    this.stopped = true;
  }
}

/** A fresh PKI, or the one in the snapshot. */
export async function createPki(
  clusterName: string,
  clock: VirtualClock,
  certValidityDays: number,
  keyBits: number | undefined,
): Promise<ClusterPki> {
  const options: Parameters<typeof ClusterPki.create>[0] = { clusterName, now: () => clock.now(), validityDays: certValidityDays };
  if (keyBits !== undefined) options.keyBits = keyBits;
  return ClusterPki.create(options);
}
