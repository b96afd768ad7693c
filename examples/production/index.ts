// A production stack: the databases of a shop on one Redis Enterprise Software cluster, guarded three ways.
// - Project config (Pulumi.yaml) sets redisenterprise:disruptionPolicy to "deny" for every stack of the project,
//   so a preview or up that would disconnect clients, flush data or replace a database fails before anything is
//   sent, naming the property, the consequence and that config key.
// - Each database password is secret stack config (`pulumi config set --secret <db>Password ...`): encrypted in
//   the stack file, a secret in state, never printed.
// - `protect: true` makes the engine refuse to delete a database, whether it leaves the program or the stack is
//   destroyed (disruptionPolicy does not cover deletion; see the README).
// The cluster connection is stack config too (redisenterprise:url, :username, :password, :caCertPem), as when the
// cluster itself is managed by another stack.
import * as pulumi from "@pulumi/pulumi";
import { Database, type DatabaseArgs } from "pulumi-redis-enterprise";

const config = new pulumi.Config();

// One switch for the data-plane encryption between nodes of every database. Flipping it restarts each proxy and
// drops its clients, so under this project's policy a flip is refused until the stack allows it explicitly.
const dataInternodeEncryption = config.getBoolean("dataInternodeEncryption") ?? true;

/** What differs between the databases; the name, the password and the guards are the same for all. */
const databases: Record<string, Omit<DatabaseArgs, "name" | "password">> = {
  payments: { memorySize: "1GB", replication: true, dataPersistence: "aof", aofPolicy: "appendfsync-always", tags: { team: "payments", tier: "critical" } },
  carts: { memorySize: "512MB", replication: true, dataPersistence: "aof", aofPolicy: "appendfsync-every-sec", evictionPolicy: "volatile-lru", tags: { team: "checkout", tier: "critical" } },
  catalog: { memorySize: config.get("catalogMemory") ?? "256MB", evictionPolicy: "allkeys-lru", tags: { team: "catalog", tier: "cache" } },
};

const endpoints: Record<string, pulumi.Output<string>> = {};
for (const [name, settings] of Object.entries(databases)) {
  const database = new Database(
    name,
    { ...settings, name, dataInternodeEncryption, password: config.requireSecret(`${name}Password`) },
    { protect: true },
  );
  endpoints[name] = pulumi.interpolate`${database.endpoint.host}:${database.endpoint.port}`;
}

export const databaseEndpoints = endpoints;
