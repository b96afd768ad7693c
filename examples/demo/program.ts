// The demo stack: a checkout service's Redis Enterprise Software cluster, declared whole. The same program runs
// under the real Pulumi CLI (Pulumi.yaml -> index.ts, or `npm run demo` with a `pulumi` on the PATH) and under
// `npm run demo` without one, which plays the engine's part against the embedded emulator (run.ts).
//
//   demoStack:    a Cluster bootstrapped from its nodes, an InternodeFirewall on them (when the nodes can be
//                 reached), `payments` (data internode encryption on), `orders` and `sessions` (demoProgram)
//                 on the cluster's connection, and a CertificateRotation.
//   demoProgram:  the two databases alone, on a given connection or on stack config redisenterprise:*.
import * as pulumi from "@pulumi/pulumi";
import { CertificateRotation, Cluster, Database, InternodeFirewall, type ConnectionArgs } from "../../sdk";

export interface DemoSettings {
  /** Encrypt the orders database's traffic between nodes (flipping it restarts its proxy). */
  encryptOrders: boolean;
  /** Memory of the sessions database. */
  sessionsMemory: string;
  /** The cluster to talk to; without it, stack config redisenterprise:url, :username, :password, :caCertPem. */
  connection?: pulumi.Input<ConnectionArgs>;
}

/** Reads the databases' settings from stack config (`demo:encryptOrders`, `demo:sessionsMemory`). */
export function demoSettingsFromConfig(): DemoSettings {
  const config = new pulumi.Config("demo");
  return { encryptOrders: config.getBoolean("encryptOrders") ?? false, sessionsMemory: config.get("sessionsMemory") ?? "128MB" };
}

/**
 * Declares the orders and sessions databases; the sessions password comes from the secret `demo:sessionsPassword`.
 * `sessions` refuses changes that would disconnect its clients (`disruptionPolicy: "deny"`).
 */
export function demoProgram(settings: DemoSettings) {
  const connection = settings.connection === undefined ? {} : { connection: settings.connection };
  const orders = new Database("orders", {
    name: "orders",
    memorySize: "256MB",
    replication: true,
    dataPersistence: "aof",
    aofPolicy: "appendfsync-every-sec",
    dataInternodeEncryption: settings.encryptOrders,
    tags: { team: "checkout", tier: "critical" },
    ...connection,
  });
  const sessions = new Database("sessions", {
    name: "sessions",
    memorySize: settings.sessionsMemory,
    evictionPolicy: "allkeys-lru",
    password: new pulumi.Config("demo").requireSecret("sessionsPassword"),
    disruptionPolicy: "deny",
    ...connection,
  });
  return {
    ordersEndpoint: pulumi.interpolate`${orders.endpoint.host}:${orders.endpoint.port}`,
    ordersEncrypted: orders.dataInternodeEncryption,
    sessionsEndpoint: pulumi.interpolate`${sessions.endpoint.host}:${sessions.endpoint.port}`,
    sessionsPassword: sessions.password,
  };
}

export interface DemoStackSettings extends Omit<DemoSettings, "connection"> {
  /** The cluster's FQDN, set at bootstrap. */
  clusterName: string;
  /** Each node's REST API URL, in order: the first creates the cluster, the others join it. */
  nodeUrls: string[];
  /** The admin user the bootstrap creates. */
  adminUsername: string;
  adminPassword: pulumi.Input<string>;
  /** The CA that verifies the nodes' API certificate (PEM); without it, the system's trust store. */
  caCertPem?: string;
  /**
   * Node uid -> the network namespace the node lives in, for the InternodeFirewall's `netns` transport. Without
   * it the stack declares no firewall: the demo has no other way to run `nft` on a node (a real cluster would use
   * the `ssh` transport, see README "Opening TCP 3342 between the nodes").
   */
  firewallNamespaces?: Record<string, string>;
}

/**
 * Reads the whole stack's settings from stack config: `demo:nodes` (JSON list of API URLs), `demo:adminPassword`
 * (secret), and optionally `demo:clusterName`, `demo:adminUsername`, `demo:caCertPem`, `demo:firewallNamespaces`
 * (JSON object), with the databases' keys of demoSettingsFromConfig.
 */
