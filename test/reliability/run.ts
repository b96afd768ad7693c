// `npm run reliability`: the full fault matrix (test/reliability/matrix.ts), or with `-- --chaos` the chaos run
// (test/reliability/chaos.ts). Options: `--filter <regex>` runs only the matching cells; `--lanes <n>` runs that
// many cells at once, each lane on its own emulated cluster (default 3: the cells mostly wait); `--markdown
// <file>` writes the results table. The provider's notes (stderr) are not shown; DEBUG_STDERR=1 shows them.
// Exit status 1 when a cell has a problem that is not a known finding (see KNOWN_FINDINGS in matrix.ts).
import { writeFileSync } from "node:fs";
import { captureStderr } from "../provider/support/stderr";
import { configure } from "../../provider";
import { knownFinding, matrixCells, runCell, startLane, type Cell, type CellResult, type LaneEnvironment } from "./matrix";

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function runMatrix(): Promise<number> {
  const filter = option("--filter");
  const lanes = Number(option("--lanes") ?? 3);
  const markdown = option("--markdown");
  const cells = matrixCells().filter((cell) => filter === undefined || new RegExp(filter).test(cell.id));
  await configure({ config: { get: () => undefined, require: () => "" } });
  const stderr = captureStderr();
  const started = Date.now();
  const results = new Map<string, CellResult>();
  let next = 0;
  const worker = async (): Promise<void> => {
    let env: LaneEnvironment = await startLane();
    for (;;) {
      const cell: Cell | undefined = cells[next++];
      if (!cell) break;
      let result: CellResult & { hung?: boolean };
      try {
        result = await runCell(env, cell);
      } catch (error) {
        result = { id: cell.id, outcome: "violation", problems: [`the cell could not run: ${(error as Error).message}`], elapsedMs: 0, fired: false, hung: true };
      }
      results.set(cell.id, result);
      const known = result.outcome === "violation" ? knownFinding(cell.id, result.problems) : undefined;
      const mark = result.outcome === "violation" ? (known ? `KNOWN` : "FAIL ") : "ok   ";
      process.stdout.write(`${mark} ${String(results.size).padStart(4)}/${cells.length} ${(result.elapsedMs / 1000).toFixed(1).padStart(6)} s  ${cell.id}: ${result.outcome}${result.problems.length > 0 ? ` - ${result.problems.join("; ")}` : ""}\n`);
      if (result.hung) {
        // The call may still be running against this cluster: leave it to a cluster of its own.
        const old = env;
        void old.cluster.stop().catch(() => undefined);
        env = await startLane();
      }
    }
    await env.cluster.stop();
  };
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, () => worker()));
  stderr.stop();
  const wallMs = Date.now() - started;
  const ordered = cells.map((cell) => ({ cell, result: results.get(cell.id)! }));
  const count = (outcome: string) => ordered.filter(({ result }) => result.outcome === outcome).length;
  const unknown = ordered.filter(({ cell, result }) => result.outcome === "violation" && !knownFinding(cell.id, result.problems));
  const summary = `${cells.length} cells in ${(wallMs / 1000).toFixed(0)} s with ${lanes} lanes: ${count("converged")} converged, ${count("error")} ended with a proper error, ${count("violation")} findings (${unknown.length} not known)`;
  process.stdout.write(`\n${summary}\n`);
  if (markdown) writeFileSync(markdown, matrixMarkdown(ordered, summary));
  return unknown.length > 0 ? 1 : 0;
}

const KINDS = ["status", "status-after", "latency-before", "latency-after", "drop-before", "drop-after", "busy", "fail-action", "node-down"] as const;

/** Operations by fault kind: converged / proper error / finding, per cell of the pivot. */
function pivotMarkdown(rows: Array<{ cell: Cell; result: CellResult }>): string[] {
  const operations = [...new Set(rows.map(({ cell }) => `${cell.resource} ${cell.operation}`))];
  const lines = [
    "| operation (sub-requests) | " + KINDS.join(" | ") + " |",
    "| --- | " + KINDS.map(() => "---").join(" | ") + " |",
  ];
  for (const operation of operations) {
    const mine = rows.filter(({ cell }) => `${cell.resource} ${cell.operation}` === operation);
    const subs = new Set(mine.map(({ cell }) => cell.sub.name)).size;
    const cells = KINDS.map((kind) => {
      const of = mine.filter(({ cell }) => cell.fault.kind === kind);
      if (of.length === 0) return "-";
      const n = (outcome: string) => of.filter(({ result }) => result.outcome === outcome).length;
      return `${n("converged")} / ${n("error")} / ${n("violation")}`;
    });
    lines.push(`| ${operation} (${subs}) | ${cells.join(" | ")} |`);
  }
  return lines;
}

function matrixMarkdown(rows: Array<{ cell: Cell; result: CellResult }>, summary: string): string {
  const lines = [`${summary}.`, "", "Converged / ended with a proper error / finding, per operation and fault kind:", "", ...pivotMarkdown(rows), "", "| resource, operation | sub-request | fault | outcome | s | problems / error |", "| --- | --- | --- | --- | --- | --- |"];
  for (const { cell, result } of rows) {
    const detail =
      result.outcome === "violation"
        ? `${result.problems.join("; ")}${result.message ? ` (error: ${result.message})` : ""}`
        : result.outcome === "error"
          ? (result.message ?? "")
          : "";
    const escaped = detail.replace(/\|/g, "\\|").replace(/\n/g, " ").slice(0, 600);
    lines.push(`| ${cell.resource} ${cell.operation} | ${cell.sub.name} | ${cell.fault.label} | ${result.outcome === "violation" ? `**finding** ${knownFinding(cell.id, result.problems) ?? "(new)"}` : result.outcome} | ${(result.elapsedMs / 1000).toFixed(1)} | ${escaped} |`);
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  if (process.argv.includes("--chaos")) {
    const { runChaosFromCli } = await import("./chaos");
    process.exit(await runChaosFromCli());
  }
  process.exit(await runMatrix());
}

void main();
