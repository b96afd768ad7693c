// The home of side effects that are not REST calls (the InternodeFirewall's nftables tables on each node).
// A resource with such effects opens a session of command runners instead of a REST client (its
// LifecycleHooks' `session`), and renders what it applies with pure functions (text or data from the canonical
// inputs), so the rendering is tested without a host and the runner only carries it. The life cycle
// (lifecycle.ts) is the same for both kinds.
//
// The shapes match provider/firewall/transport.ts (which has the spawn-based local, netns and ssh runners), so
// that module can take these types from here; they are structural, so either side satisfies the other.

export interface CommandResult {
  /** null when the process ended by a signal or never started. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the command could not be started (not installed) or was stopped at its deadline. */
  readonly failure?: string;
}

export interface RunOptions {
  /** Written to the command's standard input, then closed. */
  readonly stdin?: string;
  /** The command is killed after this long; pass ctx.deadline.remainingMs() to keep the operation's deadline. */
  readonly timeoutMs?: number;
}

/** Runs commands (argv, no shell) on one host. `describe` names the transport in messages, never a secret. */
export interface CommandRunner {
  readonly describe: string;
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** A pure renderer: the text (or data) a runner applies, from canonical inputs. Never does I/O. */
export type Renderer<Inputs, Output> = (inputs: Inputs) => Output;
