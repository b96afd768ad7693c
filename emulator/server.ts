// The HTTP(S) side: one HTTPS and one plain HTTP listener per node, each answering the whole cluster API (a
// real cluster proxies to the master). Reads bodies with a size limit, applies fault rules, routes,
// authenticates, parses JSON and turns every outcome into the real answer shape.
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { actionRoutes } from "./actions";
import { adminRoutes } from "./admin";
import { alertRoutes } from "./alerts";
import { authenticate, parseBasicAuth } from "./auth";
import { bdbRoutes } from "./bdbs";
import { bootstrapRoutes } from "./bootstrap";
import { certificateRoutes } from "./certificates";
import { clusterRoutes } from "./cluster";
import type { EmulatorCore } from "./core";
import { ApiError, schemaError } from "./errors";
import { faultError, type FaultDecision } from "./faults";
import { CAPTURED_FLOAT_FIELDS, DOCUMENTED_FLOAT_FIELDS } from "./defaults";
import { floatWriter, MAX_JSON_DEPTH, textNestingDepth, type JsonValue } from "./json";
import { inventoryRoutes } from "./inventory";
import { licenseRoutes } from "./license";
import { nodeRoutes } from "./nodes";
import { STATS_FLOAT_METRICS, statsRoutes } from "./stats";
import { userRoutes } from "./users";
import { ROLE_PERMISSIONS, Router, type Reply, type RequestContext } from "./router";

/**
 * Largest request body accepted: 1 MiB (no real request comes near it; a certificate bundle is a few KiB).
 * Larger bodies are drained and answered 413 request_too_large; beyond DRAIN_LIMIT the connection is cut.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
const DRAIN_LIMIT = 64 * 1024 * 1024;

// Order matters where a fixed segment and a parameter share a place: /v1/nodes/stats and /v1/bdbs/alerts
// must be matched before /v1/nodes/:uid and /v1/bdbs/:uid, so the read-only views come first.
const restRouter = new Router().add(
  ...bootstrapRoutes,
  ...clusterRoutes,
  ...alertRoutes,
  ...statsRoutes,
  ...inventoryRoutes,
  ...licenseRoutes,
  ...userRoutes,
  ...certificateRoutes,
  ...nodeRoutes,
  ...bdbRoutes,
  ...actionRoutes,
);
const adminRouter = new Router().add(...adminRoutes);

type BodyRead = { kind: "ok"; buffer: Buffer } | { kind: "too-large" } | { kind: "aborted" };

function readBody(request: http.IncomingMessage): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyRead): void => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT) {
        request.socket.destroy();
        finish({ kind: "aborted" });
      } else if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      }
    });
    request.on("end", () => finish(size > MAX_BODY_BYTES ? { kind: "too-large" } : { kind: "ok", buffer: Buffer.concat(chunks) }));
    request.on("error", () => finish({ kind: "aborted" }));
    request.on("close", () => finish({ kind: "aborted" }));
  });
}

function errorReply(error: ApiError, headers?: Record<string, string>): Reply {
  const reply: Reply = { status: error.status, body: error.toBody() };
  if (headers) reply.headers = headers;
  return reply;
}

function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && header.split(";")[0]?.trim().toLowerCase() === "application/json";
}

function normalisePath(rawUrl: string | undefined): { path: string; query: URLSearchParams } | undefined {
  try {
    const url = new URL(rawUrl ?? "/", "http://emulator.invalid");
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    return { path, query: url.searchParams };
  } catch {
    return undefined;
  }
}

/** Route, authenticate, parse and run one request; every failure becomes an error reply. */
async function processRequest(
  core: EmulatorCore,
  nodeUid: number,
  secure: boolean,
  request: http.IncomingMessage,
  path: string,
  query: URLSearchParams,
  bodyBuffer: Buffer,
  failNextAction: boolean,
): Promise<Reply> {
  const method = (request.method ?? "GET").toUpperCase();
  const isAdmin = path === "/__emulator" || path.startsWith("/__emulator/");
  const match = (isAdmin ? adminRouter : restRouter).match(method, path);
  if (match.kind === "not-found") {
    // Anything the emulator does not know: 404 not_found, the status the real API gives an unknown URI.
    return errorReply(new ApiError(404, "not_found", `no such endpoint: ${method} ${path}`));
  }
  if (match.kind === "method-not-allowed") {
    return errorReply(new ApiError(405, "method_not_allowed", `${method} is not allowed on ${path}; use ${match.allowed.join(" or ")}`), {
      allow: match.allowed.join(", "),
    });
  }
  const node = core.node(nodeUid);
  if (!node) return errorReply(new ApiError(503, "node_not_found", `node ${nodeUid} is not part of this emulator`));
  const { route, params } = match;
  const context: RequestContext = { core, node, method, path, params, query, headers: request.headers, body: undefined, failNextAction };

  if (!isAdmin) {
    if (!secure && core.data.cluster.http_support === false) {
      return errorReply(new ApiError(403, "http_disabled", "plain HTTP is disabled on this cluster (http_support is false); use HTTPS"));
    }
    const access = route.access;
    const needsCredentials = access.kind === "permission" || (access.kind === "bootstrap" && node.member);
    if (needsCredentials) {
      if (!node.member) {
        return errorReply(new ApiError(503, "not_a_cluster_member", `node ${node.uid} is not a cluster member yet; bootstrap it first (POST /v1/bootstrap/create_cluster or join_cluster)`));
      }
      if (node.object.status === "down") {
        return errorReply(new ApiError(503, "node_down", `node ${node.uid} is down; send the request to another node`));
      }
      const user = authenticate(core, parseBasicAuth(request.headers.authorization));
      if (!user) {
        return errorReply(new ApiError(401, "unauthorized", "authentication required: send HTTP Basic credentials of a cluster user"), {
          "www-authenticate": 'Basic realm="Redis Enterprise Software (emulated)"',
        });
      }
      const permission = access.permission;
      if (!ROLE_PERMISSIONS[user.role].has(permission)) {
        // UNCERTAIN: the error_code of a 403 for a missing permission is not documented.
        return errorReply(new ApiError(403, "insufficient_permissions", `user '${user.username}' (role ${user.role}) lacks the '${permission}' permission for ${method} ${path}`));
      }
      context.user = user;
    }
  }

  if (bodyBuffer.length > 0) {
    if ((method === "POST" || method === "PUT" || method === "PATCH") && !isJsonContentType(request.headers["content-type"])) {
      return errorReply(new ApiError(400, "invalid_content_type", `${method} ${path}: send the body as JSON with the header Content-Type: application/json`));
    }
    const text = bodyBuffer.toString("utf8");
    // Checked before parsing, so nothing that deep ever reaches a handler or the state (issue 10, item 1).
    const depth = textNestingDepth(text, MAX_JSON_DEPTH);
    if (depth > MAX_JSON_DEPTH) {
      return errorReply(schemaError(`${method} ${path}: the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; no request needs that many`));
    }
    try {
      context.body = JSON.parse(text) as JsonValue;
    } catch {
      return errorReply(new ApiError(400, "invalid_json", `${method} ${path}: the body is not valid JSON`));
    }
  }
  try {
    return await route.handler(context);
  } catch (error) {
    if (error instanceof ApiError) return errorReply(error);
    const message = error instanceof Error ? error.message : String(error);
    logError(`rs-emulator: ${method} ${path} failed: ${message}`);
    return errorReply(new ApiError(500, "internal_error", `the emulator failed to handle ${method} ${path}: ${message}`));
  }
}

