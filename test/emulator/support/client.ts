// A small HTTP client for the emulator tests: undici with the cluster CA (TLS is verified), Basic auth, JSON.
import { Agent, request } from "undici";
import { startCluster, type EmulatedCluster, type EmulatorOptions } from "../../../emulator";

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /**
   * Parsed JSON, or undefined for an empty body. Typed `any` on purpose: the tests index freely into answers of
   * many shapes and assert exact values, which is where a wrong shape fails.
   */
  body: any;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (for malformed bodies). */
  rawBody?: string | Buffer;
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Credentials to send; false sends none. */
  auth?: { username: string; password: string } | false;
}

export class TestClient {
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    ca: string | undefined,
    private readonly credentials: { username: string; password: string } | undefined,
  ) {
    this.agent = new Agent(ca ? { connect: { ca } } : {});
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: "application/json", ...(options.headers ?? {}) };
    const auth = options.auth === undefined ? this.credentials : options.auth;
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
    let payload: string | Buffer | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined && options.contentType !== null) headers["content-type"] = options.contentType ?? "application/json";
    const response = await request(`${this.baseUrl}${path}`, { method: method as "GET", headers, body: payload ?? null, dispatcher: this.agent });
    const text = await response.body.text();
    let body: unknown;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.statusCode, headers: response.headers, body, text };
  }

  get(path: string, options?: RequestOptions): Promise<ApiResponse> {
    return this.request("GET", path, options);
  }
  post(path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    return this.request("POST", path, body === undefined ? options : { ...options, body });
  }
  put(path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    return this.request("PUT", path, body === undefined ? options : { ...options, body });
  }
  patch(path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    return this.request("PATCH", path, body === undefined ? options : { ...options, body });
  }
  delete(path: string, options?: RequestOptions): Promise<ApiResponse> {
    return this.request("DELETE", path, options);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** A client for one node of a cluster, authenticated as the admin unless told otherwise. */
export function clientFor(
  cluster: EmulatedCluster,
  options: { node?: number; plain?: boolean; credentials?: { username: string; password: string } | undefined } = {},
): TestClient {
  const node = cluster.nodes[options.node ?? 0]!;
  const credentials = "credentials" in options ? options.credentials : { username: cluster.username, password: cluster.password };
  const base = options.plain ? node.httpUrl! : node.url;
  return new TestClient(base, options.plain ? undefined : cluster.caCertPem, credentials);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `probe` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Wait until a database is active and return it. */
export async function waitActive(client: TestClient, uid: number, timeoutMs = 5000): Promise<any> {
  return waitFor(`database ${uid} to be active`, async () => {
    const response = await client.get(`/v1/bdbs/${uid}`);
    return response.status === 200 && response.body.status === "active" ? response.body : undefined;
  }, timeoutMs);
}

/** Wait until a database is gone (404). */
export async function waitGone(client: TestClient, uid: number, timeoutMs = 5000): Promise<void> {
  await waitFor(`database ${uid} to be gone`, async () => ((await client.get(`/v1/bdbs/${uid}`)).status === 404 ? true : undefined), timeoutMs);
}

/** Key size used by the tests: 1024-bit keys keep cluster start-up fast; the PKI tests cover 2048. */
export const TEST_KEY_BITS = 1024;

/**
 * One emulated cluster (test-sized keys) and an admin client for the enclosing describe: started before its
 * tests, reset before each, closed after. `use` receives them once started.
 */
export function useCluster(options: EmulatorOptions, use: (cluster: EmulatedCluster, api: TestClient) => void): void {
  let cluster: EmulatedCluster | undefined;
  let api: TestClient | undefined;
  before(async function () {
    cluster = await startCluster({ keyBits: TEST_KEY_BITS, ...options });
    api = clientFor(cluster);
    use(cluster, api);
  });
  after(async function () {
    await api?.close();
    await cluster?.stop();
  });
  beforeEach(async function () {
    await cluster!.admin.reset();
  });
}
