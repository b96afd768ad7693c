// Process-wide cache of undici Agents: one keep-alive Agent per (origin, trust settings), shared by every
// RsClient that talks to the same API with the same trust, so a provider that makes a client per operation still
// reuses its TLS connections. Clients lease an Agent and release it on close(); after the last release the Agent
// stays open for a short grace period, so the next operation of the same engine run (the engine calls the
// provider once per resource) reuses the connection instead of paying a new TCP + TLS handshake.
import { createHash } from "node:crypto";
import type { Dispatcher } from "undici";
import { Agent } from "./undici";
import { buildTrustingConnector, type TrustSettings } from "./tls";

/** Time allowed for TCP connect + TLS handshake (undici's default, stated here so it is visible). */
export const CONNECT_TIMEOUT_MS = 10_000;

/** How long an Agent nobody holds stays open for the next client (the timer never keeps the process alive). */
export const IDLE_AGENT_GRACE_MS = 5_000;

interface SharedAgent {
  agent: Agent;
  holders: number;
  closeTimer?: NodeJS.Timeout;
}

const sharedAgents = new Map<string, SharedAgent>();

/** A hold on a shared Agent. */
export interface AgentLease {
  readonly dispatcher: Dispatcher;
  /** Gives the hold back; the Agent closes when no client holds it any more. Safe to call twice. */
  release(): Promise<void>;
}

/** The cache key: origin and trust, with the CA PEM reduced to its hash (the key is never printed anyway). */
function agentKey(origin: string, trust: TrustSettings): string {
  const caHash = trust.caCertPem === undefined ? "-" : createHash("sha256").update(trust.caCertPem).digest("hex");
  return [origin, trust.insecureSkipVerify ? "insecure" : "verify", caHash, trust.pinSha256 ?? "-"].join("|");
}

export function leaseAgent(origin: string, trust: TrustSettings): AgentLease {
  const key = agentKey(origin, trust);
  let shared = sharedAgents.get(key);
  if (shared === undefined) {
    shared = { agent: new Agent({ connect: buildTrustingConnector(trust, CONNECT_TIMEOUT_MS) }), holders: 0 };
    sharedAgents.set(key, shared);
  }
  shared.holders += 1;
  clearTimeout(shared.closeTimer);
  const held = shared;
  let released = false;
  return {
    dispatcher: held.agent,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0) return;
      held.closeTimer = setTimeout(() => void closeShared(key, held), IDLE_AGENT_GRACE_MS);
      held.closeTimer.unref();
    },
  };
}

async function closeShared(key: string, held: SharedAgent): Promise<void> {
  if (held.holders > 0) return;
  if (sharedAgents.get(key) === held) sharedAgents.delete(key);
  await held.agent.close();
}

/** Closes every Agent nobody holds now, without waiting for the grace period (tests, orderly shutdown). */
export async function closeIdleAgents(): Promise<void> {
  const idle = [...sharedAgents.entries()].filter(([, held]) => held.holders === 0);
  for (const [, held] of idle) clearTimeout(held.closeTimer);
  await Promise.all(idle.map(([key, held]) => closeShared(key, held)));
}

/** How many shared Agents are open (for tests and diagnostics). */
export function sharedAgentCount(): number {
  return sharedAgents.size;
}
