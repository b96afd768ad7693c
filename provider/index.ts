// The provider implementation that the serialized shims (sdk/shim.ts) load at call time, by package name
// (`pulumi-redis-enterprise/provider`). Its exports are a contract with state written by every earlier version.
import type * as pulumi from "@pulumi/pulumi";
import { clusterProvider } from "./cluster/provider";
import { databaseProvider } from "./database/provider";
import { certificateRotationProvider } from "./rotation/provider";
import { firewallProvider } from "./firewall/provider";
import { printLine } from "./output";
import { readStackSettings, type StackSettings } from "./settings";

let stackSettings: StackSettings = { connection: {} };

/** Called once per provider host by each shim with the stack configuration (secrets already unwrapped). */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  const { settings, problems } = readStackSettings((key) => req.config.get(key));
  for (const problem of problems) printLine(`stack config ${problem.key}: ${problem.reason}; the setting is ignored`);
  stackSettings = settings;
}

const currentSettings = (): StackSettings => stackSettings;

/** One provider per resource kind, keyed like sdk/shim.ts's ResourceKind. */
export const providers = {
  Database: databaseProvider(currentSettings),
  Cluster: clusterProvider(currentSettings),
  CertificateRotation: certificateRotationProvider(currentSettings),
  InternodeFirewall: firewallProvider(currentSettings),
};

export * as rest from "./rest";
export * as database from "./database";
export * as cluster from "./cluster";
export * as rotation from "./rotation";
export * as certificates from "./certificates";
export * as firewall from "./firewall";
export { readStackSettings, CONFIG_NAMESPACE } from "./settings";
export type { StackSettings, DisruptionPolicy } from "./settings";
