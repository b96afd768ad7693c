#!/usr/bin/env node
// rs-emulator: start one emulated cluster and run until SIGINT/SIGTERM. Prints what a client needs (node URLs,
// admin credentials, the CA file and its fingerprint); with --json the first line is one JSON object.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CliUsageError, parseCliArgs, USAGE } from "./cli-args";
import { OptionsError, startCluster, type EmulatedCluster } from "./index";

async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof CliUsageError) {
      process.stderr.write(`rs-emulator: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  let cluster: EmulatedCluster;
  try {
    cluster = await startCluster(command.options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`rs-emulator: ${message}\n`);
    if (error instanceof OptionsError) return 2;
    if (/EADDRINUSE|in use/.test(message)) {
      process.stderr.write("rs-emulator: the default ports are 9443 (HTTPS) and 8080 (HTTP); pass --https-port 0 --http-port 0 for free ports\n");
    }
    return 1;
  }
  let temporaryDir: string | undefined;
  let caCertPath: string;
  if (command.caOut !== undefined) {
    caCertPath = resolve(command.caOut);
  } else {
    temporaryDir = mkdtempSync(join(tmpdir(), "rs-emulator-"));
    caCertPath = join(temporaryDir, "ca.pem");
  }
  writeFileSync(caCertPath, cluster.caCertPem);

  // The handlers go in before anything is printed: a script that reads the first line and stops the emulator
  // at once must not hit the default SIGINT action (exit without stopping, leaving the CA directory behind).
  const stopped = new Promise<number>((done) => {
    const shutdown = (signal: string): void => {
      process.stderr.write(`rs-emulator: ${signal} received, stopping\n`);
      cluster
        .stop()
        .then(() => {
          if (temporaryDir) rmSync(temporaryDir, { recursive: true, force: true });
          done(0);
        })
        .catch((error: unknown) => {
          process.stderr.write(`rs-emulator: stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
          done(1);
        });
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });

  if (command.json) {
    const line = {
      nodes: cluster.nodes.map((n) => ({ uid: n.uid, url: n.url, address: n.address, httpUrl: n.httpUrl ?? null })),
      username: cluster.username,
      password: cluster.password,
      caCertPath,
      caFingerprintSha256: cluster.caFingerprintSha256,
      clusterName: cluster.clusterName,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } else {
    const lines = [
      `Redis Enterprise Software emulator: cluster '${cluster.clusterName}' with ${cluster.nodes.length} node(s)${command.options.idle ? " (idle: bootstrap it first)" : ""}`,
      ...cluster.nodes.map((n) => `  node ${n.uid}  ${n.address}  ${n.url}${n.httpUrl ? `  ${n.httpUrl}` : ""}`),
      `  username: ${cluster.username}`,
      `  password: ${cluster.password}`,
      `  CA certificate: ${caCertPath}`,
      `  CA SHA-256 fingerprint: ${cluster.caFingerprintSha256}`,
      cluster.dataPlane.layout === "off"
        ? `  data plane: off, control plane only (${cluster.dataPlane.reason ?? "not requested"})`
        : `  data plane: ${cluster.dataPlane.layout} layout, database endpoints on ${cluster.dataPlane.nodes().map((n) => n.address).join(", ")}, internode TLS on ${cluster.dataPlane.internodePort}`,
      `  try: curl --cacert ${caCertPath} -u '${cluster.username}:<password>' ${cluster.nodes[0]?.url ?? ""}/v1/cluster`,
      "Test controls under /__emulator/ (no authentication; see docs/emulator.md). Ctrl-C stops.",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }

  return stopped;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`rs-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