function logError(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Writes whole numbers as floats in the captured fields, the documented ones and the statistics metrics. */
const writeFloats = floatWriter(new Set([...CAPTURED_FLOAT_FIELDS, ...DOCUMENTED_FLOAT_FIELDS, ...STATS_FLOAT_METRICS]));

/** The answer's text; a body that cannot be serialised becomes a 500 with the JSON error body instead. */
export function serialiseReply(reply: Reply, method: string, path: string): { status: number; text: string; headers: Record<string, string> } {
  if (reply.body === undefined) return { status: reply.status, text: "", headers: reply.headers ?? {} };
  let text: string | undefined;
  let problem = "the answer is not JSON";
  try {
    const plain = JSON.stringify(reply.body) as string | undefined;
    text = plain === undefined ? undefined : writeFloats(plain);
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  if (typeof text === "string") return { status: reply.status, text, headers: reply.headers ?? {} };
  logError(`rs-emulator: ${method} ${path}: cannot serialise the answer: ${problem}`);
  const error = new ApiError(500, "internal_error", `the emulator failed to answer ${method} ${path}: ${problem}`);
  return { status: 500, text: JSON.stringify(error.toBody()), headers: {} };
}

function send(core: EmulatorCore, response: http.ServerResponse, reply: Reply, method = "", path = ""): void {
  if (response.headersSent || response.destroyed) return;
  const serialised = serialiseReply(reply, method, path);
  const text = serialised.text;
  response.statusCode = serialised.status;
  response.setHeader("content-type", "application/json");
  response.setHeader("content-length", Buffer.byteLength(text));
  response.setHeader("cluster-state-id", String(core.data.stateId));
  // The server's clock, as on any HTTP server; here the virtual clock, so a client that judges certificate
  // expiry by the cluster's time (CertificateRotation) sees the time the tests advanced.
  response.setHeader("date", new Date(core.now()).toUTCString());
  for (const [name, value] of Object.entries(serialised.headers)) response.setHeader(name, value);
  response.end(text);
}

function recordFault(core: EmulatorCore, decision: FaultDecision, method: string, path: string): void {
  core.event("fault", {
    ruleIds: decision.ruleIds,
    method,
    path,
    effect: decision.effect?.kind ?? (decision.failAction ? "failAction" : "latency"),
    phase: decision.effect && "phase" in decision.effect ? decision.effect.phase : "before",
  });
}

/** The request listener of one node (HTTPS when `secure`). */
export function requestListener(core: EmulatorCore, nodeUid: number, secure: boolean): http.RequestListener {
  return (request, response) => {
    void (async () => {
      const method = (request.method ?? "GET").toUpperCase();
      const parsed = normalisePath(request.url);
      const body = await readBody(request);
      if (body.kind === "aborted") return;
      if (body.kind === "too-large") {
        response.setHeader("connection", "close");
        send(core, response, errorReply(new ApiError(413, "request_too_large", `the request body exceeds ${MAX_BODY_BYTES} bytes`)));
        return;
      }
      if (!parsed) {
        send(core, response, errorReply(new ApiError(400, "bad_request", "the request URL cannot be parsed")));
        return;
      }
      const { path, query } = parsed;
      const isAdmin = path === "/__emulator" || path.startsWith("/__emulator/");
      const decision = isAdmin ? undefined : core.faults.decide(method, path, Date.now());
      if (decision) recordFault(core, decision, method, path);
      if (decision && decision.latencyBeforeMs > 0) await core.sleep(decision.latencyBeforeMs);
      const effect = decision?.effect;
      if (effect?.kind === "busy") {
        send(core, response, errorReply(new ApiError(409, "busy", effect.description)));
        return;
      }
      if (effect && effect.phase === "before") {
        if (effect.kind === "drop") request.socket.destroy();
        else send(core, response, errorReply(faultError(effect)));
        return;
      }
      let reply = await processRequest(core, nodeUid, secure, request, path, query, body.buffer, decision?.failAction === true);
      if (decision && decision.latencyAfterMs > 0) await core.sleep(decision.latencyAfterMs);
      if (effect && effect.phase === "after") {
        // The request was applied; only the answer is lost or replaced.
        if (effect.kind === "drop") {
          request.socket.destroy();
          return;
        }
        reply = errorReply(faultError(effect));
      }
      send(core, response, reply, method, path);
    })().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      logError(`rs-emulator: request handling failed: ${message}`);
      // Even here the answer carries the JSON error body (issue 10, item 6).
      if (!response.headersSent && !response.destroyed) {
        const text = JSON.stringify(new ApiError(500, "internal_error", `the emulator failed to handle the request: ${message}`).toBody());
        response.statusCode = 500;
        response.setHeader("content-type", "application/json");
        response.setHeader("content-length", Buffer.byteLength(text));
        response.end(text);
      }
    });
  };
}

