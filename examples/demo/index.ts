// Entry point for the real Pulumi CLI (Pulumi.yaml's main): `pulumi up` with the stack config set as the
// README says. `npm run demo` runs the same program without the CLI (run.ts).
import { demoProgram, demoSettingsFromConfig } from "./program";

const outputs = demoProgram(demoSettingsFromConfig());
export const ordersEndpoint = outputs.ordersEndpoint;
export const ordersEncrypted = outputs.ordersEncrypted;
export const sessionsEndpoint = outputs.sessionsEndpoint;
export const sessionsPassword = outputs.sessionsPassword;
