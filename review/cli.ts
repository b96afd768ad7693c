#!/usr/bin/env node
// The package's command: `pulumi-redis-enterprise review preview.json` prints the review report (./report.ts)
// of a `pulumi preview --json` answer as Markdown on stdout; `-` reads the answer from stdin. Exit status: 0 when
// the report is printed, 2 on bad usage or input (the message names the file and what to do).
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { renderReview, reviewPreview, ReviewInputError } from "./report";

const USAGE = [
  "usage: pulumi-redis-enterprise review <preview.json | ->",
  "",
  "Prints a Markdown review of a `pulumi preview --json` answer (or `pulumi preview --refresh --json`, for drift):",
  "each changed property with its impact on clients, most disruptive first, the changes the provider refuses,",
  "and the drift found by refresh. Secrets are masked.",
  "",
  "  pulumi preview --json > preview.json",
  "  npx pulumi-redis-enterprise review preview.json >> \"$GITHUB_STEP_SUMMARY\"",
].join("\n");

/** Runs the command; returns the exit status. Output goes through the given writers (tests pass their own). */
export function main(argv: readonly string[], io: { out(text: string): void; err(text: string): void; stdin(): string }): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { help: { type: "boolean", short: "h" } } });
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, file, ...rest] = parsed.positionals;
  if (parsed.values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (command !== "review" || file === undefined || rest.length > 0) {
    io.err(`${command === undefined ? "no command given" : command !== "review" ? `unknown command "${command}"` : file === undefined ? "review needs the preview file" : `unexpected arguments: ${rest.join(" ")}`}\n${USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = file === "-" ? io.stdin() : fs.readFileSync(file, "utf8");
  } catch (error) {
    io.err(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; write it with \`pulumi preview --json > ${file}\`\n`);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    io.err(`${file} is not JSON (${(error as Error).message}); write it with \`pulumi preview --json > ${file}\` (--json, and nothing else on stdout)\n`);
    return 2;
  }
  try {
    io.out(renderReview(reviewPreview(json)));
  } catch (error) {
    if (!(error instanceof ReviewInputError)) throw error;
    io.err(`${file}: ${error.message}\n`);
    return 2;
  }
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    stdin: () => fs.readFileSync(0, "utf8"),
  });
}
