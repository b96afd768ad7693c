// Real local HTTP(S) servers for the REST client tests: loopback only, port 0, every request recorded, and a
// close() that also destroys open keep-alive sockets so nothing outlives a suite.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { captureStderr as startCapture } from "./stderr";

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Handles one request, after its body was read and recorded. `index` counts from 1 across the server's life. */
export type Handler = (
  request: RecordedRequest,
  response: ServerResponse,
  context: { index: number; socket: Socket },
) => unknown;

export interface TestServer {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  host: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Serve HTTPS with this key and certificate chain (leaf first). */
  tls?: { keyPem: string; certPem: string };
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; default 0 (a free one). */
  port?: number;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

export async function startServer(handler: Handler, options: ServerOptions = {}): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    void (async () => {
      const recorded: RecordedRequest = {
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: await readBody(request),
      };
      requests.push(recorded);
      try {
        await handler(recorded, response, { index: requests.length, socket: request.socket });
      } catch (error) {
        if (!response.headersSent) response.writeHead(599);
        response.end(`test handler failed: ${String(error)}`);
      }
    })();
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.keyPem, cert: options.tls.certPem }, listener)
    : http.createServer(listener);
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  server.on(options.tls ? "secureConnection" : "connection", track);
  // Failed TLS handshakes never become secureConnection; the raw sockets still need closing.
  if (options.tls) server.on("connection", track);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? "https" : "http"}://${host}:${port}`,
    host,
    port,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers with a JSON body (or none when `body` is undefined). */
export function sendJson(
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** A port that was free a moment ago and has nothing listening on it now (for connection-refused cases). */
export async function closedPort(host = "127.0.0.1"): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Runs a synchronous `action` (such as constructing a client) and returns what it wrote to process.stderr,
 * which is swallowed so test output stays clean.
 */
export function captureStderr<T>(action: () => T): { result: T; stderr: string } {
  const capture = startCapture();
  try {
    return { result: action(), stderr: capture.take() };
  } finally {
    capture.stop();
  }
}

/** Runs `action` with its stderr output swallowed (for clients of plain-HTTP test servers). */
export function quietly<T>(action: () => T): T {
  return captureStderr(action).result;
}
