// The rs-emulator command: argument parsing (pure) and the real process with --json on free ports.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { CliUsageError, parseCliArgs } from "../../emulator/cli-args";
import { TestClient } from "./support/client";

const CLI = resolve(__dirname, "../../emulator/cli.js");

interface JsonLine {
  nodes: Array<{ uid: number; url: string; address: string; httpUrl: string | null }>;
  username: string;
  password: string;
  caCertPath: string;
  caFingerprintSha256: string;
  clusterName: string;
}

function run(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"] });
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((done) => {
    if (child.exitCode !== null) done(child.exitCode);
    else child.once("exit", (code) => done(code));
  });
}

function collect(stream: NodeJS.ReadableStream): () => string {
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return () => text;
}

describe("emulator: CLI argument parsing", function () {
  it("defaults to ports 9443/8080 and builds per-node versions from --version and --node-version", function () {
    const command = parseCliArgs(["--nodes", "3", "--version", "7.4.6-22", "--node-version", "2=6.2.2-30", "--idle", "--json"]);
    assert.deepEqual(command, {
      kind: "run",
      json: true,
      options: { httpsPort: 9443, httpPort: 8080, nodes: 3, idle: true, softwareVersions: ["7.4.6-22", "6.2.2-30", "7.4.6-22"] },
    });
  });

  it("accepts --flag=value, repeated --address, and every numeric option", function () {
    const command = parseCliArgs([
      "--address=10.0.0.1", "--address", "10.0.0.2", "--https-port=0", "--http-port", "-1", "--cert-validity-days", "45",
      "--op-delay-ms", "0", "--key-bits", "1024", "--state-file", "/tmp/s.json", "--ca-out", "/tmp/ca.pem",
      "--cluster-name", "c.example.com", "--username", "u", "--password", "p",
    ]);
    assert.deepEqual(command, {
      kind: "run",
      json: false,
      caOut: "/tmp/ca.pem",
      options: {
        httpsPort: 0, httpPort: -1, addresses: ["10.0.0.1", "10.0.0.2"], certValidityDays: 45, operationDelayMs: 0, keyBits: 1024,
        stateFile: "/tmp/s.json", clusterName: "c.example.com", username: "u", password: "p",
      },
    });
  });

  it("refuses bad options with a message naming them", function () {
    const cases: Array<[string[], RegExp]> = [
      [["--bogus"], /unknown option '--bogus'/],
      [["--nodes"], /--nodes needs a value/],
      [["--nodes", "zero"], /--nodes needs a whole number/],
      [["--nodes", "0"], /--nodes must be between 1 and 64/],
      [["--https-port", "70000"], /--https-port must be between 0 and 65535/],
      [["--version", "7.22"], /not a software version/],
      [["--node-version", "6.2.2-30"], /--node-version needs UID=VERSION/],
      [["--nodes", "2", "--node-version", "3=7.22.2-14"], /there are nodes 1 to 2/],
    ];
    for (const [args, message] of cases) {
      assert.throws(() => parseCliArgs(args), (error: Error) => error instanceof CliUsageError && message.test(error.message), args.join(" "));
    }
    assert.deepEqual(parseCliArgs(["--json", "--help"]), { kind: "help" });
  });
});

describe("emulator: CLI argument parsing, beyond parseArgs", function () {
  it("refuses a stray argument and a value given to a flag that takes none", function () {
    const cases: Array<[string[], RegExp]> = [
      [["3"], /unexpected argument '3'/],
      [["--", "--nodes", "3"], /unexpected argument '--nodes'/],
      [["--json=yes"], /--json takes no value/],
      [["-x"], /unknown option '-x'/],
      [["--__proto__"], /unknown option '--__proto__'/],
    ];
    for (const [args, message] of cases) {
      assert.throws(() => parseCliArgs(args), (error: Error) => error instanceof CliUsageError && message.test(error.message), args.join(" "));
    }
  });

  it("takes a value that starts with a dash (--http-port -1) and lets the last of a repeated flag win", function () {
    assert.deepEqual(parseCliArgs(["-h"]), { kind: "help" });
    assert.deepEqual(parseCliArgs(["--http-port", "-1", "--nodes", "2", "--nodes", "4"]), {
      kind: "run",
      json: false,
      options: { httpsPort: 9443, httpPort: -1, nodes: 4 },
    });
  });
});

