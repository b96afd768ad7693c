// The Database resource a Pulumi program declares: `new Database("orders", { name: "orders", memorySize: "1GB",
// connection: cluster.connection })`. What each property does, and what changing it does to connected clients,
// is in the README's reference table (generated from provider/database/table.ts).
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseEndpoint, DatabaseInputs, DatabaseProperties } from "../provider/database/types";
import type { PropertyChange } from "../provider/core";
import type { Connection } from "../provider/rest";
import type { TimeoutsInput } from "../provider/timeouts";
import { DATABASE_KIND, DATABASE_OUTPUT_KEYS, DATABASE_SECRET_OUTPUTS, type DatabaseTableInputs, type DatabaseTableOutputs } from "./generated/resources";
import { providerShim } from "./shim";
import { expectedUrn } from "./urn";

/** How to reach the cluster's REST API; usually `cluster.connection`, else stack config `redisenterprise:*`. */
export type ConnectionArgs = Connection;

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The arguments of a Database: every property is optional except `name` (and `memorySize` when creating). */
export interface DatabaseArgs extends Inputs<Omit<DatabaseInputs, "connection" | "timeouts">> {
  /** The cluster to talk to (usually `cluster.connection`). @default stack config redisenterprise:url, :username, :password */
  connection?: pulumi.Input<ConnectionArgs>;
  /** Deadlines for the cluster to finish each operation. @default { create: "30m", update: "30m", delete: "10m" } */
  timeouts?: pulumi.Input<TimeoutsInput>;
}

/** Every table property is an output holding the live value (declared once, in the table's types). */
type PropertyOutputs = { readonly [K in keyof DatabaseProperties]: pulumi.Output<DatabaseProperties[K]> };

// The generated types (sdk/generated/resources.ts, from the table's schemas) and the hand-documented ones must
// be the same types: the compiler fails here when a row and its documentation drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const outputsMatchTable: Same<PropertyOutputs, DatabaseTableOutputs> = true;
const inputsMatchTable: Same<Partial<Pick<DatabaseInputs, keyof DatabaseTableInputs>>, DatabaseTableInputs> = true;
void outputsMatchTable;
void inputsMatchTable;

/** Shared by every Database, so Pulumi serializes the shim once per program. */
let shim: pulumi.dynamic.ResourceProvider | undefined;

// Declaration merging gives the class one output per table property without listing them again.
export interface Database extends PropertyOutputs {}

export class Database extends pulumi.dynamic.Resource {
  /** The cluster's id of the database. */
  declare readonly uid: pulumi.Output<number>;
  /** pending, active, active-change-pending, ... as the cluster last reported it. */
  declare readonly status: pulumi.Output<string>;
  /** Where clients connect: host (DNS name when the cluster has one), port, DNS name and addresses. */
  declare readonly endpoint: pulumi.Output<DatabaseEndpoint>;
  /** The properties this program manages; the others are left as the cluster has them. */
  declare readonly managedProperties: pulumi.Output<string[]>;
  /** What the last update changed and its impact on connected clients. */
  declare readonly lastUpdateImpacts: pulumi.Output<PropertyChange[]>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.CustomResourceOptions) {
    // Every output key is seeded as undefined so the engine fills it in (an output missing from the props stays
    // undefined on the resource object).
    const seeds: Record<string, undefined> = {};
    for (const key of DATABASE_OUTPUT_KEYS) seeds[key] = undefined;
    shim ??= providerShim(DATABASE_KIND);
    super(
      shim,
      name,
      { ...seeds, ...args, __urn: expectedUrn(DATABASE_KIND, name, opts) },
      // Secret rows (the password) and the connection (which holds the admin password) stay secret in state even
      // when the program passed them as plain strings; the engine only re-marks keys whose inputs were secret.
      // The list is generated from the rows' and settings' `secret` flags.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: [...DATABASE_SECRET_OUTPUTS] }),
      "redisenterprise",
      DATABASE_KIND,
    );
  }
}
