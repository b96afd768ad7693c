// Public entry point of the package: the resource classes a Pulumi program declares.
export { Database } from "./database";
export type { DatabaseArgs, ConnectionArgs } from "./database";
export type { DatabaseInputs, DatabaseOutputs, DatabaseEndpoint, DatabaseModule, SnapshotRule } from "../provider/database/types";
export type { TimeoutsInput } from "../provider/timeouts";
export type { ClientImpact, PropertyChange } from "../provider/core";
