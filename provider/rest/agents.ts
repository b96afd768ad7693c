// Process-wide cache of undici Agents: one keep-alive Agent per (origin, trust settings), shared by every
// RsClient that talks to the same API with the same trust, so a provider that makes a client per operation still
// reuses its TLS connections. Clients lease an Agent and release it on close(); the last release closes it.
import { createHash } from "node:crypto";
import { Agent, type Dispatcher } from "undici";
import { buildTrustingConnector, type TrustSettings } from "./tls";

/** Time allowed for TCP connect + TLS handshake (undici's default, stated here so it is visible). */
export const CONNECT_TIMEOUT_MS = 10_000;

interface SharedAgent {
  agent: Agent;
  holders: number;
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
  const held = shared;
  let released = false;
  return {
    dispatcher: held.agent,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0) return;
      if (sharedAgents.get(key) === held) sharedAgents.delete(key);
      await held.agent.close();
    },
  };
}

/** How many shared Agents are open (for tests and diagnostics). */
export function sharedAgentCount(): number {
  return sharedAgents.size;
}
