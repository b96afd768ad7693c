// Command-line parsing for rs-emulator, pure so it can be tested without starting anything.
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

const VALUE_FLAGS = new Set([
  "--nodes",
  "--address",
  "--version",
  "--node-version",
  "--https-port",
  "--http-port",
  "--cluster-name",
  "--username",
  "--password",
  "--cert-validity-days",
  "--op-delay-ms",
  "--key-bits",
  "--state-file",
  "--ca-out",
  "--data-plane",
  "--internode-port",
]);

function integer(flag: string, text: string, low: number, high: number): number {
  if (!/^-?\d+$/.test(text)) throw new CliUsageError(`${flag} needs a whole number, got '${text}'`);
  const value = Number(text);
  if (value < low || value > high) throw new CliUsageError(`${flag} must be between ${low} and ${high}, got ${value}`);
  return value;
}

function version(flag: string, text: string): string {
  if (parseSoftwareVersion(text) === undefined) {
    throw new CliUsageError(`${flag}: '${text}' is not a software version like 7.22.2-14`);
  }
  return text;
}

export function parseCliArgs(argv: readonly string[]): CliCommand {
  const options: EmulatorOptions = { httpsPort: 9443, httpPort: 8080 };
  const addresses: string[] = [];
  const nodeVersions = new Map<number, string>();
  let baseVersion: string | undefined;
  let json = false;
  let caOut: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const raw = argv[i]!;
    const equals = raw.startsWith("--") ? raw.indexOf("=") : -1;
    const flag = equals > 0 && VALUE_FLAGS.has(raw.slice(0, equals)) ? raw.slice(0, equals) : raw;
    let value: string | undefined;
    if (VALUE_FLAGS.has(flag)) {
      if (flag !== raw) value = raw.slice(equals + 1);
      else {
        value = argv[i + 1];
        i += 1;
      }
      if (value === undefined) throw new CliUsageError(`${flag} needs a value`);
    }
    const v = value ?? "";
    switch (flag) {
      case "--help":
      case "-h":
        return { kind: "help" };
      case "--json":
        json = true;
        break;
      case "--idle":
        options.idle = true;
        break;
      case "--nodes":
        options.nodes = integer(flag, v, 1, 64);
        break;
      case "--address":
        addresses.push(v);
        break;
      case "--version":
        baseVersion = version(flag, v);
        break;
      case "--node-version": {
        const match = /^(\d+)=(.+)$/.exec(v);
        if (!match) throw new CliUsageError(`--node-version needs UID=VERSION, e.g. 2=6.2.2-30; got '${v}'`);
        nodeVersions.set(Number(match[1]), version(flag, match[2]!));
        break;
      }
      case "--https-port":
        options.httpsPort = integer(flag, v, 0, 65535);
        break;
      case "--http-port":
        options.httpPort = integer(flag, v, -1, 65535);
        break;
      case "--cluster-name":
        options.clusterName = v;
        break;
      case "--username":
        options.username = v;
        break;
      case "--password":
        options.password = v;
        break;
      case "--cert-validity-days":
        options.certValidityDays = integer(flag, v, 1, 3650);
        break;
      case "--op-delay-ms":
        options.operationDelayMs = integer(flag, v, 0, 3_600_000);
        break;
      case "--key-bits":
        options.keyBits = integer(flag, v, 1024, 8192);
        break;
      case "--state-file":
        options.stateFile = v;
        break;
      case "--ca-out":
        caOut = v;
        break;
      case "--data-plane":
        if (v !== "off" && v !== "auto" && v !== "loopback" && v !== "namespaces") {
          throw new CliUsageError(`--data-plane must be off, auto, loopback or namespaces; got '${v}'`);
        }
        options.dataPlane = v;
        break;
      case "--internode-port":
        options.internodePort = integer(flag, v, 1, 65535);
        break;
      default:
        throw new CliUsageError(`unknown option '${raw}' (see --help)`);
    }
  }
  if (addresses.length > 0) options.addresses = addresses;
  const count = options.nodes ?? (addresses.length || 3);
  if (baseVersion !== undefined || nodeVersions.size > 0) {
    for (const uid of nodeVersions.keys()) {
      if (uid < 1 || uid > count) throw new CliUsageError(`--node-version ${uid}=...: there are nodes 1 to ${count}`);
    }
    options.softwareVersions = Array.from({ length: count }, (_, i) => nodeVersions.get(i + 1) ?? baseVersion ?? DEFAULT_SOFTWARE_VERSION);
  }
  const command: CliCommand = { kind: "run", options, json };
  if (caOut !== undefined) command.caOut = caOut;
  return command;
}
