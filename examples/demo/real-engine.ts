// `npm run demo` with the real Pulumi engine: the same day in the life of the demo stack as run.ts, but every
// step is the `pulumi` CLI's own (through the Automation API with an inline program, so no language host is
// needed), and what it prints is the CLI's own output. State lives in a temporary file backend.
import * as crypto from "node:crypto";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import type { EmulatedCluster } from "../../emulator";
import { inlineStack, makeSandbox } from "../../test/e2e/support/pulumi";
import { demoProgram, type DemoSettings } from "./program";

const PROJECT = "redis-enterprise-demo";
const STACK = "demo";

function heading(text: string): void {
  console.log(`\n== ${text}`);
}

/** Prints the CLI's output lines, indented. */
function relay(out: string): void {
  process.stdout.write(out.replace(/^(?=.)/gm, "   "));
}

/** The version the CLI reports, or a note that it did not answer. */
export function cliVersion(cliPath: string): string {
  try {
    return execFileSync(cliPath, ["version"], { encoding: "utf8", timeout: 30_000 }).trim();
  } catch {
    return "version unknown";
  }
}

export async function runWithCli(cliPath: string, cluster: EmulatedCluster): Promise<void> {
  const sandbox = makeSandbox(path.dirname(cliPath));
  const settings: DemoSettings = { encryptOrders: false, sessionsMemory: "128MB" };
  try {
    const stack = await inlineStack(sandbox, PROJECT, STACK, async () => demoProgram(settings));
    await stack.setAllConfig({
      "redisenterprise:url": { value: cluster.nodes[0]!.url },
      "redisenterprise:username": { value: cluster.username },
      "redisenterprise:password": { value: cluster.password, secret: true },
      "redisenterprise:caCertPem": { value: cluster.caCertPem },
      "demo:sessionsPassword": { value: crypto.randomBytes(12).toString("base64url"), secret: true },
    });

    heading("pulumi up: two databases");
    await stack.up({ onOutput: relay });

    heading("pulumi preview --diff: turn on data internode encryption for orders");
    settings.encryptOrders = true;
    await stack.preview({ diff: true, onOutput: relay });

    heading("pulumi up: apply it");
    await stack.up({ onOutput: relay });
    for (const event of cluster.admin.events({ type: "proxy_restart" })) {
      console.log(`   cluster: proxy of database ${String(event.bdbUid)} restarted (${String(event.reason)}); its clients were disconnected`);
    }

    heading("Someone changes the sessions database in the UI (eviction policy -> noeviction)");
    const sessions = (cluster.admin.state() as { bdbs: { uid: number; name: string }[] }).bdbs.find((bdb) => bdb.name === "sessions")!;
    cluster.admin.patchObject(`bdbs/${sessions.uid}`, { eviction_policy: "noeviction" });

    heading("pulumi refresh");
    await stack.refresh({ onOutput: relay });

    heading("pulumi preview --diff: the drift, property by property");
    await stack.preview({ diff: true, onOutput: relay });

    heading("pulumi up: put it back");
    await stack.up({ onOutput: relay });

    heading("pulumi destroy");
    await stack.destroy({ onOutput: relay });
    console.log(`   databases left on the cluster: ${(cluster.admin.state() as { bdbs: unknown[] }).bdbs.length}`);
  } finally {
    sandbox.dispose();
  }
}
