// A tap on the emulator's fault decisions: every REST request an emulated cluster receives passes through its
// fault store's `decide` (emulator/server.ts) before anything else happens to it. The tap sees each request
// there (method and path, in arrival order) and may add a rule at that moment, which the same request then
// meets. That gives the fault matrix "the n-th request of this kind" as a trigger, and the chaos run a seeded
// choice per request, both through the emulator's own fault rules rather than a second fault mechanism.
//
// The fault store is not part of the emulator's public surface (the admin API adds and lists rules but has no
// per-request hook), so the tap reaches it through the admin object's core; this is test code, and the shape it
// relies on is checked when the tap is installed.
import type { EmulatedCluster } from "../../emulator";

type Decide = (method: string, path: string, nowMs: number, random?: () => number) => unknown;
interface FaultStoreLike {
  decide: Decide;
}

/** Called for every REST request (admin requests under /__emulator/ are not seen), before its fault decision. */
export type RequestHook = (method: string, path: string) => void;

function faultStoreOf(cluster: EmulatedCluster): FaultStoreLike {
  const core = (cluster.admin as unknown as { core?: { faults?: FaultStoreLike } }).core;
  const store = core?.faults;
  if (!store || typeof store.decide !== "function") {
    throw new Error("the emulator's fault store is not where the reliability tap expects it (admin.core.faults.decide); update test/reliability/tap.ts");
  }
  return store;
}

/** Installs `hook`; returns the function that removes it. One tap per cluster at a time. */
export function tapRequests(cluster: EmulatedCluster, hook: RequestHook): () => void {
  const store = faultStoreOf(cluster);
  if (Object.prototype.hasOwnProperty.call(store, "decide")) throw new Error("a reliability tap is already installed on this cluster");
  const original = store.decide;
  store.decide = function (this: FaultStoreLike, method, path, nowMs, random) {
    hook(method.toUpperCase(), path);
    return original.call(this, method, path, nowMs, random);
  };
  return () => {
    delete (store as Partial<FaultStoreLike>).decide;
  };
}

/** mulberry32: a small seeded PRNG, so a chaos run is repeatable from its seed. Values in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
