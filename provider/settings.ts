// Stack-level settings: the `redisenterprise:*` stack configuration that the provider host hands to
// `configure()`. Reading it there (instead of capturing it in the serialized provider) keeps credentials out of
// the `__provider` text in state and lets a rotated password take effect without re-running the program.
import type { Connection } from "./rest";
import { CONNECTION_FIELDS } from "./rest/connection-fields";
import { DISRUPTION_POLICIES, type DisruptionPolicy } from "./core/policy";

export { DISRUPTION_POLICIES, type DisruptionPolicy };

/** The stack configuration namespace: `pulumi config set redisenterprise:url https://...`. */
export const CONFIG_NAMESPACE = "redisenterprise";

export interface StackSettings {
  /** Connection fields set in stack config; used by resources that declare no `connection` input. */
  connection: Partial<Connection>;
  /** Default for every resource's `disruptionPolicy`. */
  disruptionPolicy?: DisruptionPolicy;
  /**
   * `redisenterprise:validateAtPreview`: check also asks the cluster what a change needs (the node versions of
   * the 6.2.4 rule) and has it validate each new database (`POST /v1/bdbs?dry_run`), and diff each update
   * (`PUT /v1/bdbs/{uid}?dry_run`), so a preview shows the refusal. Off by default: a preview sends no REST request, and the same checks run before anything is sent.
   */
  validateAtPreview?: boolean;
}

/** Where one setting can go wrong, named by its stack config key. */
export interface SettingProblem {
  key: string;
  reason: string;
}

/** Reads the settings from a config getter (`req.config.get`), reporting values it cannot use. */
export function readStackSettings(get: (key: string) => string | undefined): {
  settings: StackSettings;
  problems: SettingProblem[];
} {
  const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;
  const problems: SettingProblem[] = [];
  const connection: Partial<Connection> = {};
  for (const name of CONNECTION_FIELDS) {
    if (name === "insecureSkipVerify") continue; // a boolean, read below
    const value = get(key(name));
    if (value !== undefined && value !== "") connection[name] = value;
  }
  /** A "true"/"false" key: the boolean, undefined when unset, and a problem naming the key for anything else. */
  const readBoolean = (name: string): boolean | undefined => {
    const value = get(key(name));
    if (value === undefined) return undefined;
    if (value === "true" || value === "false") return value === "true";
    problems.push({ key: key(name), reason: `must be "true" or "false"; got "${value}"` });
    return undefined;
  };
  const insecure = readBoolean("insecureSkipVerify");
  if (insecure !== undefined) connection.insecureSkipVerify = insecure;
  const settings: StackSettings = { connection };
  const policy = get(key("disruptionPolicy"));
  if (policy !== undefined) {
    if ((DISRUPTION_POLICIES as readonly string[]).includes(policy)) settings.disruptionPolicy = policy as DisruptionPolicy;
    else problems.push({ key: key("disruptionPolicy"), reason: `must be "allow" or "deny"; got "${policy}"` });
  }
  const validateAtPreview = readBoolean("validateAtPreview");
  if (validateAtPreview !== undefined) settings.validateAtPreview = validateAtPreview;
  return { settings, problems };
}
