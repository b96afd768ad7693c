// Entry point of the repository's Pulumi.yaml (the demo project): the whole demo stack, from stack config (see
// program.ts, demoStackSettingsFromConfig, and README "The demo project with the `pulumi` command"). `npm run demo`
// runs this same program (run.ts).
import { demoStack, demoStackSettingsFromConfig } from "./program";

const outputs = demoStack(demoStackSettingsFromConfig());
export const clusterName = outputs.clusterName;
export const nodes = outputs.nodes;
export const internodeEncryptionReady = outputs.internodeEncryptionReady;
export const firewallRules = outputs.firewallRules;
export const paymentsEndpoint = outputs.paymentsEndpoint;
export const paymentsEncrypted = outputs.paymentsEncrypted;
export const ordersEndpoint = outputs.ordersEndpoint;
export const ordersEncrypted = outputs.ordersEncrypted;
export const sessionsEndpoint = outputs.sessionsEndpoint;
export const sessionsPassword = outputs.sessionsPassword;
export const certificates = outputs.certificates;
