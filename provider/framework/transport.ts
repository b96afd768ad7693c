// The home of side effects that are not REST calls (the InternodeFirewall's nftables tables on each node).
// A resource with such effects opens a session of transports instead of a REST client; what it applies is
// rendered by pure functions (text or data from the canonical inputs), so the rendering is tested without a
// host and the transport only carries it. The life cycle (lifecycle.ts) is the same for both kinds.

/** One command's result on a host. A non-zero exit is a result, not an exception: the caller words the error. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs commands on one host (locally, in a network namespace, over ssh). */
export interface Transport {
  /** For messages: "local", "netns red1", "ssh admin@10.0.0.1:22". Never holds a secret. */
  readonly description: string;
  /**
   * Runs `argv` (no shell), feeding `stdin` when given, and gives up at `deadline` (epoch ms). Rejects only when
   * the command could not be run at all (host unreachable, binary missing), with a message naming the host.
   */
  run(argv: readonly string[], options?: { readonly stdin?: string; readonly deadline?: number }): Promise<CommandResult>;
  /** Releases what the transport holds (an ssh control connection); idempotent. */
  close(): Promise<void>;
}

/** A pure renderer: the text (or data) a transport applies, from canonical inputs. Never does I/O. */
export type Renderer<Inputs, Output> = (inputs: Inputs) => Output;