export function demoStackSettingsFromConfig(): DemoStackSettings {
  const config = new pulumi.Config("demo");
  const nodeUrls = config.requireObject<unknown>("nodes");
  if (!Array.isArray(nodeUrls) || nodeUrls.length === 0 || !nodeUrls.every((url) => typeof url === "string")) {
    throw new Error(`demo:nodes must be a JSON list of node API URLs, e.g. ["https://10.0.0.1:9443"]; got ${JSON.stringify(nodeUrls)}`);
  }
  const namespaces = config.getObject<unknown>("firewallNamespaces");
  if (namespaces !== undefined && (typeof namespaces !== "object" || namespaces === null || Array.isArray(namespaces) || !Object.values(namespaces).every((name) => typeof name === "string"))) {
    throw new Error(`demo:firewallNamespaces must be a JSON object of node uid -> network namespace, e.g. {"1": "node1"}; got ${JSON.stringify(namespaces)}`);
  }
  const clusterName = config.get("clusterName") ?? "demo.redis.local";
  const settings: DemoStackSettings = {
    ...demoSettingsFromConfig(),
    clusterName,
    nodeUrls: nodeUrls as string[],
    adminUsername: config.get("adminUsername") ?? `admin@${clusterName}`,
    adminPassword: config.requireSecret("adminPassword"),
  };
  const caCertPem = config.get("caCertPem");
  if (caCertPem !== undefined) settings.caCertPem = caCertPem;
  if (namespaces !== undefined) settings.firewallNamespaces = namespaces as Record<string, string>;
  return settings;
}

/** The whole demo stack. Returns its stack outputs. */
export function demoStack(settings: DemoStackSettings) {
  const cluster = new Cluster("checkout", {
    name: settings.clusterName,
    nodes: settings.nodeUrls.map((url) => ({ url })),
    username: settings.adminUsername,
    password: settings.adminPassword,
    ...(settings.caCertPem === undefined ? {} : { tls: { caCertPem: settings.caCertPem } }),
    // Databases created later encrypt their internode traffic unless they say otherwise.
    dataInternodeEncryptionDefault: true,
    nodeInternalCertsAboutToExpireAlert: { enabled: true, thresholdDays: 45 },
  });

  // TCP 3342 open between the nodes the cluster reports, and dropped from everyone else.
  const namespaces = settings.firewallNamespaces;
  const firewall = namespaces
    ? new InternodeFirewall("internode", {
        nodes: cluster.nodes.apply((nodes) =>
          nodes.map((node) => {
            const namespace = namespaces[String(node.uid)];
            if (namespace === undefined) throw new Error(`demo:firewallNamespaces has no namespace for node ${node.uid} (${node.address})`);
            return { address: node.address, transport: { type: "netns" as const, namespace } };
          }),
        ),
      })
    : undefined;

  const payments = new Database("payments", {
    name: "payments",
    memorySize: "128MB",
    replication: true,
    // A proxy on every node: requests to a node without the master shard cross TCP 3342 to it, over TLS.
    proxyPolicy: "all-nodes",
    dataInternodeEncryption: true,
    connection: cluster.connection,
  });
  const databases = demoProgram({ ...settings, connection: cluster.connection });

  const rotation = new CertificateRotation("internal-certificates", {
    connection: cluster.connection,
    certificates: ["ccs_internode_encryption", "data_internode_encryption"],
    rotateWhenExpiringWithinDays: 45,
  });

  return {
    clusterName: cluster.name,
    nodes: cluster.nodes.apply((nodes) => nodes.map((node) => `node ${node.uid} ${node.address} ${node.softwareVersion} ${node.status}`)),
    internodeEncryptionReady: cluster.internodeEncryptionReady,
    firewallRules: firewall ? firewall.rules.apply((rules) => rules.map((rule) => `${rule.action} tcp ${rule.port} ${rule.source} -> ${rule.destination}`)) : "not declared",
    paymentsEndpoint: pulumi.interpolate`${payments.endpoint.host}:${payments.endpoint.port}`,
    paymentsEncrypted: payments.dataInternodeEncryption,
    ...databases,
    certificates: rotation.certificates.apply((certificates) => certificates.map((certificate) => `${certificate.name}: valid until ${certificate.notAfter}`)),
  };
}
