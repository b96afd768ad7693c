// What the InternodeFirewall provider costs over the raw nft commands it stands for, on three nodes made of
// network namespaces (test/provider/support/netns.ts), two ways to reach them:
//   raw       one `nft -f` of the rendered table per node, in parallel (apply), or one `nft -j list table` (read);
//   provider  the provider's create (check, read every node first, then one atomic nft -f per node) or read
//             (list, parse, compare per node);
// each over the netns transport and over ssh (a real sshd in one namespace per node, a new connection per
// command, as the transport does). Needs root; prints why not otherwise.
// Run: `npm run bench` (all benchmarks) or `npm run build && node dist/bench/firewall.js`.
import { performance } from "node:perf_hooks";
import { commandRunner, listTableCommand, parseFirewallSpec, renderApplyScript, type FirewallNode } from "../provider/firewall";
import { firewallProvider } from "../provider/firewall/provider";
import { namespacesForbidden, startLab, type Lab } from "../test/provider/support/netns";
import { startSshd, type Sshd } from "../test/provider/support/sshd";

export interface FirewallBenchRow {
  transport: "netns" | "ssh";
  operation: "apply" | "read";
  variant: "raw" | "provider";
  medianMs: number;
  p90Ms: number;
  ratioToRaw: number;
}

export interface FirewallBenchResult {
  iterations: number;
  rows: FirewallBenchRow[];
  skipped?: string;
}

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function timeIt(iterations: number, work: () => Promise<void>): Promise<number[]> {
  await work(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await work();
    samples.push(performance.now() - start);
  }
  return samples;
}

export async function runFirewallBench(options: { iterations?: number } = {}): Promise<FirewallBenchResult> {
  const iterations = options.iterations ?? 20;
  const forbidden = await namespacesForbidden();
  if (forbidden) return { iterations, rows: [], skipped: forbidden };
  const lab: Lab = await startLab();
  const sshds: Sshd[] = [];
  try {
    for (const node of lab.nodes) sshds.push(await startSshd(lab, node));
    const variants: Record<"netns" | "ssh", FirewallNode[]> = {
      netns: lab.nodes.map((node) => ({ address: node.ipv4, transport: { type: "netns", namespace: node.namespace } })),
      ssh: lab.nodes.map((node, index) => ({
        address: node.ipv4,
        transport: { type: "ssh", host: "127.0.0.1", port: sshds[index]!.port, user: "root", privateKey: sshds[index]!.privateKey, hostKey: sshds[index]!.hostKey },
      })),
    };
    const rows: FirewallBenchRow[] = [];
    const provider = firewallProvider();
    for (const transport of ["netns", "ssh"] as const) {
      const inputs = { nodes: variants[transport], table: "fw_bench" };
      const parsed = parseFirewallSpec(inputs);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.failures));
      const spec = parsed.spec;
      const script = renderApplyScript(spec);
      const runOnAll = async (argv: string[], stdin?: string): Promise<void> => {
        await Promise.all(
          spec.nodes.map(async (node) => {
            const result = await commandRunner(node.transport).run(argv, { stdin });
            if (result.exitCode !== 0) throw new Error(`${node.address}: ${result.stderr}`);
          }),
        );
      };
      const rawApply = await timeIt(iterations, () => runOnAll(["nft", "-f", "-"], script));
      let outputs: Record<string, unknown> = {};
      const providerApply = await timeIt(iterations, async () => {
        const checked = await provider.check!({}, inputs);
        if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
        outputs = (await provider.create(checked.inputs)).outs as Record<string, unknown>;
      });
      const rawRead = await timeIt(iterations, () => runOnAll(listTableCommand(spec.table)));
      const providerRead = await timeIt(iterations, async () => {
        await provider.read!("bench", outputs);
      });
      await runOnAll(["nft", "-f", "-"], `table inet ${spec.table}\ndelete table inet ${spec.table}\n`);
      const row = (operation: "apply" | "read", variant: "raw" | "provider", samples: number[], raw: number[]): FirewallBenchRow => ({
        transport,
        operation,
        variant,
        medianMs: quantile(samples, 0.5),
        p90Ms: quantile(samples, 0.9),
        ratioToRaw: quantile(samples, 0.5) / quantile(raw, 0.5),
      });
      rows.push(row("apply", "raw", rawApply, rawApply), row("apply", "provider", providerApply, rawApply));
      rows.push(row("read", "raw", rawRead, rawRead), row("read", "provider", providerRead, rawRead));
    }
    return { iterations, rows };
  } finally {
    for (const sshd of sshds) await sshd.close();
    await lab.close();
  }
}

export function formatFirewallBench(result: FirewallBenchResult): string {
  if (result.skipped) return `Skipped: ${result.skipped}`;
  const lines = [
    `${result.iterations} iterations per row (after one warm-up), three nodes, medians and 90th percentiles in ms.`,
    "",
    "| Transport | Operation | Variant | Median ms | p90 ms | Ratio to raw |",
    "| --- | --- | --- | ---: | ---: | ---: |",
  ];
  for (const row of result.rows) {
    lines.push(`| ${row.transport} | ${row.operation} | ${row.variant} | ${row.medianMs.toFixed(1)} | ${row.p90Ms.toFixed(1)} | ${row.ratioToRaw.toFixed(2)} |`);
  }
  return lines.join("\n");
}

if (require.main === module) {
  runFirewallBench()
    .then((result) => console.log(formatFirewallBench(result)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
