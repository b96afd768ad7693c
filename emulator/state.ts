// The emulated cluster's model as plain data: nodes, cluster, policy, databases, actions, users, events and
// the virtual clock offset. Everything here is JSON, so a state file is this object written out, and a reset
// is this object read back.
import type { PkiSnapshot } from "./pki";
import type { JsonObject } from "./json";

export const ROLES = ["admin", "cluster_member", "cluster_viewer", "db_member", "db_viewer", "none"] as const;
export type Role = (typeof ROLES)[number];

export interface UserRecord {
  username: string;
  password: string;
  role: Role;
}

export const NODE_STATUSES = ["active", "decommissioning", "down", "provisioning"] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export interface NodeRecord {
  uid: number;
  /** The address the node's API listens on (fixed for the emulator's life; `object.addr` may be edited). */
  listenAddress: string;
  /** Short host name, e.g. "node1". */
  hostname: string;
  /** True once the node has created or joined the cluster. */
  member: boolean;
  /** GET /v1/bootstrap bootstrap_status of this node. */
  bootstrap: JsonObject;
  /** Virtual time the node came up (for `uptime`). */
  startedAtMs: number;
  /** The REST node object (REAL node_single.json keys) without the computed fields. */
  object: JsonObject;
}

export type OperationKind = "create" | "update" | "delete";

/** A database operation in flight. */
export interface PendingOperation {
  kind: OperationKind;
  actionUid: string;
  /** update: the object before the change, restored if the action fails. */
  previous?: JsonObject;
  /** update: the fields the change touches. */
  changedFields?: string[];
  /** An injected fault makes this operation fail when it finishes. */
  fail: boolean;
}

export interface BdbRecord {
  object: JsonObject;
  pending?: PendingOperation;
}

export type ActionKind = "state-machine" | "task";

export interface ActionRecord {
  uid: string;
  kind: ActionKind;
  /** SMCreateBDB, SMUpdateBDB, SMDeleteBDB, or a task name. */
  name: string;
  /** "bdb:3" for database state machines. */
  objectName?: string;
  objectType?: string;
  objectUid?: string;
  nodeUid: number;
  /** state machines: active | completed | failed; tasks: running | completed | failed. */
  status: string;
  /** The current step of a state machine. */
  step: string;
  startedAtMs: number;
  /** Planned duration, for progress while it runs. */
  durationMs: number;
  finishedAtMs?: number;
  error?: string;
  errorCode?: string;
}

/** One entry of the event log (GET /__emulator/events). */
export interface EmulatorEvent extends JsonObject {
  seq: number;
  /** Virtual time, ISO 8601. */
  at: string;
  type: string;
}

/**
 * Last computed state of each alert ("name", "node:<uid>:name", "bdb:<uid>:name"), to report change_time and
 * the change_value sampled when the state flipped.
 */
export type AlertMemory = Record<string, { state: boolean; changeTime: string; value?: JsonObject }>;

/** The whole model; a state file holds exactly this (format 1). */
export interface EmulatorSnapshot {
  format: 1;
  clusterCreated: boolean;
  cluster: JsonObject;
  policy: JsonObject;
  jobScheduler: JsonObject;
  nodes: NodeRecord[];
  bdbs: BdbRecord[];
  actions: ActionRecord[];
  users: UserRecord[];
  events: EmulatorEvent[];
  nextEventSeq: number;
  nextBdbUid: number;
  nextShardUid: number;
  clockOffsetMs: number;
  stateId: number;
  alerts: AlertMemory;
  pki: PkiSnapshot;
}

/** The data the server works on: the snapshot without the PKI, which lives in its own object. */
export type EmulatorData = Omit<EmulatorSnapshot, "pki" | "format">;
