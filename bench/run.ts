// `npm run bench`: every benchmark, one after the other (never in parallel: they would measure each other),
// printed as the Markdown that docs/benchmarks.md records.
import * as os from "node:os";
import { formatDataPlaneBench, runDataPlaneBench } from "./dataplane";
import { formatEmulatorBench, runEmulatorBench } from "./emulator";
import { formatFirewallBench, runFirewallBench } from "./firewall";
import { formatProviderBench, runProviderBench } from "./provider";

async function main(): Promise<void> {
  console.log(`Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log("## Emulator\n");
  console.log(formatEmulatorBench(await runEmulatorBench()));
  console.log("\n## Provider against raw REST\n");
  console.log(formatProviderBench(await runProviderBench()));
  console.log("\n## Data plane: internode encryption off and on\n");
  console.log(formatDataPlaneBench(await runDataPlaneBench()));
  console.log("\n## InternodeFirewall against raw nft\n");
  console.log(formatFirewallBench(await runFirewallBench()));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
