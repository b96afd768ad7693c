// The little of RESP2 the data plane needs to talk to its own shards (CONFIG SET, REPLICAOF, INFO, PING) and
// that tests and the benchmark use as a client: commands as arrays of bulk strings, one reply at a time.
import * as net from "node:net"; // a namespace import: the .d.ts must work without esModuleInterop (test/package)

export type RespReply = string | number | null | RespError | RespReply[];

/** An error reply (-ERR ...), kept as a value: it is an answer, not a failure of the connection. */
export class RespError {
  constructor(readonly message: string) {}
}

export function encodeCommand(args: readonly (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Parse one reply from the start of `buffer`; undefined when more bytes are needed. */
export function parseReply(buffer: Buffer, start = 0): { value: RespReply; end: number } | undefined {
  if (buffer.length <= start) return undefined;
  const lineEnd = buffer.indexOf("\r\n", start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[start]!);
  const line = buffer.toString("utf8", start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RespError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespReply[] = [];
      let at = next;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buffer, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`not a RESP reply (starts with ${JSON.stringify(type)})`);
  }
}

/**
 * A RESP connection that sends commands and reads their replies in order. `closed` resolves when the peer
 * closes the socket (how tests observe a proxy restart); every wait is bounded by `timeoutMs`.
 */
export class RespConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve: (reply: RespReply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }> = [];
  private ended: Error | undefined;
  readonly closed: Promise<void>;

  private constructor(
    readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    let markClosed!: () => void;
    this.closed = new Promise((resolve) => (markClosed = resolve));
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const head = this.waiting[0];
        if (!head) break;
        let parsed;
        try {
          parsed = parseReply(this.buffer);
        } catch (error) {
          this.fail(error as Error);
          socket.destroy();
          return;
        }
        if (!parsed) break;
        this.buffer = this.buffer.subarray(parsed.end);
        this.waiting.shift();
        clearTimeout(head.timer);
        head.resolve(parsed.value);
      }
    });
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => {
      this.fail(new Error("connection closed by the server"));
      markClosed();
    });
  }

  static connect(host: string, port: number, timeoutMs = 5000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RespConnection(socket, timeoutMs));
      });
    });
  }

  get isClosed(): boolean {
    return this.ended !== undefined;
  }

  private fail(error: Error): void {
    this.ended ??= error;
    for (const entry of this.waiting.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
  }

  /** Send one command and wait for its reply. */
  send(...args: (string | number | Buffer)[]): Promise<RespReply> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no reply to ${String(args[0])} within ${this.timeoutMs} ms`));
        this.socket.destroy();
      }, this.timeoutMs);
      this.waiting.push({ resolve, reject, timer });
      this.socket.write(encodeCommand(args));
    });
  }

  /** Send many commands at once and wait for all replies (pipelining, for the benchmark). */
  pipeline(commands: ReadonlyArray<ReadonlyArray<string | number>>): Promise<RespReply[]> {
    return Promise.all(commands.map((command) => this.send(...command)));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Send a command; a RESP error reply becomes a thrown Error naming the command. */
export async function expectOk(connection: RespConnection, ...args: (string | number)[]): Promise<RespReply> {
  const reply = await connection.send(...args);
  if (reply instanceof RespError) throw new Error(`${String(args[0])} ${String(args[1] ?? "")}: ${reply.message}`);
  return reply;
}
