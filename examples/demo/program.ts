// The demo stack: two databases of a checkout service on one cluster. The same program runs under the real
// Pulumi CLI (Pulumi.yaml -> index.ts) and under `npm run demo`, which plays the engine's part against the
// embedded emulator (run.ts).
import * as pulumi from "@pulumi/pulumi";
import { Database } from "../../sdk";

export interface DemoSettings {
  /** Encrypt the orders database's traffic between nodes (flipping it restarts its proxy). */
  encryptOrders: boolean;
  /** Memory of the sessions database. */
  sessionsMemory: string;
}

/** Reads the demo's settings from stack config (`demo:encryptOrders`, `demo:sessionsMemory`). */
export function demoSettingsFromConfig(): DemoSettings {
  const config = new pulumi.Config("demo");
  return { encryptOrders: config.getBoolean("encryptOrders") ?? false, sessionsMemory: config.get("sessionsMemory") ?? "128MB" };
}

/**
 * Declares the databases; the connection comes from stack config (redisenterprise:url, :username, :password,
 * :caCertPem), and the sessions password from the secret `demo:sessionsPassword`.
 */
export function demoProgram(settings: DemoSettings) {
  const orders = new Database("orders", {
    name: "orders",
    memorySize: "256MB",
    replication: true,
    dataPersistence: "aof",
    aofPolicy: "appendfsync-every-sec",
    dataInternodeEncryption: settings.encryptOrders,
    tags: { team: "checkout", tier: "critical" },
  });
  const sessions = new Database("sessions", {
    name: "sessions",
    memorySize: settings.sessionsMemory,
    evictionPolicy: "allkeys-lru",
    password: new pulumi.Config("demo").requireSecret("sessionsPassword"),
    disruptionPolicy: "deny",
  });
  return {
    ordersEndpoint: pulumi.interpolate`${orders.endpoint.host}:${orders.endpoint.port}`,
    ordersEncrypted: orders.dataInternodeEncryption,
    sessionsEndpoint: pulumi.interpolate`${sessions.endpoint.host}:${sessions.endpoint.port}`,
    sessionsPassword: sessions.password,
  };
}
