// `npm run bench`: every benchmark, one after the other (never in parallel: they would measure each other),
// printed as the Markdown that docs/benchmarks.md records. `npm run bench -- <name> [<name>...]` runs only those.
import * as os from "node:os";
import { cachedCliFolder } from "../test/e2e/support/pulumi";
import { formatCrudBench, runCrudBench } from "./crud";
import { formatDataPlaneBench, runDataPlaneBench } from "./dataplane";
import { formatEmulatorBench, runEmulatorBench } from "./emulator";
import { formatFirewallBench, runFirewallBench } from "./firewall";
import { formatPreviewBench, runPreviewBench } from "./preview";
import { formatProviderBench, runProviderBench } from "./provider";
import { formatRefreshBench, runRefreshBench } from "./refresh";
import { formatCliRefreshBench, runCliRefreshBench } from "./refresh-cli";
import { formatWaiterBench, runWaiterBench } from "./waiter";

/** Name, heading in docs/benchmarks.md, and the run. */
const BENCHMARKS: ReadonlyArray<readonly [string, string, () => Promise<string>]> = [
  ["emulator", "Emulator", async () => formatEmulatorBench(await runEmulatorBench())],
  ["provider", "Provider against raw REST", async () => formatProviderBench(await runProviderBench())],
  ["refresh", "Refresh at stack scale", async () => formatRefreshBench(await runRefreshBench())],
  [
    "refresh-cli",
    "Refresh through the real Pulumi CLI",
    async () => (cachedCliFolder() ? formatCliRefreshBench(await runCliRefreshBench()) : "Skipped: the Pulumi CLI is not built on this machine (scripts/pulumi-cli.sh builds it once)."),
  ],
  ["crud", "Create, update and delete at stack scale", async () => formatCrudBench(await runCrudBench())],
  ["waiter", "Waiting", async () => formatWaiterBench(await runWaiterBench())],
  ["preview", "Preview", async () => formatPreviewBench(await runPreviewBench())],
  ["dataplane", "Data plane: internode encryption off and on", async () => formatDataPlaneBench(await runDataPlaneBench())],
  ["firewall", "InternodeFirewall against raw nft", async () => formatFirewallBench(await runFirewallBench())],
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !BENCHMARKS.some(([known]) => known === name));
  if (unknown.length > 0) {
    throw new Error(`no benchmark named ${unknown.join(", ")}; the benchmarks are ${BENCHMARKS.map(([name]) => name).join(", ")}`);
  }
  console.log(`Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  for (const [name, heading, run] of BENCHMARKS) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    console.log(`## ${heading}\n`);
    console.log(await run());
    console.log("");
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
