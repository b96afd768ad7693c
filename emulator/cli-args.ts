// Command-line parsing for rs-emulator (node:util parseArgs), pure so it can be tested without starting anything.
// What is left here is the emulator's own validation: ranges, software versions, UID=VERSION.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULT_SOFTWARE_VERSION } from "./defaults";
import type { EmulatorOptions } from "./options";
import { parseSoftwareVersion } from "./version";

export const USAGE = `Usage: rs-emulator [options]

Starts an emulated Redis Enterprise Software cluster and runs until SIGINT/SIGTERM.

Options:
  --nodes N                 number of nodes (default 3)
  --address A               node address, repeat once per node (default 127.0.0.1, 127.0.0.2, ...)
  --version V               software version of every node (default ${DEFAULT_SOFTWARE_VERSION})
  --node-version UID=V      software version of one node, repeatable (e.g. --node-version 2=6.2.2-30)
  --https-port P            HTTPS API port of every node (default 9443; 0 = a free port per node)
  --http-port P             plain HTTP API port of every node (default 8080; 0 = free; -1 = disabled)
  --cluster-name NAME       cluster FQDN (default cluster.local)
  --username U              admin user (default admin@<cluster name>)
  --password P              admin password (default: random, printed)
  --idle                    leave the nodes unbootstrapped (a client creates the cluster)
  --cert-validity-days D    validity of internal certificates (default 90)
  --op-delay-ms MS          duration of asynchronous operations (default 100)
  --key-bits B              RSA key size of generated keys (default 2048; 1024 starts faster)
  --state-file F            load state from F if present and save it after every change
  --data-plane MODE         real redis-server shards and proxies: off (default), loopback (no root),
                            namespaces (root: one network namespace per node) or auto
  --internode-port P        port of every node's internode TLS listener (default 3342)
  --ca-out PATH             write the CA certificate here (default: a file in a new temp directory)
  --json                    print one JSON line first: {nodes, username, password, caCertPath, caFingerprintSha256, clusterName}
  --help                    show this help
`;

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

export type CliCommand = { kind: "help" } | { kind: "run"; options: EmulatorOptions; json: boolean; caOut?: string };

// The options, as node:util parseArgs takes them. Every value option is a string here; the numbers and versions
// are checked below with messages that name the flag and its range.
const OPTIONS = {
  nodes: { type: "string" },
  address: { type: "string", multiple: true },
  version: { type: "string" },
  "node-version": { type: "string", multiple: true },
  "https-port": { type: "string" },
  "http-port": { type: "string" },
  "cluster-name": { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  "cert-validity-days": { type: "string" },
  "op-delay-ms": { type: "string" },
  "key-bits": { type: "string" },
  "state-file": { type: "string" },
  "ca-out": { type: "string" },
  "data-plane": { type: "string" },
  "internode-port": { type: "string" },
  idle: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

type OptionName = keyof typeof OPTIONS;

function integer(flag: string, text: string, low: number, high: number): number {
  if (!/^-?\d+$/.test(text)) throw new CliUsageError(`${flag} needs a whole number, got '${text}'`);
  const value = Number(text);
  if (value < low || value > high) throw new CliUsageError(`${flag} must be between ${low} and ${high}, got ${value}`);
  return value;
}

const DATA_PLANE_MODES = ["off", "auto", "loopback", "namespaces"] as const;

function dataPlane(text: string | undefined): (typeof DATA_PLANE_MODES)[number] | undefined {
  if (text === undefined) return undefined;
  const mode = DATA_PLANE_MODES.find((m) => m === text);
  if (mode === undefined) throw new CliUsageError(`--data-plane must be off, auto, loopback or namespaces; got '${text}'`);
  return mode;
}

function version(flag: string, text: string): string {
  if (parseSoftwareVersion(text) === undefined) {
    throw new CliUsageError(`${flag}: '${text}' is not a software version like 7.22.2-14`);
  }
  return text;
}

/** Every value of `object`, without the keys whose value is undefined (options left out stay absent). */
function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

export function parseCliArgs(argv: readonly string[]): CliCommand {
  // `strict: false` because strict mode refuses a value that starts with a dash (`--http-port -1`, the way to
  // turn HTTP off) as "ambiguous"; what strict mode would check is checked on the tokens, with our messages.
  const { values, tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === "positional") throw new CliUsageError(`unexpected argument '${token.value}' (see --help)`);
    if (token.kind !== "option") continue;
    if (!Object.hasOwn(OPTIONS, token.name)) throw new CliUsageError(`unknown option '${token.rawName}' (see --help)`);
    const type = OPTIONS[token.name as OptionName].type;
    if (type === "string" && token.value === undefined) throw new CliUsageError(`${token.rawName} needs a value`);
    if (type === "boolean" && token.value !== undefined) throw new CliUsageError(`${token.rawName} takes no value`);
  }
  if (values.help === true) return { kind: "help" };

  // After the checks above, a string option's value is a string (or a list of them when repeatable).
  const text = (name: OptionName): string | undefined => values[name] as string | undefined;
  const list = (name: OptionName): string[] => (values[name] as string[] | undefined) ?? [];
  const number = (name: OptionName, low: number, high: number): number | undefined => {
    const value = text(name);
    return value === undefined ? undefined : integer(`--${name}`, value, low, high);
  };

  const addresses = list("address");
  const options: EmulatorOptions = defined({
    httpsPort: number("https-port", 0, 65535) ?? 9443,
    httpPort: number("http-port", -1, 65535) ?? 8080,
    nodes: number("nodes", 1, 64),
    addresses: addresses.length > 0 ? addresses : undefined,
    idle: values.idle === true ? true : undefined,
    clusterName: text("cluster-name"),
    username: text("username"),
    password: text("password"),
    certValidityDays: number("cert-validity-days", 1, 3650),
    operationDelayMs: number("op-delay-ms", 0, 3_600_000),
    keyBits: number("key-bits", 1024, 8192),
    stateFile: text("state-file"),
    dataPlane: dataPlane(text("data-plane")),
    internodePort: number("internode-port", 1, 65535),
  });

  const baseVersion = text("version") === undefined ? undefined : version("--version", text("version")!);
  const nodeVersions = new Map<number, string>();
  for (const entry of list("node-version")) {
    const match = /^(\d+)=(.+)$/.exec(entry);
    if (!match) throw new CliUsageError(`--node-version needs UID=VERSION, e.g. 2=6.2.2-30; got '${entry}'`);
    nodeVersions.set(Number(match[1]), version("--node-version", match[2]!));
  }
  const count = options.nodes ?? (addresses.length || 3);
  if (baseVersion !== undefined || nodeVersions.size > 0) {
    for (const uid of nodeVersions.keys()) {
      if (uid < 1 || uid > count) throw new CliUsageError(`--node-version ${uid}=...: there are nodes 1 to ${count}`);
    }
    options.softwareVersions = Array.from({ length: count }, (_, i) => nodeVersions.get(i + 1) ?? baseVersion ?? DEFAULT_SOFTWARE_VERSION);
  }
  const command: CliCommand = { kind: "run", options, json: values.json === true };
  const caOut = text("ca-out");
  if (caOut !== undefined) command.caOut = caOut;
  return command;
}