export interface Listener {
  server: http.Server;
  port: number;
}

/** Listen on address:port (0 = a free port); the error names the address and what to do. */
export function listen(server: http.Server, address: string, port: number, what: string): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      const hint =
        error.code === "EADDRINUSE"
          ? `port ${port} is in use; choose another port or 0 for a free one`
          : error.code === "EADDRNOTAVAIL"
            ? `address ${address} is not available on this host; pass other addresses`
            : error.message;
      reject(new Error(`cannot start the ${what} on ${address}:${port}: ${hint}`));
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve({ server, port: (server.address() as AddressInfo).port });
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, address);
  });
}

/**
 * The HTTPS listener sends its certificate chain, the leaf then the cluster CA that signed it, so that a
 * client pinning the printed CA fingerprint (caFingerprintSha256) finds it among the presented certificates
 * and can check that the leaf descends from it (issue 10, item 7). Sending only the leaf left that pin
 * unverifiable.
 */
export function createHttpsServer(core: EmulatorCore, nodeUid: number, certPem: string, keyPem: string): https.Server {
  const chain = `${certPem.trimEnd()}\n${core.pki.caCertPem.trimEnd()}\n`;
  return https.createServer({ cert: chain, key: keyPem }, requestListener(core, nodeUid, true));
}

export function createHttpServer(core: EmulatorCore, nodeUid: number): http.Server {
  return http.createServer(requestListener(core, nodeUid, false));
}

/** Close a server and every connection it holds (keep-alive sockets included). */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
