// Emulated-cluster situations the Cluster tests (provider and engine) set up the same way.
import assert from "node:assert/strict";
import type { EmulatedCluster } from "../../../emulator";

/**
 * Bootstraps a cluster on the first node behind the provider's back, so that a create_cluster sent to another
 * node of the same emulator fails with the server's error_code (config_error): the bootstrap error case.
 */
export async function bootstrapFirstNodeOutOfBand(emulator: EmulatedCluster, username: string, password: string): Promise<void> {
  const first = await fetch(`${emulator.nodes[0]!.httpUrl}/v1/bootstrap/create_cluster`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ action: "create_cluster", cluster: { name: "first.example.com" }, credentials: { username, password } }),
  });
  assert.equal(first.status, 200);
}
