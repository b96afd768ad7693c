// The emulator's handle on one node agent: spawns it (in the node's namespace when there is one) as the leader
// of its own process group, sends requests and matches replies, forwards notices, and kills the whole group on
// stop. Every live group is also in a process-wide registry that the exit handler kills synchronously, so a
// test that fails or a process that exits without stop() leaves no redis-server behind.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import readline from "node:readline";
import type { AgentMessage, AgentNotice, AgentReply, AgentRequest } from "./protocol";
import { registerCleanup } from "./cleanup";

/** How long one request may take (a shard start is bounded by 5 s inside the agent). */
const REQUEST_TIMEOUT_MS = 15_000;
/** How long a stopping agent gets before its group is killed. */
const STOP_GRACE_MS = 1000;

type RequestBody = AgentRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: AgentReply) => void; timer: NodeJS.Timeout }>();
  private exited = false;
  private readonly unregister: () => void;
  private stderr = "";
  readonly exitedPromise: Promise<void>;

  private constructor(
    readonly nodeUid: number,
    private readonly child: ChildProcess,
    onNotice: (notice: AgentNotice) => void,
  ) {
    const pid = child.pid!;
    // The agent leads its group: shards it spawns are in it, so one kill reaches them all.
    this.unregister = registerCleanup(`agent of node ${nodeUid}`, () => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    });
    this.exitedPromise = new Promise((resolve) => {
      child.on("exit", () => {
        this.exited = true;
        for (const [id, entry] of this.pending) {
          clearTimeout(entry.timer);
          entry.resolve({ id, ok: false, error: `the agent of node ${nodeUid} exited${this.stderr ? `: ${this.stderr.trim()}` : ""}` });
        }
        this.pending.clear();
        resolve();
      });
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2000);
    });
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      let message: AgentMessage;
      try {
        message = JSON.parse(line) as AgentMessage;
      } catch {
        return;
      }
      if ("notice" in message) {
        onNotice(message);
        return;
      }
      const entry = this.pending.get(message.id);
      if (!entry) return;
      this.pending.delete(message.id);
      clearTimeout(entry.timer);
      entry.resolve(message);
    });
  }

  /** Start an agent; `namespace` runs it inside that network namespace (through `ip netns exec`). */
  static spawn(nodeUid: number, namespace: string | undefined, onNotice: (notice: AgentNotice) => void): AgentClient {
    const script = join(__dirname, "agent.js");
    const command = namespace === undefined ? process.execPath : "ip";
    const args = namespace === undefined ? [script] : ["netns", "exec", namespace, process.execPath, script];
    // detached: a new session and process group, so the agent and its shards are killed as one.
    const child = spawn(command, args, { detached: true, stdio: ["pipe", "pipe", "pipe"] });
    child.on("error", () => undefined);
    return new AgentClient(nodeUid, child, onNotice);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Send a request; rejects with the agent's message when it fails. */
  async request(body: RequestBody): Promise<NonNullable<Extract<AgentReply, { ok: true }>["result"]>> {
    if (this.exited) throw new Error(`the agent of node ${this.nodeUid} is not running${this.stderr ? `: ${this.stderr.trim()}` : ""}`);
    const id = this.nextId++;
    const reply = await new Promise<AgentReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, ok: false, error: `the agent of node ${this.nodeUid} did not answer '${body.op}' within ${REQUEST_TIMEOUT_MS} ms` });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      this.child.stdin!.write(`${JSON.stringify({ ...body, id })}\n`);
    });
    if (!reply.ok) throw new Error(reply.error);
    return reply.result ?? {};
  }

  /** Ask the agent to stop (closing its stdin), then kill its group if it is still there after a grace period. */
  async stop(): Promise<void> {
    if (!this.exited) {
      this.child.stdin!.end();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
      await Promise.race([this.exitedPromise, grace]);
    }
    // The group may still hold shards if the agent was killed before it could kill them.
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      // Nothing left.
    }
    this.unregister();
  }
}