describe("emulator: rs-emulator process", function () {
  this.timeout(30_000);

  it("--json prints one JSON line first; the API answers with those credentials over TLS verified by the CA file; SIGINT stops it", async function () {
    const child = run([
      "--json", "--https-port", "0", "--http-port", "0", "--key-bits", "1024", "--nodes", "2",
      "--node-version", "2=6.2.2-30", "--cluster-name", "cli.example.com", "--password", "Cli-Pass-123",
    ]);
    const stderr = collect(child.stderr);
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((done, fail) => {
        lines.once("line", done);
        child.once("exit", (code) => fail(new Error(`rs-emulator exited with ${String(code)} before printing: ${stderr()}`)));
      });
      const info = JSON.parse(first) as JsonLine;
      assert.deepEqual(Object.keys(info).sort(), ["caCertPath", "caFingerprintSha256", "clusterName", "nodes", "password", "username"]);
      assert.equal(info.clusterName, "cli.example.com");
      assert.equal(info.username, "admin@cli.example.com");
      assert.equal(info.password, "Cli-Pass-123");
      assert.deepEqual(info.nodes.map((n) => [n.uid, n.address]), [[1, "127.0.0.1"], [2, "127.0.0.2"]]);
      assert.match(info.caFingerprintSha256, /^[0-9a-f]{64}$/);
      const ca = readFileSync(info.caCertPath, "utf8");
      const client = new TestClient(info.nodes[0]!.url, ca, { username: info.username, password: info.password });
      try {
        const clusterObject = await client.get("/v1/cluster");
        assert.equal(clusterObject.status, 200);
        assert.equal(clusterObject.body.name, "cli.example.com");
        const versions = (await client.get("/v1/nodes")).body.map((n: { software_version: string }) => n.software_version);
        assert.deepEqual(versions, ["7.22.2-14", "6.2.2-30"]);
      } finally {
        await client.close();
      }
      child.kill("SIGINT");
      assert.equal(await exitOf(child), 0);
      assert.match(stderr(), /SIGINT received, stopping/);
      assert.equal(existsSync(dirname(info.caCertPath)), false, "the temporary CA directory is removed");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("through `npm run -s emulator -- --json` the first line is the JSON, and a SIGINT sent to npm stops the emulator", async function () {
    // npm forwards SIGINT to the script's process; the script `exec`s node so that process is the emulator, not
    // a shell that would swallow the signal and leave the emulator running.
    const npm = spawn("npm", ["run", "-s", "emulator", "--", "--json", "--https-port", "0", "--http-port", "-1", "--key-bits", "1024", "--nodes", "1"], {
      cwd: resolve(__dirname, "../../.."),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so the cleanup below reaches whatever npm started
    });
    const stderr = collect(npm.stderr);
    let closed = false;
    npm.once("close", () => {
      closed = true;
    });
    try {
      const first = await new Promise<string>((done, fail) => {
        createInterface({ input: npm.stdout }).once("line", done);
        npm.once("exit", (code) => fail(new Error(`npm exited with ${String(code)} before printing: ${stderr()}`)));
      });
      const info = JSON.parse(first) as JsonLine;
      assert.equal(info.nodes.length, 1);
      npm.kill("SIGINT");
      // "close": npm has exited and every holder of its output pipes too, the emulator included. npm ends the way
      // its script did, or re-raises the signal it was sent (the usual way to end on one).
      const ended = await new Promise<string>((done) => {
        const timer = setTimeout(() => done("still running 10 s after SIGINT"), 10_000);
        npm.once("close", (c, signal) => {
          clearTimeout(timer);
          done(`${String(c)} ${String(signal)}`);
        });
      });
      assert.match(ended, /^(0 null|null SIGINT)$/, stderr());
      assert.match(stderr(), /SIGINT received, stopping/);
      assert.equal(existsSync(dirname(info.caCertPath)), false, "the emulator stopped and removed its temporary CA directory");
    } finally {
      if (!closed && npm.pid !== undefined) process.kill(-npm.pid, "SIGKILL");
    }
  });

  it("exits with code 2 and a message for a bad option, and 0 with the usage for --help", async function () {
    const bad = run(["--nodes", "-3"]);
    const badErr = collect(bad.stderr);
    assert.equal(await exitOf(bad), 2);
    assert.match(badErr(), /rs-emulator: --nodes must be between 1 and 64, got -3/);
    const help = run(["--help"]);
    const helpOut = collect(help.stdout);
    assert.equal(await exitOf(help), 0);
    assert.match(helpOut(), /^Usage: rs-emulator \[options\]/);
  });

  it("exits with code 1 and says what to do when the port is taken", async function () {
    const holder = run(["--json", "--https-port", "0", "--http-port", "-1", "--key-bits", "1024", "--nodes", "1", "--address", "127.0.0.9"]);
    try {
      const first = await new Promise<string>((done) => createInterface({ input: holder.stdout }).once("line", done));
      const port = new URL((JSON.parse(first) as JsonLine).nodes[0]!.url).port;
      const clash = run(["--https-port", port, "--http-port", "-1", "--key-bits", "1024", "--nodes", "1", "--address", "127.0.0.9"]);
      const clashErr = collect(clash.stderr);
      assert.equal(await exitOf(clash), 1);
      assert.match(clashErr(), new RegExp(`cannot start the HTTPS API of node 1 on 127\\.0\\.0\\.9:${port}: port ${port} is in use`));
      assert.match(clashErr(), /--https-port 0 --http-port 0/);
    } finally {
      holder.kill("SIGTERM");
      await exitOf(holder);
    }
  });
});
