// What must never appear in the CLI's output or the state the CLI writes: the admin password, and the private keys
// a cluster holds (GET /v1/cluster/certificates answers them next to the certificates, and the providers read it).
import assert from "node:assert/strict";
import type { EmulatedCluster } from "../../../emulator";
import { clientFor } from "../../emulator/support/client";

/**
 * The body lines of every private key the cluster holds now, as its admin reads them. A line of base64 key
 * material is specific enough that finding any one of them anywhere means a key leaked.
 */
export async function privateKeyLines(emulator: EmulatedCluster, credentials: { username: string; password: string }): Promise<string[]> {
  const api = clientFor(emulator, { credentials });
  try {
    const answer = await api.get("/v1/cluster/certificates");
    assert.equal(answer.status, 200, answer.text);
    const keys = Object.entries(answer.body as Record<string, string>)
      .filter(([name]) => name.endsWith("_key"))
      .map(([, pem]) => pem);
    // api, cm, proxy, syncer, metrics_exporter and the two internode planes at least.
    assert.ok(keys.length >= 7, `the cluster answered ${keys.length} private keys`);
    return keys.flatMap((pem) => pem.split("\n").filter((line) => line.length > 40 && !line.startsWith("-----")));
  } finally {
    await api.close();
  }
}

/** Fails naming what leaked (never printing the secret itself) when `text` holds a password or key line. */
export function assertNoSecrets(where: string, text: string, secrets: { passwords: readonly string[]; keyLines: readonly string[] }): void {
  assert.ok(text.length > 0, `${where}: nothing to search`);
  secrets.passwords.forEach((password, index) => assert.ok(!text.includes(password), `${where} holds password #${index + 1} in plain text`));
  const leaked = secrets.keyLines.filter((line) => text.includes(line)).length;
  assert.equal(leaked, 0, `${where} holds ${leaked} line(s) of a private key`);
  assert.doesNotMatch(text, /PRIVATE KEY-----/, `${where} holds a PEM private key`);
}
