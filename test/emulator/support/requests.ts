// Counting the REST requests that reach an emulated cluster, whoever sends them: a fault rule that matches every
// API path and changes nothing logs a "fault" event for each request it sees.
import type { EmulatedCluster } from "../../../emulator";

/** The REST requests that reach `cluster` while `work` runs, as "METHOD path" (the path without its query). */
export async function requestsDuring(cluster: EmulatedCluster, work: () => Promise<unknown>): Promise<string[]> {
  const seeAll = cluster.admin.addFault({ path: "^/", latencyMs: 0 });
  const since = cluster.admin.events().at(-1)?.seq ?? 0;
  try {
    await work();
  } finally {
    cluster.admin.removeFault(seeAll.id);
  }
  return cluster.admin
    .events({ type: "fault", since })
    .filter((event) => (event.ruleIds as string[]).includes(seeAll.id))
    .map((event) => `${String(event.method)} ${String(event.path)}`);
}
