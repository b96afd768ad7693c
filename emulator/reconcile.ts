// The one hook through which every change that matters to the data plane passes: a database created, updated
// or deleted through the REST API, edited out of band through the test controls, a certificate rotation or
// upload, a reset. It records what clients feel (the `proxy_restart` event when data internode encryption
// changes) and asks the data plane, when there is one, to bring what runs in line with the model.
import type { EmulatorCore } from "./core";
import type { JsonObject } from "./json";

export type DataPlaneChange =
  /** A database's new configuration is being applied (its operation completes once this resolves). */
  | { kind: "database"; bdbUid: number }
  | { kind: "certificates" }
  | { kind: "reset" };

/** What the data plane offers the hook (emulator/dataplane implements it). */
export interface DataPlaneHook {
  reconcile(change: DataPlaneChange): Promise<void>;
  /** Resolves once every reconciliation asked for so far has finished. */
  settled(): Promise<void>;
  /** Stop every process and remove every namespace it made. */
  stop(): Promise<void>;
}

export interface DatabaseChange {
  bdbUid: number;
  /** The configuration before and after; undefined for a create (before) or a delete (after). */
  before?: JsonObject;
  after?: JsonObject;
  source: "rest" | "out_of_band_edit";
}

/**
 * A database's change is taking effect. Changing data internode encryption restarts the database's proxy and
 * disconnects every client (reference §8): the event is recorded now, the data plane restarts the proxy for
 * real. Other changes keep connections (memory through CONFIG SET on the shards).
 */
export function databaseChanged(core: EmulatorCore, change: DatabaseChange): Promise<void> {
  const before = change.before?.data_internode_encryption;
  const after = change.after?.data_internode_encryption;
  if (change.before && change.after && before !== after) {
    core.event("proxy_restart", {
      bdbUid: change.bdbUid,
      reason: `data_internode_encryption ${String(before)} -> ${String(after)}`,
      ...(change.source === "out_of_band_edit" ? { source: change.source } : {}),
    });
  }
  return core.dataPlane ? core.dataPlane.reconcile({ kind: "database", bdbUid: change.bdbUid }) : Promise.resolve();
}

/** Internal certificates changed: new internode connections use the new data-plane certificates. */
export function certificatesChanged(core: EmulatorCore): Promise<void> {
  return core.dataPlane ? core.dataPlane.reconcile({ kind: "certificates" }) : Promise.resolve();
}

/** The model went back to its reset point: everything the data plane runs for databases stops. */
export function modelReset(core: EmulatorCore): Promise<void> {
  return core.dataPlane ? core.dataPlane.reconcile({ kind: "reset" }) : Promise.resolve();
}
