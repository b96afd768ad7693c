// The parts of undici the REST client uses (the Agent, its request API, the TLS connector), loaded by themselves.
//
// Why: `require("undici")` loads the whole package (fetch, WebSocket, cookies, the cache, EventSource, the mocks),
// about 50 ms against 20 ms for these parts on the bench machine. Every `pulumi` command starts a new provider
// host, which loads the provider at its first call, so a user would pay the difference on every preview, up and
// refresh.
//
// undici has no "exports" map, so its files can be required by path. Its index does one thing besides exporting:
// it puts the request API (request, stream, pipeline, upgrade, connect) on every dispatcher's prototype; loaded
// without the index, this module does the same. If a later undici moves these files or changes their shape, the
// whole package is loaded instead (test/provider/undici-parts.test.ts holds that the parts are the index's own
// for the installed version).
import type * as Undici from "undici";

/** The files, inside the undici package, of what the client uses. */
export const PART_FILES = {
  Agent: "undici/lib/dispatcher/agent.js",
  Dispatcher: "undici/lib/dispatcher/dispatcher.js",
  api: "undici/lib/api/index.js",
  buildConnector: "undici/lib/core/connect.js",
} as const;

interface Parts {
  Agent: typeof Undici.Agent;
  buildConnector: typeof Undici.buildConnector;
  /** "parts" when loaded from PART_FILES, "index" when the whole package was loaded. */
  loadedFrom: "parts" | "index";
}

function loadParts(): Parts {
  try {
    const Agent = require(PART_FILES.Agent) as typeof Undici.Agent;
    const Dispatcher = require(PART_FILES.Dispatcher) as typeof Undici.Dispatcher;
    const api = require(PART_FILES.api) as Record<string, unknown>;
    const buildConnector = require(PART_FILES.buildConnector) as typeof Undici.buildConnector;
    if (typeof Dispatcher.prototype.request !== "function") Object.assign(Dispatcher.prototype, api);
    if (typeof Agent === "function" && typeof buildConnector === "function" && typeof Agent.prototype.request === "function") {
      return { Agent, buildConnector, loadedFrom: "parts" };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
  }
  const undici = require("undici") as typeof Undici;
  return { Agent: undici.Agent, buildConnector: undici.buildConnector, loadedFrom: "index" };
}

const parts = loadParts();

/** undici's Agent: a pool of connections per origin. */
export const Agent = parts.Agent;
export type Agent = Undici.Agent;

/** undici's buildConnector: the TCP and TLS connect step, with Node's TLS options. */
export const buildConnector = parts.buildConnector;

/** Whether the parts came from their own files or from the whole package (for the test). */
export const undiciLoadedFrom = parts.loadedFrom;
