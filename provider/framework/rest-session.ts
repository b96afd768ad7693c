// The session of a REST resource: the `connection` input (or stack config) resolved once per operation, a
// client opened on first use (so a check that sends nothing opens nothing and prints no TLS warning), and the
// facts preconditions read, shared by every resource (the node list for the version gate).
import { connectionProblems, resolveConnection } from "../connection";
import { containsUnknown, type CheckFailure, type NodeVersionInfo } from "../core";
import { printLine } from "../output";
import { RsClient, type Connection } from "../rest";
import type { StackSettings } from "../settings";
import type { SessionHooks } from "./lifecycle";

export class RestSession {
  readonly connection: Connection;
  readonly label: string;
  /** Epoch milliseconds at which every request's retries end: the operation's deadline (none for a read). */
  readonly deadlineAt: number | undefined;
  #client: RsClient | undefined;

  constructor(connection: Connection, label: string, deadlineAt?: number) {
    this.connection = connection;
    this.label = label;
    this.deadlineAt = deadlineAt;
  }

  /**
   * The client, opened on first use. Events and warnings are printed with the resource label; warnings go
   * through onWarning only, so a plain-HTTP or insecure-TLS warning is printed once per operation.
   */
  get client(): RsClient {
    const print = (line: string) => printLine(`${this.label}: ${line}`);
    this.#client ??= new RsClient(this.connection, { onEvent: print, onWarning: print, deadlineAt: this.deadlineAt });
    return this.#client;
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }
}

/** GET /v1/nodes, as the version gate needs it. */
export async function readNodeVersions(client: RsClient): Promise<NodeVersionInfo[]> {
  const nodes = await client.get<Array<Record<string, unknown>>>("/v1/nodes", {
    query: { fields: "uid,software_version,status" },
  });
  return (nodes ?? []).map((node) => ({
    uid: Number(node.uid),
    softwareVersion: String(node.software_version ?? ""),
    status: String(node.status ?? ""),
  }));
}

/** Facts any REST resource's preconditions can name. */
export const REST_FACTS = {
  nodes: { description: "the node versions", read: (session: RestSession) => readNodeVersions(session.client) },
} as const;

/** The session hooks of a resource that talks to the cluster through its `connection` input. */
export function restSessionHooks(getSettings: () => StackSettings): SessionHooks<RestSession> {
  return {
    property: "connection",
    problems: (news): CheckFailure[] => connectionProblems(news.connection),
    known: (news) => !containsUnknown(news.connection),
    open: (inputs, label, deadlineAt) => new RestSession(resolveConnection(inputs.connection, getSettings(), label), label, deadlineAt),
  };
}
