// The emulator's data plane: real redis-server shards, proxies on the endpoint ports and the internode TLS
// channel on 3342, run by one agent process per node (agent.ts) and kept in line with the model by
// dataplane.ts through the reconcile hook (../reconcile.ts). Apart from the REST API and the test controls.
import type { DataPlane, DataPlaneNode, InternodeConnection, RunningDatabase } from "./dataplane";
import type { DataPlaneLayout } from "./layout";

export { startDataPlane, INTERNODE_PORT } from "./dataplane";
export type { DataPlaneNode, InternodeConnection, RunningDatabase, RunningShard } from "./dataplane";
export type { DataPlaneLayout, DataPlaneMode } from "./layout";
export { RespConnection, RespError, type RespReply } from "./resp";
export { pendingCleanups } from "./cleanup";

/** What a test or a user can see of a cluster's data plane. */
export interface DataPlaneInfo {
  /** "off" when the cluster runs the control plane only (see `reason`). */
  layout: "off" | DataPlaneLayout;
  /** Why the data plane is off. */
  reason?: string;
  /** The port of every node's internode TLS listener (3342 unless the startCluster option says otherwise). */
  internodePort: number;
  /** This process's address on the bridge to the node namespaces (namespaces layout). */
  hostAddress?: string;
  nodes(): DataPlaneNode[];
  /** What serves a database now: proxies, shards, problems; undefined when nothing runs for it. */
  database(bdbUid: number): RunningDatabase | undefined;
  /** Internode TLS connections made so far, with the certificates each side presented. */
  internodeConnections(): InternodeConnection[];
  /** Resolves when the data plane has caught up with every change so far. */
  settled(): Promise<void>;
  /** Process ids of the agents and shards running now. */
  processIds(): number[];
}

export function dataPlaneInfo(plane: DataPlane | undefined, layout: "off" | DataPlaneLayout, internodePort: number, reason?: string): DataPlaneInfo {
  const info: DataPlaneInfo = {
    layout,
    internodePort,
    nodes: () => plane?.nodeList() ?? [],
    database: (uid) => plane?.database(uid),
    internodeConnections: () => plane?.internodeConnections() ?? [],
    settled: () => plane?.settled() ?? Promise.resolve(),
    processIds: () => plane?.processIds() ?? [],
  };
  if (reason !== undefined) info.reason = reason;
  if (plane?.network.hostAddress) info.hostAddress = plane.network.hostAddress;
  return info;
}
